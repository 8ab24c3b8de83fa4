#!/usr/bin/env bash
# bcms freq equals PLINK 2 --freq (ALT_FREQS, OBS_CT) and bcftools +fill-tags (AC, AN, AF, HWE,
# F_MISSING) on the same input, for a simulated cohort with missing calls and multi-allelic sites.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 500 --variants 3000 --seed 11 --missing 0.04 --threads 2
"$BCMS" import -q c.bcms c.vcf.gz
"$BCMS" freq c.bcms --hardy -o c.freq.tsv
# without --hardy: the same lines without HWE_P and FEMALE_HWE_P; 1 and 2 threads the same bytes
"$BCMS" freq c.bcms -o c.nohwe.tsv
"$BCMS" freq c.bcms --hardy --threads 2 -o c.freq2.tsv
check "--hardy adds HWE_P and FEMALE_HWE_P to the default columns" bash -c "cut -f1-12 c.freq.tsv | cmp - c.nohwe.tsv && head -1 c.freq.tsv | grep -q 'CALL_RATE.HWE_P.FEMALE_HWE_P\$' && [ \$(head -1 c.nohwe.tsv | tr '\t' '\n' | wc -l) -eq 12 ]"
check "freq: same bytes at 1 and 2 threads" cmp c.freq.tsv c.freq2.tsv
# windows of a few variants: each copied out of the reader and formatted by the other threads while the
# next one fills (2 and 3 threads), or formatted in place (1 thread)
for t in 1 2 3; do "$BCMS" freq c.bcms --hardy --threads $t --memory 0.001 -o c.freqw$t.tsv; done
check "freq: same bytes with tiny windows at 1, 2 and 3 threads" \
    bash -c "cmp c.freq.tsv c.freqw1.tsv && cmp c.freq.tsv c.freqw2.tsv && cmp c.freq.tsv c.freqw3.tsv"
# two cohorts pooled (the merge of two datasets at the same positions): the reader's prefetch thread
# (2 and 3 threads) reads both datasets' next sites blocks ahead; the bytes are those of 1 thread
D=$BCMS_SRC/data-samples
"$BCMS" import -q pool.bcms "$D/progemus.vcf.gz" --cohort progemus
"$BCMS" import -q pool.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" freq pool.bcms --hardy -o pool1.tsv
for t in 2 3; do for m in 0.001 16; do "$BCMS" freq pool.bcms --hardy --threads $t --memory $m -o pool$t.$m.tsv; done; done
check "freq of two pooled cohorts: same bytes at 1, 2 and 3 threads, whole and tiny windows" \
    bash -c "for f in pool2.0.001 pool2.16 pool3.0.001 pool3.16; do cmp pool1.tsv \$f.tsv || exit 1; done"
check "  ... every variant of both cohorts (4,076 positions pooled, with multi-allelic rows split)" \
    [ "$(($(wc -l < pool1.tsv) - 1))" -ge 4076 ]
check "one row per biallelic row" [ "$(($(wc -l < c.freq.tsv) - 1))" -eq "$(bcftools norm -m- c.vcf.gz 2>/dev/null | grep -vc '^#')" ]

# bcftools: split like the store, then AC/AN/F_MISSING/HWE per row
bcftools norm -m- c.vcf.gz 2>/dev/null | bcftools +fill-tags -- -t AC,AN,AF,F_MISSING,HWE |
    bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\t%F_MISSING\t%HWE\n' > bcf.tsv
awk 'NR>1{print $1"\t"$2"\t"$4"\t"$5"\t"$7"\t"$8"\t"(1-$12)"\t"$13}' c.freq.tsv > ours.tsv
check "AC, AN equal bcftools +fill-tags" \
    awk 'NR==FNR{k[FNR]=$0; next} {split(k[FNR],a,"\t"); if (a[1]!=$1||a[2]!=$2||a[3]!=$3||a[4]!=$4||a[5]!=$5||a[6]!=$6) {print "row " FNR ": " k[FNR] " vs " $0; exit 1}}' bcf.tsv ours.tsv
check "missing rate equals bcftools F_MISSING (1e-5)" \
    awk 'NR==FNR{k[FNR]=$0; next} {split(k[FNR],a,"\t"); d=a[7]-$7; if (d<0) d=-d; if (d>1e-5) {print "row " FNR ": " a[7] " vs " $7; exit 1}}' bcf.tsv ours.tsv
check "HWE p equals bcftools +fill-tags HWE (1e-4 relative)" \
    awk 'NR==FNR{k[FNR]=$0; next} {split(k[FNR],a,"\t"); d=a[8]-$8; if (d<0) d=-d; if (d>1e-4*($8>1e-300?$8:1e-300) && d>1e-6) {print "row " FNR ": " a[8] " vs " $8; exit 1}}' bcf.tsv ours.tsv

# PLINK 2: ALT_FREQS and OBS_CT per split variant (plink2 reads the split VCF; IDs made unique)
bcftools norm -m- c.vcf.gz 2>/dev/null | bcftools annotate -I '%CHROM:%POS:%REF:%ALT' -Oz -o split.vcf.gz 2>/dev/null
plink2 --vcf split.vcf.gz --freq --out p > /dev/null 2>&1
awk 'NR>1{print $4"\t"$5"\t"$6}' p.afreq > plink.tsv
awk 'NR>1{print $4"\t"$5"\t"$8"\t"$6}' c.freq.tsv > ours2.tsv
check "ALT_FREQ and OBS_CT equal plink2 --freq (printed precision)" \
    awk 'NR==FNR{k[FNR]=$0; next} {split(k[FNR],a,"\t"); if (a[1]!=$1||a[2]!=$2||a[3]+0!=$3+0) {print "row " FNR ": " k[FNR] " vs " $0; exit 1}; d=a[4]-$4; if (d<0) d=-d; if (d>1e-6*(a[4]+1e-12)+1e-9) {print "row " FNR ": " k[FNR] " vs " $0; exit 1}}' \
    <(awk 'NR>1{print $3"\t"$4"\t"$6"\t"$5}' p.afreq) ours2.tsv
finish
