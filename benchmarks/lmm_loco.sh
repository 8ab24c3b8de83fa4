#!/usr/bin/env bash
# Leave-one-chromosome-out LMM beside GEMMA in one run: `bcms assoc --model lmm --loco` against the
# same analysis with GEMMA 0.98.5, which has no LOCO of its own: per chromosome c, `gemma -gk 1 -snps`
# (the other chromosomes' variants) then `gemma -lmm 4 -k` that matrix `-snps` (c's variants); GEMMA's
# time is the sum over the chromosomes. The plain `--model lmm` (one GRM) is timed beside them, so the
# table shows what LOCO costs (one eigendecomposition per chromosome). Simulated structured cohort
# (isolate + mainland, nuclear families, cryptic relatives) on K contigs; the same variants (MAF >= 1%,
# missingness <= 5%: GEMMA's default filters). Runs alternate REPS times; the table gives median seconds,
# the median of the rounds' ratios GEMMA / bcms, peak memory (/usr/bin/time; GEMMA's is its largest
# single run). The agreement (BETA/SE 1e-5, p 1e-4 relative) is checked on the last round. Markdown goes
# to WORK/lmm_loco.md.
# Usage: benchmarks/lmm_loco.sh [--samples N] [--variants M] [--contigs K] [--threads T] [--reps R] [--work DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=2000 M=20000 K=6 T=2 R=3 WORK=$top/build/bench_lmm_loco
while [ $# -gt 0 ]; do
    case $1 in
    --samples) N=$2; shift 2 ;; --variants) M=$2; shift 2 ;; --contigs) K=$2; shift 2 ;;
    --threads) T=$2; shift 2 ;; --reps) R=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
source "$top/benchmarks/lib/cohort.sh"
mkdir -p "$WORK" && cd "$WORK"
t=c$N.$M.$K
F=(--maf 0.01 --geno 0.05)

if [ ! -d "$t.bcms" ]; then
    "$BCMS" simulate -o "$t.vcf.gz" -n "$N" -m "$M" --contigs "$K" --seed 71 --fst 0.05 --families $((N / 40)) \
        --relatives $((N / 40)) --pheno "$t.pheno.tsv" --threads "$T" 2>/dev/null
    unique_store "$t" "$T"
    "$BCMS" grm "$t.bcms" "${F[@]}" --threads "$T" 2>/dev/null
fi
if [ ! -e "$t.bed" ]; then
    plink2 --vcf "$t.u.vcf.gz" --make-bed --threads "$T" --out "$t" >/dev/null
    awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' \
        "$t.pheno.tsv" "$t.fam" >"$t.fam.t" && mv "$t.fam.t" "$t.fam"
    # GEMMA's -gk uses the samples with a phenotype: every sample has one in the kinship's .fam
    ln -sf "$t.bed" "$t.gk.bed" && ln -sf "$t.bim" "$t.gk.bim" && awk '{$6 = 1; print}' "$t.fam" >"$t.gk.fam"
fi

timeit() { # label command...: appends "label round seconds peakKB" to times.txt
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o time.txt "$@" >/dev/null 2>cmd.err || { echo "FAILED: $label" >&2; cat cmd.err >&2; exit 1; }
    echo "$label $r $(cat time.txt)" >>times.txt
}
gemma_loco() { # every chromosome's two GEMMA runs, one "gemma" line with the summed time and the largest peak
    local s=0 p=0 c
    : >g.assoc.txt
    for c in $(seq "$K"); do
        /usr/bin/time -f "%e %M" -o gt.txt gemma -bfile "$t.gk" -gk 1 -snps not$c.txt -o k$c >/dev/null 2>&1
        read -r a b <gt.txt; s=$(awk -v x="$s" -v y="$a" 'BEGIN {print x + y}'); [ "$b" -gt "$p" ] && p=$b
        /usr/bin/time -f "%e %M" -o gt.txt gemma -bfile "$t" -k output/k$c.cXX.txt -lmm 4 -snps on$c.txt -o a$c \
            >/dev/null 2>&1
        read -r a b <gt.txt; s=$(awk -v x="$s" -v y="$a" 'BEGIN {print x + y}'); [ "$b" -gt "$p" ] && p=$b
        if [ "$c" = 1 ]; then cat output/a$c.assoc.txt >>g.assoc.txt; else tail -n +2 output/a$c.assoc.txt >>g.assoc.txt; fi
    done
    echo "gemma $r $s $p" >>times.txt
}
: >times.txt
for r in $(seq "$R"); do
    timeit bcms_loco "$BCMS" assoc "$t.bcms" --model lmm --loco --pheno severity "${F[@]}" --threads "$T" -o loco.tsv
    if [ "$r" = 1 ]; then # GEMMA's variant lists: the scan's rows (the GRM's variants, same filters)
        for c in $(seq "$K"); do
            awk -F'\t' -v c="$c" 'NR > 1 && $1 != c {print $3}' loco.tsv >not$c.txt
            awk -F'\t' -v c="$c" 'NR > 1 && $1 == c {print $3}' loco.tsv >on$c.txt
        done
    fi
    gemma_loco
    timeit bcms_plain "$BCMS" assoc "$t.bcms" --model lmm --pheno severity "${F[@]}" --threads "$T" -o plain.tsv
done
agree=$(python3 "$top/tests/lib/lmmcmp.py" g.assoc.txt loco.tsv 1e-5 1e-4 && echo "(within tolerance)" || echo "(OUT OF TOLERANCE)")
agree=$(echo "$agree" | tr '\n' ' ')

med() { sort -g | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "NA"}'; }
secs() { awk -v k="$1" '$1 == k {print $3}' times.txt | med; }
mem() { awk -v k="$1" '$1 == k {if ($4 > m) m = $4} END {printf "%.0f", m / 1024}' times.txt; }
ratio() { # per round GEMMA / bcms, then the median
    awk -v k="$1" '$1 == k {b[$2] = $3} $1 == "gemma" {g[$2] = $3} END {for (r in b) print g[r] / b[r]}' times.txt | med
}
{
    echo "lmm_loco.sh: $N samples x $M variants on $K contigs, $T threads, $R round(s), $(date -u +%F) (shared machine: $(uptime | sed 's/.*load/load/'))"
    echo
    echo "| run | seconds (median) | peak MB | GEMMA LOCO / bcms (median of rounds) |"
    echo "|---|---|---|---|"
    echo "| GEMMA -gk 1 + -lmm 4 per chromosome (sum) | $(secs gemma) | $(mem gemma) | |"
    echo "| bcms assoc --model lmm --loco | $(secs bcms_loco) | $(mem bcms_loco) | $(ratio bcms_loco) |"
    echo "| bcms assoc --model lmm (one GRM, not LOCO) | $(secs bcms_plain) | $(mem bcms_plain) | $(ratio bcms_plain) |"
    echo
    echo "    $agree"
} | tee lmm_loco.md
