#!/usr/bin/env bash
# Null calibration: with no planted effects, lambda GC of linear, logistic and Cox scans lies in
# [0.95, 1.05]; for Cox also over the variants with MAF < 1% alone (70% censoring). The median-based
# lambda needs variants whose test is not discrete: MAC >= 20 (below that the p-values take a few
# values and their median says nothing about calibration; the tails of those are checked with the
# saddlepoint approximation in tests/unit/test_cox.c).
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o n.vcf.gz --samples 3000 --variants 30000 --seed 99 --null --pheno n.pheno.tsv --covar n.covar.tsv \
    --threads 2 > /dev/null
"$BCMS" import -q n.bcms n.vcf.gz
lam() { awk -F'\t' '$1=="pheno" {for (i=2;i<=NF;i++) if ($i ~ /^lambda_gc=/) {sub("lambda_gc=","",$i); print $i}}' "$1.log"; }
inrange() { awk -v x="$1" 'BEGIN{exit !(x >= 0.95 && x <= 1.05)}'; }
a=(--pheno-file n.pheno.tsv --covar-file n.covar.tsv --covar sex,age_onset,PC1,PC2 --threads 2)
"$BCMS" assoc n.bcms --model linear --pheno severity --maf 0.01 -o lin.tsv "${a[@]}" 2> /dev/null
"$BCMS" assoc n.bcms --model logistic --pheno binary_trait --maf 0.01 -o log.tsv "${a[@]}" 2> /dev/null
"$BCMS" assoc n.bcms --model cox --time time_to_edss6 --event edss6_event --mac 20 -o cox.tsv "${a[@]}" 2> /dev/null
l=$(lam lin.tsv); check "linear lambda GC $l in [0.95, 1.05]" inrange "$l"
l=$(lam log.tsv); check "logistic lambda GC $l in [0.95, 1.05]" inrange "$l"
l=$(lam cox.tsv); check "Cox lambda GC $l in [0.95, 1.05]" inrange "$l"
cens=$(awk -F'\t' 'NR>1 && $5!="NA" {n++; c+=($5==0)} END{printf "%.2f", c/n}' n.pheno.tsv)
echo "censoring: $cens"
# rare variants only (MAF < 1%, MAC >= 20): median chi-square from the P column
l=$(awk -F'\t' 'NR>1 && $13!="NA" && ($7<0.01 || $7>0.99) {print $13}' cox.tsv | sort -g |
    awk '{p[NR]=$1} END{m=(NR%2)?p[(NR+1)/2]:(p[NR/2]+p[NR/2+1])/2; print m}')
lr=$(Rscript -e "cat(sprintf('%.4f', qchisq($l, 1, lower.tail=FALSE)/qchisq(0.5, 1)))")
check "Cox lambda GC over MAF < 1% variants $lr in [0.95, 1.05]" inrange "$lr"
finish
