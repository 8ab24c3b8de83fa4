#!/usr/bin/env bash
# --no-lock on every command that reads a store: it reads a store without creating LMDB's lock file
# (as on a read-only shared filesystem) and gives the same output as a locked open; commands that
# write refuse it and leave the store as it was.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 150 --variants 800 --seed 9 --pheno p.tsv --threads 2 2> /dev/null
"$BCMS" import -q s.bcms c.vcf.gz
"$BCMS" pheno s.bcms p.tsv > /dev/null 2>&1
cp -r s.bcms ro.bcms && rm -f ro.bcms/lock.mdb
run_both() { # name args...: the command on s.bcms (locked) and on ro.bcms with --no-lock
    local name=$1; shift
    "$BCMS" "$@" s.bcms -o "$name.locked" > /dev/null 2>&1
    "$BCMS" "$@" ro.bcms --no-lock -o "$name.nolock" > /dev/null 2>&1
    check "$name --no-lock: same output" cmp -s <(grep -v '^##bcms_view' "$name.locked") <(grep -v '^##bcms_view' "$name.nolock")
    check "$name --no-lock: no lock file made" [ ! -e ro.bcms/lock.mdb ]
}
run_both freq freq
run_both view view
run_both assoc assoc --model linear --pheno severity
"$BCMS" info ro.bcms --no-lock > info.txt 2>&1
check "info --no-lock reads the store" grep -q "dataset" info.txt
check "info --no-lock: no lock file made" [ ! -e ro.bcms/lock.mdb ]
"$BCMS" pheno ro.bcms --list --no-lock > list.txt 2>&1
check "pheno --list --no-lock lists the columns" grep -q severity list.txt
before=$(md5sum s.bcms/data.mdb)
if "$BCMS" import s.bcms c.vcf.gz --force --no-lock 2> err.txt; then fail "import --no-lock refused"; else pass "import --no-lock refused"; fi
check "import --no-lock: says why" grep -q "only read a store" err.txt
if "$BCMS" pheno s.bcms p.tsv --replace --no-lock 2> err.txt; then fail "pheno storing --no-lock refused"; else pass "pheno storing --no-lock refused"; fi
check "refused writes left the store unchanged" [ "$before" = "$(md5sum s.bcms/data.mdb)" ]
finish
