#!/usr/bin/env bash
# scaling.sh: how bcms time and peak memory grow with cohort size, beside PLINK 2 where it runs the
# same analysis, in one run. bcms, GPL-3.0-or-later.
#
# Two axes (a full grid would need terabytes of VCF at the largest corner):
#   samples:  1,000 3,000 10,000 30,000 100,000   at a fixed variant count (--fixed-variants, 10,000)
#   variants: 10,000 100,000 1,000,000            at a fixed sample count  (--fixed-samples, 1,000)
# For each cohort (bcms simulate, 3% missing, 5 covariates): import, freq, linear, logistic and Cox
# (and LMM, PCA, kinship, prune when this bcms has them), each beside plink2 (--make-pgen, --freq,
# --glm linear, --glm logistic firth-fallback; --pca, --make-king-table, --indep-pairwise 50 5 0.2);
# the GRM and the LMM beside GEMMA 0.98.5 (-gk 1, then -lmm 4 on its own GRM; bcms grm --centred
# then assoc --model lmm, MAF >= 1% and missingness <= 5% as GEMMA's defaults) for cohorts of at
# most --lmm-max-samples samples (default 10,000: GEMMA's O(n^3) eigendecomposition and its
# single-threaded rotation take hours beyond).
# bcms and plink2 alternate which runs first. Every measurement is /usr/bin/time -f '%e %M' of one
# process (wall seconds, peak RSS). The table (time, peak memory, ratio to the peer) and the fitted
# exponent of time vs samples and vs variants (least squares of log time on log size over the
# axis) go to WORK/scaling.md and WORK/scaling.tsv; PNG plots of time and memory against cohort size
# are drawn with `bcms plot xy` when this bcms has it.
#
# The full run (to 100,000 samples and 1,000,000 variants on 2 threads) takes over an hour, most
# of it simulating and importing the largest cohorts: --quick runs a small grid in a few minutes.
# --replot redraws the table and the plots from WORK/raw.txt of an earlier run, measuring nothing.
# Usage: benchmarks/scaling.sh [--quick] [--threads T] [--work DIR] [--samples "N1 N2 ..."]
#        [--variants "M1 M2 ..."] [--fixed-samples N] [--fixed-variants M] [--lmm-max-samples N]
#        [--pca-exact-max-samples N] [--kinship-max-samples N] [--replot]
# Exact PCA holds the n x n GRM (80 GB at 100,000 samples) in both tools: above
# --pca-exact-max-samples (10,000) only the approximate PCA (bcms pca --approx, plink2 --pca approx)
# runs, as step pca_approx, which runs at every size. Kinship writes the pairs with KINSHIP >= 0.0442
# in both tools (every pair is 5e9 lines at 100,000 samples) and runs up to --kinship-max-samples
# (30,000: its time is quadratic in the samples).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
T=2 WORK=$top/build/scaling
SAMPLES="1000 3000 10000 30000 100000" VARIANTS="10000 100000 1000000" FIXN=1000 FIXM=10000 REPLOT=0 LMMMAX=10000 PCAMAX=10000 KINMAX=30000
while [ $# -gt 0 ]; do
    case $1 in
    --quick) SAMPLES="500 1000 2000 4000" VARIANTS="5000 10000 20000 40000" FIXN=500 FIXM=5000; shift ;;
    --threads) T=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    --samples) SAMPLES=$2; shift 2 ;; --variants) VARIANTS=$2; shift 2 ;;
    --fixed-samples) FIXN=$2; shift 2 ;; --fixed-variants) FIXM=$2; shift 2 ;;
    --lmm-max-samples) LMMMAX=$2; shift 2 ;;
    --pca-exact-max-samples) PCAMAX=$2; shift 2 ;; --kinship-max-samples) KINMAX=$2; shift 2 ;;
    --replot) REPLOT=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
[ $REPLOT = 1 ] || command -v plink2 > /dev/null || { echo "plink2 not found (apt-get install plink2)" >&2; exit 1; }
mkdir -p "$WORK" && cd "$WORK"
[ $REPLOT = 0 ] || [ -s raw.txt ] || { echo "--replot: no $WORK/raw.txt of an earlier run" >&2; exit 1; }
# the usage exits 2, which pipefail would make the pipeline's status: read it first
has_cmd() { local u; u=$("$BCMS" 2>&1 || true); grep -q "^  $1 " <<< "$u"; }
has_xy() { local u; u=$("$BCMS" plot 2>&1 || true); grep -q "plot xy" <<< "$u"; }

# timeit AXIS SIZE_N SIZE_M TOOL STEP command... : one row "axis n m tool step seconds peakKB"
# (TOOL is bcms or the peer's name: plink2, gemma)
timeit() {
    local axis=$1 n=$2 m=$3 tool=$4 step=$5; shift 5
    if /usr/bin/time -f "%e %M" -o t.txt "$@" > /dev/null 2> cmd.err; then
        echo "$axis $n $m $tool $step $(cat t.txt)" >> raw.txt
    else
        echo "FAILED: $tool $step at $n x $m (see $WORK/cmd.err)" >&2
        echo "$axis $n $m $tool $step NA NA" >> raw.txt
    fi
}

# pair STEP BCMS_ARRAY [PEER_ARRAY [PEER_NAME]]: run both, alternating which goes first from one
# pair to the next
npairs=0
pair() {
    local step=$1 peer=${4:-plink2}; local -n b=$2; npairs=$((npairs + 1))
    if [ $# -ge 3 ]; then
        local -n p=$3
        if [ $((npairs % 2)) -eq 0 ]; then
            timeit "$axis" "$n" "$m" bcms "$step" "${b[@]}"; timeit "$axis" "$n" "$m" "$peer" "$step" "${p[@]}"
        else
            timeit "$axis" "$n" "$m" "$peer" "$step" "${p[@]}"; timeit "$axis" "$n" "$m" bcms "$step" "${b[@]}"
        fi
    else
        timeit "$axis" "$n" "$m" bcms "$step" "${b[@]}"
    fi
}

run_cohort() { # axis n m
    axis=$1 n=$2 m=$3
    local c=c_${2}x${3}
    [ -e "$c.vcf.gz" ] || "$BCMS" simulate -o "$c.vcf.gz" --samples "$n" --variants "$m" --seed 7 --missing 0.03 \
        --pheno "$c.pheno.tsv" --covar "$c.covar.tsv" --threads "$T" 2> /dev/null
    rm -rf "$c.bcms" "$c.p".*
    local A=(--pheno-file "$c.pheno.tsv" --covar-file "$c.covar.tsv" --covar sex,age_onset,PC1,PC2,PC3 --threads "$T")
    local P=(--pfile "$c.p" --pheno "$c.pheno.tsv" --covar "$c.covar.tsv" --covar-name sex,age_onset,PC1-PC3
             --covar-variance-standardize --threads "$T" --memory 8000)
    local bi=("$BCMS" import -q --threads "$T" "$c.bcms" "$c.vcf.gz") pi=(plink2 --vcf "$c.vcf.gz" --make-pgen --threads "$T" --out "$c.p")
    pair import bi pi
    local bf=("$BCMS" freq "$c.bcms" --threads "$T" -o "$c.freq.tsv") pf=(plink2 --pfile "$c.p" --freq --threads "$T" --out "$c.pf")
    pair freq bf pf
    local bl=("$BCMS" assoc "$c.bcms" --model linear --pheno severity "${A[@]}" -o "$c.lin.tsv")
    local pl=(plink2 "${P[@]}" --pheno-name severity --glm hide-covar --out "$c.pl")
    pair linear bl pl
    local bg=("$BCMS" assoc "$c.bcms" --model logistic --pheno binary_trait "${A[@]}" -o "$c.log.tsv")
    local pg=(plink2 "${P[@]}" --pheno-name binary_trait --glm hide-covar firth-fallback --out "$c.pg")
    pair logistic bg pg
    local bc=("$BCMS" assoc "$c.bcms" --model cox --time time_to_edss6 --event edss6_event "${A[@]}" -o "$c.cox.tsv")
    pair cox bc
    if has_cmd pca; then
        if [ "$n" -le "$PCAMAX" ]; then
            local bp=("$BCMS" pca "$c.bcms" --pcs 10 --threads "$T" -o "$c.pca")
            local pp=(plink2 --pfile "$c.p" --pca 10 --threads "$T" --memory 16000 --out "$c.pp")
            pair pca bp pp
        fi
        local ba=("$BCMS" pca "$c.bcms" --pcs 10 --approx --threads "$T" -o "$c.pcaa")
        local pa=(plink2 --pfile "$c.p" --pca 10 approx --threads "$T" --memory 16000 --out "$c.ppa")
        pair pca_approx ba pa
    fi
    if has_cmd kinship && [ "$n" -le "$KINMAX" ]; then
        local bk=("$BCMS" kinship "$c.bcms" --min-kinship 0.0442 --threads "$T" -o "$c.kin")
        local pk=(plink2 --pfile "$c.p" --make-king-table --king-table-filter 0.0442 --threads "$T" --out "$c.pk")
        pair kinship bk pk
    fi
    if has_cmd prune; then # LD pruning as plink2 --indep-pairwise 50 5 0.2 (variant-count windows)
        local bq=("$BCMS" prune "$c.bcms" --window 50 --step 5 --r2 0.2 --threads "$T" -o "$c.prune")
        local pq=(plink2 --pfile "$c.p" --indep-pairwise 50 5 0.2 --threads "$T" --out "$c.pq")
        pair prune bq pq
    fi
    if has_cmd grm && command -v gemma > /dev/null && [ "$n" -le "$LMMMAX" ]; then lmm_steps "$c"; fi
    rm -f "$c.p.pgen" "$c.g".* # the largest pgens and beds are not needed again
}

lmm_steps() { # cohort: GEMMA's bed with the phenotype in the .fam, then grm and lmm pairs
    local c=$1 F=(--maf 0.01 --geno 0.05 --threads "$T")
    plink2 --pfile "$c.p" --max-alleles 2 --make-bed --out "$c.g" > /dev/null # GEMMA: biallelic only
    awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' \
        "$c.pheno.tsv" "$c.g.fam" > "$c.g.fam.t" && mv "$c.g.fam.t" "$c.g.fam"
    local bk=("$BCMS" grm "$c.bcms" --centred "${F[@]}") gk=(gemma -bfile "$c.g" -gk 1 -o "$c.g")
    pair grm bk gk gemma
    local bm=("$BCMS" assoc "$c.bcms" --model lmm --pheno severity --pheno-file "$c.pheno.tsv" "${F[@]}" -o "$c.lmm.tsv")
    local gm=(gemma -bfile "$c.g" -k "output/$c.g.cXX.txt" -lmm 4 -o "$c.gl")
    pair lmm bm gm gemma
}

measure() {
    : > raw.txt
    for n in $SAMPLES; do run_cohort samples "$n" "$FIXM"; done
    for m in $VARIANTS; do
        if grep -q "^samples $FIXN $m " raw.txt; then # that cohort was timed on the samples axis: reuse it
            awk -v n="$FIXN" -v m="$m" '$1 == "samples" && $2 == n && $3 == m {$1 = "variants"; print}' raw.txt > raw.txt.add
            cat raw.txt.add >> raw.txt && rm -f raw.txt.add
        else
            run_cohort variants "$FIXN" "$m"
        fi
    done
}
[ $REPLOT = 1 ] || measure

# table: one row per (axis, size, step) with bcms and plink2 side by side; exponents per axis
awk 'BEGIN{OFS="\t"; print "axis","samples","variants","step","bcms_s","bcms_MB","peer_s","peer_MB","ratio","peer"}
     {k=$1 FS $2 FS $3 FS $5; keys[k]=1; w=($4=="bcms")?"bcms":"peer"; t[k,w]=$6; mem[k,w]=$7; if (w=="peer") who[k]=$4}
     END{for (k in keys) {split(k,a,FS); b=t[k,"bcms"]; p=t[k,"peer"];
         bm=(mem[k,"bcms"]=="NA"||mem[k,"bcms"]=="")?"NA":sprintf("%.0f",mem[k,"bcms"]/1024);
         pm=(p==""||mem[k,"peer"]=="NA")?"NA":sprintf("%.0f",mem[k,"peer"]/1024);
         r=(p==""||p=="NA"||b=="NA"||p==0)?"NA":sprintf("%.2f",b/p);
         print a[1],a[2],a[3],a[4],(b==""?"NA":b),bm,(p==""?"NA":p),pm,r,(k in who)?who[k]:"none"}}' raw.txt |
    sort -t$'\t' -k1,1 -k4,4 -k2,2n -k3,3n > scaling.tsv
fit() { # axis column(2 samples, 3 variants) tool-column(5 bcms, 7 peer) step -> exponent
    awk -F'\t' -v ax="$1" -v c="$2" -v tc="$3" -v st="$4" 'NR>1 && $1==ax && $4==st && $tc!="NA" && $tc>0 {
        x=log($c); y=log($tc); n++; sx+=x; sy+=y; sxx+=x*x; sxy+=x*y}
        END{if (n<2) print "NA"; else printf "%.2f", (n*sxy-sx*sy)/(n*sxx-sx*sx)}' scaling.tsv
}
{
echo "## Cohort scaling, $T threads ($(date -u +%Y-%m-%d), $(nproc) cores)"
echo
echo "| axis | samples | variants | step | bcms s | bcms MB | peer | peer s | peer MB | ratio bcms/peer |"
echo "|---|---:|---:|---|---:|---:|---|---:|---:|---:|"
awk -F'\t' 'NR>1{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",$1,$2,$3,$4,$5,$6,$10,$7,$8,$9}' scaling.tsv
echo
echo "| step | peer | bcms exponent vs samples | peer vs samples | bcms exponent vs variants | peer vs variants |"
echo "|---|---|---:|---:|---:|---:|"
for st in $(awk -F'\t' 'NR>1{print $4}' scaling.tsv | sort -u); do
    peer=$(awk -F'\t' -v st="$st" 'NR>1 && $4==st && $10!="none" {print $10; exit}' scaling.tsv)
    echo "| $st | ${peer:-none} | $(fit samples 2 5 "$st") | $(fit samples 2 7 "$st") | $(fit variants 3 5 "$st") | $(fit variants 3 7 "$st") |"
done
} | tee scaling.md

if has_cmd plot && has_xy; then
    for ax in samples variants; do
        col=$([ $ax = samples ] && echo 2 || echo 3)
        other=$([ $ax = samples ] && echo variants || echo samples)
        fixed=$(awk -F'\t' -v ax="$ax" -v c=$((5 - col)) 'NR>1 && $1==ax {v=$c; s=""; while (length(v) > 3) {s="," substr(v, length(v) - 2) s; v=substr(v, 1, length(v) - 3)}; print v s; exit}' scaling.tsv)
        for what in time memory; do
            vc=$([ $what = time ] && echo 5 || echo 6)
            # a step faster than /usr/bin/time's 0.01 s reads 0.00, which has no place on a log axis
            awk -F'\t' -v ax="$ax" -v c="$col" -v v="$vc" 'BEGIN{OFS="\t"; print "series","x","y"}
                NR>1 && $1==ax {for (k=0; k<=2; k+=2) if ($(v+k)!="NA") {
                    if ($(v+k) > 0) print (k ? $10 " " : "bcms ") $4, $c, $(v+k); else zero++}}
                END{if (zero) printf "%d zero value(s) (below the 0.01 s resolution) left out of the log plot\n", zero > "/dev/stderr"}' \
                scaling.tsv > "xy_${ax}_${what}.tsv"
            "$BCMS" plot xy "xy_${ax}_${what}.tsv" --log-x --log-y --xlabel "$ax" \
                --ylabel "$([ $what = time ] && echo 'wall seconds' || echo 'peak RSS, MB')" \
                --title "$what vs $ax ($fixed $other, $T threads)" \
                -o "scaling_${ax}_${what}.png" 2> /dev/null || echo "plot of $ax/$what failed" >&2
        done
    done
    echo "plots: $WORK/scaling_{samples,variants}_{time,memory}.png"
fi
