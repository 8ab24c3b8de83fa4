#!/usr/bin/env bash
# test_pheno_tables.sh: phenotype and covariate tables as real cohorts deliver them (issue 8, issue 13):
# decimal commas (refused, then read with --decimal-comma to the same numbers as the dot file), inf/nan
# cells (the reliability cases), categorical columns given as outcomes or Cox endpoint columns,
# files lacking samples (counted), an all-missing phenotype among several (skipped), PLINK 1 .fam and
# headerless FID IID files, --pheno-name/--covar-name, Cox endpoint errors naming IID and line, and IIDs
# over LMDB's key limit. Every refusal leaves data.mdb byte-identical. SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/../lib/common.sh"
D=$BCMS_SRC/data-samples
R=$BCMS_SRC/../shared/reliability-cases
T=$BCMS_TMP
s=$T/s.bcms
md5() { md5sum < "$s/data.mdb"; }
# refused CMD...: exit 1, message has WANT, data.mdb unchanged
refused() { # name want command...
    local name=$1 want=$2 rc=0 b; shift 2
    b=$(md5)
    "$@" > "$T/out" 2> "$T/err" || rc=$?
    if [ "$rc" -ne 1 ]; then fail "$name: exit $rc, not 1"
    elif [ "$b" != "$(md5)" ]; then fail "$name: data.mdb changed"
    elif ! grep -q -- "$want" "$T/err"; then fail "$name: message '$(cat "$T/err")' lacks '$want'"
    else pass "$name refused, store identical: $(head -c 300 "$T/err")"; fi
}

"$BCMS" import -q "$s" "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" pheno "$s" "$D/sardinia.covar.tsv" 2>/dev/null
scan=(assoc "$s" --maf 0.05 -r 1 --threads 1)

# decimal commas: an Italian spreadsheet export of the phenotype table
sed '2,$ s/\([0-9]\)\.\([0-9]\)/\1,\2/g' "$D/sardinia.pheno.tsv" > "$T/comma.tsv"
check "the comma table has decimal commas" grep -q $'^SAR0001\t6,14\t' "$T/comma.tsv"
refused "pheno: decimal commas" "comma.tsv:2: column 'severity' holds '6,14', a number with a decimal comma.*--decimal-comma" \
    "$BCMS" pheno "$s" "$T/comma.tsv"
refused "assoc --pheno-file: decimal commas" "comma.tsv:2: column 'severity' holds '6,14'" \
    "$BCMS" "${scan[@]}" --model linear --pheno severity --pheno-file "$T/comma.tsv" -o "$T/x.tsv"
check "no output left by the refused scan" [ ! -e "$T/x.tsv" ]
"$BCMS" "${scan[@]}" --model linear --pheno severity --pheno-file "$D/sardinia.pheno.tsv" --covar PC1,sex -o "$T/dot.tsv" 2>/dev/null
check "assoc --decimal-comma" "$BCMS" "${scan[@]}" --model linear --pheno severity --pheno-file "$T/comma.tsv" \
    --decimal-comma --covar PC1,sex -o "$T/comma.out.tsv"
check "decimal-comma scan == dot scan (byte-identical)" cmp "$T/dot.tsv" "$T/comma.out.tsv"
check "dot scan has rows" [ "$(wc -l < "$T/dot.tsv")" -gt 10 ]
sed '2,$ s/\([0-9]\)\.\([0-9]\)/\1,\2/g' "$D/sardinia.covar.tsv" > "$T/comma.covar.tsv"
check "assoc --covar-file with decimal commas and --decimal-comma" "$BCMS" "${scan[@]}" --model linear --pheno severity \
    --pheno-file "$T/comma.tsv" --covar-file "$T/comma.covar.tsv" --decimal-comma --covar PC1,sex -o "$T/comma2.tsv"
check "  ... == dot scan" cmp "$T/dot.tsv" "$T/comma2.tsv"
check "pheno --decimal-comma stores it" "$BCMS" pheno "$s" "$T/comma.tsv" --decimal-comma 2>/dev/null
"$BCMS" pheno "$s" --export severity,time_to_edss6 > "$T/export.tsv"
check "stored values are the numbers (6,14 -> 6.14)" grep -q $'^SAR0001\t6.14\t9.99$' "$T/export.tsv"
"$BCMS" "${scan[@]}" --model linear --pheno severity --covar PC1,sex -o "$T/stored.tsv" 2>/dev/null
check "scan of the stored comma column == dot scan" cmp "$T/dot.tsv" "$T/stored.tsv"
printf '#IID\tq\nA\t1,5\nB\t2.5\n' > "$T/mixed.tsv"
refused "--decimal-comma with a decimal point in the column" "mixed.tsv:3: column 'q' holds '2.5' with a decimal point" \
    "$BCMS" pheno "$s" "$T/mixed.tsv" --decimal-comma
printf '#IID\tq\nA\t1.5\nB\tunknown\nC\t2.5\n' > "$T/word.tsv"
refused "a word in a column of numbers" "word.tsv:3: column 'q' holds numbers but also 'unknown'" "$BCMS" pheno "$s" "$T/word.tsv"

# inf / nan: the reliability cases
refused "pheno_severity_inf.tsv" "pheno_severity_inf.tsv:2: column 'severity': 'inf' is not a finite number" \
    "$BCMS" pheno "$s" "$R/pheno_severity_inf.tsv"
refused "pheno_time_inf.tsv" "pheno_time_inf.tsv:2: column 'time_to_edss6': 'inf' is not a finite number" \
    "$BCMS" pheno "$s" "$R/pheno_time_inf.tsv"
refused "assoc linear on pheno_severity_inf.tsv" "pheno_severity_inf.tsv:2: column 'severity'" \
    "$BCMS" "${scan[@]}" --model linear --pheno severity --pheno-file "$R/pheno_severity_inf.tsv" -o "$T/x.tsv"
refused "assoc cox on pheno_time_inf.tsv" "pheno_time_inf.tsv:2: column 'time_to_edss6'" \
    "$BCMS" "${scan[@]}" --model cox --time time_to_edss6 --event edss6_event --pheno-file "$R/pheno_time_inf.tsv" -o "$T/x.tsv"
printf '#IID\tq\nA\t1.5\nB\tNaN\nC\t1e999\n' > "$T/nan.tsv"
refused "nan in a column" "nan.tsv:3: column 'q': 'NaN' is not a finite number (2 such values)" "$BCMS" pheno "$s" "$T/nan.tsv"

# categorical columns where numbers are needed
"$BCMS" pheno "$s" "$D/sardinia.pheno.tsv" --replace 2>/dev/null
awk 'BEGIN{OFS="\t"} NR==1{print $0, "grade"; next} {print $0, ($2 > 4 ? "high" : "low")}' "$D/sardinia.pheno.tsv" > "$T/cat.tsv"
refused "categorical linear outcome" "linear outcome 'population' from the store's pheno table (stored from .*sardinia.covar.tsv) is categorical" \
    "$BCMS" "${scan[@]}" --model linear --pheno population -o "$T/x.tsv"
refused "categorical logistic outcome" "logistic outcome 'grade' from .*cat.tsv is categorical (levels 'high', 'low')" \
    "$BCMS" "${scan[@]}" --model logistic --pheno grade --pheno-file "$T/cat.tsv" -o "$T/x.tsv"
refused "categorical Cox time" "Cox time 'grade' from .*cat.tsv is categorical" \
    "$BCMS" "${scan[@]}" --model cox --time grade --event edss6_event --pheno-file "$T/cat.tsv" -o "$T/x.tsv"
refused "categorical Cox event" "Cox event 'population' .* is categorical" \
    "$BCMS" "${scan[@]}" --model cox --time time_to_edss6 --event population -o "$T/x.tsv"
refused "categorical Cox entry" "Cox entry time 'grade' .* is categorical" \
    "$BCMS" "${scan[@]}" --model cox --time time_to_edss6 --event edss6_event --entry grade --pheno-file "$T/cat.tsv" -o "$T/x.tsv"

# files lacking samples: each says how many it removed
head -n 301 "$D/sardinia.pheno.tsv" > "$T/p300.tsv"
{ head -n 1 "$D/sardinia.covar.tsv"; sed -n '52,$p' "$D/sardinia.covar.tsv"; printf 'GHOST1\t1\t30\t0\t0\t0\t0\tisolate\n'; } > "$T/c350.tsv"
"$BCMS" "${scan[@]}" --model linear --pheno severity --pheno-file "$T/p300.tsv" --covar-file "$T/c350.tsv" \
    --covar PC1 -o "$T/lack.tsv" 2> "$T/lack.log"
check "pheno file: 100 of 400 samples removed" grep -q "p300.tsv: 100 of the scan's 400 samples are not in this file" "$T/lack.log"
check "covar file: 50 of 400 samples removed" grep -q "c350.tsv: 50 of the scan's 400 samples are not in this file" "$T/lack.log"
check "covar file: 1 row not in the scan" grep -q "c350.tsv: 1 of its 351 rows name samples that are not in the scan" "$T/lack.log"
n=$(awk -F'\t' 'NR==FNR{if (FNR>1 && $3!="NA") pc[$1]=1; next} FNR>1 && FNR<=301 && ($1 in pc) && $2!="NA"{k++} END{print k}' "$T/c350.tsv" "$D/sardinia.pheno.tsv")
check "model has the $n samples in both files with values" grep -q "severity: $n samples" "$T/lack.log"

# one all-missing phenotype among several: skipped with a warning
awk 'BEGIN{OFS="\t"} NR==1{print $1, $2, "empty"; next} {print $1, $2, "NA"}' "$D/sardinia.pheno.tsv" > "$T/empty.tsv"
check "all-missing phenotype among two: scan runs" "$BCMS" "${scan[@]}" --model linear --pheno empty,severity \
    --pheno-file "$T/empty.tsv" --covar PC1,sex -o "$T/two.tsv" 2> "$T/two.log"
check "  ... with a warning naming it" grep -q "phenotype empty has no value for any sample of the scan: skipped" "$T/two.log"
check "  ... and the numbers of the single scan" cmp "$T/dot.tsv" "$T/two.tsv"
refused "all phenotypes missing" "none of the phenotypes empty,empty2" bash -c \
    "awk 'BEGIN{OFS=\"\t\"} {print \$0, (NR==1 ? \"empty2\" : \"NA\")}' '$T/empty.tsv' > '$T/empty2.tsv'; \
     '$BCMS' assoc '$s' --maf 0.05 -r 1 --model linear --pheno empty,empty2 --pheno-file '$T/empty2.tsv' -o '$T/x.tsv'"

# PLINK 1 .fam and headerless FID IID files
awk 'NR==FNR{sex[$1]=$2; next} FNR>1{print "F"FNR, $1, 0, 0, sex[$1], $2}' "$D/sardinia.covar.tsv" "$D/sardinia.pheno.tsv" > "$T/c.fam"
"$BCMS" "${scan[@]}" --model linear --pheno PHENO1 --pheno-file "$T/c.fam" --covar PC1,sex -o "$T/fam.tsv" 2>/dev/null
check ".fam PHENO1 scan == #IID table scan" cmp "$T/dot.tsv" "$T/fam.tsv"
awk 'NR>1{print "F"NR, $1, $2, $4}' "$D/sardinia.pheno.tsv" > "$T/nohead.txt"
"$BCMS" "${scan[@]}" --model linear --pheno PHENO1 --pheno-file "$T/nohead.txt" --covar PC1,sex -o "$T/nohead.tsv" 2>/dev/null
check "headerless FID IID file scan == #IID table scan" cmp "$T/dot.tsv" "$T/nohead.tsv"
awk 'NR>1{print "F"NR, $1, $4, $5}' "$D/sardinia.covar.tsv" > "$T/nohead.covar.txt"
"$BCMS" "${scan[@]}" --model linear --pheno severity --covar PC1,PC2 -o "$T/nc.ref.tsv" 2>/dev/null
check "headerless covariate file: columns COVAR1.. (COVAR2 = PC2)" bash -c "'$BCMS' assoc '$s' --maf 0.05 -r 1 --model linear \
    --pheno severity --covar-file '$T/nohead.covar.txt' --covar COVAR1,COVAR2 -o '$T/nc2.tsv' 2>/dev/null && cmp '$T/nc2.tsv' '$T/nc.ref.tsv'"
awk 'NR>1{print "F"NR, $1, 0, 0, ($2 == 1 ? 1 : 2), -9}' "$D/sardinia.covar.tsv" > "$T/sex.fam"
check "pheno STORE x.fam" "$BCMS" pheno "$T/fam.bcms" "$T/sex.fam" 2>/dev/null
"$BCMS" pheno "$T/fam.bcms" --list > "$T/fam.list"
check ".fam: sex stored binary 1/2, PAT/MAT not stored" [ "$(awk -F'\t' '$1=="sex"{print $2"/"$3}' "$T/fam.list")/$(grep -c -E '^(PAT|MAT)' "$T/fam.list")" = "binary/1/2/0" ]
printf 'sample\tage\tsex\nA\t30\t1\n' > "$T/badhead.tsv"
refused "a header of words without #IID" "badhead.tsv:1: the header must start with #IID" "$BCMS" pheno "$s" "$T/badhead.tsv"

# PLINK 2 spellings
"$BCMS" "${scan[@]}" --model linear --pheno-name severity --pheno-file "$D/sardinia.pheno.tsv" --covar-name PC1,sex -o "$T/names.tsv" 2>/dev/null
check "--pheno-name/--covar-name == --pheno/--covar" cmp "$T/dot.tsv" "$T/names.tsv"

# Cox endpoint: negative times, entry not before time; every bad sample counted, named by IID and line
awk 'BEGIN{OFS="\t"} NR==1{print $1, $4, $5, "entry"; next}
     {e = $4 / 2; if (NR == 4 || NR == 9 || NR == 12) e = $4 + 1; t = $4; if (NR == 20) t = -1; print $1, t, $5, e}' \
    "$D/sardinia.pheno.tsv" > "$T/entry.tsv"
refused "Cox: bad entry times and a negative time" "4 samples cannot be used: SAR0003 (.*entry.tsv:4: entry time not before the time" \
    "$BCMS" "${scan[@]}" --model cox --time time_to_edss6 --event edss6_event --entry entry --pheno-file "$T/entry.tsv" -o "$T/x.tsv"
check "  ... the negative time named with its line" grep -q "SAR0019 (.*entry.tsv:20: negative time" "$T/err"
check "  ... no 'sample 3' index" bash -c "! grep -q 'sample [0-9]' '$T/err'"

# sample names over LMDB's key limit
long=$(printf 'S%.0s' $(seq 600))
printf '#IID\tq\n%s\t1\nB\t2\n' "$long" > "$T/long.tsv"
refused "IID of 600 bytes" "long.tsv:2: sample ID 'SSSS.*' is 600 bytes long.*at most 511 bytes" "$BCMS" pheno "$s" "$T/long.tsv"
check "  ... not MDB_BAD_VALSIZE" bash -c "! grep -qi 'valsize\|MDB_' '$T/err'"

# a path that is not a store is not turned into one
mkdir -p "$T/notastore" && echo data > "$T/notastore/x.txt"
rc=0; "$BCMS" pheno "$T/notastore" "$D/sardinia.pheno.tsv" 2> "$T/err" || rc=$?
check "pheno on a non-store directory: refused" [ "$rc" -eq 1 ]
check "  ... nothing created in it" [ "$(ls "$T/notastore")" = x.txt ]
check "  ... message says so" grep -q "not a bcms store" "$T/err"

# a damaged phenotype record: a clear "damaged" error naming the column, from every reader
dm=$T/dmg.bcms
"$BCMS" import -q "$dm" "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" pheno "$dm" "$D/sardinia.covar.tsv" 2>/dev/null
# every copy of the level name (LMDB may keep an older page with it) gets one byte changed
for off in $(grep -obUa 'isolate' "$dm/data.mdb" | cut -d: -f1); do
    printf 'J' | dd of="$dm/data.mdb" bs=1 seek="$off" conv=notrunc 2>/dev/null
done
check "the level name is gone from data.mdb" [ "$(grep -c isolate "$dm/data.mdb" || true)" -eq 0 ]
rc=0; "$BCMS" pheno "$dm" --export population > /dev/null 2> "$T/err" || rc=$?
check "export of the damaged column: exit 1, 'damaged' naming it" \
    bash -c "[ $rc -eq 1 ] && grep -q \"damaged: pheno column 'population' fails its checksum\" '$T/err'"
rc=0; "$BCMS" assoc "$dm" --model linear --pheno PC1 --covar population -r 1 -o "$T/x.tsv" 2> "$T/err" || rc=$?
# (the level name is also in the stored VCF header, whose dataset record has its own checksum: the scan
# may meet that damage first)
check "scan with the damaged covariate: exit 1, 'damaged'" bash -c "[ $rc -eq 1 ] && grep -q -E 'damaged: pheno column .population.|dataset record 0 is damaged' '$T/err'"
rc=0; "$BCMS" pheno "$dm" --list > /dev/null 2> "$T/err" || rc=$?
check "--list reports it too" bash -c "[ $rc -eq 1 ] && grep -q 'damaged' '$T/err'"
check "an intact column still reads" bash -c "'$BCMS' pheno '$dm' --export PC1 > /dev/null"

# pheno --export -o: owner-only, complete
check "pheno --export -o" "$BCMS" pheno "$s" --export severity -o "$T/exp.tsv"
check "  ... mode 0600" [ "$(stat -c %a "$T/exp.tsv")" = 600 ]
check "  ... no temporary file left" [ -z "$(ls "$T" | grep 'exp.tsv.tmp')" ]
finish
