#!/usr/bin/env bash
# --offset and --loco-pred (queries/structure/locopred.h). On a small related cohort (families):
#  1. logistic and Cox scans with --offset equal R glm(..., offset=) and coxph(... + offset(o)) (live R);
#  2. --loco-pred's predictions are out of sample: changing one sample's phenotype leaves that sample's
#     own LOCO predictions unchanged (its fold was fitted without it) and changes other samples';
#     the in-sample BLUP (--loco-folds 0) does move it;
#  3. a LOCO scan of chromosome c uses the chromosome-c prediction: it equals a scan with --offset set
#     to 0.5 (--loco-shrink) x SCALE x LOCO_c from --loco-pred-out, and the output is the same at 1 and 2 threads;
#  4. --loco-pred-file reads --loco-pred-out's predictions back: the scan (and its chunks, merged) equals the one
#     that wrote them byte for byte; a file of another trait, missing a scan sample, without its #TRAIT line or
#     with a damaged value is refused with the file and line named.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
"$BCMS" simulate -o s.vcf.gz --samples 400 --variants 3000 --contigs 3 --seed 7 --families 40 \
    --pheno s.pheno.tsv --covar s.covar.tsv > /dev/null
"$BCMS" import -q s.bcms s.vcf.gz
awk 'BEGIN{srand(3)} NR==1{print $0 "\toff"; next} {printf "%s\t%.6f\n", $0, rand()*2-1}' s.pheno.tsv > p.tsv
a=(--pheno-file p.tsv --covar-file s.covar.tsv --covar sex,age_onset,PC1,PC2 --maf 0.05 -r 1:1-20000000)
"$BCMS" assoc s.bcms --model logistic --pheno binary_trait --offset off -o lo.tsv "${a[@]}" --threads 2 2> /dev/null
"$BCMS" assoc s.bcms --model cox --time time_to_edss6 --event edss6_event --offset off --cox-fit-p 2 -o co.tsv \
    "${a[@]}" --threads 2 2> /dev/null
# genotypes of the biallelic records (0/1/2, NA) for R
bcftools view -m2 -M2 -t 1:1-20000000 -Ou s.vcf.gz | bcftools query -f '%ID[\t%GT]\n' |
    awk '{printf "%s", $1; for (i=2;i<=NF;i++) {g=$i; gsub(/\|/,"/",g); split(g,x,"/"); printf "\t%s", (x[1]=="."?"NA":x[1]+x[2])} print ""}' > g.tsv
bcftools query -l s.vcf.gz > ids.txt
cat > cmp.R <<'RS'
suppressMessages(library(survival))
ids <- readLines("ids.txt")
g <- read.table("g.tsv", sep = "\t", header = FALSE, na.strings = "NA", row.names = NULL)
gid <- g[, 1]; G <- as.matrix(g[, -1]); colnames(G) <- ids
ph <- read.table("p.tsv", header = TRUE, comment.char = "", na.strings = c("NA", "-9"))
names(ph)[1] <- "IID"
cv <- read.table("s.covar.tsv", header = TRUE, comment.char = "")
names(cv)[1] <- "IID"
d <- merge(ph, cv, by = "IID")
d <- d[match(ids, d$IID), ]
worst <- c(lb = 0, ls = 0, cb = 0, cs = 0, cp = 0)
rel <- function(a, b) abs(a - b) / max(abs(b), 1e-3)
lo <- read.table("lo.tsv", header = TRUE, comment.char = "")
co <- read.table("co.tsv", header = TRUE, comment.char = "")
dup <- unique(gid[duplicated(gid)])
n <- 0
for (k in seq_len(nrow(lo))) {
    id <- lo$ID[k]; j <- which(gid == id)
    if (length(j) != 1 || id %in% dup || lo$ERRCODE[k] != "." || lo$FIRTH[k] != "N") next
    d$x <- G[j, ]
    f <- glm(I(binary_trait == 2) ~ x + sex + age_onset + PC1 + PC2, data = d, family = binomial, offset = off)
    s <- summary(f)$coefficients["x", ]
    worst["lb"] <- max(worst["lb"], rel(lo$BETA[k], s[1])); worst["ls"] <- max(worst["ls"], rel(lo$SE[k], s[2]))
    c <- co[co$ID == id, ]
    if (nrow(c) == 1 && c$ERRCODE == ".") {
        fc <- coxph(Surv(time_to_edss6, edss6_event) ~ x + sex + age_onset + PC1 + PC2 + offset(off), data = d,
                    ties = "efron")
        f0 <- coxph(Surv(time_to_edss6, edss6_event) ~ sex + age_onset + PC1 + PC2 + offset(off),
                    data = d[!is.na(d$x), ], ties = "efron")
        lrt <- pchisq(2 * (fc$loglik[2] - f0$loglik[2]), 1, lower.tail = FALSE)
        worst["cb"] <- max(worst["cb"], rel(c$BETA, coef(fc)["x"]))
        worst["cs"] <- max(worst["cs"], rel(c$SE_WALD, sqrt(vcov(fc)["x", "x"])))
        worst["cp"] <- max(worst["cp"], rel(c$P_LRT, lrt))
    }
    n <- n + 1
    if (n >= 25) break
}
cat(sprintf("compared %d variants; worst relative differences: %s\n", n,
            paste(names(worst), signif(worst, 3), collapse = " ")))
quit(status = if (n >= 20 && all(worst < 1e-4)) 0 else 1)
RS
check "logistic and Cox --offset equal R glm/coxph offset (BETA, SE, Cox LRT p to 1e-4)" Rscript cmp.R

# out of sample: change sample 5's phenotype (a case <-> control flip); its own predictions stay
l=(--pheno-file p.tsv --covar-file s.covar.tsv --covar sex,age_onset,PC1,PC2 --maf 0.05)
sid=$(awk -F'\t' 'NR==6 {print $1}' p.tsv)
awk -F'\t' -v OFS='\t' -v s="$sid" '$1==s {$3 = ($3==2 ? 1 : 2)} 1' p.tsv > q.tsv
for f in p q; do
    for k in 5 0; do
        "$BCMS" assoc s.bcms --model logistic --pheno binary_trait --loco-pred --loco-folds $k --loco-pred-out $f$k.pred \
            -o $f$k.tsv --pheno-file $f.tsv --covar-file s.covar.tsv --covar sex,age_onset,PC1,PC2 --threads 2 \
            --maf 0.05 2> /dev/null
    done
done
own() { awk -F'\t' -v s="$sid" '$1==s' "$1"; }
check "the changed sample's own cross-validated predictions do not change" test "$(own p5.pred)" = "$(own q5.pred)"
others() { awk -F'\t' -v s="$sid" '$1!=s && $1!="#SCALE" && $1!="#IID"' "$1" | md5sum; }
check "other samples' cross-validated predictions do change" test "$(others p5.pred)" != "$(others q5.pred)"
check "the in-sample BLUP of the changed sample does change" test "$(own p0.pred)" != "$(own q0.pred)"
check "a prediction per chromosome and one over all autosomes" \
    test "$(head -1 p5.pred)" = "$(printf '#IID\tLOCO_1\tLOCO_2\tLOCO_3\tALL')"
# the chromosome-2 rows of the LOCO scan = a scan offset by 0.5 (--loco-shrink) x SCALE_2 x LOCO_2
awk -F'\t' 'NR==2 {s=$3} NR>2 {printf "%s\t%.10g\n", $1, 0.5*s*$3}' p5.pred | sort > o2.tsv
sort -k1,1 p.tsv | join -t $'\t' - o2.tsv | awk 'BEGIN{print "#IID\tseverity\tbinary_trait\ttime_to_edss6\tedss6_event\toff\tloco2"} 1' > p2.tsv
"$BCMS" assoc s.bcms --model logistic --pheno binary_trait --offset loco2 -r 2 -o off2.tsv --pheno-file p2.tsv \
    --covar-file s.covar.tsv --covar sex,age_onset,PC1,PC2 --maf 0.05 --threads 2 2> /dev/null
diffp() { # max |log10 p| difference of two scans' common rows
    paste <(awk -F'\t' '$1=="2" {print $13}' "$1") <(awk -F'\t' 'NR>1 {print $13}' "$2") |
        awk '{d=$1-$2; if (d<0) d=-d; r=d/($2>1e-12?$2:1e-12); if (r>m) m=r} END{print m+0}'
}
r=$(diffp p5.tsv off2.tsv)
check "LOCO scan of chromosome 2 = --offset 0.5 SCALE x LOCO_2 scan (max relative p difference $r < 1e-6)" \
    awk -v r="$r" 'BEGIN{exit !(r < 1e-6)}'
"$BCMS" assoc s.bcms --model logistic --pheno binary_trait --loco-pred -o t1.tsv "${l[@]}" --threads 1 2> /dev/null
check "--loco-pred output identical at 1 and 2 threads" cmp -s t1.tsv p5.tsv
"$BCMS" assoc s.bcms --model cox --time time_to_edss6 --event edss6_event --loco-pred --loco-pred-out c.pred \
    -o c.tsv "${l[@]}" --threads 2 2> /dev/null
check "Cox --loco-pred runs and scales its predictions" awk -F'\t' '$1=="#SCALE" {ok = ($2 != 0)} END{exit !ok}' c.pred
# Cox's default share is 0.75 (logistic's 0.5): its chromosome-2 rows = --offset 0.75 SCALE_2 x LOCO_2
awk -F'\t' 'NR==2 {s=$3} NR>2 {printf "%s\t%.10g\n", $1, 0.75*s*$3}' c.pred | sort > c2.tsv
sort -k1,1 p.tsv | join -t $'\t' - c2.tsv | awk 'BEGIN{print "#IID\tseverity\tbinary_trait\ttime_to_edss6\tedss6_event\toff\tloco2"} 1' > pc2.tsv
"$BCMS" assoc s.bcms --model cox --time time_to_edss6 --event edss6_event --offset loco2 -r 2 -o coff2.tsv \
    --pheno-file pc2.tsv --covar-file s.covar.tsv --covar sex,age_onset,PC1,PC2 --maf 0.05 --threads 2 2> /dev/null
r=$(diffp c.tsv coff2.tsv)
check "Cox LOCO scan of chromosome 2 = --offset 0.75 SCALE x LOCO_2 scan (max relative p difference $r < 1e-6)" \
    awk -v r="$r" 'BEGIN{exit !(r < 1e-6)}'

# 4. the predictions read back
"$BCMS" assoc s.bcms --model logistic --pheno binary_trait --loco-pred-file p5.pred -o f5.tsv "${l[@]}" --threads 2 \
    2> /dev/null
check "--loco-pred-file: the logistic scan equals the one that wrote the predictions" cmp -s f5.tsv p5.tsv
for k in 1 2; do
    "$BCMS" assoc s.bcms --model logistic --pheno binary_trait --loco-pred-file p5.pred --chunk $k/2 -o f5.$k.tsv \
        "${l[@]}" --threads 1 2> /dev/null
done
"$BCMS" merge -o f5.m.tsv f5.1.tsv f5.2.tsv 2> /dev/null
check "--loco-pred-file: two chunks merged equal the whole scan" cmp -s f5.m.tsv p5.tsv
"$BCMS" assoc s.bcms --model cox --time time_to_edss6 --event edss6_event --loco-pred-file c.pred -o cf.tsv \
    "${l[@]}" --threads 2 2> /dev/null
check "--loco-pred-file: the Cox scan equals the one that wrote the predictions" cmp -s cf.tsv c.tsv
# a subset of the samples: the file's rows of the other samples are ignored
awk -F'\t' 'NR > 1 && NR <= 301 {print $1}' p.tsv > keep.txt
"$BCMS" assoc s.bcms --model logistic --pheno binary_trait --loco-pred-file p5.pred --keep keep.txt -o fk.tsv "${l[@]}" \
    2> /dev/null
ns=$(awk -F'\t' '$1 == "pheno" {sub("samples=", "", $3); print $3}' fk.tsv.log)
check "--loco-pred-file with --keep (a subset of the file's samples) scans that subset ($ns samples)" \
    test -s fk.tsv -a "${ns:-0}" -gt 250 -a "${ns:-0}" -le 300
refused() { # label expected-message-part args...
    local label=$1 msg=$2 st=0; shift 2
    "$BCMS" assoc s.bcms "$@" "${l[@]}" -o bad.tsv 2> bad.err || st=$?
    check "$label" test $st -ne 0 -a ! -e bad.tsv
    check "$label: the message says so" grep -q -- "$msg" bad.err
}
refused "--loco-pred-file of a logistic trait for a Cox scan is refused" "predictions of trait 'binary_trait'" \
    --model cox --time time_to_edss6 --event edss6_event --loco-pred-file p5.pred
awk -v s="$sid" -F'\t' '$1 != s' p5.pred > miss.pred
refused "--loco-pred-file without a scan sample is refused" "no prediction for sample '$sid'" \
    --model logistic --pheno binary_trait --loco-pred-file miss.pred
grep -v '^#TRAIT' p5.pred > notrait.pred
refused "--loco-pred-file without #TRAIT is refused" "no #TRAIT line" \
    --model logistic --pheno binary_trait --loco-pred-file notrait.pred
awk -F'\t' -v OFS='\t' 'NR == 10 {$3 = "0.1x"} 1' p5.pred > dam.pred
refused "--loco-pred-file with a damaged value names its line" "dam.pred line 10" \
    --model logistic --pheno binary_trait --loco-pred-file dam.pred
finish
