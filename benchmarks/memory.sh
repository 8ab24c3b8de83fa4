#!/usr/bin/env bash
# Peak memory of the read commands against the variant count, at a fixed sample count: the read path
# streams the variants window by window and reads block frames with pread (not through the store's
# map), so peak RSS should stay flat (within 10%) from 100,000 to 10,000,000 variants. For each size
# (default 100 samples x 100k, 1M, 3M, 10M variants) it simulates a cohort, imports it (once more
# under /usr/bin/time: the import commits its blocks every 2 MB), and runs assoc linear / logistic / cox, freq, view, qc, merge (of a linear scan's two chunks) under /usr/bin/time -v, writing a Markdown table of peak RSS
# (MB) and wall time (s), and the ratio of each size's peak to the smallest size's.
# Cost (2 shared cores): simulating and importing 100 x 10M takes ~22 minutes and 2.5 GB of disk (the
# VCF 0.6 GB, the store 0.25 GB), 3M ~6 minutes; the commands then take ~25 minutes at 10M. Stores are
# kept in --work and reused: point --work at a directory outside the tree to build them once.
# --sexcheck adds sexcheck, on a second cohort per size simulated with --sex-chromosomes (chrX holds
# ~4% of its variants, so a short store's chrX stream is shorter than one window).
# Usage: benchmarks/memory.sh [--samples N] [--sizes 100000,1000000,3000000,10000000] [--threads T]
#        [--work DIR] [--memory MB] [--sexcheck] [--structure]   (--memory: passed to every command but view
#        and the structure commands)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=100 SIZES=100000,1000000,3000000,10000000 T=2 WORK=$top/build/bench-memory MEM="" SEX=0 STRUCT=0
while [ $# -gt 0 ]; do
    case $1 in
    --samples) N=$2; shift 2 ;; --sizes) SIZES=$2; shift 2 ;; --threads) T=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;; --memory) MEM="--memory $2"; shift 2 ;; --sexcheck) SEX=1; shift ;; --structure) STRUCT=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
mkdir -p "$WORK" && cd "$WORK"
IFS=, read -r -a sizes <<< "$SIZES"

# peak RSS (MB) and wall seconds of one command
peak() {
    /usr/bin/time -v "$@" > /dev/null 2> time.log || { tail -5 time.log >&2; echo "command failed: $*" >&2; exit 1; }
    awk -F': ' '/Maximum resident set size/{kb=$2} /Elapsed \(wall clock\)/{w=$2}
        END{n=split(w, p, ":"); s=0; for (i=1; i<=n; i++) s=s*60+p[i]; printf "%.1f %.1f", kb/1024, s}' time.log
}

names=("import" "assoc linear" "assoc logistic" "assoc cox" "freq" "view" "qc" "merge")
# --structure adds the structure commands (grm, then the LMM scans on it, plain and --loco; pca exact
# and approximate, kinship, prune)
[ $STRUCT = 1 ] && names+=("grm" "assoc lmm" "assoc lmm --loco" "pca" "pca --approx" "kinship" "prune")
[ $SEX = 1 ] && names+=("sexcheck")
declare -A rss wall
for m in "${sizes[@]}"; do
    c=c${N}x$m
    [ -e $c.vcf.gz ] || "$BCMS" simulate -o $c.vcf.gz --samples "$N" --variants "$m" --seed 11 --pheno $c.pheno.tsv \
        --threads "$T" 2> /dev/null
    [ -d $c.bcms ] || { "$BCMS" import -q --threads "$T" $c.bcms $c.vcf.gz && "$BCMS" pheno $c.bcms $c.pheno.tsv; } \
        2> /dev/null
    S=$c.bcms
    cmds=("$BCMS import -q --threads $T $c.imp.bcms $c.vcf.gz"
          "$BCMS assoc $S --model linear --pheno severity --threads $T -o $c.lin.tsv $MEM"
          "$BCMS assoc $S --model logistic --pheno binary_trait --threads $T -o $c.log.tsv $MEM"
          "$BCMS assoc $S --model cox --time time_to_edss6 --event edss6_event --threads $T -o $c.cox.tsv $MEM"
          "$BCMS freq $S -o $c.freq.tsv $MEM"
          "$BCMS view $S -O b -o $c.view.bcf"
          "$BCMS qc $S --threads $T -o $c.qc.tsv $MEM"
          "$BCMS merge -o $c.merged.tsv $c.lin.1.tsv $c.lin.2.tsv")
    [ $STRUCT = 1 ] && cmds+=("$BCMS grm $S --threads $T -o $c.grm.txt"
          "$BCMS assoc $S --model lmm --pheno severity --threads $T -o $c.lmm.tsv $MEM"
          "$BCMS assoc $S --model lmm --loco --pheno severity --threads $T -o $c.lmmloco.tsv $MEM"
          "$BCMS pca $S --threads $T -o $c.pca"
          "$BCMS pca $S --approx --threads $T -o $c.pcaa"
          "$BCMS kinship $S --threads $T -o $c.kin.tsv"
          "$BCMS prune $S --threads $T -o $c.prune")
    # the two chunks that merge joins (not measured)
    for k in 1 2; do
        [ -e $c.lin.$k.tsv ] || "$BCMS" assoc $S --model linear --pheno severity --threads "$T" --chunk $k/2 \
            -o $c.lin.$k.tsv 2> /dev/null
    done
    if [ $SEX = 1 ]; then
        x=x${N}x$m
        [ -e $x.vcf.gz ] || "$BCMS" simulate -o $x.vcf.gz --samples "$N" --variants "$m" --seed 11 --sex-chromosomes \
            --covar $x.covar.tsv --threads "$T" 2> /dev/null
        [ -d $x.bcms ] || "$BCMS" import -q --threads "$T" $x.bcms $x.vcf.gz 2> /dev/null
        awk 'BEGIN{print "#IID\tSEX"} NR>1{print $1"\t"$2}' $x.covar.tsv > $x.sex.txt
        cmds+=("$BCMS sexcheck $x.bcms --sex-file $x.sex.txt --threads $T -o $x.sexcheck.tsv $MEM")
    fi
    for i in "${!cmds[@]}"; do
        rm -rf $c.imp.bcms # import measures a fresh import of the cohort
        read -r r w <<< "$(peak ${cmds[$i]})"
        rss[$i,$m]=$r wall[$i,$m]=$w
        echo "$m variants: ${names[$i]}: $r MB, $w s" >&2
    done
done

{
    echo "Peak RSS (MB) and wall time (s), $N samples, $T threads${MEM:+, $MEM}; ratio: peak / peak at ${sizes[0]} variants"
    echo
    printf "| command |"; for m in "${sizes[@]}"; do printf " %s variants |" "$m"; done; printf " max ratio |\n"
    printf "|---|"; for m in "${sizes[@]}"; do printf -- "---|"; done; printf -- "---|\n"
    for i in "${!names[@]}"; do
        printf "| %s |" "${names[$i]}"
        for m in "${sizes[@]}"; do printf " %s MB, %s s |" "${rss[$i,$m]}" "${wall[$i,$m]}"; done
        base=${rss[$i,${sizes[0]}]}
        printf " %s |\n" "$(for m in "${sizes[@]}"; do echo "${rss[$i,$m]}"; done | awk -v b="$base" '{r=$1/b; if (r>x) x=r} END{printf "%.2f", x}')"
    done
} | tee memory.md
