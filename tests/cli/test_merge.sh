#!/usr/bin/env bash
# bcms merge: chunks of one scan merge into the unchunked output and summary (counts, lambda GC);
# chunks of different scans (covariates, filters, phenotype, a store changed between chunks) are
# refused by their fingerprint and nothing is written; --chunk is parsed strictly; OUT.log quotes
# arguments with spaces so that the command can be pasted back.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 300 --variants 1500 --seed 5 --pheno c.pheno.tsv --covar c.covar.tsv
"$BCMS" import -q c.bcms c.vcf.gz
scan() { "$BCMS" assoc c.bcms --model linear --pheno severity,time_to_edss6 --pheno-file c.pheno.tsv \
    --covar-file c.covar.tsv "$@" 2>> scan.log; }
scan --covar sex,PC1 -o all.tsv
for k in 1 2 3; do scan --covar sex,PC1 --chunk $k/3 -o part$k.tsv; done
"$BCMS" merge -o merged.tsv part2.tsv part3.tsv part1.tsv
check "merged chunks equal the unchunked scan byte for byte" cmp -s merged.tsv all.tsv
check "the merged summary has the whole scan's counts and lambda GC" cmp -s \
    <(grep -E '^(variants|filtered|pheno)' all.tsv.log) <(grep -E '^(variants|filtered|pheno)' merged.tsv.log)
check "  ... and says it is complete" grep -qx 'status	complete' merged.tsv.log

refused() { # description, then the chunk files
    local d=$1; shift
    rm -f bad.tsv
    local rc=0; "$BCMS" merge -o bad.tsv "$@" 2> merge.err || rc=$?
    check "$d is refused ($(head -c 160 merge.err)...)" bash -c "[ $rc -ne 0 ] && [ ! -e bad.tsv ] && grep -q 'not parts of one scan' merge.err"
}
scan --covar sex,PC1,PC2 --chunk 3/3 -o cov3.tsv
refused "a chunk with other covariates" part1.tsv part2.tsv cov3.tsv
scan --covar sex,PC1 --maf 0.05 --chunk 3/3 -o maf3.tsv
refused "a chunk with another --maf" part1.tsv part2.tsv maf3.tsv
"$BCMS" assoc c.bcms --model linear --pheno severity --pheno-file c.pheno.tsv --covar-file c.covar.tsv --covar sex,PC1 \
    --chunk 3/3 -o ph3.tsv 2>> scan.log
refused "a chunk of another phenotype set" part1.tsv part2.tsv ph3.tsv
awk 'BEGIN{OFS="\t"} NR == 1 {print "#IID", "extra"; next} {print $1, NR % 7}' c.pheno.tsv > extra.tsv
"$BCMS" pheno c.bcms extra.tsv 2>> scan.log
scan --covar sex,PC1 --chunk 3/3 -o late3.tsv
refused "a chunk run after the store changed" part1.tsv part2.tsv late3.tsv

for bad in 2/3x 2/3/4 x/3 2/ 0/3 4/3; do
    rc=0; "$BCMS" assoc c.bcms --model linear --pheno severity --pheno-file c.pheno.tsv --chunk $bad -o x.tsv 2> chunk.err || rc=$?
    check "--chunk $bad is refused" bash -c "[ $rc -eq 2 ] || [ $rc -eq 1 ] && grep -q -- '--chunk' chunk.err"
done

"$BCMS" assoc c.bcms --model linear --pheno severity --pheno-file c.pheno.tsv --covar-file c.covar.tsv --covar sex \
    -o "my scan's out.tsv" 2>> scan.log
cmd=$(awk -F'\t' '$1 == "command" {print $2}' "my scan's out.tsv.log")
eval "set -- $cmd"
last=""; prev=""; for a in "$@"; do [ "$prev" = -o ] && last=$a; prev=$a; done
check "OUT.log quotes an argument with spaces and a quote ($cmd)" [ "$last" = "my scan's out.tsv" ]
finish
