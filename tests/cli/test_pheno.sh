#!/usr/bin/env bash
# test_pheno.sh: `bcms pheno` on the data-samples phenotype and covariate tables: store, list,
# export back (round trip), refusal without --replace, --replace, --append of a second cohort,
# forced types, and bad files that
# must leave STORE/data.mdb byte-identical (or no store at all). SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/../lib/common.sh"
D=$BCMS_SRC/data-samples
T=$BCMS_TMP
s=$T/s.bcms

# column COL of a --list output: the row of NAME
listed() { awk -F'\t' -v n="$1" -v c="$2" '$1==n{print $c}' "$T/list"; }
# non-missing values of a column of a table (NA, -9, . and empty are missing)
present() {
    awk -F'\t' -v n="$1" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i; next} !($c=="NA"||$c=="-9"||$c=="."||$c==""){k++} END{print k+0}' "$2"
}
md5() { md5sum < "$s/data.mdb"; }
# run a command with stdout to a file, as one check (check's own "ok" line must not go to the file)
to() { local out=$1; shift; "$@" > "$out"; }
# two tables hold the same values: same shape, same text, numbers equal as numbers (6.10 == 6.1)
same_table() {
    awk -F'\t' 'NR==FNR{a[FNR]=$0; n=FNR; next}
        {if (!(FNR in a)) exit 1; split(a[FNR], x, "\t"); if (length(x) != NF) exit 1
         for (i = 1; i <= NF; i++) if (x[i] != $i && !(x[i] ~ /^-?[0-9.e+-]+$/ && x[i] + 0 == $i + 0)) exit 1}
        END{if (FNR != n) exit 1}' "$1" "$2"
}

# store both tables of the Sardinian cohort, after its genotypes: no new samples
check "import sardinia genotypes" "$BCMS" import -q --threads 2 "$s" "$D/sardinia.vcf.gz"
check "store sardinia.pheno.tsv" "$BCMS" pheno "$s" "$D/sardinia.pheno.tsv" 2> "$T/log1"
check "message counts rows and new samples" grep -q "400 rows (0 samples new" "$T/log1"
check "store sardinia.covar.tsv" "$BCMS" pheno "$s" "$D/sardinia.covar.tsv" 2> "$T/log2"
check "one-level column warned about" grep -q "column 'population' has one level only" "$T/log2"
check "--list" to "$T/list" "$BCMS" pheno "$s" --list
check "11 columns listed" [ "$(grep -vc '^#' "$T/list")" -eq 11 ]
check "severity quantitative" [ "$(listed severity 2)" = quantitative ]
check "binary_trait binary 1/2" [ "$(listed binary_trait 2)/$(listed binary_trait 3)" = binary/1/2 ]
check "edss6_event binary 0/1" [ "$(listed edss6_event 2)/$(listed edss6_event 3)" = binary/0/1 ]
check "sex binary 1/2" [ "$(listed sex 2)/$(listed sex 3)" = binary/1/2 ]
check "population categorical" [ "$(listed population 2)/$(listed population 3)" = categorical/isolate ]
for c in severity binary_trait time_to_edss6 edss6_event; do
    check "$c: non-missing count" [ "$(listed $c 4)" = "$(present $c "$D/sardinia.pheno.tsv")" ]
done
check "age_onset: non-missing count" [ "$(listed age_onset 4)" = "$(present age_onset "$D/sardinia.covar.tsv")" ]
check "provenance: source and size" [ "$(listed severity 5)/$(listed severity 6)" = \
    "$D/sardinia.pheno.tsv/$(stat -c %s "$D/sardinia.pheno.tsv")" ]
check "provenance: command line" grep -q "pheno $s $D/sardinia.pheno.tsv" <(listed severity 9)
check "samples still 400" grep -qx "samples	400" <("$BCMS" info "$s")

# export writes the stored values back exactly as the file had them
check "--export" to "$T/export.tsv" "$BCMS" pheno "$s" --export severity,binary_trait,time_to_edss6,edss6_event
check "export == sardinia.pheno.tsv" same_table "$T/export.tsv" "$D/sardinia.pheno.tsv"
check "--export covariates" to "$T/export2.tsv" "$BCMS" pheno "$s" --export sex,age_onset,PC1,PC2,PC3,PC4,population
check "export == sardinia.covar.tsv" same_table "$T/export2.tsv" "$D/sardinia.covar.tsv"
sed 's/^SAR0002\t4.83/SAR0002\t4.84/' "$D/sardinia.pheno.tsv" > "$T/changed.tsv"
if same_table "$T/export.tsv" "$T/changed.tsv"; then fail "same_table misses a changed value"; else pass "same_table sees a changed value"; fi
check "--export of an absent column fails" bash -c "! '$BCMS' pheno '$s' --export nope 2>'$T/err'"
check "absent column: message lists the stored ones" grep -q "stored: PC1, PC2" "$T/err"

# the same file again: refused, nothing written; --replace overwrites
before=$(md5)
rc=0; "$BCMS" pheno "$s" "$D/sardinia.pheno.tsv" 2> "$T/err" || rc=$?
check "second import refused (exit 1)" [ "$rc" -eq 1 ]
check "refusal names the columns and --replace" grep -q "severity, binary_trait.*--replace" "$T/err"
check "refused import leaves data.mdb identical" [ "$before" = "$(md5)" ]
check "--replace accepted" "$BCMS" pheno "$s" "$D/sardinia.pheno.tsv" --replace 2> "$T/log3"
check "--replace reports 4 replaced" grep -q "4 replaced" "$T/log3"
check "--list after --replace" to "$T/list" "$BCMS" pheno "$s" --list
check "still 11 columns" [ "$(grep -vc '^#' "$T/list")" -eq 11 ]
"$BCMS" pheno "$s" --export severity,binary_trait,time_to_edss6,edss6_event > "$T/export3.tsv"
check "values unchanged after --replace" same_table "$T/export3.tsv" "$D/sardinia.pheno.tsv"

# forced types and a column subset
check "--type sex=categorical --columns sex --replace" \
    "$BCMS" pheno "$s" "$D/sardinia.covar.tsv" --type sex=categorical --columns sex --replace 2>/dev/null
"$BCMS" pheno "$s" --list > "$T/list"
check "sex now categorical with levels 1,2" [ "$(listed sex 2)/$(listed sex 3)" = categorical/1,2 ]

# bad files: exit 1, FILE:LINE in the message, data.mdb byte-identical
H='#IID\tq\tb\n'
bad() { # name content expected-message [options...]
    local name=$1 content=$2 want=$3; shift 3
    printf "$content" > "$T/bad.tsv"
    local b rc=0
    b=$(md5)
    "$BCMS" pheno "$s" "$T/bad.tsv" "$@" 2> "$T/err" || rc=$?
    if [ "$rc" -eq 0 ]; then fail "$name: accepted"
    elif [ "$b" != "$(md5)" ]; then fail "$name: data.mdb changed"
    elif ! grep -q -- "$want" "$T/err"; then fail "$name: message '$(cat "$T/err")' lacks '$want'"
    else pass "$name rejected, store identical: $(cat "$T/err")"; fi
}
bad "duplicate IID" "${H}N1\t1\t1\nN2\t2\t2\nN1\t3\t1\n" "bad.tsv:4: sample 'N1' appears twice"
bad "duplicate column" '#IID\tq\tq\nN1\t1\t2\n' "bad.tsv:1: column 'q' appears twice"
bad "wrong field count" "${H}N1\t1\t1\nN2\t2\n" "bad.tsv:3: 2 fields"
bad "non-number in a forced quantitative column" "${H}N1\t1\t1\nN2\tlow\t2\n" "bad.tsv:3: column 'q'" --type q=quantitative
bad "value 3 in a forced binary column" "${H}N1\t1\t1\nN2\t2\t3\n" "bad.tsv:3: column 'b' is binary" --type b=binary
bad "no IID in the header" '#SID\tq\nN1\t1\n' "bad.tsv:1: the header must start with #IID"
bad "--columns names an absent column" "${H}N1\t1\t1\n" "'zz', which is not a column" --columns q,zz
"$BCMS" pheno "$s" "$T/absent.tsv" 2> "$T/err" && fail "absent file accepted" || check "absent file named" grep -q absent.tsv "$T/err"
# a file whose one column clashes and one does not: nothing of it is written
printf '#IID\tnewcol\tseverity\nN1\t1.5\t2.5\n' > "$T/mixed.tsv"
before=$(md5)
"$BCMS" pheno "$s" "$T/mixed.tsv" 2>/dev/null && fail "partial clash accepted" || pass "partial clash refused"
check "partial clash: data.mdb identical" [ "$before" = "$(md5)" ]
check "partial clash: sample N1 not interned" grep -qx "samples	400" <("$BCMS" info "$s")

# a bad file never creates a store; a good one creates it (phenotypes before genotypes)
printf '#IID\tq\nN1\t1\nN1\t2\n' > "$T/bad.tsv"
"$BCMS" pheno "$T/new.bcms" "$T/bad.tsv" 2>/dev/null && fail "bad file accepted into a new store"
check "no store created by a bad file" [ ! -e "$T/new.bcms" ]
check "phenotypes before genotypes" "$BCMS" pheno "$T/new.bcms" "$D/progemus.pheno.tsv" 2>/dev/null
check "progemus samples registered" grep -qx "samples	300" <("$BCMS" info "$T/new.bcms")

# --append: another cohort's table into the same columns (all or nothing, one value per sample)
check "covariates back as in the file" "$BCMS" pheno "$s" "$D/sardinia.covar.tsv" --replace 2>/dev/null
before=$(md5)
rc=0; "$BCMS" pheno "$s" "$D/progemus.pheno.tsv" --append --replace > /dev/null 2>&1 || rc=$?
check "--append with --replace: usage error, exit 2" [ "$rc" -eq 2 ]
check "--append progemus.pheno.tsv" "$BCMS" pheno "$s" "$D/progemus.pheno.tsv" --append 2> "$T/log4"
check "--append reports 4 appended, 300 new samples" grep -q "300 samples new.*0 replaced, 4 appended" "$T/log4"
"$BCMS" pheno "$s" --list > "$T/list"
for c in severity binary_trait time_to_edss6 edss6_event; do
    check "$c: values of both cohorts" [ "$(listed $c 4)" -eq $(($(present $c "$D/sardinia.pheno.tsv") + $(present $c "$D/progemus.pheno.tsv"))) ]
done
check "provenance lists both files" [ "$(listed severity 5)" = "$D/sardinia.pheno.tsv; $D/progemus.pheno.tsv" ]
"$BCMS" pheno "$s" --export severity,binary_trait,time_to_edss6,edss6_event > "$T/export4.tsv"
{ cat "$D/sardinia.pheno.tsv"; tail -n +2 "$D/progemus.pheno.tsv"; } > "$T/both.tsv"
check "export == sardinia + progemus rows" same_table "$T/export4.tsv" "$T/both.tsv"
check "the same file appended again: accepted" "$BCMS" pheno "$s" "$D/progemus.pheno.tsv" --append 2>/dev/null
"$BCMS" pheno "$s" --list > "$T/list"
check "appended again: source listed once" [ "$(listed severity 5)" = "$D/sardinia.pheno.tsv; $D/progemus.pheno.tsv" ]
"$BCMS" pheno "$s" --export severity,binary_trait,time_to_edss6,edss6_event > "$T/export5.tsv"
check "appended again: values unchanged" same_table "$T/export5.tsv" "$T/both.tsv"
sed 's/^PRG0002\t4.29/PRG0002\t4.30/' "$D/progemus.pheno.tsv" > "$T/conflict.tsv"
before=$(md5)
rc=0; "$BCMS" pheno "$s" "$T/conflict.tsv" --append 2> "$T/err" || rc=$?
check "a sample with another value: refused (exit 1)" [ "$rc" -eq 1 ]
check "conflict names the sample and both values" grep -q "sample PRG0002 has severity = 4.29 in .* but 4.3 in the file" "$T/err"
check "conflict: data.mdb identical" [ "$before" = "$(md5)" ]
# a 1/2-coded file cannot go into a 0/1-coded column (which coding a cohort of 1s means is the user's call)
printf '#IID\tedss6_event\nNEW1\t2\nNEW2\t1\n' > "$T/coded12.tsv"
before=$(md5)
rc=0; "$BCMS" pheno "$s" "$T/coded12.tsv" --append 2> "$T/err" || rc=$?
check "1/2 coding into a 0/1 column: refused" [ "$rc" -eq 1 ]
check "coding clash named" grep -q "edss6_event is binary coded 1/2.*but 0/1" "$T/err"
check "coding clash: data.mdb identical" [ "$before" = "$(md5)" ]
# covariates: a binary sex cannot go into a categorical one; levels of categorical columns merge
"$BCMS" pheno "$s" "$D/sardinia.covar.tsv" --type sex=categorical --columns sex --replace 2>/dev/null
before=$(md5)
rc=0; "$BCMS" pheno "$s" "$D/progemus.covar.tsv" --append 2> "$T/err" || rc=$?
check "binary into categorical: refused" [ "$rc" -eq 1 ]
check "type clash named" grep -q "column sex is binary in the file but categorical in" "$T/err"
check "type clash: data.mdb identical" [ "$before" = "$(md5)" ]
check "--append covariates (sex forced categorical)" "$BCMS" pheno "$s" "$D/progemus.covar.tsv" --type sex=categorical --append 2>/dev/null
"$BCMS" pheno "$s" --list > "$T/list"
check "population levels merged" [ "$(listed population 3)" = isolate,mainland ]
"$BCMS" pheno "$s" --export sex,age_onset,PC1,PC2,PC3,PC4,population > "$T/export6.tsv"
{ cat "$D/sardinia.covar.tsv"; tail -n +2 "$D/progemus.covar.tsv"; } > "$T/bothcov.tsv"
check "covariates export == sardinia + progemus rows" same_table "$T/export6.tsv" "$T/bothcov.tsv"

# usage
rc=0; "$BCMS" pheno > /dev/null 2>&1 || rc=$?
check "no arguments: usage, exit 2" [ "$rc" -eq 2 ]
rc=0; "$BCMS" pheno "$s" "$D/sardinia.pheno.tsv" --type severity=ordinal > /dev/null 2>&1 || rc=$?
check "bad --type: exit 2" [ "$rc" -eq 2 ]
# a table whose IIDs match none of the genotyped samples (plink2's FID_IID names, a prefix) is stored with a warning
awk -F'\t' -v OFS='\t' 'NR == 1 {print "#IID", "other_trait"; next} {print "F_" $1, NR * 0.5}' "$D/sardinia.pheno.tsv" > "$T/f.tsv"
"$BCMS" pheno "$s" "$T/f.tsv" 2> "$T/f.err"
check "pheno with no genotyped sample among its IIDs warns" grep -q "none of the .* samples of .*f.tsv has genotypes" "$T/f.err"
awk -F'\t' -v OFS='\t' 'NR == 1 {print "#IID", "matching_trait"; next} {print $1, NR * 0.5}' "$D/sardinia.pheno.tsv" > "$T/g.tsv"
"$BCMS" pheno "$s" "$T/g.tsv" 2> "$T/g.err"
check "no such warning when the IIDs are the genotyped samples'" test -s "$T/g.err" -a -z "$(grep "has genotypes" "$T/g.err")"
finish
