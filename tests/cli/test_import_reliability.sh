#!/usr/bin/env bash
# Every input of ../shared/reliability-cases that bcms mishandled at import, and the genotype values
# that cannot be stored faithfully, end in a clear error naming the file (and line/record and
# sample where there is one), exit 1, with the store unchanged. Also: binary junk, a full disk, a
# failed first import leaving no directory, long sample names truncated in messages.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
cases=${BCMS_RELIABILITY:-$BCMS_SRC/../shared/reliability-cases}
hdr='##fileformat=VCFv4.2
##contig=<ID=1,length=100000>
##INFO=<ID=R2,Number=1,Type=Float,Description="imputation r2">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DS,Number=1,Type=Float,Description="Dosage">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	A	B	C'
printf '%s\n1\t100\ta\tA\tG\t.\tPASS\t.\tGT\t0|1\t1|1\t0/0\n' "$hdr" > good.vcf
"$BCMS" import -q s.bcms good.vcf

expect_reject() { # name file pattern [import options]
    local name=$1 f=$2 pat=$3 before after rc=0
    shift 3
    before=$(md5sum < s.bcms/data.mdb)
    "$BCMS" import -q --same-samples "$@" s.bcms "$f" > log 2>&1 || rc=$?
    after=$(md5sum < s.bcms/data.mdb)
    if [ $rc -eq 1 ] && [ "$before" = "$after" ] && grep -q -- "$pat" log && [ "$(wc -c < log)" -lt 1000 ]; then
        pass "$name: $(cat log)"
    else fail "$name (exit $rc, store $([ "$before" = "$after" ] && echo unchanged || echo CHANGED)): $(head -c 600 log)"; fi
}
C=$cases
expect_reject "0/7 at a biallelic site" "$C/allele_idx7.vcf" "allele_idx7.vcf: line 5: .*sample A: GT allele index 7, but the record has 1 ALT allele"
expect_reject "0/64 at a biallelic site" "$C/allele_idx_beyond_alt.vcf" "line 5: .*sample B: GT allele index 64"
expect_reject "a 65-allele GT" "$C/ploidy65.vcf" "ploidy65.vcf: line 5: .*sample B: a GT of 65 alleles; bcms stores calls of at most 64"
expect_reject "an empty sample name" "$C/empty_sample_name.vcf" "empty_sample_name.vcf: sample column 2 of the #CHROM line has an empty name"
expect_reject "an empty sample name among 300" "$C/empty_sample_name_300.vcf" "sample column 244 of the #CHROM line has an empty name"
expect_reject "BCF contig numbering with a gap (no abort)" "$C/bcf_contig_idx_gap.bcf" "bcf_contig_idx_gap.bcf: record 11: .*GT allele index 58"
expect_reject "BCF records with more samples than the header" "$C/bcf_nsample_mismatch.bcf" "record 1 has 300 samples but the header has 231"
expect_reject "BCF records with more samples than the header (2)" "$C/bcf_nsample_mismatch2.bcf" "record 1 has 3 samples but the header has 2"
expect_reject "a record htslib refuses (FORMAT count)" "$C/htslib_rejects_format_count.vcf" "htslib_rejects_format_count.vcf: line 49: cannot parse the record"
expect_reject "a NUL inside a record" "$C/htslib_rejects_gt_nul.vcf" "htslib_rejects_gt_nul.vcf: line 17: a NUL byte inside the record"
expect_reject "an undeclared FORMAT tag before GT" "$C/undefined_format_tag_silent_exit.vcf" "undefined_format_tag_silent_exit.vcf: line 5: .*declare\|declared"
expect_reject "a 600-byte sample name" "$C/iid_600_bytes.vcf" "iid_600_bytes.vcf: sample column 1 is named 'SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS...' (600 bytes)"
python3 -c "print('S'*70000)" > long.txt
{ printf '%s\n' "$hdr" | sed '$d'; printf '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\t%s\n' "$(cat long.txt)"
  printf '1\t100\ta\tA\tG\t.\tPASS\t.\tGT\t0|1\t1|1\n'; } > iid70k.vcf
expect_reject "a 70 kB sample name, truncated in the message" iid70k.vcf "(70000 bytes)"

# genotype values that cannot be stored: named by file, line and sample, on both parser paths
gtcase() { # name gt pattern
    printf '%s\n1\t100\ta\tA\tG,T\t.\tPASS\t.\tGT\t0|1\t%s\t0/0\n' "$hdr" "$2" > gt.vcf
    expect_reject "GT $2 ($1)" gt.vcf "gt.vcf: line 7: $3"
    printf '%s\n1\t100\ta\tA\tG,T\t.\tPASS\t.\tGT:DS\t0|1:1\t%s:1\t0/0:0\n' "$hdr" "$2" > gt.vcf
    expect_reject "GT $2 with DS ($1)" gt.vcf "gt.vcf: line 7: $3"
}
gtcase "beyond the 2 ALTs" "0/3" ".*sample B: GT allele index 3, but the record has 2 ALT alleles"
gtcase "beyond the ALTs, haploid" "5" ".*sample B: GT allele index 5"
gtcase "beyond the ALTs, triploid" "0/1/9" ".*sample B: GT allele index 9"
gtcase "negative index" "0/-1" "cannot parse the record"
gtcase "non-integer index" "0/1.5" "cannot parse the record"
gtcase "letter" "0/a" "cannot parse the record"
gtcase "trailing separator" "0/1/" "cannot parse the record"
gtcase "empty allele" "0//1" "cannot parse the record"
bcftools view -Ob -o gt.bcf <(printf '%s\n1\t100\ta\tA\tG\t.\tPASS\t.\tGT\t0|1\t0/7\t0/0\n' "$hdr") 2> /dev/null
expect_reject "BCF: 0/7 at a biallelic site" gt.bcf "gt.bcf: record 1: .*sample B: GT allele index 7"

# not a VCF at all
head -c 3000 /dev/urandom > junk.bin
expect_reject "binary junk" junk.bin "junk.bin: not a VCF or BCF file"
printf 'hello\tworld\n' > text.txt
expect_reject "a text file that is not a VCF" text.txt "text.txt"

# a failed first import leaves nothing behind
for f in "$C/allele_idx7.vcf" junk.bin iid70k.vcf; do
    rm -rf new.bcms
    rc=0; "$BCMS" import -q new.bcms "$f" > /dev/null 2>&1 || rc=$?
    check "failed first import of $(basename "$f"): exit 1" [ $rc -eq 1 ]
    check "failed first import of $(basename "$f"): no store directory" [ ! -e new.bcms ]
done
mkdir empty.bcms
rc=0; "$BCMS" import -q empty.bcms junk.bin > /dev/null 2>&1 || rc=$?
check "failed first import into an empty directory: exit 1" [ $rc -eq 1 ]
check "failed first import into an empty directory: the directory stays" [ -d empty.bcms ]
check "failed first import into an empty directory: nothing left in it" [ -z "$(ls -A empty.bcms)" ]

# a full disk: a small tmpfs where root may mount one (skipped elsewhere)
mkdir -p full
if mount -t tmpfs -o size=1m tmpfs full 2> /dev/null; then
    trap "umount $BCMS_TMP/full 2> /dev/null || true" EXIT
    "$BCMS" simulate -o big.vcf.gz --samples 500 --variants 20000 --seed 3 --prefix F 2> /dev/null
    "$BCMS" import -q full/s.bcms good.vcf
    # LMDB may have written some of the new pages before the disk filled: the bytes of data.mdb can
    # differ, but the committed state (meta pages) is the old one, so compare what the store holds
    before=$(store_digest full/s.bcms; "$BCMS" view full/s.bcms | grep -v '^##bcms_view' | md5sum)
    rc=0; "$BCMS" import -q full/s.bcms big.vcf.gz > log 2>&1 || rc=$?
    after=$(store_digest full/s.bcms; "$BCMS" view full/s.bcms | grep -v '^##bcms_view' | md5sum)
    check "full disk: exit 1 ($(cat log))" [ $rc -eq 1 ]
    check "full disk: says no space left, the store is unchanged" grep -q "no space left on device; the store is unchanged" log
    check "full disk: the store holds what it held before" [ "$before" = "$after" ]
    check "full disk: the store still takes a small import" "$BCMS" import -q --iid-prefix X full/s.bcms good.vcf --force
    umount full
else
    echo "skip full-disk case (cannot mount a tmpfs here)"
fi
finish
