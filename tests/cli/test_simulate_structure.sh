#!/usr/bin/env bash
# test_simulate_structure.sh: `bcms simulate --fst/--families/--relatives` is deterministic at any
# --threads, records its parameters in the header, and plants the families it says (parent-child and sib
# pairs at KING kinship near 1/4; the cryptic pairs are checked against plink2 in test_kinship's
# --unrelated set). The default output is checked byte for byte against data-samples/ by test_simulate.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
A=(-n 400 -m 3000 --seed 81 --fst 0.03 --families 10 --relatives 20)
"$BCMS" simulate -o "$T/a.vcf.gz" "${A[@]}" --threads 1 2>/dev/null
"$BCMS" simulate -o "$T/b.vcf.gz" "${A[@]}" --threads 3 2>/dev/null
check "same bytes at 1 and 3 threads" cmp "$T/a.vcf.gz" "$T/b.vcf.gz"
check "parameters in the header" sh -c "bgzip -dc '$T/a.vcf.gz' | head -5 | grep -q 'fst=0.03,families=10,relatives=20'"
"$BCMS" simulate -o "$T/c.vcf.gz" -n 400 -m 3000 --seed 81 --threads 2 2>/dev/null
check "without the options: no structure fields in the header" sh -c "! bgzip -dc '$T/c.vcf.gz' | head -5 | grep -q families="
"$BCMS" import "$T/a.bcms" "$T/a.vcf.gz" 2>/dev/null
"$BCMS" kinship "$T/a.bcms" -o "$T/a.kin" --degree 2>/dev/null
# 10 families: 40 parent-child and 10 sib pairs near 0.25
n1=$(awk -F'\t' 'NR > 1 && $8 > 0.177 && $8 < 0.354' "$T/a.kin" | wc -l)
check "about 50 first-degree pairs ($n1)" test "$n1" -ge 46 -a "$n1" -le 56
if "$BCMS" simulate -o "$T/x.vcf.gz" -n 10 -m 100 --families 3 2>"$T/err.txt"; then fail "12 family members in 10 samples accepted"
else check "too many relatives for the samples: clear error" grep -q "must not exceed --samples" "$T/err.txt"; fi
finish
