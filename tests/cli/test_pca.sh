#!/usr/bin/env bash
# test_pca.sh: `bcms pca` equals plink2 --pca 10 meanimpute live on a simulated structured cohort
# (isolate + mainland, families, cryptic relatives): eigenvalues to plink2's printed precision,
# eigenvectors |correlation| > 0.9999 above the noise floor; --approx agrees with the exact result;
# same bytes at 1 and 2 threads; --extract/--keep select like plink2's; --store writes PC columns.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v plink2 >/dev/null || { echo "plink2 not installed"; exit 1; }
CMP="python3 $BCMS_SRC/tests/lib/eigcmp.py"

"$BCMS" simulate -o "$T/c.vcf.gz" -n 300 -m 4000 --seed 31 --fst 0.05 --families 5 --relatives 10 --threads 2 2>/dev/null
"$BCMS" import "$T/c.bcms" "$T/c.vcf.gz" 2>/dev/null
"$BCMS" view "$T/c.bcms" -O z -o "$T/v.vcf.gz" 2>/dev/null
plink2 --vcf "$T/v.vcf.gz" --maf 0.01 --pca 10 meanimpute --out "$T/p" >/dev/null

"$BCMS" pca "$T/c.bcms" --maf 0.01 --pcs 10 -o "$T/b1" --threads 1 2>/dev/null
"$BCMS" pca "$T/c.bcms" --maf 0.01 --pcs 10 -o "$T/b2" --threads 2 2>/dev/null
check "exact: same bytes at 1 and 2 threads" cmp "$T/b1.eigenvec" "$T/b2.eigenvec"
check "exact: eigenvalues at 1 and 2 threads" cmp "$T/b1.eigenval" "$T/b2.eigenval"
# plink2 prints 6 significant digits: eigenvalues agree to that (5e-6 relative).
check "exact equals plink2 --pca meanimpute" $CMP "$T/b1.eigenvec" "$T/p.eigenvec" "$T/b1.eigenval" "$T/p.eigenval" 5e-6 0.9999

"$BCMS" pca "$T/c.bcms" --maf 0.01 --pcs 10 --approx -o "$T/a1" --threads 1 2>/dev/null
"$BCMS" pca "$T/c.bcms" --maf 0.01 --pcs 10 --approx -o "$T/a2" --threads 2 2>/dev/null
check "approx: same bytes at 1 and 2 threads" cmp "$T/a1.eigenvec" "$T/a2.eigenvec"
check "approx equals exact" $CMP "$T/a1.eigenvec" "$T/b1.eigenvec" "$T/a1.eigenval" "$T/b1.eigenval" 1e-6 0.9999

# --extract / --keep: the same subsets in plink2 (IDs that occur once, every other sample).
awk '!/^#/ {print $3}' <(bgzip -dc "$T/v.vcf.gz") | sort | uniq -u | awk 'NR % 2' >"$T/ids.txt"
bcftools query -l "$T/v.vcf.gz" | awk 'NR % 2' >"$T/keep.txt"
plink2 --vcf "$T/v.vcf.gz" --extract "$T/ids.txt" --keep "$T/keep.txt" --pca 5 meanimpute --out "$T/ps" >/dev/null
"$BCMS" pca "$T/c.bcms" --extract "$T/ids.txt" --keep "$T/keep.txt" --pcs 5 -o "$T/bs" 2>/dev/null
check "--extract and --keep equal plink2's" $CMP "$T/bs.eigenvec" "$T/ps.eigenvec" "$T/bs.eigenval" "$T/ps.eigenval" 5e-6 0.9999

# --store: PC1..PC3 become pheno columns equal to the table.
"$BCMS" pca "$T/c.bcms" --maf 0.01 --pcs 3 --store -o "$T/st" 2>/dev/null
"$BCMS" pheno "$T/c.bcms" --export PC1,PC2,PC3 >"$T/pcs.tsv" 2>/dev/null || true
stored_ok() {
    [ -s "$T/pcs.tsv" ] || return 1
    paste <(awk '!/^#/' "$T/pcs.tsv") <(awk '!/^#/' "$T/st.eigenvec") |
        awk '{for (j = 2; j <= 4; j++) {d = $j - $(j + 4); if (d < 0) d = -d; if (d > 1e-9 || $1 != $5) bad++}} END {exit bad > 0 || NR != 300}'
}
check "--store: PC1..PC3 stored as the eigenvectors" stored_ok
# The block Lanczos route (eig_krylov.c; st_eig_top takes it from 2,000 samples): forced on the
# 300-sample cohort, its basis cap is reached and the dense solver answers, the same bytes; on 2,000
# samples it converges (the debug log says so), with the same bytes at 1 and 2 threads, the dense
# route's eigenvalues to 1e-10 and vectors to |r| > 1 - 1e-9, and plink2's result.
BCMS_EIG_TOP=krylov BCMS_DEBUG=1 "$BCMS" pca "$T/c.bcms" --maf 0.01 --pcs 10 -o "$T/kf" 2>"$T/kf.log"
check "krylov forced on 300 samples: the dense result, same bytes" cmp "$T/kf.eigenvec" "$T/b1.eigenvec"
check "krylov forced on 300 samples: the log says it fell back" grep -q "not reached (dense solver)" "$T/kf.log"
"$BCMS" simulate -o "$T/l.vcf.gz" -n 2000 -m 3000 --seed 5 --fst 0.05 --families 20 --threads 2 2>/dev/null
"$BCMS" import "$T/l.bcms" "$T/l.vcf.gz" 2>/dev/null
"$BCMS" view "$T/l.bcms" -O z -o "$T/lv.vcf.gz" 2>/dev/null
plink2 --vcf "$T/lv.vcf.gz" --maf 0.01 --pca 10 meanimpute --threads 2 --out "$T/lp" >/dev/null
BCMS_DEBUG=1 "$BCMS" pca "$T/l.bcms" --maf 0.01 --pcs 10 -o "$T/lk1" --threads 1 2>"$T/lk1.log"
"$BCMS" pca "$T/l.bcms" --maf 0.01 --pcs 10 -o "$T/lk2" --threads 2 2>/dev/null
BCMS_EIG_TOP=dense "$BCMS" pca "$T/l.bcms" --maf 0.01 --pcs 10 -o "$T/ld" --threads 2 2>/dev/null
check "krylov on 2,000 samples: converged" grep -q "by block Lanczos: converged" "$T/lk1.log"
check "krylov: same bytes at 1 and 2 threads" cmp "$T/lk1.eigenvec" "$T/lk2.eigenvec"
check "krylov: eigenvalues at 1 and 2 threads" cmp "$T/lk1.eigenval" "$T/lk2.eigenval"
check "krylov equals the dense route" $CMP "$T/lk1.eigenvec" "$T/ld.eigenvec" "$T/lk1.eigenval" "$T/ld.eigenval" 1e-10 0.999999999 0
check "krylov equals plink2 --pca meanimpute" $CMP "$T/lk1.eigenvec" "$T/lp.eigenvec" "$T/lk1.eigenval" "$T/lp.eigenval" 5e-6 0.9999
if BCMS_EIG_TOP=fast "$BCMS" pca "$T/c.bcms" --pcs 2 -o "$T/x" 2>"$T/err.txt"; then fail "BCMS_EIG_TOP=fast accepted"
else check "BCMS_EIG_TOP=fast: clear error" grep -q "dense or krylov" "$T/err.txt"; fi

if "$BCMS" pca "$T/c.bcms" --pcs 301 -o "$T/x" 2>"$T/err.txt"; then fail "301 PCs of 300 samples accepted"
else check "too many PCs: clear error" grep -q "301 PCs asked of 300 samples" "$T/err.txt"; fi
finish
