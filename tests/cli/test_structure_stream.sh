#!/usr/bin/env bash
# test_structure_stream.sh: the structure commands read the variants window by window. With
# --memory small enough for windows of ~100 variants (and kinship's counts in several passes over the
# variants), grm, pca (exact and --approx, with --project), kinship and prune write exactly what they
# write with the default windows; prune names by CHR:POS:REF:ALT the variants whose ID another
# variant far away (another chromosome, another window) also has, and the ones with ID '.';
# under MPI (when built with it) the small windows give the single-process outputs too.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 150 --variants 20000 --seed 23 --fst 0.05 --families 4 --relatives 8 \
    --missing 0.02 --threads 2 2> /dev/null
# IDs: one rsID on chr1's 10th record and on chr2's 10th (far apart), '.' on every 500th record
zcat c.vcf.gz | awk 'BEGIN{OFS="\t"} /^#/ {print; next} {n[$1]++; r++}
    ($1 == "1" || $1 == "chr1" || $1 == "2" || $1 == "chr2") && n[$1] == 10 {$3 = "rsDUP"}
    r % 500 == 0 {$3 = "."} {print}' | bgzip > ids.vcf.gz
"$BCMS" import -q s.bcms ids.vcf.gz
nv=$("$BCMS" info s.bcms | awk '$1 == "variants" {print $2}')
check "the cohort has $nv variants (many windows of 100)" [ "$nv" -gt 15000 ]

both() { # name command... : the command at the default windows and at --memory 0.01, outputs compared
    local name=$1; shift
    "$BCMS" "$@" -o "d.$name" --threads 2 2> "d.$name.log" || return 1
    "$BCMS" "$@" -o "m.$name" --threads 2 --memory 0.01 2> "m.$name.log" || return 1
}
same_files() { for f in "$@"; do cmp -s "d.$f" "m.$f" || { echo "differs: $f"; return 1; }; done; }

both grm grm s.bcms --name g1
check "grm: small windows = default windows (text matrix)" same_files grm
both pca pca s.bcms --pcs 4
check "pca: small windows = default windows" same_files pca.eigenvec pca.eigenval
both pcaa pca s.bcms --pcs 4 --approx
check "pca --approx (several passes, the reader rewound): small windows = default" same_files pcaa.eigenvec pcaa.eigenval
bcftools query -l c.vcf.gz | awk 'NR % 2' > half.txt
both pcap pca s.bcms --pcs 3 --project half.txt
check "pca --project: small windows = default" same_files pcap.eigenvec pcap.eigenval
both kin kinship s.bcms --degree
check "kinship: small windows, counts in passes = default" same_files kin
check "kinship at --memory 0.01 counted in several passes" grep -Eq "in ([2-9]|[1-9][0-9]+) pass" m.kin.log
check "kinship at the default memory: one layout, no passes said or one" \
    bash -c '! grep -Eq "in ([2-9]|[1-9][0-9]+) pass" d.kin.log'
both prune.in prune s.bcms --window 50 --step 5 --r2 0.2
check "prune: small windows = default (kept and removed lists)" same_files prune.in prune.out
check "prune: the ID shared across chromosomes names no line" bash -c '! grep -qx rsDUP d.prune.in d.prune.out'
check "prune: both variants of the shared ID listed by CHR:POS:REF:ALT" \
    [ "$(cat d.prune.in d.prune.out | grep -Ec '^(chr)?[12]:[0-9]+:[ACGT]+:[ACGT]+$')" -ge 2 ]
nin=$(cat d.prune.in d.prune.out | wc -l)
check "prune: every autosomal variant listed once ($nin)" [ "$nin" = "$(grep -o '[0-9]* of [0-9]* variants kept' d.prune.in.log | awk 'NR == 1 {print $3}')" ]
"$BCMS" pca s.bcms --extract d.prune.in --pcs 2 -o x 2> x.log
check "prune's kept list (with its CHR:POS:REF:ALT lines) feeds --extract" \
    grep -q "$(wc -l < d.prune.in) variants" x.log

if have_mpi; then
    mpi_setup
    for np in 2 3; do
        "${MPI[@]}" -np $np "$BCMS" kinship s.bcms -o k$np.kin --degree --memory 0.01 2> /dev/null
        check "kinship: mpirun -np $np, small windows and passes = single process" cmp -s d.kin k$np.kin
        "${MPI[@]}" -np $np "$BCMS" grm s.bcms --name g$np -o g$np.grm --memory 0.01 2> /dev/null
        check "grm: mpirun -np $np, small windows = single process" cmp -s d.grm g$np.grm
        "${MPI[@]}" -np $np "$BCMS" pca s.bcms --pcs 4 --approx -o p$np --memory 0.01 2> /dev/null
        check "pca --approx: mpirun -np $np, small windows = single process" cmp -s d.pcaa.eigenvec p$np.eigenvec
    done
fi
finish
