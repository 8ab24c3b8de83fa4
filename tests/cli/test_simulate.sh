#!/usr/bin/env bash
# test_simulate.sh: `bcms simulate` output is valid, realistic in the ways we promise, deterministic
# (same seed and any --threads: same bytes), its clinical visit tables load in `bcms clinical` with
# plausible event rates, and the committed data-samples/ equal a fresh regeneration by
# data-samples/make.sh. Needs: $BCMS, $BCMS_SRC, $BCMS_TMP; bcftools.
set -euo pipefail
: "${BCMS:?set BCMS to the bcms binary}" "${BCMS_SRC:?set BCMS_SRC to the source tree}" "${BCMS_TMP:?set BCMS_TMP}"
T=$BCMS_TMP
rm -rf "$T"
mkdir -p "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

N=250
M=3000
"$BCMS" simulate -o "$T/a.vcf.gz" --samples $N --variants $M --seed 11 --pheno "$T/a.pheno.tsv" \
    --covar "$T/a.covar.tsv" --visits "$T/a.visits.tsv" --patients "$T/a.patients.tsv" --ds --threads 1 \
    2>"$T/a.log" || fail "simulate exited non-zero: $(cat "$T/a.log")"
"$BCMS" simulate -o "$T/b.vcf.gz" --samples $N --variants $M --seed 11 --pheno "$T/b.pheno.tsv" \
    --covar "$T/b.covar.tsv" --visits "$T/b.visits.tsv" --patients "$T/b.patients.tsv" --ds --threads 3 2>/dev/null
"$BCMS" simulate -o "$T/c.vcf.gz" --samples $N --variants $M --seed 12 --ds --threads 2 2>/dev/null

# Determinism: same seed -> same bytes (whatever --threads); different seed -> different.
cmp <(bgzip -dc "$T/a.vcf.gz") <(bgzip -dc "$T/b.vcf.gz") || fail "same seed, different VCF"
cmp "$T/a.vcf.gz" "$T/b.vcf.gz" || fail "same seed, different compressed bytes at 1 and 3 threads"
cmp "$T/a.pheno.tsv" "$T/b.pheno.tsv" || fail "same seed, different phenotypes"
cmp "$T/a.covar.tsv" "$T/b.covar.tsv" || fail "same seed, different covariates"
cmp "$T/a.pheno.causal.tsv" "$T/b.pheno.causal.tsv" || fail "same seed, different causal list"
cmp "$T/a.visits.tsv" "$T/b.visits.tsv" || fail "same seed, different visits"
cmp "$T/a.patients.tsv" "$T/b.patients.tsv" || fail "same seed, different patients"
if cmp -s <(bgzip -dc "$T/a.vcf.gz" | grep -v '^##bcms_simulate') <(bgzip -dc "$T/c.vcf.gz" | grep -v '^##bcms_simulate'); then
    fail "different seeds gave the same VCF"
fi
ok "deterministic"

# bcftools parses it; counts match.
bcftools view "$T/a.vcf.gz" >/dev/null 2>"$T/view.err" || fail "bcftools view: $(cat "$T/view.err")"
[ ! -s "$T/view.err" ] || fail "bcftools view warned: $(head -3 "$T/view.err")"
bcftools stats "$T/a.vcf.gz" >"$T/a.stats"
ns=$(awk -F'\t' '$1=="SN" && $3=="number of samples:"{print $4}' "$T/a.stats")
nr=$(awk -F'\t' '$1=="SN" && $3=="number of records:"{print $4}' "$T/a.stats")
[ "$ns" = "$N" ] || fail "bcftools stats: $ns samples, expected $N"
[ "$nr" = "$M" ] || fail "bcftools stats: $nr records, expected $M"
nm=$(awk -F'\t' '$1=="SN" && $3=="number of multiallelic sites:"{print $4}' "$T/a.stats")
[ "$nm" -gt 0 ] || fail "no multi-allelic sites"
# Sorted, with contigs declared (bcftools index refuses unsorted input).
bcftools index -t -o "$T/a.vcf.gz.tbi" "$T/a.vcf.gz" || fail "not sorted / not indexable"
[ "$(bcftools view -h "$T/a.vcf.gz" | grep -c '^##contig=<ID=[0-9]*,length=')" = 22 ] || fail "expected 22 ##contig lines"
nlq=$(bcftools view -H -i 'FILTER="LowQual"' "$T/a.vcf.gz" | wc -l)
[ "$nlq" -gt 0 ] || fail "no LowQual records"
ok "bcftools: $ns samples, $nr records, $nm multi-allelic"

# Missing calls, phased and unphased calls, dosages.
bcftools query -f '[%GT\n]' "$T/a.vcf.gz" | awk -v f="$T/gt.counts" '
    {n++} $1=="./."||$1==".|."{m++} /\|/{p++} /\//&&$1!="./."{u++}
    END{printf "%d %d %d %d\n", n, m, p, u > f}'
read -r ncall nmiss nphased nunphased <"$T/gt.counts"
awk -v n="$ncall" -v m="$nmiss" 'BEGIN{r=m/n; exit !(r>0.005 && r<0.06)}' || fail "missing share $nmiss/$ncall out of range"
[ "$nphased" -gt 0 ] && [ "$nunphased" -gt 0 ] || fail "phased $nphased, unphased $nunphased"
[ "$nphased" -gt "$nunphased" ] || fail "most calls should be phased"
ndsfrac=$(bcftools query -f '[%DS\n]' "$T/a.vcf.gz" | grep -c '\.[0-9]' || true)
[ "$ndsfrac" -gt 0 ] || fail "no non-integer dosages"
ok "missing $nmiss/$ncall, phased $nphased, unphased $nunphased, $ndsfrac non-integer DS"

# Tables.
[ "$(head -1 "$T/a.pheno.tsv")" = "$(printf '#IID\tseverity\tbinary_trait\ttime_to_edss6\tedss6_event')" ] || fail "pheno header"
[ "$(head -1 "$T/a.covar.tsv")" = "$(printf '#IID\tsex\tage_onset\tPC1\tPC2\tPC3\tPC4\tpopulation')" ] || fail "covar header"
[ "$(($(wc -l <"$T/a.pheno.tsv") - 1))" = "$N" ] || fail "pheno rows"
[ "$(($(wc -l <"$T/a.covar.tsv") - 1))" = "$N" ] || fail "covar rows"
cmp <(cut -f1 "$T/a.pheno.tsv" | tail -n +2) <(bcftools query -l "$T/a.vcf.gz") || fail "pheno IIDs differ from VCF samples"
grep -q 'NA' "$T/a.pheno.tsv" || fail "no NA phenotypes"
awk -F'\t' 'NR>1 && $5!="NA"{n++; c+=($5==0)} END{exit !(c/n>0.55 && c/n<0.85)}' "$T/a.pheno.tsv" || fail "censoring share"
awk -F'\t' 'NR>1{p[$8]++} END{exit !(p["isolate"]>0 && p["mainland"]>0)}' "$T/a.covar.tsv" || fail "populations"
nc=$(($(wc -l <"$T/a.pheno.causal.tsv") - 1))
[ "$nc" -gt 0 ] || fail "no causal variants listed"
# Every causal variant is in the VCF with the listed alleles.
tail -n +2 "$T/a.pheno.causal.tsv" | while IFS=$'\t' read -r trait id chr pos ref alt rest; do
    bcftools view -H -r "$chr:$pos" "$T/a.vcf.gz" | awk -v r="$ref" -v a="$alt" -v i="$id" '$4==r && $5==a && $3==i{f=1} END{exit !f}' || fail "causal $id $chr:$pos $ref>$alt not in the VCF"
done
"$BCMS" simulate -o "$T/n.vcf.gz" --samples 50 --variants 300 --null --pheno "$T/n.pheno.tsv" \
    --visits "$T/n.visits.tsv" --patients "$T/n.patients.tsv" 2>/dev/null
[ "$(wc -l <"$T/n.pheno.causal.tsv")" = 1 ] || fail "--null still lists causal variants"
ok "tables ($nc causal variants)"

# Clinical tables: one patient per sample, sex and age at onset as in the covariates, valid records,
# progression variants listed (the time-to-event ones, on the log rate).
[ "$(head -1 "$T/a.patients.tsv")" = "$(printf '#IID\tsex\tbirth_date\tage_at_onset\tonset_date\tdiagnosis_date\tentry_date')" ] || fail "patients header"
[ "$(head -1 "$T/a.visits.tsv")" = "$(printf '#IID\tdate\tedss\trelapse')" ] || fail "visits header"
cmp <(cut -f1 "$T/a.patients.tsv" | tail -n +2) <(bcftools query -l "$T/a.vcf.gz") || fail "patient IIDs differ from VCF samples"
cmp <(tail -n +2 "$T/a.covar.tsv" | cut -f1-3) <(awk -F'\t' 'NR>1{printf "%s\t%s\t%.1f\n", $1, $2, $4}' "$T/a.patients.tsv") ||
    fail "patients' sex or age at onset differ from the covariate table"
awk -F'\t' 'NR>1 && ($3 != "NA" && ($3 < 0 || $3 > 10 || $3 == 0.5 || $3 * 2 != int($3 * 2)) || ($4 != 0 && $4 != 1) || ($3 == "NA" && $4 != 1)){bad++}
    NR>1 && $1 == id && $2 < d {bad++} {id = $1; d = $2} END{exit bad > 0}' "$T/a.visits.tsv" || fail "invalid or unsorted visit records"
np=$(awk -F'\t' '$1=="progression" && $9=="log_rate"' "$T/a.pheno.causal.tsv" | wc -l)
nt=$(awk -F'\t' '$1=="time_to_edss6"' "$T/a.pheno.causal.tsv" | wc -l)
[ "$np" -gt 0 ] && [ "$np" = "$nt" ] || fail "expected one progression row per time-to-event variant ($np vs $nt)"
! grep -q progression "$T/n.pheno.causal.tsv" || fail "--null lists progression variants"
[ "$(($(wc -l <"$T/n.patients.tsv") - 1))" = 50 ] || fail "--null: no patients table"
# Without --pheno the causal list goes beside the visit table.
"$BCMS" simulate -o "$T/v.vcf.gz" --samples 20 --variants 300 --visits "$T/v.visits.tsv" --patients "$T/v.patients.tsv" 2>/dev/null ||
    fail "simulate --visits without --pheno"
grep -q '^progression' "$T/v.visits.causal.tsv" || fail "no causal list beside the visit table"
ok "clinical tables"

# bcms clinical accepts them, and some patients progress (not all).
"$BCMS" clinical --visits "$T/a.visits.tsv" --patients "$T/a.patients.tsv" -o "$T/a.clin.tsv" 2>"$T/clin.err" ||
    fail "bcms clinical rejected the simulated tables: $(cat "$T/clin.err")"
read -r ncdp nn6 n6 <<<"$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
    $(c["cdp_event"])=="1"{a++} $(c["edss6_event"])!="NA"{b++} $(c["edss6_event"])=="1"{e++} END{print a+0, b+0, e+0}' "$T/a.clin.tsv")"
awk -v a="$ncdp" -v n="$N" 'BEGIN{exit !(a/n > 0.1 && a/n < 0.5)}' || fail "CDP in $ncdp of $N patients"
awk -v e="$n6" -v n="$nn6" 'BEGIN{exit !(e/n > 0.03 && e/n < 0.35)}' || fail "sustained EDSS 6 in $n6 of $nn6 patients"
ok "bcms clinical: CDP $ncdp/$N, sustained EDSS 6 $n6/$nn6"

# Bad arguments: clear message, exit status 2.
expect2() {
    local rc=0
    "$BCMS" simulate "$@" 2>"$T/err.txt" >/dev/null || rc=$?
    [ "$rc" = 2 ] || fail "'simulate $*' exited $rc, expected 2"
    grep -q 'bcms simulate' "$T/err.txt" || grep -q 'Usage' "$T/err.txt" || fail "'simulate $*': no message"
}
expect2
expect2 -o "$T/x.vcf.gz" --samples 0
expect2 -o "$T/x.vcf.gz" --samples ten
expect2 -o "$T/x.vcf.gz" --bogus
expect2 -o "$T/x.vcf.gz" --contigs 30
expect2 -o "$T/x.vcf.gz" --missing 0.7
expect2 -o "$T/x.vcf.gz" --isolate-frac 1.5
expect2 -o "$T/x.vcf.gz" --visits "$T/x.visits.tsv"
grep -q -- '--patients' "$T/err.txt" || fail "--visits without --patients: message does not say so"
expect2 -o "$T/x.vcf.gz" --patients "$T/x.patients.tsv"
expect2 -o "$T/x.vcf.gz" --visits "$T/x.tsv" --patients "$T/x.tsv"
expect2 --samples 10
grep -q -- '-o' "$T/err.txt" || fail "missing -o: message does not say so"
ok "bad arguments"

# The committed sample cohorts equal a fresh regeneration.
bash "$BCMS_SRC/data-samples/make.sh" "$BCMS" "$T/samples" 2>/dev/null
for c in sardinia progemus; do
    cmp <(bgzip -dc "$BCMS_SRC/data-samples/$c.vcf.gz") <(bgzip -dc "$T/samples/$c.vcf.gz") ||
        fail "data-samples/$c.vcf.gz differs from a fresh data-samples/make.sh run"
    for s in pheno.tsv covar.tsv pheno.causal.tsv visits.tsv patients.tsv; do
        cmp "$BCMS_SRC/data-samples/$c.$s" "$T/samples/$c.$s" || fail "data-samples/$c.$s differs from make.sh"
    done
    [ "$(wc -c <"$BCMS_SRC/data-samples/$c.visits.tsv")" -lt 1000000 ] || fail "data-samples/$c.visits.tsv over 1 MB"
    "$BCMS" clinical --visits "$BCMS_SRC/data-samples/$c.visits.tsv" --patients "$BCMS_SRC/data-samples/$c.patients.tsv" \
        -o "$T/$c.clin.tsv" 2>"$T/clin.err" || fail "bcms clinical rejected data-samples/$c: $(cat "$T/clin.err")"
    awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $(c["cdp_event"])=="1"{a++} $(c["edss6_event"])=="1"{b++}
        END{exit !(a > 0 && b > 0)}' "$T/$c.clin.tsv" || fail "data-samples/$c: no patient with CDP or EDSS 6 events"
done
ok "data-samples match make.sh; bcms clinical accepts their visit tables"
echo "PASS test_simulate"
