#!/usr/bin/env bash
# Population structure and relatedness, bcms beside its peers in one run, on a simulated structured
# cohort (isolate + mainland, nuclear families, cryptic relatives):
#   bcms pca (exact, --approx)  vs  plink2 --pca K meanimpute (exact, approx)
#   bcms kinship                vs  plink2 --make-king-table counts (pairs with KINSHIP >= 0.0442 written)
#   bcms assoc --model lmm      vs  GEMMA -lmm 4 on the same GRM (bcms at 1 and T threads; GEMMA is
#                                    single-threaded in its per-variant work) on an LMM-sized cohort
# Each pair alternates bcms / peer REPS times; the table gives the median wall seconds, the median
# CPU seconds (user + sys: on a shared machine the steadier figure), the median of the per-rep
# peer/bcms wall ratios and peak memory (/usr/bin/time -v's maximum resident set). Markdown goes to
# WORK/structure.md.
# Usage: benchmarks/structure.sh [--samples N] [--variants M] [--lmm-samples N2] [--lmm-variants M2]
#        [--threads T] [--pcs K] [--reps R] [--work DIR] [--no-lmm]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=10000 M=100000 N2=2000 M2=20000 T=2 K=10 R=1 WORK=$top/build/bench_structure LMM=1
while [ $# -gt 0 ]; do
    case $1 in
    --samples) N=$2; shift 2 ;; --variants) M=$2; shift 2 ;; --lmm-samples) N2=$2; shift 2 ;;
    --lmm-variants) M2=$2; shift 2 ;; --threads) T=$2; shift 2 ;; --pcs) K=$2; shift 2 ;; --reps) R=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;; --no-lmm) LMM=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
BCMS=${BCMS:-$top/build/bcms}
source "$top/benchmarks/lib/cohort.sh"
mkdir -p "$WORK" && cd "$WORK"

# cohort -> store -> (the store's biallelic rows with unique IDs) -> plink2 pgen / GEMMA bed
prepare() { # tag samples variants families relatives
    local t=$1
    [ -e "$t.vcf.gz" ] || "$BCMS" simulate -o "$t.vcf.gz" -n "$2" -m "$3" --seed 71 --fst 0.05 --families "$4" \
        --relatives "$5" --pheno "$t.pheno.tsv" --threads "$T" 2>/dev/null
    if [ ! -d "$t.bcms" ]; then
        unique_store "$t" "$T"
    fi
    [ -e "$t.pgen" ] || plink2 --vcf "$t.u.vcf.gz" --make-pgen --threads "$T" --out "$t" >/dev/null
}
timeit() { # label command...: appends "label wall-seconds peakKB cpu-seconds" to times.txt
    local label=$1; shift
    /usr/bin/time -f "%e %M %U %S" -o time.txt "$@" >/dev/null 2>cmd.err || { echo "FAILED: $label" >&2; cat cmd.err >&2; exit 1; }
    awk -v l="$label" '{print l, $1, $2, $3 + $4}' time.txt >>times.txt
}
: >times.txt
prepare big "$N" "$M" $((N / 40)) $((N / 40))
for r in $(seq "$R"); do
    timeit "pca_bcms" "$BCMS" pca big.bcms --pcs "$K" --maf 0.01 --threads "$T" -o b.pca
    timeit "pca_plink2" plink2 --pfile big --maf 0.01 --pca "$K" meanimpute --threads "$T" --out p.pca
    timeit "pca_approx_bcms" "$BCMS" pca big.bcms --pcs "$K" --maf 0.01 --approx --threads "$T" -o ba.pca
    timeit "pca_approx_plink2" plink2 --pfile big --maf 0.01 --pca "$K" approx meanimpute --threads "$T" --out pa.pca
    timeit "kinship_bcms" "$BCMS" kinship big.bcms --min-kinship 0.0442 --threads "$T" -o b.kin
    timeit "kinship_plink2" plink2 --pfile big --make-king-table counts cols=id,nsnp,hethet,ibs0,ibs1,kinship \
        --king-table-filter 0.0442 --threads "$T" --out p.kin
done
{
    echo "exact bcms vs plink2: $(python3 "$top/tests/lib/eigcmp.py" b.pca.eigenvec p.pca.eigenvec b.pca.eigenval p.pca.eigenval 5e-6 0.9999)"
    echo "approx bcms vs plink2 approx: $(python3 "$top/tests/lib/eigcmp.py" ba.pca.eigenvec pa.pca.eigenvec ba.pca.eigenval pa.pca.eigenval 1e-3 0.999)"
    echo "approx plink2 vs exact plink2: $(python3 "$top/tests/lib/eigcmp.py" pa.pca.eigenvec p.pca.eigenvec pa.pca.eigenval p.pca.eigenval 1e-3 0.999)"
    echo "approx bcms vs exact plink2: $(python3 "$top/tests/lib/eigcmp.py" ba.pca.eigenvec p.pca.eigenvec ba.pca.eigenval p.pca.eigenval 1e-3 0.999)"
} >agree.txt 2>&1 || true

# LMM: one GRM (bcms grm, also handed to GEMMA as text), then the scans
if [ "$LMM" = 1 ]; then
prepare lmm "$N2" "$M2" $((N2 / 40)) $((N2 / 40))
"$BCMS" grm lmm.bcms --maf 0.01 --geno 0.05 --threads "$T" -o lmm.k.txt 2>/dev/null
[ -e lmm.bed ] || plink2 --pfile lmm --make-bed --out lmm >/dev/null
awk 'NR == FNR {if (FNR > 1) p[$1] = ($2 == "NA" ? "-9" : $2); next} {$6 = ($2 in p) ? p[$2] : -9; print}' \
    lmm.pheno.tsv lmm.fam >lmm.fam.t && mv lmm.fam.t lmm.fam
for r in $(seq "$R"); do
    timeit "lmm_bcms_1t" "$BCMS" assoc lmm.bcms --model lmm --pheno severity --maf 0.01 --geno 0.05 --threads 1 -o l1.tsv
    timeit "lmm_gemma" gemma -bfile lmm -k lmm.k.txt -lmm 4 -o lmm_gemma
    timeit "lmm_bcms_${T}t" "$BCMS" assoc lmm.bcms --model lmm --pheno severity --maf 0.01 --geno 0.05 --threads "$T" -o lT.tsv
done
python3 "$top/tests/lib/lmmcmp.py" output/lmm_gemma.assoc.txt lT.tsv 1e-5 1e-4 >>agree.txt || true
fi

median() { sort -g | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "NA"}'; }
med() { awk -v k="$1" -v c="${2:-2}" '$1 == k {print $c}' times.txt | median; }
mem() { awk -v k="$1" '$1 == k {if ($3 > m) m = $3} END {printf "%.0f", m / 1024}' times.txt; }
ratio() { # median over reps of peer/bcms wall seconds (the r-th run of each key pairs up)
    awk -v b="$1" -v p="$2" '$1 == b {x[++nb] = $2} $1 == p {y[++np] = $2} END {for (i = 1; i <= nb && i <= np; i++) printf "%.3f\n", y[i] / x[i]}' times.txt | median
}
row() { # label bcms-key peer-key
    printf "| %s | %s s, cpu %s s (%s MB) | %s s, cpu %s s (%s MB) | %s |\n" "$1" "$(med "$2")" "$(med "$2" 4)" \
        "$(mem "$2")" "$(med "$3")" "$(med "$3" 4)" "$(mem "$3")" "$(ratio "$2" "$3")"
}
{
    echo "structure.sh: $N samples x $M variants (LMM: $N2 x $M2), $T threads, $K PCs, $R rep(s), $(date -u +%F)"
    echo
    echo "Machine: $(nproc) cores shared with other jobs (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))."
    echo
    echo "| task | bcms | peer | peer / bcms (median of runs) |"
    echo "|---|---|---|---|"
    row "PCA exact vs plink2 --pca" pca_bcms pca_plink2
    row "PCA approx vs plink2 --pca approx" pca_approx_bcms pca_approx_plink2
    row "KING kinship vs plink2 --make-king-table" kinship_bcms kinship_plink2
    [ "$LMM" = 0 ] || row "LMM (1 thread) vs GEMMA -lmm 4" lmm_bcms_1t lmm_gemma
    [ "$LMM" = 0 ] || row "LMM ($T threads) vs GEMMA -lmm 4" "lmm_bcms_${T}t" lmm_gemma
    echo
    sed 's/^/    /' agree.txt
} | tee structure.md
