#!/usr/bin/env bash
# mutate_import.sh: a mutation campaign against `bcms import` (run it with an ASan+UBSan build).
# Each mutant of a small simulated VCF (random byte replacements, insertions and deletions in the
# record lines; fixed seed) is imported into a fresh store. Counts: crashes (exit other than 0/1, or
# a sanitizer report), hangs (over 60 s), clear refusals (exit 1 with a message naming the file),
# accepted; and silent acceptances: accepted by bcms although bcftools refuses the file, or
# accepted but `bcms view` then fails.
# Usage: benchmarks/mutate_import.sh BCMS [N=500] [SEED=1]
set -uo pipefail
bcms=${1:?bcms binary}; n=${2:-500}; seed=${3:-1}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bcms" simulate -o "$work/base.vcf.gz" --samples 8 --variants 60 --contigs 2 --ds --seed 4 2> /dev/null
bcftools view "$work/base.vcf.gz" > "$work/base.vcf"
crash=0 hang=0 refused=0 accepted=0 silent=0 unclear=0
for i in $(seq 1 "$n"); do
    python3 - "$work/base.vcf" "$work/m.vcf" $((seed * 100000 + i)) <<'PY'
import random, sys
src, dst, s = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = random.Random(s)
lines = open(src, 'rb').read().split(b'\n')
first = next(i for i, l in enumerate(lines) if not l.startswith(b'#'))
alphabet = b'0123456789./|:\t,;=-+ eE\x00\xffACGTN<>*'
for _ in range(r.randint(1, 4)):
    k = r.randrange(first if r.random() < 0.9 else 0, len(lines) - 1)
    l = bytearray(lines[k])
    if not l: continue
    p = r.randrange(len(l)); op = r.random()
    if op < 0.5: l[p] = alphabet[r.randrange(len(alphabet))]
    elif op < 0.8: l.insert(p, alphabet[r.randrange(len(alphabet))])
    else: del l[p]
    lines[k] = bytes(l)
open(dst, 'wb').write(b'\n'.join(lines))
PY
    rm -rf "$work/s.bcms"
    rc=0; timeout 60 "$bcms" import -q "$work/s.bcms" "$work/m.vcf" > "$work/log" 2>&1 || rc=$?
    if [ $rc -eq 124 ]; then hang=$((hang + 1)); echo "hang: mutant $i"; continue; fi
    if [ $rc -ne 0 ] && [ $rc -ne 1 ] || grep -q -E 'Sanitizer|runtime error' "$work/log"; then
        crash=$((crash + 1)); cp "$work/m.vcf" "crash_$i.vcf"; echo "crash: mutant $i (exit $rc)"; continue
    fi
    if [ $rc -eq 1 ]; then
        refused=$((refused + 1))
        grep -q "m.vcf" "$work/log" || { unclear=$((unclear + 1)); echo "unclear: mutant $i: $(cat "$work/log")"; }
        continue
    fi
    accepted=$((accepted + 1))
    if ! bcftools view "$work/m.vcf" > /dev/null 2>&1 || ! "$bcms" view "$work/s.bcms" -o "$work/v.vcf" > /dev/null 2>&1; then
        silent=$((silent + 1)); cp "$work/m.vcf" "silent_$i.vcf"; echo "silent acceptance: mutant $i"
    fi
done
echo "mutants=$n crashes=$crash hangs=$hang refused=$refused (without the file name: $unclear) accepted=$accepted silent_acceptances=$silent"
