#!/usr/bin/env bash
# Import is atomic and its errors are clear: malformed records, wrong sample counts, unsorted files,
# duplicate samples, truncated files, kill -9 in the middle, a second import of the same file;
# corrupted, foreign and future-version stores; snapshots for concurrent readers; owner-only store;
# the same store content at 1 and 2 threads and from VCF or BCF.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
hdr='##fileformat=VCFv4.2
##contig=<ID=1,length=100000>
##contig=<ID=2,length=100000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	A	B	C'
printf '%s\n1\t100\ta\tA\tG\t.\tPASS\t.\tGT\t0|1\t1|1\t0/0\n' "$hdr" > good.vcf
"$BCMS" import -q s.bcms good.vcf
check "store directory is owner-only (700)" [ "$(stat -c %a s.bcms)" = 700 ]
check "store files are owner-only (600)" [ "$(stat -c %a s.bcms/data.mdb)" = 600 ]

expect_reject() { # name file pattern
    local name=$1 f=$2 pat=$3 before after rc=0
    before=$(md5sum < s.bcms/data.mdb)
    "$BCMS" import -q --same-samples s.bcms "$f" > log 2>&1 || rc=$?
    after=$(md5sum < s.bcms/data.mdb)
    if [ $rc -eq 1 ] && [ "$before" = "$after" ] && grep -q -- "$pat" log; then pass "$name: $(cat log)"
    else fail "$name (exit $rc, store $([ "$before" = "$after" ] && echo unchanged || echo CHANGED)): $(cat log)"; fi
}
# a bad record deep in the file, after many good blocks
{ printf '%s\n' "$hdr"; for i in $(seq 1 20000); do printf '1\t%d\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\t1|1\n' $((i + 200)); done
  printf '1\t30000\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\n'; } > fewcols.vcf
expect_reject "sample count mismatch" fewcols.vcf "line 20006: wrong number of columns"
{ printf '%s\n' "$hdr"; printf '1\t300\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\t1|1\n1\t200\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\t1|1\n'; } > unsorted.vcf
expect_reject "unsorted positions" unsorted.vcf "line 7: the file is not sorted"
{ printf '%s\n' "$hdr"; printf '1\t300\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\t1|1\n2\t200\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\t1|1\n1\t400\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\t1|1\n'; } > unsorted2.vcf
expect_reject "contig seen again" unsorted2.vcf "chromosome 1 appears again"
printf '%s\tA\n1\t100\ta\tA\tG\t.\tPASS\t.\tGT\t0|1\t1|1\t0/0\t0/0\n' "$hdr" > dupsample.vcf
expect_reject "duplicate sample" dupsample.vcf "cannot read the VCF header"
{ printf '%s\n' "$hdr"; printf '1\t300\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|X\t1|1\n'; } > badgt.vcf
expect_reject "malformed GT" badgt.vcf "badgt.vcf: line 6"
{ bgzip -c fewcols.vcf || true; } | head -c 30000 > truncated.vcf.gz
expect_reject "truncated bgzip" truncated.vcf.gz "truncated.vcf.gz"
expect_reject "same file twice" good.vcf "already imported as dataset 0"
check "--force imports the same file again" "$BCMS" import -q --force s.bcms good.vcf
check "two datasets now" [ "$("$BCMS" info s.bcms | grep -c '^dataset	')" -eq 2 ]

# a flipped byte in a genotype block is caught by its CRC
cp -r s.bcms crc.bcms
python3 - crc.bcms/data.mdb <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
# LMDB keeps older copies of pages: damage every genotype frame so the live one is hit
import re
n = 0
for m in re.finditer(rb'BCMF\x02[\x01\x02]', bytes(b)):  # DEFLATE or Zstandard frames
    b[m.start() + 17 + 8 * (b[m.start() + 5] == 2)] ^= 0x40; n += 1  # past a Zstandard frame's header
assert n > 0
open(p, 'wb').write(b)
PY
rc=0; "$BCMS" view crc.bcms -d 0 > /dev/null 2> log || rc=$?
check "corrupted block: clear error ($(cat log))" grep -q -E "CRC32 mismatch|does not decompress" log
check "corrupted block: exit 1" [ $rc -eq 1 ]
# a store from a future format version is refused; one from an older bcms says to re-import
set_format() { # store major
    python3 - "$1/data.mdb" "$2" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
import re
n = 0
for m in re.finditer(rb'format\x00\x00\x00[\x02\x03]\x00\x00\x00', bytes(b)):  # major 2 or 3, any minor below 256
    b[m.start() + 9] = int(sys.argv[2]); n += 1
assert n > 0
open(p, 'wb').write(b)
PY
}
cp -r s.bcms future.bcms && set_format future.bcms 9
rc=0; "$BCMS" info future.bcms > /dev/null 2> log || rc=$?
check "future format refused ($(cat log))" grep -q "store format 9\.[0-9]" log
cp -r s.bcms old.bcms && set_format old.bcms 1
rc=0; "$BCMS" info old.bcms > /dev/null 2> log || rc=$?
check "format 1 store: made by an older bcms, re-import ($(cat log))" grep -q "made by an older bcms.*re-import" log
# foreign stores
mkdir foreign.bcms && head -c 100000 /dev/urandom > foreign.bcms/data.mdb
rc=0; "$BCMS" info foreign.bcms > /dev/null 2> log || rc=$?
check "random data.mdb refused ($(cat log))" grep -q "not a bcms store\|not a readable LMDB" log
mkdir plain && rc=0; "$BCMS" info plain > /dev/null 2> log || rc=$?
check "plain directory refused ($(cat log))" grep -q "not a bcms store" log
rc=0; "$BCMS" info good.vcf > /dev/null 2> log || rc=$?
check "a file is not a store ($(cat log))" grep -q "not a bcms store" log

# kill -9 in the middle of a long import: its blocks, committed as they come (here after every block,
# BCMS_IMPORT_TXN_BYTES=1; 2 MB by default), are invisible: readers see the datasets as before, info
# names the unfinished import, and the next import removes its blocks and takes its dataset number.
# (killed 1.5 s in: the input takes several seconds to import, so it is still running then; if it
# is not, the check says so rather than passing)
"$BCMS" simulate -o long.vcf.gz --samples 3000 --variants 40000 --seed 3 --threads 2
"$BCMS" simulate -o longer.vcf.gz --samples 3000 --variants 150000 --seed 4 --threads 2 2> /dev/null
tables() { for t in datasets samples sample_ids pheno; do mdb_dump -s $t s.bcms; done | md5sum; }
blocks_of() { mdb_dump -s "$1" s.bcms | awk 'f && /^ / {if (n++ % 2 == 0) print substr($1, 1, 8)} /^HEADER=END/ {f = 1}' | sort -u | tr '\n' ' '; }
before=$(tables)
BCMS_IMPORT_TXN_BYTES=1 "$BCMS" import -q --threads 1 s.bcms longer.vcf.gz & pid=$!
sleep 1.5
n_during=$("$BCMS" info s.bcms | grep -c '^dataset	')
killed=0; kill -9 $pid 2> /dev/null && killed=1; wait $pid 2>/dev/null || true
check "the import was still running when killed" [ "$killed" -eq 1 ]
check "reader during import sees the datasets as before (2, saw $n_during)" [ "$n_during" -eq 2 ]
check "kill -9 leaves the datasets, samples and phenotypes unchanged" [ "$before" = "$(tables)" ]
check "info names the unfinished import" sh -c "'$BCMS' info s.bcms | grep -q '^unfinished_import	2	started=.*files=longer.vcf.gz'"
check "its blocks were committed (dataset 2's keys in gt: $(blocks_of gt))" sh -c "echo '$(blocks_of gt)' | grep -q 00000002"
check "store usable after kill -9" sh -c "'$BCMS' import s.bcms long.vcf.gz 2> log"
check "... the import removed the unfinished one's blocks, saying so" grep -q "removing the blocks of an import that did not finish (dataset 2" log
check "three datasets after the retry, the new one numbered 2" [ "$("$BCMS" info s.bcms | awk '$1 == "dataset" {printf "%s ", $2}')" = "0 1 2 " ]
check "no unfinished import left" sh -c "! '$BCMS' info s.bcms | grep -q unfinished_import"
check "gt and sites hold the blocks of datasets 0-2 only" [ "$(blocks_of gt)$(blocks_of sites)" = "00000000 00000001 00000002 00000000 00000001 00000002 " ]
# a failure after blocks were committed takes them out again: the tables hold what they held
dump_all() { mdb_dump -a s.bcms | md5sum; }
before=$(dump_all)
{ printf '%s\n' "$hdr"; for i in $(seq 1 20000); do printf '1\t%d\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\t1|1\n' $((i + 200)); done
  printf '1\t30000\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\n'; } > fewcols_staged.vcf
rc=0; BCMS_IMPORT_TXN_BYTES=1 "$BCMS" import -q --iid-prefix Z s.bcms fewcols_staged.vcf > log 2>&1 || rc=$?
check "a bad record after committed blocks: exit 1, the record named ($(cat log))" sh -c "[ $rc -eq 1 ] && grep -q 'line 20006: wrong number of columns' log"
check "... every table holds what it held (mdb_dump -a)" [ "$before" = "$(dump_all)" ]
check "... no warning of blocks left behind" sh -c "! grep -q 'could not be removed' log"

# the same content at 1 and 2 threads, and from BCF
"$BCMS" import -q --threads 1 t1.bcms long.vcf.gz
"$BCMS" import -q --threads 2 t2.bcms long.vcf.gz
bcftools view -Ob -o long.bcf long.vcf.gz
"$BCMS" import -q --threads 2 tb.bcms long.bcf
"$BCMS" view t1.bcms -r 3,7:1-50000000 | grep -v '^##bcms_view' > v1.vcf
"$BCMS" view t2.bcms -r 3,7:1-50000000 | grep -v '^##bcms_view' > v2.vcf
"$BCMS" view tb.bcms -r 3,7:1-50000000 | grep -v '^##' > vb.vcf
check "view identical at 1 and 2 import threads" cmp -s v1.vcf v2.vcf
check "BCF input gives the same records as VCF.gz" cmp -s <(grep -v '^##' v1.vcf) vb.vcf
check "same block bytes at 1 and 2 threads" [ "$("$BCMS" info t1.bcms | grep -o 'genotype_bytes=[0-9]*')" = "$("$BCMS" info t2.bcms | grep -o 'genotype_bytes=[0-9]*')" ]
finish
