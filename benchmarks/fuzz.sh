#!/usr/bin/env bash
# benchmarks/fuzz.sh [MINUTES_PER_HARNESS] [HARNESS...]: a longer libFuzzer campaign over the
# harnesses of tests/fuzz/ (clang, ASan+UBSan; fixed seed BCMS_FUZZ_SEED, default 1), then a report:
# per harness the inputs run, the crashes and hangs found (inputs kept in build-fuzz/run/H/artifacts/),
# and the silent acceptances: distinct inputs reported as "bcms-fuzz: SILENT" (accepted although htslib
# refuses them, or stored but then unreadable; see tests/fuzz/fuzz_common.h), kept in
# build-fuzz/run/H/silent/ with the first few explained. Exits 1 when anything was found.
#   benchmarks/fuzz.sh 8                 # 8 minutes each for vcf_import, gtblock, tables
#   benchmarks/fuzz.sh 30 vcf_import     # one harness
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
harnesses=${*:-vcf_import gtblock tables}
export BCMS_SRC=$top BCMS_FUZZ_BUILD=${BCMS_FUZZ_BUILD:-$top/build-fuzz}
echo "bcms fuzz campaign: $minutes min per harness ($harnesses), seed ${BCMS_FUZZ_SEED:-1}, $(date -u +%FT%TZ)"
bash "$top/tests/fuzz/run_fuzz.sh" campaign $((minutes * 60)) $harnesses
st=$?
[ "$st" -eq 77 ] && exit 77
total_silent=0
for h in $harnesses; do
    run=$BCMS_FUZZ_BUILD/run/$h
    [ -d "$run/silent" ] || continue
    n=$(ls "$run/silent" | wc -l)
    total_silent=$((total_silent + n))
    echo "fuzz_$h: $n distinct silently accepted inputs in $run/silent/"
    for f in $(ls "$run/silent" | head -5); do # what they were
        TMPDIR=$run ASAN_OPTIONS=detect_leaks=0 "$BCMS_FUZZ_BUILD/tests/fuzz/fuzz_$h" -runs=1 "$run/silent/$f" 2>&1 |
            grep -m1 '^bcms-fuzz: SILENT' | sed "s|^|  $f: |" | cut -c1-160
    done
done
echo "crashes and hangs: $( [ "$st" -eq 0 ] && echo none || echo 'see above' ); silent acceptances: $total_silent"
[ "$st" -eq 0 ] && [ "$total_silent" -eq 0 ]
