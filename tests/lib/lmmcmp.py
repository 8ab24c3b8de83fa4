#!/usr/bin/env python3
"""lmmcmp.py GEMMA.assoc.txt BCMS.tsv BETA_TOL P_TOL
Compare a GEMMA -lmm 4 table with `bcms assoc --model lmm` on the variants both tested (matched on
chromosome, position and ID): BETA and SE within BETA_TOL relative (with an absolute floor of
BETA_TOL x 1e-3), p_wald/p_lrt/p_score within P_TOL relative, and l_remle within 1e-4 relative.
Prints the worst differences. Exit 1 on failure or when fewer than 90% of GEMMA's variants matched."""
import sys


def rel(a, b, floor=0.0):
    return abs(a - b) / max(abs(b), floor, 1e-300)


def main():
    g = {}
    with open(sys.argv[1]) as f:
        head = f.readline().split()
        for line in f:
            r = dict(zip(head, line.split()))
            g[(r['chr'], r['ps'], r['rs'])] = r
    bt, pt = float(sys.argv[3]), float(sys.argv[4])
    worst = {k: 0.0 for k in ('beta', 'se', 'p_wald', 'p_lrt', 'p_score', 'l_remle', 'l_mle')}
    n = 0
    with open(sys.argv[2]) as f:
        head = f.readline().split()
        for line in f:
            r = dict(zip(head, line.split()))
            q = g.get((r['CHROM'], r['POS'], r['ID']))
            if not q or r['BETA'] == 'NA':
                continue
            n += 1
            worst['beta'] = max(worst['beta'], rel(float(r['BETA']), float(q['beta']), 1e-3 * abs(float(q['se']))))
            worst['se'] = max(worst['se'], rel(float(r['SE']), float(q['se'])))
            for a, b in (('P', 'p_wald'), ('P_LRT', 'p_lrt'), ('P_SCORE', 'p_score')):
                worst[b] = max(worst[b], rel(float(r[a]), float(q[b])))
            worst['l_remle'] = max(worst['l_remle'], rel(float(r['LAMBDA_REML']), float(q['l_remle'])))
            worst['l_mle'] = max(worst['l_mle'], rel(float(r['LAMBDA_ML']), float(q['l_mle'])))
    print(f"{n} of {len(g)} GEMMA variants compared; worst relative differences: " +
          ", ".join(f"{k} {v:.2g}" for k, v in worst.items()))
    ok = n >= 0.9 * len(g) and worst['beta'] <= bt and worst['se'] <= bt and worst['l_remle'] <= 1e-4
    ok = ok and all(worst[k] <= pt for k in ('p_wald', 'p_lrt', 'p_score'))
    return 0 if ok else 1


sys.exit(main())
