#!/usr/bin/env bash
# Datasets combine along both axes in every reader: one cohort imported as per-chromosome files (under
# one cohort name or several) scans and counts byte-identically to the single-file import; a sample
# with the same variant in two datasets is an error naming both (exit 1) unless --dup-rule first;
# contigs spelled chr1 and 1 pool, and regions match either spelling; a region on no contig of the
# store is an error listing them; thousands separators in positions; site filters apply per cohort.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
D=$BCMS_SRC/data-samples
lin() { # store out [options]: the README's linear scan of sardinia
    local s=$1 o=$2; shift 2
    "$BCMS" assoc "$s" --model linear --pheno severity --pheno-file "$D/sardinia.pheno.tsv" \
        --covar-file "$D/sardinia.covar.tsv" --covar sex,age_onset --threads 2 -o "$o" "$@" 2> run.log
}
auto=1,2,3,4,5,6,7,8,9,10,11
bcftools view -t $auto "$D/sardinia.vcf.gz" -Oz -o a.vcf.gz 2>/dev/null
bcftools view -t ^$auto "$D/sardinia.vcf.gz" -Oz -o b.vcf.gz 2>/dev/null
"$BCMS" import -q one.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" import -q two.bcms b.vcf.gz --cohort sardinia # later chromosomes first: order must not matter
"$BCMS" import -q two.bcms a.vcf.gz --cohort sardinia
"$BCMS" import -q named.bcms a.vcf.gz --cohort sar_a
"$BCMS" import -q named.bcms b.vcf.gz --cohort sar_b --same-samples
lin one.bcms one.tsv
lin two.bcms two.tsv
check "per-chromosome imports (one cohort name): assoc byte-identical to the single file" cmp one.tsv two.tsv
check "  ... every variant tested (no N=0 rows)" bash -c "! awk -F'\t' 'NR>1 && \$8==0' two.tsv | grep -q ."
lin named.bcms named.tsv
check "per-chromosome imports (two cohort names): assoc byte-identical" cmp one.tsv named.tsv
lin two.bcms two_s.tsv --cohorts sardinia
check "--cohorts NAME selects every dataset of the cohort" cmp one.tsv two_s.tsv
"$BCMS" freq one.bcms -o one.freq
"$BCMS" freq two.bcms -o two.freq
check "per-chromosome imports: freq identical" cmp one.freq two.freq
"$BCMS" freq one.bcms --geno 0.05 --hwe 1e-3 --maf 0.01 -o one.f.freq
"$BCMS" freq named.bcms --geno 0.05 --hwe 1e-3 --maf 0.01 -o named.f.freq
check "  ... and with site filters, under two cohort names (one cohort: shared samples)" cmp one.f.freq named.f.freq
"$BCMS" view one.bcms | grep -v '^##' > one.vcf
"$BCMS" view two.bcms -d sardinia | grep -v '^##' > two.vcf
check "per-chromosome imports: view -d COHORT writes one VCF, the same records" cmp one.vcf two.vcf
"$BCMS" view named.bcms | grep -v '^##' > named.vcf
check "  ... and without -d when every dataset holds the same samples" cmp one.vcf named.vcf
# view --keep/--remove/--extract/--exclude = bcftools with the same lists
awk 'NR>1 && NR%3{print "0", $1, 0, 0, 0, -9}' "$D/sardinia.covar.tsv" > keep.fam
{ echo "#IID"; awk 'NR>1 && NR%5==0{print $1}' "$D/sardinia.covar.tsv"; } > remove.txt
comm -23 <(awk '{print $2}' keep.fam | sort) <(tail -n +2 remove.txt | sort) > kept.txt
bcftools norm -m- "$D/sardinia.vcf.gz" 2>/dev/null | bcftools query -f '%CHROM:%POS:%REF:%ALT\n' | awk 'NR%4==0' > ext.txt
"$BCMS" view one.bcms --keep keep.fam --remove remove.txt --extract ext.txt |
    bcftools query -f '%CHROM:%POS:%REF:%ALT[\t%GT]\n' > v_ours.tsv
"$BCMS" view one.bcms | bcftools view -S <(bcftools query -l "$D/sardinia.vcf.gz" | grep -xFf kept.txt) 2>/dev/null |
    bcftools query -f '%CHROM:%POS:%REF:%ALT[\t%GT]\n' | grep -Ff <(sed 's/$/\t/' ext.txt) > v_bcf.tsv
check "view --keep .fam --remove --extract CHR:POS:REF:ALT = bcftools view -S on the same lists ($(wc -l < v_ours.tsv) rows)" \
    bash -c "[ $(wc -l < v_ours.tsv) -gt 500 ] && cmp v_ours.tsv v_bcf.tsv"

# the same samples and variants twice: an error naming both datasets, or the first with --dup-rule
"$BCMS" import -q dup.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" import -q dup.bcms a.vcf.gz --cohort recalled --force --same-samples
before=$(store_digest dup.bcms)
rc=0; lin dup.bcms dup.tsv || rc=$?
check "same sample and variant in two datasets: exit 1 ($(tail -1 run.log | cut -c1-150)...)" \
    bash -c "[ $rc -eq 1 ] && grep -q 'datasets 0 (sardinia' run.log && grep -q '1 (recalled' run.log && grep -q -- '--dup-rule' run.log"
check "  ... no output, store unchanged" bash -c "[ ! -e dup.tsv ] && [ '$before' = '$(store_digest dup.bcms)' ]"
rc=0; "$BCMS" freq dup.bcms -o dup.freq 2> run.log || rc=$?
check "  ... freq refuses too" bash -c "[ $rc -eq 1 ] && grep -q 'hold the same samples' run.log"
rc=0; "$BCMS" view dup.bcms -o dup.vcf 2> run.log || rc=$?
check "  ... view refuses too, naming both datasets" bash -c "[ $rc -eq 1 ] && grep -q 'datasets 0 and 1' run.log"
lin dup.bcms dup.tsv --dup-rule first
check "--dup-rule first: the first dataset's calls (= the single import)" cmp one.tsv dup.tsv
"$BCMS" freq dup.bcms --dup-rule first -o dupf.freq
check "--dup-rule first: freq equals the single import" cmp one.freq dupf.freq

# contig spellings: progemus as chr1..chr22 pools with sardinia's 1..22
for c in $(seq 1 22); do echo "$c chr$c"; done > rename.txt
bcftools annotate --rename-chrs rename.txt "$D/progemus.vcf.gz" -Oz -o progemus.chr.vcf.gz 2>/dev/null
"$BCMS" import -q pool.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" import -q pool.bcms "$D/progemus.vcf.gz" --cohort progemus
"$BCMS" import -q poolchr.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" import -q poolchr.bcms progemus.chr.vcf.gz --cohort progemus
"$BCMS" freq pool.bcms -o pool.freq
"$BCMS" freq poolchr.bcms -o poolchr.freq
check "chr1.. and 1.. cohorts pool into the same rows" cmp pool.freq poolchr.freq
"$BCMS" import -q chr.bcms progemus.chr.vcf.gz
"$BCMS" freq chr.bcms -r 2 -o r2.tsv
"$BCMS" freq chr.bcms -r chr2 -o rchr2.tsv
# scan and freq tables name contigs canonically (cohorts of either spelling pool into one row); view
# gives the input's spelling back
check "-r 2 on a chr-named store selects chr2 ($(($(wc -l < r2.tsv) - 1)) rows)" \
    bash -c "[ $(wc -l < r2.tsv) -gt 10 ] && cmp r2.tsv rchr2.tsv && ! cut -f1 r2.tsv | tail -n +2 | grep -qv '^2$'"
"$BCMS" freq one.bcms -r chr3:1-60000000 -o r3.tsv
"$BCMS" freq one.bcms -r 3:1-60,000,000 -o r3c.tsv
want=$(bcftools view -t 3:1-60000000 "$D/sardinia.vcf.gz" 2>/dev/null | bcftools norm -m- 2>/dev/null | grep -vc "^#")
check "-r chr3:1-60000000 on a 1.. store: the rows bcftools gives ($want)" [ "$(($(wc -l < r3.tsv) - 1))" -eq "$want" ]
check "thousands separators: 3:1-60,000,000 = 3:1-60000000" cmp r3.tsv r3c.tsv
rc=0; "$BCMS" freq one.bcms -r chrZ -o z.tsv 2> run.log || rc=$?
check "-r chrZ: exit 1 listing the store's contigs" bash -c "[ $rc -eq 1 ] && grep -q \"region contig 'Z'\" run.log && grep -q '1, 2, 3' run.log"
rc=0; lin one.bcms z.tsv -r chrZ || rc=$?
check "  ... assoc too" bash -c "[ $rc -eq 1 ] && grep -q 'its contigs are' run.log"
rc=0; "$BCMS" view one.bcms -r chrZ -o z.vcf 2> run.log || rc=$?
check "  ... view too" bash -c "[ $rc -eq 1 ] && grep -q 'its contigs are' run.log"
"$BCMS" view chr.bcms -r 2:1-50,000,000 | grep -v '^#' | cut -f1-5 > v2.txt
bcftools view -t chr2:1-50000000 progemus.chr.vcf.gz 2>/dev/null | bcftools norm -m- 2>/dev/null | grep -v '^#' | cut -f1-5 > b2.txt
check "view -r 2:1-50,000,000 on a chr-named store = bcftools -t chr2:1-50000000 ($(wc -l < v2.txt) rows)" \
    bash -c "[ $(wc -l < v2.txt) -gt 10 ] && cmp v2.txt b2.txt"

# per-cohort site filters: a variant is kept when it passes --geno in each cohort that has it
"$BCMS" freq pool.bcms -d sardinia -o sar.freq
"$BCMS" freq pool.bcms -d progemus -o pro.freq
"$BCMS" freq pool.bcms --geno 0.1 -o geno.freq
key='a=$4; b=$5; if (a > b) {a=$5; b=$4}; k=$1":"$2":"a":"b'
awk -F'\t' "FNR==1{next} {$key; seen[k]=1; if (1 - \$12 > 0.1) bad[k]=1} END{for (k in seen) if (!(k in bad)) print k}" \
    sar.freq pro.freq | sort > want.txt
awk -F'\t' "NR>1 {$key; print k}" geno.freq | sort > got.txt
check "--geno 0.1 per cohort: $(wc -l < got.txt) variants kept, the per-cohort rule's ($(wc -l < want.txt))" cmp want.txt got.txt
private=$(awk -F'\t' 'NR>1 && 1-$12 > 0.1' pool.freq | wc -l)
check "  ... cohort-private variants are not dropped for the other cohort's missing calls ($private would be by pooled counts)" \
    [ "$(($(wc -l < pool.freq) - $(wc -l < geno.freq)))" -lt "$private" ]
finish
