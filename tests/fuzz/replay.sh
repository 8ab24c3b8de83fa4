#!/usr/bin/env bash
# replay.sh BINDIR CASES: the seed corpora (one process per harness), every file of the reliability
# cases and of findings/ (one process per file and harness: vcf_import for VCF/BCF, tables for tables)
# through the replay drivers. A crash or sanitizer report fails, except for a file listed in
# known_crashes.txt (reported as XFAIL; XPASS when it no longer crashes: remove it from the list).
# Silent acceptances are counted and printed (they fail only with BCMS_FUZZ_STRICT=1).
set -uo pipefail
bindir=$1 cases=$2 here=$(cd "$(dirname "$0")" && pwd)
export TMPDIR=${BCMS_TMP:-/tmp}/replay
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fails=0 silent=0
run() { # harness input...: one process
    local h=$1 out st=0
    shift
    out=$("$bindir/fuzz_replay_$h" "$@" 2>&1) || st=$?
    silent=$((silent + $(grep -c '^bcms-fuzz: SILENT' <<< "$out")))
    grep '^bcms-fuzz: SILENT' <<< "$out" | sed "s|^|  $h $(basename "${!#}"): |" | head -3
    if [ "$st" -ne 0 ] || grep -q -E 'Sanitizer|runtime error' <<< "$out"; then
        echo "$out" | tail -15
        return 1
    fi
    return 0
}
for h in vcf_import gtblock tables; do
    if run "$h" "$here/corpus/$h"; then echo "ok   corpus $h ($(ls "$here/corpus/$h" | wc -l) inputs)"
    else echo "FAIL corpus $h"; fails=$((fails + 1)); fi
done
if [ -d "$cases" ]; then
    for f in "$cases"/* "$here"/findings/*; do
        n=$(basename "$f")
        case $n in README.md) continue ;; *.vcf | *.bcf | *.vcf.gz) h=vcf_import ;; *) h=tables ;; esac
        known=$(grep -E "^$n[[:space:]]" "$here/known_crashes.txt" 2> /dev/null | cut -f2-)
        if run "$h" "$f" > "$TMPDIR/out.txt"; then
            cat "$TMPDIR/out.txt"
            if [ -n "$known" ]; then echo "XPASS $n no longer crashes: remove it from tests/fuzz/known_crashes.txt"
            else echo "ok   $n"; fi
        elif [ -n "$known" ]; then
            echo "XFAIL $n (known: $known)"
        else
            cat "$TMPDIR/out.txt"
            echo "FAIL $n crashes"
            fails=$((fails + 1))
        fi
    done
else
    echo "skip: no reliability cases at $cases"
fi
echo "silent acceptances: $silent"
[ "${BCMS_FUZZ_STRICT:-0}" = 1 ] && [ "$silent" -gt 0 ] && fails=$((fails + 1))
[ "$fails" -eq 0 ] && echo "all replays passed" || { echo "$fails replay(s) failed"; exit 1; }
