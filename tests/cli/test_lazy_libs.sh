#!/usr/bin/env bash
# OpenBLAS and cairo opened on first use (CMake BCMS_BLAS_DLOPEN, BCMS_CAIRO_DLOPEN): the binary does not
# link them, commands that need neither never load them, and a library that is there but is not the
# one expected (a stand-in without its symbols, found first through LD_LIBRARY_PATH) gives a clear
# error naming it, exit status 1 and no output, for a plot (cairo) and for pca (OpenBLAS: opened at
# start, where the CPU's kernels are picked). A build that links them skips the checks.
source "$(dirname "$0")/../lib/common.sh"
cd "$BCMS_TMP"
d=$BCMS_SRC/data-samples
needed=$(readelf -d "$BCMS" | awk '/NEEDED/{print $NF}')
if grep -q -e libopenblas -e libcairo <<< "$needed"; then
    echo "skip: this bcms links OpenBLAS or cairo"
    finish
    exit 0
fi
"$BCMS" import -q s.bcms "$d/sardinia.vcf.gz" --cohort sardinia
"$BCMS" assoc s.bcms --model linear --pheno-file "$d/sardinia.pheno.tsv" --pheno severity -o lin.tsv 2> /dev/null
# a scan maps neither library
"$BCMS" assoc s.bcms --model linear --pheno-file "$d/sardinia.pheno.tsv" --pheno severity -o lin2.tsv 2> /dev/null &
pid=$!
: > mapped
seen=0
while kill -0 $pid 2> /dev/null; do
    grep -h -e libopenblas -e libcairo -e liblmdb /proc/$pid/maps >> mapped 2> /dev/null || true
    seen=$((seen + 1))
done
wait $pid
check "the scan's libraries were seen ($seen looks)" grep -q liblmdb mapped
check "a scan loads neither OpenBLAS nor cairo" bash -c '! grep -q -e libopenblas -e libcairo mapped'

check "the scan's output is the same" cmp -s lin.tsv lin2.tsv
# the real libraries work (the other tests check their outputs)
"$BCMS" plot manhattan lin.tsv -o ok.png 2> /dev/null
check "plot draws with the real cairo" test -s ok.png

# stand-ins: shared objects of the right names without the symbols
mkdir -p fake
echo 'int bcms_stand_in;' > fake/f.c
cc -shared -fPIC -o fake/libcairo.so.2 fake/f.c
cp fake/libcairo.so.2 fake/libopenblas.so.0
rc=0
LD_LIBRARY_PATH=$PWD/fake "$BCMS" plot manhattan lin.tsv -o bad.png 2> plot.err || rc=$?
check "plot without a usable cairo exits 1 (got $rc)" [ $rc -eq 1 ]
check "plot without a usable cairo names it" grep -q "cannot open libcairo.so.2.*no cairo_" plot.err
check "plot without a usable cairo writes nothing" bash -c '! ls bad.png* 2> /dev/null'
rc=0
LD_LIBRARY_PATH=$PWD/fake "$BCMS" pca s.bcms -o badpca 2> pca.err || rc=$?
check "pca without a usable OpenBLAS exits 1 (got $rc)" [ $rc -eq 1 ]
check "pca without a usable OpenBLAS names it" grep -q "libopenblas.so.0 has no cblas_" pca.err
check "pca without a usable OpenBLAS writes nothing" bash -c '! ls badpca* 2> /dev/null'
# commands that need neither run with the stand-ins first in the path
LD_LIBRARY_PATH=$PWD/fake "$BCMS" assoc s.bcms --model linear --pheno-file "$d/sardinia.pheno.tsv" --pheno severity \
    -o lin3.tsv 2> /dev/null
check "a scan runs with the stand-ins in the path, same output" cmp -s lin.tsv lin3.tsv
finish
