#!/usr/bin/env bash
# test_lmm.sh: `bcms assoc --model lmm` equals GEMMA -lmm 4 live on a simulated cohort with families,
# cryptic relatives and an isolate, on the same GRM (bcms grm, handed to GEMMA with -k), without and
# with covariates, with samples missing the phenotype (GEMMA re-centres K over the analysed ones):
# BETA/SE to 1e-5, Wald/LRT/score p to 1e-4 relative; same bytes at 1 and 2 threads; a plain linear
# scan of the same trait is inflated where the LMM is not. Needs plink2 (GEMMA's bed) and gemma.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v gemma >/dev/null && command -v plink2 >/dev/null || { echo "gemma/plink2 not installed"; exit 1; }
CMP="python3 $BCMS_SRC/tests/lib/lmmcmp.py"
cd "$T"
"$BCMS" simulate -o c.vcf.gz -n 400 -m 3000 --seed 61 --families 10 --relatives 10 --pheno ph.tsv --covar cv.tsv \
    --threads 2 2>/dev/null
"$BCMS" import c0.bcms c.vcf.gz 2>/dev/null
"$BCMS" view c0.bcms -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o u.vcf.gz
"$BCMS" import c.bcms u.vcf.gz 2>/dev/null
"$BCMS" pheno c.bcms ph.tsv 2>/dev/null
"$BCMS" pheno c.bcms cv.tsv 2>/dev/null
"$BCMS" grm c.bcms --maf 0.01 --geno 0.05 -o k.txt 2>/dev/null

plink2 --vcf u.vcf.gz --make-bed --out g >/dev/null
# GEMMA's phenotype is the .fam's sixth column (-9: missing, not analysed); covariates with the intercept
awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' ph.tsv g.fam >g.fam.t
mv g.fam.t g.fam
awk 'NR == FNR {if (FNR > 1) c[$1] = "1 " $2 " " $3 " " $4; next} {print c[$2]}' cv.tsv g.fam >cov.txt
gemma -bfile g -k k.txt -lmm 4 -o l0 >/dev/null 2>&1
gemma -bfile g -k k.txt -c cov.txt -lmm 4 -o l3 >/dev/null 2>&1

"$BCMS" assoc c.bcms --model lmm --pheno severity --maf 0.01 --geno 0.05 -o b0.tsv --threads 2 2>/dev/null
"$BCMS" assoc c.bcms --model lmm --pheno severity --covar sex,age_onset,PC1 --maf 0.01 --geno 0.05 -o b3.tsv \
    --threads 2 2>/dev/null
"$BCMS" assoc c.bcms --model lmm --pheno severity --covar sex,age_onset,PC1 --maf 0.01 --geno 0.05 -o b3t1.tsv \
    --threads 1 2>/dev/null
check "no covariates: equals GEMMA -lmm 4" $CMP output/l0.assoc.txt b0.tsv 1e-5 1e-4
check "three covariates: equals GEMMA -lmm 4" $CMP output/l3.assoc.txt b3.tsv 1e-5 1e-4
check "1 and 2 threads: same bytes" cmp b3.tsv b3t1.tsv
check "scan log names the model" grep -q "^model	lmm" b3.tsv.log
# the columns every model has: LOG10P = -log10 P, COVAR_DROPPED (no per-variant drops in the LMM)
check "LOG10P = -log10 P and COVAR_DROPPED on every row" awk -F'\t' 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i
    if (!c["LOG10P"] || c["COVAR_DROPPED"] != NF) exit 1; next}
    $c["COVAR_DROPPED"] != "." {exit 1}
    $c["P"] != "NA" {d = -log($c["P"]) / log(10) - $c["LOG10P"]; if (d > 1e-5 * (1 + $c["LOG10P"]) || -d > 1e-5 * (1 + $c["LOG10P"])) exit 1; n++}
    END {exit !(n > 1000)}' b3.tsv

# Calibration: the isolate shifts severity, so a plain linear scan is inflated; the LMM is not.
"$BCMS" assoc c.bcms --model linear --pheno severity --maf 0.01 --geno 0.05 -o lin.tsv 2>/dev/null
lam() { awk -F'\t' '$1 == "pheno" {for (i = 1; i <= NF; i++) if ($i ~ /^lambda_gc=/) {sub("lambda_gc=", "", $i); print $i}}' "$1"; }
ll=$(lam lin.tsv.log); lm=$(lam b0.tsv.log)
check "lambda GC: linear $ll > LMM $lm, LMM within [0.85, 1.1]" awk -v a="$ll" -v b="$lm" 'BEGIN {exit !(a > b && b > 0.85 && b < 1.1)}'
if "$BCMS" assoc c.bcms --model lmm --pheno severity --grm nosuch -o x.tsv 2>err.txt; then fail "unknown GRM accepted"
else check "unknown GRM: clear error naming the stored ones" grep -q "no GRM named 'nosuch'.*stored: default" err.txt; fi
finish
