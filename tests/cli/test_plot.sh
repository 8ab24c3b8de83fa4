#!/usr/bin/env bash
# bcms plot: Manhattan and QQ plots of bcms (linear, logistic, Cox), PLINK 2 (.glm.linear with covariate
# rows, .glm.logistic.hybrid in -log10 form), REGENIE and GWAS-SSF tables. Checks: the PNG is a valid
# PNG of the expected size (every chunk CRC, IDAT inflating to exactly height x (1 + 3 width) bytes, not
# blank); the SVG has one chromosome label per chromosome of the input, one dashed line per threshold,
# and one hit label per locus below 1e-5 (clumped at 500 kb here in awk); the lambda GC printed equals
# the scan's .log (bcms) or R's from the P column (PLINK 2, REGENIE); gzip input reads the same; clear
# errors for a table without p-values, an unknown image extension and P = 0. xy plots: valid PNG, one
# legend entry and colour per series, independent of row order, errors for a bad header, a non-number
# and a value <= 0 on a log axis.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
d=$BCMS_SRC/data-samples
"$BCMS" import -q s.bcms "$d/sardinia.vcf.gz" --cohort sardinia
a=(--pheno-file "$d/sardinia.pheno.tsv" --covar-file "$d/sardinia.covar.tsv" --covar sex,age_onset,PC1,PC2 --maf 0.01)
"$BCMS" assoc s.bcms --model linear --pheno severity "${a[@]}" -o lin.tsv 2> /dev/null
"$BCMS" assoc s.bcms --model logistic --pheno binary_trait "${a[@]}" -o log.tsv 2> /dev/null
"$BCMS" assoc s.bcms --model cox --time time_to_edss6 --event edss6_event "${a[@]}" -o cox.tsv 2> /dev/null

png_ok() { # file width height: a valid PNG of that size with more than 1000 non-white pixels
    python3 - "$@" <<'PY'
import struct, sys, zlib
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = open(path, 'rb').read()
assert b[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
i, chunks, idat = 8, [], b''
while i < len(b):
    n, t = struct.unpack('>I4s', b[i:i + 8])
    data, crc = b[i + 8:i + 8 + n], struct.unpack('>I', b[i + 8 + n:i + 12 + n])[0]
    assert zlib.crc32(t + data) & 0xffffffff == crc, 'CRC of chunk %r' % t
    chunks.append(t)
    if t == b'IDAT': idat += data
    if t == b'IHDR': W, H, depth, ctype = struct.unpack('>IIBB', data[:10])
    i += 12 + n
assert chunks[0] == b'IHDR' and chunks[-1] == b'IEND', 'chunk order %r' % chunks
assert (W, H) == (w, h), 'size %dx%d, expected %dx%d' % (W, H, w, h)
assert depth == 8 and ctype == 2, 'not 8-bit RGB'
raw = zlib.decompress(idat)
assert len(raw) == h * (1 + 3 * w), 'pixel data %d bytes' % len(raw)
# undo the PNG filters just enough to count pixels: filter types 0..4 per row
prev, ink = bytearray(3 * w), 0
for r in range(h):
    f, row = raw[r * (1 + 3 * w)], bytearray(raw[r * (1 + 3 * w) + 1:(r + 1) * (1 + 3 * w)])
    for x in range(3 * w):
        a = row[x - 3] if x >= 3 else 0
        c = prev[x - 3] if x >= 3 else 0
        up = prev[x]
        if f == 1: row[x] = (row[x] + a) & 255
        elif f == 2: row[x] = (row[x] + up) & 255
        elif f == 3: row[x] = (row[x] + (a + up) // 2) & 255
        elif f == 4:
            p = a + up - c; pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
            row[x] = (row[x] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
    ink += sum(1 for x in range(w) if row[3 * x:3 * x + 3] != b'\xff\xff\xff')
    prev = row
assert ink > 1000, 'blank image (%d non-white pixels)' % ink
PY
}
said() { grep -o "$2" "$1" | head -1; } # file regex
loglam() { awk -F'\t' '$1=="pheno" {for (i=2;i<=NF;i++) if ($i ~ /^lambda_gc=/) {sub("lambda_gc=","",$i); print $i}}' "$1.log"; }

# Manhattan, PNG and SVG
"$BCMS" plot manhattan lin.tsv -o lin.png --title "severity (linear)" 2> m.err
check "manhattan PNG is a valid 1600x640 PNG" png_ok lin.png 1600 640
"$BCMS" plot manhattan lin.tsv -o lin.svg --size 1200x500 2> m.err
nchr=$(awk -F'\t' 'NR>1 && $13!="NA" {c[$1]=1} END{print length(c)}' lin.tsv)
labels=$(grep -c 'fill:rgb(20%,20%,20%)' lin.svg || true)
check "SVG: $labels chromosome labels for the $nchr chromosomes of the scan" [ "$labels" = "$nchr" ]
check "SVG: the requested size 1200x500" grep -q 'width="1200pt" height="500pt"' lin.svg
check "SVG: two dashed threshold lines" [ "$(grep -c 'stroke-dasharray' lin.svg)" = 2 ]
"$BCMS" plot manhattan lin.tsv -o lin1.svg --sig 0 2> /dev/null
check "SVG: one dashed line with --sig 0" [ "$(grep -c 'stroke-dasharray' lin1.svg)" = 1 ]
loci=$(awk -F'\t' 'NR>1 && $13!="NA" && $13 < 1e-5 {print $13"\t"$1"\t"$2}' lin.tsv | sort -g -k1,1 |
    awk -F'\t' '{for (i=1;i<=n;i++) if (c[i]==$2 && ($3>p[i]?$3-p[i]:p[i]-$3) < 500000) next; n++; c[n]=$2; p[n]=$3}
               END{print (n > 5 ? 5 : n)}')
hits=$(grep -c 'fill:rgb(60%,0%,0%)' lin.svg || true)
check "SVG: $hits hit labels = $loci loci below 1e-5 (at most 5)" [ "$hits" = "$loci" ]
"$BCMS" plot manhattan lin.tsv -o lin0.svg --hits 0 2> /dev/null
check "no hit label with --hits 0" [ "$(grep -c 'fill:rgb(60%,0%,0%)' lin0.svg || true)" = 0 ]

# QQ: lambda GC as the scan's log, for every model; gzip and BGZF input alike. The table's P has 6
# significant digits where the scan's median was unrounded, so the two may differ by one in the 4th
# decimal on a rounding edge; from the table's own P, R must give exactly the same.
rlam() { # file column: lambda GC of the ADD rows by R, from P or from -log10 P
    Rscript -e "d <- read.table('$1', header=TRUE, comment.char='', sep='', na.strings='NA', check.names=FALSE)
        if ('TEST' %in% names(d)) d <- d[d\$TEST == 'ADD', ]
        p <- d[['$2']]; p <- p[!is.na(p)]; if ('$2' != 'P') p <- 10^-p
        cat(sprintf('%.4f', qchisq(median(p), 1, lower.tail=FALSE) / qchisq(0.5, 1)))"
}
near() { awk -v a="$1" -v b="$2" 'BEGIN{d=a-b; exit !(a != "" && (d < 0 ? -d : d) <= 0.000101)}'; }
for m in lin log cox; do
    "$BCMS" plot qq $m.tsv -o $m.qq.png 2> q.err
    l=$(said q.err 'lambda GC = [0-9.]*' | sed 's/.*= //')
    check "QQ lambda GC $l of $m equals the scan's .log $(loglam $m.tsv)" near "$l" "$(loglam $m.tsv)"
    check "QQ lambda GC $l of $m equals R's from its P $(rlam $m.tsv P)" [ "$l" = "$(rlam $m.tsv P)" ]
done
check "QQ PNG is a valid 640x640 PNG" png_ok cox.qq.png 640 640
gzip -c lin.tsv > lin.tsv.gz && bgzip -c lin.tsv > lin.bgz.tsv.gz
for f in lin.tsv.gz lin.bgz.tsv.gz; do
    "$BCMS" plot qq $f -o gz.svg 2> q.err
    check "QQ of $f: lambda GC $(loglam lin.tsv)" grep -q "lambda GC = $(loglam lin.tsv)" q.err
done

# a multi-phenotype table: one phenotype chosen with --pheno, refused without
"$BCMS" assoc s.bcms --model linear --pheno severity,age_onset --pheno-file "$d/sardinia.pheno.tsv" \
    --covar-file "$d/sardinia.covar.tsv" --covar sex,PC1 -o multi.tsv 2> /dev/null
check "several phenotypes without --pheno are refused" bash -c "! '$BCMS' plot qq multi.tsv -o x.png 2> e.err && grep -q 'choose one with --pheno' e.err"
"$BCMS" plot qq multi.tsv -o multi.png --pheno age_onset 2> q.err
l=$(awk -F'\t' '$1=="pheno" && $2=="age_onset" {for (i=3;i<=NF;i++) if ($i ~ /^lambda_gc=/) {sub("lambda_gc=","",$i); print $i}}' multi.tsv.log)
check "--pheno age_onset: lambda GC of its .log line $l" near "$(said q.err 'lambda GC = [0-9.]*' | sed 's/.*= //')" "$l"

# PLINK 2 on the same genotypes: covariate rows skipped (TEST), P and LOG10_P forms
bcftools norm -m- "$d/sardinia.vcf.gz" 2>/dev/null | bcftools annotate -I '%CHROM:%POS:%REF:%ALT' -Oz -o split.vcf.gz 2>/dev/null
plink2 --vcf split.vcf.gz --pheno "$d/sardinia.pheno.tsv" --pheno-name severity --covar "$d/sardinia.covar.tsv" \
    --covar-name sex,age_onset,PC1,PC2 --covar-variance-standardize --glm --maf 0.01 --out pl --threads 2 > /dev/null 2>&1
plink2 --vcf split.vcf.gz --pheno "$d/sardinia.pheno.tsv" --pheno-name binary_trait --covar "$d/sardinia.covar.tsv" \
    --covar-name sex,age_onset,PC1,PC2 --covar-variance-standardize --glm hide-covar firth-fallback log10 --maf 0.01 --out pl --threads 2 \
    > /dev/null 2>&1
f=pl.severity.glm.linear
"$BCMS" plot qq $f -o pl.qq.svg 2> q.err
col() { awk -F'\t' -v n="$2" 'NR==1 {for (i=1;i<=NF;i++) if ($i==n) print i}' "$1"; } # file name
t=$(col $f TEST) p=$(col $f P)
add=$(awk -F'\t' -v t=$t -v p=$p 'NR>1 && $t=="ADD" && $p!="NA"' $f | wc -l)
other=$(awk -F'\t' -v t=$t 'NR>1 && $t!="ADD"' $f | wc -l)
check "PLINK 2 .glm.linear detected" grep -q "plink2 table" q.err
check "PLINK 2: the $other covariate rows skipped" grep -q "$other of another TEST/PHENO skipped" q.err
check "PLINK 2: the $add ADD rows with a P plotted" grep -q "qq of $add p-values" q.err
check "PLINK 2: QQ lambda GC = R's $(rlam $f P)" grep -q "lambda GC = $(rlam $f P)" q.err
f=$(ls pl.binary_trait.glm.logistic*)
check "PLINK 2 log10 output has LOG10_P" grep -q LOG10_P <(head -1 $f)
"$BCMS" plot qq $f -o pl2.qq.png 2> q.err
check "PLINK 2 LOG10_P: QQ lambda GC = R's $(rlam $f LOG10_P)" grep -q "lambda GC = $(rlam $f LOG10_P)" q.err
"$BCMS" plot manhattan $f -o pl2.m.png 2> m.err
check "PLINK 2 Manhattan is a valid PNG" png_ok pl2.m.png 1600 640

# REGENIE (whitespace-separated, LOG10P only), from the peer data
f=$BCMS_PEER/regenie/expected/test_bin_out_firth_Y1.regenie
"$BCMS" plot qq $f -o rg.qq.svg 2> q.err
check "REGENIE detected" grep -q "regenie table" q.err
check "REGENIE: QQ lambda GC = R's $(rlam $f LOG10P)" grep -q "lambda GC = $(rlam $f LOG10P)" q.err
"$BCMS" plot manhattan $f -o rg.m.svg 2> m.err
check "REGENIE: one chromosome" grep -q ", 1 chromosomes," m.err
check "REGENIE: one chromosome label" [ "$(grep -c 'fill:rgb(20%,20%,20%)' rg.m.svg)" = 1 ]

# GWAS-SSF made from the bcms table: 23 = X, 25 = MT, #NA missing; chr1 and 1 are one chromosome
awk -F'\t' 'BEGIN{OFS="\t"; print "chromosome","base_pair_location","effect_allele","other_allele","beta","standard_error","effect_allele_frequency","p_value","rsid"}
    NR>1 {c=$1; if (NR % 3 == 0) c=23; if (NR % 7 == 0) c=25; p=($13=="NA" || NR % 11 == 0 ? "#NA" : $13); print c,$2,$5,$4,$10,$11,$7,p,$3}' lin.tsv > ssf.tsv
"$BCMS" plot manhattan ssf.tsv -o ssf.svg 2> m.err
n=$(awk -F'\t' 'NR>1 && $8!="#NA" {c[$1]=1} END{print length(c)}' ssf.tsv)
check "GWAS-SSF detected" grep -q "gwas-ssf table" m.err
na=$(awk -F'\t' '$8=="#NA"' ssf.tsv | wc -l)
check "GWAS-SSF: the $na #NA p-values skipped and counted" grep -q " $na with p missing (NA) skipped" m.err
check "GWAS-SSF: $n chromosomes (23 X, 25 MT)" grep -q ", $n chromosomes," m.err
awk -F'\t' 'BEGIN{OFS="\t"} NR==1 || NR % 2 {print; next} {$1="chr"$1; print}' lin.tsv > chr.tsv
"$BCMS" plot manhattan chr.tsv -o chr.svg 2> m.err
check "chr1 and 1 are one chromosome ($nchr)" grep -q ", $nchr chromosomes," m.err

# p below the double range from its text; errors
printf 'CHROM\tPOS\tID\tP\n1\t100\trsA\t3.06206e-930\n1\t200\trsB\t0.5\n2\t300\trsC\tNA\n' > tiny.tsv
"$BCMS" plot manhattan tiny.tsv -o tiny.svg 2> m.err
check "P = 3.06e-930 read from its text (labelled)" grep -q "1 loci labelled" m.err
check "the NA row counted" grep -q "2 plotted, 1 with p missing (NA) skipped" m.err
"$BCMS" plot qq tiny.tsv -o tiny.png --size 400x300 2> /dev/null
check "QQ PNG of the requested size 400x300" png_ok tiny.png 400 300
"$BCMS" freq s.bcms -o freq.tsv
check "a table without p-values is refused" bash -c "! '$BCMS' plot qq freq.tsv -o x.png 2> e.err"
check "... naming the file and the column" grep -q "freq.tsv: the header has no p-value column" e.err
check "an unknown extension is refused" bash -c "! '$BCMS' plot qq lin.tsv -o x.jpg 2> e.err && grep -q '.png or .svg' e.err"
printf 'CHROM\tPOS\tID\tP\n1\t100\trsA\t0\n' > zero.tsv
check "P = 0 is refused with its line" bash -c "! '$BCMS' plot qq zero.tsv -o x.png 2> e.err && grep -q 'zero.tsv:2: P is 0' e.err"
printf 'CHROM\tPOS\tID\tP\n1\t100\trsA\t1.5\n' > bad.tsv
check "P = 1.5 is refused with its line" bash -c "! '$BCMS' plot qq bad.tsv -o x.png 2> e.err && grep -q 'bad.tsv:2:' e.err"
# xy: benchmark curves from a `series x y` table. Rows out of x order within a series draw the same
# image (the line joins them in x order); one legend entry (text in 10% grey) and one colour per series.
printf 'series\tx\ty\n' > xy.tsv
awk 'BEGIN{OFS="\t"; split("bcms import|plink2 import|bcms linear", s, "|")
    for (i=1;i<=3;i++) for (n=500;n<=64000;n*=2) print s[i], n, 0.002*i*n^(1+0.1*i)}' >> xy.tsv
printf 'bcms linear\t1000\tNA\n' >> xy.tsv
{ head -1 xy.tsv; awk 'NR>1 && !seen[$1]++' FS='\t' xy.tsv; awk 'NR>1 && seen[$1]++' FS='\t' xy.tsv | tac; } > xy.shuf.tsv
"$BCMS" plot xy xy.tsv --log-x --log-y --xlabel samples --ylabel "wall seconds" --title "test" -o xy.png 2> x.err
check "xy PNG is a valid 900x560 PNG" png_ok xy.png 900 560
check "xy: 24 points in 3 series, the NA row counted" grep -q "xy of 24 points in 3 series (1 rows with NA skipped)" x.err
"$BCMS" plot xy xy.shuf.tsv --log-x --log-y --xlabel samples --ylabel "wall seconds" --title "test" -o xy.shuf.png 2> /dev/null
check "xy: rows out of x order draw the same image" cmp -s xy.png xy.shuf.png
"$BCMS" plot xy xy.tsv --log-x --log-y -o xy.svg 2> /dev/null
check "xy SVG: one legend entry per series (3)" [ "$(grep -c 'fill:rgb(10%,10%,10%)' xy.svg)" = 3 ]
cols=$(grep -o 'stroke:rgb([0-9.]*%,[0-9.]*%,[0-9.]*%)' xy.svg | sort -u | grep -vc 'rgb(0%,0%,0%)\|rgb(90%,90%,90%)' || true)
check "xy SVG: 3 distinct line colours ($cols)" [ "$cols" = 3 ]
printf 'series\tx\ty\na\t1\t0\na\t2\t1\n' > xy0.tsv
"$BCMS" plot xy xy0.tsv -o xy0.png 2> /dev/null
check "xy: y = 0 is fine on a linear axis" png_ok xy0.png 900 560
check "xy: y = 0 on a log axis is refused with its line" bash -c "! '$BCMS' plot xy xy0.tsv --log-y -o xy0l.png 2> e.err && grep -q 'xy0.tsv:2: y = 0 on a log axis' e.err"
check "... and leaves no image" [ ! -e xy0l.png ] && [ ! -e xy0l.png.part ]
printf 'name x y\na 1 2\n' > xyh.tsv
check "xy: a bad header is refused" bash -c "! '$BCMS' plot xy xyh.tsv -o x.png 2> e.err && grep -q \"xyh.tsv:1: the header must be 'series<TAB>x<TAB>y'\" e.err"
printf 'series\tx\ty\na\t1\tfast\n' > xyv.tsv
check "xy: a non-number is refused with its line" bash -c "! '$BCMS' plot xy xyv.tsv -o x.png 2> e.err && grep -q \"xyv.tsv:2: y 'fast' is not a finite number\" e.err"
check "--log-x is an option of xy only" bash -c "! '$BCMS' plot qq lin.tsv --log-x -o x.png 2> /dev/null"
check "the usage lists xy" bash -c "'$BCMS' plot 2>&1 | grep -q 'bcms plot xy IN.tsv'"
finish
