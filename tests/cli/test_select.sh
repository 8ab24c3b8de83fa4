#!/usr/bin/env bash
# Sample and variant lists on a scan: bcms assoc --keep (a PLINK .fam) --remove --extract --exclude gives
# the numbers plink2 --glm gives with the same lists, run live on the same genotypes; --mind on a scan
# drops the samples plink2 --mind drops; the log says how many samples the lists removed. (Hard calls:
# plink2 reads GT, the data-samples also carry DS.)
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
D=$BCMS_SRC/data-samples
"$BCMS" import -q s.bcms "$D/sardinia.vcf.gz"
awk 'NR>1 && NR%4!=0{print "0", $1, 0, 0, $2, -9}' "$D/sardinia.covar.tsv" > keep.fam
{ echo "#IID"; awk 'NR>1 && NR%9==0{print $1}' "$D/sardinia.covar.tsv"; } > remove.txt
bcftools norm -m- "$D/sardinia.vcf.gz" 2>/dev/null | bcftools annotate -I '%CHROM:%POS:%REF:%ALT' -Oz -o split.vcf.gz 2>/dev/null
bcftools query -f '%ID\n' split.vcf.gz | awk 'NR%2==0' > extract.txt
bcftools query -f '%ID\n' split.vcf.gz | awk 'NR%10==0' > exclude.txt
"$BCMS" assoc s.bcms --model linear --pheno severity --pheno-file "$D/sardinia.pheno.tsv" \
    --covar-file "$D/sardinia.covar.tsv" --covar sex,age_onset --keep keep.fam --remove remove.txt \
    --extract extract.txt --exclude exclude.txt --hard-calls --threads 2 -o lin.tsv 2> run.log
plink2 --vcf split.vcf.gz --pheno "$D/sardinia.pheno.tsv" --pheno-name severity --covar "$D/sardinia.covar.tsv" \
    --covar-name sex,age_onset --covar-variance-standardize --glm hide-covar --keep keep.fam --remove remove.txt \
    --extract extract.txt --exclude exclude.txt --out pl --threads 2 > /dev/null 2>&1
compare() {
    python3 - "$1" "$2" <<'PY'
import sys
ours, pl = sys.argv[1:3]
def rows(path, key):
    with open(path) as f:
        hdr = f.readline().lstrip('#').rstrip('\n').split('\t')
        for line in f:
            r = dict(zip(hdr, line.rstrip('\n').split('\t')))
            yield key(r), r
o = dict(rows(ours, lambda r: f"{r['CHROM']}:{r['POS']}:{r['REF']}:{r['ALT']}"))
p = dict(rows(pl, lambda r: r['ID']))
n = bad = 0
if set(o) != set(p):
    print('variant sets differ:', len(o), len(p)); sys.exit(1)
for k, r in p.items():
    q = o[k]
    if (r['P'] == 'NA') != (q['P'] == 'NA'):
        bad += 1; print(k, 'NA mismatch'); continue
    if r['P'] == 'NA': continue
    if r['OBS_CT'] != q['N']: bad += 1; print(k, 'N', r['OBS_CT'], q['N']); continue
    sign = 1.0 if r['A1'] == q['ALT'] else -1.0
    for a, b, tol in ((sign * float(r['BETA']), float(q['BETA']), 1e-5), (float(r['SE']), float(q['SE']), 1e-5),
                      (float(r['P']), float(q['P']), 1e-4)):
        if abs(a - b) > tol * max(abs(a), abs(b)) + 5e-7 * (tol == 1e-5):
            bad += 1; print(k, a, b); break
    n += 1
print(f"{n} variants compared, {bad} differ")
sys.exit(1 if bad or n < 1000 else 0)
PY
}
check "assoc --keep .fam --remove --extract --exclude equals plink2 --glm with the same lists" compare lin.tsv pl.severity.glm.linear
n=$(awk 'NR>1{print $8}' lin.tsv | sort -n | tail -1)
want=$(comm -23 <(awk '{print $2}' keep.fam | sort) <(tail -n +2 remove.txt | sort) | wc -l)
check "  ... N is the kept samples with a phenotype (at most $want)" [ "$n" -le "$want" ]
check "  ... the log says how many samples the lists removed" grep -q "removed by --keep/--remove" run.log
"$BCMS" assoc s.bcms --model linear --pheno severity --pheno-file "$D/sardinia.pheno.tsv" \
    --covar-file "$D/sardinia.covar.tsv" --covar sex,age_onset --mind 0.03 --hard-calls --threads 2 -o mind.tsv 2> run.log
plink2 --vcf split.vcf.gz --pheno "$D/sardinia.pheno.tsv" --pheno-name severity --covar "$D/sardinia.covar.tsv" \
    --covar-name sex,age_onset --covar-variance-standardize --glm hide-covar --mind 0.03 --out plm --threads 2 > /dev/null 2>&1
check "assoc --mind 0.03 equals plink2 --glm --mind 0.03" compare mind.tsv plm.severity.glm.linear
"$BCMS" assoc s.bcms --model linear --pheno severity --pheno-file "$D/sardinia.pheno.tsv" \
    --covar-file "$D/sardinia.covar.tsv" --covar sex,age_onset --mind 0.03 --keep keep.fam --maf 0.02 --geno 0.05 \
    --threads 1 -o t1.tsv 2> /dev/null
"$BCMS" assoc s.bcms --model linear --pheno severity --pheno-file "$D/sardinia.pheno.tsv" \
    --covar-file "$D/sardinia.covar.tsv" --covar sex,age_onset --mind 0.03 --keep keep.fam --maf 0.02 --geno 0.05 \
    --threads 2 -o t2.tsv 2> /dev/null
check "assoc with lists, --mind and filters: same bytes at 1 and 2 threads" cmp t1.tsv t2.tsv
finish
