#!/usr/bin/env bash
# What a scan reports, checked against R: covariates in awkward units (age in seconds, a PC times
# 1e-4, a Unix-time birth date) fit as in R coxph/lm/glm (today's Cox null fit called them
# "singular"); Cox P is the score p (SPA in the tails) on every row, refitted or not; BETA is the
# full fit's log HR where refitted (equal to coxph) and the one-step estimate elsewhere, never far
# from the MLE; (BETA/SE)^2 is the chi-square quantile of P; rows with an error code carry NA.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
D=$BCMS_SRC/data-samples
"$BCMS" import -q s.bcms "$D/sardinia.vcf.gz" --cohort sardinia
awk 'BEGIN{OFS="\t"} NR==1{print "#IID","age_sec","pc1_small","birth_unix";next}
     {print $1, $3*31557600, $4*1e-4, 946684800 - $3*31557600 + (NR*7919 % 10007)*997}' \
    "$D/sardinia.covar.tsv" > bad.covar.tsv
common=(--pheno-file "$D/sardinia.pheno.tsv" --covar-file bad.covar.tsv --covar age_sec,pc1_small,birth_unix
        --maf 0.01 --hard-calls)
cox=(--model cox --time time_to_edss6 --event edss6_event)
for fp in def 0 2; do
    fpo=(); [ $fp = def ] || fpo=(--cox-fit-p $fp)
    "$BCMS" assoc s.bcms "${cox[@]}" "${common[@]}" "${fpo[@]}" --ci -o cox_$fp.tsv 2> cox_$fp.log || true
done
check "Cox with badly scaled covariates runs ($(tail -1 cox_def.log))" [ -s cox_def.tsv ]
"$BCMS" assoc s.bcms --model linear --pheno severity "${common[@]}" -o lin.tsv 2> lin.log
"$BCMS" assoc s.bcms --model logistic --pheno binary_trait "${common[@]}" --ci -o log.tsv 2> log.log
bcftools norm -m- "$D/sardinia.vcf.gz" 2>/dev/null | bcftools query -f '%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n' > g.tsv
bcftools query -l "$D/sardinia.vcf.gz" > samples.txt
cat > check.R <<RS
suppressMessages(library(survival))
rd <- function(f) read.delim(f, na.strings = "NA", comment.char = "", check.names = FALSE)
c2 <- rd("cox_2.tsv"); c0 <- rd("cox_0.tsv"); cd <- rd("cox_def.tsv")
g <- read.table("g.tsv", sep = "\t", colClasses = "character"); s <- readLines("samples.txt")
key <- paste(g[, 1], g[, 2], g[, 3], g[, 4])
ph <- read.delim("$D/sardinia.pheno.tsv"); names(ph)[1] <- "IID"
cv <- read.delim("bad.covar.tsv"); names(cv)[1] <- "IID"
d <- merge(ph, cv); d\$binary_trait <- d\$binary_trait - 1
gt <- function(r) { k <- which(key == paste(r\$CHROM, r\$POS, r\$REF, r\$ALT))[1]; v <- unlist(g[k, -(1:4)])
  names(v) <- s; sapply(strsplit(v, "[/|]"), function(a) if (any(a == ".")) NA else sum(as.integer(a)))[d\$IID] }
bad <- 0
fail <- function(...) { cat("FAIL", ..., "\n"); bad <<- bad + 1 }
rel <- function(a, b) abs(a - b) / pmax(abs(b), 1e-300)
# 1. refitted rows (every row of cox_2) equal coxph: BETA, SE_WALD, P_LRT; lm and glm: BETA, SE
ok2 <- c2[c2\$ERRCODE == ".", ]; pick <- ok2[unique(round(seq(1, nrow(ok2), length.out = 30))), ]
for (r in seq_len(nrow(pick))) {
  d\$x <- gt(pick[r, ])
  f <- coxph(Surv(time_to_edss6, edss6_event) ~ x + age_sec + pc1_small + birth_unix, data = d,
             control = coxph.control(eps = 1e-12, iter.max = 50))
  f0 <- coxph(Surv(time_to_edss6, edss6_event) ~ age_sec + pc1_small + birth_unix, data = d[!is.na(d\$x), ],
              control = coxph.control(eps = 1e-12, iter.max = 50))
  plrt <- pchisq(2 * (f\$loglik[2] - f0\$loglik[2]), 1, lower.tail = FALSE)
  if (rel(pick\$BETA[r], coef(f)[["x"]]) > 1e-5 || rel(pick\$SE_WALD[r], sqrt(vcov(f)["x", "x"])) > 1e-5 ||
      rel(pick\$P_LRT[r], plrt) > 1e-4) fail("cox", pick\$POS[r], pick\$BETA[r], coef(f)[["x"]], pick\$P_LRT[r], plrt)
}
for (m in c("lin", "log")) {
  o <- rd(paste0(m, ".tsv")); o <- o[o\$ERRCODE == "." & (if (m == "lin") TRUE else o\$FIRTH == "N"), ]
  o <- o[unique(round(seq(1, nrow(o), length.out = 30))), ]
  for (r in seq_len(nrow(o))) {
    d\$x <- gt(o[r, ])
    f <- if (m == "lin") lm(severity ~ x + age_sec + pc1_small + birth_unix, data = d) else
      glm(binary_trait ~ x + age_sec + pc1_small + birth_unix, data = d, family = binomial,
          control = glm.control(epsilon = 1e-12, maxit = 50))
    cf <- summary(f)\$coefficients["x", ]
    if (rel(o\$BETA[r], cf[[1]]) > 1e-5 || rel(o\$SE[r], cf[[2]]) > 1e-5) fail(m, o\$POS[r], o\$BETA[r], cf[[1]])
  }
  if (!all(abs(o\$LOG10P + log10(o\$P)) < 1e-5 * pmax(1, o\$LOG10P))) fail(m, "LOG10P is not -log10 P")
}
lg <- rd("log.tsv"); w <- lg\$ERRCODE == "."
if (max(abs(lg\$OR_L95[w] - exp(lg\$BETA[w] - qnorm(0.975) * lg\$SE[w])) / lg\$OR_L95[w]) > 1e-6) fail("logistic OR_L95")
# 2. P is the score p on every row: the same whether every row, some or none are refitted
if (!isTRUE(all.equal(c2\$P, c0\$P, tolerance = 1e-12)) || !isTRUE(all.equal(cd\$P, c0\$P, tolerance = 1e-12)))
  fail("P depends on the refit")
if (!any(c2\$P != c2\$P_LRT, na.rm = TRUE)) fail("P equals P_LRT everywhere")
for (o in list(c0, cd, c2)) {
  # 3. BETA/SE reproduces P (through LOG10P, so also where P underflows); CI from BETA and SE
  w <- !is.na(o\$BETA)
  zq <- sqrt(qchisq(-o\$LOG10P[w] * log(10), 1, lower.tail = FALSE, log.p = TRUE))
  # where |z(P)| >= 1 BETA/SE reproduces P; nearer the null SE is the Wald SE (refitted rows)
  far <- zq >= 1 | !grepl("^FIT", o\$METHOD[w])
  if (max(abs(abs(o\$BETA[w][far] / o\$SE[w][far]) - zq[far]) / pmax(zq[far], 1e-3)) > 2e-5)
    fail("(BETA/SE)^2 is not the quantile of P")
  nf <- !far
  if (any(nf) && max(abs(o\$SE[w][nf] - o\$SE_WALD[w][nf]) / o\$SE_WALD[w][nf]) > 1e-6)
    fail("near the null a refitted row's SE is not its Wald SE")
  if (max(abs(o\$HR_U95[w] - exp(o\$BETA[w] + qnorm(0.975) * o\$SE[w])) / o\$HR_U95[w]) > 1e-6) fail("HR_U95")
  # 4. NA where a number does not exist
  e <- o\$ERRCODE != "."
  if (any(!is.na(o\$BETA[e])) || any(!is.na(o\$SE[e])) || any(!is.na(o\$HR[e]))) fail("numbers on error rows")
  one <- grepl("^ONESTEP", o\$METHOD)
  if (any(abs(o\$BETA[one]) > 1)) fail("a one-step BETA beyond 1 is reported")
  if (any(grepl("^FIT", o\$METHOD) & (is.na(o\$SE_WALD) | is.na(o\$P_LRT)))) fail("a FIT row without SE_WALD/P_LRT")
}
# 5. a one-step estimate beyond 1 is refitted where P < 0.05, NA (no error) above
na <- is.na(cd\$BETA) & cd\$ERRCODE == "."
if (any(na & cd\$P < 0.05)) fail("an implausible one-step row with P < 0.05 was not refitted")
if (any(na & !grepl("^NA", cd\$METHOD))) fail("a row without BETA does not say METHOD NA")
# 6. the one-step BETA stands for the MLE: within 1.5 of its Wald SE (measured max ~1.06)
one <- grepl("^ONESTEP", cd\$METHOD) & c2\$ERRCODE == "."
dev <- abs(cd\$BETA[one] - c2\$BETA[one]) / c2\$SE_WALD[one]
cat(sum(one), "one-step rows; |one-step - MLE| / SE_WALD: median", median(dev), "max", max(dev), "\n")
if (max(dev) > 1.5) fail("one-step BETA far from the MLE")
if (sum(grepl("^FIT", cd\$METHOD)) < 10 || sum(one) < 1000) fail("too few rows of each kind")
quit(status = if (bad > 0) 1 else 0)
RS
check "BETA/SE/P of Cox, linear and logistic with badly scaled covariates equal R; P is the score p; NA rules" \
    Rscript check.R
finish
