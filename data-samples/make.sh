#!/usr/bin/env bash
# Regenerate the synthetic sample cohorts of data-samples/ with a built bcms binary.
# Usage: data-samples/make.sh path/to/bcms [OUTDIR]   (OUTDIR defaults to this folder)
# The two cohorts share the site seed (7), the variant count and the contigs, so most of their sites,
# and the planted causal variants, are the same (a few have REF/ALT swapped in one cohort):
# a pooled scan can match them by chrom/pos/ref/alt. Each cohort also gets clinical visit tables
# (patients + visits, the input of `bcms clinical`). tests/cli/test_simulate.sh checks that the
# committed files equal a fresh run of this script.
set -euo pipefail
BCMS=${1:?usage: make.sh path/to/bcms [OUTDIR]}
OUT=${2:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$OUT"

# Sardinian cohort: the isolate only, imputed (GT + DS).
"$BCMS" simulate -o "$OUT/sardinia.vcf.gz" --samples 400 --variants 4000 --seed 1 --site-seed 7 \
    --isolate-frac 1.0 --prefix SAR --ds \
    --pheno "$OUT/sardinia.pheno.tsv" --covar "$OUT/sardinia.covar.tsv" \
    --visits "$OUT/sardinia.visits.tsv" --patients "$OUT/sardinia.patients.tsv" --threads 2

# PROGEMUS: mostly mainland samples, genotyped (GT only).
"$BCMS" simulate -o "$OUT/progemus.vcf.gz" --samples 300 --variants 4000 --seed 2 --site-seed 7 \
    --isolate-frac 0.1 --prefix PRG \
    --pheno "$OUT/progemus.pheno.tsv" --covar "$OUT/progemus.covar.tsv" \
    --visits "$OUT/progemus.visits.tsv" --patients "$OUT/progemus.patients.tsv" --threads 2
