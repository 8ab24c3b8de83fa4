# benchmarks/lib/cohort.sh: sourced by the structure and mixed-model benchmarks. GPL-3.0-or-later.
# unique_store TAG THREADS: TAG.vcf.gz (made by the caller with bcms simulate) -> TAG.bcms holding
# the store's biallelic rows with unique IDs (CHR:POS:REF:FIRST_ALT, which GEMMA and plink2 match on),
# and TAG.u.vcf.gz, the VCF of those rows for the peers. TAG.pheno.tsv is stored when it exists.
unique_store() {
    local t=$1 T=$2
    "$BCMS" import -q "$t.raw.bcms" "$t.vcf.gz" --threads "$T" 2> /dev/null
    "$BCMS" view "$t.raw.bcms" -O v 2> /dev/null | bcftools annotate --set-id '%CHROM:%POS:%REF:%FIRST_ALT' -Oz \
        -o "$t.u.vcf.gz" --threads "$T"
    "$BCMS" import -q "$t.bcms" "$t.u.vcf.gz" --threads "$T" 2> /dev/null
    [ ! -e "$t.pheno.tsv" ] || "$BCMS" pheno "$t.bcms" "$t.pheno.tsv" 2> /dev/null
    rm -rf "$t.raw.bcms"
}
