#!/usr/bin/env bash
# The read path streams the variants window by window; --memory only sizes the window, so every read
# command writes the same bytes with a tiny window (a few variants per step, many windows, batches
# carried across them) as with the default one, at 1 and 2 threads: assoc (linear, logistic, Cox,
# its log with lambda GC), freq, qc and sexcheck, on a pooled store of two cohorts (cross-dataset
# merge), with region, list and site filters, --chunk and --mind; --resume streams to the same bytes;
# frames read with pread give the same bytes as frames read through the map (assoc, freq, view). A
# bad --memory is a usage error.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
D=$BCMS_SRC/data-samples
"$BCMS" import -q pool.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" import -q pool.bcms "$D/progemus.vcf.gz" --cohort progemus
"$BCMS" simulate -o x.vcf.gz --samples 200 --variants 1500 --seed 7 --sex-chromosomes --covar x.covar.tsv 2> /dev/null
"$BCMS" import -q x.bcms x.vcf.gz
awk 'BEGIN{print "#IID\tSEX"} NR>1{print $1"\t"$2}' x.covar.tsv > sex.txt
cat "$D/sardinia.pheno.tsv" > ph.tsv
tail -n +2 "$D/progemus.pheno.tsv" >> ph.tsv
bcftools query -f '%ID\n' "$D/sardinia.vcf.gz" | awk 'NR%3' > ext.txt
nolog() { grep -v '^command' "$1"; }
same() { # description, command writing -o OUT (OUT is appended): default window vs tiny ones
    local what=$1 ok=1; shift
    "$@" -o ref.out --threads 2 2> /dev/null || ok=0
    for m in "--memory 0.001 --threads 1" "--memory 0.001 --threads 2" "--memory 0.05 --threads 2"; do
        "$@" -o m.out $m 2> /dev/null || ok=0
        cmp -s ref.out m.out || ok=0
        if [ -f ref.out.log ]; then cmp -s <(nolog ref.out.log) <(nolog m.out.log) || ok=0; fi
    done
    rows=$(wc -l < ref.out)
    check "$what: byte-identical with --memory 0.001 / 0.05 at 1 and 2 threads ($rows lines)" \
        bash -c "[ $ok -eq 1 ] && [ $rows -gt 10 ]"
    rm -f ref.out ref.out.log m.out m.out.log
}
A=("$BCMS" assoc pool.bcms --pheno-file ph.tsv)
same "assoc linear, pooled cohorts" "${A[@]}" --model linear --pheno severity
same "assoc logistic, --maf --geno --hwe" "${A[@]}" --model logistic --pheno binary_trait --maf 0.02 --geno 0.1 --hwe 1e-6
same "assoc cox, --chunk 2/3" "${A[@]}" --model cox --time time_to_edss6 --event edss6_event --chunk 2/3
same "assoc linear, -r and --extract and --mind" "${A[@]}" --model linear --pheno severity -r 1,2,3:1-50000000 \
    --extract ext.txt --mind 0.05
same "assoc linear, --chunk 3/4 with --maf" "${A[@]}" --model linear --pheno severity,binary_trait --chunk 3/4 --maf 0.05
same "freq, pooled" "$BCMS" freq pool.bcms
same "freq, --maf --geno, --mind" "$BCMS" freq pool.bcms --maf 0.1 --geno 0.05 --mind 0.1
same "freq, sex chromosomes" "$BCMS" freq x.bcms --sex-file sex.txt
same "qc" "$BCMS" qc x.bcms --sex-file sex.txt
same "sexcheck" "$BCMS" sexcheck x.bcms --sex-file sex.txt
# --resume streams too (its p-values go to the spill and OUT.partial.pv window by window): same rows
"${A[@]}" --model linear --pheno severity --maf 0.01 -o s.out 2> /dev/null
"${A[@]}" --model linear --pheno severity --maf 0.01 -o r.out --resume --memory 0.001 2> /dev/null
check "--resume with a tiny window = plain run: table and log" \
    bash -c "cmp s.out r.out && cmp <(grep -v '^command' s.out.log) <(grep -v '^command' r.out.log)"
# frames are read with pread, the map's pages dropped after each lookup: the same bytes as frames
# read through the map (BCMS_FETCH_MAP=1), for the reader (assoc, freq) and for view
through_map() { # description, command writing -o OUT
    local what=$1; shift
    "$@" -o p.out 2> /dev/null && BCMS_FETCH_MAP=1 "$@" -o q.out 2> /dev/null
    check "$what: frames by pread = frames through the map ($(wc -l < p.out) lines)" \
        bash -c "cmp <(grep -v '^##bcms_viewCommand' p.out) <(grep -v '^##bcms_viewCommand' q.out) && [ \$(wc -l < p.out) -gt 10 ]"
    rm -f p.out q.out p.out.log q.out.log
}
through_map "assoc logistic, pooled" "${A[@]}" --model logistic --pheno binary_trait --threads 2 --memory 0.01
through_map "freq, sex chromosomes" "$BCMS" freq x.bcms --sex-file sex.txt
through_map "view, with dosages and phase" "$BCMS" view pool.bcms -d sardinia -O v
rc=0; "$BCMS" freq pool.bcms --memory 0 -o z.out 2> err.txt || rc=$?
check "--memory 0 is a usage error (exit $rc)" bash -c "[ $rc -eq 2 ] && grep -q -- --memory err.txt"
finish
