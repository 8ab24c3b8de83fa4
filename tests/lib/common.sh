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
# MPI runs: have_mpi says whether this bcms was built with MPI and mpirun exists; mpi_setup exports
# what Open MPI needs here (CI runs as root; oversubscribed cores; LeakSanitizer off for the MPI runs:
# Open MPI's own allocations at init are not bcms leaks) and sets MPI=(mpirun ...).
have_mpi() { ldd "$BCMS" | grep -q libmpi && command -v mpirun > /dev/null; }
mpi_setup() {
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    MPI=(mpirun --oversubscribe --bind-to none)
}
# The prologue of a test that is only MPI: skip (and say so) without MPI, else mpi_setup.
mpi_or_skip() {
    if ! have_mpi; then
        echo "SKIP: bcms built without MPI or no mpirun (apt-get install libopenmpi-dev openmpi-bin)"; exit 0
    fi
    mpi_setup
}
