#!/usr/bin/env bash
# MPI: `mpirun -np N bcms assoc` writes exactly the single-process output and log (the log's command
# line aside, which names a different -o) for N = 1, 2, 3, at 1 and 2 threads per rank, for the
# linear, logistic and Cox models, chunked and not; an error on the ranks ends the job with no OUT;
# a rank killed mid-scan ends the job with no OUT; a command that does not share work over ranks
# refuses to run under mpirun. Skipped (and says so) when this bcms was built without MPI.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
mpi_or_skip
"$BCMS" simulate -o c.vcf.gz --samples 400 --variants 4000 --seed 3 --pheno p.tsv --covar c.tsv --threads 2 2> /dev/null
"$BCMS" import -q s.bcms c.vcf.gz
A=(--pheno-file p.tsv --covar-file c.tsv --covar sex,age_onset,PC1)
same() { cmp -s "$1" "$2" && diff -q <(grep -v '^command' "$1.log") <(grep -v '^command' "$2.log") > /dev/null; }
for model in linear logistic cox; do
    case $model in
    linear) M=(--model linear --pheno severity,time_to_edss6) ;;
    logistic) M=(--model logistic --pheno binary_trait) ;;
    cox) M=(--model cox --time time_to_edss6 --event edss6_event) ;;
    esac
    "$BCMS" assoc s.bcms "${M[@]}" "${A[@]}" --threads 2 -o ref_$model.tsv 2> /dev/null
    for np in 1 2 3; do
        for t in 1 2; do
            "${MPI[@]}" -np $np "$BCMS" assoc s.bcms "${M[@]}" "${A[@]}" --threads $t -o m_${model}_${np}_$t.tsv 2> err.txt
            check "$model: mpirun -np $np, $t thread(s) per rank = single process" same ref_$model.tsv m_${model}_${np}_$t.tsv
        done
    done
    # no --threads: unbound ranks split the node's cores (cluster.h); the output does not move
    "${MPI[@]}" -np 2 "$BCMS" assoc s.bcms "${M[@]}" "${A[@]}" -o m_${model}_def.tsv 2> /dev/null
    check "$model: mpirun -np 2, default threads per rank = single process" same ref_$model.tsv m_${model}_def.tsv
    "$BCMS" assoc s.bcms "${M[@]}" "${A[@]}" --chunk 2/3 -o ref_${model}_c2.tsv 2> /dev/null
    "${MPI[@]}" -np 2 "$BCMS" assoc s.bcms "${M[@]}" "${A[@]}" --chunk 2/3 -o m_${model}_c2.tsv 2> /dev/null
    check "$model: chunk 2/3 under mpirun -np 2 = single process chunk" same ref_${model}_c2.tsv m_${model}_c2.tsv
done
check "only rank 0 reports progress" [ "$(grep -c 'lambda GC' err.txt)" -eq 1 ]
if "${MPI[@]}" -np 2 "$BCMS" assoc s.bcms --model linear --pheno nosuch -o e.tsv > err.txt 2>&1; then
    fail "unknown phenotype under mpirun fails"
else
    pass "unknown phenotype under mpirun fails"
fi
check "unknown phenotype: the message names it" grep -q "nosuch" err.txt
check "unknown phenotype: no OUT" [ ! -e e.tsv ]
if "${MPI[@]}" -np 2 "$BCMS" freq s.bcms -o f.tsv > err.txt 2>&1; then fail "freq refused under mpirun"; else pass "freq refused under mpirun"; fi
check "freq under mpirun says why" grep -q "does not run across MPI ranks" err.txt
# a rank killed mid-scan: the job fails and OUT never appears
"$BCMS" simulate -o k.vcf.gz --samples 3000 --variants 40000 --seed 4 --pheno kp.tsv --threads 2 2> /dev/null
"$BCMS" import -q k.bcms k.vcf.gz
"${MPI[@]}" -np 2 "$BCMS" assoc k.bcms --model logistic --pheno binary_trait --pheno-file kp.tsv --threads 1 -o k.tsv > k.err 2>&1 &
job=$!
# the ranks only (mpirun's own command line holds the same words after "mpirun")
for _ in $(seq 100); do [ "$(pgrep -f '^[^ ]*bcms assoc k.bcms' | wc -l)" -ge 2 ] && break; sleep 0.1; done
sleep 1
pkill -9 -n -f '^[^ ]*bcms assoc k.bcms --model' || true
if wait $job; then fail "killed rank: the job fails"; else pass "killed rank: the job fails"; fi
check "killed rank: no OUT" [ ! -e k.tsv ]
finish
