#!/usr/bin/env bash
# Block codecs (engine/codec.c, FORMAT.md "Frame"): a new store is format 3 with Zstandard frames;
# --codec deflate writes DEFLATE ones; both give the same records, frequencies and scan as each other
# and at every level. A format 2 store (an older bcms's) keeps DEFLATE frames when imported into, and
# refuses --codec zstd without changing; bad --codec/--level values are refused; a damaged Zstandard
# frame (its compressed bytes or its stated length) is a clear error.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 300 --variants 6000 --seed 9 --missing 0.02 --pheno c.tsv > /dev/null 2>&1
"$BCMS" simulate -o d.vcf.gz --samples 300 --variants 2000 --seed 10 > /dev/null 2>&1
frames() { # store codec(1|2): how many genotype and sites frames of that codec data.mdb holds (live or not)
    python3 - "$1/data.mdb" "$2" <<'PY'
import re, sys
b = open(sys.argv[1], 'rb').read()
print(len(re.findall(rb'BCMF[\x01\x02]' + bytes([int(sys.argv[2])]), b)))
PY
}
major() { "$BCMS" info "$1" | awk -F'\t' '$1 == "format" {split($2, v, "."); print v[1]}'; }
scan() { # store tag: view, freq and a linear scan
    "$BCMS" view "$1" -o "$2.vcf" 2> /dev/null
    "$BCMS" freq "$1" -o "$2.freq.tsv" 2> /dev/null
    "$BCMS" pheno "$1" c.tsv > /dev/null 2>&1
    "$BCMS" assoc "$1" --model linear --pheno severity --threads 2 -o "$2.lin.tsv" 2> /dev/null
}
"$BCMS" import -q z.bcms c.vcf.gz
"$BCMS" import -q --codec deflate --threads 2 f.bcms c.vcf.gz
"$BCMS" import -q --codec zstd --level 19 z19.bcms c.vcf.gz
"$BCMS" import -q --codec deflate --level 12 f12.bcms c.vcf.gz
check "a new store is format 3" [ "$(major z.bcms)" = 3 ]
check "its frames are Zstandard ($(frames z.bcms 2)), none DEFLATE" bash -c "[ $(frames z.bcms 2) -gt 0 ] && [ $(frames z.bcms 1) -eq 0 ]"
check "--codec deflate: DEFLATE frames only ($(frames f.bcms 1))" bash -c "[ $(frames f.bcms 1) -gt 0 ] && [ $(frames f.bcms 2) -eq 0 ]"
for s in z f z19 f12; do scan $s.bcms $s; done
for s in f z19 f12; do
    check "$s: the same records, frequencies and scan as the Zstandard store" \
        bash -c "cmp <(grep -v '^##' z.vcf) <(grep -v '^##' $s.vcf) && cmp z.freq.tsv $s.freq.tsv && cmp z.lin.tsv $s.lin.tsv"
done
gt_table c.vcf.gz > c.gt && gt_table z.vcf > z.gt
check "the records are the input's ($(wc -l < c.gt) rows)" bash -c "[ -s c.gt ] && cmp c.gt z.gt"

# a VCF written by PLINK 2 (GT only, unphased, 1% missing): the same records from either codec
plink2 --dummy 200 3000 0.01 acgt --seed 4 --export vcf bgz --out p > /dev/null 2>&1
"$BCMS" import -q pz.bcms p.vcf.gz
"$BCMS" import -q --codec deflate pf.bcms p.vcf.gz
"$BCMS" view pz.bcms -o pz.vcf 2> /dev/null
"$BCMS" view pf.bcms -o pf.vcf 2> /dev/null
gt_table p.vcf.gz > p.gt && gt_table pz.vcf > pz.gt
check "PLINK 2's VCF: the same records from either codec, and the input's ($(wc -l < p.gt) rows)" \
    bash -c "cmp <(grep -v '^##' pz.vcf) <(grep -v '^##' pf.vcf) && [ -s p.gt ] && cmp p.gt pz.gt"

# a format 2 store (made by the older bcms: DEFLATE only; its major set back here)
cp -r f.bcms old.bcms
python3 - old.bcms/data.mdb <<'PY'
import re, sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
n = 0
for m in re.finditer(rb'format\x00\x00\x00\x03\x00\x00\x00', bytes(b)):
    b[m.start() + 9] = 2; n += 1
assert n > 0
open(p, 'wb').write(b)
PY
check "the format 2 store opens" [ "$(major old.bcms)" = 2 ]
before=$(md5sum < old.bcms/data.mdb)
rc=0; "$BCMS" import -q --iid-prefix D_ --codec zstd old.bcms d.vcf.gz 2> log || rc=$?
check "--codec zstd into a format 2 store: refused ($(cat log))" bash -c "[ $rc -eq 1 ] && grep -q 'store format 2.x.*DEFLATE' log"
check "... and the store is unchanged" [ "$before" = "$(md5sum < old.bcms/data.mdb)" ]
"$BCMS" import -q --iid-prefix D_ old.bcms d.vcf.gz
n1=$(frames old.bcms 1) n2=$(frames old.bcms 2) m=$(major old.bcms)
check "an import into it writes DEFLATE frames only ($n1 DEFLATE, $n2 Zstandard), and it stays format 2 ($m)" \
    bash -c "[ $n2 -eq 0 ] && [ $n1 -gt 0 ] && [ $m = 2 ]"
"$BCMS" import -q --iid-prefix D_ z.bcms d.vcf.gz
"$BCMS" view old.bcms -d 1 -o old.d.vcf 2> /dev/null
"$BCMS" view z.bcms -d 1 -o z.d.vcf 2> /dev/null
check "its new dataset reads back as in a format 3 store" cmp <(grep -v '^##' old.d.vcf) <(grep -v '^##' z.d.vcf)

# bad options: refused before anything is written
for a in "--codec lz4" "--codec zstd --level 20" "--codec deflate --level 13" "--level 0x" "--level -1" "--level 20"; do
    rc=0; "$BCMS" import -q $a bad.bcms d.vcf.gz 2> log || rc=$?
    check "import $a: refused ($(head -c 150 log)), no store" bash -c "[ $rc -ne 0 ] && [ ! -e bad.bcms/data.mdb ]"
done

# damage: a Zstandard frame's compressed bytes; its stated length (header and frame disagree)
damage() { # store offset-from-zstd-magic | len
    python3 - "$1/data.mdb" "$2" <<'PY'
import re, sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
n = 0
for m in re.finditer(rb'BCMF\x02\x02', bytes(b)):  # every genotype frame, so the live ones are hit
    i = m.start()
    if sys.argv[2] == 'len': b[i + 8] ^= 0x01   # the header's raw length (not covered by the CRC)
    else: b[i + 16 + int(sys.argv[2])] ^= 0x5a
    n += 1
assert n > 0
open(p, 'wb').write(b)
PY
}
cp -r z.bcms bytes.bcms && damage bytes.bcms 40
rc=0; "$BCMS" view bytes.bcms -d 0 -o bytes.vcf 2> log || rc=$?
check "damaged Zstandard bytes: exit 1, clear error ($(cat log))" \
    bash -c "[ $rc -eq 1 ] && grep -q -E 'does not decompress|CRC32 mismatch' log && grep -q 'damaged' log && [ ! -e bytes.vcf ]"
cp -r z.bcms len.bcms && damage len.bcms len
rc=0; "$BCMS" view len.bcms -d 0 -o len.vcf 2> log || rc=$?
check "a stated length that is not the frame's: exit 1, 'bad block header (length)' ($(cat log))" \
    bash -c "[ $rc -eq 1 ] && grep -q 'bad block header (length)' log"
finish
