#!/usr/bin/env bash
# test_lmm_sparse.sh: the LMM rotates a variant sparse (its minor-allele carriers and missing calls,
# at most a quarter of the samples) or dense (one dgemm). Both kinds, ALT-major variants (rotated as
# 2 - x) and variants with missing calls (at the mean) must each equal GEMMA -lmm 4, live, on one
# cohort with rare and common variants and extra missing calls; same bytes at 1 and 2 threads.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v gemma >/dev/null && command -v plink2 >/dev/null || { echo "gemma/plink2 not installed"; exit 1; }
CMP="python3 $BCMS_SRC/tests/lib/lmmcmp.py"
cd "$T"
"$BCMS" simulate -o c.vcf.gz -n 500 -m 3000 --seed 83 --families 12 --relatives 12 --pheno ph.tsv --threads 2 2>/dev/null
# unique IDs (GEMMA matches on them); every 4th record loses about 4% of its calls (kept by --geno 0.05)
"$BCMS" import c0.bcms c.vcf.gz 2>/dev/null
"$BCMS" view c0.bcms -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -O v |
    awk 'BEGIN {srand(7); OFS = "\t"} /^#/ {print; next} {r++; if (r % 4 == 0) for (i = 10; i <= NF; i++) if (rand() < 0.04) $i = "./."; print}' |
    bgzip >u.vcf.gz
"$BCMS" import c.bcms u.vcf.gz 2>/dev/null
"$BCMS" pheno c.bcms ph.tsv 2>/dev/null
"$BCMS" grm c.bcms --maf 0.01 --geno 0.05 -o k.txt 2>/dev/null
plink2 --vcf u.vcf.gz --make-bed --out g >/dev/null
awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' ph.tsv g.fam >g.fam.t
mv g.fam.t g.fam
gemma -bfile g -k k.txt -lmm 4 -o l >/dev/null 2>&1
"$BCMS" assoc c.bcms --model lmm --pheno severity --maf 0.01 --geno 0.05 -o b2.tsv --threads 2 2>/dev/null
"$BCMS" assoc c.bcms --model lmm --pheno severity --maf 0.01 --geno 0.05 -o b1.tsv --threads 1 2>/dev/null
check "1 and 2 threads: same bytes" cmp b1.tsv b2.tsv
check "all of GEMMA's variants: equal" $CMP output/l.assoc.txt b2.tsv 1e-5 1e-4

# Each variant's kind from its genotype counts over the analysed samples (those with the phenotype):
# minor-allele carriers + missing <= n / 4 is sparse; ALT-major when hom-ALT outnumbers hom-REF.
awk 'NR > 1 && $2 != "NA" {print "0", $1}' ph.tsv >keep.txt
plink2 --bfile g --keep keep.txt --geno-counts --out gc >/dev/null
awk 'NR > 1 {n = $5 + $6 + $7 + $10; hi = $5 > $7 ? $5 : $7; k = (n - hi) * 4 <= n ? "sparse" : "dense"
    print $2, k, ($7 > $5 ? "altmajor" : "altminor"), ($10 > 0 ? "miss" : "full")}' gc.gcount >kind.txt
subset() { # name awk-condition-on-kind: GEMMA's rows and bcms' rows of those variants
    awk -v c="$2" 'NR == FNR {if ((c == "sparse" && $2 == "sparse") || (c == "dense" && $2 == "dense") ||
        (c == "altmajor" && $2 == "sparse" && $3 == "altmajor") || (c == "miss" && $2 == "sparse" && $4 == "miss")) k[$1] = 1; next}
        FNR == 1 || ($2 in k)' kind.txt output/l.assoc.txt >"g_$1.txt"
    awk -v c="$2" 'NR == FNR {if ((c == "sparse" && $2 == "sparse") || (c == "dense" && $2 == "dense") ||
        (c == "altmajor" && $2 == "sparse" && $3 == "altmajor") || (c == "miss" && $2 == "sparse" && $4 == "miss")) k[$1] = 1; next}
        FNR == 1 || ($3 in k)' kind.txt b2.tsv >"b_$1.tsv"
}
for k in sparse dense altmajor miss; do
    subset "$k" "$k"
    nk=$(($(wc -l <"g_$k.txt") - 1))
    min=$([ "$k" = sparse ] || [ "$k" = dense ] && echo 300 || echo 20)
    check "$k variants: at least $min ($nk) and equal to GEMMA" sh -c "[ $nk -ge $min ] && $CMP g_$k.txt b_$k.tsv 1e-5 1e-4"
done
finish
