#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: install what is missing, then build and run every
# ctest case twice: in a Release build, and in an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/install-deps.sh"
jobs=$(nproc)
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$top/build" -j"$jobs"
(cd "$top/build" && ctest -j"$jobs" --output-on-failure --timeout 1200)
cmake -S "$top" -B "$top/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBCMS_SANITIZE=ON > /dev/null
cmake --build "$top/build-asan" -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$top/build-asan" && ctest -j"$jobs" --output-on-failure --timeout 1800)
echo "bcms: all tests passed (Release and ASan+UBSan)"
