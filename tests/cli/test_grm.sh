#!/usr/bin/env bash
# test_grm.sh: `bcms grm --centred` equals GEMMA -gk 1 live (same variants through GEMMA's default
# filters, --maf 0.01 --geno 0.05 here); the matrix is stored in the store, loads back, is the same
# at 1 and 2 threads; --standardised has mean diagonal ~1; a missing name is a clear error. Needs
# plink2 (to write GEMMA's bed) and gemma.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v gemma >/dev/null && command -v plink2 >/dev/null || { echo "gemma/plink2 not installed"; exit 1; }
cd "$T"
"$BCMS" simulate -o c.vcf.gz -n 300 -m 3000 --seed 51 --families 8 --relatives 10 --threads 2 2>/dev/null
"$BCMS" import c0.bcms c.vcf.gz 2>/dev/null
"$BCMS" view c0.bcms -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o u.vcf.gz
"$BCMS" import c.bcms u.vcf.gz 2>/dev/null
plink2 --vcf u.vcf.gz --make-bed --out g >/dev/null
awk '{$6 = 1; print}' g.fam >g.fam.tmp && mv g.fam.tmp g.fam # GEMMA uses the samples with a phenotype
gemma -bfile g -gk 1 -o gk >/dev/null 2>&1

"$BCMS" grm c.bcms --centred --maf 0.01 --geno 0.05 --name cen -o k1.txt --threads 1 2>k1.log
"$BCMS" grm c.bcms --centred --maf 0.01 --geno 0.05 --name cen2 -o k2.txt --threads 2 2>/dev/null
nv=$(awk '/number of analyzed SNPs/ {print $NF}' output/gk.log.txt)
check "same variants as GEMMA ($nv)" grep -q "$nv variants" k1.log
close() { # A B tol: every entry within tol (absolute; GEMMA prints ~10 digits)
    paste "$1" "$2" | awk -v t="$3" '{n = NF / 2; for (i = 1; i <= n; i++) {d = $i - $(i + n); if (d < 0) d = -d; if (d > t) bad++}} END {exit bad > 0 || NR != 300}'
}
check "--centred equals GEMMA -gk 1 (1e-9)" close k1.txt output/gk.cXX.txt 1e-9
check "1 and 2 threads: same matrix" cmp k1.txt k2.txt
"$BCMS" grm c.bcms --standardised --maf 0.01 --name std -o ks.txt 2>/dev/null
check "--standardised: mean diagonal near 1" awk '{s += $NR} END {m = s / NR; exit !(m > 0.9 && m < 1.2)}' ks.txt
if command -v mdb_stat >/dev/null && command -v mdb_load >/dev/null; then
    entries() { mdb_stat -s grm c.bcms | awk '/Entries:/ {print $2}'; }
    check "three GRMs, each with its variant record and one chunk of keys, in the store's grm table" [ "$(entries)" = 9 ]
    # a build that died between its chunks and its last transaction left a chunk of its own behind
    printf 'cen,variants,00000000deadbeef,00000000\njunk\n' | mdb_load -T -s grm c.bcms
    check "an orphaned chunk record is there" [ "$(entries)" = 10 ]
    "$BCMS" grm c.bcms --centred --maf 0.01 --geno 0.05 --name cen -o k3.txt 2>/dev/null
    check "rebuilding GRM cen removes its earlier chunks and the orphan" [ "$(entries)" = 9 ]
    check "the rebuilt GRM is the same matrix" cmp k1.txt k3.txt
fi
finish
