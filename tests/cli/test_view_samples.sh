#!/usr/bin/env bash
# view -S FILE: a PLINK-style '#IID' header line is a header, not a sample name; the samples written
# are exactly the listed ones, as bcftools view -S gives them.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o c.vcf.gz --samples 60 --variants 300 --seed 2 --threads 1 2> /dev/null
"$BCMS" import -q s.bcms c.vcf.gz
bcftools query -l c.vcf.gz | sed -n '3p;7p;11p' > plain.txt
{ echo "#IID"; cat plain.txt; } > header.txt
"$BCMS" view s.bcms -S header.txt -o h.vcf 2> err.txt
check "view -S with a #IID header exits 0" [ -s h.vcf ]
check "view -S with a #IID header: the three listed samples" \
    cmp -s <(bcftools query -l h.vcf) plain.txt
bcftools view -S plain.txt c.vcf.gz 2> /dev/null | bcftools norm -m- 2> /dev/null | bcftools query -f '%POS[\t%GT]\n' |
    sed 's#1/0#0/1#g' > want.txt
bcftools query -f '%POS[\t%GT]\n' h.vcf | sed 's#1/0#0/1#g' > got.txt
check "view -S with a #IID header: genotypes equal bcftools view -S" cmp -s want.txt got.txt
finish
