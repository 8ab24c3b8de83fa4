#!/usr/bin/env bash
# test_lmm_loco.sh: `bcms assoc --model lmm --loco` (leave one chromosome out) equals GEMMA run once per
# chromosome c with its own GRM of every other chromosome's variants (gemma -gk 1 -snps LIST, then
# -lmm 4 -k that matrix -snps c's variants), live on a structured cohort (isolate, families, cryptic
# relatives) of three chromosomes plus chrX/chrY/chrM, with covariates: BETA/SE to 1e-5, p to 1e-4
# relative. chrX/chrY/chrM (not in the autosomal GRM) get the rows of the plain lmm. Same bytes at 1
# and 2 threads and with a tiny streaming window, --chunk parts (starting mid-chromosome) concatenated
# equal the whole, --resume equals the whole, mpirun -np 1/2/3 equal the single process, --loco (each
# chromosome's fits dealt out to the ranks) and the plain lmm (rank 0's decomposition broadcast), when
# built with MPI. Clear errors: --loco without --model lmm, a GRM that does not record its variants (as an older
# bcms made it), a record of its variants that belongs to another matrix. Needs plink2 and gemma.
source "$BCMS_SRC/tests/lib/common.sh"
T=$BCMS_TMP
command -v gemma >/dev/null && command -v plink2 >/dev/null || { echo "gemma/plink2 not installed"; exit 1; }
CMP="python3 $BCMS_SRC/tests/lib/lmmcmp.py"
cd "$T"
"$BCMS" simulate -o c.vcf.gz -n 300 -m 3000 --contigs 3 --sex-chromosomes --seed 71 --fst 0.1 --families 8 \
    --relatives 8 --pheno ph.tsv --covar cv.tsv --threads 2 2>/dev/null
"$BCMS" import c0.bcms c.vcf.gz 2>/dev/null
"$BCMS" view c0.bcms -O v 2>/dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz -o u.vcf.gz
"$BCMS" import c.bcms u.vcf.gz 2>/dev/null
"$BCMS" pheno c.bcms ph.tsv 2>/dev/null
"$BCMS" pheno c.bcms cv.tsv 2>/dev/null
"$BCMS" grm c.bcms --maf 0.01 --geno 0.05 2>/dev/null
F=(--maf 0.01 --geno 0.05)
A=(--model lmm --loco --pheno severity --covar sex,age_onset,PC1 "${F[@]}")
"$BCMS" assoc c.bcms "${A[@]}" -o b2.tsv --threads 2 2>b2.err
"$BCMS" assoc c.bcms "${A[@]}" -o b1.tsv --threads 1 --memory 0.05 2>/dev/null
check "1 thread (tiny window) and 2 threads: same bytes" cmp b1.tsv b2.tsv
check "one GRM without each chromosome: 1, 2, 3" [ "$(grep -c 'grm: without chromosome' b2.err)" -eq 3 ]

# GEMMA, chromosome by chromosome. The GRM's variants are the scan's autosomal rows (same filters);
# GEMMA's -gk uses the samples with a phenotype: every sample has one in gk.fam.
plink2 --vcf u.vcf.gz --chr 1-3 --make-bed --out g >/dev/null
awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' ph.tsv g.fam >g.fam.t
mv g.fam.t g.fam
awk 'NR == FNR {if (FNR > 1) c[$1] = "1 " $2 " " $3 " " $4; next} {print c[$2]}' cv.tsv g.fam >cov.txt
ln -sf g.bed gk.bed && ln -sf g.bim gk.bim && awk '{$6 = 1; print}' g.fam >gk.fam
for c in 1 2 3; do
    awk -F'\t' -v c=$c 'NR > 1 && $1 ~ /^[0-9]+$/ && $1 != c {print $3}' b2.tsv >not$c.txt
    awk -F'\t' -v c=$c 'NR > 1 && $1 == c {print $3}' b2.tsv >on$c.txt
    gemma -bfile gk -gk 1 -snps not$c.txt -o k$c >/dev/null 2>&1
    gemma -bfile g -k output/k$c.cXX.txt -c cov.txt -lmm 4 -snps on$c.txt -o a$c >/dev/null 2>&1
    check "GEMMA's GRM without chromosome $c has the $(wc -l <not$c.txt) variants" \
        grep -q "number of analyzed SNPs/var = $(wc -l <not$c.txt)\$" output/k$c.log.txt
done
(head -1 output/a1.assoc.txt && for c in 1 2 3; do tail -n +2 output/a$c.assoc.txt; done) >gemma.txt
check "--loco equals GEMMA -lmm 4 with each chromosome's -gk 1 GRM" $CMP gemma.txt b2.tsv 1e-5 1e-4
# the plain scan (one GRM with every chromosome) differs: the test can tell them apart
"$BCMS" assoc c.bcms --model lmm --pheno severity --covar sex,age_onset,PC1 "${F[@]}" -o plain.tsv 2>/dev/null
if $CMP gemma.txt plain.tsv 1e-5 1e-4 >/dev/null; then fail "the plain lmm differs from the LOCO GEMMA runs"
else pass "the plain lmm differs from the LOCO GEMMA runs"; fi
check "chrX/chrY/chrM: the plain lmm's rows (the autosomal GRM leaves them out)" \
    diff <(awk -F'\t' '$1 == "X" || $1 == "Y" || $1 == "MT"' b2.tsv) <(awk -F'\t' '$1 == "X" || $1 == "Y" || $1 == "MT"' plain.tsv)
check "chrX rows present" grep -q "^X	" b2.tsv

# --chunk parts start mid-chromosome and still use that chromosome's GRM; --resume
for k in 1 2 3 4 5; do "$BCMS" assoc c.bcms "${A[@]}" --chunk $k/5 -o ch$k.tsv --threads 2 2>/dev/null; done
check "chunk 2/5 starts mid-chromosome" [ "$(cut -f1 ch2.tsv | tail -n +2 | sort -u | wc -l)" -gt 1 ]
"$BCMS" merge -o merged.tsv ch1.tsv ch2.tsv ch3.tsv ch4.tsv ch5.tsv 2>/dev/null
check "--chunk 1..5/5 merged: the whole scan's bytes" cmp merged.tsv b2.tsv
"$BCMS" assoc c.bcms --model lmm --pheno severity --covar sex,age_onset,PC1 "${F[@]}" --chunk 2/5 -o pc2.tsv 2>/dev/null
if "$BCMS" merge -o mixed.tsv ch1.tsv pc2.tsv ch3.tsv ch4.tsv ch5.tsv 2>/dev/null; then fail "merge of --loco and plain chunks accepted"
else pass "merge refuses a plain lmm chunk among --loco chunks"; fi
"$BCMS" assoc c.bcms "${A[@]}" --resume -o r.tsv --threads 2 2>/dev/null
check "--resume: the whole scan's bytes" cmp r.tsv b2.tsv

if have_mpi; then
    mpi_setup
    for np in 1 2 3; do
        "${MPI[@]}" -np $np "$BCMS" assoc c.bcms "${A[@]}" --threads 1 -o m$np.tsv 2>/dev/null
        check "mpirun -np $np: the single process's bytes" cmp m$np.tsv b2.tsv
    done
    # the plain lmm too: rank 0 decomposes the GRM and broadcasts it (lmm_model_share)
    for np in 2 3; do
        "${MPI[@]}" -np $np "$BCMS" assoc c.bcms --model lmm --pheno severity \
            --covar sex,age_onset,PC1 "${F[@]}" --threads 1 -o p$np.tsv 2>/dev/null
        check "plain lmm, mpirun -np $np: the single process's bytes" cmp p$np.tsv plain.tsv
    done
else
    echo "SKIP: mpirun runs (bcms built without MPI)"
fi

# errors
if "$BCMS" assoc c.bcms --model linear --loco --pheno severity -o x.tsv 2>err.txt; then fail "--loco with linear accepted"
else check "--loco with --model linear: clear error" grep -q "loco is for --model lmm" err.txt; fi
# A GRM as an older bcms stored it: the matrix record alone (copied under another name with
# mdb_dump/mdb_load), and a matrix replaced without its variant record.
"$BCMS" grm c.bcms --maf 0.05 --name other 2>/dev/null
mdb_dump -s grm c.bcms >grm.dump
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
awk -v d=" $(hex default)" -v o=" $(hex other)" -v old=" $(hex old)" '
    /^HEADER=END/ {print; body = 1; next}
    !body {print; next}
    /^DATA=END/ {print; next}
    {if (++i % 2) key = $0; else if (key == d) print old "\n" $0; else if (key == o) print d "\n" $0}' grm.dump >old.dump
mdb_load -s grm c.bcms <old.dump
if "$BCMS" assoc c.bcms "${A[@]}" --grm old -o x.tsv 2>err.txt; then fail "--loco with a GRM without its variants accepted"
else check "GRM without its variant record: says to rebuild it" grep -q "does not record which variants.*rebuild it" err.txt; fi
check "the plain lmm still uses that GRM" "$BCMS" assoc c.bcms --model lmm --pheno severity --grm old -r 1 -o ok.tsv
if "$BCMS" assoc c.bcms "${A[@]}" -o y.tsv 2>err.txt; then fail "--loco with another matrix's variant record accepted"
else check "variant record of another matrix: says to rebuild" grep -q "of another matrix.*rebuild" err.txt; fi
check "no output after those errors" [ ! -e x.tsv ] && [ ! -e y.tsv ]
finish
