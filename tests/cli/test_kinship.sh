#!/usr/bin/env bash
# test_kinship.sh: `bcms kinship` equals plink2 --make-king-table counts live on simulated related
# cohorts (families and cryptic relatives), its --unrelated set equals plink2 --king-cutoff, the
# output is the same at 1 and 2 threads and with every popcount kernel. Needs plink2.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v plink2 >/dev/null || { echo "plink2 not installed"; exit 1; }
KCOLS="counts cols=id,nsnp,hethet,ibs0,ibs1,kinship"

# plink2 reads what the store holds: bcms view writes the store's biallelic rows back out.
mk() { # name missing
    "$BCMS" simulate -o "$T/$1.vcf.gz" -n 300 -m 3000 --seed 21 --families 10 --relatives 20 --missing "$2" \
        --threads 2 2>/dev/null
    "$BCMS" import "$T/$1.bcms" "$T/$1.vcf.gz" 2>/dev/null
    "$BCMS" view "$T/$1.bcms" -O z -o "$T/$1.v.vcf.gz" 2>/dev/null
    plink2 --vcf "$T/$1.v.vcf.gz" --make-king-table $KCOLS --king-cutoff 0.0884 --out "$T/$1.p" >/dev/null
}
mk full 0
mk miss 0.03
"$BCMS" kinship "$T/full.bcms" -o "$T/full.kin" --threads 1 --unrelated "$T/full.unrel" 2>/dev/null
"$BCMS" kinship "$T/miss.bcms" -o "$T/miss.kin" --threads 2 --unrelated "$T/miss.unrel" --degree 2>/dev/null

same_counts() { # plink2 table, bcms table, first column to compare
    paste <(cut -f1-7 "$1") <(cut -f1-7 "$2") |
        awk -F'\t' -v f="$3" '{for (i = f; i <= 7; i++) if ($i != $(i + 7)) {d++; break}} END {exit d > 0}'
}
check "no missing calls: IDs and all five counts equal plink2" same_counts "$T/full.p.kin0" "$T/full.kin" 1
check "same pairs in the same order" cmp <(cut -f1,2 "$T/miss.p.kin0") <(cut -f1,2 "$T/miss.kin")
check "missing calls: HETHET IBS0 HET1_HOM2 HET2_HOM1 equal plink2" same_counts "$T/miss.p.kin0" "$T/miss.kin" 4
# plink2 counts a pair as jointly called at a near-monomorphic variant where one is missing and the other
# the rare homozygote (its sparse-variant path); bcms counts only calls both have: NSNP may be lower by a few.
nsnp_ok() {
    paste <(cut -f3 "$T/miss.p.kin0") <(cut -f3 "$T/miss.kin") |
        awk 'NR > 1 {d = $1 - $2; if (d < 0 || d > 3) bad++; if (d) n++} END {print "NSNP differs in", n + 0, "of", NR - 1, "pairs"; exit bad > 0 || n > (NR - 1) / 20}'
}
check "missing calls: NSNP within plink2's sparse-variant quirk" nsnp_ok
kin_ok() { # KINSHIP vs the formula on plink2's counts (1e-9) and vs plink2's printed value (6 digits)
    paste "$1" "$2" | awk -F'\t' 'NR > 1 {
        m = $6 < $7 ? $6 : $7; k = 0.5 - (4 * $5 + $6 + $7) / (4 * ($4 + m));
        d = k - $16; if (d < 0) d = -d; if (d > 1e-9) bad++;
        e = $8 - $16; if (e < 0) e = -e; if (e > 1e-5 * ($8 < 0 ? -$8 : $8) + 1e-9) bad2++ }
        END {exit bad + bad2 > 0}'
}
check "KINSHIP to 1e-9 of the KING-robust formula, and plink2's printed value" kin_ok "$T/full.p.kin0" "$T/full.kin"
check "KINSHIP with missing calls too" kin_ok "$T/miss.p.kin0" "$T/miss.kin"
check "--unrelated equals plink2 --king-cutoff (no missing)" cmp <(sort "$T/full.p.king.cutoff.in.id") <(sort "$T/full.unrel")
check "--unrelated equals plink2 --king-cutoff (missing)" cmp <(sort "$T/miss.p.king.cutoff.in.id") <(sort "$T/miss.unrel")

# The simulated families: 10 x (4 parent-child + 1 sib pair) first-degree pairs and nothing closer.
# Background noise of this small panel may push one or two of them below 0.177.
n1=$(awk -F'\t' '$9 == "1st"' "$T/miss.kin" | wc -l)
nd=$(awk -F'\t' '$9 == "dup"' "$T/miss.kin" | wc -l)
check "--degree: ~50 first-degree pairs ($n1), no duplicates ($nd)" test "$n1" -ge 46 -a "$n1" -le 54 -a "$nd" = 0
labels_ok() {
    awk -F'\t' 'NR > 1 {k = $8; l = k > 0.354 ? "dup" : k > 0.177 ? "1st" : k > 0.0884 ? "2nd" : k > 0.0442 ? "3rd" : "unrel";
        if (l != $9) bad++} END {exit bad > 0}' "$T/miss.kin"
}
check "--degree labels follow the KING thresholds" labels_ok

# Same output at 1 and 2 threads and with each kernel (the CPU's best, AVX2, scalar).
"$BCMS" kinship "$T/miss.bcms" -o "$T/miss1.kin" --threads 1 --degree 2>/dev/null
check "1 and 2 threads: same bytes" cmp "$T/miss.kin" "$T/miss1.kin"
for k in avx2 scalar; do
    BCMS_KING_KERNEL=$k "$BCMS" kinship "$T/miss.bcms" -o "$T/miss.$k.kin" --threads 2 --degree 2>/dev/null
    check "kernel $k: same bytes" cmp "$T/miss.kin" "$T/miss.$k.kin"
done
"$BCMS" kinship "$T/miss.bcms" -o "$T/min.kin.gz" --min-kinship 0.0512345 --threads 2 2>/dev/null
want=$(awk -F'\t' 'NR > 1 && $8 >= 0.0512345' "$T/miss.kin" | wc -l)
got=$(gzip -dc "$T/min.kin.gz" | awk 'NR > 1' | wc -l)
check "--min-kinship 0.0512345 keeps the $want pairs at or above it ($got), gzip output" test "$want" = "$got" -a "$got" -gt 0

# Selection: --keep limits the pairs to the samples named; errors are clear.
awk 'NR > 1 && NR <= 51 {print $1}' "$T/miss.p.king.cutoff.in.id" >"$T/keep.txt"
"$BCMS" kinship "$T/miss.bcms" -o "$T/keep.kin" --keep "$T/keep.txt" 2>/dev/null
check "--keep 50 samples: 1225 pairs" test "$(awk 'NR > 1' "$T/keep.kin" | wc -l)" = 1225
echo S0001 >"$T/one.txt"
if "$BCMS" kinship "$T/miss.bcms" -o "$T/x.kin" --keep "$T/one.txt" 2>"$T/err.txt"; then fail "one sample accepted"
else check "one sample: clear error" grep -q "at least 2" "$T/err.txt"; fi
finish
