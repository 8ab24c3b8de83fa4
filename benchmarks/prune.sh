#!/usr/bin/env bash
# prune.sh: bcms prune beside plink2 --indep-pairwise 50 5 0.2 on simulated cohorts of the scaling
# axes, repeated in pairs that alternate which tool goes first: the median of the per-pair wall-time
# ratios bcms/plink2, and each tool's median wall and CPU (user+sys) seconds and peak RSS. (The lists
# differ here: bcms splits the simulated multi-allelic records into biallelic rows, plink2 keeps them
# whole; tests/cli/test_prune.sh checks they are equal where both see the same variants.)
# bcms, GPL-3.0-or-later.
#
# The cohorts are made as scaling.sh makes them (bcms simulate --seed 7 --missing 0.03, imported by
# both tools) and kept in WORK for later runs. Simulating and importing the 100,000-sample cohort
# takes a minute or two; the repetitions then take about a minute.
# Usage: benchmarks/prune.sh [--reps N] [--threads T] [--work DIR] [--cohorts "NxM NxM ..."]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BCMS=${BCMS:-$top/build/bcms} T=2 REPS=5 WORK=$top/build/prune-bench
COHORTS="1000x10000 3000x10000 10000x10000 30000x10000 100000x10000 1000x100000 1000x1000000"
while [ $# -gt 0 ]; do
    case $1 in
    --reps) REPS=$2; shift 2 ;; --threads) T=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --cohorts) COHORTS=$2; shift 2 ;;
    *) echo "prune.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v plink2 > /dev/null || { echo "prune.sh: plink2 not installed" >&2; exit 1; }
mkdir -p "$WORK" && cd "$WORK"
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
run() { # label cmd...: one timed run, "wall cpu peakKB" appended to label.t
    local l=$1; shift
    /usr/bin/time -f '%e %U %S %M' -o "$l.time" "$@" > /dev/null 2>&1
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$l.time" >> "$l.t"
}
echo "| samples x variants | bcms s | plink2 s | ratio (median of pairs) | bcms CPU s | plink2 CPU s | bcms peak MB | plink2 peak MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for c in $COHORTS; do
    n=${c%x*} m=${c#*x} f=c_$c
    if [ ! -e "$f.bcms" ]; then
        "$BCMS" simulate -o "$f.vcf.gz" --samples "$n" --variants "$m" --seed 7 --missing 0.03 --threads "$T" 2> /dev/null
        "$BCMS" import -q --threads "$T" "$f.bcms" "$f.vcf.gz"
        plink2 --vcf "$f.vcf.gz" --make-pgen --threads "$T" --out "$f.p" > /dev/null
    fi
    rm -f b.t p.t
    for i in $(seq "$REPS"); do
        if [ $((i % 2)) = 1 ]; then order="b p"; else order="p b"; fi
        for x in $order; do
            if [ $x = b ]; then run b "$BCMS" prune "$f.bcms" --window 50 --step 5 --r2 0.2 --threads "$T" -o "$f.prune.in"
            else run p plink2 --pfile "$f.p" --indep-pairwise 50 5 0.2 --threads "$T" --out "$f.pq"; fi
        done
    done
    ratio=$(paste -d' ' b.t p.t | awk '{print $1 / $4}' | median)
    printf '| %s x %s | %s | %s | %.2f | %s | %s | %.0f | %.0f |\n' "$n" "$m" \
        "$(cut -d' ' -f1 b.t | median)" "$(cut -d' ' -f1 p.t | median)" "$ratio" \
        "$(cut -d' ' -f2 b.t | median)" "$(cut -d' ' -f2 p.t | median)" \
        "$(cut -d' ' -f3 b.t | median | awk '{print $1 / 1024}')" "$(cut -d' ' -f3 p.t | median | awk '{print $1 / 1024}')"
done
