#!/usr/bin/env bash
# Association scans, bcms beside its peers in one run, on a simulated cohort (default 10,000 samples x
# 100,000 variants, ~3% missing calls, 5 covariates):
#   bcms assoc --model linear    vs  plink2 --glm (quantitative)
#   bcms assoc --model logistic  vs  plink2 --glm firth-fallback (binary)
#   bcms assoc --model cox       vs  plink2 --glm logistic (the target: a Cox scan no slower than that)
#                                    and R survival::coxph over a sample of variants (per-variant time)
# Each bcms scan at 1 and at N threads (speedup). Prints Markdown tables (also to WORK/assoc.md).
# Usage: benchmarks/assoc.sh [--samples N] [--variants M] [--threads T] [--work DIR] [--vcf FILE --pheno F --covar F]
#        [--r-variants K] [--logistic-pairs R]
# --logistic-pairs R: only the logistic scan beside plink2 --glm firth-fallback, R pairs alternating which
#   runs first; prints each pair's wall and CPU seconds and the median ratios (WORK/logistic_pairs.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=10000 M=100000 T=2 WORK=$top/build/bench VCF="" PHENO="" COVAR="" RK=200 LP=0
while [ $# -gt 0 ]; do
    case $1 in
    --samples) N=$2; shift 2 ;; --variants) M=$2; shift 2 ;; --threads) T=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;; --vcf) VCF=$2; shift 2 ;; --pheno) PHENO=$2; shift 2 ;; --covar) COVAR=$2; shift 2 ;;
    --r-variants) RK=$2; shift 2 ;; --logistic-pairs) LP=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
mkdir -p "$WORK" && cd "$WORK"
if [ -z "$VCF" ]; then
    VCF=$WORK/cohort_${N}x${M}.vcf.gz PHENO=$WORK/cohort_${N}x${M}.pheno.tsv COVAR=$WORK/cohort_${N}x${M}.covar.tsv
    [ -e "$VCF" ] || "$BCMS" simulate -o "$VCF" --samples "$N" --variants "$M" --seed 7 --missing 0.03 \
        --pheno "$PHENO" --covar "$COVAR" --threads "$T"
fi
store=$WORK/assoc.bcms pgen=$WORK/assoc_pgen
[ -d "$store" ] || "$BCMS" import -q --threads "$T" "$store" "$VCF"
[ -e "$pgen.pgen" ] || plink2 --vcf "$VCF" --make-pgen --threads "$T" --out "$pgen" > /dev/null
COV=sex,age_onset,PC1,PC2,PC3

timeit() { # label command... ; appends "label seconds peakKB"
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o time.txt "$@" > /dev/null 2> cmd.err || { echo "FAILED: $label" >&2; cat cmd.err >&2; exit 1; }
    echo "$label $(cat time.txt)" >> times.txt
}
: > times.txt
A=(--pheno-file "$PHENO" --covar-file "$COVAR" --covar $COV)
P=(--pfile "$pgen" --pheno "$PHENO" --covar "$COVAR" --covar-name sex,age_onset,PC1-PC3 --covar-variance-standardize
   --memory 8000)
if [ "$LP" -gt 0 ]; then
    : > pairs.txt
    for r in $(seq "$LP"); do
        for who in $( [ $((r % 2)) -eq 1 ] && echo "plink bcms" || echo "bcms plink"); do
            if [ $who = plink ]; then
                /usr/bin/time -f "%e %U %S" -o t.txt plink2 "${P[@]}" --pheno-name binary_trait --glm hide-covar firth-fallback \
                    --threads "$T" --out pl_log > /dev/null
            else
                /usr/bin/time -f "%e %U %S" -o t.txt "$BCMS" assoc "$store" --model logistic --pheno binary_trait "${A[@]}" \
                    --threads "$T" -o log.tsv 2> /dev/null
            fi
            echo "$r $who $(awk '{printf "%s %.2f", $1, $2 + $3}' t.txt)" >> pairs.txt
        done
    done
    med() { sort -n | awk '{a[NR]=$1} END{print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
    pr() { awk -v f="$1" '{v[$1, $2] = $f} END{for (k = 1; (k, "bcms") in v; k++) printf "%.4f\n", v[k, "bcms"] / v[k, "plink"]}' pairs.txt | med; }
    {
    echo "## Logistic: bcms vs plink2 --glm firth-fallback, $N samples x $M variants, $T threads, $LP pairs"
    echo
    echo "| pair | bcms s | plink2 s | bcms CPU s | plink2 CPU s |"
    echo "|---|---:|---:|---:|---:|"
    awk '{w[$1, $2] = $3; c[$1, $2] = $4; n = $1} END{for (k = 1; k <= n; k++) printf "| %d | %s | %s | %s | %s |\n", k, w[k, "bcms"], w[k, "plink"], c[k, "bcms"], c[k, "plink"]}' pairs.txt
    echo
    echo "Median ratio bcms/plink2: wall $(pr 3 | awk '{printf "%.2f", $1}'), CPU $(pr 4 | awk '{printf "%.2f", $1}')"
    } | tee logistic_pairs.md
    exit 0
fi
timeit plink_linear plink2 "${P[@]}" --pheno-name severity --glm hide-covar --threads "$T" --out pl_lin
timeit bcms_linear "$BCMS" assoc "$store" --model linear --pheno severity "${A[@]}" --threads "$T" -o lin.tsv
timeit bcms_linear_1t "$BCMS" assoc "$store" --model linear --pheno severity "${A[@]}" --threads 1 -o lin1.tsv
timeit plink_logistic plink2 "${P[@]}" --pheno-name binary_trait --glm hide-covar firth-fallback --threads "$T" --out pl_log
timeit bcms_logistic "$BCMS" assoc "$store" --model logistic --pheno binary_trait "${A[@]}" --threads "$T" -o log.tsv
timeit bcms_logistic_1t "$BCMS" assoc "$store" --model logistic --pheno binary_trait "${A[@]}" --threads 1 -o log1.tsv
timeit bcms_cox "$BCMS" assoc "$store" --model cox --time time_to_edss6 --event edss6_event "${A[@]}" --threads "$T" -o cox.tsv
timeit bcms_cox_1t "$BCMS" assoc "$store" --model cox --time time_to_edss6 --event edss6_event "${A[@]}" --threads 1 -o cox1.tsv

# R coxph over RK variants (the first RK of chromosome 1 with MAF >= 1%): per-variant seconds
bcftools view -t 1 -q 0.01:minor "$VCF" 2>/dev/null | bcftools query -f '%ID[\t%GT]\n' |
    awk -v k="$RK" 'NR <= k' > rvar.txt
bcftools query -l "$VCF" > rsamples.txt
cat > cox.R <<RS
suppressMessages(library(survival))
g <- read.table("rvar.txt", sep = "\t", colClasses = "character")
s <- readLines("rsamples.txt")
ph <- read.table("$PHENO", header = TRUE, comment.char = "", sep = "\t"); names(ph)[1] <- "IID"
cv <- read.table("$COVAR", header = TRUE, comment.char = "", sep = "\t"); names(cv)[1] <- "IID"
d <- merge(merge(data.frame(IID = s), ph), cv)
X <- sapply(seq_len(nrow(g)), function(r) {
  gt <- unlist(g[r, -1]); names(gt) <- s
  sapply(strsplit(gt, "[/|]"), function(a) if (any(a == ".")) NA else sum(as.integer(a)))[d\$IID] })
t0 <- proc.time()[["elapsed"]]
for (j in seq_len(ncol(X))) {
  d\$x <- X[, j]
  f <- coxph(Surv(time_to_edss6, edss6_event) ~ x + sex + age_onset + PC1 + PC2 + PC3, data = d)
}
cat(sprintf("%.6f\n", (proc.time()[["elapsed"]] - t0) / ncol(X)))
RS
r_per=$(Rscript cox.R)
nv=$(($(wc -l < cox.tsv) - 1))

get() { awk -v l="$1" -v f="$2" '$1 == l {print $f}' times.txt; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
mb() { awk -v k="$1" 'BEGIN{printf "%.0f", k / 1024}'; }
{
echo "## Association scans: $N samples x $M variants ($nv rows), 5 covariates, $T threads"
echo
echo "| scan | bcms s | peer | peer s | ratio bcms/peer | bcms peak MB | peer peak MB | bcms 1 thread s | speedup 1->$T |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in linear logistic; do
    echo "| $m | $(get bcms_$m 2) | plink2 --glm | $(get plink_$m 2) | $(ratio "$(get bcms_$m 2)" "$(get plink_$m 2)") | $(mb "$(get bcms_$m 3)") | $(mb "$(get plink_$m 3)") | $(get bcms_${m}_1t 2) | $(ratio "$(get bcms_${m}_1t 2)" "$(get bcms_$m 2)") |"
done
echo "| cox | $(get bcms_cox 2) | plink2 --glm logistic | $(get plink_logistic 2) | $(ratio "$(get bcms_cox 2)" "$(get plink_logistic 2)") | $(mb "$(get bcms_cox 3)") | $(mb "$(get plink_logistic 3)") | $(get bcms_cox_1t 2) | $(ratio "$(get bcms_cox_1t 2)" "$(get bcms_cox 2)") |"
echo
bc_per=$(awk -v s="$(get bcms_cox 2)" -v n="$nv" 'BEGIN{printf "%.3g", s / n}')
bc1_per=$(awk -v s="$(get bcms_cox_1t 2)" -v n="$nv" 'BEGIN{printf "%.3g", s / n}')
echo "| Cox seconds per variant | bcms (whole scan incl. setup) | R coxph ($RK variants) | throughput ratio bcms/R |"
echo "|---|---|---|---|"
echo "| $T threads | $bc_per | $r_per | $(awk -v a="$r_per" -v b="$bc_per" 'BEGIN{printf "%.0fx", a / b}') |"
echo "| 1 thread | $bc1_per | $r_per | $(awk -v a="$r_per" -v b="$bc1_per" 'BEGIN{printf "%.0fx", a / b}') |"
} | tee assoc.md
