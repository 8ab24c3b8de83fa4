#!/usr/bin/env bash
# mpi.sh: `mpirun -np 2 bcms assoc --threads 1` against `bcms assoc --threads 2` (one process) on the
# same cohort, for the linear, logistic and Cox scans, alternating which runs first, R repetitions;
# prints the median wall time of each, the median of the paired ratios (MPI / threads of one repetition),
# the CPU seconds (user + sys; for MPI the sum over the ranks: on a shared machine this shows the cost of
# MPI itself where wall times follow the other jobs' load) and peak memory per process
# (/usr/bin/time -v of the rank processes is not available through mpirun: the MPI figure is the sum
# of the ranks' peak RSS, read from each rank's own /usr/bin/time). Checks the outputs are identical.
# "kinship" (in --models, not by default) times `bcms kinship --degree` the same way on the first K samples
# (--kinship-samples, default 3000: the table has K^2/2 rows) of the cohort.
# Usage: benchmarks/mpi.sh [--samples N] [--variants M] [--reps R] [--models "linear logistic cox kinship"]
#        [--kinship-samples K] [--work DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=10000 M=100000 R=3 WORK=$top/build/bench_mpi MODELS="linear logistic cox" KS=3000
while [ $# -gt 0 ]; do
    case $1 in
    --samples) N=$2; shift 2 ;; --variants) M=$2; shift 2 ;; --reps) R=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;; --kinship-samples) KS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$WORK" && cd "$WORK"
c=c_${N}x${M}
[ -e "$c.vcf.gz" ] || "$BCMS" simulate -o "$c.vcf.gz" --samples "$N" --variants "$M" --seed 7 --missing 0.03 \
    --pheno "$c.pheno.tsv" --covar "$c.covar.tsv" --threads 2 2> /dev/null
[ -d "$c.bcms" ] || "$BCMS" import -q --threads 2 "$c.bcms" "$c.vcf.gz"
A=(--pheno-file "$c.pheno.tsv" --covar-file "$c.covar.tsv" --covar sex,age_onset,PC1,PC2,PC3)
: > times.txt
for model in $MODELS; do
    case $model in
    linear) MOD=(--model linear --pheno severity) ;;
    logistic) MOD=(--model logistic --pheno binary_trait) ;;
    cox) MOD=(--model cox --time time_to_edss6 --event edss6_event) ;;
    esac
    CMD=(assoc "$c.bcms" "${MOD[@]}" "${A[@]}")
    if [ "$model" = kinship ]; then
        awk -v k="$KS" 'NR > 1 && NR <= k + 1 {print $1}' "$c.pheno.tsv" > kin.keep
        CMD=(kinship "$c.bcms" --keep kin.keep --degree)
    fi
    for r in $(seq "$R"); do
        for who in $( [ $((r % 2)) -eq 1 ] && echo "thr mpi" || echo "mpi thr"); do
            if [ $who = thr ]; then
                /usr/bin/time -f "%e %M %U %S" -o t.txt "$BCMS" "${CMD[@]}" --threads 2 -o thr.tsv 2> /dev/null
                echo "$model thr $(awk '{printf "%s %s %.2f", $1, $2, $3 + $4}' t.txt)" >> times.txt
            else
                s=$(date +%s.%N)
                # one file per rank: GNU time does not expand %q{...}, so both ranks wrote one file and the
                # "sum" was one rank's; the rank's own environment names its file
                mpirun --oversubscribe --bind-to none -np 2 bash -c '/usr/bin/time -f "%M %U %S" -o "rank.$OMPI_COMM_WORLD_RANK.txt" "$@"' _ \
                    "$BCMS" "${CMD[@]}" --threads 1 -o mpi.tsv 2> /dev/null
                e=$(date +%s.%N)
                [ -s rank.0.txt ] && [ -s rank.1.txt ] || { echo "no peak RSS from both ranks" >&2; exit 1; }
                echo "$model mpi $(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.2f", e - s}') $(cat rank.*.txt | awk '{s+=$1; c+=$2+$3} END{printf "%d %.2f", s, c}')" >> times.txt
                rm -f rank.*.txt
            fi
        done
    done
    cmp -s thr.tsv mpi.tsv && echo "$model: outputs identical" || { echo "$model: OUTPUTS DIFFER" >&2; exit 1; }
done
med() { sort -n | awk '{a[NR]=$1} END{print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
{
echo "## MPI: 2 ranks x 1 thread vs 1 process x 2 threads, $N samples x $M variants (kinship: $KS samples), $R reps, $(nproc) cores"
echo
echo "| scan | 2 threads s (median) | 2 ranks s (median) | ratio MPI/threads (median of pairs) | threads CPU s | ranks CPU s (sum) | threads peak MB | ranks peak MB (sum) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for model in $MODELS; do
    t=$(awk -v m=$model '$1==m && $2=="thr"{print $3}' times.txt | med)
    p=$(awk -v m=$model '$1==m && $2=="mpi"{print $3}' times.txt | med)
    tm=$(awk -v m=$model '$1==m && $2=="thr"{print $4}' times.txt | med)
    pm=$(awk -v m=$model '$1==m && $2=="mpi"{print $4}' times.txt | med)
    tc=$(awk -v m=$model '$1==m && $2=="thr"{print $5}' times.txt | med)
    pc=$(awk -v m=$model '$1==m && $2=="mpi"{print $5}' times.txt | med)
    # the ratio of each repetition's pair (run back to back), then their median: drift hits both alike
    ratio=$(awk -v m=$model '$1==m {k[$2]++; v[$2, k[$2]]=$3} END{for (i=1; i<=k["thr"]; i++) printf "%.4f\n", v["mpi", i] / v["thr", i]}' times.txt | med)
    echo "| $model | $t | $p | $(awk -v r="$ratio" 'BEGIN{printf "%.2f", r}') | $tc | $pc | $(awk -v k="$tm" 'BEGIN{printf "%.0f", k/1024}') | $(awk -v k="$pm" 'BEGIN{printf "%.0f", k/1024}') |"
done
} | tee mpi.md
