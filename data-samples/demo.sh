#!/usr/bin/env bash
# The main job on the sample cohorts, from a fresh Debian machine: install what is missing, build,
# import both cohorts into one store, summarise it, and run the scans, printing their top hits.
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
