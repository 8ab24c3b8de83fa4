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

# assoc --by-cohort: both cohorts' scans in one pass, equal to the scans of one cohort at a time (rows
# of variants a cohort lacks are NA), the same at 1 and 2 threads; their meta-analysis equals the above
for t in 1 2; do
    "$BCMS" assoc pool.bcms "${lin[@]}" --pheno-file pool.pheno.tsv --covar-file pool.covar.tsv --threads $t \
        --covar sex,age_onset --by-cohort -o bc$t.tsv 2> /dev/null
done
for c in sardinia progemus; do
    check "--by-cohort $c: 1 and 2 threads byte-identical" cmp bc1.$c.tsv bc2.$c.tsv
    check "--by-cohort $c: summary names the cohort" grep -q "cohort=$c" bc1.$c.tsv.log
    r=$(awk -F'\t' 'NR==FNR {if (FNR>1) {k=$1":"$2":"($4<$5?$4":"$5:$5":"$4); b[k]=$10; a[k]=$6}; next}
        FNR>1 {k=$1":"$2":"($4<$5?$4":"$5:$5":"$4); if (!(k in b)) {if ($10!="NA") bad++; next}; n++
        s=(a[k]==$6)?1:-1; if (b[k]=="NA"||$10=="NA") {if (b[k]!=$10) bad++; next}
        d=b[k]-s*$10; if (d<0) d=-d; if (d>1e-6*(b[k]<0?-b[k]:b[k])+1e-12) bad++}
        END {print n+0, bad+0}' lin.$c.tsv bc1.$c.tsv)
    check "--by-cohort $c equals the one-cohort scan (matched, differing: $r)" test "${r#* }" = 0 -a "${r% *}" -gt 3000
done
"$BCMS" meta -o bc.meta.tsv bc1.sardinia.tsv bc1.progemus.tsv 2> /dev/null
check "meta of --by-cohort outputs equals meta of one-cohort scans" awk -F'\t' 'NR==FNR {if (FNR>1) b[$1":"$2":"$4":"$5]=$10; next}
    FNR>1 {k=$1":"$2":"$4":"$5; if (!(k in b)) next; n++; d=b[k]-$10; if (d<0) d=-d; if (d>1e-6*(b[k]<0?-b[k]:b[k])+1e-12) bad++}
    END {exit !(n > 3000 && !bad)}' lin.meta.tsv bc.meta.tsv
# chunked scans: a chunk is refused (merge first); the merged chunks give the same meta-analysis
for k in 1 2; do
    "$BCMS" assoc pool.bcms "${lin[@]}" "${a[@]}" --covar sex,age_onset --cohorts progemus --chunk $k/2 \
        -o lin.progemus.part$k.tsv 2> /dev/null
done
if "$BCMS" meta -o x.tsv lin.sardinia.tsv lin.progemus.part1.tsv 2> err.txt; then fail "a chunk as input is refused"
else check "a chunk as input is refused: $(cat err.txt)" grep -q "chunk 1/2 of a scan" err.txt; fi
"$BCMS" merge -o lin.progemus.merged.tsv lin.progemus.part1.tsv lin.progemus.part2.tsv 2> /dev/null
"$BCMS" meta -o merged.meta.tsv lin.sardinia.tsv lin.progemus.merged.tsv 2> /dev/null
check "merged chunks give the same meta-analysis" cmp merged.meta.tsv lin.meta.tsv

# a GWAS-SSF input (bcms assoc --format gwas-ssf) meta-analyses like the TSV one
"$BCMS" assoc pool.bcms "${lin[@]}" "${a[@]}" --covar sex,age_onset --cohorts progemus --format gwas-ssf \
    --ssf-meta genome_assembly=GRCh38 --ssf-meta genotyping_technology=simulated \
    --ssf-meta sample_ancestry_category=European -o lin.progemus.ssf.tsv 2> /dev/null
"$BCMS" meta -o ssf.meta.tsv lin.sardinia.tsv lin.progemus.ssf.tsv 2> /dev/null
check "GWAS-SSF input gives the same meta BETA as the TSV input" awk -F'\t' 'NR==FNR {if (FNR>1) b[$1":"$2":"$4":"$5]=$10; next}
    FNR>1 {k=$1":"$2":"$4":"$5; if (!(k in b)) {bad++; next}; n++; d=b[k]-$10; if (d<0) d=-d; if (d>1e-6*(b[k]<0?-b[k]:b[k])+1e-12) bad++}
    END {exit !(n > 3000 && !bad)}' lin.meta.tsv ssf.meta.tsv
finish
