# Shared helpers for the CLI tests (sourced). Environment from ctest: BCMS (binary), BCMS_SRC (tree),
# BCMS_PEER (peer-data folder), BCMS_TMP (scratch folder of this test).
set -euo pipefail
: "${BCMS:?set BCMS to the bcms binary}" "${BCMS_SRC:?}" "${BCMS_TMP:?}"
BCMS_PEER=${BCMS_PEER:-$BCMS_SRC/../shared/peer-data}
rm -rf "$BCMS_TMP" && mkdir -p "$BCMS_TMP"
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check "description" command...
    local d=$1; shift
    if "$@"; then pass "$d"; else fail "$d"; fi
}
finish() {
    if [ "$fails" -gt 0 ]; then echo "$fails check(s) failed"; exit 1; fi
    echo "all checks passed"
}
# A stable digest of a store's logical content (not its pages): info without times and sizes.
store_digest() {
    if [ ! -d "$1" ]; then echo "absent"; return; fi
    "$BCMS" info "$1" 2>&1 | grep -v -E '^(disk_bytes|bytes_per_genotype|store)' | md5sum | cut -d' ' -f1
}
# Genotype table of a VCF, split like `bcftools norm -m-`, with unphased hets ordered (0/1 == 1/0).
gt_table() { # file [bcftools options]
    local f=$1; shift
    bcftools norm -m- "$f" 2>/dev/null | bcftools query "$@" -f '%CHROM\t%POS\t%ID\t%REF\t%ALT\t%FILTER[\t%GT]\n' |
        awk 'BEGIN{OFS="\t"} {for(i=7;i<=NF;i++) if ($i ~ /^[0-9.]+\/[0-9.]+$/) {split($i,a,"/"); x=(a[1]=="."?-1:a[1]); y=(a[2]=="."?-1:a[2]); if (x>y) $i=a[2]"/"a[1]} print}'
}
