/* pca.c: principal components of the variance-standardised GRM, exact or randomized (contract in
 * structure.h). GPL-3.0-or-later.
 *
 * Randomized: Q (n x l, l = 2k + 10) starts as Gaussian columns from a fixed seed; each pass
 * over the genotypes gives T = Z^T Z Q (Z the standardised m x n matrix, in sub-blocks: P = Z_b Q,
 * T += Z_b^T P), then Rayleigh-Ritz on span(Q) (B = Q^T T, B = U W U^T) gives the current values
 * W / m and vectors Q U, and Q becomes orth(T). The products are fixed-shape dgemm calls on fixed
 * row chunks, so the result is the same at any thread count. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cblas.h>
#include <htslib/kstring.h>

#include "bcms_version.h"
#include "err.h"
#include "pheno.h"
#include "structure_internal.h"

#define PCA_CHUNK 256      /* rows of a fixed-shape product */
#define PCA_MAXPASS 60
#define PCA_TOL 1e-6

void bcms_pca_opts_init(bcms_pca_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_structure_sel_init(&o->in);
    o->pcs = 10;
}

static int pca_exact(const st_input_t *in, uint32_t k, int threads, double *val, double *vec, uint64_t *m)
{
    const uint32_t n = in->n;
    double *G = malloc((size_t)n * n * sizeof *G);
    int rc;
    if (!G) return bcms_err(BCMS_ENOMEM, "pca: a %u x %u matrix (%.1f GB); try --approx", n, n, 8.0 * n * n / 1e9);
    if (!(rc = st_grm_build(in, ST_STANDARDISED, threads, G, m))) {
        bcms_log(BCMS_LOG_INFO, "pca: GRM of %u samples from %" PRIu64 " variants; eigendecomposition", n, *m);
        rc = st_eig_top(n, G, k, val, vec);
    }
    free(G);
    return rc;
}

/* ---- randomized ---- */
typedef struct {
    uint32_t n, l;
    int threads;
    const double *Q;
    double *T, *P; /* n x l; ST_SUBBLOCK x l */
    uint64_t m;
} pca_pass_t;

static int pass_add(void *ud, const double *Z, uint32_t rows)
{
    pca_pass_t *a = ud;
    const uint32_t n = a->n, l = a->l, nc_p = (rows + PCA_CHUNK - 1) / PCA_CHUNK, nc_t = (n + PCA_CHUNK - 1) / PCA_CHUNK;
#pragma omp parallel num_threads(a->threads)
    {
#pragma omp for schedule(dynamic, 1)
        for (uint32_t c = 0; c < nc_p; c++) {
            uint32_t r0 = c * PCA_CHUNK, nr = rows - r0 < PCA_CHUNK ? rows - r0 : PCA_CHUNK;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, (int)l, (int)n, 1.0, Z + (size_t)r0 * n,
                        (int)n, a->Q, (int)l, 0.0, a->P + (size_t)r0 * l, (int)l);
        }
#pragma omp for schedule(dynamic, 1)
        for (uint32_t c = 0; c < nc_t; c++) {
            uint32_t i0 = c * PCA_CHUNK, ni = n - i0 < PCA_CHUNK ? n - i0 : PCA_CHUNK;
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ni, (int)l, (int)rows, 1.0, Z + i0, (int)n, a->P,
                        (int)l, 1.0, a->T + (size_t)i0 * l, (int)l);
        }
    }
    a->m += rows;
    return 0;
}

/* Gaussian start from a fixed seed (splitmix64 + Box-Muller): the same Q for the same n and l. */
static void gauss_fill(double *x, size_t len)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < len; i++) {
        uint64_t z;
        double u[2];
        for (int k = 0; k < 2; k++) {
            z = (s += 0x9E3779B97F4A7C15ULL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            u[k] = ((double)((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
        }
        x[i] = sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
    }
}

/* Rayleigh-Ritz on span(Q) with T = A Q: values (descending) and vectors of the top k, and the
 * largest relative residual |A v - w v| / w among them. */
static int ritz(uint32_t n, uint32_t l, uint32_t k, const double *Q, const double *T, double *B, double *w,
                double *val, double *vec, double *resid)
{
    int rc;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l, (int)l, (int)n, 1.0, Q, (int)l, T, (int)l, 0.0, B,
                (int)l);
    for (uint32_t i = 0; i < l; i++)
        for (uint32_t j = 0; j < i; j++) B[(size_t)i * l + j] = B[(size_t)j * l + i] = 0.5 * (B[(size_t)i * l + j] + B[(size_t)j * l + i]);
    if ((rc = st_eig_all(l, B, w))) return rc;
    *resid = 0;
    for (uint32_t j = 0; j < k; j++) {
        const double *u = B + (size_t)(l - 1 - j) * l; /* column-major: eigenvector of w[l - 1 - j] */
        double wj = w[l - 1 - j], r2 = 0;
        val[j] = wj;
        for (uint32_t i = 0; i < n; i++) {
            double qu = 0, tu = 0;
            for (uint32_t c = 0; c < l; c++) qu += Q[(size_t)i * l + c] * u[c], tu += T[(size_t)i * l + c] * u[c];
            vec[(size_t)i * k + j] = qu;
            r2 += (tu - wj * qu) * (tu - wj * qu);
        }
        double r = wj > 0 ? sqrt(r2) / wj : INFINITY;
        if (r > *resid) *resid = r;
    }
    return 0;
}

static int pca_approx(const st_input_t *in, uint32_t k, int threads, double *val, double *vec, uint64_t *m,
                      uint64_t *passes)
{
    const uint32_t n = in->n, l = 2 * k + 10 < n ? 2 * k + 10 : n;
    pca_pass_t a = {n, l, threads, NULL, NULL, NULL, 0};
    double *Q = malloc((size_t)n * l * sizeof *Q), *B = malloc((size_t)l * l * sizeof *B), *w = malloc(l * sizeof *w);
    double resid = INFINITY;
    int rc = 0;
    a.T = malloc((size_t)n * l * sizeof *a.T);
    a.P = malloc((size_t)ST_SUBBLOCK * l * sizeof *a.P);
    if (!Q || !B || !w || !a.T || !a.P) {
        rc = bcms_err(BCMS_ENOMEM, "pca --approx: %u x %u work", n, l);
        goto out;
    }
    st_blas_serial();
    gauss_fill(Q, (size_t)n * l);
    st_orthonormalise(n, l, Q);
    a.Q = Q;
    for (*passes = 0; *passes < PCA_MAXPASS;) {
        memset(a.T, 0, (size_t)n * l * sizeof *a.T);
        a.m = 0;
        if ((rc = st_stream(in, ST_STANDARDISED, threads, pass_add, &a))) goto out;
        ++*passes;
        if ((rc = ritz(n, l, k, Q, a.T, B, w, val, vec, &resid))) goto out;
        if (resid < PCA_TOL) break;
        memcpy(Q, a.T, (size_t)n * l * sizeof *Q);
        st_orthonormalise(n, l, Q);
    }
    bcms_log(BCMS_LOG_INFO, "pca --approx: %" PRIu64 " passes, largest relative Ritz residual %.2g", *passes, resid);
    for (uint32_t j = 0; j < k; j++) val[j] /= (double)a.m;
    *m = a.m;
out:
    free(Q), free(B), free(w), free(a.T), free(a.P);
    return rc;
}

/* ---- output ---- */
static int write_tables(const bcms_pca_opts_t *o, const st_input_t *in, const double *val, const double *vec)
{
    const uint32_t k = o->pcs;
    kstring_t path = {0, 0, NULL}, s = {0, 0, NULL};
    BGZF *out = NULL;
    int rc = BCMS_ENOMEM;
    if (ksprintf(&path, "%s.eigenvec", o->out) < 0) goto out;
    if ((rc = st_out_open(path.s, &out))) goto out;
    kputs("#IID", &s);
    for (uint32_t j = 0; j < k; j++) ksprintf(&s, "\tPC%u", j + 1);
    kputc('\n', &s);
    for (uint32_t i = 0; i < in->n; i++) {
        kputs(in->iids[i], &s);
        for (uint32_t j = 0; j < k; j++) ksprintf(&s, "\t%.10g", vec[(size_t)i * k + j]);
        kputc('\n', &s);
    }
    if ((rc = st_out_write(out, path.s, s.s, s.l))) goto out;
    rc = st_out_close(out, path.s, 0);
    out = NULL;
    if (rc) goto out;
    path.l = 0, s.l = 0;
    if (ksprintf(&path, "%s.eigenval", o->out) < 0) goto out;
    if ((rc = st_out_open(path.s, &out))) goto out;
    for (uint32_t j = 0; j < k; j++) ksprintf(&s, "%.12g\n", val[j]);
    rc = st_out_write(out, path.s, s.s, s.l);
out:
    rc = st_out_close(out, path.s, rc);
    free(path.s), free(s.s);
    return rc;
}

/* PC1..PCk into the pheno table, one write transaction (all or nothing). */
static int store_pcs(bcms_store_t *st, const bcms_pca_opts_t *o, const st_input_t *in, const double *vec,
                     uint64_t m)
{
    const uint32_t k = o->pcs;
    char name[32], when[32], tool[64], *src = NULL;
    time_t now = time(NULL);
    MDB_txn *txn = NULL;
    double *v = malloc(((size_t)in->n + 1) * sizeof *v);
    int rc;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    snprintf(tool, sizeof tool, "bcms %s", BCMS_VERSION);
    if (!v || asprintf(&src, "bcms pca%s of %s (%u samples, %" PRIu64 " variants)", o->approx ? " --approx" : "",
                       bcms_store_path(st), in->n, m) < 0) {
        free(v);
        return bcms_err(BCMS_ENOMEM, "pca --store");
    }
    if ((rc = bcms_txn_begin(st, 0, &txn))) goto out;
    for (uint32_t j = 0; j < k && !rc; j++) {
        bcms_pheno_col_t col = {0};
        snprintf(name, sizeof name, "PC%u", j + 1);
        for (uint32_t i = 0; i < in->n; i++) v[i] = vec[(size_t)i * k + j];
        col.name = name, col.type = BCMS_PHENO_QUANTITATIVE, col.n = in->n, col.v = v, col.n_present = in->n;
        col.source = src, col.source_rows = in->n, col.imported_at = when, col.tool = tool;
        col.command = (char *)(o->command ? o->command : "");
        rc = bcms_pheno_put(st, txn, &col, in->snum, 1);
    }
    if (!rc) {
        char *hist = NULL;
        if (asprintf(&hist, "%s pca columns=PC1..PC%u source=%s command=%s", when, k, src,
                     o->command ? o->command : "") < 0)
            rc = BCMS_ENOMEM;
        else rc = bcms_meta_add_history(st, txn, hist);
        free(hist);
    }
    if (rc) mdb_txn_abort(txn);
    else rc = bcms_txn_commit(txn);
out:
    free(v);
    free(src);
    return rc;
}

int bcms_pca_run(bcms_store_t *st, const bcms_pca_opts_t *o, uint64_t stats[3])
{
    st_input_t in;
    double *val = NULL, *vec = NULL;
    uint64_t m = 0, passes = 0;
    int rc;
    if (!o->out) return bcms_err(BCMS_EINVAL, "pca: no output prefix (-o)");
    if (o->pcs < 1) return bcms_err(BCMS_EINVAL, "pca: --pcs must be at least 1");
    if ((rc = st_input_open(st, &o->in, &in))) return rc;
    if (o->pcs > in.n) {
        rc = bcms_err(BCMS_EINVAL, "pca: %u PCs asked of %u samples", o->pcs, in.n);
        goto out;
    }
    if (!(val = malloc(o->pcs * sizeof *val)) || !(vec = malloc((size_t)in.n * o->pcs * sizeof *vec))) {
        rc = bcms_err(BCMS_ENOMEM, "pca output");
        goto out;
    }
    bcms_log(BCMS_LOG_INFO, "pca: %u samples, %" PRIu64 " autosomal variants, %u PCs%s", in.n, in.nuse, o->pcs,
             o->approx ? " (randomized)" : "");
    rc = o->approx ? pca_approx(&in, o->pcs, o->in.threads, val, vec, &m, &passes)
                   : pca_exact(&in, o->pcs, o->in.threads, val, vec, &m);
    if (!rc) rc = write_tables(o, &in, val, vec);
    if (!rc && o->store) {
        bcms_reader_close(in.rd); /* its read transaction ends before the write one begins */
        in.rd = NULL;
        rc = store_pcs(st, o, &in, vec, m);
    }
    if (!rc && stats) stats[0] = in.n, stats[1] = m, stats[2] = passes;
out:
    free(val), free(vec);
    st_input_close(&in);
    return rc;
}
