#!/usr/bin/env bash
# run_fuzz.sh short | campaign SECONDS_PER_HARNESS [HARNESS...]
# Builds the libFuzzer harnesses with clang (ASan+UBSan, -DBCMS_FUZZ=ON) in $BCMS_FUZZ_BUILD and runs
# each one from its seed corpus with a fixed seed (-seed=1, or $BCMS_FUZZ_SEED). "short" is the
# time-boxed run of the test suite (30 s per harness); "campaign" is for benchmarks/fuzz.sh.
# Exits 77 (ctest: skipped) when clang or its fuzzer runtime is missing, 1 on a crash, a hang
# (an input running > 10 s), a leak or an out-of-memory; findings are in $BCMS_FUZZ_BUILD/run/*/artifacts/,
# silently accepted inputs (fuzz_common.h) in $BCMS_FUZZ_BUILD/run/*/silent/ (counted, not failing).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${BCMS_SRC:-$(cd "$here/../.." && pwd)}
build=${BCMS_FUZZ_BUILD:-$src/build-fuzz}
mode=${1:-short}
secs=${2:-30}
[ "$mode" = short ] && secs=${BCMS_FUZZ_SECONDS:-30}
shift $(( $# > 2 ? 2 : $# ))
harnesses=${*:-vcf_import gtblock tables}
seed=${BCMS_FUZZ_SEED:-1}

if ! command -v clang > /dev/null; then echo "skip: clang is not installed (tests/install-deps.sh installs it)"; exit 77; fi
probe=$(mktemp -d)
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' > "$probe/p.c"
if ! clang -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" 2> /dev/null; then
    rm -rf "$probe"
    echo "skip: clang's libFuzzer runtime is missing (Debian: libclang-rt-14-dev)"
    exit 77
fi
rm -rf "$probe"

echo "building the fuzzers in $build"
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBCMS_SANITIZE=ON \
      -DBCMS_FUZZ=ON > "$build.cmake.log" 2>&1 || { cat "$build.cmake.log"; exit 1; }
targets=()
for h in $harnesses; do targets+=(--target "fuzz_$h"); done
cmake --build "$build" -j2 "${targets[@]}" > "$build.build.log" 2>&1 || { tail -30 "$build.build.log"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fails=0
for h in $harnesses; do
    run=$build/run/$h
    # scratch stores on a RAM filesystem when there is one: LMDB's commit fsync is free there
    tmp=$run/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm/bcms-fuzz-$$-$h
    rm -rf "$run" "$tmp" && mkdir -p "$run/corpus" "$run/artifacts" "$tmp"
    case $h in vcf_import) maxlen=16384 ;; gtblock) maxlen=4096 ;; *) maxlen=8192 ;; esac
    extra=()
    [ -f "$here/$h.dict" ] && extra+=(-dict="$here/$h.dict")
    mkdir -p "$run/silent"
    TMPDIR=$tmp BCMS_FUZZ_SAVE_DIR=$run/silent "$build/tests/fuzz/fuzz_$h" -seed="$seed" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2560 \
        -max_len=$maxlen -print_final_stats=1 -artifact_prefix="$run/artifacts/" "${extra[@]}" \
        "$run/corpus" "$here/corpus/$h" > "$run/log.txt" 2>&1
    st=$?
    rm -rf "$tmp"
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$run/log.txt" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$run/log.txt" | tail -1 | grep -o '[0-9]*')
    crashes=$(ls "$run/artifacts" | grep -c -E '^(crash|leak|oom|slow-unit)-' || true)
    hangs=$(ls "$run/artifacts" | grep -c '^timeout-' || true)
    silent=$(ls "$run/silent" | wc -l)
    echo "fuzz_$h: ${secs}s seed $seed: ${execs:-0} inputs run, coverage ${cov:-?}, corpus $(ls "$run/corpus" | wc -l)," \
         "crashes $crashes, hangs $hangs, silent acceptances $silent distinct inputs (exit $st)"
    if [ "$st" -ne 0 ] || [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
        grep -A25 -m1 -E 'ERROR|Sanitizer|runtime error|deadly signal|timeout' "$run/log.txt" | head -40
        fails=$((fails + 1))
    fi
done
[ "$fails" -eq 0 ] || { echo "$fails fuzzer(s) found a crash or a hang"; exit 1; }
echo "no crash, no hang"
