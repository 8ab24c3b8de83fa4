#!/usr/bin/env bash
# Bad input loses nothing: every malformed VCF of the vcf-validator corpus (and the htslib/bcftools
# edge cases) either imports or is rejected with a message naming the file; after each rejection
# the store's data file is byte-identical to before. No crash (exit status other than 0/1).
source "$(dirname "$0")/../lib/common.sh"
s="$BCMS_TMP/bad.bcms"
good="$BCMS_TMP/good.vcf"
cat > "$good" <<'VCF'
##fileformat=VCFv4.2
##contig=<ID=1,length=100000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	G1	G2
1	100	a	A	G	.	PASS	.	GT	0|1	1|1
VCF
"$BCMS" import -q "$s" "$good"
rejected=0 accepted=0 crashed=0
while IFS= read -r f; do
    before=$(md5sum < "$s/data.mdb")
    rc=0
    "$BCMS" import -q --threads 2 "$s" "$f" > "$BCMS_TMP/log" 2>&1 || rc=$?
    case $rc in
    0) accepted=$((accepted + 1)) ;;
    1)
        rejected=$((rejected + 1))
        after=$(md5sum < "$s/data.mdb")
        [ "$before" = "$after" ] || fail "store changed after rejecting $f"
        grep -q "$(basename "$f")" "$BCMS_TMP/log" || fail "message does not name $f: $(cat "$BCMS_TMP/log")"
        ;;
    *) crashed=$((crashed + 1)); fail "$f: exit status $rc: $(tail -2 "$BCMS_TMP/log")" ;;
    esac
done < <(find "$BCMS_PEER/vcf-validator-corpus" "$BCMS_PEER/htslib-bcftools-testvcf" -type f \
    \( -name '*.vcf' -o -name '*.vcf.gz' -o -name '*.bcf' \) | sort)
echo "corpus: $rejected rejected, $accepted imported, $crashed crashed"
check "no crash on the malformed corpus" [ "$crashed" -eq 0 ]
check "most of the malformed corpus is rejected (got $rejected)" [ "$rejected" -ge 400 ]
# the store still opens and holds the good dataset
check "store still readable" "$BCMS" view "$s" -d good -o "$BCMS_TMP/v.vcf"
check "good dataset intact" grep -q "0|1	1|1" "$BCMS_TMP/v.vcf"
finish
