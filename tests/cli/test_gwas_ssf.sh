#!/usr/bin/env bash
# --format gwas-ssf: every rule of the GWAS-SSF v1.0 standard and of the GWAS Catalog validator
# (tests/lib/ssf_validate.py writes them out) on linear, logistic and Cox output: the eight first
# columns in order, chromosome 1-22/X=23/Y=24/MT=25, #NA for missing values, neg_log_10_p_value when
# a p is below the double range, one file per phenotype, -meta.yaml with the mandatory fields and
# the data file's md5sum; the numbers equal the TSV output's.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
# Debian's python3 has PyYAML from python3-yaml (tests/install-deps.sh); another python3 first on PATH may not
PY=python3; /usr/bin/python3 -c 'import yaml' 2> /dev/null && PY=/usr/bin/python3
V="$PY $BCMS_SRC/tests/lib/ssf_validate.py"
# 200 samples; contigs 1, X, Y, MT and an unplaced scaffold; one variant drives q1 almost exactly
awk 'BEGIN{srand(7); OFS="\t"; n=200
  print "##fileformat=VCFv4.2"; print "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">"
  split("chr1 chrX chrY chrM chrUn_gl000220", cs, " ")
  for (c in cs) print "##contig=<ID=" cs[c] ">"
  h="#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"; for (i=1;i<=n;i++) h=h "\tS" i; print h
  split("A C G T", al, " ")
  for (v=1; v<=330; v++) {
    c = v<=300 ? "chr1" : v<=310 ? "chrX" : v<=320 ? "chrY" : v<=325 ? "chrM" : "chrUn_gl000220"
    pos = (v<=300 ? v : v-300) * 1000 + 1; r = al[1+int(rand()*4)]; do a = al[1+int(rand()*4)]; while (a==r)
    f = 0.05 + 0.4*rand(); l = c "\t" pos "\t" (v%3 ? "rs" (1000+v) : ".") "\t" r "\t" a "\t.\tPASS\t.\tGT"
    for (i=1;i<=n;i++) l = l "\t" (rand()<f) "/" (rand()<f); print l } }' | bgzip > t.vcf.gz
"$BCMS" import -q t.bcms t.vcf.gz 2> import.log
bcftools query -f '[%GT\t]\n' t.vcf.gz | awk -F'\t' 'NR == 1 {for (i = 1; i < NF; i++) {split($i, a, "/"); print a[1] + a[2]}}' > x1.txt
bcftools query -l t.vcf.gz > ids.txt
paste ids.txt x1.txt | awk 'BEGIN{srand(3); OFS="\t"; print "#IID","q1","q2","cc","t","e"}
  {u=rand(); print $1, 3*$2 + 1e-7*(rand()-0.5), rand(), (rand()<0.3)+1, -log(1-u)+0.01, (rand()<0.7)}' > ph.tsv
meta=(--ssf-meta genome_assembly=GRCh38 --ssf-meta "genotyping_technology=Genome-wide genotyping array"
      --ssf-meta "sample_ancestry_category=European;Other" --ssf-meta sex=combined)
# half the samples male: chrY is tested on males (with no male there are no chrY rows, as plink2)
awk 'BEGIN{print "#IID\tSEX"; for (i = 1; i <= 200; i++) print "S" i "\t" (i % 2 ? 1 : 2)}' > sex.txt
"$BCMS" assoc t.bcms --model linear --pheno q1,q2 --pheno-file ph.tsv --sex-file sex.txt --format gwas-ssf \
    "${meta[@]}" -o lin.tsv.gz 2> lin.log
"$BCMS" assoc t.bcms --model linear --pheno q1,q2 --pheno-file ph.tsv --sex-file sex.txt -o lin_plain.tsv 2> /dev/null
"$BCMS" assoc t.bcms --model logistic --pheno cc --pheno-file ph.tsv --format gwas-ssf "${meta[@]}" \
    -o log.tsv 2> log.log
"$BCMS" assoc t.bcms --model cox --time t --event e --pheno-file ph.tsv --format gwas-ssf "${meta[@]}" \
    -o cox.tsv.gz 2> cox.log
check "one file per phenotype, each with its -meta.yaml" \
    test -s lin.q1.tsv.gz -a -s lin.q2.tsv.gz -a -s lin.q1.tsv.gz-meta.yaml -a -s lin.q2.tsv.gz-meta.yaml \
         -a ! -e lin.tsv.gz -a -s log.tsv-meta.yaml -a -s cox.tsv.gz-meta.yaml
check "every file passes the GWAS-SSF v1.0 rules ($($V lin.q1.tsv.gz lin.q2.tsv.gz log.tsv cox.tsv.gz | tr '\n' ' '))" \
    $V lin.q1.tsv.gz lin.q2.tsv.gz log.tsv cox.tsv.gz
check "q1 (p below 1e-308) is written as neg_log_10_p_value, q2 as p_value" bash -c \
    "zcat lin.q1.tsv.gz | head -1 | cut -f8 | grep -qx neg_log_10_p_value && zcat lin.q2.tsv.gz | head -1 | cut -f8 | grep -qx p_value"
top=$(zcat lin.q1.tsv.gz | awk -F'\t' '$1 == 1 && $2 == 1001 {print $8}')
want=$(awk -F'\t' '$NF == "q1" && $1 ~ /^(chr)?1$/ && $2 == 1001 {print $14}' lin_plain.tsv)
check "the tiny p's -log10 ($top) is the scan's LOG10P ($want), beyond the double range" \
    awk -v a="$top" -v b="$want" 'BEGIN{exit !(a == b && a > 400)}'
check "chromosomes coded 1, 23, 24, 25; the unplaced scaffold left out" \
    [ "$(zcat lin.q2.tsv.gz | tail -n +2 | cut -f1 | sort -un | tr '\n' ' ')" = "1 23 24 25 " ]
check "beta, standard_error, p_value equal the TSV's BETA, SE, P" cmp -s \
    <(zcat lin.q2.tsv.gz | tail -n +2 | awk -F'\t' '$1 == 1 {print $2, $5, $6, $8}') \
    <(awk -F'\t' '$NF == "q2" && $1 ~ /^(chr)?1$/ && $15 == "." {print $2, $10, $11, $13}' lin_plain.tsv)
check "#NA for a missing rsid, never NA" bash -c \
    "zcat lin.q2.tsv.gz | awk -F'\t' 'NR > 1 && \$10 == \"#NA\"' | grep -q . && ! zcat lin.q2.tsv.gz | grep -qP '\tNA(\t|$)'"
check "logistic metadata: a case-control study with its counts" \
    $PY -c "import yaml; m = yaml.safe_load(open('log.tsv-meta.yaml')); s = m['samples'][0]; \
assert s['case_control_study'] is True and s['case_count'] > 0 and s['control_count'] > 0; \
assert m['genome_assembly'] == 'GRCh38' and m['sex'] == 'combined' and m['trait_description'] == ['cc']"
check "Cox file carries hazard_ratio and n_events" bash -c "zcat cox.tsv.gz | head -1 | grep -q 'hazard_ratio	n_events'"
rc=0; "$BCMS" assoc t.bcms --model linear --pheno q2 --pheno-file ph.tsv --format gwas-ssf -o x.tsv 2> e1.log || rc=$?
check "missing mandatory metadata is refused before the scan ($(cat e1.log))" \
    bash -c "[ $rc -ne 0 ] && grep -q genome_assembly e1.log && [ ! -e x.tsv ]"
rc=0; "$BCMS" assoc t.bcms --model linear --pheno q2 --pheno-file ph.tsv --format gwas-ssf "${meta[@]}" -o x.txt 2> e2.log || rc=$?
check "an output name without .tsv/.tsv.gz is refused ($(cat e2.log))" [ $rc -ne 0 ]
rc=0; "$BCMS" assoc t.bcms --model linear --pheno q2 --pheno-file ph.tsv "${meta[@]}" -o x.tsv 2> e3.log || rc=$?
check "--ssf-meta without --format gwas-ssf is refused" [ $rc -ne 0 ]
rc=0; "$BCMS" assoc t.bcms --model linear --pheno q2 --pheno-file ph.tsv --format gwas-ssf "${meta[@]}" \
    --ssf-meta sex=both -o x.tsv 2> e4.log || rc=$?
check "a value outside the standard's enumeration is refused ($(cat e4.log))" [ $rc -ne 0 ]
finish
