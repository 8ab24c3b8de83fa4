/* cox_null.c: options, the null model fit and the per-variant precomputation, workspaces.
 * bcms, GPL-3.0-or-later.
 *
 * The efficient score test needs, per variant x (shift-invariant, so raw 0/1/2 codes do):
 *   U    = sum_i x_i M_i                                 M: Efron martingale residuals
 *   I_xx = sum_i x_i^2 E_i - sum_j [A_j S1_j^2 - 2 B_j S1_j D1_j + C_j D1_j^2]
 *   I_xC = sum_i x_i H_i
 * with E_i = w_i sum_{j at risk} sum_r a_ijr / S0_jr (the Efron expected count), S1_j / D1_j the
 * risk-set / death sums of w x at event time j, S0_jr = S0_j - (r/d_j) D0_j, A_j, B_j, C_j =
 * sum_r {1, f_r, f_r^2} / S0_jr^2 (f_r = r/d_j), and H_i = E_i C_i - w_i sum_{j at risk} P_j
 * + delta_i w_i Q_{j(i)}, P_j = S1C_j A_j - D1C_j B_j, Q_j = S1C_j B_j - D1C_j C_j. Storing
 * Ht_i = L^-1 H_i (I_CC = L L') makes I_xC I_CC^-1 I_Cx = |sum_i x_i Ht_i|^2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cox_internal.h"
#include "err.h"

void cox_opts_init(cox_opts_t *o)
{
    o->eps = 1e-9;
    o->iter_max = 20;
    o->toler_inf = sqrt(1e-9);
    o->fit_pmax = 1e-4;
    o->onestep_max = 1.0;
    o->onestep_fit_pmax = 0.05;
    o->spa = 1;
    o->spa_zmin = 2.0;
}

int cox_opts_check(const cox_opts_t *o)
{
    if (!o) return bcms_err(BCMS_EINVAL, "cox: no options");
    if (!(o->eps > 0 && o->eps < 1e-2))
        return bcms_err(BCMS_EINVAL, "cox: eps must be in (0, 0.01), got %g", o->eps);
    if (o->iter_max < 1 || o->iter_max > 1000)
        return bcms_err(BCMS_EINVAL, "cox: iter_max must be in 1..1000, got %d", o->iter_max);
    if (!(o->toler_inf > 0))
        return bcms_err(BCMS_EINVAL, "cox: toler_inf must be > 0, got %g", o->toler_inf);
    if (!(o->fit_pmax >= 0))
        return bcms_err(BCMS_EINVAL, "cox: fit p threshold must be >= 0, got %g", o->fit_pmax);
    if (!(o->onestep_fit_pmax >= 0 && o->onestep_fit_pmax <= 1))
        return bcms_err(BCMS_EINVAL, "cox: onestep_fit_pmax must be in [0, 1], got %g", o->onestep_fit_pmax);
    if (!(o->onestep_max > 0))
        return bcms_err(BCMS_EINVAL, "cox: onestep_max must be > 0, got %g", o->onestep_max);
    if (!(o->spa_zmin >= 0))
        return bcms_err(BCMS_EINVAL, "cox: spa_zmin must be >= 0, got %g", o->spa_zmin);
    return 0;
}

void cox_null_free(cox_null_t *nm)
{
    if (!nm) return;
    free(nm->gidx); free(nm->off); free(nm->lo); free(nm->hi); free(nm->ev); free(nm->strat); free(nm->event);
    free(nm->sofs); free(nm->cc); free(nm->cmean); free(nm->csd); free(nm->beta); free(nm->var);
    free(nm->beta_raw); free(nm->var_raw);
    free(nm->rec); free(nm->w); free(nm->m); free(nm->e); free(nm->ht); free(nm->qa); free(nm->qb); free(nm->qc);
    free(nm->gk); free(nm->gks); free(nm->gex); free(nm->qap); free(nm->jstrat);
    free(nm->cell); free(nm->zzinv);
    free(nm);
}

int cox_null_n(const cox_null_t *nm) { return nm->n; }
int cox_null_k(const cox_null_t *nm) { return nm->k; }
int cox_null_n_events(const cox_null_t *nm) { return nm->n_event; }
int cox_null_iter(const cox_null_t *nm) { return nm->iter; }
double cox_null_loglik(const cox_null_t *nm) { return nm->loglik; }
const double *cox_null_coef(const cox_null_t *nm) { return nm->beta_raw; }
const double *cox_null_var(const cox_null_t *nm) { return nm->var_raw; }
const double *cox_null_resid(const cox_null_t *nm) { return nm->m; }

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

typedef struct { int s; double t; } st_t;

static int cmp_st(const void *a, const void *b)
{
    const st_t *x = a, *y = b;
    if (x->s != y->s) return (x->s > y->s) - (x->s < y->s);
    return (x->t > y->t) - (x->t < y->t);
}

/* number of et[from..to) <= v */
static int upper_bound(const double *et, int from, int to, double v)
{
    int a = from, b = to;
    while (a < b) {
        int mid = a + (b - a) / 2;
        if (et[mid] <= v) a = mid + 1;
        else b = mid;
    }
    return a;
}

static void *xcalloc(size_t n, size_t sz, int *bad)
{
    if (n == 0) n = 1;
    void *p = calloc(n, sz);
    if (!p) *bad = 1;
    return p;
}

/* risk-set structure: strata, event times, lo/hi/ev per sample */
static int build_risk_sets(cox_null_t *nm, const cox_data_t *d)
{
    const int n = d->n;
    int bad = 0, rc = BCMS_ENOMEM;
    int *labels = xcalloc(n, sizeof(int), &bad);
    st_t *evs = xcalloc(n, sizeof(st_t), &bad);
    double *et = xcalloc(n, sizeof(double), &bad);
    if (bad) goto fail;
    if (d->strata) {
        memcpy(labels, d->strata, sizeof(int) * n);
        qsort(labels, n, sizeof(int), cmp_int);
        int u = 0;
        for (int i = 0; i < n; i++)
            if (i == 0 || labels[i] != labels[u - 1]) labels[u++] = labels[i];
        nm->ns = u;
        for (int i = 0; i < n; i++) {
            int *f = bsearch(&d->strata[i], labels, u, sizeof(int), cmp_int);
            nm->strat[i] = (int)(f - labels);
        }
    } else {
        nm->ns = 1;
    }
    int ne = 0;
    for (int i = 0; i < n; i++)
        if (d->event[i]) evs[ne++] = (st_t){nm->strat[i], d->time[i]};
    nm->n_event = ne;
    qsort(evs, ne, sizeof(st_t), cmp_st);
    nm->sofs = xcalloc(nm->ns + 1, sizeof(int), &bad);
    if (bad) goto fail;
    int J = 0;
    for (int q = 0; q < ne; q++) {
        if (J > 0 && evs[q].s == labels[J - 1] && evs[q].t == et[J - 1]) continue;
        et[J] = evs[q].t;
        labels[J] = evs[q].s; /* labels: now the stratum of event time J */
        J++;
    }
    nm->J = J;
    /* sofs[s] = first event-time index of stratum s */
    for (int s = 0, j = 0; s <= nm->ns; s++) {
        while (j < J && labels[j] < s) j++;
        nm->sofs[s] = j;
    }
    for (int i = 0; i < n; i++) {
        int s = nm->strat[i], a = nm->sofs[s], b = nm->sofs[s + 1];
        nm->hi[i] = upper_bound(et, a, b, d->time[i]);
        nm->lo[i] = d->entry ? upper_bound(et, a, b, d->entry[i]) : a;
        nm->ev[i] = d->event[i] ? nm->hi[i] - 1 : -1;
    }
    rc = 0;
fail:
    free(labels); free(evs); free(et);
    return rc;
}

/* per-variant quantities at the null estimates (see the comment at the top) */
static int precompute(cox_null_t *nm, double *rbuf, double *dbuf)
{
    const int n = nm->n, k = nm->k, J = nm->J, m = cox_eval_width(k), md = m + 1;
    int bad = 0, rc = BCMS_ENOMEM;
    double *hg = xcalloc((size_t)J * 2, sizeof(double), &bad);
    double *pq = xcalloc((size_t)J * 2 * (k ? k : 1), sizeof(double), &bad);
    double *u = xcalloc(k + 1, sizeof(double), &bad), *imat = xcalloc((size_t)k * k + 1, sizeof(double), &bad);
    double *h = xcalloc(k + 1, sizeof(double), &bad), *sp = xcalloc(k + 1, sizeof(double), &bad);
    if (bad) goto fail;
    double ll;
    cox_eval(nm, k, nm->cc, NULL, nm->beta, &ll, u, imat, rbuf, dbuf);
    nm->loglik = ll;
    for (int j = 0; j < J; j++) {
        const double *R = rbuf + (size_t)j * m, *D = dbuf + (size_t)j * md;
        int d = (int)D[m];
        double sh = 0, sg = 0, A = 0, B = 0, C = 0;
        for (int r = 0; r < d; r++) {
            double f = (double)r / d, s0 = R[0] - f * D[0], i2 = 1 / (s0 * s0);
            sh += 1 / s0;
            sg += f / s0;
            A += i2;
            B += f * i2;
            C += f * f * i2;
        }
        nm->qa[j] = A; nm->qb[j] = B; nm->qc[j] = C;
        hg[2 * j] = sh;
        hg[2 * j + 1] = sg;
        double *P = pq + (size_t)j * 2 * k, *Q = P + k;
        for (int c = 0; c < k; c++) {
            P[c] = R[1 + c] * A - D[1 + c] * B;
            Q[c] = R[1 + c] * B - D[1 + c] * C;
        }
    }
    /* inclusive prefix sums of h and P within each stratum (h into hg[2j], P into P) */
    for (int s = 0; s < nm->ns; s++)
        for (int j = nm->sofs[s] + 1; j < nm->sofs[s + 1]; j++) {
            hg[2 * j] += hg[2 * (j - 1)];
            double *P = pq + (size_t)j * 2 * k, *Pp = pq + (size_t)(j - 1) * 2 * k;
            for (int c = 0; c < k; c++) P[c] += Pp[c];
        }
    if (k && cox_chol(imat, k)) {
        rc = bcms_err(BCMS_ENUMERIC, "cox null model: covariate information matrix is singular");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        const double *ci = nm->cc + (size_t)i * k;
        double eta = nm->off[i];
        for (int c = 0; c < k; c++) eta += ci[c] * nm->beta[c];
        double w = exp(eta);
        nm->w[i] = w;
        int lo = nm->lo[i], hi = nm->hi[i], first = nm->sofs[nm->strat[i]];
        double E = 0;
        memset(h, 0, sizeof(double) * k);
        if (hi > lo) {
            double sumh = hg[2 * (hi - 1)] - (lo > first ? hg[2 * (lo - 1)] : 0);
            const double *P1 = pq + (size_t)(hi - 1) * 2 * k;
            const double *P0 = lo > first ? pq + (size_t)(lo - 1) * 2 * k : NULL;
            for (int c = 0; c < k; c++) sp[c] = P1[c] - (P0 ? P0[c] : 0);
            E = w * sumh;
            if (nm->event[i]) E -= w * hg[2 * nm->ev[i] + 1];
            for (int c = 0; c < k; c++) h[c] = E * ci[c] - w * sp[c];
            if (nm->event[i]) {
                const double *Q = pq + (size_t)nm->ev[i] * 2 * k + k;
                for (int c = 0; c < k; c++) h[c] += w * Q[c];
            }
        }
        nm->e[i] = E;
        nm->m[i] = nm->event[i] - E;
        cox_rec_t *rc = &nm->rec[i];
        rc->m = nm->m[i];
        rc->e = E;
        rc->w = w;
        rc->lo = hi > lo ? lo : 0;
        rc->hi = hi > lo ? hi : 0;
        rc->first = first;
        rc->ev = nm->event[i] ? nm->ev[i] : -1;
        rc->iadd = rc->hi ? rc->hi - 1 : J;
        rc->isub = rc->hi && rc->lo > first ? rc->lo - 1 : J;
        rc->idth = rc->hi && rc->ev >= 0 ? rc->ev : J;
        /* Ht_i = L^-1 H_i */
        double *t = nm->ht + (size_t)i * k;
        for (int a = 0; a < k; a++) {
            double s = h[a];
            for (int c = 0; c < a; c++) s -= imat[a * k + c] * t[c];
            t[a] = s / imat[a * k + a];
        }
    }
    rc = 0;
fail:
    free(hg); free(pq); free(u); free(imat); free(h); free(sp);
    return rc;
}

/* Centre and scale each covariate to unit SD: the likelihood is invariant (beta_c scales by the
 * SD), and the information matrix is then well conditioned whatever the units, so a birth date in
 * seconds beside a PC times 1e-4 is neither "singular" nor slow. A constant covariate is refused. */
static int scale_covariates(cox_null_t *nm, const cox_data_t *d)
{
    const int n = nm->n, k = nm->k;
    for (int c = 0; c < k; c++) {
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++) s += d->cov[(size_t)i * k + c];
        double mean = s / n;
        for (int i = 0; i < n; i++) {
            double t = d->cov[(size_t)i * k + c] - mean;
            ss += t * t;
        }
        double sd = sqrt(ss / n);
        if (!(sd > 0) || !(sd > 1e-12 * fabs(mean)))
            return bcms_err(BCMS_EINVAL, "cox null model: covariate %d is constant over the %d samples", c + 1, n);
        nm->cmean[c] = mean;
        nm->csd[c] = sd;
        for (int i = 0; i < n; i++) nm->cc[(size_t)i * k + c] = (d->cov[(size_t)i * k + c] - mean) / sd;
    }
    return 0;
}

int cox_null_fit(const cox_data_t *d, const cox_opts_t *o, cox_null_t **out)
{
    *out = NULL;
    int rc = cox_opts_check(o);
    if (rc) return rc;
    if (!d || d->n <= 0 || !d->time || !d->event || d->k < 0 || (d->k > 0 && !d->cov))
        return bcms_err(BCMS_EINVAL, "cox null model: no samples, or time/event/covariates missing");
    const int n = d->n, k = d->k;
    const int ng = d->n_geno ? d->n_geno : n;
    for (int i = 0; i < n; i++) {
        if (!isfinite(d->time[i]))
            return bcms_err(BCMS_EINVAL, "cox null model: sample %d: time is not finite", i + 1);
        if (d->event[i] != 0 && d->event[i] != 1)
            return bcms_err(BCMS_EINVAL, "cox null model: sample %d: event must be 0 or 1, got %d",
                            i + 1, d->event[i]);
        if (d->entry && !(d->entry[i] < d->time[i]))
            return bcms_err(BCMS_EINVAL,
                            "cox null model: sample %d: entry time %g is not before time %g; drop "
                            "the sample or fix its entry time", i + 1, d->entry[i], d->time[i]);
        for (int c = 0; c < k; c++)
            if (!isfinite(d->cov[(size_t)i * k + c]))
                return bcms_err(BCMS_EINVAL, "cox null model: sample %d covariate %d is not finite",
                                i + 1, c + 1);
        if (d->offset && !isfinite(d->offset[i]))
            return bcms_err(BCMS_EINVAL, "cox null model: sample %d: offset is not finite", i + 1);
        if (d->geno_index && (d->geno_index[i] < 0 || d->geno_index[i] >= ng))
            return bcms_err(BCMS_EINVAL, "cox null model: sample %d: genotype index %d out of 0..%d",
                            i + 1, d->geno_index[i], ng - 1);
    }
    if ((size_t)n * (k + 1) > (size_t)1 << 40) return bcms_err(BCMS_ENOMEM, "cox: size overflow");
    int bad = 0;
    double *rbuf = NULL, *dbuf = NULL, *scr = NULL;
    cox_null_t *nm = xcalloc(1, sizeof(*nm), &bad);
    if (bad) return bcms_err(BCMS_ENOMEM, "cox null model: out of memory");
    nm->n = n;
    nm->k = k;
    nm->n_geno = ng;
    if (d->geno_index) {
        nm->gidx = xcalloc(n, sizeof(int), &bad);
        if (!bad) memcpy(nm->gidx, d->geno_index, sizeof(int) * n);
    }
    nm->off = xcalloc(n, sizeof(double), &bad);
    nm->lo = xcalloc(n, sizeof(int), &bad);
    nm->hi = xcalloc(n, sizeof(int), &bad);
    nm->ev = xcalloc(n, sizeof(int), &bad);
    nm->strat = xcalloc(n, sizeof(int), &bad);
    nm->event = xcalloc(n, 1, &bad);
    nm->cc = xcalloc((size_t)n * k, sizeof(double), &bad);
    nm->cmean = xcalloc(k, sizeof(double), &bad);
    nm->csd = xcalloc(k, sizeof(double), &bad);
    nm->beta = xcalloc(k, sizeof(double), &bad);
    nm->var = xcalloc((size_t)k * k, sizeof(double), &bad);
    nm->beta_raw = xcalloc(k, sizeof(double), &bad);
    nm->var_raw = xcalloc((size_t)k * k, sizeof(double), &bad);
    nm->w = xcalloc(n, sizeof(double), &bad);
    nm->m = xcalloc(n, sizeof(double), &bad);
    nm->e = xcalloc(n, sizeof(double), &bad);
    nm->ht = xcalloc((size_t)n * k, sizeof(double), &bad);
    nm->rec = xcalloc(n, sizeof(cox_rec_t), &bad);
    if (bad) goto nomem;
    for (int i = 0; i < n; i++) nm->event[i] = (uint8_t)d->event[i];
    if (d->offset) memcpy(nm->off, d->offset, sizeof(double) * n);
    if ((rc = build_risk_sets(nm, d))) goto fail;
    if (nm->n_event == 0) {
        rc = bcms_err(BCMS_EINVAL, "cox null model: no events among the %d samples", n);
        goto fail;
    }
    const int J = nm->J;
    nm->qa = xcalloc(J, sizeof(double), &bad);
    nm->qb = xcalloc(J, sizeof(double), &bad);
    nm->qc = xcalloc(J, sizeof(double), &bad);
    if ((rc = scale_covariates(nm, d))) goto fail;
    int m = cox_eval_width(k);
    rbuf = xcalloc((size_t)J * m, sizeof(double), &bad);
    dbuf = xcalloc((size_t)J * (m + 1), sizeof(double), &bad);
    scr = xcalloc(4 * (size_t)k + 2 * (size_t)k * k + 1, sizeof(double), &bad);
    double *u = xcalloc(k + 1, sizeof(double), &bad);
    if (bad) { free(u); goto nomem; }
    cox_nr_t info;
    rc = cox_newton(nm, k, nm->cc, NULL, nm->beta, o, nm->var, u, rbuf, dbuf, scr, &info);
    free(u);
    nm->iter = info.iter;
    if (rc) {
        rc = bcms_err(BCMS_ENUMERIC, "cox null model: %s%s%s%s; check the covariates (constant, "
                      "collinear, or separating the events)",
                      info.flags & COX_FIT_NOCONV ? "did not converge " : "",
                      info.flags & COX_FIT_INFINITE ? "infinite coefficient " : "",
                      info.flags & COX_FIT_SINGULAR ? "singular information " : "",
                      info.flags & COX_FIT_NONFINITE ? "non-finite likelihood" : "");
        goto fail;
    }
    for (int a = 0; a < k; a++) {
        nm->beta_raw[a] = nm->beta[a] / nm->csd[a];
        for (int b = 0; b < k; b++)
            nm->var_raw[a * k + b] = nm->var[a * k + b] / (nm->csd[a] * nm->csd[b]);
    }
    if ((rc = precompute(nm, rbuf, dbuf))) goto fail;
    if ((rc = cox_gk_init(nm))) goto fail;
    if ((rc = cox_spa_init(nm))) goto fail;
    free(rbuf); free(dbuf); free(scr);
    *out = nm;
    return 0;
nomem:
    rc = bcms_err(BCMS_ENOMEM, "cox null model: out of memory (n = %d, k = %d)", n, k);
fail:
    free(rbuf); free(dbuf); free(scr);
    cox_null_free(nm);
    return rc;
}

void cox_ws_free(cox_ws_t *ws)
{
    if (!ws) return;
    free(ws->x); free(ws->xt); free(ws->ci); free(ws->s1); free(ws->d1); free(ws->xm); free(ws->mask);
    free(ws->rbuf); free(ws->dbuf); free(ws->scr); free(ws->b0); free(ws->b1); free(ws->var1);
    free(ws->u1); free(ws->zb); free(ws->bin); free(ws->sb); free(ws->db); free(ws->acc); free(ws->gl); free(ws->tb);
    free(ws);
}

int cox_ws_alloc(const cox_null_t *nm, cox_ws_t **out)
{
    int bad = 0;
    *out = NULL;
    cox_ws_t *ws = xcalloc(1, sizeof(*ws), &bad);
    if (bad) return bcms_err(BCMS_ENOMEM, "cox workspace: out of memory");
    const int n = nm->n, k = nm->k, p = k + 1, J = nm->J, m = cox_eval_width(p);
    ws->n = n; ws->k = k; ws->J = J;
    ws->x = xcalloc(n, sizeof(double), &bad);
    ws->xt = xcalloc((size_t)n + nm->n_geno + 8, sizeof(double), &bad);
    ws->ci = xcalloc(n, sizeof(int), &bad);
    ws->s1 = xcalloc(J, sizeof(double), &bad);
    ws->d1 = xcalloc(J, sizeof(double), &bad);
    ws->xm = xcalloc((size_t)n * p, sizeof(double), &bad);
    ws->mask = xcalloc(n, 1, &bad);
    ws->rbuf = xcalloc((size_t)J * m, sizeof(double), &bad);
    ws->dbuf = xcalloc((size_t)J * (m + 1), sizeof(double), &bad);
    ws->scr = xcalloc(4 * (size_t)p + 2 * (size_t)p * p, sizeof(double), &bad);
    ws->b0 = xcalloc(p, sizeof(double), &bad);
    ws->b1 = xcalloc(p, sizeof(double), &bad);
    ws->var1 = xcalloc((size_t)p * p, sizeof(double), &bad);
    ws->u1 = xcalloc(p, sizeof(double), &bad);
    ws->zb = xcalloc(nm->nz + 1, sizeof(double), &bad);
    ws->bin = xcalloc(2 * COX_SPA_NBIN, sizeof(double), &bad);
    ws->sb = xcalloc((size_t)J + COX_NDUMMY, sizeof(double), &bad);
    ws->db = xcalloc((size_t)J + COX_NDUMMY, sizeof(double), &bad);
    ws->acc = xcalloc((size_t)k + 2, sizeof(double), &bad);
    ws->gl = xcalloc((size_t)nm->n_geno + 8, sizeof(int), &bad);
    ws->tb = xcalloc(((size_t)J + COX_NDUMMY + 63) / 64, sizeof(uint64_t), &bad);
    if (bad) {
        cox_ws_free(ws);
        return bcms_err(BCMS_ENOMEM, "cox workspace: out of memory (n = %d)", n);
    }
    *out = ws;
    return 0;
}
