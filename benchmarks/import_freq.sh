#!/usr/bin/env bash
# import_freq.sh: time `bcms import` and `bcms freq` beside PLINK 2 and bcftools on one simulated
# cohort, in one run, and print a Markdown table of times, ratios, peak memory and sizes.
# bcms, GPL-3.0-or-later.
#
#   import:  bcms import STORE X.vcf.gz       vs  plink2 --vcf X.vcf.gz --make-pgen
#                                             and bcftools view -Ob (VCF.gz -> BCF)
#   freq:    bcms freq STORE                  vs  plink2 --pfile P --freq
#   sizes:   store (allocated bytes of data.mdb), bcms genotype frames, pgen, pgen+pvar+psam,
#            BCF, VCF.gz
#
# Targets (issue): import no slower than plink2 --make-pgen; store no larger than the pgen file;
# freq no slower than plink2 --freq.
#
# Each measurement is `/usr/bin/time -f '%e %M'` (wall seconds, peak RSS KB) of one process; every
# step runs R times and the table shows the median. Within a repetition the tools alternate which
# goes first, so drift on a shared machine hits both. Every run starts from no output (a fresh store,
# no pgen), so nothing is appended to an existing store.
#
# Usage: benchmarks/import_freq.sh [options]   (run from the repository root, after the build)
set -euo pipefail

usage() {
    cat <<EOF
Usage: $0 [options]
Simulate a cohort (or take --vcf FILE) and time bcms import/freq against plink2 and bcftools.

Options:
  -n, --samples N      samples to simulate [10000]
  -m, --variants M     variants to simulate [100000]
  -t, --threads T      threads for every tool [2]
  -r, --reps R         repetitions per step; the median is reported [3]
  -w, --workdir DIR    work directory (simulated VCF, stores, outputs, logs) [build/bench]
      --vcf FILE       use this VCF.gz instead of simulating (samples/variants are then read from it)
      --bcms PATH      bcms binary [build/bcms]
      --plink2 PATH    plink2 binary [plink2]
      --bcftools PATH  bcftools binary [bcftools]
      --memory MB      plink2 --memory [8000]
  -h, --help           this help
The simulated VCF is kept in the work dir and reused by later runs with the same parameters
(simulation of 10,000 x 100,000 takes over a minute).
The table is printed and written to WORKDIR/import_freq.md.
EOF
}

samples=10000
variants=100000
threads=2
reps=3
workdir=build/bench
vcf=""
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
        -w|--workdir) need_arg "$@"; workdir=$2; shift 2 ;;
        --vcf) need_arg "$@"; vcf=$2; shift 2 ;;
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
timer=/usr/bin/time
[[ -x $timer ]] || { echo "$0: $timer not found (Debian package 'time')" >&2; exit 1; }
[[ -x $bcms ]] || { echo "$0: bcms binary '$bcms' not found: build first (cmake --build build) or pass --bcms" >&2; exit 1; }
for t in "$plink2" "$bcftools"; do
    command -v "$t" >/dev/null || { echo "$0: '$t' not found: install it (Debian: plink2, bcftools) or pass its path" >&2; exit 1; }
done
bcms=$(readlink -f "$bcms")

mkdir -p "$workdir"
workdir=$(readlink -f "$workdir")
logdir=$workdir/logs
mkdir -p "$logdir"

# ---- the input VCF.gz ----
if [[ -n $vcf ]]; then
    [[ -r $vcf ]] || { echo "$0: --vcf $vcf: cannot read it" >&2; exit 1; }
    vcf=$(readlink -f "$vcf")
    samples=$("$bcftools" query -l "$vcf" | wc -l)
    source_note="given: $vcf"
else
    vcf=$workdir/sim_n${samples}_m${variants}_seed7_miss0.03.vcf.gz
    if [[ -s $vcf ]]; then
        source_note="reused: bcms simulate --samples $samples --variants $variants --seed 7 --missing 0.03"
        echo "== reusing $vcf" >&2
    else
        echo "== simulating $samples samples x $variants variants -> $vcf" >&2
        # written under a temporary name so an interrupted simulation is never reused
        rm -f "$vcf.part.vcf.gz"
        "$bcms" simulate -o "$vcf.part.vcf.gz" --samples "$samples" --variants "$variants" --seed 7 \
            --missing 0.03 --threads "$threads" 2>"$logdir/simulate.log"
        mv "$vcf.part.vcf.gz" "$vcf"
        source_note="simulated: bcms simulate --samples $samples --variants $variants --seed 7 --missing 0.03"
    fi
fi

store=$workdir/store.bcms
pfile=$workdir/plink
bcf=$workdir/cohort.bcf
freq_out=$workdir/bcms.freq.tsv

# run NAME CMD...: one timed run; appends "seconds peakKB" to $workdir/NAME.times
run() {
    local name=$1; shift
    local tf=$logdir/$name.time
    if ! "$timer" -f '%e %M' -o "$tf" "$@" >"$logdir/$name.out" 2>"$logdir/$name.err"; then
        echo "$0: step '$name' failed: $*" >&2
        tail -n 20 "$logdir/$name.err" "$logdir/$name.out" >&2 || true
        exit 1
    fi
    tail -n 1 "$tf" >>"$workdir/$name.times"
}

bcms_import() { rm -rf "$store"; run bcms_import "$bcms" import "$store" "$vcf" --threads "$threads" -q; }
plink_pgen() {
    rm -f "$pfile".pgen "$pfile".pvar "$pfile".psam "$pfile".log
    run plink2_make_pgen "$plink2" --vcf "$vcf" --make-pgen --out "$pfile" --threads "$threads" --memory "$memory"
}
bcftools_bcf() { rm -f "$bcf"; run bcftools_view "$bcftools" view -Ob --threads "$threads" -o "$bcf" "$vcf"; }
bcms_freq() { rm -f "$freq_out"; run bcms_freq "$bcms" freq "$store" -o "$freq_out"; }
plink_freq() {
    rm -f "$pfile.freq".*
    run plink2_freq "$plink2" --pfile "$pfile" --freq --out "$pfile.freq" --threads "$threads" --memory "$memory"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(loadavg)
rm -f "$workdir"/*.times
for ((r = 1; r <= reps; r++)); do
    echo "== repetition $r of $reps" >&2
    if ((r % 2)); then
        bcms_import; plink_pgen; bcftools_bcf
    else
        bcftools_bcf; plink_pgen; bcms_import
    fi
    # freq reads the store and the pgen of this repetition
    if ((r % 2)); then bcms_freq; plink_freq; else plink_freq; bcms_freq; fi
done

load_end=$(loadavg)

# median of column c (1 seconds, 2 peak KB) of a .times file
median() {
    sort -g -k"$2,$2" "$workdir/$1.times" | awk -v c="$2" '{ v[NR] = $c }
        END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sec() { median "$1" 1; }
mb() { median "$1" 2 | awk '{ printf "%.0f", $1 / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# allocated bytes (LMDB files are sparse: the apparent size is not what the disk holds)
alloc() { stat -c '%b %B' "$1" | awk '{ printf "%.0f", $1 * $2 }'; }
bytes() { stat -c %s "$1"; }

store_bytes=$(alloc "$store/data.mdb")
gt_bytes=$("$bcms" info "$store" | grep -o 'genotype_bytes=[0-9]*' | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }')
rows=$("$bcms" info "$store" | awk -F'\t' '$1 == "variants" { print $2 }')
pgen_bytes=$(bytes "$pfile.pgen")
pfiles_bytes=$(( pgen_bytes + $(bytes "$pfile.pvar") + $(bytes "$pfile.psam") ))
bcf_bytes=$(bytes "$bcf")
vcf_bytes=$(bytes "$vcf")
nvar_plink=$(awk '!/^#/' "$pfile.pvar" | wc -l)

bi=$(sec bcms_import); pg=$(sec plink2_make_pgen); bv=$(sec bcftools_view)
bf=$(sec bcms_freq); pf=$(sec plink2_freq)
mbi=$(mb bcms_import); mpg=$(mb plink2_make_pgen); mbv=$(mb bcftools_view)
mbf=$(mb bcms_freq); mpf=$(mb plink2_freq)

verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b ? "met" : "NOT met") }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

md=$workdir/import_freq.md
{
    echo "## bcms import / freq vs PLINK 2 and bcftools"
    echo
    echo "Input: $(basename "$vcf") ($source_note): $samples samples, $nvar_plink variants as PLINK 2 counts them, $rows biallelic rows in bcms."
    echo "Threads: $threads; repetitions: $reps (median shown); host: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)."
    echo "Load average (1, 5, 15 min) at start: $load_start; at end: $load_end (a load above the core count, $(nproc), means other jobs shared the cores; every run is in WORKDIR/*.times)."
    echo "Versions: $("$bcms" --version 2>/dev/null | head -n 1 || echo bcms), $("$plink2" --version | head -n 1), $("$bcftools" --version | head -n 1)."
    echo
    echo "| step | bcms | peer | ratio bcms/peer | bcms peak MB | peer peak MB |"
    echo "|---|---:|---:|---:|---:|---:|"
    echo "| import VCF.gz: \`bcms import\` vs \`plink2 --make-pgen\` | ${bi} s | ${pg} s | $(ratio "$bi" "$pg") | $mbi | $mpg |"
    echo "| import VCF.gz: \`bcms import\` vs \`bcftools view -Ob\` | ${bi} s | ${bv} s | $(ratio "$bi" "$bv") | $mbi | $mbv |"
    echo "| allele frequencies: \`bcms freq\` vs \`plink2 --freq\` | ${bf} s | ${pf} s | $(ratio "$bf" "$pf") | $mbf | $mpf |"
    echo
    echo "| sizes | bytes | MiB | ratio to pgen |"
    echo "|---|---:|---:|---:|"
    echo "| bcms store (allocated bytes of data.mdb) | $store_bytes | $(mib "$store_bytes") | $(ratio "$store_bytes" "$pgen_bytes") |"
    echo "| bcms genotype frames (sum of genotype_bytes) | $gt_bytes | $(mib "$gt_bytes") | $(ratio "$gt_bytes" "$pgen_bytes") |"
    echo "| PLINK 2 .pgen | $pgen_bytes | $(mib "$pgen_bytes") | 1.00 |"
    echo "| PLINK 2 .pgen + .pvar + .psam | $pfiles_bytes | $(mib "$pfiles_bytes") | $(ratio "$pfiles_bytes" "$pgen_bytes") |"
    echo "| BCF (bcftools view -Ob) | $bcf_bytes | $(mib "$bcf_bytes") | $(ratio "$bcf_bytes" "$pgen_bytes") |"
    echo "| VCF.gz (input) | $vcf_bytes | $(mib "$vcf_bytes") | $(ratio "$vcf_bytes" "$pgen_bytes") |"
    echo
    echo "Targets:"
    echo "- import no slower than plink2 --make-pgen: $(verdict "$bi" "$pg") (${bi} s vs ${pg} s)"
    echo "- store no larger than the pgen file: $(verdict "$store_bytes" "$pgen_bytes") ($(mib "$store_bytes") MiB vs $(mib "$pgen_bytes") MiB)"
    echo "- freq no slower than plink2 --freq: $(verdict "$bf" "$pf") (${bf} s vs ${pf} s)"
} | tee "$md"
echo "== written to $md; per-run times in $workdir/*.times, logs in $logdir" >&2
