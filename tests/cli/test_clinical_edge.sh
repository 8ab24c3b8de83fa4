#!/usr/bin/env bash
# test_clinical_edge.sh: clinical fields on the edge cases of issue 9 and the file rules of issue 13:
# EDSS 10 (death due to MS) reaches every milestone and CDP with MSSS/ARMSS 10; impossible courses
# refused naming file and line (store unchanged); future dates and relapse-day pairs warned; derived
# names that clash with stored columns refused with --prefix as the way out (no mention of an option
# clinical lacks); temporary files owner-only beside the output, none in /tmp, removed on SIGTERM; -o OUT
# written only when storing succeeds; outputs mode 0600. SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/../lib/common.sh"
D=$BCMS_SRC/data-samples
T=$BCMS_TMP
cd "$T"
s=$T/s.bcms
md5() { md5sum < "$s/data.mdb"; }
col() { awk -F'\t' -v n="$1" -v id="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i; next} $1==id{print $c}' "$3"; }
refused() { # name want command...
    local name=$1 want=$2 rc=0 b; shift 2
    b=$(md5)
    "$@" > "$T/out" 2> "$T/err" || rc=$?
    if [ "$rc" -ne 1 ]; then fail "$name: exit $rc, not 1"
    elif [ "$b" != "$(md5)" ]; then fail "$name: data.mdb changed"
    elif ! grep -q -- "$want" "$T/err"; then fail "$name: message '$(cat "$T/err")' lacks '$want'"
    else pass "$name refused, store identical: $(tail -c 300 "$T/err")"; fi
}
"$BCMS" import -q "$s" "$D/sardinia.vcf.gz" --cohort sardinia

# death due to MS at the last visit: every milestone and confirmed progression at that visit
printf '#IID\tsex\tbirth_date\tonset_date\nDEAD1\t2\t1960-01-01\t1990-01-01\nALIVE\t1\t1960-01-01\t1990-01-01\n' > pat.tsv
printf '#IID\tdate\tedss\trelapse\nDEAD1\t1991-01-01\t2\t0\nDEAD1\t1995-01-01\t2.5\t0\nDEAD1\t2000-01-01\t10\t0\n' > vis.tsv
printf 'ALIVE\t1991-01-01\t2\t0\nALIVE\t2000-01-01\t2\t0\n' >> vis.tsv
check "clinical on a course ending in death" "$BCMS" clinical --visits vis.tsv --patients pat.tsv -o death.tsv
t=$(awk 'BEGIN{printf "%.4f", (10957 - 7305) / 365.25}') # 1990-01-01 -> 2000-01-01
for m in 3 4 6; do
    check "EDSS 10 reaches EDSS $m at the death visit (event 1, time $t)" \
        [ "$(col edss${m}_event DEAD1 death.tsv)/$(col edss${m}_time DEAD1 death.tsv)" = "1/$t" ]
done
check "EDSS 10: confirmed progression at death" [ "$(col cdp_event DEAD1 death.tsv)/$(col cdp_time DEAD1 death.tsv)" = "1/$t" ]
check "EDSS 10: MSSS 2005, MSSS 2017 and ARMSS are 10" \
    [ "$(col msss_2005 DEAD1 death.tsv)/$(col msss_2017 DEAD1 death.tsv)/$(col armss DEAD1 death.tsv)" = "10/10/10" ]
check "the living patient stays censored" [ "$(col edss3_event ALIVE death.tsv)/$(col cdp_event ALIVE death.tsv)" = "0/0" ]
check "-o output is owner-only (0600)" [ "$(stat -c %a death.tsv)" = 600 ]

# impossible courses: refused with file and line, store unchanged
cp vis.tsv after.tsv; printf 'DEAD1\t2001-01-01\t6\t0\n' >> after.tsv
refused "EDSS after EDSS 10" "after.tsv:7: patient 'DEAD1' has a visit on 2001-01-01 after EDSS 10 (death due to MS) on 2000-01-01, line 4" \
    "$BCMS" clinical "$s" --visits after.tsv --patients pat.tsv
cp vis.tsv twice.tsv; printf 'ALIVE\t2000-01-01\t3\t0\n' >> twice.tsv
refused "two EDSS on one date" "twice.tsv:7: patient 'ALIVE' has two EDSS on 2000-01-01: 3 here and 2 on line 6" \
    "$BCMS" clinical "$s" --visits twice.tsv --patients pat.tsv
cp vis.tsv future.tsv; printf 'ALIVE\t2190-01-01\t2\t0\n' >> future.tsv
check "a visit in the future: accepted" "$BCMS" clinical --visits future.tsv --patients pat.tsv -o future.out.tsv 2> future.err
check "  ... with a warning naming file and line" grep -q "future.tsv:7: visit of 'ALIVE' on 2190-01-01 is in the future" future.err

# derived names that clash with stored columns: refused, --prefix is the way out
"$BCMS" pheno "$s" "$D/sardinia.pheno.tsv" 2>/dev/null # holds edss6_event
refused "clash with a stored phenotype column" "already stores 1 column named like derived fields (edss6_event); nothing was written. Add --prefix P" \
    "$BCMS" clinical "$s" --visits "$D/sardinia.visits.tsv" --patients "$D/sardinia.patients.tsv" -o clash.tsv
check "  ... no mention of --columns (clinical has none)" bash -c "! grep -q -- '--columns' '$T/err'"
check "  ... and -o OUT not written" [ ! -e clash.tsv ]
check "--prefix clin_ stores beside them" "$BCMS" clinical "$s" --visits "$D/sardinia.visits.tsv" \
    --patients "$D/sardinia.patients.tsv" --prefix clin_ -o pref.tsv 2>/dev/null
"$BCMS" pheno "$s" --list > list.tsv
check "  ... 19 clin_ columns stored" [ "$(grep -c '^clin_' list.tsv)" -eq 19 ]
check "  ... the stored edss6_event is untouched" grep -q $'^edss6_event\tbinary\t0/1\t.*sardinia.pheno.tsv' list.tsv
check "  ... -o header carries the prefix" [ "$(head -1 pref.tsv | cut -f1-3)" = $'#IID\tclin_sev_edss\tclin_sev_dd' ]
refused "the same prefix again" "already stores 19 columns named like derived fields (clin_sev_edss.*--prefix P (another one)" \
    "$BCMS" clinical "$s" --visits "$D/sardinia.visits.tsv" --patients "$D/sardinia.patients.tsv" --prefix clin_
rc=0; "$BCMS" clinical "$s" --visits vis.tsv --prefix 'a b' 2>/dev/null || rc=$?
check "a prefix with a space: refused" [ "$rc" -ne 0 ]

# a patient ID over the store's key limit: refused naming the visit file's line
long=$(printf 'P%.0s' $(seq 600))
{ cat vis.tsv; printf '%s\t2001-01-01\t2\t0\n' "$long"; } > long.tsv
refused "a 600-byte patient ID" "long.tsv:7: patient ID 'PPPP.*' is 600 bytes long" "$BCMS" clinical "$s" --visits long.tsv

# temporary files: none in /tmp, none left in the store or beside OUT
before_tmp=$(ls /tmp | grep -c '^bcms-clinical' || true)
check "clinical STORE (no -o)" "$BCMS" clinical "$s" --visits "$D/sardinia.visits.tsv" --patients "$D/sardinia.patients.tsv" \
    --prefix p2_ 2>/dev/null
check "  ... no temporary table in /tmp" [ "$(ls /tmp | grep -c '^bcms-clinical' || true)" -eq "$before_tmp" ]
check "  ... nothing but LMDB's files in the store" [ "$(ls -A "$s" | sort | tr '\n' ' ')" = "data.mdb lock.mdb " ]
check "  ... nothing beside the outputs" [ -z "$(ls -A "$T" | grep '\.tmp')" ]

# killed while the store is busy: the temporary output is removed, nothing appears at OUT
mkfifo hold.fifo
sleep 120 > hold.fifo & SP=$!
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n' > hold.fifo &
mdb_load -s lockhold "$s" < hold.fifo & LP=$!   # holds the store's write lock
# let mdb_load take the lock first, even on a loaded machine: it opens the store (and begins its write
# transaction right after) once it has read the header; wait for the open, then a little more
for i in $(seq 600); do ls -l /proc/$LP/fd 2>/dev/null | grep -q "$s/data.mdb" && break; sleep 0.1; done
sleep 1
b=$(md5)
"$BCMS" clinical "$s" --visits "$D/sardinia.visits.tsv" --patients "$D/sardinia.patients.tsv" --prefix p3_ \
    -o killed.tsv 2>/dev/null & CP=$!
for i in $(seq 600); do ls .killed.tsv.tmp* > /dev/null 2>&1 && break; sleep 0.1; done
tmpf=$(ls .killed.tsv.tmp* 2>/dev/null || true)
check "while waiting for the store: a temporary output beside OUT ($tmpf)" [ -n "$tmpf" ]
check "  ... owner-only" [ -n "$tmpf" ] && [ "$(stat -c %a "$tmpf")" = 600 ]
kill -TERM $CP; rc=0; wait $CP || rc=$?
check "SIGTERM ends clinical (status $rc)" [ "$rc" -eq 143 ]
check "  ... and removes the temporary output" [ -z "$(ls .killed.tsv.tmp* 2>/dev/null || true)" ]
check "  ... no OUT" [ ! -e killed.tsv ]
kill $LP 2>/dev/null || true; wait $LP 2>/dev/null || true; kill $SP 2>/dev/null || true # the holder first: EOF on its input would make it commit
check "  ... store unchanged" [ "$b" = "$(md5)" ]
finish
