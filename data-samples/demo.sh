#!/usr/bin/env bash
# The main job on the sample cohorts, from a fresh Debian machine: install what is missing, build,
# import both cohorts into one store, summarise it, compute their population structure (KING
# kinship, an unrelated set, genotype PCs of it with the relatives projected, stored as covariates,
# and the GRM), and run the scans (linear, logistic, the exact mixed model, Cox), printing their top
# hits and writing a Manhattan and a QQ plot of each scan beside its table (WORKDIR/*.manhattan.png,
# *.qq.png).
# Usage: bash data-samples/demo.sh [WORKDIR]   (default: build/demo)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$top/build/demo}
bash "$top/tests/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$top/build" -j"$(nproc)"
bcms=$top/build/bcms
data=$top/data-samples
rm -rf "$work" && mkdir -p "$work"
store=$work/ms.bcms

echo "== import the two cohorts into $store"
"$bcms" import "$store" "$data/sardinia.vcf.gz" --cohort sardinia
"$bcms" import "$store" "$data/progemus.vcf.gz" --cohort progemus

echo "== bcms info"
"$bcms" info "$store"

echo "== bcms freq (first rows of the Sardinian cohort)"
"$bcms" freq "$store" -d sardinia -o "$work/sardinia.freq.tsv"
head -5 "$work/sardinia.freq.tsv" | column -t

top_hits() { # file title
    echo "== top hits: $2"
    { head -1 "$1"; awk -F'\t' 'NR > 1 && $13 != "NA"' "$1" | sort -t$'\t' -k13,13g | awk 'NR <= 8'; } |
        cut -f1-5,7,8,10-13 | column -t
    grep -E '^pheno' "$1.log" | sed 's/^/   /'
    local base=${1%.tsv}
    "$bcms" plot manhattan "$1" -o "$base.manhattan.png" --title "$2" 2>&1 | grep -v '^\[bcms info\]' | sed 's/^/   /'
    "$bcms" plot qq "$1" -o "$base.qq.png" --title "$2" 2>&1 | grep -v '^\[bcms info\]' | sed 's/^/   /'
}

echo "== population structure: KING-robust kinship of every pair, an unrelated set"
"$bcms" kinship "$store" --maf 0.01 --degree --min-kinship 0.0884 --unrelated "$work/unrelated.ids" -o "$work/kinship.tsv"
awk -F'\t' 'NR > 1 {c[$NF]++} END {printf "   pairs of 2nd degree or closer: %d (dup %d, 1st %d, 2nd %d)\n", c["dup"] + c["1st"] + c["2nd"], c["dup"], c["1st"], c["2nd"]}' \
    "$work/kinship.tsv"
echo "== principal components of the unrelated samples, the relatives projected (PC-AiR), stored as PC1..PC4"
"$bcms" pca "$store" --maf 0.01 --pcs 4 --project "$work/unrelated.ids" --store -o "$work/pcs"
echo "   eigenvalues: $(paste -sd' ' "$work/pcs.eigenval")"
echo "== genetic relationship matrix (GEMMA -gk 1), stored for the mixed model"
"$bcms" grm "$store" --maf 0.01 --geno 0.05

cat "$data/sardinia.pheno.tsv" <(tail -n +2 "$data/progemus.pheno.tsv") > "$work/pooled.pheno.tsv"
# the simulator's own PC columns are left out: PC1, PC2 are the genotype PCs stored above
cat "$data/sardinia.covar.tsv" <(tail -n +2 "$data/progemus.covar.tsv") | cut -f1-3,8 > "$work/pooled.covar.tsv"
common=(--pheno-file "$work/pooled.pheno.tsv" --covar-file "$work/pooled.covar.tsv" --covar sex,age_onset,PC1,PC2,cohort)

echo "== linear scan of the severity score, both cohorts pooled"
"$bcms" assoc "$store" --model linear --pheno severity "${common[@]}" --maf 0.01 -o "$work/severity.linear.tsv"
top_hits "$work/severity.linear.tsv" "severity (linear)"

echo "== exact linear mixed model scan of the severity score on the stored GRM (as GEMMA -lmm 4)"
"$bcms" assoc "$store" --model lmm --pheno severity --pheno-file "$work/pooled.pheno.tsv" \
    --covar-file "$work/pooled.covar.tsv" --covar sex,age_onset,cohort --maf 0.01 -o "$work/severity.lmm.tsv"
top_hits "$work/severity.lmm.tsv" "severity (LMM)"

echo "== logistic scan of the binary trait"
"$bcms" assoc "$store" --model logistic --pheno binary_trait "${common[@]}" --maf 0.01 -o "$work/binary.logistic.tsv"
top_hits "$work/binary.logistic.tsv" "binary_trait (logistic)"

echo "== clinical progression fields from the EDSS visits of each cohort, stored in the store"
# one cohort at a time, as the registries deliver them: the second is appended to the same columns
"$bcms" clinical "$store" --visits "$data/sardinia.visits.tsv" --patients "$data/sardinia.patients.tsv" \
    -o "$work/sardinia.progression.tsv"
"$bcms" clinical "$store" --visits "$data/progemus.visits.tsv" --patients "$data/progemus.patients.tsv" \
    --append -o "$work/progemus.progression.tsv"
awk -F'\t' 'FNR > 1 {n++; e6 += ($15 == 1); c += ($18 == 1)} END {printf "   %d patients: %d reached sustained EDSS 6, %d had confirmed disability progression\n", n, e6, c}' \
    "$work/sardinia.progression.tsv" "$work/progemus.progression.tsv"

echo "== Cox prognosis scan: time from onset to sustained EDSS 6 (left-truncated at registry entry)"
"$bcms" assoc "$store" --model cox --time edss6_time --event edss6_event --entry edss6_entry \
    --covar-file "$work/pooled.covar.tsv" --covar sex,age_onset,PC1,PC2,cohort --maf 0.01 -o "$work/edss6.cox.tsv"
top_hits "$work/edss6.cox.tsv" "time to EDSS 6 (Cox)"
echo
echo "planted causal variants (synthetic truth):"
column -t "$data/sardinia.pheno.causal.tsv"
