#!/usr/bin/env bash
# The exact LMM beside GEMMA in one run: `bcms assoc --model lmm` at 1 and T threads against
# GEMMA 0.98.5 -lmm 4 on the same GRM (made by bcms grm, handed to GEMMA as text with -k) and the
# same variants (MAF >= 1%, missingness <= 5%: GEMMA's default filters), on a simulated structured
# cohort (isolate + mainland, nuclear families, cryptic relatives). GEMMA's wall time includes
# reading the text GRM, as it must to use the same matrix. The three runs alternate REPS times; the
# table gives median seconds, median ratio (GEMMA / bcms of each round) and peak memory
# (/usr/bin/time). The agreement (BETA/SE 1e-5, p 1e-4 relative) is checked on the last round.
# Markdown goes to WORK/lmm.md.
# Usage: benchmarks/lmm.sh [--samples N] [--variants M] [--threads T] [--reps R] [--work DIR]
#        [--test-variants K] (K evenly spaced variants tested, the GRM from all: large n in less time)
#        [--setup-only] (make the cohort, GEMMA's bed and the GRM, then stop)
# GEMMA_CORE=none skips the second GEMMA run (with OPENBLAS_CORETYPE set), e.g. when GEMMA takes an hour.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=3000 M=30000 T=2 R=3 WORK=$top/build/bench_lmm OLD= TV=0 SETUP=0
GEMMA_CORE=${GEMMA_CORE:-SkylakeX}
while [ $# -gt 0 ]; do
    case $1 in
    --samples) N=$2; shift 2 ;; --variants) M=$2; shift 2 ;; --threads) T=$2; shift 2 ;;
    --test-variants) TV=$2; shift 2 ;; --setup-only) SETUP=1; shift ;;
    --reps) R=$2; shift 2 ;; --work) WORK=$2; shift 2 ;; --old) OLD=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
source "$top/benchmarks/lib/cohort.sh"
mkdir -p "$WORK" && cd "$WORK"
t=c$N.$M

# cohort -> store with unique IDs (GEMMA matches on them) -> GEMMA's bed with the phenotype in the .fam
if [ ! -d "$t.bcms" ]; then
    "$BCMS" simulate -o "$t.vcf.gz" -n "$N" -m "$M" --seed 71 --fst 0.05 --families $((N / 40)) \
        --relatives $((N / 40)) --pheno "$t.pheno.tsv" --threads "$T" 2>/dev/null
    unique_store "$t" "$T"
fi
if [ ! -e "$t.bed" ]; then
    plink2 --vcf "$t.u.vcf.gz" --make-bed --threads "$T" --out "$t" >/dev/null
    awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' \
        "$t.pheno.tsv" "$t.fam" >"$t.fam.t" && mv "$t.fam.t" "$t.fam"
fi
[ -e "$t.k.txt" ] || /usr/bin/time -f "grm %e %M" -o grm.time "$BCMS" grm "$t.bcms" --maf 0.01 --geno 0.05 \
    --threads "$T" -o "$t.k.txt" 2>/dev/null
[ "$SETUP" = 1 ] && exit 0

timeit() { # label command...: appends "label round wall peakKB user" to times.txt
    local label=$1; shift
    /usr/bin/time -f "%e %M %U" -o time.txt "$@" >/dev/null 2>cmd.err || { echo "FAILED: $label" >&2; cat cmd.err >&2; exit 1; }
    echo "$label $r $(cat time.txt)" >>times.txt
}
lmm=(assoc "$t.bcms" --model lmm --pheno severity --maf 0.01 --geno 0.05)
G=() # --test-variants K: K evenly spaced variants of those passing the filters are tested (the GRM keeps all)
if [ "$TV" -gt 0 ]; then
    "$BCMS" freq "$t.bcms" --maf 0.01 --geno 0.05 -o "$t.freq.tsv" 2>/dev/null
    awk -v k="$TV" 'NR > 1 {id[++n] = $3} END {s = n / k; for (i = 0; i < k && i < n; i++) print id[int(i * s) + 1]}' \
        "$t.freq.tsv" >"$t.test$TV.ids"
    lmm+=(--extract "$t.test$TV.ids") G=(-snps "$t.test$TV.ids")
fi
: >times.txt
for r in $(seq "$R"); do
    timeit bcms_1t "$BCMS" "${lmm[@]}" --threads 1 -o l1.tsv
    timeit gemma gemma -bfile "$t" -k "$t.k.txt" -lmm 4 "${G[@]}" -o g
    timeit "bcms_${T}t" "$BCMS" "${lmm[@]}" --threads "$T" -o lT.tsv
    [ "$GEMMA_CORE" = none ] || timeit gemma_core env OPENBLAS_CORETYPE="$GEMMA_CORE" gemma -bfile "$t" -k "$t.k.txt" -lmm 4 "${G[@]}" -o gc
    if [ -n "$OLD" ]; then
        timeit old_1t "$OLD" "${lmm[@]}" --threads 1 -o o1.tsv
        timeit "old_${T}t" "$OLD" "${lmm[@]}" --threads "$T" -o oT.tsv
    fi
done
agree=$(python3 "$top/tests/lib/lmmcmp.py" output/g.assoc.txt lT.tsv 1e-5 1e-4 && echo "(within tolerance)" || echo "(OUT OF TOLERANCE)")
agree=$(echo "$agree" | tr '\n' ' ')
same=$(cmp -s l1.tsv lT.tsv && echo "1 and $T threads: same bytes" || echo "1 and $T threads: DIFFERENT")

med() { sort -g | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "NA"}'; }
secs() { awk -v k="$1" '$1 == k {print $3}' times.txt | med; }
user() { awk -v k="$1" '$1 == k {print $5}' times.txt | med; }
mem() { awk -v k="$1" '$1 == k {if ($4 > m) m = $4} END {printf "%.0f", m / 1024}' times.txt; }
ratio() { # per round GEMMA ($2) / bcms ($1) in field $3 (3 wall, 5 user), then the median
    awk -v k="$1" -v gk="$2" -v f="$3" '$1 == k {b[$2] = $f} $1 == gk {g[$2] = $f} END {for (r in b) print g[r] / b[r]}' \
        times.txt | med | awk '{printf "%.2f", $1}'
}
row() { # label key
    echo "| $1 | $(secs "$2") | $(user "$2") | $(mem "$2") | $(ratio "$2" gemma 3) / $(ratio "$2" gemma 5) |" \
        "$(ratio "$2" gemma_core 3) / $(ratio "$2" gemma_core 5) |"
}
{
    echo "lmm.sh: $N samples x $M variants, $R round(s), $(date -u +%F) (shared machine: $(uptime | sed 's/.*load/load/'))"
    echo
    echo "| run | wall s (median) | user s (median) | peak MB | GEMMA / bcms (wall / user) | GEMMA $GEMMA_CORE / bcms (wall / user) |"
    echo "|---|---|---|---|---|---|"
    echo "| GEMMA -lmm 4 -k (Debian OpenBLAS as installed) | $(secs gemma) | $(user gemma) | $(mem gemma) | | |"
    [ "$GEMMA_CORE" = none ] ||
        echo "| GEMMA -lmm 4 -k (OPENBLAS_CORETYPE=$GEMMA_CORE) | $(secs gemma_core) | $(user gemma_core) | $(mem gemma_core) | | |"
    row "bcms assoc --model lmm, 1 thread" bcms_1t
    row "bcms assoc --model lmm, $T threads" "bcms_${T}t"
    if [ -n "$OLD" ]; then
        row "older bcms ($(basename "$OLD")), 1 thread" old_1t
        row "older bcms ($(basename "$OLD")), $T threads" "old_${T}t"
    fi
    echo
    [ -e grm.time ] && echo "    bcms grm (not in the table): $(cut -d' ' -f2 grm.time) s, $(awk '{printf "%.0f", $3 / 1024}' grm.time) MB"
    echo "    $agree"
    echo "    $same"
    if [ -n "$OLD" ]; then
        echo "    older bcms: $(python3 "$top/tests/lib/lmmcmp.py" output/g.assoc.txt oT.tsv 1e-5 1e-4 | tr '\n' ' ')"
    fi
} | tee lmm.md
