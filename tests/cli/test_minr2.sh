#!/usr/bin/env bash
# --minr2 X, the imputation-quality filter of the read commands (freq, view, qc, assoc), from the INFO/R2
# stored at import: on an imputed-style VCF (INFO/R2 added with bcftools annotate, some rows without one,
# as typed markers) the variants kept equal `bcftools view -i 'INFO/R2>=X || INFO/R2="."'`; rows without
# R2 are counted in a warning; a store without any R2 is an error, not a silent no-op; in a pool of two
# cohorts a variant is dropped when either rates it below X (as --maf applies in each cohort).
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o s.vcf.gz --samples 300 --variants 800 --seed 3 --pheno s.pheno.tsv 2> /dev/null
bcftools norm -m- s.vcf.gz 2>/dev/null | bcftools annotate -I '%CHROM:%POS:%REF:%ALT' -Oz -o split.vcf.gz 2>/dev/null
# R2 per record (every 9th without one), a second table for the second cohort
r2tab() { # seed
    bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\n' split.vcf.gz |
        awk -v OFS='\t' -v k="$1" '{n++; print $0, n%9==0 ? "." : sprintf("%.3f", ((n*k)%1000)/1000)}' | bgzip > r2.$1.tab.gz
    tabix -f -s1 -b2 -e2 r2.$1.tab.gz
}
echo '##INFO=<ID=R2,Number=1,Type=Float,Description="Estimated imputation accuracy">' > r2.hdr
r2tab 379
bcftools annotate -a r2.379.tab.gz -c CHROM,POS,REF,ALT,INFO/R2 -h r2.hdr -Oz -o imp.vcf.gz split.vcf.gz 2>/dev/null
"$BCMS" import -q imp.bcms imp.vcf.gz
"$BCMS" pheno imp.bcms s.pheno.tsv 2> /dev/null
key() { awk 'NR>1{print $1":"$2":"$4":"$5}' | LC_ALL=C sort; }
nomiss=$(bcftools view -H -i 'INFO/R2="."' imp.vcf.gz | wc -l)
for x in 0.3 0.8; do
    bcftools view -H -i "INFO/R2>=$x || INFO/R2=\".\"" imp.vcf.gz | cut -f3 | LC_ALL=C sort > b$x.txt
    "$BCMS" freq imp.bcms --minr2 $x -o f$x.tsv 2> f$x.log
    check "freq --minr2 $x keeps what bcftools view -i 'INFO/R2>=$x || INFO/R2=\".\"' keeps ($(wc -l < b$x.txt) of $(bcftools view -H imp.vcf.gz | wc -l))" \
        cmp <(key < f$x.tsv) b$x.txt
    check "  ... and warns that $nomiss variants have no R2" grep -q "$nomiss variants have no imputation quality" f$x.log
    "$BCMS" view imp.bcms --minr2 $x 2> /dev/null | bcftools query -f '%CHROM:%POS:%REF:%ALT\n' | LC_ALL=C sort > v$x.txt
    check "view --minr2 $x: the same rows" cmp v$x.txt b$x.txt
done
"$BCMS" freq imp.bcms --minr2 0.3 --maf 0.05 -o fm.tsv 2> /dev/null
bcftools view -i 'INFO/R2>=0.3 || INFO/R2="."' imp.vcf.gz 2>/dev/null | bcftools view -q 0.05:minor 2>/dev/null |
    bcftools query -f '%ID\n' | LC_ALL=C sort > bm.txt
check "freq --minr2 0.3 --maf 0.05 = bcftools -i R2 | -q 0.05:minor ($(wc -l < bm.txt))" cmp <(key < fm.tsv) bm.txt
# qc and assoc: the same as the listed variants through --extract
key < f0.3.tsv > keep.txt
"$BCMS" qc imp.bcms --minr2 0.3 -o q1.tsv 2> /dev/null
"$BCMS" qc imp.bcms --extract keep.txt -o q2.tsv 2> /dev/null
check "qc --minr2 0.3 = qc --extract (its variants)" cmp q1.tsv q2.tsv
check "  ... and differs from qc over every variant" bash -c "! cmp -s q1.tsv <('$BCMS' qc imp.bcms 2> /dev/null)"
"$BCMS" assoc imp.bcms --model linear --pheno severity --minr2 0.3 -o a1.tsv 2> /dev/null
"$BCMS" assoc imp.bcms --model linear --pheno severity --extract keep.txt -o a2.tsv 2> /dev/null
check "assoc --minr2 0.3 = assoc --extract (its variants)" cmp a1.tsv a2.tsv
check "  ... counted as filtered in the summary" \
    grep -qx "filtered	$(($(bcftools view -H imp.vcf.gz | wc -l) - $(wc -l < b0.3.txt)))" a1.tsv.log

# a store without R2: an error naming the cause, no output
"$BCMS" import -q plain.bcms split.vcf.gz
rc=0; "$BCMS" freq plain.bcms --minr2 0.3 -o x.tsv 2> x.log || rc=$?
check "--minr2 on a store without R2: exit 1 saying so ($(tail -1 x.log | cut -c1-80)...)" \
    bash -c "[ $rc -eq 1 ] && grep -q 'has an imputation quality' x.log && [ ! -e x.tsv ]"
rc=0; "$BCMS" view plain.bcms --minr2 0.3 -o x.vcf 2> x.log || rc=$?
check "  ... view too" bash -c "[ $rc -eq 1 ] && grep -q 'has an imputation quality' x.log && [ ! -e x.vcf ]"
rc=0; "$BCMS" freq imp.bcms --minr2 -1 -o x.tsv 2> /dev/null || rc=$?
check "--minr2 -1 refused" [ $rc -eq 2 ]

# two cohorts with their own R2: a variant must pass in each
bcftools query -l split.vcf.gz | awk 'NR<=150' > a.ids
bcftools query -l split.vcf.gz | awk 'NR>150' > b.ids
r2tab 613
bcftools view -S a.ids split.vcf.gz 2>/dev/null | bcftools annotate -a r2.379.tab.gz -c CHROM,POS,REF,ALT,INFO/R2 -h r2.hdr -Oz -o ca.vcf.gz 2>/dev/null
bcftools view -S b.ids split.vcf.gz 2>/dev/null | bcftools annotate -a r2.613.tab.gz -c CHROM,POS,REF,ALT,INFO/R2 -h r2.hdr -Oz -o cb.vcf.gz 2>/dev/null
"$BCMS" import -q two.bcms ca.vcf.gz --cohort a
"$BCMS" import -q two.bcms cb.vcf.gz --cohort b
for c in a b; do bcftools view -H -i 'INFO/R2>=0.5 || INFO/R2="."' c$c.vcf.gz | cut -f3 | LC_ALL=C sort > k$c.txt; done
"$BCMS" freq two.bcms --minr2 0.5 -o f2.tsv 2> /dev/null
check "two cohorts: --minr2 0.5 keeps the variants both cohorts keep ($(LC_ALL=C comm -12 ka.txt kb.txt | wc -l))" \
    cmp <(key < f2.tsv) <(LC_ALL=C comm -12 ka.txt kb.txt)
# streaming: the filter acts as the variants pass, so chunks and a tiny window give the same rows
"$BCMS" assoc imp.bcms --model linear --pheno severity --minr2 0.3 -o w.tsv 2> /dev/null
"$BCMS" assoc imp.bcms --model linear --pheno severity --minr2 0.3 --memory 0.001 -o wm.tsv 2> /dev/null
check "assoc --minr2 with a window of a few variants (--memory 0.001) = the default window" cmp -s w.tsv wm.tsv
for k in 1 2 3; do "$BCMS" assoc imp.bcms --model linear --pheno severity --minr2 0.3 --chunk $k/3 -o c$k.tsv 2> /dev/null; done
check "assoc --minr2 in three --chunk parts = the whole scan" cmp -s w.tsv <(cat c1.tsv; tail -n +2 c2.tsv; tail -n +2 c3.tsv)
finish
