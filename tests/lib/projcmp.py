#!/usr/bin/env python3
"""projcmp.py BCMS.eigenvec PLINK.sscore PLINK.eigenval M TOL
bcms pca --project against plink2's projection: plink2 --score of its --pca allele-wts weights
(variance-standardize, no-mean-imputation, cols=+scoresums) gives PCj_SUM = m sqrt(lambda_j) s_j
for a sample's coordinate s_j on the scale of .eigenvec (m the variants). Every sample's bcms value
must equal PCj_SUM / (m sqrt(lambda_j)) within TOL (absolute), up to the sign of each PC (fixed by
the sum of products). Exit 1 on failure."""
import math
import sys


def main():
    rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith('#')]
    b = {r[0]: [float(x) for x in r[1:]] for r in rows}
    lines = [l.split() for l in open(sys.argv[2]) if l.strip()]
    head = lines[0]
    ev = [float(l) for l in open(sys.argv[3]) if l.strip()]
    m, tol = float(sys.argv[4]), float(sys.argv[5])
    k = len(ev)
    cols = [head.index('PC%d_SUM' % (j + 1)) for j in range(k)]
    p = {r[0]: [float(r[c]) / (m * math.sqrt(ev[j])) for j, c in enumerate(cols)] for r in lines[1:]}
    if sorted(p) != sorted(b):
        print("different samples: %d in bcms, %d in plink2" % (len(b), len(p)))
        return 1
    worst = 0.0
    for j in range(k):
        sign = 1.0 if sum(b[s][j] * p[s][j] for s in b) >= 0 else -1.0
        worst = max(worst, max(abs(b[s][j] - sign * p[s][j]) for s in b))
    print("projection: %d samples x %d PCs, worst absolute difference %.3g" % (len(b), k, worst))
    return 0 if worst <= tol else 1


if __name__ == '__main__':
    sys.exit(main())
