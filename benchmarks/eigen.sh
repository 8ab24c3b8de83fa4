#!/usr/bin/env bash
# The LMM's and pca's eigendecomposition alone (benchmarks/eigen.c against build/libbcms.a): LAPACK
# dsyevd on one OpenBLAS thread (bcms' path before queries/structure/eig_tiled.c), eig_tiled.c's
# st_eig_all at 1 and T threads, and optionally (--mt) dsyevd on T OpenBLAS threads (other bits at
# other thread counts: not bcms' rule, for reference). The runs alternate REPS times per size; the
# table gives median wall and CPU seconds of the call, the median ratio (dsyevd / tiled of each round)
# and peak memory of the process (/usr/bin/time; the matrix itself is 8 n^2 bytes). The tiled runs
# must give the same eigenvalue bits at 1 and T threads: checked on every round. OpenBLAS gets the
# kernels bcms' own re-exec picks (cli/cli_blas.c): SkylakeX with AVX-512, Haswell with AVX2.
# Markdown goes to WORK/eigen.md.
# Usage: benchmarks/eigen.sh [--sizes "2000 4000 6000"] [--threads T] [--reps R] [--mt] [--work DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
SIZES="2000 4000 6000" T=2 R=3 MT=0 WORK=$top/build/bench_eigen
while [ $# -gt 0 ]; do
    case $1 in
    --sizes) SIZES=$2; shift 2 ;; --threads) T=$2; shift 2 ;; --reps) R=$2; shift 2 ;;
    --mt) MT=1; shift ;; --work) WORK=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$WORK"
inc=()
for d in "$top"/engine "$top"/loaders "$top"/queries/*/; do inc+=("-I$d"); done
cc -O2 -fopenmp "${inc[@]}" "$top/benchmarks/eigen.c" "$top/build/libbcms.a" -lopenblas -lgsl -lhts -llmdb \
    -lcairo -lfontconfig -ldeflate -lz -lm -lpthread -o "$WORK/eigen"
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi

median_of() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# one run: appends "wall cpu peakKB hash" to WORK/<n>.<name>
run() {
    local n=$1 name=$2 mode=$3 th=$4 out
    out=$(/usr/bin/time -f "%M" -o "$WORK/time.txt" "$WORK/eigen" "$n" "$mode" "$th")
    echo "$out" | awk -v m="$(cat "$WORK/time.txt")" '{ print $10, $12, m, $16 }' >>"$WORK/$n.$name"
}
modes="lapack tiled1 tiledT"
[ "$MT" = 1 ] && modes="$modes lapackT"
{
    echo "| n | step | wall s | CPU s | peak MB | dsyevd / this (wall) |"
    echo "|---|---|---|---|---|---|"
} >"$WORK/eigen.md"
for n in $SIZES; do
    for m in $modes; do : >"$WORK/$n.$m"; done
    for ((r = 1; r <= R; r++)); do
        run "$n" lapack lapack 1
        run "$n" tiled1 tiled 1
        run "$n" tiledT tiled "$T"
        [ "$MT" = 1 ] && run "$n" lapackT lapack-mt "$T"
        h1=$(tail -1 "$WORK/$n.tiled1" | cut -d' ' -f4) hT=$(tail -1 "$WORK/$n.tiledT" | cut -d' ' -f4)
        [ "$h1" = "$hT" ] || { echo "n $n: tiled eigenvalues differ between 1 and $T threads" >&2; exit 1; }
    done
    for m in $modes; do
        case $m in lapack) label="LAPACK dsyevd, 1 OpenBLAS thread (before)" ;; tiled1) label="eig_tiled, 1 thread" ;;
        tiledT) label="eig_tiled, $T threads" ;; lapackT) label="dsyevd, $T OpenBLAS threads (not reproducible)" ;; esac
        wall=$(cut -d' ' -f1 "$WORK/$n.$m" | median_of) cpu=$(cut -d' ' -f2 "$WORK/$n.$m" | median_of)
        mb=$(cut -d' ' -f3 "$WORK/$n.$m" | median_of | awk '{ printf "%.0f", $1 / 1024 }')
        ratio=$(paste -d' ' "$WORK/$n.lapack" "$WORK/$n.$m" | awk '{ print $1 / $5 }' | median_of)
        printf "| %s | %s | %.2f | %.2f | %s | %.2f |\n" "$n" "$label" "$wall" "$cpu" "$mb" "$ratio" >>"$WORK/eigen.md"
    done
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-default}; $R rounds, medians" >>"$WORK/eigen.md"
cat "$WORK/eigen.md"
