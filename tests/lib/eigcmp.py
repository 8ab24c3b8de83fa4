#!/usr/bin/env python3
"""eigcmp.py A.eigenvec B.eigenvec A.eigenval B.eigenval VAL_TOL COR_MIN [GAP]
Compare two PCA results (PLINK 2 layout: #IID PC1.. / one eigenvalue a line): same IIDs in the same
order, eigenvalues within VAL_TOL relative, and |correlation| >= COR_MIN for every component whose
eigenvalue is separated from its neighbours by more than GAP (relative; default 1e-3): the others are
in the noise floor, where near-equal eigenvalues leave the vectors undetermined. Exit 1 on failure."""
import math
import sys


def table(path):
    rows = [l.split() for l in open(path) if l.strip() and not l.startswith('#')]
    return [r[0] for r in rows], [[float(x) for x in r[1:]] for r in rows]


def main():
    a_ids, a = table(sys.argv[1])
    b_ids, b = table(sys.argv[2])
    va = [float(l) for l in open(sys.argv[3]) if l.strip()]
    vb = [float(l) for l in open(sys.argv[4]) if l.strip()]
    tol, cmin = float(sys.argv[5]), float(sys.argv[6])
    gap = float(sys.argv[7]) if len(sys.argv) > 7 else 1e-3
    ok = a_ids == b_ids and len(va) == len(vb)
    if not ok:
        print("different samples or component counts")
        return 1
    worst_val = max(abs(x - y) / abs(y) for x, y in zip(va, vb))
    k = len(va)
    n = len(a)
    checked, worst_cor = 0, 1.0
    for j in range(k):
        lo = va[j + 1] if j + 1 < k else 0.0
        hi = va[j - 1] if j > 0 else math.inf
        sep = min(hi - va[j], va[j] - lo) / va[j] if j + 1 < k else (hi - va[j]) / va[j]
        if sep <= gap:
            continue
        x = [r[j] for r in a]
        y = [r[j] for r in b]
        mx, my = sum(x) / n, sum(y) / n
        sxy = sum((p - mx) * (q - my) for p, q in zip(x, y))
        sxx = sum((p - mx) ** 2 for p in x)
        syy = sum((q - my) ** 2 for q in y)
        c = abs(sxy) / math.sqrt(sxx * syy)
        worst_cor = min(worst_cor, c)
        checked += 1
    print(f"eigenvalues: worst relative difference {worst_val:.3g}; eigenvectors: {checked} of {k} above the "
          f"noise floor, worst |correlation| {worst_cor:.8f}")
    return 0 if worst_val <= tol and worst_cor >= cmin and checked > 0 else 1


sys.exit(main())
