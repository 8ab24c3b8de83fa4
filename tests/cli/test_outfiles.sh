#!/usr/bin/env bash
# Output files (queries/read/outfile.h): view, freq and assoc write a temporary file beside OUT and
# rename it when complete; symlinks planted at OUT, OUT.tmp and OUT.log are never followed; a failed,
# killed (SIGTERM, SIGINT, SIGHUP) or disk-full run leaves no output and no temporary file; ".gz"
# tables are BGZF that tabix indexes; "-o -" is stdout.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 1000 --variants 8000 --seed 5 --pheno c.tsv > /dev/null 2>&1
"$BCMS" import -q c.bcms c.vcf.gz
"$BCMS" pheno c.bcms c.tsv > /dev/null 2>&1
leftovers() { ls -A "$1" | grep -E '\.tmp' || true; }

# symlinks at OUT.tmp and OUT.log (the old fixed names) and at OUT itself: their targets stay intact
mkdir sym && echo "precious" > victim1 && echo "precious" > victim2 && echo "precious" > victim3
ln -s ../victim1 sym/a.tsv.tmp && ln -s ../victim2 sym/a.tsv.log && ln -s ../victim3 sym/a.tsv
"$BCMS" assoc c.bcms --model linear --pheno severity --threads 2 -o sym/a.tsv 2> /dev/null
check "assoc: symlink targets at OUT.tmp, OUT.log and OUT are not written" \
    bash -c '[ "$(cat victim1 victim2 victim3)" = "$(printf "precious\nprecious\nprecious")" ]'
check "assoc: OUT and OUT.log are new regular files" bash -c '[ -f sym/a.tsv ] && [ ! -L sym/a.tsv ] && [ -f sym/a.tsv.log ] && [ ! -L sym/a.tsv.log ] && grep -q "^status.complete" sym/a.tsv.log'
check "assoc: the output is complete" [ "$(grep -c . sym/a.tsv)" -gt 8000 ]
ln -s ../victim1 sym/f.tsv
"$BCMS" freq c.bcms -o sym/f.tsv
check "freq: a symlink at OUT is replaced, its target untouched" bash -c '[ "$(cat victim1)" = precious ] && [ ! -L sym/f.tsv ] && [ -s sym/f.tsv ]'

# killed runs leave nothing: wait for the temporary file, then signal
kill_run() { # signal dir: start a logistic scan in dir, signal it while it writes
    local sig=$1 dir=$2 pid i
    mkdir -p "$dir"
    python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$BCMS" assoc c.bcms --model logistic --pheno binary_trait --threads 1 -o "$dir/k.tsv" 2> /dev/null &
    pid=$!
    for i in $(seq 500); do [ -n "$(leftovers "$dir")" ] && break; sleep 0.01; done
    kill -"$sig" "$pid" 2> /dev/null
    local st=0
    wait "$pid" 2> /dev/null || st=$?
    echo $st
}
for sig in TERM INT HUP; do
    st=$(kill_run $sig "k$sig")
    check "assoc killed by SIG$sig (exit $st): no temporary file, no OUT, no OUT.log" \
        bash -c "[ $st -gt 128 ] && [ -z \"\$(ls -A k$sig)\" ]"
done

# failures after the output was opened (a damaged genotype frame) leave no output
cp -r c.bcms dmg.bcms
python3 - dmg.bcms/data.mdb <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read())
# the last frame of each kind: its compressed bytes changed, so it fails to decompress or its CRC check
import re
for kind in (rb"BCMF\x01[\x01\x02]", rb"BCMF\x02[\x01\x02]"):
    i = [m.start() for m in re.finditer(kind, bytes(d))][-1]
    d[i + 40] ^= 0xff
open(p, "wb").write(d)
PY
mkdir fail
st=0; "$BCMS" view dmg.bcms -o fail/v.vcf 2> fail.err || st=$?
check "view on a damaged block: error exit ($st) naming the damage" bash -c "[ $st -eq 1 ] && grep -q damaged fail.err"
st=0; "$BCMS" freq dmg.bcms -o fail/f.tsv 2> fail.err || st=$?
check "freq on a damaged block: error exit ($st)" bash -c "[ $st -eq 1 ] && grep -q damaged fail.err"
st=0; "$BCMS" assoc dmg.bcms --model linear --pheno severity -o fail/a.tsv 2> fail.err || st=$?
check "assoc on a damaged block: error exit ($st)" bash -c "[ $st -eq 1 ] && grep -q damaged fail.err"
check "no partial or 0-byte output, no temporary file after the failures" bash -c '[ -z "$(ls -A fail)" ]'

# BGZF tables: tabix indexes and queries them; "-o -" writes to stdout
"$BCMS" freq c.bcms -o f.tsv.gz
"$BCMS" assoc c.bcms --model linear --pheno severity -o a.tsv.gz 2> /dev/null
check "freq .gz is BGZF: tabix -s1 -b2 -e2 indexes it" tabix -f -s1 -b2 -e2 f.tsv.gz
check "assoc .gz is BGZF: tabix -S1 -s1 -b2 -e2 indexes it" tabix -f -S1 -s1 -b2 -e2 a.tsv.gz
check "tabix region query equals the filtered table" \
    bash -c '[ "$(tabix f.tsv.gz 2:1-50000000 | md5sum)" = "$(zcat f.tsv.gz | awk -F"\t" "\$1==\"2\" && \$2<=50000000" | md5sum)" ]'
"$BCMS" freq c.bcms -o - > f.stdout.tsv
check "freq -o - writes to stdout" cmp f.stdout.tsv <(zcat f.tsv.gz)
"$BCMS" assoc c.bcms --model linear --pheno severity -o - 2> /dev/null > a.stdout.tsv
check "assoc -o - writes the table to stdout (and no '-.log')" bash -c 'cmp a.stdout.tsv <(zcat a.tsv.gz) && [ ! -e -.log ]'
"$BCMS" view c.bcms -o /dev/null
check "an existing device (/dev/null) is written in place, not replaced" [ -c /dev/null ]

# a full disk: a 64 KiB tmpfs (needs mount permission; skipped with a message otherwise)
mkdir -p full
if mount -t tmpfs -o size=64k tmpfs full 2> /dev/null; then
    for cmd in "view c.bcms -o full/v.vcf" "freq c.bcms -o full/f.tsv" \
               "assoc c.bcms --model linear --pheno severity --threads 2 -o full/a.tsv"; do
        st=0; "$BCMS" $cmd 2> full.err || st=$?
        check "disk full, bcms ${cmd%% *}: exit $st with 'No space left on device'" \
            bash -c "[ $st -eq 1 ] && grep -q 'No space left on device' full.err"
        check "disk full, bcms ${cmd%% *}: no output and no temporary file left" bash -c '[ -z "$(ls -A full)" ]'
    done
    umount full
else
    echo "skip: cannot mount a tmpfs here (not permitted): disk-full checks not run"
fi
finish
