#!/usr/bin/env bash
# MPI, structure commands: `mpirun -np N bcms kinship` (with --degree, --unrelated), `grm` (standardised
# and centred: the text output and the stored matrix's bits) and `pca` (exact, --approx, --project)
# write exactly the single-process outputs for N = 1 (kinship), 2, 3 (and 1 or 2 threads per rank); a rank killed
# mid-run ends the job with no OUT. Skipped (and says so) when this bcms was built without MPI.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
mpi_or_skip
# 600 samples: two 512-sample tiles of the GRM and 19 bands of kinship tiles; many reader batches
"$BCMS" simulate -o c.vcf.gz --samples 600 --variants 6000 --seed 12 --fst 0.05 --families 12 --relatives 24 \
    --missing 0.02 --threads 2 2> /dev/null
"$BCMS" import -q s.bcms c.vcf.gz
check "the cohort spans several reader batches" [ "$("$BCMS" info s.bcms | awk '$1 == "variants" {print $2}')" -gt 4000 ]

# ---- kinship ----
"$BCMS" kinship s.bcms -o ref.kin --degree --unrelated ref.ids --threads 2 2> /dev/null
"$BCMS" kinship s.bcms -o ref_min.kin.gz --min-kinship 0.02 --threads 1 2> /dev/null
for np in 1 2 3; do
    for t in 1 $([ $np = 2 ] && echo 2); do
        "${MPI[@]}" -np $np "$BCMS" kinship s.bcms -o k_${np}_$t.kin --degree --unrelated k_${np}_$t.ids --threads $t 2> err.txt
        check "kinship: mpirun -np $np, $t thread(s) per rank = single process (table)" cmp -s ref.kin k_${np}_$t.kin
        check "kinship: mpirun -np $np, $t thread(s) per rank = single process (--unrelated)" cmp -s ref.ids k_${np}_$t.ids
    done
done
check "kinship: only rank 0 reports" [ "$(grep -c 'pairs written' err.txt)" -eq 1 ]
"${MPI[@]}" -np 2 "$BCMS" kinship s.bcms -o k_min.kin.gz --min-kinship 0.02 --threads 1 2> /dev/null
check "kinship --min-kinship, gzip output: mpirun -np 2 = single process" \
    cmp -s <(gzip -dc ref_min.kin.gz) <(gzip -dc k_min.kin.gz)
check "kinship: the table has its related pairs" [ "$(awk '$9 == "1st"' ref.kin | wc -l)" -gt 5 ]

# ---- grm: the text output and the stored record's matrix (its f64 bits, FORMAT.md "Table grm") ----
n=$("$BCMS" info s.bcms | awk '$1 == "samples" {print $2}')
grm_bits() { # store: the md5 of the stored matrix's bytes (the record's tail without its CRC), or "short"
    mdb_dump -s grm "$1" | awk -v len=$((n * (n + 1) / 2 * 16)) \
        'NR == 10 {L = length($0); if (L < len + 100) print "short"; else print substr($0, L - len - 7, len)}' | md5sum
}
short=$(echo short | md5sum)
for kind in standardised centred; do
    cp -r s.bcms g_ref.bcms
    "$BCMS" grm g_ref.bcms --$kind -o ref_$kind.grm --threads 2 2> /dev/null
    ref=$(grm_bits g_ref.bcms)
    check "grm --$kind: the stored record holds the matrix" [ "$ref" != "$short" ]
    for np in $([ $kind = centred ] && echo 3 || echo 2 3); do
        rm -rf g.bcms && cp -r s.bcms g.bcms
        "${MPI[@]}" -np $np "$BCMS" grm g.bcms --$kind -o g_$np.grm --threads 1 2> /dev/null
        check "grm --$kind: mpirun -np $np = single process (text)" cmp -s ref_$kind.grm g_$np.grm
        check "grm --$kind: mpirun -np $np = single process (stored matrix bits)" [ "$(grm_bits g.bcms)" = "$ref" ]
    done
    "$BCMS" grm g.bcms --$kind -o g_t1.grm --threads 1 2> /dev/null
    check "grm --$kind: 1 thread = 2 threads (stored matrix bits)" [ "$(grm_bits g.bcms)" = "$ref" ]
    rm -rf g_ref.bcms
done
check "grm: the stored matrix was read (n = $n)" [ "$n" -eq 600 ]

# ---- pca: exact, --approx, --project ----
"$BCMS" kinship s.bcms -o u.kin --unrelated u.ids --threads 2 2> /dev/null
for mode in exact approx project; do
    case $mode in
    exact) P=(--pcs 5) ;;
    approx) P=(--pcs 5 --approx) ;;
    project) P=(--pcs 4 --approx --project u.ids) ;;
    esac
    "$BCMS" pca s.bcms "${P[@]}" -o ref_$mode --threads 2 2> /dev/null
    for np in $([ $mode = project ] && echo 3 || echo 2 3); do
        "${MPI[@]}" -np $np "$BCMS" pca s.bcms "${P[@]}" -o p_${mode}_$np --threads 1 2> /dev/null
        check "pca $mode: mpirun -np $np = single process" \
            eval "cmp -s ref_$mode.eigenvec p_${mode}_$np.eigenvec && cmp -s ref_$mode.eigenval p_${mode}_$np.eigenval"
    done
done
"${MPI[@]}" -np 2 "$BCMS" pca s.bcms --pcs 4 --project u.ids -o p_pe_2 --threads 1 2> /dev/null
"$BCMS" pca s.bcms --pcs 4 --project u.ids -o ref_pe --threads 1 2> /dev/null
check "pca exact --project: mpirun -np 2 = single process" cmp -s ref_pe.eigenvec p_pe_2.eigenvec
cp -r s.bcms ps.bcms
"${MPI[@]}" -np 2 "$BCMS" pca ps.bcms --pcs 3 --store -o p_st --threads 1 2> /dev/null
check "pca --store under mpirun: the columns are stored once" \
    [ "$("$BCMS" pheno ps.bcms --list 2>/dev/null | grep -c -E '^PC[123]\b')" -eq 3 ]

# ---- a rank killed mid-run: the job fails and OUT never appears ----
# Once rank 0 has logged the start of the counting, the newest rank is stopped (so the job cannot
# finish before the kill, however fast the machine), then killed.
"$BCMS" simulate -o k.vcf.gz --samples 1200 --variants 12000 --seed 4 --threads 2 2> /dev/null
"$BCMS" import -q k.bcms k.vcf.gz
"${MPI[@]}" -np 2 "$BCMS" kinship k.bcms -o kill.kin --unrelated kill.ids --threads 1 > kill.err 2>&1 &
job=$!
for _ in $(seq 1000); do grep -q 'kinship: 1200 samples' kill.err && break; sleep 0.02; done
victim=$(pgrep -n -f '^[^ ]*bcms kinship k.bcms -o kill' || true)
if [ -n "$victim" ]; then
    kill -STOP "$victim"
    sleep 0.5
    kill -9 "$victim"
fi
check "killed rank: a rank was running when rank 0 had started" [ -n "$victim" ]
if wait $job; then fail "killed rank: the job fails"; else pass "killed rank: the job fails"; fi
check "killed rank: no OUT" [ ! -e kill.kin ]
check "killed rank: no --unrelated output" [ ! -e kill.ids ]
finish
