#!/usr/bin/env bash
# Round trip: for biallelic rows, `bcms view` of an imported file gives the same sites and genotypes
# (GT, phase, missingness) as `bcftools norm -m-` of the input; DS too where the input has it.
# Inputs: the sample cohorts, and every VCF of the peer-data edge-case sets that bcms imports.
source "$(dirname "$0")/../lib/common.sh"
files=()
for f in "$BCMS_SRC"/data-samples/*.vcf.gz; do [ -e "$f" ] && files+=("$f"); done
while IFS= read -r f; do files+=("$f"); done < <(find "$BCMS_PEER/htslib-bcftools-testvcf" "$BCMS_PEER/saige" \
    "$BCMS_PEER/gwasurvivr" "$BCMS_PEER/vcf-validator-corpus" -path '*failed*' -prune -o -type f \
    \( -name '*.vcf' -o -name '*.vcf.gz' -o -name '*.bcf' \) -print | sort)
imported=0
for f in "${files[@]}"; do
    s="$BCMS_TMP/rt.bcms"
    rm -rf "$s"
    rc=0
    "$BCMS" import -q --threads 2 "$s" "$f" > "$BCMS_TMP/import.log" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        # a rejection must be a clear message naming the file, never a crash
        if [ $rc -ne 1 ] || ! grep -q "$(basename "$f")" "$BCMS_TMP/import.log"; then
            fail "$f: import exited $rc without naming the file: $(tail -1 "$BCMS_TMP/import.log")"
        fi
        continue
    fi
    # bcftools must read the input too, else there is no reference to compare with
    if ! bcftools norm -m- "$f" > /dev/null 2>&1; then continue; fi
    # without FORMAT/GT in the input there are no genotypes to compare
    if ! bcftools view -h "$f" 2>/dev/null | grep -q '^##FORMAT=<ID=GT,'; then continue; fi
    imported=$((imported + 1))
    "$BCMS" view "$s" -o "$BCMS_TMP/out.vcf" 2> "$BCMS_TMP/view.log" || { fail "$f: view failed: $(cat "$BCMS_TMP/view.log")"; continue; }
    # htslib's test files with a normalised twin (FILE-out.vcf) compare with what htslib makes of them
    ref=$f
    [ -e "${f%.vcf}-out.vcf" ] && ref=${f%.vcf}-out.vcf
    gt_table "$ref" > "$BCMS_TMP/a.tsv"
    gt_table "$BCMS_TMP/out.vcf" > "$BCMS_TMP/b.tsv"
    if cmp -s "$BCMS_TMP/a.tsv" "$BCMS_TMP/b.tsv"; then pass "round trip $(basename "$f") ($(wc -l < "$BCMS_TMP/a.tsv") rows)"
    else fail "round trip $f"; diff "$BCMS_TMP/a.tsv" "$BCMS_TMP/b.tsv" | head -5; fi
    if bcftools view -h "$f" 2>/dev/null | grep -q '^##FORMAT=<ID=DS,'; then
        bcftools norm -m- "$f" 2>/dev/null | bcftools query -f '%CHROM\t%POS\t%REF\t%ALT[\t%DS]\n' > "$BCMS_TMP/a.ds"
        bcftools query -f '%CHROM\t%POS\t%REF\t%ALT[\t%DS]\n' "$BCMS_TMP/out.vcf" > "$BCMS_TMP/b.ds"
        # dosages are stored in units of 1/30000: compare to 1e-4
        if awk 'NR==FNR{a[FNR]=$0; next} {split(a[FNR],x,"\t"); n=split($0,y,"\t"); for(i=1;i<=n;i++){ if (i<=4 || x[i]==y[i]) continue; if (x[i]=="." || y[i]=="." ) exit 1; d=x[i]-y[i]; if (d<0) d=-d; if (d>1e-4) exit 1}} END{}' \
            "$BCMS_TMP/a.ds" "$BCMS_TMP/b.ds"; then pass "DS round trip $(basename "$f")"; else fail "DS round trip $f"; fi
    fi
done
check "at least 45 files with genotypes import and round-trip (got $imported)" [ "$imported" -ge 45 ]
finish
