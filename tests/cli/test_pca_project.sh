#!/usr/bin/env bash
# test_pca_project.sh: `bcms pca --project` (PCs of the unrelated samples from `bcms kinship
# --unrelated`, every other sample projected, PC-AiR style) equals plink2 live: --keep unrelated
# --pca 10 allele-wts meanimpute, then --score of the weights over every sample with the unrelated
# samples' frequencies (variance-standardize no-mean-imputation), divided by m sqrt(eigenvalue);
# exact and --approx; same bytes at 1 and 2 threads; the reader's options (--remove) apply.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v plink2 >/dev/null || { echo "plink2 not installed"; exit 1; }
CMP="python3 $BCMS_SRC/tests/lib/eigcmp.py"
PROJ="python3 $BCMS_SRC/tests/lib/projcmp.py"

"$BCMS" simulate -o "$T/c.vcf.gz" -n 400 -m 5000 --seed 31 --fst 0.05 --families 8 --relatives 12 --threads 2 2>/dev/null
"$BCMS" import "$T/c.bcms" "$T/c.vcf.gz" 2>/dev/null
"$BCMS" view "$T/c.bcms" -O z -o "$T/v.vcf.gz" 2>/dev/null
"$BCMS" kinship "$T/c.bcms" -o "$T/k.tsv" --unrelated "$T/unrel.ids" 2>/dev/null
n_unrel=$(grep -vc '^#' "$T/unrel.ids")
check "kinship --unrelated leaves relatives to project ($n_unrel of 400)" test "$n_unrel" -lt 400

# the same variants on both sides: biallelic IDs that occur once, MAF >= 1% among the unrelated
awk '!/^#/ {print $3}' <(bgzip -dc "$T/v.vcf.gz") | sort | uniq -u >"$T/once.txt"
plink2 --vcf "$T/v.vcf.gz" --make-pgen --out "$T/p" >/dev/null
plink2 --pfile "$T/p" --keep "$T/unrel.ids" --extract "$T/once.txt" --maf 0.01 --freq --pca 10 allele-wts meanimpute \
    --out "$T/pb" >/dev/null
awk 'NR > 1 {print $2}' "$T/pb.eigenvec.allele" | sort -u >"$T/ids.txt"
m=$(wc -l <"$T/ids.txt")
plink2 --pfile "$T/p" --extract "$T/ids.txt" --read-freq "$T/pb.afreq" --score "$T/pb.eigenvec.allele" 2 5 header-read \
    no-mean-imputation variance-standardize cols=+scoresums --score-col-nums 6-15 --out "$T/ps" >/dev/null

"$BCMS" pca "$T/c.bcms" --extract "$T/ids.txt" --project "$T/unrel.ids" --pcs 10 -o "$T/b1" --threads 1 2>/dev/null
"$BCMS" pca "$T/c.bcms" --extract "$T/ids.txt" --project "$T/unrel.ids" --pcs 10 -o "$T/b2" --threads 2 2>/dev/null
check "project: same bytes at 1 and 2 threads" cmp "$T/b1.eigenvec" "$T/b2.eigenvec"
check "project: every sample written" test "$(grep -vc '^#' "$T/b1.eigenvec")" -eq 400
# the PCs themselves: the unrelated samples' rows against plink2's eigenvectors
grep -F -w -f <(grep -v '^#' "$T/unrel.ids") "$T/b1.eigenvec" | cat <(head -1 "$T/b1.eigenvec") - >"$T/b1.built"
check "project: the built PCs equal plink2 --keep --pca" $CMP "$T/b1.built" "$T/pb.eigenvec" "$T/b1.eigenval" "$T/pb.eigenval" 5e-6 0.9999
# plink2 prints weights and sums to 6 digits: 1e-5 absolute on unit-length vectors of 376 entries
check "project: every sample equals plink2 --score / (m sqrt(eigenvalue))" $PROJ "$T/b1.eigenvec" "$T/ps.sscore" "$T/pb.eigenval" "$m" 1e-5

"$BCMS" pca "$T/c.bcms" --extract "$T/ids.txt" --project "$T/unrel.ids" --pcs 10 --approx -o "$T/a1" --threads 1 2>/dev/null
"$BCMS" pca "$T/c.bcms" --extract "$T/ids.txt" --project "$T/unrel.ids" --pcs 10 --approx -o "$T/a2" --threads 2 2>/dev/null
check "project --approx: same bytes at 1 and 2 threads" cmp "$T/a1.eigenvec" "$T/a2.eigenvec"
check "project --approx equals the exact projection" $CMP "$T/a1.eigenvec" "$T/b1.eigenvec" "$T/a1.eigenval" "$T/b1.eigenval" 1e-5 0.9999

# the reader's sample options apply first: --remove drops samples from both sets
grep -v '^#' "$T/unrel.ids" | head -5 >"$T/rm.ids"
"$BCMS" pca "$T/c.bcms" --extract "$T/ids.txt" --project "$T/unrel.ids" --remove "$T/rm.ids" --pcs 3 -o "$T/r" 2>"$T/r.err"
check "--remove: 395 samples written" test "$(grep -vc '^#' "$T/r.eigenvec")" -eq 395
check "--remove: built on the remaining unrelated samples" grep -q "built on $((n_unrel - 5)) samples" "$T/r.err"
if "$BCMS" pca "$T/c.bcms" --project "$T/rm.ids" --pcs 10 -o "$T/x" 2>"$T/err.txt"; then fail "10 PCs of 5 samples accepted"
else check "too few samples to build on: clear error" grep -q "need more than 10" "$T/err.txt"; fi
finish
