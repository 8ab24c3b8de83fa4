#!/usr/bin/env bash
# bcms meta against R: four studies in four formats (bcms TSV, PLINK 2, REGENIE, GWAS-SSF gz) with
# swapped alleles, strand complements, A/T C/G variants and multi-allelic positions; expected values
# from metafor (FE, DL), METAL's sample-size formula and an R implementation of Han-Eskin RE2, made by
# tests/fixtures/meta/make.sh. Then the clear errors, --gc, --palindromic, thread invariance.
source "$(dirname "$0")/../lib/common.sh"
F=$BCMS_SRC/tests/fixtures/meta
IN=("$F/s1.tsv" "$F/s2.glm.linear" "$F/s3.regenie" "$F/s4.tsv.gz")
cd "$BCMS_TMP"

# compare bcms output ($1) with expected.tsv on the listed expected:bcms column pairs; s = flip with A1
compare() { # out scheme
    awk -F'\t' -v scheme="$2" '
    function rel(a, b) { if (a == "NA" || b == "NA") { if (a != b) bad_now = 1; return 0 }; a += 0; b += 0
        d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); if ((b < 0 ? -b : b) > m) m = (b < 0 ? -b : b)
        if (d > 1e-8 * m + 1e-13) bad_now = 1; return m > 0 ? d / m : 0 }
    FNR == 1 { for (i = 1; i <= NF; i++) col[FILENAME == ARGV[1] ? "e" : "b", $i] = i; next }
    FILENAME == ARGV[1] { k = $1 ":" $2 ":" ($3 < $4 ? $3 ":" $4 : $4 ":" $3); exp_[k] = $0; nexp++; next }
    { k = $1 ":" $2 ":" ($4 < $5 ? $4 ":" $5 : $5 ":" $4)
      if (!(k in exp_)) { print "unexpected variant " k; bad++; next }
      split(exp_[k], e, "\t"); seen++
      s = ($6 == e[col["e", "ALT"]]) ? 1 : -1
      if ($(col["b", "N_STUDIES"]) != e[col["e", "K"]]) { print k ": N_STUDIES " $(col["b", "N_STUDIES"]) " vs " e[col["e", "K"]]; bad++ }
      if (scheme == "ivw") n = split("BETA:BETA:1 SE:SE:0 P:P:0 Q:Q:0 Q_P:Q_P:0 I2:I2:0 TAU2:TAU2:0 BETA_RE:BETA_RE:1 SE_RE:SE_RE:0 P_RE:P_RE:0 P_RE2:P_RE2:0", pr, " ")
      else n = split("Z_SS:STAT:1 P_SS:P:0", pr, " ")
      for (i = 1; i <= n; i++) { split(pr[i], q, ":"); ev = e[col["e", q[1]]]; bv = $(col["b", q[2]])
        if (q[3] == 1 && ev != "NA") ev = s * ev
        bad_now = 0; r = rel(ev, bv); if (r > worst) worst = r
        if (bad_now) { if (bad < 10) print k ": " q[2] " bcms " bv " R " ev; bad++ } } }
    END { printf "%d variants compared (of %d expected), %d mismatches, worst relative difference %.2g\n", seen, nexp, bad, worst
          exit (bad > 0 || seen != nexp) }' "$F/expected.tsv" "$1"
}

"$BCMS" meta -o ivw.tsv --random re2 --palindromic freq "${IN[@]}" 2> ivw.err
check "fixed effects, Q, I2, DL, RE2 equal metafor / R to 1e-8" compare ivw.tsv ivw
grep -q "palindromic kept 14, flipped 5, dropped 41" ivw.err
check "palindromic counts reported (14 kept, 5 flipped, 41 dropped, as make.R counts)" grep -q "palindromic kept 14, flipped 5, dropped 41" ivw.err
check "strand complements counted" grep -q "other strand 22" ivw.err
"$BCMS" meta -o ss.tsv --scheme samplesize --palindromic freq "${IN[@]}" 2> /dev/null
check "sample-size scheme equals METAL's formula" compare ss.tsv samplesize

# thread invariance, gzip output, GWAS-SSF output
"$BCMS" meta -o t1.tsv.gz --threads 1 --random re2 --palindromic freq "${IN[@]}" 2> /dev/null
"$BCMS" meta -o t2.tsv.gz --threads 2 --random re2 --palindromic freq "${IN[@]}" 2> /dev/null
check "byte-identical at 1 and 2 threads" cmp <(zcat t1.tsv.gz) <(zcat t2.tsv.gz)
check "gzip output equals the plain one" cmp <(zcat t1.tsv.gz) ivw.tsv
"$BCMS" meta -o ssf.tsv --format gwas-ssf --palindromic freq "${IN[@]}" 2> /dev/null
check "GWAS-SSF header" grep -q $'^chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\teffect_allele_frequency\tp_value\tvariant_id\trsid\tn' ssf.tsv
check "GWAS-SSF has the same rows" test "$(wc -l < ssf.tsv)" = "$(wc -l < ivw.tsv)"
check "the tiny p prints below the double range" grep -q $'\t[0-9.]*e-3[0-9][0-9]\t' ivw.tsv

# --palindromic drop / keep
"$BCMS" meta -o drop.tsv --palindromic drop "${IN[@]}" 2> drop.err
np=$(awk -F'\t' 'NR>1 && (($4$5=="AT")||($4$5=="TA")||($4$5=="CG")||($4$5=="GC"))' drop.tsv | wc -l)
check "--palindromic drop leaves no A/T C/G variant ($np)" test "$np" = 0
"$BCMS" meta -o keep.tsv "${IN[@]}" 2> keep.err
check "--palindromic keep (default) drops none" grep -q "dropped 0" keep.err

# --min-studies
"$BCMS" meta -o min4.tsv --min-studies 4 "${IN[@]}" 2> /dev/null
check "--min-studies 4 keeps only 4-study variants" awk -F'\t' 'NR>1 && $14!=4 {exit 1}' min4.tsv

# --gc: lambda = median((b/se)^2)/qchisq(0.5,1), applied to SE when > 1
"$BCMS" meta -o gc.tsv --gc "$F/s1.tsv" 2> gc.err
lam=$(awk -F'\t' 'NR>1 {print ($10/$11)^2}' "$F/s1.tsv" | sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.4f", m/0.45493642311957283}')
check "lambda GC $lam in the log" grep -q "lambda_gc=$lam" gc.tsv.log
check "--gc multiplies SE by sqrt(lambda) (lambda $lam > 1)" awk -F'\t' -v l="$lam" 'NR==FNR {if (FNR>1) se[$2":"$5]=$11; next}
    FNR>1 {r=$11/(se[$2":"$5]*sqrt(l)); if (r<0.9999 || r>1.0001) exit 1}' "$F/s1.tsv" gc.tsv
"$BCMS" meta -o gcs.tsv --gc --scheme samplesize "$F/s1.tsv" 2> /dev/null
lams=$(awk -F'\t' '$1=="input" {for (i=1;i<=NF;i++) if ($i ~ /^lambda_gc=/) {sub("lambda_gc=","",$i); print $i}}' gcs.tsv.log)
check "samplesize --gc lambda from the p-values ($lams) close to the one from BETA/SE ($lam)" \
    awk -v a="$lams" -v b="$lam" 'BEGIN{d=a-b; exit !(d < 0.01 && d > -0.01)}'
check "samplesize --gc divides z by sqrt(lambda)" awk -F'\t' -v l="$lams" 'NR==FNR {if (FNR>1) z[$2":"$5]=$12; next}
    FNR>1 {r=$12*sqrt(l)/z[$2":"$5]; if (r<0.999 || r>1.001) exit 1}' "$F/s1.tsv" gcs.tsv
check "lambda > 1 on these inflated inputs" awk -v l="$lam" 'BEGIN{exit !(l > 1)}'

# a meta output reads back as a bcms input (meta of meta)
"$BCMS" meta -o mm.tsv ivw.tsv 2> /dev/null
check "a meta output is a bcms input: single-input meta returns its BETA" awk -F'\t' 'NR==FNR {b[$1":"$2":"$6]=$10; next}
    FNR>1 && b[$1":"$2":"$6]!=$10 {exit 1}' ivw.tsv mm.tsv

# clear errors
expect_err() { # description pattern command...
    local d=$1 pat=$2; shift 2
    if "$@" > out.txt 2> err.txt; then fail "$d (exit 0)"; elif grep -q -- "$pat" err.txt; then pass "$d"; else
        fail "$d: $(cat err.txt)"; fi
}
cut -f1-10,12- "$F/s1.tsv" > nose.tsv
expect_err "input without SE names the file and the column" "nose.tsv: bcms header without a standard error column" \
    "$BCMS" meta -o x.tsv nose.tsv "$F/s3.regenie"
zcat "$F/s4.tsv.gz" | cut -f1-10 > non.tsv
expect_err "samplesize scheme without N names the file" "non.tsv: gwas-ssf header without a sample size column" \
    "$BCMS" meta -o x.tsv --scheme samplesize "$F/s1.tsv" non.tsv
expect_err "the same file twice" "the same study given twice" "$BCMS" meta -o x.tsv "$F/s1.tsv" "$F/s1.tsv"
cp "$F/s1.tsv" copy.tsv
expect_err "a copy of the same study" "the same study given twice" "$BCMS" meta -o x.tsv "$F/s1.tsv" copy.tsv
check "nothing written after an error" test ! -e x.tsv
awk 'NR==1 || NR==5 {print; next} NR==4 {h=$0; next} {print} NR==6 {print h}' "$F/s1.tsv" > unsorted.tsv
expect_err "unsorted input names the file and line" "unsorted.tsv: line [0-9]*: .* not sorted" \
    "$BCMS" meta -o x.tsv "$F/s1.tsv" unsorted.tsv
printf 'a\tb\tc\n1\t2\t3\n' > junk.tsv
expect_err "unknown header" "junk.tsv: line 1: not a summary-statistics header" "$BCMS" meta -o x.tsv junk.tsv
awk 'NR==3 {print; print; next} {print}' "$F/s1.tsv" > dup.tsv
expect_err "a variant twice in one input" "dup.tsv: lines 3 and 4 are the same variant" "$BCMS" meta -o x.tsv dup.tsv
finish
