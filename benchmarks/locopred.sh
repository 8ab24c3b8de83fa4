#!/usr/bin/env bash
# Calibration of `bcms assoc --loco-pred` (out-of-sample LOCO polygenic offsets) for logistic and Cox
# scans on a related, structured cohort where the plain scan is inflated.
#
# Cohort: bcms simulate --null (no planted effects) with an isolate (--fst), nuclear families and cryptic
# relatives; then a polygenic liability from CAUSAL variants of chromosomes 1..11 only (MAF >= 5%,
# standardised genotypes, N(0,1) effects; heritability H2) plus an isolate effect, so that every variant
# of chromosomes 12..22 is null but correlated with the trait through relatedness. Binary trait: the
# top PREV of the liability are cases. Time to event: log-hazard = liability, uniform censoring (~50%
# events). PCs: bcms pca --store (PC1..PC4, passed with --covar).
# Scans (--maf 0.01): plain (PCs only); --loco-pred (5-fold cross-validated, offset = the default share of the
# calibrated prediction: logistic 0.5, Cox 0.75; loco50/loco75 give either explicitly); --loco-shrink 1 (the whole prediction, as REGENIE's step 2); the in-sample BLUP
# (--loco-folds 0) whole and halved. Reported over the null variants (chromosomes 12..22, MAF >= 5%): lambda GC and the
# counts of p < 0.01 and p < 0.001 beside the 99.9% binomial bounds of a calibrated scan.
# Markdown goes to WORK/<cohort and trait tag>.md.
# Usage: benchmarks/locopred.sh [--samples N] [--variants M] [--families F] [--relatives R] [--fst X]
#        [--h2 H] [--causal C] [--prev K] [--hazard B] [--models "logistic cox linear"]
#        [--modes "plain loco loco50 loco75 loco1 insample insample5 lmm lmmloco"] [--threads T] [--seed S] [--work DIR]
# --models linear scans the liability itself (quantitative): with modes plain, lmm (--model lmm) and lmmloco
# (--model lmm --loco) it checks the exact mixed model's calibration in the tail the same way.
# (--hazard B: log-hazard = B x liability [1]).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=3000 M=30000 F=600 REL=200 FST=0.05 H2=0.6 C=2000 PREV=0.3 HZ=1 T=2 S=11 WORK=$top/build/bench_locopred
MODELS="logistic cox" MODES="plain loco loco1 insample"
while [ $# -gt 0 ]; do
    case $1 in
    --samples) N=$2; shift 2 ;; --variants) M=$2; shift 2 ;; --families) F=$2; shift 2 ;;
    --relatives) REL=$2; shift 2 ;; --fst) FST=$2; shift 2 ;; --h2) H2=$2; shift 2 ;; --causal) C=$2; shift 2 ;;
    --prev) PREV=$2; shift 2 ;; --hazard) HZ=$2; shift 2 ;; --models) MODELS=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;; --threads) T=$2; shift 2 ;; --seed) S=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
source "$top/benchmarks/lib/cohort.sh"
mkdir -p "$WORK" && cd "$WORK"
tag=n${N}_m${M}_f${F}_r${REL}_s${S}

# genotypes: the store's biallelic rows with unique IDs (CHR:POS:REF:ALT), as benchmarks/structure.sh
if [ ! -d "$tag.bcms" ]; then
    "$BCMS" simulate -o "$tag.vcf.gz" -n "$N" -m "$M" --seed "$S" --null --fst "$FST" --families "$F" \
        --relatives "$REL" --covar "$tag.sim.covar.tsv" --threads "$T" 2> /dev/null
    unique_store "$tag" "$T"
    "$BCMS" pca "$tag.bcms" --pcs 4 --store -o "$tag.pca" --threads "$T" 2> /dev/null
fi
# the polygenic traits
pt=$tag.h${H2}_c${C}_k${PREV}$([ "$HZ" = 1 ] || echo "_b$HZ")
ph=$pt.pheno.tsv
if [ ! -e "$ph" ]; then
    plink2 --vcf "$tag.u.vcf.gz" --chr 1-11 --maf 0.05 --thin-count "$C" --seed "$S" --export A \
        --out "$tag.causal" --threads "$T" > /dev/null
    Rscript - "$tag.causal.raw" "$tag.sim.covar.tsv" "$H2" "$PREV" "$S" "$ph" "$HZ" <<'RS'
a <- commandArgs(TRUE)
set.seed(as.integer(a[5]))
r <- read.table(a[1], header = TRUE, check.names = FALSE)
X <- as.matrix(r[, -(1:6)])
X <- apply(X, 2, function(x) { m <- mean(x, na.rm = TRUE); x[is.na(x)] <- m; (x - m) / sd(x) })
X <- X[, apply(X, 2, function(x) all(is.finite(x)))]
g <- drop(X %*% rnorm(ncol(X))); g <- (g - mean(g)) / sd(g)
cv <- read.table(a[2], header = TRUE, comment.char = "")
iso <- cv$population[match(r$IID, cv[, 1])] == "isolate"
h2 <- as.numeric(a[3]); K <- as.numeric(a[4])
liab <- sqrt(h2) * g + 0.3 * iso + rnorm(length(g), sd = sqrt(1 - h2))
case <- ifelse(liab > quantile(liab, 1 - K), 2, 1)
tt <- rexp(length(g), rate = 0.1 * exp(as.numeric(a[7]) * liab))
cens <- runif(length(g), 0, quantile(tt, 0.8))
tm <- pmin(tt, cens); ev <- as.integer(tt <= cens)
write.table(data.frame("#IID" = r$IID, binary_trait = case, time = signif(tm, 6), event = ev, qt = signif(liab, 6),
                       check.names = FALSE),
            a[6], sep = "\t", quote = FALSE, row.names = FALSE)
cat(sprintf("traits: %d causal variants on chr 1-11, h2 %.2f, %.0f%% cases, %.0f%% events\n", ncol(X), h2,
            100 * mean(case == 2), 100 * mean(ev)))
RS
fi

common=(--pheno-file "$ph" --covar PC1,PC2,PC3,PC4 --maf 0.01 --threads "$T")
# the linear model's lmm/lmmloco modes: GEMMA's GRM (-gk 1 from MAF >= 1%, missingness <= 5%) in the store
case " $MODELS $MODES " in
*" lmm"*) [ -e "$tag.grm.done" ] || { "$BCMS" grm "$tag.bcms" --name all --maf 0.01 --geno 0.05 --threads "$T" && : > "$tag.grm.done"; } ;;
esac
scan() { # model mode out
    local model=$1 mode=$2 out=$3 x=()
    [ -e "$out" ] && return
    case $model in
    logistic) x=(--model logistic --pheno binary_trait) ;;
    cox) x=(--model cox --time time --event event) ;;
    linear) x=(--model linear --pheno qt) ;; # the liability itself, a quantitative trait
    esac
    case $mode in
    plain) ;;
    lmm) x=(--model lmm --pheno qt --grm all) ;;
    lmmloco) x=(--model lmm --pheno qt --grm all --loco) ;;
    loco) x+=(--loco-pred) ;;
    loco1) x+=(--loco-pred --loco-shrink 1) ;;
    loco75) x+=(--loco-pred --loco-shrink 0.75) ;;
    loco50) x+=(--loco-pred --loco-shrink 0.5) ;;
    insample) x+=(--loco-pred --loco-folds 0 --loco-shrink 1) ;;
    insample5) x+=(--loco-pred --loco-folds 0) ;;
    esac
    local t0=$(date +%s.%N)
    "$BCMS" assoc "$tag.bcms" "${x[@]}" "${common[@]}" -o "$out" 2> "$out.err"
    echo "$model $mode: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s" >&2
}
md=$WORK/$pt.md
{
    echo "### --loco-pred calibration ($N samples, $M variants, $F families, $REL cryptic pairs, Fst $FST, h2 $H2, $C causal variants on chr 1-11, prevalence $PREV, log-hazard $HZ x liability, seed $S, $T threads)"
    echo
    echo "Null variants: chromosomes 12-22, MAF >= 5%. Bounds: 99.9% binomial interval of a calibrated scan."
    echo
    echo "| model | offset | lambda GC | null variants | p < 0.01 (bounds) | p < 0.001 (bounds) | seconds |"
    echo "|---|---|---|---|---|---|---|"
} > "$md"
for model in $MODELS; do
    for mode in $MODES; do
        out=$([ "$model" = logistic ] && echo "$tag.h${H2}_c${C}_k${PREV}" || echo "$pt").$model.$mode.tsv
        t0=$(date +%s.%N)
        scan "$model" "$mode" "$out"
        secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
        # P (the lmm's Wald P_WALD) and A1_FREQ by name: the lmm table has other columns
        awk -F'\t' 'NR == 1 {for (i = 1; i <= NF; i++) {if ($i == "P" || $i == "P_WALD") pc = i; if ($i == "A1_FREQ") fc = i}; next}
            $1+0>=12 && $1+0<=22 && $pc!="NA" && $fc>=0.05 && $fc<=0.95 {print $pc}' "$out" > "$out.null"
        Rscript - "$out.null" "$model" "$mode" "$secs" >> "$md" <<'RS'
a <- commandArgs(TRUE)
p <- scan(a[1], quiet = TRUE)
n <- length(p)
lam <- qchisq(median(p), 1, lower.tail = FALSE) / qchisq(0.5, 1)
b <- function(q) sprintf("%d (%d-%d)", sum(p < q), qbinom(0.0005, n, q), qbinom(0.9995, n, q))
cat(sprintf("| %s | %s | %.3f | %d | %s | %s | %s |\n", a[2],
            c(plain = "none (PCs only)", loco = "--loco-pred (5-fold CV, the default shrink: logistic 0.5, Cox 0.75)",
              loco50 = "--loco-pred --loco-shrink 0.5 (5-fold CV)",
              loco1 = "--loco-pred --loco-shrink 1 (5-fold CV, whole prediction, REGENIE-like)",
              loco75 = "--loco-pred --loco-shrink 0.75 (5-fold CV)",
              insample = "--loco-folds 0 --loco-shrink 1 (in-sample BLUP)",
              insample5 = "--loco-folds 0 (in-sample BLUP, shrink 0.5)",
              lmm = "--model lmm (exact LMM, GRM of all chromosomes; Wald p)",
              lmmloco = "--model lmm --loco (GRM without the tested chromosome; Wald p)")[a[3]],
            lam, n, b(0.01), b(0.001), a[4]))
RS
    done
done
cat "$md"
