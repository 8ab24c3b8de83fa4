#!/usr/bin/env bash
# Association scans on chrX (outside the PARs), chrY and chrM as PLINK 2 --glm does them, against the
# peers run live on the same input and the same sex file: a cohort from bcms simulate --sex-chromosomes
# (haploid males), with some samples of unknown sex and some heterozygous male calls on chrX.
# - linear equals plink2 --glm (OBS_CT, A1_FREQ, BETA, SE, P) under --xchr-model 2 (default: males
#   0/2, sex covariate, unknown sex left out on chrX), --xchr-model 1 (males 0/1), --glm no-x-sex, and
#   --xchr-model 0 (chrX skipped); chrY on males, 0/1; chrM on everyone, 0/1;
# - logistic equals plink2 to its drift (0.2%; see test_assoc.sh) and R glm to 1e-6 with the design
#   built in R (the same coding and the sex covariate);
# - Cox (no plink2 peer) equals R survival::coxph full fits with that design;
# - same bytes at 1 and 2 threads; in a pooled scan, chrX/chrY variants one cohort lacks are analysed on
#   the other alone (numbers equal to its own scan).
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o s.vcf.gz --samples 400 --variants 1500 --seed 11 --sex-chromosomes --missing 0.03 \
    --covar s.covar.tsv --pheno s.pheno.tsv 2> /dev/null
# every 17th sample of unknown sex; heterozygous calls for some males on every 4th chrX site outside the PARs
awk 'BEGIN{print "#IID\tSEX"} NR>1{print $1"\t"(NR%17==0 ? "NA" : $2)}' s.covar.tsv > sex.txt
zcat s.vcf.gz | awk -F'\t' -v OFS='\t' 'NR==FNR {if (FNR>1 && $2==1) male[FNR+8]=1; next}
    /^#/ {print; next}
    $1=="X" && $2>2781479 && $2<155701383 && ++n%4==0 {for (c=10; c<=NF; c++) if ((c in male) && (c+n)%5==0 && $c!=".") $c="0/1"}
    {print}' s.covar.tsv - | bgzip > h.vcf.gz
check "male heterozygous calls on chrX in the input" bash -c "[ \$(zcat h.vcf.gz | awk '\$1==\"X\"' | grep -c '0/1') -gt 10 ]"
"$BCMS" import -q h.bcms h.vcf.gz
"$BCMS" pheno h.bcms s.pheno.tsv 2> /dev/null
bcftools norm -m- h.vcf.gz 2>/dev/null | bcftools annotate -I '%CHROM:%POS:%REF:%ALT' -Oz -o split.vcf.gz 2>/dev/null
P="plink2 --vcf split.vcf.gz --split-par b38 --update-sex sex.txt --pheno s.pheno.tsv --covar s.covar.tsv
   --covar-name age_onset,PC1 --covar-variance-standardize"
A="--covar-file s.covar.tsv --covar age_onset,PC1 --sex-file sex.txt"

# compare OURS PLINK CLASSES TOL AFCLASSES: join on CHR:POS:REF:ALT; over the variants of the chromosome
# classes (A autosomes and PARs, X, Y, M chrM) OBS_CT equal, BETA SE P (A1_FREQ in AFCLASSES) within
# TOL relative (plink2 prints 6 digits); at least 5 rows of each class
compare() {
    LC_ALL=C join -t$'\t' \
        <(awk -F'\t' -v OFS='\t' 'NR>1{c=$1; if (c!="X" && c!="Y" && c!="MT") c="A"; if (c=="X" && ($2<2781479 || $2>155701383)) c="A"; if (c=="MT") c="M";
              print $1":"$2":"$4":"$5, c, $7, $8, $10, $11, $13}' "$1" | LC_ALL=C sort) \
        <(awk -F'\t' -v OFS='\t' 'NR==1{for (i=1;i<=NF;i++) h[$i]=i; next}
              {b = ("BETA" in h) ? $h["BETA"] : ($h["OR"]=="NA" ? "NA" : log($h["OR"]));
               print $3, $h["A1_FREQ"], $h["OBS_CT"], b, ("SE" in h) ? $h["SE"] : $h["LOG(OR)_SE"], $h["P"]}' "$2" | LC_ALL=C sort) |
    awk -F'\t' -v cls="$3" -v tol="$4" -v afc="$5" '
        index(cls, $2) {n[$2]++; if ($4 != $9) {bad++; if (bad < 5) print "OBS_CT:", $0}
            for (k = 0; k < 4; k++) { a = $(k ? 4 + k : 3); b = $(k ? 9 + k : 8)
                if (k == 0 && !index(afc, $2)) continue
                if (a == "NA" || b == "NA") { if (a != b) {bad++; if (bad < 5) print "NA:", $0}; continue }
                d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b
                if (d > tol * s + (k == 0 ? 1e-6 : 1e-9)) {bad++; if (bad < 5) print "differs:", $0} } }
        END {split(cls, c, ""); for (i in c) {printf "%s %d rows; ", c[i], n[c[i]]; if (n[c[i]] < 5) bad++}
             print bad + 0, "differ"; exit bad > 0}'
}

"$BCMS" assoc h.bcms --model linear --pheno severity $A --threads 2 -o l2.tsv 2> /dev/null
$P --pheno-name severity --glm hide-covar omit-ref cols=+a1freq --out p2 > /dev/null 2>&1
check "linear, default (--xchr-model 2): equals plink2 --glm on chrX, chrY, chrM and the rest" \
    compare l2.tsv p2.severity.glm.linear AXYM 2e-5 AXYM
"$BCMS" assoc h.bcms --model linear --pheno severity $A --threads 1 -o l2t1.tsv 2> /dev/null
check "  ... same bytes at 1 and 2 threads" cmp l2.tsv l2t1.tsv
nx=$(awk -F'\t' '$1=="X" && $2>2781479 && $2<155701383 && $8 > 0' l2.tsv | wc -l)
nu=$(grep -c NA sex.txt)
check "  ... chrX rows leave the $nu samples of unknown sex out ($nx rows)" \
    awk -F'\t' -v nu="$nu" 'NR>1 && $1=="X" && $2>2781479 && $2<155701383 {if ($8 > 400 - nu) bad++} END{exit bad > 0}' l2.tsv
"$BCMS" assoc h.bcms --model linear --pheno severity $A --xchr-model 1 -o l1.tsv 2> /dev/null
$P --pheno-name severity --xchr-model 1 --glm hide-covar omit-ref cols=+a1freq --out p1 > /dev/null 2>&1
# (plink2 2.00a3.5 misreports A1_FREQ on the autosomes under --xchr-model 1: compared on chrX, chrY, chrM)
check "linear --xchr-model 1 (males 0/1): equals plink2 --xchr-model 1" compare l1.tsv p1.severity.glm.linear AXYM 2e-5 XYM
"$BCMS" assoc h.bcms --model linear --pheno severity $A --no-x-sex -o lnx.tsv 2> /dev/null
$P --pheno-name severity --glm hide-covar omit-ref no-x-sex cols=+a1freq --out pnx > /dev/null 2>&1
check "linear --no-x-sex (unknown sex kept on chrX): equals plink2 --glm no-x-sex" \
    compare lnx.tsv pnx.severity.glm.linear AXYM 2e-5 AXYM
check "  ... and differs from the default on chrX" bash -c "! cmp -s <(grep -P '^X\t' l2.tsv) <(grep -P '^X\t' lnx.tsv)"
"$BCMS" assoc h.bcms --model linear --pheno severity $A --xchr-model 0 -o l0.tsv 2> /dev/null
$P --pheno-name severity --xchr-model 0 --glm hide-covar omit-ref --out p0 > /dev/null 2>&1
check "--xchr-model 0: the variants plink2 --xchr-model 0 tests (chrX skipped)" \
    cmp <(awk 'NR>1{print $1":"$2":"$4":"$5}' l0.tsv | LC_ALL=C sort) <(awk 'NR>1{print $3}' p0.severity.glm.linear | LC_ALL=C sort)
check "  ... and says so in its summary" grep -q 'skipped.*chrX' l0.tsv.log

"$BCMS" assoc h.bcms --model logistic --pheno binary_trait $A -o g.tsv 2> /dev/null
$P --pheno-name binary_trait --glm hide-covar omit-ref firth-fallback cols=+a1freq --out pg > /dev/null 2>&1
check "logistic: equals plink2 --glm on chrX, chrY, chrM to its drift (2e-3)" \
    compare g.tsv pg.binary_trait.glm.logistic.hybrid XYM 2e-3 XYM
"$BCMS" assoc h.bcms --model cox --time time_to_edss6 --event edss6_event $A --cox-fit-p 2 -o c.tsv 2> /dev/null

# R: the design built from the VCF (chrX males 0/2, sex 1/2 covariate, unknown sex out; chrY males
# 0/1; chrM 0/1) and fitted by glm and coxph; complete cases as the full fits use
bcftools query -i 'CHROM="X" || CHROM="Y" || CHROM="MT"' -f '%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n' split.vcf.gz > g.txt
bcftools query -l split.vcf.gz > samples.txt
cat > sexchr.R <<'RS'
suppressMessages(library(survival))
g <- read.table("g.txt", sep = "\t", colClasses = "character")
s <- readLines("samples.txt")
ph <- read.table("s.pheno.tsv", header = TRUE, comment.char = "", sep = "\t"); names(ph)[1] <- "IID"
cv <- read.table("s.covar.tsv", header = TRUE, comment.char = "", sep = "\t"); names(cv)[1] <- "IID"
sx <- read.table("sex.txt", header = TRUE, comment.char = "", sep = "\t", na.strings = "NA"); names(sx) <- c("IID", "SEX")
d <- merge(merge(merge(data.frame(IID = s), ph), cv[, c("IID", "age_onset", "PC1")]), sx)
d$y <- ifelse(d$binary_trait == 2, 1, ifelse(d$binary_trait == 1, 0, NA))
ours <- function(f) { t <- read.table(f, header = TRUE, sep = "\t", comment.char = "", na.strings = "NA")
                      rownames(t) <- paste(t[[1]], t$POS, t$REF, t$ALT); t }
lg <- ours("g.tsv"); cx <- ours("c.tsv")
nonpar <- function(pos) pos > 2781479 & pos < 155701383
bad <- 0; n <- c(glm = 0, cox = 0)
for (r in seq_len(nrow(g))) {
  chr <- g[r, 1]; pos <- as.numeric(g[r, 2]); key <- paste(chr, pos, g[r, 3], g[r, 4])
  if (chr == "X" && !nonpar(pos)) next
  gt <- unlist(g[r, -(1:4)]); names(gt) <- s
  dose <- sapply(strsplit(gt, "[/|]"), function(a) if (any(a == ".")) NA else sum(as.integer(a)) * (if (length(a) == 1) 2 else 1))
  d$x <- dose[d$IID] * (if (chr == "X") 1 else 0.5)
  dd <- if (chr == "Y") d[!is.na(d$SEX) & d$SEX == 1, ] else if (chr == "X") d[!is.na(d$SEX), ] else d
  fx <- if (chr == "X") " + SEX" else ""
  if (length(unique(na.omit(dd$x))) < 2) next
  fg <- suppressWarnings(glm(as.formula(paste("y ~ x + age_onset + PC1", fx)), data = dd, family = binomial,
                             control = glm.control(epsilon = 1e-14, maxit = 100)))
  o <- lg[key, ]
  if (fg$converged && all(abs(coef(fg)) < 15) && o$FIRTH == "N" && o$ERRCODE == ".") {
    cs <- coef(summary(fg)); n["glm"] <- n["glm"] + 1
    if (abs(cs["x", 1] - o$BETA) > 1e-6 * abs(cs["x", 1]) + 1e-8 || abs(cs["x", 2] - o$SE) > 1e-6 * cs["x", 2] ||
        sum(!is.na(dd$y) & !is.na(dd$x)) != o$N) { bad <- bad + 1; cat("glm", key, cs["x", 1:2], o$BETA, o$SE, "\n") }
  }
  o <- cx[key, ]
  if (substr(o$METHOD, 1, 3) == "FIT" && o$ERRCODE == ".") {
    fc <- coxph(as.formula(paste("Surv(time_to_edss6, edss6_event) ~ x + age_onset + PC1", fx)), data = dd,
                ties = "efron", control = coxph.control(eps = 1e-12, iter.max = 50))
    b <- coef(fc)[["x"]]; se <- sqrt(vcov(fc)["x", "x"]); n["cox"] <- n["cox"] + 1
    if (abs(b - o$BETA) > 1e-5 * abs(b) + 1e-7 || abs(se - o$SE_WALD) > 1e-5 * se || fc$n != o$N) {
      bad <- bad + 1; cat("cox", key, b, o$BETA, se, o$SE_WALD, fc$n, o$N, "\n") }
  }
}
cat(n["glm"], "logistic and", n["cox"], "Cox rows on chrX/chrY/chrM compared with R,", bad, "differ\n")
quit(status = if (bad > 0 || n["glm"] < 60 || n["cox"] < 60) 1 else 0)
RS
check "logistic (glm) and Cox (coxph) on chrX, chrY, chrM equal R with the design built there" Rscript sexchr.R

# two cohorts, half of cohort b's chrX/chrY sites removed: those cohort-private rows of a pooled scan
# (--covar ...,cohort) equal a scan of cohort a alone
bcftools query -l h.vcf.gz | awk 'NR<=200' > a.ids
bcftools query -l h.vcf.gz | awk 'NR>200' > b.ids
bcftools view -S a.ids h.vcf.gz -Oz -o pa.vcf.gz 2>/dev/null
bcftools view -S b.ids h.vcf.gz 2>/dev/null | awk -F'\t' '!/^#/ && ($1=="X" || $1=="Y") && ++n%2==0 {next} {print}' | bgzip > pb.vcf.gz
"$BCMS" import -q pp.bcms pa.vcf.gz --cohort a
"$BCMS" import -q pp.bcms pb.vcf.gz --cohort b
"$BCMS" pheno pp.bcms s.pheno.tsv 2> /dev/null
private_rows() { # model options...
    "$BCMS" assoc pp.bcms "$@" --covar-file s.covar.tsv --covar age_onset,PC1,cohort --sex-file sex.txt -o pool.tsv 2> /dev/null
    "$BCMS" assoc pp.bcms "$@" --covar-file s.covar.tsv --covar age_onset,PC1 --sex-file sex.txt --cohorts a -o aonly.tsv 2> /dev/null
    LC_ALL=C join -t$'\t' \
        <(awk -F'\t' -v OFS='\t' '($1=="X" || $1=="Y") && $NF=="cohort" {print $1":"$2":"$4":"$5, $7, $8, $10, $11, $13}' pool.tsv | LC_ALL=C sort) \
        <(awk -F'\t' -v OFS='\t' '$1=="X" || $1=="Y" {print $1":"$2":"$4":"$5, $7, $8, $10, $11, $13}' aonly.tsv | LC_ALL=C sort) |
        awk -F'\t' '{n++; if ($2 != $7 || $3 != $8 || $4 != $9 || $5 != $10 || $6 != $11) {bad++; if (bad < 4) print}}
                    END {print n + 0, "rows,", bad + 0, "differ"; exit bad || n < 30}'
}
check "pooled scan, chrX/chrY variants of one cohort: linear rows = that cohort's scan" private_rows --model linear --pheno severity
check "  ... Cox rows too" private_rows --model cox --time time_to_edss6 --event edss6_event --cox-fit-p 2

# dosages: chrX/chrY/chrM are tested on hard calls (a haploid DS has no agreed scale), the rest on DS
"$BCMS" simulate -o d.vcf.gz --samples 200 --variants 600 --seed 4 --sex-chromosomes --ds --covar d.covar.tsv \
    --pheno d.pheno.tsv 2> /dev/null
"$BCMS" import -q d.bcms d.vcf.gz
"$BCMS" pheno d.bcms d.pheno.tsv 2> /dev/null
awk 'BEGIN{print "#IID\tSEX"} NR>1{print $1"\t"$2}' d.covar.tsv > dsex.txt
"$BCMS" assoc d.bcms --model linear --pheno severity --sex-file dsex.txt -o dd.tsv 2> dd.log
"$BCMS" assoc d.bcms --model linear --pheno severity --sex-file dsex.txt --hard-calls -o dh.tsv 2> /dev/null
hapr() { awk -F'\t' '$1=="Y" || $1=="MT" || ($1=="X" && $2>2781479 && $2<155701383)' "$1"; }
hapr dd.tsv > ddh.tsv
hapr dh.tsv > dhh.tsv
check "with DS stored: chrX/chrY/chrM rows = --hard-calls rows ($(wc -l < ddh.tsv)), and the log says so" \
    bash -c "[ \$(wc -l < ddh.tsv) -gt 20 ] && cmp ddh.tsv dhh.tsv && grep -q 'tested on hard calls' dd.log"
check "  ... the autosomes use the dosages" bash -c "! cmp -s <(grep -v -P '^(X|Y|MT)\t' dd.tsv) <(grep -v -P '^(X|Y|MT)\t' dh.tsv)"
finish
