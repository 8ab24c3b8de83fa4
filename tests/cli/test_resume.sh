#!/usr/bin/env bash
# --resume: a scan killed (SIGKILL) after some checkpoints and rerun with --resume writes exactly the
# rows and log of an uninterrupted run (plain and .gz OUT; at another thread count; with another
# --memory window; under MPI when built with it); a checkpoint of another scan, or past the scan's
# end, is refused; a completed resumable run leaves no checkpoint files.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 1500 --variants 30000 --seed 4 --pheno p.tsv --threads 2 2> /dev/null
"$BCMS" import -q s.bcms c.vcf.gz
M=(--model logistic --pheno binary_trait --pheno-file p.tsv)
"$BCMS" assoc s.bcms "${M[@]}" --threads 2 -o ref.tsv 2> /dev/null
"$BCMS" assoc s.bcms "${M[@]}" --threads 2 -o ref.tsv.gz 2> /dev/null
same_log() { diff -q <(grep -v '^command' "$1") <(grep -v '^command' "$2") > /dev/null; }
export BCMS_RESUME_EVERY=0
kill_after_ckpt() { # OUT threads [options]: start a resumable run, SIGKILL it once a checkpoint with >= 2 batches exists
    "$BCMS" assoc s.bcms "${M[@]}" --threads "$2" -o "$1" --resume "${@:3}" 2> /dev/null &
    local pid=$!
    for _ in $(seq 300); do
        [ -e "$1.partial.ckpt" ] && [ "$(awk '$1=="batches"{print $2}' "$1.partial.ckpt")" -ge 2 ] && break
        sleep 0.05
    done
    kill -9 $pid 2> /dev/null || true
    wait $pid 2> /dev/null || true
}
kill_after_ckpt r.tsv 2
check "killed run left a checkpoint and no OUT" [ -e r.tsv.partial.ckpt ] && [ ! -e r.tsv ]
check "killed run stopped before the end" [ "$(awk '$1=="batches"{print $2}' r.tsv.partial.ckpt)" -lt 20 ]
"$BCMS" assoc s.bcms "${M[@]}" --threads 1 -o r.tsv --resume 2> err.txt
check "resume says where it continues" grep -q "resuming r.tsv at batch" err.txt
check "resumed OUT = uninterrupted OUT" cmp -s ref.tsv r.tsv
check "resumed log = uninterrupted log" same_log ref.tsv.log r.tsv.log
check "no checkpoint files left" [ -z "$(ls r.tsv.partial* 2> /dev/null)" ]
kill_after_ckpt z.tsv.gz 2
# killed a second time after resuming (the checkpoint then counts bytes from a reopened file)
mv z.tsv.gz.partial.ckpt z.ck && awk '$1=="batches"{$0="batches\t" $2}1' z.ck > z.tsv.gz.partial.ckpt && rm z.ck
n0=$(awk '$1=="batches"{print $2}' z.tsv.gz.partial.ckpt)
"$BCMS" assoc s.bcms "${M[@]}" --threads 2 -o z.tsv.gz --resume 2> /dev/null &
pid=$!
for _ in $(seq 300); do
    [ "$(awk '$1=="batches"{print $2}' z.tsv.gz.partial.ckpt)" -ge $((n0 + 2)) ] && break; sleep 0.05
done
kill -9 $pid 2> /dev/null || true; wait $pid 2> /dev/null || true
check "second kill: checkpoint moved on" [ "$(awk '$1=="batches"{print $2}' z.tsv.gz.partial.ckpt)" -gt "$n0" ]
"$BCMS" assoc s.bcms "${M[@]}" --threads 2 -o z.tsv.gz --resume 2> /dev/null
check "resumed .gz: same content" cmp -s <(gzip -dc ref.tsv.gz) <(gzip -dc z.tsv.gz)
check "resumed .gz: still BGZF (bgzip -t)" bgzip -t z.tsv.gz
# the scan streams window by window: killed in a later window of a tiny one (one batch each),
# resumed with another window size (whole windows before the checkpoint are read, not computed) and
# another thread count (--memory is not part of the scan)
kill_after_ckpt w.tsv 2 --memory 0.0001
nw=$(awk '$1=="batches"{print $2}' w.tsv.partial.ckpt)
"$BCMS" assoc s.bcms "${M[@]}" --threads 1 -o w.tsv --resume --memory 0.002 2> err.txt
check "killed after $nw one-batch windows, resumed with other windows: same OUT" cmp -s ref.tsv w.tsv
check "... and the same log (lambda GC over restored and new p-values)" same_log ref.tsv.log w.tsv.log
kill_after_ckpt e.tsv 2
awk '$1=="batches"{$0="batches\t9999"}1' e.tsv.partial.ckpt > e.ck && mv e.ck e.tsv.partial.ckpt
if "$BCMS" assoc s.bcms "${M[@]}" -o e.tsv --resume 2> err.txt; then fail "checkpoint past the scan's end refused"
else check "checkpoint past the scan's end refused" grep -q "but the scan has" err.txt; fi
kill_after_ckpt o.tsv 2
before=$(md5sum o.tsv.partial o.tsv.partial.ckpt o.tsv.partial.pv)
if "$BCMS" assoc s.bcms --model logistic --pheno binary_trait --pheno-file p.tsv --maf 0.05 -o o.tsv --resume 2> err.txt
then fail "checkpoint of another scan refused"; else pass "checkpoint of another scan refused"; fi
check "refusal says it belongs to another scan" grep -q "another scan" err.txt
check "refused checkpoint left as it was" [ "$before" = "$(md5sum o.tsv.partial o.tsv.partial.ckpt o.tsv.partial.pv)" ]
"$BCMS" assoc s.bcms "${M[@]}" --threads 2 -o fresh.tsv --resume 2> /dev/null
check "a resumable run that is never killed = plain run" cmp -s ref.tsv fresh.tsv
if ldd "$BCMS" | grep -q libmpi && command -v mpirun > /dev/null; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    kill_after_ckpt m.tsv 2
    mpirun --oversubscribe --bind-to none -np 2 "$BCMS" assoc s.bcms "${M[@]}" --threads 1 -o m.tsv --resume 2> /dev/null
    check "killed single run resumed under mpirun -np 2 = uninterrupted OUT" cmp -s ref.tsv m.tsv
fi
finish
