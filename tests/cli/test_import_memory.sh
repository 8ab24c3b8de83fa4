#!/usr/bin/env bash
# import --memory caps the input in flight (batches of blocks) and the frames of a commit; the store
# does not depend on it: at the floor (one block per batch and per commit), in between and far above
# the default, at 1 and 2 threads, from VCF.gz, BCF and two per-contig files, the blocks, rows and
# `view` are those of the default import of the same input (and the three inputs give the same
# records). A bad --memory is a usage error.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
# 600 samples: blocks of 6,990 rows, so each 8,000-variant contig makes a full block and a short one,
# and the tiny caps cut the batches inside contigs and at their ends
"$BCMS" simulate -o c.vcf.gz --samples 600 --variants 16000 --contigs 2 --seed 5 2> /dev/null
bcftools view -Ob -o c.bcf c.vcf.gz
bcftools view -r 1 -Oz -o c1.vcf.gz c.vcf.gz 2> /dev/null || { bcftools index c.vcf.gz; bcftools view -r 1 -Oz -o c1.vcf.gz c.vcf.gz; }
bcftools view -r 2 -Oz -o c2.vcf.gz c.vcf.gz
digest() { # store: its content (info without names, times, sizes) and its genotypes
    { "$BCMS" info "$1" | grep -v -E '^(store|created|disk_bytes|bytes_per_genotype)' | sed 's/imported=[^\t]*//'
      "$BCMS" view "$1" | grep -v '^##bcms_view'; } | md5sum | cut -d' ' -f1
}
records() { "$BCMS" view "$1" | grep -v '^##' | md5sum | cut -d' ' -f1; }
"$BCMS" import -q first.bcms c.vcf.gz --cohort c --threads 2
blocks=$("$BCMS" info first.bcms | grep -o 'blocks=[0-9]*')
check "the cohort makes several blocks per contig ($blocks)" bash -c "[ ${blocks#blocks=} -ge 4 ]"
for input in c.vcf.gz c.bcf "c1.vcf.gz c2.vcf.gz"; do
    rm -rf ref.bcms
    # shellcheck disable=SC2086
    "$BCMS" import -q ref.bcms $input --cohort c --threads 2
    ref=$(digest ref.bcms)
    check "import $input: the records of c.vcf.gz's import" test "$(records ref.bcms)" = "$(records first.bcms)"
    for m in 0.001 0.5 3 100000; do
        for t in 1 2; do
            rm -rf m.bcms
            # shellcheck disable=SC2086
            "$BCMS" import -q m.bcms $input --cohort c --memory $m --threads $t
            check "import $input --memory $m --threads $t: the same store as the default" \
                test "$(digest m.bcms)" = "$ref"
        done
    done
done
rc=0; "$BCMS" import -q x.bcms c.vcf.gz --memory 0 2> err.txt || rc=$?
check "--memory 0 is a usage error (exit $rc)" bash -c "[ $rc -eq 2 ] && grep -q 'memory needs a size' err.txt && [ ! -e x.bcms/data.mdb ]"
rc=0; "$BCMS" import -q x.bcms c.vcf.gz --memory 1MB 2> err.txt || rc=$?
check "--memory 1MB is a usage error (exit $rc)" bash -c "[ $rc -eq 2 ] && grep -q 'memory needs a size' err.txt"
finish
