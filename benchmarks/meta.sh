#!/usr/bin/env bash
# meta.sh: bcms meta vs GWAMA on three inputs of ROWS rows each, same data, same run.
# Usage: benchmarks/meta.sh [-n ROWS] [-r REPS] [-w WORKDIR] [-b BCMS]
# Inputs are synthetic (awk, fixed seeds): bcms assoc TSV for bcms, GWAMA's MARKERNAME EA NEA BETA SE N
# EAF for GWAMA (the same numbers; about 5% of each file's variants are absent from the others and 10%
# have their alleles swapped; P is a placeholder, the inverse-variance scheme does not read it). Both run fixed + random effects (bcms: IVW, Q, I2, DL; GWAMA -qt -r).
# Each run is one process under /usr/bin/time (wall s, peak RSS KB); the tools alternate which goes
# first; the table shows medians. bcms is also run on a tenth of the rows to show that its memory does
# not grow with the row count. Not a test: it prints numbers.
set -euo pipefail
ROWS=10000000 REPS=3 WORK=build/bench-meta BCMS=build/bcms
while getopts "n:r:w:b:" o; do
    case $o in n) ROWS=$OPTARG ;; r) REPS=$OPTARG ;; w) WORK=$OPTARG ;; b) BCMS=$OPTARG ;; *) exit 2 ;; esac
done
BCMS=$(readlink -f "$BCMS")
command -v GWAMA > /dev/null || { echo "GWAMA not found (Debian package gwama)"; exit 1; }
mkdir -p "$WORK" && cd "$WORK"

gen() { # rows seed out_bcms out_gwama
    awk -v n="$1" -v seed="$2" -v ob="$3" -v og="$4" 'BEGIN {
        srand(seed); split("A C G T", al, " ")
        print "CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tTEST\tBETA\tSE\tSTAT\tP\tERRCODE" > ob
        print "MARKERNAME\tEA\tNEA\tBETA\tSE\tN\tEAF" > og
        per = int(n / 22 / 0.95) + 1; i = 0
        for (c = 1; c <= 22 && i < n; c++) for (j = 1; j <= per && i < n; j++) {
            pos = j * 37 + c
            # a site pool shared by every seed: alleles from the position; each file keeps 95%
            r = al[(pos % 4) + 1]; a = al[((pos + 1 + int(pos / 4)) % 3 + (pos % 4) + 1) % 4 + 1]
            if (a == r) continue
            if (rand() < 0.05) continue
            i++
            f = 0.05 + 0.9 * rand(); se = 0.02 + 0.1 * rand(); b = se * (rand() + rand() + rand() - 1.5) * 2
            ea = a; oa = r
            if (rand() < 0.1) { ea = r; oa = a; b = -b; f = 1 - f }
            z = b / se
            printf "%d\t%d\trs%d_%d\t%s\t%s\t%s\t%.6g\t%d\tADD\t%.8g\t%.8g\t%.8g\t%.6g\t.\n", c, pos, c, pos, oa, ea, ea, f, 5000, b, se, z, 0.5, "" > ob
            printf "%d:%d\t%s\t%s\t%.8g\t%.8g\t%d\t%.6g\n", c, pos, ea, oa, b, se, 5000, f > og
        } }'
}
for s in 1 2 3; do
    [ -s in$s.tsv ] && [ "$(($(wc -l < in$s.tsv) - 1))" = "$ROWS" ] || gen "$ROWS" $s in$s.tsv in$s.gwama
    [ -s small$s.tsv ] || head -n $((ROWS / 10 + 1)) in$s.tsv > small$s.tsv
done
printf 'in1.gwama\nin2.gwama\nin3.gwama\n' > gwama.in
run_bcms() { /usr/bin/time -f '%e %M %U %S' -o "$1" "$BCMS" meta -o "$2" "${@:3}" 2> /dev/null; }
run_gwama() { /usr/bin/time -f '%e %M %U %S' -o "$1" GWAMA -i gwama.in -qt -r -o gwama.out > /dev/null 2>&1; }
: > times.txt
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$REPS"); do
    if [ $((r % 2)) = 1 ]; then run_bcms t bcms.out.tsv in1.tsv in2.tsv in3.tsv; echo "bcms $(cat t)" >> times.txt
                              run_gwama t; echo "gwama $(cat t)" >> times.txt
    else run_gwama t; echo "gwama $(cat t)" >> times.txt
         run_bcms t bcms.out.tsv in1.tsv in2.tsv in3.tsv; echo "bcms $(cat t)" >> times.txt; fi
    run_bcms t bcms.small.tsv small1.tsv small2.tsv small3.tsv; echo "bcms_small $(cat t)" >> times.txt
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
med() { awk -v k="$1" -v c="$2" '$1==k {print (c == "cpu") ? $4 + $5 : $c}' times.txt | sort -g |
    awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
tb=$(med bcms 2) tg=$(med gwama 2) mb=$(med bcms 3) mg=$(med gwama 3) ts=$(med bcms_small 2) ms=$(med bcms_small 3)
cb=$(med bcms cpu) cg=$(med gwama cpu) cs=$(med bcms_small cpu)
# the ratio of each repetition (the two tools ran back to back), then their median
ratio=$(awk '$1=="bcms" {b[++nb]=$2} $1=="gwama" {g[++ng]=$2} END {for (i=1;i<=nb;i++) print g[i]/b[i]}' times.txt |
    sort -g | awk '{v[NR]=$1} END{printf "%.2f", v[int((NR+1)/2)]}')
nb=$(($(wc -l < bcms.out.tsv) - 1)); ng=$(($(wc -l < gwama.out.out) - 1))
echo "bcms meta vs GWAMA: 3 inputs x $ROWS rows, $REPS repetitions (medians), load $load0 -> $load1"
printf '| tool | rows/input | wall s | CPU s (user+sys) | peak RSS MB | variants out |\n|---|---|---|---|---|---|\n'
printf '| bcms meta | %d | %s | %s | %.1f | %d |\n' "$ROWS" "$tb" "$cb" "$(echo "$mb/1024" | bc -l)" "$nb"
printf '| GWAMA -qt -r | %d | %s | %s | %.1f | %d |\n' "$ROWS" "$tg" "$cg" "$(echo "$mg/1024" | bc -l)" "$ng"
printf '| bcms meta | %d | %s | %s | %.1f | |\n' "$((ROWS / 10))" "$ts" "$cs" "$(echo "$ms/1024" | bc -l)"
echo "GWAMA/bcms wall-time ratio, median over repetitions: $ratio; every run in $WORK/times.txt"
