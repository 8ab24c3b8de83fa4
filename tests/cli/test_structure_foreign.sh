#!/usr/bin/env bash
# test_structure_foreign.sh: prune, pca, kinship, grm and assoc --model lmm [--loco] on VCFs written by
# other tools, shaped as a centre delivers them, against the peers live. A structured cohort (isolate,
# families, cryptic relatives, missing calls; ten autosomes, chrX with PARs, chrY, chrM) goes through
# plink2 (--update-sex, --split-par b38, --export vcf: chrX males haploid outside the PARs, chrY females
# '.', chrM haploid, chr-prefixed contigs) and is split by bcftools into one file per chromosome,
# imported together by a shell glob (chr10 before chr2, chrM before chrX). The same calls are also
# imported renamed without "chr" by bcftools as one BCF per chromosome, one import command each (same
# cohort), and as plink2's numeric codes (23/24/26) in one file: every output is the same bytes.
# Peers: plink2 --autosome (bcms uses autosomes only, not chrX's PARs either, which plink2 after
# --split-par counts) --indep-pairwise, --pca meanimpute, --make-king-table, --king-cutoff, --keep of a
# .fam; GEMMA -gk 1 on the autosomes, -lmm 4 on every chromosome (a haploid ALT is 2 in the bed plink2
# writes, as in bcms), -lmm 4 per chromosome for --loco. Also: chrX never enters the structure
# commands (a store without chrX gives the same bytes), the chrX LMM rows do not depend on the stored
# sex, multi-allelic records written by bcftools (prune lists their rows by CHR:POS:REF:ALT, so that
# --extract selects exactly the kept ones) and records without IDs, per-chromosome files with other
# samples or another order fail naming the file, a sample absent from one chromosome's file is
# missing there (as plink2 on the calls set missing), two centres with overlapping IDs are refused and,
# pooled with --iid-prefix, give the one-store PCs and KING counts, and plink2 --dummy output gives
# plink2's KING counts and PCs.
# Needs plink2, bcftools, gemma.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
for t in plink2 bcftools gemma; do command -v $t >/dev/null || { echo "$t not installed"; exit 1; }; done
EIG="python3 $BCMS_SRC/tests/lib/eigcmp.py"
LMM="python3 $BCMS_SRC/tests/lib/lmmcmp.py"
KCOLS="counts cols=id,nsnp,hethet,ibs0,ibs1,kinship"
F=(--maf 0.01 --geno 0.05) # GEMMA's default filters
CV=(--pheno severity --covar sex,age_onset,PC1)
cd "$T"

# --- the cohort, written by plink2 and split by bcftools -------------------------------------------
"$BCMS" simulate -o s.vcf.gz -n 300 -m 4000 --contigs 10 --sex-chromosomes --seed 83 --fst 0.1 --families 8 \
    --relatives 8 --missing 0.02 --pheno ph.tsv --covar cv.tsv --threads 2 2>/dev/null
# plink2 wants unique IDs and biallelic rows: the simulated records as bcms stores them, CHR:POS:REF:ALT IDs
"$BCMS" import s0.bcms s.vcf.gz -q 2>/dev/null
"$BCMS" view s0.bcms -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o u.vcf.gz
(echo "#IID SEX" && awk 'NR > 1 {print $1, $2}' cv.tsv) >sex.txt
plink2 --vcf u.vcf.gz --update-sex sex.txt --split-par b38 --make-pgen --out p >/dev/null
plink2 --pfile p --export vcf-4.2 bgz --output-chr chrM --out pe >/dev/null
plink2 --pfile p --export vcf-4.2 bgz --output-chr 26 --out pn >/dev/null
bcftools index pe.vcf.gz
CHRS=$(bcftools index -s pe.vcf.gz | cut -f1)
printf 'chr%s\t%s\n' 1 1 2 2 3 3 4 4 5 5 6 6 7 7 8 8 9 9 10 10 X X Y Y M MT >strip.txt
for c in $CHRS; do
    bcftools view -r "$c" pe.vcf.gz -Oz -o "pe.$c.vcf.gz"
    bcftools annotate --rename-chrs strip.txt "pe.$c.vcf.gz" -Ob -o "pb.$c.bcf"
done
males=$(awk '$2 == 1' sex.txt | wc -l)
haploid_ok() { # plink2 wrote chrX males haploid outside the PARs, diploid inside, chrY females '.'
    local hap='{h = 0; for (i = 1; i < NF; i++) if ($i !~ /[\/|]/) h++; c[h]++} END {for (h in c) print h, c[h]}'
    [ "$(bcftools query -r chrX:2781480-155701382 -f '[%GT\t]\n' pe.vcf.gz | awk -F'\t' "$hap")" = "$males $nxa" ] &&
        [ "$(bcftools query -r chrX:10001-2781479 -f '[%GT\t]\n' pe.vcf.gz | awk -F'\t' "$hap")" = "0 $nxp" ] &&
        [ "$(bcftools query -r chrY -f '[%GT\t]\n' pe.vcf.gz | awk -F'\t' "$hap")" = "300 $(awk '$1 == "Y"' p.pvar | wc -l)" ]
}
nxa=$(awk '$1 == "X"' p.pvar | wc -l) nxp=$(awk '$1 == "PAR1"' p.pvar | wc -l)
check "plink2's VCF: chrX males ($males) haploid outside the PARs ($nxa), diploid in PAR1 ($nxp), chrY all haploid or '.'" haploid_ok

"$BCMS" import a.bcms pe.chr*.vcf.gz -q 2>/dev/null # the glob's order: chr1 chr10 chr2 ... chrM chrX chrY
for c in $CHRS; do "$BCMS" import b.bcms "pb.$c.bcf" --cohort pb -q 2>/dev/null; done
"$BCMS" import n.bcms pn.vcf.gz -q 2>/dev/null
"$BCMS" import o.bcms pe.chr[0-9]*.vcf.gz -q 2>/dev/null # the autosomes only
for s in a b n; do "$BCMS" pheno $s.bcms ph.tsv >/dev/null 2>&1; done
for s in a n; do "$BCMS" pheno $s.bcms cv.tsv >/dev/null 2>&1; done
"$BCMS" pheno b.bcms cv.tsv --columns age_onset,PC1 >/dev/null 2>&1 # no sex: chrX's LMM rows must not need it
contigs() { "$BCMS" info "$1" | awk -F'\t' '$1 == "dataset" {for (i = 1; i <= NF; i++) if ($i ~ /^contigs=/) {
    gsub(/\(as [^)]*\)/, "", $i); sub("contigs=", "", $i); n = split($i, a, ","); for (j = 1; j <= n; j++) print a[j]}}' | sort -V; }
want=$(awk '!/^#/ {c = $1; if (c ~ /^PAR/) c = "X"; n[c]++} END {for (c in n) print c ":" n[c]}' p.pvar | sort -V)
check "a.bcms (glob of per-chromosome VCFs): plink2's contigs and variant counts" test "$(contigs a.bcms)" = "$want"
check "b.bcms (12 BCFs, 12 imports, no chr): the same" test "$(contigs b.bcms)" = "$want"
check "b.bcms: one cohort of 12 datasets, the same people" \
    test "$("$BCMS" info b.bcms | awk '$1 == "shared_samples" && $4 == 300' | wc -l)" -ge 11

# --- prune: plink2 --indep-pairwise on the autosomes (plink2 also prunes chrX/Y/M; bcms does not) ---
plink2 --vcf pe.vcf.gz --update-sex sex.txt --autosome --indep-pairwise 50 5 0.2 --out pp >/dev/null
plink2 --vcf pe.vcf.gz --update-sex sex.txt --split-par b38 --indep-pairwise 50 5 0.2 --out ppall >/dev/null
for s in a b n o; do "$BCMS" prune $s.bcms --window 50 --step 5 --r2 0.2 -o $s.prune.in --threads 2 2>$s.prune.log; done
check "prune: kept and removed lists equal plink2 --autosome --indep-pairwise 50 5 0.2" \
    sh -c 'cmp pp.prune.in a.prune.in && cmp pp.prune.out a.prune.out'
check "prune: plink2 without --autosome keeps chrX variants too (the lists differ)" \
    sh -c '! cmp -s ppall.prune.in a.prune.in && grep -q "^X:" ppall.prune.in && ! grep -q "^X:" a.prune.in'
nx=$(awk '!/^#/ && ($1 ~ /^(X|Y|MT|PAR)/)' p.pvar | wc -l)
check "prune: says it left the $nx chrX/Y/M variants out" grep -q "^\[bcms info\] $nx variants on chrX, chrY, chrM" a.prune.log

# --- pca: plink2 --pca 10 meanimpute ----------------------------------------------------------------
# plink2 set up as it asks (--split-par b38) counts the PARs (its XY) as autosomal in KING and PCA, and
# leaves only X, Y and MT out; bcms leaves the whole of chrX out (README): plink2 --autosome is that
plink2 --vcf pe.vcf.gz --update-sex sex.txt --autosome --pca 10 meanimpute --make-king-table $KCOLS \
    --out pk >/dev/null
plink2 --vcf pe.vcf.gz --autosome --king-cutoff 0.0884 --out pkc >/dev/null # (it would drop samples from the PCA)
plink2 --vcf pe.vcf.gz --update-sex sex.txt --split-par b38 --make-king-table $KCOLS --out pkpar >/dev/null
for s in a b n o; do "$BCMS" pca $s.bcms --pcs 10 -o $s.pc --threads 2 2>/dev/null; done
check "pca: eigenvectors |r| > 0.9999, eigenvalues 5e-6 of plink2's" $EIG a.pc.eigenvec pk.eigenvec a.pc.eigenval pk.eigenval 5e-6 0.9999
digits_ok() { # each eigenvalue within half a unit of plink2's sixth printed digit
    paste "$1" "$2" | awk '{e = int(log($2) / log(10)); if ($2 < 1) e--; u = 10 ^ (e - 5); d = $1 - $2; if (d < 0) d = -d;
        if (d > 0.5 * u * (1 + 1e-9)) bad++} END {exit bad > 0 || NR != 10}'
}
check "pca: eigenvalues rounded to 6 digits are plink2's" digits_ok a.pc.eigenval pk.eigenval

# --- kinship: plink2 --make-king-table counts ---------------------------------------------------------
for s in a b n o; do "$BCMS" kinship $s.bcms -o $s.kin --threads 2 2>/dev/null; done
"$BCMS" kinship a.bcms -o a.kin2 --unrelated a.unrel 2>/dev/null
same_counts() { # plink2 table, bcms table, first column compared (up to 7)
    paste <(cut -f1-7 "$1") <(cut -f1-7 "$2") |
        awk -F'\t' -v f="$3" '{for (i = f; i <= 7; i++) if ($i != $(i + 7)) {d++; break}} END {exit d > 0 || NR < 2}'
}
nsnp_ok() { # plink2's sparse-variant NSNP quirk (README, kinship): bcms lower by at most 3, in few pairs
    paste <(cut -f3 "$1") <(cut -f3 "$2") |
        awk 'NR > 1 {d = $1 - $2; if (d < 0 || d > 3) bad++; if (d) n++} END {exit bad > 0 || n > (NR - 1) / 20}'
}
kin_ok() {
    paste "$1" "$2" | awk -F'\t' 'NR > 1 {m = $6 < $7 ? $6 : $7; k = 0.5 - (4 * $5 + $6 + $7) / (4 * ($4 + m));
        d = k - $16; if (d < 0) d = -d; if (d > 1e-9) bad++} END {exit bad > 0}'
}
check "kinship: the same pairs in the same order as plink2" cmp <(cut -f1,2 pk.kin0) <(cut -f1,2 a.kin)
check "kinship: HETHET IBS0 HET1_HOM2 HET2_HOM1 equal plink2's" same_counts pk.kin0 a.kin 4
check "kinship: NSNP within plink2's quirk" nsnp_ok pk.kin0 a.kin
check "kinship: KINSHIP to 1e-9 of the formula on plink2's counts" kin_ok pk.kin0 a.kin
check "kinship --unrelated: plink2 --king-cutoff 0.0884's samples" cmp <(sort pkc.king.cutoff.in.id) <(sort a.unrel)
npar=$(awk '$1 ~ /^PAR/' p.pvar | wc -l)
check "kinship: plink2 --split-par without --autosome uses the $npar PAR variants too (IBS0 differs)" \
    bash -c "! cmp -s <(cut -f5 pkpar.kin0) <(cut -f5 a.kin)"

# --keep with a PLINK .fam (FID 0, as plink2 --make-bed writes it): the same samples as plink2's --keep
plink2 --vcf pe.vcf.gz --autosome --make-just-fam --out kf >/dev/null
awk 'NR % 3' kf.fam >k.fam
plink2 --vcf pe.vcf.gz --autosome --keep k.fam --pca 5 meanimpute --make-king-table $KCOLS --out kk >/dev/null
"$BCMS" pca a.bcms --keep k.fam --pcs 5 -o kk.pc 2>/dev/null
"$BCMS" kinship a.bcms --keep k.fam -o kk.kin 2>/dev/null
check "--keep a .fam: pca equals plink2 --keep" $EIG kk.pc.eigenvec kk.eigenvec kk.pc.eigenval kk.eigenval 5e-6 0.9999
check "--keep a .fam: kinship of the same pairs as plink2's" cmp <(cut -f1,2 kk.kin0) <(cut -f1,2 kk.kin)
check "--keep a .fam: kinship counts equal plink2's" same_counts kk.kin0 kk.kin 4

# --- grm: GEMMA -gk 1 on the autosomes ----------------------------------------------------------------
plink2 --vcf pe.vcf.gz --update-sex sex.txt --autosome --make-bed --out ga >/dev/null
awk '{$6 = 1; print}' ga.fam >ga.fam.t && mv ga.fam.t ga.fam # -gk uses the samples with a phenotype
# chrX as written (no --split-par: males' PAR calls stay diploid in the bed GEMMA reads)
plink2 --vcf pe.vcf.gz --update-sex sex.txt --make-bed --out gx >/dev/null 2>&1
awk '{$6 = 1; print}' gx.fam >gx.fam.t && mv gx.fam.t gx.fam
gemma -bfile ga -gk 1 -o gk >/dev/null 2>&1
gemma -bfile gx -gk 1 -o gkx >/dev/null 2>&1
for s in a b n o; do "$BCMS" grm $s.bcms --centred "${F[@]}" -o $s.grm.txt --threads 2 2>$s.grm.log; done
close() { # A B tol: every entry within tol
    paste "$1" "$2" | awk -v t="$3" '{n = NF / 2; for (i = 1; i <= n; i++) {d = $i - $(i + n); if (d < 0) d = -d; if (d > t) bad++}} END {exit bad > 0 || NR != 300}'
}
nv=$(awk '/number of analyzed SNPs/ {print $NF}' output/gk.log.txt)
check "grm: GEMMA's $nv autosomal variants" grep -q "$nv variants" a.grm.log
check "grm: --centred equals GEMMA -gk 1 on the autosomes (1e-9)" close a.grm.txt output/gk.cXX.txt 1e-9
check "grm: GEMMA -gk 1 with chrX/Y/M in its bed differs (bcms leaves them out)" sh -c '! paste a.grm.txt output/gkx.cXX.txt |
    awk "{n = NF / 2; for (i = 1; i <= n; i++) {d = \$i - \$(i + n); if (d < 0) d = -d; if (d > 1e-6) bad++}} END {exit bad > 0}"'

# --- every spelling and store layout: the same bytes ----------------------------------------------------
for s in b n; do
    for f in prune.in prune.out pc.eigenval kin grm.txt; do
        check "$s.bcms $f: a.bcms's bytes" cmp a.$f $s.$f
    done
done
check "n.bcms pc.eigenvec: a.bcms's bytes" cmp a.pc.eigenvec n.pc.eigenvec
# the exact GRM's fixed-point sub-blocks follow the reader's batches, which end where a dataset
# does: 12 datasets may move the last bits (~1e-13), so the eigenvectors to 1e-11
vec_close() {
    paste "$1" "$2" | awk 'NR > 1 {n = NF / 2; if ($1 != $(n + 1)) bad++; for (i = 2; i <= n; i++) {d = $i - $(i + n); if (d < 0) d = -d; if (d > 1e-11) bad++}}
        END {exit bad > 0 || NR != 301}'
}
check "b.bcms pc.eigenvec: a.bcms's to 1e-11" vec_close a.pc.eigenvec b.pc.eigenvec
for f in prune.in pc.eigenvec pc.eigenval kin grm.txt; do
    check "autosomes-only store: $f the same bytes (chrX/Y/M never mixed in)" cmp a.$f o.$f
done

# --- bcftools-written records: multi-allelic (one ID for the rows bcms splits them into), no IDs ------
bcftools norm -m+any pe.vcf.gz -Oz -o ma.vcf.gz 2>/dev/null # the biallelic rows of a site joined again
nma=$(bcftools view -H ma.vcf.gz | awk '$5 ~ /,/' | wc -l)
bcftools norm -m-any ma.vcf.gz 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o mas.vcf.gz
plink2 --vcf mas.vcf.gz --autosome --indep-pairwise 50 5 0.2 --pca 10 meanimpute --make-king-table $KCOLS --out mas >/dev/null
"$BCMS" import ma.bcms ma.vcf.gz -q 2>/dev/null
"$BCMS" prune ma.bcms --window 50 --step 5 --r2 0.2 -o ma.prune.in 2>ma.prune.log
"$BCMS" pca ma.bcms --pcs 10 -o ma.pc 2>/dev/null
"$BCMS" kinship ma.bcms -o ma.kin 2>/dev/null
check "multi-allelic ($nma records): pca equals plink2 on bcftools norm -m- of them" \
    $EIG ma.pc.eigenvec mas.eigenvec ma.pc.eigenval mas.eigenval 5e-6 0.9999
check "multi-allelic: kinship counts equal plink2's" same_counts mas.kin0 ma.kin 4
# the split rows share the record's ID: listed as CHR:POS:REF:ALT (plink2's IDs here), so that
# --extract brings back the kept rows only (it brought back 45 pruned ones when the ID was listed)
check "multi-allelic: prune lists equal plink2's, split rows as CHR:POS:REF:ALT" \
    sh -c 'sed "s/^chr//" mas.prune.in | cmp - ma.prune.in && sed "s/^chr//" mas.prune.out | cmp - ma.prune.out'
nin=$(wc -l <ma.prune.in)
"$BCMS" pca ma.bcms --extract ma.prune.in --pcs 2 -o max 2>max.log || true
check "multi-allelic: --extract of the kept list selects its $nin variants, no pruned one" grep -q " $nin variants:" max.log
bcftools annotate -x ID pe.chr1.vcf.gz -Oz -o noid.vcf.gz
plink2 --vcf noid.vcf.gz --set-all-var-ids '@:#:$r:$a' --indep-pairwise 50 5 0.2 --out noidp >/dev/null
"$BCMS" import noid.bcms noid.vcf.gz -q 2>/dev/null
"$BCMS" prune noid.bcms --window 50 --step 5 --r2 0.2 -o noid.prune.in 2>/dev/null
check "IDs '.': prune lists CHR:POS:REF:ALT, plink2's with --set-all-var-ids @:#:\$r:\$a" \
    sh -c 'sed "s/^chr//" noidp.prune.in | cmp - noid.prune.in && sed "s/^chr//" noidp.prune.out | cmp - noid.prune.out'
nin=$(wc -l <noid.prune.in)
"$BCMS" pca noid.bcms --extract noid.prune.in --pcs 2 -o noidx 2>noidx.log || true
check "IDs '.': --extract of the kept list selects its $nin variants" grep -q " $nin variants:" noidx.log
bcftools view noid.vcf.gz | awk '/^#/ {print; next} {print; if (++n == 10) print}' | bgzip >dup.vcf.gz
"$BCMS" import dup.bcms dup.vcf.gz -q 2>/dev/null
if "$BCMS" prune dup.bcms -o dup.prune.in 2>err.txt; then fail "a duplicated record without ID: prune accepted"
else check "a duplicated record without ID: prune says no list could name it, writes nothing" \
    sh -c 'grep -q "cannot be told apart by an --extract list" err.txt && [ ! -e dup.prune.in ]'; fi

# --- lmm: GEMMA -lmm 4 on every chromosome, on the same GRM -----------------------------------------
# GEMMA's phenotype is the .fam's sixth column; -miss 1: bcms's --geno counts chrY over males (README,
# selection), GEMMA over everyone, and per variant nothing else depends on the filter
awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' ph.tsv gx.fam >gl.fam
ln -sf gx.bed gl.bed && ln -sf gx.bim gl.bim
awk 'NR == FNR {if (FNR > 1) c[$1] = "1 " $2 " " $3 " " $4; next} {print c[$2]}' cv.tsv gl.fam >cov.txt
gemma -bfile gl -k a.grm.txt -c cov.txt -lmm 4 -miss 1 -o l3 >/dev/null 2>&1
"$BCMS" assoc a.bcms --model lmm "${CV[@]}" "${F[@]}" -o a.lmm.tsv --threads 2 2>/dev/null
"$BCMS" assoc n.bcms --model lmm "${CV[@]}" "${F[@]}" -o n.lmm.tsv --threads 1 2>/dev/null
check "lmm: equals GEMMA -lmm 4 (BETA/SE 1e-5, p 1e-4)" $LMM output/l3.assoc.txt a.lmm.tsv 1e-5 1e-4
sub() { awk -F'\t' -v c="$2" 'NR == 1 || $1 == c' "$1"; }
for c in X Y MT; do
    nc=$(sub a.lmm.tsv $c | tail -n +2 | wc -l)
    sub output/l3.assoc.txt $c >g.$c.txt && sub a.lmm.tsv $c >b.$c.tsv
    check "lmm: chr$c ($nc rows) equals GEMMA on the bed's calls (haploid ALT 2)" \
        bash -c "[ $nc -gt 5 ] && $LMM g.$c.txt b.$c.tsv 1e-5 1e-4"
done
check "lmm: numeric contig codes store: a.bcms's bytes" cmp a.lmm.tsv n.lmm.tsv
# without a stored sex column: the same numbers wherever both test (the filters' chrX counts need sex)
"$BCMS" assoc a.bcms --model lmm --pheno severity --covar age_onset,PC1 "${F[@]}" -o a.nosex.tsv 2>/dev/null
"$BCMS" grm b.bcms --centred "${F[@]}" 2>/dev/null
"$BCMS" assoc b.bcms --model lmm --pheno severity --covar age_onset,PC1 "${F[@]}" -o b.nosex.tsv 2>/dev/null
same_rows() {
    awk -F'\t' 'NR == FNR {r[$1 FS $2 FS $3] = $0; next} ($1 FS $2 FS $3) in r {n++; if (r[$1 FS $2 FS $3] != $0) bad++}
        END {exit bad > 0 || n < 2000}' "$1" "$2"
}
check "lmm: chrX rows the same with and without the sex column (rows both test)" same_rows a.nosex.tsv b.nosex.tsv

# --- lmm --loco: GEMMA per chromosome with -gk 1 of the other autosomes --------------------------------
A=(--model lmm --loco "${CV[@]}" "${F[@]}")
"$BCMS" grm a.bcms --centred "${F[@]}" 2>/dev/null
"$BCMS" assoc a.bcms "${A[@]}" -o a.loco.tsv --threads 2 2>/dev/null
"$BCMS" grm n.bcms --centred "${F[@]}" 2>/dev/null
"$BCMS" assoc n.bcms "${A[@]}" -o n.loco.tsv --threads 2 2>/dev/null
check "--loco: numeric contig codes store: a.bcms's bytes" cmp a.loco.tsv n.loco.tsv
awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' ph.tsv ga.fam >gla.fam
ln -sf ga.bed gla.bed && ln -sf ga.bim gla.bim
head -1 output/l3.assoc.txt >gemma.loco.txt
for c in 1 2 10; do # 10: after 1 in the glob, and last in the store
    awk -F'\t' -v c=$c 'NR > 1 && $1 ~ /^[0-9]+$/ && $1 != c {print $3}' a.loco.tsv >not$c.txt
    awk -F'\t' -v c=$c 'NR > 1 && $1 == c {print $3}' a.loco.tsv >on$c.txt
    gemma -bfile ga -gk 1 -snps not$c.txt -o k$c >/dev/null 2>&1
    gemma -bfile gla -k output/k$c.cXX.txt -c cov.txt -lmm 4 -snps on$c.txt -o a$c >/dev/null 2>&1
    tail -n +2 output/a$c.assoc.txt >>gemma.loco.txt
done
awk -F'\t' 'NR == 1 || $1 == 1 || $1 == 2 || $1 == 10' a.loco.tsv >a.loco3.tsv
check "--loco on chromosomes 1, 2, 10: equals GEMMA -lmm 4 with each one's -gk 1 GRM" $LMM gemma.loco.txt a.loco3.tsv 1e-5 1e-4
check "--loco: chrX/Y/MT get the plain lmm's rows" \
    diff <(awk -F'\t' '$1 == "X" || $1 == "Y" || $1 == "MT"' a.loco.tsv) <(awk -F'\t' '$1 == "X" || $1 == "Y" || $1 == "MT"' a.lmm.tsv)

# --- per-chromosome files that do not agree on their samples ------------------------------------------
bcftools query -l pe.chr2.vcf.gz >s.txt
(sed -n 2p s.txt && sed -n 1p s.txt && tail -n +3 s.txt) >sr.txt
sed 5d s.txt >sd.txt # S0005 absent
bcftools view -S sr.txt pe.chr2.vcf.gz -Oz -o r.chr2.vcf.gz
bcftools view -S sd.txt pe.chr2.vcf.gz -Oz -o d.chr2.vcf.gz
if "$BCMS" import x.bcms pe.chr1.vcf.gz r.chr2.vcf.gz -q 2>err.txt; then fail "reordered samples in one import accepted"
else check "reordered samples: error names the file and the sample" grep -q "r.chr2.vcf.gz: sample column 1 is 'S0002'" err.txt; fi
if "$BCMS" import x.bcms pe.chr1.vcf.gz d.chr2.vcf.gz -q 2>err.txt; then fail "a sample missing from one file accepted"
else check "a file lacking a sample: error names it" grep -q "d.chr2.vcf.gz: sample column 5 is 'S0006'" err.txt; fi
check "no store left after those errors" [ ! -e x.bcms ]
"$BCMS" import y.bcms $(ls pe.chr*.vcf.gz | grep -v chr2) --cohort c -q 2>/dev/null
if "$BCMS" import y.bcms d.chr2.vcf.gz --cohort c2 -q 2>err.txt; then fail "overlapping IIDs accepted without --same-samples"
else check "overlapping IIDs in another import: refused, naming the file and the flags" \
    grep -q "d.chr2.vcf.gz: 299 of its 299 sample names are already in dataset 0.*--same-samples.*--iid-prefix" err.txt; fi
"$BCMS" import y.bcms d.chr2.vcf.gz --cohort c --same-samples -q 2>/dev/null
# the samples of chr2's file in another order, imported by a command of its own: the same people
"$BCMS" import w.bcms $(ls pe.chr*.vcf.gz | grep -v chr2) --cohort c -q 2>/dev/null
if "$BCMS" import w.bcms r.chr2.vcf.gz --cohort c -q 2>err.txt; then fail "reordered samples, same cohort: taken silently"
else check "reordered samples in a later import: asks for --same-samples" grep -q "r.chr2.vcf.gz: 300 of its 300.*--same-samples" err.txt; fi
"$BCMS" import w.bcms r.chr2.vcf.gz --cohort c --same-samples -q 2>/dev/null
"$BCMS" kinship w.bcms -o w.kin 2>/dev/null
"$BCMS" pca w.bcms --pcs 10 -o w.pc 2>/dev/null
"$BCMS" grm w.bcms --centred "${F[@]}" -o w.grm.txt 2>/dev/null
check "reordered chr2 with --same-samples: kinship, GRM and eigenvalues a.bcms's bytes" \
    sh -c 'cmp w.kin a.kin && cmp w.grm.txt a.grm.txt && cmp w.pc.eigenval a.pc.eigenval'
check "... eigenvectors to 1e-11" vec_close a.pc.eigenvec w.pc.eigenvec
# plink2 on the whole file with S0005's chr2 calls set missing (S0005 is the 14th column)
bcftools view pe.vcf.gz | awk 'BEGIN {OFS = "\t"} /^#/ {print; next} $1 == "chr2" {$14 = "./."} {print}' | bgzip >m.vcf.gz
plink2 --vcf m.vcf.gz --update-sex sex.txt --autosome --pca 10 meanimpute --make-king-table $KCOLS --out pm >/dev/null
"$BCMS" pca y.bcms --pcs 10 -o y.pc 2>/dev/null
"$BCMS" kinship y.bcms -o y.kin 2>/dev/null
check "S0005 absent from chr2's file: pca equals plink2 with its chr2 calls missing" \
    $EIG y.pc.eigenvec pm.eigenvec y.pc.eigenval pm.eigenval 5e-6 0.9999
check "S0005 absent from chr2's file: kinship counts equal plink2's" same_counts pm.kin0 y.kin 4
check "... and NSNP" nsnp_ok pm.kin0 y.kin
check "S0005's pairs have fewer jointly called variants than in a.bcms" \
    test "$(awk -F'\t' '$1 == "S0005" || $2 == "S0005" {s += $3} END {print s}' y.kin)" -lt \
    "$(awk -F'\t' '$1 == "S0005" || $2 == "S0005" {s += $3} END {print s}' a.kin)"

# two centres whose sample IDs overlap (different people): refused, then pooled with --iid-prefix; the
# pooled store is a.bcms's samples (the second centre's renamed), so its PCs and KING counts are a.bcms's
bcftools query -l pe.vcf.gz >all.txt
head -150 all.txt >cA.txt && tail -150 all.txt >cB.txt
bcftools view -S cA.txt pe.vcf.gz -Oz -o cA.vcf.gz
bcftools view -S cB.txt pe.vcf.gz | bcftools reheader -s <(paste -d' ' cB.txt cA.txt) | bcftools view -Oz -o cB.vcf.gz
"$BCMS" import pool.bcms cA.vcf.gz -q 2>/dev/null
if "$BCMS" import pool.bcms cB.vcf.gz -q 2>err.txt; then fail "a second centre with the same IDs accepted"
else check "a second centre with the same IDs: refused, naming the file" grep -q "cB.vcf.gz: 150 of its 150 sample names" err.txt; fi
"$BCMS" import pool.bcms cB.vcf.gz --iid-prefix B_ -q 2>/dev/null
"$BCMS" pca pool.bcms --pcs 10 -o pool.pc 2>/dev/null
"$BCMS" kinship pool.bcms -o pool.kin 2>/dev/null
unprefix='function m(s) {return s ~ /^B_S/ ? sprintf("S%04d", substr(s, 4) + 150) : s}'
awk -v OFS='\t' "$unprefix"' {$1 = m($1); print}' pool.pc.eigenvec >pool.pc.m.eigenvec
check "--iid-prefix pool of two centres: a.bcms's PCs" $EIG pool.pc.m.eigenvec a.pc.eigenvec pool.pc.eigenval a.pc.eigenval 1e-9 0.99999999
pairs() { awk -F'\t' -v OFS='\t' "$unprefix"' NR > 1 {a = m($1); b = m($2); if (a > b) {t = a; a = b; b = t} print a, b, $3, $4, $5}' "$1" | sort; }
check "--iid-prefix pool: a.bcms's NSNP, HETHET and IBS0 for every pair" cmp <(pairs pool.kin) <(pairs a.kin)

# --- plink2 --dummy: genotypes bcms did not make --------------------------------------------------------
# --seed: plink2 --dummy draws from the clock otherwise; seed 4's cohort has pairs hit by plink2's NSNP quirk
plink2 --dummy 200 2000 0.03 acgt --seed 4 --output-chr chrM --export vcf bgz --out d >/dev/null
plink2 --vcf d.vcf.gz --make-king-table $KCOLS --pca 5 meanimpute --out dk >/dev/null
"$BCMS" import d.bcms d.vcf.gz -q 2>/dev/null
"$BCMS" kinship d.bcms -o d.kin 2>/dev/null
"$BCMS" pca d.bcms --pcs 5 -o d.pc 2>/dev/null
check "plink2 --dummy (3% missing): the same pairs in the same order as plink2" cmp <(cut -f1,2 dk.kin0) <(cut -f1,2 d.kin)
check "plink2 --dummy: HETHET IBS0 HET1_HOM2 HET2_HOM1 equal plink2's" same_counts dk.kin0 d.kin 4
check "plink2 --dummy: NSNP within plink2's quirk" nsnp_ok dk.kin0 d.kin
check "plink2 --dummy: the quirk is exercised (some NSNP differ)" bash -c "! cmp -s <(cut -f3 dk.kin0) <(cut -f3 d.kin)"
check "plink2 --dummy: pca equals plink2's" $EIG d.pc.eigenvec dk.eigenvec d.pc.eigenval dk.eigenval 5e-6 0.9999
finish
