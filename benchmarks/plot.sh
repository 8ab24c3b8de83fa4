#!/usr/bin/env bash
# plot.sh: time `bcms plot manhattan|qq` on a simulated bcms assoc table of N rows (default 10 million,
# 22 chromosomes, uniform p with a few planted hits), plain and gzip, PNG and SVG, and print a Markdown
# table of the median wall time, CPU time, peak memory (/usr/bin/time) and the image size.
# bcms, GPL-3.0-or-later.
#
# Target (issue 9): a few seconds for 10 million rows. No peer plots this many points in comparable
# time here (R's read.table alone takes minutes), so the baseline printed is `zcat | wc -l` of the
# same input: the cost of merely decompressing and reading it.
#
# Usage: benchmarks/plot.sh [-n ROWS] [-r REPS] [-w WORKDIR]   (from the repository root, after the build)
set -euo pipefail
n=10000000 reps=3 work=build/bench-plot
while [ $# -gt 0 ]; do
    case $1 in
    -n) n=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    -w) work=$2; shift 2 ;;
    *) echo "usage: $0 [-n ROWS] [-r REPS] [-w WORKDIR]" >&2; exit 2 ;;
    esac
done
bcms=$(pwd)/build/bcms
[ -x "$bcms" ] || { echo "build first: $bcms not found" >&2; exit 1; }
mkdir -p "$work" && cd "$work"
in=sim$n.tsv
if [ ! -s "$in.gz" ]; then
    echo "simulating $n rows -> $work/$in(.gz)" >&2
    awk -v n="$n" 'BEGIN {
        srand(11); OFS = "\t"
        print "CHROM", "POS", "ID", "REF", "ALT", "A1", "A1_FREQ", "N", "TEST", "BETA", "SE", "STAT", "P"
        per = int(n / 22)
        for (c = 1; c <= 22; c++) {
            pos = 10000; step = 2 * 250e6 * (1 - (c - 1) / 30) / per  # chromosome 1 ~250 Mb, 22 ~75 Mb
            for (i = 0; i < per; i++) {
                pos += 1 + int(rand() * step)
                p = rand(); if (rand() < 1e-5) p = p * 1e-9
                print c, pos, "rs" c "_" i, "A", "G", "G", "0.2", "10000", "ADD", "0.01", "0.02", "0.5", p
            }
        }
    }' > "$in"
    gzip -1 -c "$in" > "$in.gz"
fi
measure() { # label command...: median wall, cpu, peak RSS over reps
    local label=$1 w=() c=() m=()
    shift
    for ((r = 0; r < reps; r++)); do
        /usr/bin/time -f '%e %U %S %M' -o t.out "$@" > /dev/null 2> run.err || { cat run.err >&2; exit 1; }
        read -r e u s k < t.out
        w+=("$e"); c+=("$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')"); m+=("$k")
    done
    med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
    printf '| %s | %s | %s | %.0f |' "$label" "$(med "${w[@]}")" "$(med "${c[@]}")" "$(($(med "${m[@]}") / 1024))"
}
echo "rows: $n; repetitions: $reps (median); machine: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at start"
echo
echo "| run | wall s | cpu s | peak MB | image |"
echo "|---|---|---|---|---|"
echo "$(measure "reading only: zcat to wc -l" bash -c "zcat $in.gz | wc -l") - |"
for f in "$in" "$in.gz"; do
    for k in manhattan.png manhattan.svg qq.png qq.svg; do
        echo "$(measure "${k%%.*} $f -> ${k#*.}" "$bcms" plot "${k%%.*}" "$f" -o "out.$k") $(du -h "out.$k" | cut -f1) |"
    done
done
