#!/usr/bin/env bash
# Sex chromosomes, sample and variant lists, QC, all against the peers run live on the same input:
# bcms simulate --sex-chromosomes (chrX with PARs, chrY, chrM; haploid males) is deterministic at any
# --threads; bcms freq equals plink2 --freq (ALT_FREQS, OBS_CT), --missing (.vmiss) and --hardy
# (.hardy P; .hardy.x P and FEMALE_ONLY_P) with the same sex file; --hwe/--geno/--maf keep what
# plink2 keeps; --keep/--remove/--extract (IDs and BED) equal plink2's; the stored `sex` column
# serves as --sex-file; bcms qc equals plink2 --missing (.smiss) and --het, --mind equals plink2
# --mind; bcms sexcheck equals plink 1.9 --check-sex.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
sim() { "$BCMS" simulate -o "$1" --samples 400 --variants 2000 --seed 5 --sex-chromosomes --missing 0.03 \
    --covar s.covar.tsv "${@:2}" 2> /dev/null; }
sim s.vcf.gz --threads 2
sim s1.vcf.gz --threads 1
check "simulate --sex-chromosomes: same bytes at 1 and 2 threads" cmp s.vcf.gz s1.vcf.gz
check "  ... chrX, chrY and chrM records" bash -c "[ \$(bcftools query -f '%CHROM\n' s.vcf.gz | grep -cE '^(X|Y|MT)$') -eq 115 ]"
males=$(awk 'NR>1 && $2==1' s.covar.tsv | wc -l)
bcftools query -f '%CHROM[\t%GT]\n' s.vcf.gz | awk '$1=="Y" && !d {print; d=1}' | cut -f2- | tr '\t' '\n' > y1.txt
check "  ... chrY calls haploid, at least the $((400 - males)) females missing" \
    bash -c "! grep -q / y1.txt && [ \$(grep -c '^\.\$' y1.txt) -ge $((400 - males)) ]"
awk 'BEGIN{print "#IID\tSEX"} NR>1{print $1"\t"$2}' s.covar.tsv > sex.txt
"$BCMS" import -q s.bcms s.vcf.gz
bcftools norm -m- s.vcf.gz 2>/dev/null | bcftools annotate -I '%CHROM:%POS:%REF:%ALT' -Oz -o split.vcf.gz 2>/dev/null
P="plink2 --vcf split.vcf.gz --split-par b38 --update-sex sex.txt"
$P --freq --hardy cols=+femalep --missing --het --out p > /dev/null 2>&1
"$BCMS" freq s.bcms --sex-file sex.txt --hardy -o f.tsv
key() { awk -F'\t' -v OFS='\t' 'NR>1{print $1":"$2":"$4":"$5, $6, $8, $11, $13, $14}' "$1" | sort; }
key f.tsv > ours.tsv
cmpcol() { # plink table (ID, values: $7..), awk condition on ours ($2 ALT_FREQ $3 OBS_CT $4 MISSING_CT
           # $5 HWE_P $6 FEMALE_HWE_P) and plink's that flags a difference, minimum rows joined
    join -t$'\t' ours.tsv "$1" > j.tsv
    awk -F'\t' -v n0="$3" "{if ($2) {bad++; if (bad < 4) print}} END{print NR \" rows, \" bad+0 \" differ\"; exit (bad || NR < n0)}" j.tsv
}
awk -F'\t' -v OFS='\t' 'NR>1{print $2, $5, $6}' p.afreq | sort > pf.tsv
check "freq ALT_FREQ and OBS_CT equal plink2 --freq (haploid males, chrY males only, chrM haploid)" \
    cmpcol pf.tsv '($2-$7)^2 > 1e-11 || $3 != $8' 2100
awk -F'\t' -v OFS='\t' 'NR>1{print $2, $3, $4}' p.vmiss | sort > pm.tsv
check "MISSING_CT equals plink2 --missing .vmiss (chrY: males)" cmpcol pm.tsv '$4 != $7' 2100
awk -F'\t' -v OFS='\t' 'NR>1{print $2, $NF}' p.hardy | sort > ph.tsv
check "HWE_P equals plink2 --hardy (autosomes and PARs, 1e-4 relative)" cmpcol ph.tsv '($5-$7)^2 > (1e-4*$7)^2 + 1e-24' 2000
awk -F'\t' -v OFS='\t' 'NR>1{print $2, $NF, $(NF-1)}' p.hardy.x | sort > phx.tsv
check "chrX HWE_P and FEMALE_HWE_P equal plink2 --hardy .hardy.x P and FEMALE_ONLY_P" \
    cmpcol phx.tsv '($5-$7)^2 > (1e-4*$7)^2 + 1e-24 || ($6-$8)^2 > (1e-4*$8)^2 + 1e-24' 60
nohwe() { ! awk -F'\t' '($1=="Y" || $1=="MT") && ($13 != "NA" || $14 != "NA")' f.tsv | grep -q .; }
check "no HWE on chrY/chrM (NA)" nohwe
for f in "--hwe 0.05" "--geno 0.04" "--maf 0.05" "--hwe 0.01 --geno 0.05 --maf 0.01"; do
    $P $f --write-snplist --out q > /dev/null 2>&1
    "$BCMS" freq s.bcms --sex-file sex.txt $f | awk 'NR>1{print $1":"$2":"$4":"$5}' | sort > a.txt
    sort q.snplist > b.txt
    check "freq $f keeps what plink2 keeps ($(wc -l < b.txt) variants)" cmp a.txt b.txt
done

# --par b37: chrX sites moved so that 20 of them lie in PAR1 of GRCh38 but not of GRCh37
bcftools view -h s.vcf.gz > par.vcf
bcftools view -H -t X s.vcf.gz | awk -F'\t' -v OFS='\t' \
    '{n++; $2 = n <= 10 ? 10001 + n * 1000 : n <= 30 ? 2700000 + n * 1000 : 3000000 + n * 10000; $3 = "X:" $2; print}' >> par.vcf
bgzip -f par.vcf
"$BCMS" import -q par.bcms par.vcf.gz
for b in b37 b38; do
    plink2 --vcf par.vcf.gz --split-par $b --update-sex sex.txt --freq --hardy --out par$b > /dev/null 2>&1
    "$BCMS" freq par.bcms --sex-file sex.txt --par $b --hardy | awk -F'\t' -v OFS='\t' 'NR>1{print $3, $6, $8, $13}' | sort > o$b.tsv
    join -t$'\t' o$b.tsv <(awk -F'\t' -v OFS='\t' 'NR>1{print $2, $5, $6}' par$b.afreq | sort) > j$b.tsv
    check "--par $b: ALT_FREQ and OBS_CT equal plink2 --split-par $b ($(wc -l < j$b.tsv) chrX sites)" \
        awk -F'\t' '{if (($2-$5)^2 > 1e-11 || $3 != $6) {bad++; print}} END{exit (bad || NR != 100)}' j$b.tsv
done
check "  ... and the two builds differ on the 20 sites between them" \
    bash -c "[ \$(comm -3 <(cut -f1,3 ob37.tsv) <(cut -f1,3 ob38.tsv) | wc -l) -eq 40 ]"

# sample and variant lists
awk 'NR>1 && NR%3==0{print "0\t"$1}' s.covar.tsv > keep.txt  # FID IID (FID 0: a VCF's samples in plink2)
{ echo "#IID"; awk 'NR>1 && NR%7==0{print $1}' s.covar.tsv; } > rem.txt   # #IID header
bcftools query -f '%ID\n' split.vcf.gz | awk 'NR%5==0' > ext.txt
$P --keep keep.txt --remove rem.txt --extract ext.txt --freq --out k > /dev/null 2>&1
"$BCMS" freq s.bcms --sex-file sex.txt --keep keep.txt --remove rem.txt --extract ext.txt -o fk.tsv
key fk.tsv > ours.tsv
awk -F'\t' -v OFS='\t' 'NR>1{print $2, $5, $6}' k.afreq | sort > pk.tsv
check "--keep (FID IID) --remove (#IID) --extract (IDs): the variants plink2 keeps ($(wc -l < pk.tsv))" \
    cmp <(cut -f1 ours.tsv) <(cut -f1 pk.tsv)
check "  ... with its ALT_FREQ and OBS_CT" cmpcol pk.tsv '($2-$7)^2 > 1e-11 || $3 != $8' 300
"$BCMS" freq s.bcms --sex-file sex.txt --keep keep.txt --hwe 1e-3 --mind 0.04 --threads 1 -o t1.tsv
"$BCMS" freq s.bcms --sex-file sex.txt --keep keep.txt --hwe 1e-3 --mind 0.04 --threads 2 -o t2.tsv
check "freq with decoded counts and --mind: same bytes at 1 and 2 threads" cmp t1.tsv t2.tsv
printf '1\t0\t60000000\nX\t0\t2781479\n3\t100000000\t200000000\n' > r.bed
plink2 --vcf split.vcf.gz --extract bed0 r.bed --exclude ext.txt --write-snplist --out kb > /dev/null 2>&1
"$BCMS" freq s.bcms --extract r.bed --exclude ext.txt | awk 'NR>1{print $1":"$2":"$4":"$5}' | sort > a.txt
check "--extract BED --exclude IDs equal plink2 --extract bed0 --exclude ($(wc -l < kb.snplist))" cmp a.txt <(sort kb.snplist)
bcftools query -f '%CHROM:%POS:%REF:%ALT\n' split.vcf.gz | awk 'NR%9==0{sub(/^/, "chr"); print}' > extc.txt
"$BCMS" freq s.bcms --extract extc.txt | awk 'NR>1{print $1":"$2":"$4":"$5}' > a.txt
check "--extract chrN:POS:REF:ALT lines match N (canonical contigs)" [ "$(wc -l < a.txt)" -eq "$(wc -l < extc.txt)" ]

# the stored sex column instead of --sex-file
"$BCMS" pheno s.bcms s.covar.tsv --columns sex 2> /dev/null
"$BCMS" freq s.bcms --hardy -o fs.tsv
check "stored phenotype column 'sex' = --sex-file" cmp f.tsv fs.tsv
awk 'NR>1{print "0", $1, 0, 0, $2, -9}' s.covar.tsv > sex.fam
"$BCMS" freq s.bcms --sex-file sex.fam --hardy -o ff.tsv
check "--sex-file a PLINK .fam (sex in column 5)" cmp f.tsv ff.tsv
printf '#IID\tSEX\nS0001\t3\n' > badsex.txt
rc=0; "$BCMS" freq s.bcms --sex-file badsex.txt -o x.tsv 2> run.log || rc=$?
check "a sex code that is not 1/2/0/NA: exit 1 naming file and line" bash -c "[ $rc -eq 1 ] && grep -q 'badsex.txt:2' run.log"

# QC
"$BCMS" qc s.bcms -o q.tsv --threads 2
"$BCMS" qc s.bcms -o q1.tsv --threads 1
check "qc: same bytes at 1 and 2 threads" cmp q.tsv q1.tsv
join <(awk 'NR>1{print $1, $3, $4, $5, $7}' q.tsv | sort) \
    <(join <(awk 'NR>1{print $1, $2, $3, $4}' p.smiss | sort) <(awk 'NR>1{print $1, $5}' p.het | sort)) > jq.txt
check "qc MISSING_CT OBS_CT F_MISS equal plink2 --missing .smiss, F equals plink2 --het ($(wc -l < jq.txt) samples)" \
    awk '{d=$4-$8; e=$5-$9; if ($2!=$6 || $3!=$7 || d*d > 1e-10 || e*e > 1e-10*($9*$9) + 1e-12) {bad++; print}} END{exit (bad || NR != 400)}' jq.txt
$P --mind 0.035 --write-samples --out m > /dev/null 2>&1
"$BCMS" qc s.bcms --mind 0.035 | awk 'NR>1{print $1}' | sort > a.txt
check "--mind 0.035 keeps plink2 --mind's samples ($(wc -l < a.txt))" cmp a.txt <(tail -n +2 m.id | cut -f1 | sort)
awk 'NR>1{print $1"\t"$1"\t"$2}' s.covar.tsv > sex19.txt
plink1.9 --vcf split.vcf.gz --double-id --split-x b38 no-fail --make-bed --out b19 > /dev/null 2>&1
plink1.9 --bfile b19 --update-sex sex19.txt --check-sex --out cs > /dev/null 2>&1
"$BCMS" sexcheck s.bcms -o sc.tsv
join <(awk 'NR>1{print $1, $3, $4, $5, $6}' sc.tsv | sort) <(awk 'NR>1{print $2, $3, $4, $5, $6}' cs.sexcheck | sort) > js.txt
check "sexcheck PEDSEX SNPSEX STATUS F equal plink 1.9 --check-sex ($(grep -c PROBLEM js.txt) PROBLEM)" \
    awk '{d=$5-$9; if ($2!=$6 || $3!=$7 || $4!=$8 || d*d > 1e-8) {bad++; print}} END{exit (bad || NR != 400)}' js.txt
"$BCMS" import -q auto.bcms "$BCMS_SRC/data-samples/progemus.vcf.gz"
rc=0; "$BCMS" sexcheck auto.bcms -o x.tsv 2> run.log || rc=$?
check "sexcheck on a store without chrX: exit 1 saying so" bash -c "[ $rc -eq 1 ] && grep -q 'needs chrX' run.log"
finish
