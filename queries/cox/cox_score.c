/* cox_score.c: per-variant exact efficient score test, p-values, and the dispatch to SPA and the
 * full fit. bcms, GPL-3.0-or-later.
 *
 * Cost per variant: one pass over the n genotypes, then O(nnz (k + 3) + J) where nnz is the number of
 * samples with a non-zero (possibly flipped) genotype: zeros contribute nothing to U, I_xx or I_xC,
 * and the statistic is invariant to x -> 2 - x (U changes sign), so a variant whose ALT allele is the
 * major one is scored through its REF count and a rare variant costs little more than its carriers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_erf.h>

#include "cox_internal.h"
#include "err.h"

double cox_norm_logp2(double z)
{
    /* 2 Q(|z|) = erfc(|z| / sqrt 2), on the log scale so that it never underflows */
    return gsl_sf_log_erfc(fabs(z) / M_SQRT2);
}

static void result_reset(cox_result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->u = r->v = r->z = r->p = r->log10p = NAN;
    r->beta = r->se = r->hr = r->wald_z = r->wald_p = r->wald_log10p = NAN;
    r->lrt = r->lrt_p = r->lrt_log10p = NAN;
    r->est = r->est_se = r->est_stat = NAN;
}

/* ws->x (flipped to 2 - x when the mean is above 1), ws->mask; returns the flip flag. */
#define GATHER(TYPE, MISSING, VALUE)                                                              \
    static int gather_##TYPE(const cox_null_t *nm, cox_ws_t *ws, const TYPE *g, int *n_miss,     \
                             double *mean_out)                                                    \
    {                                                                                             \
        const int n = nm->n;                                                                      \
        const int *gi = nm->gidx;                                                                 \
        double sum = 0;                                                                           \
        int miss = 0;                                                                             \
        for (int i = 0; i < n; i++) {                                                             \
            TYPE v = g[gi ? gi[i] : i];                                                           \
            if (MISSING) miss++;                                                                  \
            else sum += (VALUE);                                                                  \
        }                                                                                         \
        double mean = miss < n ? sum / (n - miss) : 0;                                            \
        int flip = mean > 1;                                                                      \
        double mi = flip ? 2 - mean : mean;                                                       \
        for (int i = 0; i < n; i++) {                                                             \
            TYPE v = g[gi ? gi[i] : i];                                                           \
            if (MISSING) {                                                                        \
                ws->x[i] = mi;                                                                    \
                ws->mask[i] = 0;                                                                  \
            } else {                                                                              \
                double x = (VALUE);                                                               \
                ws->x[i] = flip ? 2 - x : x;                                                      \
                ws->mask[i] = 1;                                                                  \
            }                                                                                     \
        }                                                                                         \
        *n_miss = miss;                                                                           \
        *mean_out = mean;                                                                         \
        return flip;                                                                              \
    }

GATHER(uint8_t, v > 2, (double)v)
GATHER(float, isnan(v), (double)v)
GATHER(double, isnan(v), v)

/* The carriers of a variant for the SPA, without the dense ws->x: sample indices (model order) in
 * ws->ci and values in ws->xt, the same values as the gather above gives (flipped when flip, the
 * missing ones at mi); branch-free, the store of a zero is overwritten. Returns their number. */
#define CARRIERS(TYPE, MISSING, VALUE)                                                            \
    static int carriers_##TYPE(const cox_null_t *nm, cox_ws_t *ws, const TYPE *g, int flip,      \
                               double mi)                                                         \
    {                                                                                             \
        const int n = nm->n, *gi = nm->gidx;                                                      \
        int *ci = ws->ci, nc = 0;                                                                 \
        double *xt = ws->xt;                                                                      \
        for (int i = 0; i < n; i++) {                                                             \
            TYPE v = g[gi ? gi[i] : i];                                                           \
            double x = (VALUE);                                                                   \
            x = (MISSING) ? mi : flip ? 2 - x : x;                                                \
            ci[nc] = i;                                                                           \
            xt[nc] = x;                                                                           \
            nc += x != 0;                                                                         \
        }                                                                                         \
        return nc;                                                                                \
    }

CARRIERS(uint8_t, v > 2, (double)v)
CARRIERS(float, isnan(v), (double)v)

static int carriers_x(const cox_null_t *nm, cox_ws_t *ws)
{
    int *ci = ws->ci, nc = 0;
    for (int i = 0; i < nm->n; i++) {
        double x = ws->x[i];
        ci[nc] = i;
        ws->xt[nc] = x;
        nc += x != 0;
    }
    return nc;
}

static int check_args(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const void *g,
                      cox_result_t *res)
{
    if (!nm || !ws || !o || !g || !res) return bcms_err(BCMS_EINVAL, "cox test: NULL argument");
    if (ws->n != nm->n || ws->J != nm->J || ws->k != nm->k)
        return bcms_err(BCMS_EINVAL, "cox test: workspace was allocated for another null model");
    return 0;
}

enum { GK_HAVE_X, GK_U8, GK_F32 };

static void gather_kind(const cox_null_t *nm, cox_ws_t *ws, const void *g, int kind, int *n_miss,
                        double *mean)
{
    if (kind == GK_U8) gather_uint8_t(nm, ws, g, n_miss, mean);
    else gather_float(nm, ws, g, n_miss, mean);
}

/* quad = sum_j A_j S1_j^2 - 2 B_j S1_j D1_j + C_j D1_j^2, S1 from its difference array (in place) */
static double quad_form(const cox_null_t *nm, const double *s1, const double *d1)
{
    double quad = 0;
    for (int s = 0; s < nm->ns; s++) {
        double acc = 0;
        for (int j = nm->sofs[s + 1] - 1; j >= nm->sofs[s]; j--) {
            acc += s1[j];
            double dj = d1[j];
            quad += nm->qa[j] * acc * acc - 2 * nm->qb[j] * acc * dj + nm->qc[j] * dj * dj;
        }
    }
    return quad;
}

/* The same sum from the slots a variant touched (bits of tb, slots >= J are dummies): the suffix sum
 * is constant between touched slots, where only the qa term is left, summed by the prefix sums
 * qap. Reads and zeroes the touched entries of s1, d1 and tb, so all three are 0 afterwards. */
static double quad_sparse(const cox_null_t *nm, double *s1, double *d1, uint64_t *tb)
{
    const int J = nm->J, *js = nm->jstrat, *sofs = nm->sofs;
    const double *qap = nm->qap, *qa = nm->qa, *qb = nm->qb, *qc = nm->qc;
    double quad = 0, acc = 0;
    int prev = -1, cs = -1; /* the last touched slot (above the current one) and its stratum */
    for (int w = (J + COX_NDUMMY - 1) / 64; w >= 0; w--) {
        uint64_t bits = tb[w];
        tb[w] = 0;
        while (bits) {
            const int b = 63 - __builtin_clzll(bits), j = w * 64 + b;
            bits &= ~(1ULL << b);
            if (j >= J) { /* a dummy slot */
                s1[j] = d1[j] = 0;
                continue;
            }
            const int st = js[j];
            if (prev >= 0) /* the untouched slots below prev: down to j, or to the end of its stratum */
                quad += acc * acc * (qap[prev] - qap[st == cs ? j + 1 : sofs[cs]]);
            if (st != cs) acc = 0, cs = st;
            acc += s1[j];
            const double dj = d1[j];
            s1[j] = d1[j] = 0;
            quad += qa[j] * acc * acc - 2 * qb[j] * acc * dj + qc[j] * dj * dj;
            prev = j;
        }
    }
    if (prev >= 0) quad += acc * acc * (qap[prev] - qap[sofs[cs]]);
    return quad;
}

static double finish_v(double lin, double quad, const double *cross, int k)
{
    double c2 = 0;
    for (int c = 0; c < k; c++) c2 += cross[c] * cross[c];
    double V = lin - quad - c2;
    return V > 1e-10 * lin ? V : 0;
}

/* U and V of ws->x */
static void score_uv(const cox_null_t *nm, cox_ws_t *ws, double *u_out, double *v_out)
{
    const int n = nm->n, k = nm->k, J = nm->J;
    double *s1 = ws->s1, *d1 = ws->d1, *cross = ws->u1; /* u1 has k+1 >= k entries */
    memset(s1, 0, sizeof(double) * J);
    memset(d1, 0, sizeof(double) * J);
    memset(cross, 0, sizeof(double) * k);
    double U = 0, lin = 0;
    for (int i = 0; i < n; i++) {
        double x = ws->x[i];
        if (x == 0) continue;
        const cox_rec_t *r = &nm->rec[i];
        U += x * r->m;
        lin += x * x * r->e;
        const double *h = nm->ht + (size_t)i * k;
        for (int c = 0; c < k; c++) cross[c] += x * h[c];
        if (r->hi == 0) continue;
        double wx = r->w * x;
        s1[r->hi - 1] += wx;
        if (r->lo > r->first) s1[r->lo - 1] -= wx;
        if (r->ev >= 0) d1[r->ev] += wx;
    }
    *u_out = U;
    *v_out = finish_v(lin, quad_form(nm, s1, d1), cross, k);
}

/* p-value, SPA and full fit once U and V are known. The SPA and the fit need ws->x: when *have_x
 * is 0 it is gathered from graw (hard calls) first. */
static void finish_test(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int flip,
                        int n_miss, double mean, double U, double V, const void *graw,
                        int gkind, cox_result_t *res);

static int test_ws(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int flip, int n_miss,
                   double mean, cox_result_t *res)
{
    double U, V;
    score_uv(nm, ws, &U, &V);
    finish_test(nm, ws, o, flip, n_miss, mean, U, V, NULL, GK_HAVE_X, res);
    return 0;
}

static void finish_test(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int flip,
                        int n_miss, double mean, double U, double V, const void *graw,
                        int gkind, cox_result_t *res)
{
    int have_x = gkind == GK_HAVE_X;
    res->n_miss = n_miss;
    res->af = mean / 2;
    res->u = flip ? -U : U;
    res->v = V;
    if (!(V > 0)) {
        res->score_status = BCMS_ENUMERIC;
        return;
    }
    res->z = res->u / sqrt(V);
    double logp = cox_norm_logp2(res->z), m_;
    int nm_;
    if (o->spa && fabs(res->z) >= o->spa_zmin) {
        double mi = flip ? 2 - mean : mean; /* the imputed value of a missing call */
        int nc = have_x ? carriers_x(nm, ws)
               : gkind == GK_U8 ? carriers_uint8_t(nm, ws, graw, flip, mi)
               : carriers_float(nm, ws, graw, flip, mi);
        double lp;
        if (cox_spa_logp(nm, ws, nc, U, V, &lp) == 0) {
            logp = lp;
            res->spa_used = 1;
        }
    }
    if (logp > 0) logp = 0;
    res->p = exp(logp);
    res->log10p = logp / M_LN10;
    int implausible = fabs(U / V) > o->onestep_max && logp < log(o->onestep_fit_pmax);
    if (o->fit_pmax > 1 || (o->fit_pmax > 0 && (logp < log(o->fit_pmax) || implausible))) {
        if (!have_x) gather_kind(nm, ws, graw, gkind, &nm_, &m_);
        cox_fit_ws(nm, ws, o, n_miss, res);
        if (flip && res->fit_status == 0) {
            res->beta = -res->beta;
            res->hr = exp(res->beta);
            res->wald_z = -res->wald_z;
        }
    }
    cox_report(o, res);
}

int cox_gk_init(cox_null_t *nm)
{
    const int n = nm->n, k = nm->k, ng = nm->n_geno, kw = 3 + k, J = nm->J;
    int *owner = malloc(sizeof(int) * (size_t)ng);
    nm->gkw = kw;
    /* rows on 64-byte boundaries where they fit a cache line (k = 5: exactly one) */
    size_t gkb = ((size_t)ng * kw * sizeof(double) + 63) & ~(size_t)63;
    if ((nm->gk = aligned_alloc(64, gkb))) memset(nm->gk, 0, gkb);
    nm->gks = aligned_alloc(64, (sizeof(int32_t) * 4 * (size_t)ng + 63) & ~(size_t)63);
    nm->gex = malloc(sizeof(int) * (size_t)(ng > n ? ng - n : 1));
    if (!owner || !nm->gk || !nm->gks || !nm->gex) {
        free(owner);
        return bcms_err(BCMS_ENOMEM, "cox null model: out of memory (%d genotype columns)", ng);
    }
    for (int j = 0; j < ng; j++) {
        owner[j] = -1;
        int32_t *s = nm->gks + 4 * (size_t)j;
        s[0] = s[1] = s[2] = J + (j & (COX_NDUMMY - 1));
        s[3] = 0;
    }
    for (int i = 0; i < n; i++) {
        int j = nm->gidx ? nm->gidx[i] : i;
        if (owner[j] >= 0) {
            int o = owner[j];
            free(owner);
            return bcms_err(BCMS_EINVAL, "cox null model: samples %d and %d read the same genotype column %d",
                            o + 1, i + 1, j);
        }
        owner[j] = i;
        const cox_rec_t *r = &nm->rec[i];
        double *g = nm->gk + (size_t)j * kw;
        g[0] = r->m;
        g[1] = r->e;
        g[2] = r->w;
        memcpy(g + 3, nm->ht + (size_t)i * k, sizeof(double) * k);
        int32_t *s = nm->gks + 4 * (size_t)j;
        /* a column's updates of no risk set go to one of COX_NDUMMY dummy slots, so that
         * consecutive columns do not queue on one memory location */
        const int dummy = J + (j & (COX_NDUMMY - 1));
        s[0] = r->iadd == J ? dummy : r->iadd;
        s[1] = r->isub == J ? dummy : r->isub;
        s[2] = r->idth == J ? dummy : r->idth;
    }
    nm->ngex = 0;
    for (int j = 0; j < ng; j++)
        if (owner[j] < 0) nm->gex[nm->ngex++] = j;
    if (!(nm->qap = malloc(sizeof(double) * ((size_t)J + 1))) || !(nm->jstrat = malloc(sizeof(int) * ((size_t)J + 1)))) {
        free(owner);
        return bcms_err(BCMS_ENOMEM, "cox null model: out of memory (%d event times)", J);
    }
    nm->qap[0] = 0;
    for (int j = 0; j < J; j++) nm->qap[j + 1] = nm->qap[j] + nm->qa[j];
    for (int s = 0; s < nm->ns; s++)
        for (int j = nm->sofs[s]; j < nm->sofs[s + 1]; j++) nm->jstrat[j] = s;
    for (int mk = 0; mk < 256; mk++) { /* the set bits of mk, then their number */
        int c = 0;
        memset(nm->gpos[mk], 0, 9);
        for (int b = 0; b < 8; b++)
            if (mk >> b & 1) nm->gpos[mk][c++] = (uint8_t)b;
        nm->gpos[mk][8] = (uint8_t)c;
    }
    free(owner);
    return 0;
}

#define ONES 0x0101010101010101ULL

/* eight bytes, the first in the low bits */
static inline uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* the sum of the eight byte lanes of a (each <= 255) */
static inline uint64_t lane_sum(uint64_t a)
{
    const uint64_t m16 = 0x00ff00ff00ff00ffULL;
    a = (a & m16) + ((a >> 8) & m16); /* four 16-bit lanes <= 510 */
    return (a * 0x0001000100010001ULL) >> 48;
}

/* Counts of codes 1, 2 and 3 over all n_geno columns of a hard-call row (codes 0..3), eight at a
 * time: per byte, bit 0 is set for 1 and 3, bit 1 for 2 and 3. Then minus the columns outside
 * the model. */
static void count_codes(const cox_null_t *nm, const uint8_t *g, long cnt[4])
{
    const int ng = nm->n_geno;
    long b0 = 0, b1 = 0, b3 = 0;
    int j = 0;
    while (j + 8 <= ng) {
        uint64_t a0 = 0, a1 = 0, a3 = 0;
        int end = j + 8 * 255 < ng ? j + 8 * 255 : ng; /* at most 255 per byte lane */
        for (; j + 8 <= end; j += 8) {
            uint64_t w = load64(g + j);
            a0 += w & ONES;
            a1 += (w >> 1) & ONES;
            a3 += w & (w >> 1) & ONES;
        }
        b0 += (long)lane_sum(a0);
        b1 += (long)lane_sum(a1);
        b3 += (long)lane_sum(a3);
    }
    for (; j < ng; j++) {
        b0 += g[j] & 1;
        b1 += (g[j] >> 1) & 1;
        b3 += g[j] == 3;
    }
    long c[4] = {0, b0 - b3, b1 - b3, b3};
    for (int e = 0; e < nm->ngex; e++) {
        uint8_t v = g[nm->gex[e]];
        c[v & 3]--;
    }
    for (int v = 1; v < 4; v++) cnt[v] = c[v];
    cnt[0] = nm->n - c[1] - c[2] - c[3];
}

/* The sums of one variant over its visited columns list[0..nl): out = U, lin, cross[0..K). The value
 * of column list[p] is lut[g[list[p]]] (hard calls, HARD = 1) or xv[p] (dosages). Inlined with
 * constants K (the common covariate counts) and HARD so that the accumulators stay in registers. */
#define GT_KMAX 8
static inline __attribute__((always_inline)) void visit_cols(const int K, const int HARD,
                                                             const cox_null_t *nm, const int *list,
                                                             const double *xv, int nl,
                                                             const uint8_t *g, const double *lut,
                                                             double *restrict s1,
                                                             double *restrict d1, double *out)
{
    const double *restrict gk = nm->gk;
    const int32_t *restrict gks = nm->gks;
    const int kw = 3 + K;
    double U = 0, lin = 0, cr[GT_KMAX] = {0};
    for (int p = 0; p < nl; p++) {
        const size_t j = (size_t)list[p];
        const double x = HARD ? lut[g[j]] : xv[p], *r = gk + j * kw;
        const int32_t *sl = gks + 4 * j;
        U += x * r[0];
        lin += x * x * r[1];
        const double wx = x * r[2];
        for (int c = 0; c < K; c++) cr[c] += x * r[3 + c];
        s1[sl[0]] += wx;
        s1[sl[1]] -= wx;
        d1[sl[2]] += wx;
    }
    out[0] = U;
    out[1] = lin;
    for (int c = 0; c < K; c++) out[2 + c] = cr[c];
}

/* the same for any k, accumulating cross in memory */
static void visit_cols_any(const cox_null_t *nm, const int *list, const double *xv, int nl,
                           const uint8_t *g, const double *lut, double *restrict s1,
                           double *restrict d1, double *restrict out)
{
    const int k = nm->k, kw = nm->gkw;
    memset(out, 0, sizeof(double) * (k + 2));
    for (int p = 0; p < nl; p++) {
        const size_t j = (size_t)list[p];
        const double x = xv ? xv[p] : lut[g[j]], *r = nm->gk + j * kw;
        const int32_t *sl = nm->gks + 4 * j;
        out[0] += x * r[0];
        out[1] += x * x * r[1];
        const double wx = x * r[2];
        for (int c = 0; c < k; c++) out[2 + c] += x * r[3 + c];
        s1[sl[0]] += wx;
        s1[sl[1]] -= wx;
        d1[sl[2]] += wx;
    }
}

/* U, lin and cross of the listed columns into ws->acc; returns the quadratic form of their risk-set
 * sums (ws->sb/db, 0 before and after). xv NULL: hard calls g through lut. A variant with few
 * listed columns marks the slots it touches and sums over those only (no O(J) pass). */
static double visit(const cox_null_t *nm, cox_ws_t *ws, const int *list, const double *xv, int nl,
                    const uint8_t *g, const double *lut)
{
    double *s1 = ws->sb, *d1 = ws->db, *acc = ws->acc;
    if (nm->k > GT_KMAX) {
        visit_cols_any(nm, list, xv, nl, g, lut, s1, d1, acc);
    } else {
#define K_CASE(K)                                                                                 \
    case K:                                                                                       \
        if (xv) visit_cols(K, 0, nm, list, xv, nl, g, lut, s1, d1, acc);                          \
        else visit_cols(K, 1, nm, list, xv, nl, g, lut, s1, d1, acc);                             \
        break;
        switch (nm->k) {
        K_CASE(0) K_CASE(1) K_CASE(2) K_CASE(3) K_CASE(4) K_CASE(5) K_CASE(6) K_CASE(7) K_CASE(8)
        }
#undef K_CASE
    }
    if ((long)nl * 6 < nm->J) { /* at most 3 nl touched slots, under half of them */
        uint64_t *tb = ws->tb;
        for (int p = 0; p < nl; p++) {
            const int32_t *sl = nm->gks + 4 * (size_t)list[p];
            for (int q = 0; q < 3; q++) tb[sl[q] >> 6] |= 1ULL << (sl[q] & 63);
        }
        return quad_sparse(nm, s1, d1, tb);
    }
    double quad = quad_form(nm, s1, d1);
    memset(s1, 0, sizeof(double) * (nm->J + COX_NDUMMY));
    memset(d1, 0, sizeof(double) * (nm->J + COX_NDUMMY));
    return quad;
}

/* One hard-call variant: visits only the columns whose (flipped) value is not 0, found eight bytes at
 * a time, and reads the model data of a column from one row of nm->gk (columns outside the model
 * have zero rows and dummy slots, so they need no test). */
static void score_gt(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const uint8_t *g,
                     cox_result_t *res)
{
    const int ng = nm->n_geno, k = nm->k;
    long cnt[4];
    count_codes(nm, g, cnt);
    const long nobs = nm->n - cnt[3];
    const double mean = nobs > 0 ? (double)(cnt[1] + 2 * cnt[2]) / nobs : 0;
    const int flip = mean > 1;
    const double mi = flip ? 2 - mean : mean;
    double lut[4] = {0, 1, 2, mi};
    if (flip) lut[0] = 2, lut[2] = 0;
    const uint64_t zpat = flip ? 2 * ONES : 0;
    /* the columns to visit, eight at a time without a branch per column: the bit mask of the
     * non-zero bytes indexes their positions (codes are 0..3, so a byte is non-zero iff one of its
     * two low bits is); with few non-zero columns the zero words are skipped first */
    int *list = ws->gl, nl = 0, j = 0;
    const int skip = (cnt[flip ? 2 : 0] + nm->ngex) * 8 > (long)ng * 7; /* > 7/8 of columns skipped */
    for (; j + 8 <= ng; j += 8) {
        const uint64_t d = load64(g + j) ^ zpat;
        if (skip && !d) continue;
        const unsigned mk = (unsigned)(((d | (d >> 1)) & ONES) * 0x0102040810204080ULL >> 56);
        const uint8_t *ps = nm->gpos[mk];
        for (int b = 0; b < 8; b++) list[nl + b] = j + ps[b];
        nl += nm->gpos[mk][8];
    }
    for (; j < ng; j++)
        if (g[j] != (uint8_t)zpat) list[nl++] = j;
    const double quad = visit(nm, ws, list, NULL, nl, g, lut), *acc = ws->acc;
    double V = finish_v(acc[1], quad, acc + 2, k);
    finish_test(nm, ws, o, flip, (int)cnt[3], mean, acc[0], V, g, GK_U8, res);
}

/* The columns of a dosage row whose value is not 0 (NaN included), with their values; returns their
 * number. Branch-free: every column is written, the count moves only past the listed ones. */
static int list_ds(const float *g, int ng, int flip, int *list, double *xv)
{
    int nl = 0;
    if (flip)
        for (int j = 0; j < ng; j++) {
            const double x = 2.0 - g[j];
            list[nl] = j;
            xv[nl] = x;
            nl += x != 0;
        }
    else
        for (int j = 0; j < ng; j++) {
            const double x = g[j];
            list[nl] = j;
            xv[nl] = x;
            nl += x != 0;
        }
    return nl;
}

/* One dosage variant (NaN = missing): the columns whose (flipped, imputed) value is not 0 are listed
 * with their values, then visited as the hard calls are. One pass over the row unless the ALT allele
 * is the major one (then a second, flipped). */
static void score_ds(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const float *g,
                     cox_result_t *res)
{
    const int ng = nm->n_geno, k = nm->k;
    int *list = ws->gl;
    double *xv = ws->xt + nm->n; /* n_geno doubles past the SPA's n */
    int nl = list_ds(g, ng, 0, list, xv);
    double sum[4] = {0, 0, 0, 0}; /* the non-zero values are the whole sum */
    long miss = 0;
    int p = 0;
    for (; p + 4 <= nl; p += 4)
        for (int q = 0; q < 4; q++) {
            const double x = xv[p + q];
            miss += isnan(x);
            sum[q] += isnan(x) ? 0 : x;
        }
    for (; p < nl; p++) {
        miss += isnan(xv[p]);
        sum[0] += isnan(xv[p]) ? 0 : xv[p];
    }
    double tot = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    for (int e = 0; e < nm->ngex; e++) { /* minus the columns outside the model */
        const float d = g[nm->gex[e]];
        miss -= isnan(d);
        tot -= isnan(d) ? 0 : d;
    }
    const double mean = miss < nm->n ? tot / (nm->n - miss) : 0;
    const int flip = mean > 1;
    const double mi = flip ? 2 - mean : mean;
    if (flip) nl = list_ds(g, ng, 1, list, xv);
    if (miss || nm->ngex)
        for (p = 0; p < nl; p++)
            if (isnan(xv[p])) xv[p] = mi;
    const double quad = visit(nm, ws, list, xv, nl, NULL, NULL), *acc = ws->acc;
    double V = finish_v(acc[1], quad, acc + 2, k);
    finish_test(nm, ws, o, flip, (int)miss, mean, acc[0], V, g, GK_F32, res);
}

/* The arguments of a block call, and its shape. */
static int check_block(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const void *x,
                       cox_result_t *res, int nvar, size_t stride)
{
    int rc = check_args(nm, ws, o, x, res);
    if (rc) return rc;
    if (nvar < 0 || (nvar > 1 && stride < (size_t)nm->n_geno))
        return bcms_err(BCMS_EINVAL, "cox test: bad block (%d variants, stride %zu < %d samples)",
                        nvar, stride, nm->n_geno);
    return 0;
}

int cox_test_dosage_block(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int nvar,
                          const float *ds, size_t stride, cox_result_t *res)
{
    int rc = check_block(nm, ws, o, ds, res, nvar, stride);
    if (rc) return rc;
    for (int v = 0; v < nvar; v++) {
        result_reset(&res[v]);
        score_ds(nm, ws, o, ds + (size_t)v * stride, &res[v]);
    }
    return 0;
}

int cox_test_gt_block(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int nvar,
                      const uint8_t *gt, size_t stride, cox_result_t *res)
{
    int rc = check_block(nm, ws, o, gt, res, nvar, stride);
    if (rc) return rc;
    for (int v = 0; v < nvar; v++) {
        result_reset(&res[v]);
        score_gt(nm, ws, o, gt + (size_t)v * stride, &res[v]);
    }
    return 0;
}

int cox_test_gt(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const uint8_t *gt,
                cox_result_t *res)
{
    return cox_test_gt_block(nm, ws, o, 1, gt, 0, res);
}

int cox_test_dosage(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const float *ds,
                    cox_result_t *res)
{
    return cox_test_dosage_block(nm, ws, o, 1, ds, 0, res);
}

int cox_test_x(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const double *x,
               cox_result_t *res)
{
    int rc = check_args(nm, ws, o, x, res), n_miss;
    if (rc) return rc;
    result_reset(res);
    double mean;
    int flip = gather_double(nm, ws, x, &n_miss, &mean);
    return test_ws(nm, ws, o, flip, n_miss, mean, res);
}

int cox_fit_x(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const double *x,
              cox_result_t *res)
{
    int rc = check_args(nm, ws, o, x, res), n_miss;
    if (rc) return rc;
    double mean;
    int flip = gather_double(nm, ws, x, &n_miss, &mean);
    cox_fit_ws(nm, ws, o, n_miss, res);
    if (flip && res->fit_status == 0) {
        res->beta = -res->beta;
        res->hr = exp(res->beta);
        res->wald_z = -res->wald_z;
    }
    cox_report(o, res);
    return 0;
}
