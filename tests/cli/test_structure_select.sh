#!/usr/bin/env bash
# test_structure_select.sh: kinship, pca, prune and grm take the reader's selection options, as assoc
# and freq do: --remove equals --keep of the complement (and plink2 --remove for kinship, live),
# --exclude equals --extract of the complement, a FID IID keep file equals an IID one, -d and -r
# select datasets and regions, --mind drops samples; usage errors are clear.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v plink2 >/dev/null || { echo "plink2 not installed"; exit 1; }

"$BCMS" simulate -o "$T/c.vcf.gz" -n 200 -m 2000 --seed 41 --families 4 --relatives 6 --threads 2 2>/dev/null
"$BCMS" import "$T/c.bcms" "$T/c.vcf.gz" --cohort alpha 2>/dev/null
"$BCMS" view "$T/c.bcms" -O z -o "$T/v.vcf.gz" 2>/dev/null
bcftools query -l "$T/v.vcf.gz" >"$T/all.ids"
awk 'NR % 3 == 0' "$T/all.ids" >"$T/rm.ids"
awk 'NR % 3 != 0' "$T/all.ids" >"$T/keep.ids"
awk '{print "F" NR, $1}' "$T/keep.ids" >"$T/keep.fidiid"
awk '!/^#/ {print $3}' <(bgzip -dc "$T/v.vcf.gz") | sort -u >"$T/vids"
awk 'NR % 4 == 0' "$T/vids" >"$T/ex.ids"
awk 'NR % 4 != 0' "$T/vids" >"$T/in.ids"

"$BCMS" kinship "$T/c.bcms" --remove "$T/rm.ids" -o "$T/k1" 2>/dev/null
"$BCMS" kinship "$T/c.bcms" --keep "$T/keep.ids" -o "$T/k2" 2>/dev/null
"$BCMS" kinship "$T/c.bcms" --keep "$T/keep.fidiid" -o "$T/k3" 2>/dev/null
check "kinship: --remove equals --keep of the complement" cmp "$T/k1" "$T/k2"
check "kinship: a FID IID keep file equals an IID one" cmp "$T/k2" "$T/k3"
plink2 --vcf "$T/v.vcf.gz" --remove "$T/rm.ids" --make-king-table counts cols=id,nsnp,hethet,ibs0,ibs1,kinship \
    --out "$T/pk" >/dev/null
check "kinship --remove: the pairs and HETHET IBS0 counts of plink2 --remove" \
    cmp <(cut -f1,2,4,5 "$T/pk.kin0" | tail -n +2) <(cut -f1,2,4,5 "$T/k1" | tail -n +2)

"$BCMS" pca "$T/c.bcms" --exclude "$T/ex.ids" --pcs 3 -o "$T/p1" 2>/dev/null
"$BCMS" pca "$T/c.bcms" --extract "$T/in.ids" --pcs 3 -o "$T/p2" 2>/dev/null
check "pca: --exclude equals --extract of the complement" cmp "$T/p1.eigenvec" "$T/p2.eigenvec"
"$BCMS" prune "$T/c.bcms" -r 1,2 --window 50 --step 5 --r2 0.2 -o "$T/pr.in" 2>/dev/null
awk '!/^#/ && ($1 == 1 || $1 == 2) {print $3}' <(bgzip -dc "$T/v.vcf.gz") >"$T/chr12.ids"
"$BCMS" prune "$T/c.bcms" --extract "$T/chr12.ids" --window 50 --step 5 --r2 0.2 -o "$T/pe.in" 2>/dev/null
check "prune: -r 1,2 equals --extract of chromosomes 1 and 2" cmp "$T/pr.in" "$T/pe.in"
"$BCMS" grm "$T/c.bcms" -d alpha --remove "$T/rm.ids" --name sub -o "$T/g1.txt" 2>/dev/null
"$BCMS" grm "$T/c.bcms" --cohorts alpha --keep "$T/keep.ids" --name sub2 -o "$T/g2.txt" 2>/dev/null
check "grm: -d with --remove equals --cohorts with --keep" cmp "$T/g1.txt" "$T/g2.txt"
check "grm: the kept samples' matrix" test "$(wc -l <"$T/g1.txt")" -eq "$(wc -l <"$T/keep.ids")"
"$BCMS" kinship "$T/c.bcms" --mind 0 -o "$T/k4" 2>"$T/mind.err" && fail "--mind 0 left samples" ||
    check "--mind 0 drops every sample with a missing call: clear error" grep -q "at least 2 are needed" "$T/mind.err"
if "$BCMS" pca "$T/c.bcms" -d nosuch -o "$T/x" 2>"$T/err.txt"; then fail "unknown dataset accepted"
else check "unknown dataset: an error" test -s "$T/err.txt"; fi
if "$BCMS" grm "$T/c.bcms" --no-lock 2>"$T/err.txt"; then fail "grm --no-lock accepted"
else check "grm --no-lock: refused (it writes)" grep -q "no-lock is for commands that only read" "$T/err.txt"; fi
if "$BCMS" prune "$T/c.bcms" --window x -o "$T/x" 2>"$T/err.txt"; then fail "bad --window accepted"
else check "bad --window: usage error" grep -q "expected a variant count" "$T/err.txt"; fi
check "--help of every command lists the shared options" \
    bash -c "for c in kinship pca prune grm; do '$BCMS' \$c --help | grep -q -- '--exclude F' || exit 1; done"
finish
