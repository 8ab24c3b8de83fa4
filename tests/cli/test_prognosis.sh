#!/usr/bin/env bash
# Prognosis end to end: progression fields derived from the sample cohort's visits are stored in the
# store (all or nothing), then a Cox scan with left truncation (entry times) and strata gives the same
# full-fit numbers as R survival::coxph, and its score p (where |z| < 2) equals coxph's score test.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
D=$BCMS_SRC/data-samples
"$BCMS" import -q s.bcms "$D/sardinia.vcf.gz" --cohort sardinia
"$BCMS" clinical s.bcms --visits "$D/sardinia.visits.tsv" --patients "$D/sardinia.patients.tsv" 2> clin.log
check "clinical fields stored ($(tail -1 clin.log))" grep -q "columns stored" clin.log
check "edss6_time is a stored column" bash -c "'$BCMS' pheno s.bcms --list | grep -q '^edss6_time'"
before=$(md5sum < s.bcms/data.mdb)
rc=0; "$BCMS" clinical s.bcms --visits "$D/sardinia.visits.tsv" --patients "$D/sardinia.patients.tsv" 2> clin2.log || rc=$?
check "a second derivation is refused without --replace ($(tail -1 clin2.log))" [ $rc -eq 1 ]
check "  ... and leaves the store unchanged" [ "$before" = "$(md5sum < s.bcms/data.mdb)" ]
printf 'IID\tdate\tedss\trelapse\nSAR0001\t2020-01-01\t3.25\t0\n' > bad.visits.tsv
rc=0; "$BCMS" clinical s.bcms --replace --visits bad.visits.tsv 2> bad.log || rc=$?
check "a bad visit table is refused naming file and line ($(tail -1 bad.log))" grep -q "bad.visits.tsv:2\|bad.visits.tsv: line 2" bad.log
check "  ... and leaves the store unchanged" [ "$before" = "$(md5sum < s.bcms/data.mdb)" ]

# Cox scan: time to sustained EDSS 4 with entry times, strata by sex; every variant fully fitted
"$BCMS" assoc s.bcms --model cox --time edss4_time --event edss4_event --entry edss4_entry --strata sex \
    --covar-file "$D/sardinia.covar.tsv" --covar age_onset,PC1 --maf 0.05 -r 1,2 --cox-fit-p 2 --hard-calls \
    -o cox.tsv 2> cox.log
check "Cox scan ran ($(tail -1 cox.log))" [ -s cox.tsv ]
"$BCMS" pheno s.bcms --export edss4_time,edss4_event,edss4_entry > endpoint.tsv
bcftools norm -m- "$D/sardinia.vcf.gz" 2>/dev/null | bcftools query -i 'CHROM="1" || CHROM="2"' \
    -f '%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n' > g.tsv
bcftools query -l "$D/sardinia.vcf.gz" > samples.txt
cat > cox.R <<RS
suppressMessages(library(survival))
ours <- read.table("cox.tsv", header = TRUE, sep = "\t", comment.char = "", na.strings = "NA")
ours <- ours[substr(ours\$METHOD, 1, 3) == "FIT" & ours\$ERRCODE == ".", ]
ours <- ours[seq(1, nrow(ours), length.out = min(40, nrow(ours))), ]
g <- read.table("g.tsv", sep = "\t", colClasses = "character")
s <- readLines("samples.txt")
ep <- read.table("endpoint.tsv", header = TRUE, sep = "\t", comment.char = ""); names(ep)[1] <- "IID"
cv <- read.table("$D/sardinia.covar.tsv", header = TRUE, sep = "\t", comment.char = ""); names(cv)[1] <- "IID"
d <- merge(ep, cv)
key <- paste(g[, 1], g[, 2], g[, 3], g[, 4])
bad <- 0; n <- 0
for (r in seq_len(nrow(ours))) {
  k <- which(key == paste(ours\$CHROM[r], ours\$POS[r], ours\$REF[r], ours\$ALT[r]))[1]
  gt <- unlist(g[k, -(1:4)]); names(gt) <- s
  d\$x <- sapply(strsplit(gt, "[/|]"), function(a) if (any(a == ".")) NA else sum(as.integer(a)))[d\$IID]
  dd <- d[complete.cases(d[, c("x", "edss4_time", "edss4_event", "edss4_entry", "age_onset", "PC1", "sex")]), ]
  f <- coxph(Surv(edss4_entry, edss4_time, edss4_event) ~ x + age_onset + PC1 + strata(sex), data = dd,
             ties = "efron", control = coxph.control(eps = 1e-12, iter.max = 50))
  b <- coef(f)[["x"]]; se <- sqrt(vcov(f)["x", "x"])
  n <- n + 1
  if (abs(b - ours\$BETA[r]) > 1e-5 * abs(b) + 1e-7 || abs(se - ours\$SE_WALD[r]) > 1e-5 * se) {
    bad <- bad + 1; cat(ours\$POS[r], b, ours\$BETA[r], se, ours\$SE_WALD[r], "\n") }
}
cat(n, "variants compared with coxph,", bad, "differ\n")
quit(status = if (bad > 0 || n < 20) 1 else 0)
RS
check "Cox full fits (entry times, strata) equal R coxph: BETA, SE to 1e-5" Rscript cox.R
finish
