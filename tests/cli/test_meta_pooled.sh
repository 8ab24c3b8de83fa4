#!/usr/bin/env bash
# A meta-analysis of per-cohort scans of the two sample cohorts agrees with the pooled scan that has the
# cohort as a covariate (linear, severity) or stratum (Cox, time to EDSS 6). Over the variants both cohorts hold
# with MAF >= 5%, the correlation of BETA (meta IVW vs pooled) must be high and the mean |difference| in
# BETA small against the SE (the two are different estimators, equal only in expectation).
source "$(dirname "$0")/../lib/common.sh"
D=$BCMS_SRC/data-samples
cd "$BCMS_TMP"
"$BCMS" import -q pool.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" import -q pool.bcms "$D/progemus.vcf.gz" --cohort progemus
cat "$D/sardinia.pheno.tsv" <(tail -n +2 "$D/progemus.pheno.tsv") > pool.pheno.tsv
cat "$D/sardinia.covar.tsv" <(tail -n +2 "$D/progemus.covar.tsv") > pool.covar.tsv
a=(--pheno-file pool.pheno.tsv --covar-file pool.covar.tsv --threads 2)
lin=(--model linear --pheno severity)
cox=(--model cox --time time_to_edss6 --event edss6_event --cox-fit-p 1)
for m in lin cox; do
    eval "opts=(\"\${$m[@]}\")"
    # Cox: each cohort has its own baseline hazard in the per-cohort scans, so the pooled analogue
    # stratifies by cohort (a cohort covariate would force proportional baseline hazards)
    pooled=(--covar sex,age_onset,cohort); [ $m = cox ] && pooled=(--covar sex,age_onset --strata cohort)
    "$BCMS" assoc pool.bcms "${opts[@]}" "${a[@]}" "${pooled[@]}" -o $m.pool.tsv 2> /dev/null
    for c in sardinia progemus; do
        "$BCMS" assoc pool.bcms "${opts[@]}" "${a[@]}" --covar sex,age_onset --cohorts $c -o $m.$c.tsv 2> /dev/null
    done
    "$BCMS" meta -o $m.meta.tsv $m.sardinia.tsv $m.progemus.tsv 2> $m.meta.err
    # join on CHROM:POS:A1:REF (the pooled scan orients like the first dataset, as meta does)
    awk -F'\t' 'NR==FNR {if (FNR>1 && $10!="NA" && $7>=0.05 && $7<=0.95) {b[$1":"$2":"$4":"$6]=$10; s[$1":"$2":"$4":"$6]=$11}; next}
        FNR>1 && $14==2 && ($1":"$2":"$4":"$6 in b) {k=$1":"$2":"$4":"$6; print b[k], $10, s[k], $11}' \
        $m.pool.tsv $m.meta.tsv > $m.pairs
    read -r n r d q <<< "$(awk '{n++; x+=$1; y+=$2; xx+=$1*$1; yy+=$2*$2; xy+=$1*$2; z=($1-$2)/$3; dz+=z; qz+=z*z}
        END {printf "%d %.4f %.4f %.4f", n, (n*xy-x*y)/sqrt((n*xx-x*x)*(n*yy-y*y)), dz/n, sqrt(qz/n)}' $m.pairs)"
    echo "$m: $n shared variants with MAF >= 5%: correlation of BETA meta vs pooled $r;" \
        "(pooled - meta)/SE mean $d, root mean square $q"
    check "$m: enough shared variants ($n)" [ "$n" -gt 1000 ]
    check "$m: BETA correlation meta vs pooled $r > 0.97" awk -v r="$r" 'BEGIN{exit !(r > 0.97)}'
    check "$m: BETA differences small against the SE (mean $d, rms $q)" \
        awk -v d="$d" -v q="$q" 'BEGIN{exit !(d > -0.1 && d < 0.1 && q < 0.25)}'
done
finish
