#!/usr/bin/env bash
# test_prune.sh: `bcms prune` keeps the same variants as plink2 --indep-pairwise W S R, live, on a
# simulated structured cohort with missing calls (several W/S/R, a MAF filter, --keep), the same at
# 1 and 2 threads; the kept list feeds --extract. Needs plink2, bcftools.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v plink2 >/dev/null || { echo "plink2 not installed"; exit 1; }

# plink2 wants unique IDs: give the store's biallelic rows CHR:POS:REF:ALT IDs and import that.
"$BCMS" simulate -o "$T/c.vcf.gz" -n 300 -m 4000 --seed 41 --fst 0.05 --families 5 --relatives 10 --threads 2 2>/dev/null
"$BCMS" import "$T/c0.bcms" "$T/c.vcf.gz" 2>/dev/null
"$BCMS" view "$T/c0.bcms" -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o "$T/u.vcf.gz"
"$BCMS" import "$T/c.bcms" "$T/u.vcf.gz" 2>/dev/null

same() { # W S R [extra options for both]
    local w=$1 s=$2 r=$3; shift 3
    plink2 --vcf "$T/u.vcf.gz" "$@" --indep-pairwise "$w" "$s" "$r" --out "$T/p" >/dev/null || return 1
    "$BCMS" prune "$T/c.bcms" "$@" --window "$w" --step "$s" --r2 "$r" -o "$T/b.prune.in" --threads 2 2>/dev/null || return 1
    cmp -s "$T/p.prune.in" "$T/b.prune.in" && cmp -s "$T/p.prune.out" "$T/b.prune.out"
}
check "50 5 0.2 equals plink2 (kept and removed lists)" same 50 5 0.2
check "20 3 0.5 equals plink2" same 20 3 0.5
check "100 10 0.1 equals plink2" same 100 10 0.1
check "200 1 0.3 equals plink2" same 200 1 0.3
check "50 5 0.2 with --maf 0.05 equals plink2" same 50 5 0.2 --maf 0.05
bcftools query -l "$T/u.vcf.gz" | awk 'NR % 3' >"$T/keep.txt"
check "50 5 0.2 with --keep (2/3 of the samples) equals plink2" same 50 5 0.2 --keep "$T/keep.txt"

# few missing calls (the pair's sums are each variant's own, corrected at the other's missing
# samples), and 301 samples (the planes' last word and byte part-filled)
"$BCMS" simulate -o "$T/m.vcf.gz" -n 301 -m 3000 --seed 43 --missing 0.002 --threads 2 2>/dev/null
"$BCMS" import "$T/m0.bcms" "$T/m.vcf.gz" 2>/dev/null
"$BCMS" view "$T/m0.bcms" -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o "$T/mu.vcf.gz"
"$BCMS" import "$T/m.bcms" "$T/mu.vcf.gz" 2>/dev/null
plink2 --vcf "$T/mu.vcf.gz" --indep-pairwise 50 5 0.2 --out "$T/mp" >/dev/null
"$BCMS" prune "$T/m.bcms" --window 50 --step 5 --r2 0.2 -o "$T/mb.prune.in" --threads 2 2>/dev/null
check "few missing calls, 301 samples: equals plink2" cmp "$T/mp.prune.in" "$T/mb.prune.in"
# from 16,384 samples the tests run two variants at a time against each earlier one (prune_ld_rows):
# 16,500 samples, ~70 variants a contig, so windows also end at the contigs' ends
"$BCMS" simulate -o "$T/w.vcf.gz" -n 16500 -m 1500 --seed 47 --missing 0.03 --threads 2 2>/dev/null
"$BCMS" import "$T/w0.bcms" "$T/w.vcf.gz" --threads 2 2>/dev/null
"$BCMS" view "$T/w0.bcms" -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o "$T/wu.vcf.gz"
"$BCMS" import "$T/w.bcms" "$T/wu.vcf.gz" --threads 2 2>/dev/null
for wsr in "50 5 0.2" "20 3 0.5" "100 10 0.1" "7 1 0.05"; do
    set -- $wsr
    plink2 --vcf "$T/wu.vcf.gz" --indep-pairwise "$1" "$2" "$3" --threads 2 --out "$T/wp" >/dev/null
    "$BCMS" prune "$T/w.bcms" --window "$1" --step "$2" --r2 "$3" -o "$T/wb.prune.in" --threads 2 2>/dev/null
    check "16,500 samples, $wsr: equals plink2 (kept and removed)" \
        sh -c 'cmp "$1.prune.in" "$2.prune.in" && cmp "$1.prune.out" "$2.prune.out"' sh "$T/wp" "$T/wb"
done
# the planes from the stored 2-bit rows (pext or the portable unzip) and from codes decoded to
# bytes (scalar) are the same, also with the last word part-filled
for k in swar scalar; do
    BCMS_PRUNE_KERNEL=$k "$BCMS" prune "$T/m.bcms" --window 50 --step 5 --r2 0.2 -o "$T/m$k.prune.in" --threads 2 2>/dev/null
    check "301 samples, $k planes: same lists" sh -c 'cmp "$1.prune.in" "$2.prune.in" && cmp "$1.prune.out" "$2.prune.out"' \
        sh "$T/mb" "$T/m$k"
done
# the popcount kernels (AVX-512 where the CPU has it) give the same lists
BCMS_PRUNE_KERNEL=scalar "$BCMS" prune "$T/c.bcms" --window 50 --step 5 --r2 0.2 -o "$T/sc.prune.in" --threads 2 2>/dev/null
"$BCMS" prune "$T/c.bcms" --window 50 --step 5 --r2 0.2 -o "$T/df.prune.in" --threads 2 2>/dev/null
check "scalar kernel: same kept and removed lists" cmp "$T/sc.prune.in" "$T/df.prune.in"
check "scalar kernel: same removed list" cmp "$T/sc.prune.out" "$T/df.prune.out"
BCMS_PRUNE_KERNEL=swar "$BCMS" prune "$T/c.bcms" --window 50 --step 5 --r2 0.2 -o "$T/sw.prune.in" --threads 2 2>/dev/null
check "portable unzip: same lists" sh -c 'cmp "$1.prune.in" "$2.prune.in" && cmp "$1.prune.out" "$2.prune.out"' sh "$T/sw" "$T/df"

"$BCMS" prune "$T/c.bcms" --window 50 --step 5 --r2 0.2 -o "$T/t1.prune.in" --threads 1 2>/dev/null
"$BCMS" prune "$T/c.bcms" --window 50 --step 5 --r2 0.2 -o "$T/t2.prune.in" --threads 2 2>/dev/null
check "1 and 2 threads: same kept list" cmp "$T/t1.prune.in" "$T/t2.prune.in"
nin=$(wc -l <"$T/t1.prune.in")
"$BCMS" pca "$T/c.bcms" --extract "$T/t1.prune.in" --pcs 2 -o "$T/pc" 2>"$T/pca.log"
check "the kept list feeds --extract ($nin variants)" grep -q "$nin variants" "$T/pca.log"
# the spool and the names' runs go to $TMPDIR (glibc's tmpfile() would ignore it), unlinked at once;
# an unusable TMPDIR is an error naming it, with no list written
mkdir -p "$T/tmpd"
TMPDIR="$T/tmpd" "$BCMS" prune "$T/c.bcms" --window 50 --step 5 --r2 0.2 -o "$T/td.prune.in" 2>/dev/null
check "TMPDIR: same kept list" cmp "$T/td.prune.in" "$T/t1.prune.in"
check "TMPDIR: nothing left in it" sh -c '[ -z "$(ls -A "$1")" ]' sh "$T/tmpd"
if TMPDIR="$T/no/such/dir" "$BCMS" prune "$T/c.bcms" -o "$T/nt.prune.in" 2>"$T/err.txt"; then fail "unusable TMPDIR accepted"
else check "unusable TMPDIR: an error naming it, no list" sh -c 'grep -q "no/such/dir" "$1" && [ ! -e "$2" ]' sh "$T/err.txt" "$T/nt.prune.in"; fi
if "$BCMS" prune "$T/c.bcms" --window 5 --step 6 --r2 0.2 -o "$T/x" 2>"$T/err.txt"; then fail "step > window accepted"
else check "step > window: clear error" grep -q "step" "$T/err.txt"; fi
finish
