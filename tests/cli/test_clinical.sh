#!/bin/bash
# test_clinical.sh: `bcms clinical` on a small visit table (tests/fixtures/clinical): hand-computed
# fields, severity scores looked up independently (awk) in the ms.sev tables, options, and a bad file
# that must leave no output. SPDX-License-Identifier: GPL-3.0-or-later
set -u
: "${BCMS:?}" "${BCMS_SRC:?}" "${BCMS_PEER:?}" "${BCMS_TMP:?}"
FX=$BCMS_SRC/tests/fixtures/clinical
SEV=$BCMS_PEER/ms-severity/ms.sev_cran
T=$BCMS_TMP
rm -rf "$T" && mkdir -p "$T"
fail=0
ok() { echo "ok   $1"; }
ko() { echo "FAIL $1"; fail=1; }

# field IID COLUMN FILE: value of a named column for one patient
field() {
    awk -F'\t' -v id="$1" -v col="$2" 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $1==id{print $(c[col])}' "$3"
}
# cell TABLE ROWLABEL EDSS: a cell of an ms.sev table
cell() {
    awk -F'\t' -v r="$2" -v e="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==e) c=i; next} $1==r{print $c}' "$1"
}
expect() { # name got want
    if [ "$2" = "$3" ]; then ok "$1 = $3"; else ko "$1: got '$2', want '$3'"; fi
}

"$BCMS" clinical --visits "$FX/visits.tsv" --patients "$FX/patients.tsv" -o "$T/out.tsv" 2>"$T/err" || ko "clinical run failed: $(cat "$T/err")"
[ -s "$T/out.tsv" ] || ko "no output"
expect header "$(head -1 "$T/out.tsv" | cut -f1-7)" "$(printf '#IID\tsev_edss\tsev_dd\tsev_age\tmsss_2005\tmsss_2017\tarmss')"
expect rows "$(wc -l < "$T/out.tsv")" 3
# P1: onset 1990-01-01, entry 1995-01-01, last EDSS 4 on 1998-01-01 (dd 8, age 28)
expect "P1 msss_2005" "$(field P1 msss_2005 "$T/out.tsv")" "$(cell "$SEV/oldMsss.txt" dd8 EDSS.4.0)"
expect "P1 msss_2017" "$(field P1 msss_2017 "$T/out.tsv")" "$(cell "$SEV/globalMsss.txt" dd8 EDSS.4.0)"
expect "P1 armss" "$(field P1 armss "$T/out.tsv")" "$(cell "$SEV/globalArmss.txt" 28 EDSS.4.0)"
expect "P1 edss3_time (1996-01-01, 2191 d)" "$(field P1 edss3_time "$T/out.tsv")" 5.9986
expect "P1 edss4_time (1997-01-01, 2557 d)" "$(field P1 edss4_time "$T/out.tsv")" 7.0007
expect "P1 edss6_event (6 during a relapse, then 4)" "$(field P1 edss6_event "$T/out.tsv")" 0
expect "P1 edss6_time (censored 1998-01-01)" "$(field P1 edss6_time "$T/out.tsv")" 8.0000
expect "P1 edss6_entry (1995-01-01)" "$(field P1 edss6_entry "$T/out.tsv")" 4.9993
expect "P1 cdp_event" "$(field P1 cdp_event "$T/out.tsv")" 1
expect "P1 cdp_time" "$(field P1 cdp_time "$T/out.tsv")" 5.9986
# P2: 0 -> 1 -> 1.5 -> 1.5 only 31 days later: not confirmed at 12 weeks
expect "P2 cdp_event" "$(field P2 cdp_event "$T/out.tsv")" 0
expect "P2 msss_2005 (dd 3.09)" "$(field P2 msss_2005 "$T/out.tsv")" "$(cell "$SEV/oldMsss.txt" dd3 EDSS.1.5)"
expect "P2 msss_2017 (dd 3.09)" "$(field P2 msss_2017 "$T/out.tsv")" "$(cell "$SEV/globalMsss.txt" dd3 EDSS.1.5)"

# options: a 30-day confirmation window confirms P2; ms.sev rows shift the updated MSSS by one row
"$BCMS" clinical --visits "$FX/visits.tsv" --patients "$FX/patients.tsv" -o "$T/opt.tsv" \
    --cdp-confirm-days 30 --msss-rows mssev --milestones 1.5,3 --cdp-origin baseline 2>/dev/null || ko "run with options"
expect "P2 cdp_event (30 d)" "$(field P2 cdp_event "$T/opt.tsv")" 1
expect "P2 cdp_time from baseline (2001-01-01 -> 2003-01-01, 730 d)" "$(field P2 cdp_time "$T/opt.tsv")" 1.9986
expect "P1 msss_2017 mssev" "$(field P1 msss_2017 "$T/opt.tsv")" "$(cell "$SEV/globalMsss.txt" dd9 EDSS.4.0)"
expect "milestone columns" "$(head -1 "$T/opt.tsv" | cut -f8,11)" "$(printf 'edss1.5_time\tedss3_time')"

# gzip output
"$BCMS" clinical --visits "$FX/visits.tsv" --patients "$FX/patients.tsv" -o "$T/out.tsv.gz" 2>/dev/null &&
    cmp -s <(gzip -dc "$T/out.tsv.gz") "$T/out.tsv" && ok "gzip output" || ko "gzip output"

# bad files: non-zero exit, file:line in the message, nothing written, no temporary left behind
bad() { # name visits-content expected-message-part
    printf "$2" > "$T/bad.tsv"
    rm -f "$T/badout.tsv"
    if "$BCMS" clinical --visits "$T/bad.tsv" --patients "$FX/patients.tsv" -o "$T/badout.tsv" 2>"$T/err"; then
        ko "$1: accepted"
    elif [ -e "$T/badout.tsv" ] || ls "$T"/badout.tsv.tmp* >/dev/null 2>&1; then
        ko "$1: output left behind"
    elif ! grep -q "$3" "$T/err"; then
        ko "$1: message '$(cat "$T/err")' lacks '$3'"
    else ok "$1 rejected: $(cat "$T/err")"; fi
}
H='IID\tdate\tedss\trelapse\n'
bad "EDSS 0.5" "${H}P1\t1995-01-01\t2\t0\nP1\t1996-01-01\t0.5\t0\n" "bad.tsv:3:"
bad "visit before onset" "${H}P1\t1989-01-01\t2\t0\n" "bad.tsv:2:.*before the onset"
bad "unknown patient" "${H}P9\t1999-01-01\t2\t0\n" "bad.tsv:2: patient 'P9'"
bad "bad date" "${H}P1\t1999-02-29\t2\t0\n" "bad.tsv:2:"
bad "duplicated column" "IID\tdate\tedss\tdate\nP1\t1999-01-01\t2\t1999-01-01\n" "bad.tsv:1: column 'date'"

# a failing run must not clobber an existing output
cp "$T/out.tsv" "$T/keep.tsv"
printf "${H}P1\t1995-01-01\t11\t0\n" > "$T/bad.tsv"
"$BCMS" clinical --visits "$T/bad.tsv" --patients "$FX/patients.tsv" -o "$T/keep.tsv" 2>/dev/null && ko "EDSS 11 accepted"
cmp -s "$T/keep.tsv" "$T/out.tsv" && ok "existing output untouched by a failed run" || ko "existing output changed"

# the compiled-in tables are what the committed generator makes from the peer data
if command -v python3 >/dev/null; then
    python3 "$BCMS_SRC/tests/fixtures/clinical/gen_tables.py" "$BCMS_PEER/ms-severity" > "$T/tables.c" &&
        cmp -s "$T/tables.c" "$BCMS_SRC/queries/clinical/msss_tables.c" && ok "msss_tables.c up to date" ||
        ko "queries/clinical/msss_tables.c differs from gen_tables.py output: regenerate it"
fi

# two cohorts into one store: the second --append'ed to the same columns; the stored values are the
# two cohorts' outputs; a cohort that changes a stored patient's values is refused, store unchanged
D=$BCMS_SRC/data-samples
st=$T/two.bcms
"$BCMS" clinical "$st" --visits "$D/sardinia.visits.tsv" --patients "$D/sardinia.patients.tsv" -o "$T/sar.tsv" 2>/dev/null &&
    ok "sardinia fields stored" || ko "sardinia fields not stored"
"$BCMS" clinical "$st" --visits "$D/progemus.visits.tsv" --patients "$D/progemus.patients.tsv" -o "$T/prg.tsv" 2>"$T/err" &&
    ko "second cohort without --append accepted" || { grep -q -- "--append" "$T/err" && ok "second cohort without --append refused, names --append" || ko "refusal: $(cat "$T/err")"; }
[ ! -e "$T/prg.tsv" ] && ok "refused store: -o OUT not written" || ko "refused store wrote -o OUT"
"$BCMS" clinical "$st" --visits "$D/progemus.visits.tsv" --patients "$D/progemus.patients.tsv" --append -o "$T/prg.tsv" 2>/dev/null &&
    ok "progemus fields appended" || ko "progemus --append failed"
cols=$(head -1 "$T/sar.tsv" | cut -f2- | tr '\t' ',')
"$BCMS" pheno "$st" --export "$cols" > "$T/stored.tsv"
{ cat "$T/sar.tsv"; tail -n +2 "$T/prg.tsv"; } > "$T/both.tsv"
awk -F'\t' 'NR==FNR{a[$1]=$0; next} FNR==1{next} {n++; if (!($1 in a)) {bad++; next}; split(a[$1], x, "\t");
    for (i = 2; i <= NF; i++) if (x[i] != $i && !(x[i] + 0 == $i + 0 && x[i] != "NA" && $i != "NA")) {bad++; break}}
    END{exit !(n == want && bad == 0)}' want="$(awk -F'\t' 'NR > 1 {for (i = 2; i <= NF; i++) if ($i != "NA") {k++; break}} END{print k}' "$T/both.tsv")" \
    "$T/both.tsv" "$T/stored.tsv" && ok "stored columns == both cohorts' outputs (every patient with a value)" ||
    ko "stored columns differ from the two outputs"
sum=$(md5sum < "$st/data.mdb")
awk -F'\t' 'BEGIN{OFS="\t"} NR > 1 && $1 == "PRG0001" && !done {$3 = ($3 >= 9.5 ? $3 - 0.5 : $3 + 0.5); done = 1} {print}' \
    "$D/progemus.visits.tsv" > "$T/prg_changed.tsv"
"$BCMS" clinical "$st" --visits "$T/prg_changed.tsv" --patients "$D/progemus.patients.tsv" --append 2>"$T/err" &&
    ko "changed values appended" || { grep -q "sample PRG0001 has" "$T/err" && ok "changed patient refused: $(cat "$T/err")" || ko "changed patient: $(cat "$T/err")"; }
[ "$sum" = "$(md5sum < "$st/data.mdb")" ] && ok "refused append: data.mdb identical" || ko "refused append changed data.mdb"

# the field types do not depend on one cohort's values: a single patient who reached EDSS 6 has an
# edss6_event column of 1s only, which must stay "event" (binary 0/1), not PLINK's 1/2 "control"
pid=$(awk -F'\t' 'NR > 1 && $15 == 1 {print $1; exit}' "$T/sar.tsv")
awk -F'\t' -v p="$pid" 'NR == 1 || $1 == p' "$D/sardinia.visits.tsv" > "$T/one.visits.tsv"
awk -F'\t' -v p="$pid" 'NR == 1 || $1 == p' "$D/sardinia.patients.tsv" > "$T/one.patients.tsv"
"$BCMS" clinical "$T/one.bcms" --visits "$T/one.visits.tsv" --patients "$T/one.patients.tsv" 2>/dev/null
"$BCMS" pheno "$T/one.bcms" --list > "$T/one.list" 2>/dev/null
[ -n "$pid" ] && awk -F'\t' '$1 == "edss6_event" && $2 == "binary" && $3 == "0/1" {f = 1} END {exit !f}' "$T/one.list" &&
    ok "one patient with the event: edss6_event stored binary 0/1 ($pid)" || ko "one patient: edss6_event $(grep edss6_event "$T/one.list" | cut -f1-3)"
awk -F'\t' '$1 == "sev_edss" && $2 == "quantitative" {f = 1} END {exit !f}' "$T/one.list" &&
    ok "one patient: sev_edss quantitative" || ko "one patient: sev_edss $(grep sev_edss "$T/one.list" | cut -f1-3)"

# usage
"$BCMS" clinical >/dev/null 2>&1; [ $? -eq 2 ] && ok "no arguments -> usage, exit 2" || ko "usage exit status"
"$BCMS" clinical --visits "$FX/visits.tsv" -o "$T/x.tsv" --milestones 0.5 2>/dev/null && ko "milestone 0.5 accepted" || ok "bad option rejected"
exit $fail
