#!/usr/bin/env bash
# bcms copy: a snapshot (plain and compacted) reads back identically (view, freq, assoc); an existing
# DEST is refused and left alone; a source that is not a store is refused and no DEST appears; a
# read-only source copies with --no-lock.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 200 --variants 1500 --seed 5 --pheno c.pheno.tsv --threads 2
"$BCMS" import -q s.bcms c.vcf.gz --cohort a
"$BCMS" pheno s.bcms c.pheno.tsv > /dev/null 2>&1
"$BCMS" view s.bcms -o ref.vcf 2> /dev/null
"$BCMS" freq s.bcms -o ref.freq 2> /dev/null
"$BCMS" assoc s.bcms --model linear --pheno severity -o ref.assoc.tsv > /dev/null 2>&1
for mode in plain compact; do
    opt=""; [ $mode = compact ] && opt=--compact
    check "copy $mode exits 0" "$BCMS" copy s.bcms "c_$mode.bcms" $opt
    "$BCMS" view "c_$mode.bcms" -o "v_$mode.vcf" 2> /dev/null
    "$BCMS" freq "c_$mode.bcms" -o "f_$mode.freq" 2> /dev/null
    "$BCMS" assoc "c_$mode.bcms" --model linear --pheno severity -o "a_$mode.tsv" > /dev/null 2>&1
    check "copy $mode: view identical" cmp -s <(grep -v '^##bcms_view' ref.vcf) <(grep -v '^##bcms_view' "v_$mode.vcf")
    check "copy $mode: freq identical" cmp -s ref.freq "f_$mode.freq"
    check "copy $mode: assoc identical" cmp -s ref.assoc.tsv "a_$mode.tsv"
    check "copy $mode: no staging directory left" [ -z "$(ls -d c_$mode.bcms.copy-* 2> /dev/null)" ]
done
check "compacted copy is no larger than the plain copy" \
    [ "$(stat -c %s c_compact.bcms/data.mdb)" -le "$(stat -c %s c_plain.bcms/data.mdb)" ]
before=$(md5sum c_plain.bcms/data.mdb)
if "$BCMS" copy s.bcms c_plain.bcms 2> err.txt; then fail "existing DEST refused"; else pass "existing DEST refused"; fi
check "existing DEST: message says it exists" grep -q "already exists" err.txt
check "existing DEST untouched" [ "$before" = "$(md5sum c_plain.bcms/data.mdb)" ]
mkdir notastore && echo junk > notastore/x
if "$BCMS" copy notastore out.bcms 2> err.txt; then fail "foreign source refused"; else pass "foreign source refused"; fi
check "foreign source: no DEST" [ ! -e out.bcms ] && [ -z "$(ls -d out.bcms.copy-* 2> /dev/null)" ]
cp -r c_plain.bcms ro.bcms && rm -f ro.bcms/lock.mdb && chmod -R a-w ro.bcms
check "read-only source with --no-lock" "$BCMS" copy ro.bcms ro_copy.bcms --no-lock
chmod -R u+w ro.bcms
"$BCMS" view ro_copy.bcms -o v_ro.vcf 2> /dev/null
check "read-only copy: view identical" cmp -s <(grep -v '^##bcms_view' ref.vcf) <(grep -v '^##bcms_view' v_ro.vcf)
finish
