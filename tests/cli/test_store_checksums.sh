#!/usr/bin/env bash
# The records a store reads besides its blocks carry a CRC-32: a changed byte in a sample registry
# entry (either table) or in a dataset record (which holds the stored VCF header) gives a clear
# "damaged" error naming the record, never an abort or a silently shorter sample list.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 40 --variants 200 --seed 2 2> /dev/null
"$BCMS" import -q s.bcms c.vcf.gz
"$BCMS" view s.bcms > ref.vcf
damage() { # store python-bytes-pattern offset-in-pattern
    python3 - "$1/data.mdb" "$2" "$3" <<'PY'
import sys, ast
p, pat, off = sys.argv[1], ast.literal_eval(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(p, 'rb').read())
i = b.find(pat); n = 0
while i >= 0:
    b[i + off] ^= 0x01; n += 1
    i = b.find(pat, i + 1)
assert n > 0, "pattern not found"
open(p, 'wb').write(b)
PY
}
expect_damaged() { # name store pattern command...
    local name=$1 s=$2 pat=$3 rc=0
    shift 3
    "$@" > out 2> log || rc=$?
    if [ $rc -eq 1 ] && grep -q -- "$pat" log; then pass "$name: $(cat log)"
    else fail "$name (exit $rc): $(head -c 400 log)"; fi
}
# sample_ids: key u32 7 (S0008), value the IID and its CRC
cp -r s.bcms ids.bcms && damage ids.bcms "b'\\x00\\x00\\x00\\x07S0008'" 5
expect_damaged "an IID byte changed in sample_ids" ids.bcms "sample registry entry of sample number 7 is damaged" \
    "$BCMS" view ids.bcms
# samples: key the IID, value u32 number + CRC: change the number
cp -r s.bcms num.bcms && damage num.bcms "b'S0008\\x00\\x00\\x00\\x07'" 8
printf '##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="G">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS0008\n1\t5\t.\tA\tG\t.\t.\t.\tGT\t0/1\n' > one.vcf
expect_damaged "a sample number changed in samples" num.bcms "sample registry entry of 'S0008' is damaged" \
    "$BCMS" import -q --same-samples num.bcms one.vcf
# the dataset record: its stored VCF header, its sample list
cp -r s.bcms hdr.bcms && damage hdr.bcms "b'##fileformat=VCF'" 3
expect_damaged "a byte of the stored header changed" hdr.bcms "dataset record 0 is damaged" "$BCMS" view hdr.bcms
expect_damaged "a byte of the stored header changed (info)" hdr.bcms "dataset record 0 is damaged" "$BCMS" info hdr.bcms
cp -r s.bcms cohort.bcms && damage cohort.bcms "b'\\x00\\x00\\x00\\x02\\x01c'" 5
expect_damaged "the cohort name changed in the dataset record" cohort.bcms "dataset record 0 is damaged" "$BCMS" info cohort.bcms
# meta counters (no CRC: a u32 each): a wrong length or a counter gone back is refused, the store unchanged
set_counter() { # store key hexvalue: rewrite one meta record with LMDB's own loader
    printf 'VERSION=3\nformat=bytevalue\ndatabase=meta\ntype=btree\nHEADER=END\n %s\n %s\nDATA=END\n' \
        "$(python3 -c 'import sys; print(sys.argv[1].encode().hex())' "$2")" "$3" | mdb_load -s meta "$1"
}
sed 's/S0008/X0008/' one.vcf > other.vcf
for c in "next_sample 0005 restore the store" "next_sample 00000003 sample number 3 is taken" \
         "next_dataset 00000000 dataset 0 exists" "next_dataset 00 restore the store"; do
    read -r key val pat <<< "$c"
    rm -rf ctr.bcms && cp -r s.bcms ctr.bcms && set_counter ctr.bcms "$key" "$val"
    before=$(md5sum < ctr.bcms/data.mdb)
    expect_damaged "meta $key set to $val" ctr.bcms "store counter '$key' is damaged.*$pat" \
        "$BCMS" import -q --iid-prefix N_ ctr.bcms other.vcf
    check "  ... store unchanged" [ "$before" = "$(md5sum < ctr.bcms/data.mdb)" ]
done
check "the undamaged store still gives the same view" cmp -s ref.vcf <("$BCMS" view s.bcms)
finish
