#!/usr/bin/env bash
# A cohort delivered as one file per chromosome: `bcms import S c1 c2 c3` is one dataset whose view
# and scans are byte-identical to importing the concatenated file; separate imports of the same
# cohort share their samples; files that do not form one dataset are refused naming the file, with
# the store unchanged. Contig spellings (chr1 / 1) are canonical inside the store and kept for view.
# Sample names already in another dataset are refused unless --same-samples or --iid-prefix.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o all.vcf.gz --samples 1000 --variants 12000 --contigs 3 --seed 5 --pheno p.tsv --threads 2 2> /dev/null
bcftools index all.vcf.gz
for c in 1 2 3; do bcftools view --no-version -r $c all.vcf.gz -Oz -o c$c.vcf.gz; done

# one command, three files == the concatenated file (the split keeps the header byte for byte)
"$BCMS" import -q --threads 1 single.bcms all.vcf.gz --cohort X
"$BCMS" import -q --threads 2 multi.bcms c1.vcf.gz c2.vcf.gz c3.vcf.gz --cohort X
"$BCMS" view single.bcms | grep -v '^##bcms_view' > v1.vcf
"$BCMS" view multi.bcms | grep -v '^##bcms_view' > v2.vcf
check "view of the 3-file import == view of the single file ($(grep -vc '^#' v1.vcf) records)" cmp -s v1.vcf v2.vcf
check "the single-file store has several blocks per contig" \
    [ "$("$BCMS" info single.bcms | grep -o 'blocks=[0-9]*' | cut -d= -f2)" -gt 3 ]
"$BCMS" assoc single.bcms --model linear --pheno severity --pheno-file p.tsv -o a1.tsv 2> /dev/null
"$BCMS" assoc multi.bcms --model linear --pheno severity --pheno-file p.tsv -o a2.tsv 2> /dev/null
check "linear scan of the 3-file import == single file ($(wc -l < a1.tsv) lines)" cmp -s a1.tsv a2.tsv
check "info lists the three source files" [ "$("$BCMS" info multi.bcms | grep -c '^source	0	c[123].vcf.gz')" -eq 3 ]

# imports into one store run one after another: one that finds the import lock (an flock on the
# store directory) taken waits, saying so; two first imports started at once into a store that does
# not exist yet both land (a failed first import removes only a store it made, under the lock), each
# with its own dataset and blocks (committed in steps here, BCMS_IMPORT_TXN_BYTES=1: after every
# block), both views those of a store alone
"$BCMS" import -q both.bcms all.vcf.gz --cohort X
flock both.bcms sleep 3 & holder=$!
for i in $(seq 1 200); do flock -n both.bcms true || break; sleep 0.02; done # until the holder has it
"$BCMS" import both.bcms c1.vcf.gz c2.vcf.gz c3.vcf.gz --cohort Y --iid-prefix y_ 2> second.log
wait $holder
check "an import finding the lock taken waits, saying so" grep -q "another import into this store is running; waiting" second.log
for k in 1 2; do BCMS_IMPORT_TXN_BYTES=1 "$BCMS" import -q --force --threads 1 pair.bcms all.vcf.gz --cohort P$k --iid-prefix p${k}_ & done
wait
check "two imports at once: two datasets, numbered 0 and 1" [ "$("$BCMS" info pair.bcms | awk '$1 == "dataset" {printf "%s ", $2}')" = "0 1 " ]
for k in 1 2; do
    "$BCMS" view pair.bcms -d P$k | grep -v '^##bcms_view' | sed "s/\tp${k}_/\t/g" > vp$k.vcf
    check "... dataset P$k == the single-file store (sample prefix aside)" cmp -s v1.vcf vp$k.vcf
done
# the same file imported twice at once into a store that does not exist: one lands, the other is
# refused (already imported) and must not remove the store it did not make (before the lock, it did
# in 3 of 6 rounds: one import said it had succeeded and no store was left)
kept=0
for r in 1 2 3 4 5 6 7 8; do
    rm -rf race.bcms
    "$BCMS" import -q --threads 1 race.bcms all.vcf.gz 2> /dev/null & "$BCMS" import -q --threads 1 race.bcms all.vcf.gz 2> /dev/null &
    wait
    [ "$("$BCMS" info race.bcms 2> /dev/null | grep -c '^dataset	')" -eq 1 ] && kept=$((kept + 1))
done
check "two first imports of one file at once: the store and its one dataset stay ($kept of 8 rounds)" [ "$kept" -eq 8 ]

# the other cases on a smaller cohort (quick): the same file names, 200 samples
mkdir big && mv all.vcf.gz* c[123].vcf.gz single.bcms multi.bcms v1.vcf big/
"$BCMS" simulate -o all.vcf.gz --samples 200 --variants 3000 --contigs 3 --seed 5 2> /dev/null
bcftools index all.vcf.gz
for c in 1 2 3; do bcftools view --no-version -r $c all.vcf.gz -Oz -o c$c.vcf.gz; done
"$BCMS" import -q multi.bcms c1.vcf.gz c2.vcf.gz c3.vcf.gz --cohort X
"$BCMS" import -q single.bcms all.vcf.gz --cohort X
"$BCMS" view single.bcms | grep -v '^##bcms_view' > v1.vcf

expect_reject() { # name store pattern args...
    local name=$1 s=$2 pat=$3 before after rc=0
    shift 3
    before=$(md5sum < "$s/data.mdb")
    "$BCMS" import -q "$s" "$@" > log 2>&1 || rc=$?
    after=$(md5sum < "$s/data.mdb")
    if [ $rc -eq 1 ] && [ "$before" = "$after" ] && grep -q -- "$pat" log; then pass "$name: $(cut -c1-200 log)"
    else fail "$name (exit $rc, store $([ "$before" = "$after" ] && echo unchanged || echo CHANGED)): $(cat log)"; fi
}
# files that are not one dataset
bcftools query -l all.vcf.gz | sort -r > rev.txt
bcftools view --no-version -S rev.txt c2.vcf.gz -Oz -o c2rev.vcf.gz
expect_reject "files with the samples in another order" multi.bcms "c2rev.vcf.gz: sample column 1" \
    c1.vcf.gz c2rev.vcf.gz --cohort Y
bcftools view --no-version -s ^S0007 c2.vcf.gz -Oz -o c2less.vcf.gz
expect_reject "a file with a sample fewer" multi.bcms "c2less.vcf.gz" c1.vcf.gz c2less.vcf.gz --cohort Y
bcftools view --no-version -r 1:1-100000000 all.vcf.gz -Oz -o c1a.vcf.gz
bcftools view --no-version -r 1:100000001- all.vcf.gz -Oz -o c1b.vcf.gz
expect_reject "a contig in two files" multi.bcms "c1b.vcf.gz: line .*chromosome 1 was already in c1a.vcf.gz" \
    c1a.vcf.gz c1b.vcf.gz --same-samples
expect_reject "the same file twice" multi.bcms "given twice" c1.vcf.gz c1.vcf.gz --cohort Y
expect_reject "a file of the command already in the store" multi.bcms "c3.vcf.gz was already imported" c3.vcf.gz --cohort Y
# a later file failing deep inside: nothing of the earlier files is stored
bcftools view -H c3.vcf.gz > c3body.txt
{ bcftools view -h c3.vcf.gz; sed -n 1,500p c3body.txt; sed -n 501p c3body.txt | awk 'BEGIN{OFS="\t"} {$10="0/7"; print}'
  sed -n '502,$p' c3body.txt; } | bgzip > c3bad.vcf.gz
rm -rf fresh.bcms
"$BCMS" import -q fresh.bcms c1.vcf.gz --cohort Z
expect_reject "a bad genotype in the last file" fresh.bcms "c3bad.vcf.gz: line .*: sample S0001: GT allele index 7" \
    c2.vcf.gz c3bad.vcf.gz --cohort Z
rm -rf first.bcms
rc=0; "$BCMS" import -q first.bcms c1.vcf.gz c3bad.vcf.gz > log 2>&1 || rc=$?
check "a failed first import leaves no store directory ($(cut -c1-120 log))" [ $rc -eq 1 ] && [ ! -e first.bcms ]

# the same cohort imported by separate commands, one per chromosome: the same samples
rm -rf sep.bcms
for c in 1 2 3; do "$BCMS" import -q sep.bcms c$c.vcf.gz --cohort X 2> log$c; done
check "separate imports of one cohort are told they are the same people" grep -q "the same samples" log2
check "no new samples after the first chromosome" grep -q "(0 new)" log3
check "info shows which datasets share samples" \
    [ "$("$BCMS" info sep.bcms | grep -c '^shared_samples	')" -eq 3 ]
check "all three datasets map to the same 200 global samples" [ "$("$BCMS" info sep.bcms | awk '$1=="samples"{print $2}')" -eq 200 ]
for c in 1 2 3; do
    "$BCMS" view sep.bcms -d $((c - 1)) | grep -v '^#' > sep$c.txt
    "$BCMS" view single.bcms -r $c | grep -v '^#' > one$c.txt
    check "dataset $((c - 1)) of the separate imports == chromosome $c of the single import" cmp -s sep$c.txt one$c.txt
done

# another cohort with the same IIDs (both simulated as S0001...): refused, unless told
"$BCMS" simulate -o other.vcf.gz --samples 50 --variants 300 --contigs 2 --seed 9 2> /dev/null
expect_reject "the same IIDs in another cohort" sep.bcms "50 of its 50 sample names are already in dataset 0 (cohort X): S0001, S0002, S0003, ..." \
    other.vcf.gz --cohort other
expect_reject "same IIDs, same cohort name, other sample list" sep.bcms "already in dataset 0" other.vcf.gz --cohort X
cp -r sep.bcms pre.bcms
"$BCMS" import -q pre.bcms other.vcf.gz --cohort other --iid-prefix B_
check "--iid-prefix: 50 new samples" [ "$("$BCMS" info pre.bcms | awk '$1=="samples"{print $2}')" -eq 250 ]
check "--iid-prefix: view names the prefixed samples" \
    [ "$("$BCMS" view pre.bcms -d other | grep '^#CHROM' | cut -f10)" = B_S0001 ]
cp -r sep.bcms same.bcms
"$BCMS" import -q same.bcms other.vcf.gz --cohort other --same-samples
check "--same-samples: no new samples" [ "$("$BCMS" info same.bcms | awk '$1=="samples"{print $2}')" -eq 200 ]

# contig spellings: chr-prefixed input is stored canonically and viewed as written
for c in 1 2 3; do echo "$c chr$c"; done > chr.map
bcftools annotate --no-version --rename-chrs chr.map all.vcf.gz -Oz -o chrall.vcf.gz
"$BCMS" import -q chr.bcms chrall.vcf.gz
check "info shows 1 (as chr1)" grep -q 'contigs=1:[0-9]*(as chr1),2:[0-9]*(as chr2)' <("$BCMS" info chr.bcms)
"$BCMS" view chr.bcms | grep -v '^#' > chrview.txt
check "view writes the input's spelling (chr1, chr2, chr3)" [ "$(cut -f1 chrview.txt | sort -u | tr '\n' ' ')" = "chr1 chr2 chr3 " ]
check "view of the chr store == view of the plain store, but for the spelling" cmp -s <(sed 's/^chr//' chrview.txt) <(grep -v '^#' v1.vcf)
check "-r chr2 and -r 2 select the same records on a chr store" \
    cmp -s <("$BCMS" view chr.bcms -r chr2 | grep -v '^#') <("$BCMS" view chr.bcms -r 2 | grep -v '^#')
check "-r 2 on the chr store selects chromosome 2" [ "$("$BCMS" view chr.bcms -r 2 | grep -vc '^#')" -eq "$(grep -c '^2	' v1.vcf)" ]
check "-r chrX-style spelling of the plain store works too (-r chr3 on a 1..3 store)" \
    cmp -s <("$BCMS" view single.bcms -r chr3 | grep -v '^#') <(grep '^3	' v1.vcf)
# two spellings of one chromosome in one input
{ bcftools view -h all.vcf.gz | sed 's/^##contig=<ID=3,/##contig=<ID=chr1,/'; sed -n 1,3p c3body.txt; } > twospell.vcf
rm -rf two.bcms
rc=0; "$BCMS" import -q two.bcms twospell.vcf > log 2>&1 || rc=$?
check "two spellings of chromosome 1 refused ($(cat log))" grep -q "contigs '1' and 'chr1' both name chromosome 1" log
finish
