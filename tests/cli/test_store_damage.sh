#!/usr/bin/env bash
# A small store damaged at many offsets (byte changes through the whole data.mdb, every 4 KiB page
# zeroed): view, freq and assoc never crash (no signal, no sanitizer report) and either stop with a
# clear error leaving no output, or write exactly what the undamaged store gives (tests/lib/store_damage.py).
# freq at 2 threads reads its sites blocks on the reader's prefetch thread (one block per contig here).
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 60 --variants 400 --seed 3 --pheno p.tsv --ds > /dev/null 2>&1
"$BCMS" import -q s.bcms c.vcf.gz
"$BCMS" pheno s.bcms p.tsv > /dev/null 2>&1
nflips=${BCMS_DAMAGE_FLIPS:-1200}
# a sanitizer build starts ~10x slower: fewer offsets keep the ASan pass quick
if ldd "$BCMS" 2> /dev/null | grep -q libasan; then nflips=${BCMS_DAMAGE_FLIPS:-300}; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# the damaged copies and outputs on a RAM filesystem when there is one (thousands of short runs)
work=$BCMS_TMP/work
if [ -d /dev/shm ] && [ -w /dev/shm ]; then work=$(mktemp -d /dev/shm/bcms-damage.XXXXXX); trap 'rm -rf "$work"' EXIT; fi
check "no crash, and a clear error or the undamaged output, at $nflips offsets and every page" \
    python3 "$BCMS_SRC/tests/lib/store_damage.py" "$BCMS" s.bcms "$work" "$nflips" 13 \
    -- view STORE -o OUT -- freq STORE -o OUT -- freq STORE -o OUT --threads 2 \
    -- assoc STORE --model linear --pheno severity -o OUT --threads 1
finish
