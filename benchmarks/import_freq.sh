#!/usr/bin/env bash
# import_freq.sh: time `bcms import` and `bcms freq` beside PLINK 2 on four kinds of VCF in one run,
# and print a Markdown table of times, median ratios, peak memory and sizes. bcms, GPL-3.0-or-later.
#
#   kinds:   sim      bcms simulate (LD, rare-heavy spectrum, phased and unphased calls, 3% missing,
#                     multi-allelic sites)
#            plink2   written by PLINK 2: plink2 --dummy N M 0.01 acgt --export vcf bgz (GT only,
#                     unphased, 1% missing, no LD)
#            bcftools written by bcftools/htslib: bcftools +fill-tags (INFO AC, AN, AF) of the sim VCF
#            imputed  imputation-server style, benchmarks/imputed_vcf.c: INFO AF;R2, FORMAT GT:DS:GP,
#                     phased, no missing; plink2 reads its dosages (--vcf X dosage=DS)
#   import:  bcms import STORE X.vcf.gz --threads T   vs  plink2 --vcf X.vcf.gz --make-pgen --threads T
#   freq:    bcms freq STORE --threads T              vs  plink2 --pfile P --freq --threads T
#            (neither computes HWE: bcms freq does with --hardy, plink2 with --hardy)
#
# Targets (issue 12): import and freq no slower than PLINK 2 on every kind.
#
# Each measurement is `/usr/bin/time -f '%e %M %U %S'` (wall seconds, peak RSS KB, user and system CPU
# seconds) of one process. Every step
# runs R times; within a repetition bcms and plink2 alternate which goes first, so drift on a shared
# machine hits both; the table shows the median time of each and the median of the per-repetition
# ratios (of wall time, and of CPU time user+sys: on a shared machine the CPU ratio is the steadier
# one). Every run starts from no output (a fresh store, no pgen).
#
# Usage: benchmarks/import_freq.sh [options]   (run from the repository root, after the build)
set -euo pipefail

usage() {
    cat <<EOF
Usage: $0 [options]
Make the four kinds of VCF and time bcms import/freq against plink2 on each.

Options:
  -n, --samples N      samples [10000]
  -m, --variants M     variants [100000]
  -t, --threads T      threads for every tool [2]
  -r, --reps R         repetitions per step; medians are reported [3]
  -k, --kinds LIST     comma-separated subset of sim,plink2,bcftools,imputed [all four]
  -s, --steps LIST     import,freq or one of them [both]; freq alone imports each kind once
                       (unless its store and pgen are in the work dir) and times only freq
  -w, --workdir DIR    work directory (VCFs, stores, outputs, logs) [build/bench]
      --bcms PATH      bcms binary [build/bcms]
      --plink2 PATH    plink2 binary [plink2]
      --bcftools PATH  bcftools binary [bcftools]
      --memory MB      plink2 --memory [8000]
  -h, --help           this help
The VCFs are kept in the work dir and reused by later runs with the same parameters.
The table is printed and written to WORKDIR/import_freq.md.
EOF
}

samples=10000
variants=100000
threads=2
reps=3
kinds=sim,plink2,bcftools,imputed
steps=import,freq
workdir=build/bench
bcms=build/bcms
plink2=plink2
bcftools=bcftools
memory=8000

need_arg() { [[ $# -ge 2 && -n $2 ]] || { echo "$0: option $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
    case $1 in
        -n|--samples) need_arg "$@"; samples=$2; shift 2 ;;
        -m|--variants) need_arg "$@"; variants=$2; shift 2 ;;
        -t|--threads) need_arg "$@"; threads=$2; shift 2 ;;
        -r|--reps) need_arg "$@"; reps=$2; shift 2 ;;
        -k|--kinds) need_arg "$@"; kinds=$2; shift 2 ;;
        -s|--steps) need_arg "$@"; steps=$2; shift 2 ;;
        -w|--workdir) need_arg "$@"; workdir=$2; shift 2 ;;
        --bcms) need_arg "$@"; bcms=$2; shift 2 ;;
        --plink2) need_arg "$@"; plink2=$2; shift 2 ;;
        --bcftools) need_arg "$@"; bcftools=$2; shift 2 ;;
        --memory) need_arg "$@"; memory=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$0: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

for v in samples variants threads reps memory; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$0: --$v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
IFS=, read -r -a kind_list <<< "$kinds"
for k in "${kind_list[@]}"; do
    [[ $k =~ ^(sim|plink2|bcftools|imputed)$ ]] || { echo "$0: unknown kind '$k' (sim, plink2, bcftools, imputed)" >&2; exit 2; }
done
[[ $steps =~ ^(import,freq|freq,import|import|freq)$ ]] || { echo "$0: --steps takes import, freq or both, not '$steps'" >&2; exit 2; }
do_import=0 do_freq=0
[[ $steps == *import* ]] && do_import=1
[[ $steps == *freq* ]] && do_freq=1
timer=/usr/bin/time
[[ -x $timer ]] || { echo "$0: $timer not found (Debian package 'time')" >&2; exit 1; }
[[ -x $bcms ]] || { echo "$0: bcms binary '$bcms' not found: build first (cmake --build build) or pass --bcms" >&2; exit 1; }
for t in "$plink2" "$bcftools" bgzip cc; do
    command -v "$t" >/dev/null || { echo "$0: '$t' not found: install it (Debian: plink2, bcftools, tabix, gcc)" >&2; exit 1; }
done
bcms=$(readlink -f "$bcms")
src=$(cd "$(dirname "$0")/.." && pwd)

mkdir -p "$workdir"
workdir=$(readlink -f "$workdir")
logdir=$workdir/logs
mkdir -p "$logdir"
tag=n${samples}_m${variants}

# ---- the input VCFs, each written under a temporary name so an interrupted one is never reused ----
make_vcf() {
    local kind=$1
    local out=$workdir/${kind}_$tag.vcf.gz
    [[ -s $out ]] && { echo "== reusing $out" >&2; return; }
    echo "== making the $kind VCF ($samples x $variants) -> $out" >&2
    rm -f "$out.part.vcf.gz"
    case $kind in
        sim)
            "$bcms" simulate -o "$out.part.vcf.gz" --samples "$samples" --variants "$variants" --seed 7 \
                --missing 0.03 --threads "$threads" 2>"$logdir/make_sim.log" ;;
        plink2)
            "$plink2" --dummy "$samples" "$variants" 0.01 acgt --export vcf bgz --threads "$threads" \
                --memory "$memory" --out "$workdir/dummy_$tag" >"$logdir/make_plink2.log" 2>&1
            mv "$workdir/dummy_$tag.vcf.gz" "$out.part.vcf.gz" ;;
        bcftools)
            make_vcf sim
            # no --threads: bcftools 1.16's +fill-tags crashes at exit with them
            "$bcftools" +fill-tags "$workdir/sim_$tag.vcf.gz" -Oz -o "$out.part.vcf.gz" -- -t AC,AN,AF \
                2>"$logdir/make_bcftools.log" ;;
        imputed)
            cc -O2 -o "$workdir/imputed_vcf" "$src/benchmarks/imputed_vcf.c" -lm
            "$workdir/imputed_vcf" "$samples" "$variants" 7 | bgzip -@ "$threads" > "$out.part.vcf.gz" ;;
    esac
    mv "$out.part.vcf.gz" "$out"
}
for k in "${kind_list[@]}"; do make_vcf "$k"; done

# run NAME CMD...: one timed run; appends "seconds peakKB user sys" to $workdir/NAME.times
run() {
    local name=$1; shift
    local tf=$logdir/$name.time
    if ! "$timer" -f '%e %M %U %S' -o "$tf" "$@" >"$logdir/$name.out" 2>"$logdir/$name.err"; then
        echo "$0: step '$name' failed: $*" >&2
        tail -n 20 "$logdir/$name.err" "$logdir/$name.out" >&2 || true
        exit 1
    fi
    tail -n 1 "$tf" >>"$workdir/$name.times"
}

bcms_import() {
    rm -rf "$workdir/$1.bcms"
    run "$1.bcms_import" "$bcms" import "$workdir/$1.bcms" "$workdir/$1_$tag.vcf.gz" --threads "$threads" -q
}
plink_pgen() {
    local p=$workdir/$1.plink dos=()
    [[ $1 == imputed ]] && dos=(dosage=DS)
    rm -f "$p".pgen "$p".pvar "$p".psam "$p".log
    run "$1.plink2_import" "$plink2" --vcf "$workdir/$1_$tag.vcf.gz" "${dos[@]}" --make-pgen --out "$p" \
        --threads "$threads" --memory "$memory"
}
bcms_freq() {
    rm -f "$workdir/$1.bcms.afreq"
    run "$1.bcms_freq" "$bcms" freq "$workdir/$1.bcms" --threads "$threads" -o "$workdir/$1.bcms.afreq"
}
plink_freq() {
    rm -f "$workdir/$1.plink.freq".*
    run "$1.plink2_freq" "$plink2" --pfile "$workdir/$1.plink" --freq --out "$workdir/$1.plink.freq" \
        --threads "$threads" --memory "$memory"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(loadavg)
rm -f "$workdir"/*.times
if ((!do_import)); then # freq only: the inputs once, untimed (kept from an earlier run when present)
    for k in "${kind_list[@]}"; do
        [[ -s $workdir/$k.bcms/data.mdb ]] || bcms_import "$k"
        [[ -s $workdir/$k.plink.pgen ]] || plink_pgen "$k"
    done
    rm -f "$workdir"/*.times
fi
for ((r = 1; r <= reps; r++)); do
    for k in "${kind_list[@]}"; do
        echo "== repetition $r of $reps: $k" >&2
        if ((do_import)); then
            if ((r % 2)); then bcms_import "$k"; plink_pgen "$k"; else plink_pgen "$k"; bcms_import "$k"; fi
        fi
        # freq reads the store and the pgen of this repetition
        if ((do_freq)); then
            if ((r % 2)); then plink_freq "$k"; bcms_freq "$k"; else bcms_freq "$k"; plink_freq "$k"; fi
        fi
    done
done
load_end=$(loadavg)

# median of a list of numbers, one a line
median_of() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sec() { cut -d' ' -f1 "$workdir/$1.times" | median_of; }
mb() { cut -d' ' -f2 "$workdir/$1.times" | median_of | awk '{ printf "%.0f", $1 / 1024 }'; }
cpu() { awk '{ print $3 + $4 }' "$workdir/$1.times" | median_of; }
# median over repetitions of bcms time / plink2 time (wall), and of bcms CPU / plink2 CPU
ratio() {
    paste -d' ' "$workdir/$1.times" "$workdir/$2.times" |
        awk '{ if ($5 > 0) print $1 / $5 }' | median_of | awk '{ printf "%.2f", $1 }'
}
cpu_ratio() {
    paste -d' ' "$workdir/$1.times" "$workdir/$2.times" |
        awk '{ if ($7 + $8 > 0) print ($3 + $4) / ($7 + $8) }' | median_of | awk '{ printf "%.2f", $1 }'
}
alloc() { stat -c '%b %B' "$1" | awk '{ printf "%.1f", $1 * $2 / 1048576 }'; }
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }
verdict() { awk -v x="$1" 'BEGIN { print (x <= 1 ? "met" : "NOT met") }'; }

md=$workdir/import_freq.md
{
    echo "## bcms import / freq vs PLINK 2 on four kinds of VCF"
    echo
    echo "$samples samples x $variants variants per kind; threads: $threads for both tools; repetitions: $reps (medians; ratio = median of the per-repetition ratios bcms/plink2)."
    echo "Host: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo). Load average (1, 5, 15 min) at start: $load_start; at end: $load_end (above $(nproc) means other jobs shared the cores; every run is in WORKDIR/*.times)."
    echo "Versions: $("$bcms" --version 2>/dev/null | head -n 1 || echo bcms), $("$plink2" --version | head -n 1)."
    echo
    echo "| kind | step | bcms s | plink2 s | ratio | target | bcms CPU s | plink2 CPU s | CPU ratio | bcms peak MB | plink2 peak MB |"
    echo "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
    step_list=()
    ((do_import)) && step_list+=(import)
    ((do_freq)) && step_list+=(freq)
    for k in "${kind_list[@]}"; do
        for step in "${step_list[@]}"; do
            b=$k.bcms_$step p=$k.plink2_$step
            r=$(ratio "$b" "$p")
            echo "| $k | $step | $(sec "$b") | $(sec "$p") | $r | $(verdict "$r") | $(cpu "$b") | $(cpu "$p") | $(cpu_ratio "$b" "$p") | $(mb "$b") | $(mb "$p") |"
        done
    done
    echo
    echo "| kind | VCF.gz MiB | bcms store MiB (allocated) | .pgen MiB | rows in bcms | variants in plink2 |"
    echo "|---|---:|---:|---:|---:|---:|"
    for k in "${kind_list[@]}"; do
        rows=$("$bcms" info "$workdir/$k.bcms" | awk -F'\t' '$1 == "variants" { print $2 }')
        echo "| $k | $(mib "$workdir/${k}_$tag.vcf.gz") | $(alloc "$workdir/$k.bcms/data.mdb") | $(mib "$workdir/$k.plink.pgen") | $rows | $(grep -vc '^#' "$workdir/$k.plink.pvar") |"
    done
} | tee "$md"
echo "== written to $md; per-run times in $workdir/*.times, logs in $logdir" >&2
