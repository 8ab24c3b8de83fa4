/* pca.c: principal components of the variance-standardised GRM, exact or randomized, and the
 * projection of samples onto PCs built without them (contract in structure.h). GPL-3.0-or-later.
 *
 * Randomized (the block Krylov method of Halko, Martinsson, Shkolnisky & Tygert 2011, as plink2
 * --pca approx and EIGENSOFT's fastpca use it, with a fixed number of passes): G_0 (nb x l, l = 2k)
 * is Gaussian from a fixed seed; pass i gives G_{i+1} = orth(Z^T Z G_i) (Z the standardised m x nb
 * matrix, in sub-blocks: P = Z_b G, T += Z_b^T P), i < k; the Krylov basis [G_0 .. G_k] (q = l (k+1)
 * columns) is orthonormalised to Q, and one last pass gives C = (Z Q)^T (Z Q), whose eigenpairs
 * (Rayleigh-Ritz) are the values W / m and vectors Q U. k + 1 passes in all.
 *
 * Projection (PC-AiR style): the PCs are built on nb samples; every sample then gets
 * s_i = sum_j z_ij (x_j . v) / (m lambda), z standardised with the build samples' frequencies
 * (missing calls 0): a build sample gets back its eigenvector entry, and this is plink2's --score
 * variance-standardize no-mean-imputation of the --pca allele-wts weights divided by m sqrt(lambda)
 * (the same scale as .eigenvec).
 *
 * Threads: a pass hands whole reader batches to fixed accumulator slots (pca_run_pass); every
 * product is a single-threaded dgemm of a shape fixed by the data, and slots are summed in order:
 * the same bits at any thread count.
 *
 * MPI: exact, the GRM is built over the ranks (st_grm_build) and rank 0 solves the eigenproblem;
 * --approx, rank r runs the slots s with s % N = r, the slot accumulators (each nonzero on one rank
 * only, so the sum over ranks is exact) meet on rank 0, which sums them in slot order as one process
 * does and broadcasts the result: every pass, and so the output, has the single-process bits. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cblas.h>
#include <omp.h>
#include <htslib/kstring.h>

#include "bcms_version.h"
#include "cluster.h"
#include "err.h"
#include "pheno.h"
#include "structure_internal.h"

#define PCA_BLOCK 512 /* variants standardised at a time */

void bcms_pca_opts_init(bcms_pca_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_structure_sel_init(&o->in);
    o->pcs = 10;
}

/* An eigenvector's sign is arbitrary: LAPACK's depends on the last bits of the matrix, which move
 * by ~1e-13 with the reader's batches (datasets split by chromosome, other stores of the same
 * calls). Each PC is turned so that its entry of largest magnitude (the first of equal ones) is
 * positive, so the same cohort gives the same signs whatever its layout. */
static void pca_orient(uint32_t n, uint32_t k, double *vec)
{
    for (uint32_t c = 0; c < k; c++) {
        uint32_t best = 0;
        for (uint32_t i = 1; i < n; i++)
            if (fabs(vec[(size_t)i * k + c]) > fabs(vec[(size_t)best * k + c])) best = i;
        if (vec[(size_t)best * k + c] < 0)
            for (uint32_t i = 0; i < n; i++) vec[(size_t)i * k + c] = -vec[(size_t)i * k + c];
    }
}

static int pca_exact(st_input_t *in, uint32_t k, int threads, double *val, double *vec, uint64_t *m)
{
    const uint32_t n = in->n;
    double *G = malloc((size_t)n * (n + 1) * sizeof *G); /* st_grm_build's room */
    int rc;
    if (!G) return bcms_err(BCMS_ENOMEM, "pca: a %u x %u matrix (%.1f GB); try --approx", n, n, 8.0 * n * n / 1e9);
    if (!(rc = st_grm_build(in, ST_STANDARDISED, threads, G, m)) && bcms_cluster_rank() == 0) {
        bcms_log(BCMS_LOG_INFO, "pca: GRM of %u samples from %" PRIu64 " variants; eigendecomposition", n, *m);
        if (!(rc = st_eig_top(n, G, k, val, vec, threads))) pca_orient(n, k, vec);
    }
    free(G);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- the passes over the genotypes ---- */
/* Row of n codes -> z over all n samples with the ALT frequency of the first nb samples' calls (the
 * samples the PCs are built on; nb = n without projection), missing calls 0 (the mean). A variant
 * without variance among the nb is all 0. */
static void pca_standardise(const uint8_t *g, uint32_t nb, uint32_t n, double *z)
{
    uint32_t cnt[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < nb; i++) cnt[g[i] & 3]++;
    uint64_t called = (uint64_t)cnt[0] + cnt[1] + cnt[2], ac = cnt[1] + 2 * (uint64_t)cnt[2];
    double p = called ? (double)ac / (2.0 * (double)called) : 0, var = 2 * p * (1 - p);
    if (!called || !(var > 1e-12)) {
        memset(z, 0, (size_t)n * sizeof *z);
        return;
    }
    double scale = 1 / sqrt(var), shift = -2 * p * scale, lut[4] = {shift, scale + shift, 2 * scale + shift, 0};
    for (uint32_t i = 0; i < n; i++) z[i] = lut[g[i] & 3];
}

/* A pass over the used variants. Reader batch b is decoded, standardised in sub-blocks of at most
 * PCA_BLOCK variants and added into accumulator pca_slot(b) by add(); a thread owns whole slots
 * and runs their batches in order, and the slots are summed in slot order: the same bits at any
 * thread count (plink2 likewise gives each thread its own blocks of variants and partial sums). */
#define PCA_SLOTS 8
#define PCA_SPAN 4096 /* variants of a slot's stretch: RD_BATCH_MAX, the size of a full batch */

/* A batch's slot: the stretch of PCA_SPAN variants its first variant (first) is in, modulo PCA_SLOTS: it
 * depends on the batch's place in the stream only (not on windows, threads or ranks). With full
 * batches it is b modulo PCA_SLOTS; by b modulo PCA_SLOTS alone, stores whose blocks hold a full
 * batch and a short one (4,369 rows at 1,000 samples: 4,096 + 273) put every long batch of a
 * window in the even slots, so one thread of two worked while the other waited (151% of two
 * cores in pca --approx of 1,000 x 1M, 197% before the reader streamed). */
static uint32_t pca_slot(uint64_t first)
{
    return (uint32_t)(first / PCA_SPAN % PCA_SLOTS);
}

typedef struct pca_job pca_job_t;
struct pca_job {
    st_input_t *in;
    uint32_t nb;     /* the PCs' samples: the first nb columns */
    uint32_t nt, l;  /* xtxa: acc (nt x l) += Z[:, :nt]^T (Z[:, :nb] G), G nb x l; gram: acc (l x l)
                      * upper triangle += Y^T Y, Y = Z[:, :nb] G^T, G l x nb */
    const double *G;
    size_t acc_len, work_len;
    void (*add)(const pca_job_t *j, const double *Z, uint32_t rows, double *acc, double *work);
};

static void xtxa_add(const pca_job_t *j, const double *Z, uint32_t rows, double *acc, double *work)
{
    const int ld = (int)j->in->n, l = (int)j->l;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, l, (int)j->nb, 1.0, Z, ld, j->G, l, 0.0, work,
                l);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)j->nt, l, (int)rows, 1.0, Z, ld, work, l, 1.0, acc, l);
}

static void gram_add(const pca_job_t *j, const double *Z, uint32_t rows, double *acc, double *work)
{
    const int ld = (int)j->in->n, r = (int)j->l;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, r, (int)j->nb, 1.0, Z, ld, j->G, (int)j->nb, 0.0,
                work, r);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, r, (int)rows, 1.0, work, r, 1.0, acc, r);
}

/* The batches of one slot in the current window into acc; *m counts the variants. */
static int slot_run(const pca_job_t *j, uint32_t slot, bcms_reader_ws_t *ws, double *Z, uint32_t *rows,
                    double *work, double *acc, uint64_t *m)
{
    const st_input_t *in = j->in;
    const uint32_t n = in->n, b1 = in->b0 + in->nb;
    int rc;
    for (uint32_t b = in->b0; b < b1; b++) {
        const uint8_t *codes;
        uint64_t first;
        uint32_t nv, k = 0;
        bcms_reader_batch_range(in->rd, b, &first, &nv);
        if (pca_slot(first) != slot) continue;
        if ((rc = bcms_reader_batch(in->rd, ws, b, &codes, NULL))) return rc;
        while (k < nv) {
            uint32_t nr = 0;
            for (; k < nv && nr < PCA_BLOCK; k++)
                if (st_used(in, first + k)) rows[nr++] = k;
            if (!nr) break;
            for (uint32_t r = 0; r < nr; r++) pca_standardise(codes + (size_t)rows[r] * n, j->nb, n, Z + (size_t)r * n);
            j->add(j, Z, nr, acc, work);
            *m += nr;
        }
    }
    return 0;
}

typedef struct {
    bcms_reader_ws_t *ws;
    double *Z, *work;
    uint32_t *rows;
} pca_tbuf_t;

/* One pass: out (acc_len) = the sum over the slots; *m the variant count. */
static int pca_run_pass(const pca_job_t *j, int threads, double *out, uint64_t *m)
{
    const uint32_t n = j->in->n;
    double *acc = calloc(PCA_SLOTS * j->acc_len, sizeof *acc);
    uint64_t ms[PCA_SLOTS] = {0};
    int rcs[PCA_SLOTS] = {0}, rc = 0;
    if (!acc) return bcms_err(BCMS_ENOMEM, "pca: %d accumulators of %zu values", PCA_SLOTS, j->acc_len);
    const uint32_t me = (uint32_t)bcms_cluster_rank(), np = (uint32_t)bcms_cluster_size();
    const uint32_t mine = np >= PCA_SLOTS ? (me < PCA_SLOTS) : (PCA_SLOTS - me + np - 1) / np;
    if (mine < (uint32_t)threads) threads = mine ? (int)mine : 1;
    /* each thread's reader workspace and buffers, made once for the pass: made in every window, they
     * were ~4 MB a thread of fresh pages each time (827k page faults instead of 96k in pca --approx of
     * 1,000 x 1M, 35% longer with 2 threads); which thread runs a slot does not change its sums */
    pca_tbuf_t *tb = calloc((size_t)threads, sizeof *tb);
    int ok = tb != NULL;
    for (int t = 0; ok && t < threads; t++) {
        tb[t].ws = bcms_reader_ws_new(j->in->rd);
        tb[t].Z = malloc((size_t)PCA_BLOCK * n * sizeof *tb[t].Z);
        tb[t].work = malloc((j->work_len + 1) * sizeof *tb[t].work);
        tb[t].rows = malloc(PCA_BLOCK * sizeof *tb[t].rows);
        ok = tb[t].ws && tb[t].Z && tb[t].work && tb[t].rows;
    }
    if (!ok) rc = BCMS_ENOMEM;
    /* window by window; a slot's batches stay in batch order (the slots' sums do not see windows) */
    while (!rc && !(rc = st_input_next(j->in))) {
#pragma omp parallel num_threads(threads)
        {
            pca_tbuf_t *b = &tb[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
            for (uint32_t u = 0; u < mine; u++) { /* this rank's slots: me, me + np, ... */
                uint32_t s = me + u * np;
                if (!rcs[s]) rcs[s] = slot_run(j, s, b->ws, b->Z, b->rows, b->work, acc + s * j->acc_len, &ms[s]);
            }
        }
        for (uint32_t s = 0; s < PCA_SLOTS; s++)
            if (rcs[s]) rc = rcs[s];
    }
    for (int t = 0; tb && t < threads; t++) {
        bcms_reader_ws_free(tb[t].ws);
        free(tb[t].Z), free(tb[t].work), free(tb[t].rows);
    }
    free(tb);
    if (rc == 1) rc = 0;
    *m = 0;
    for (uint32_t s = 0; s < PCA_SLOTS; s++) {
        *m += ms[s];
        if (rcs[s] && !rc) rc = rcs[s];
    }
    if (rc) {
        free(acc);
        return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "pca: genotype work of %u samples", n) : rc;
    }
    if ((rc = bcms_cluster_sum(acc, PCA_SLOTS * j->acc_len, BCMS_CL_F64)) ||
        (rc = bcms_cluster_sum(ms, PCA_SLOTS, BCMS_CL_U64))) {
        free(acc);
        return rc;
    }
    *m = 0;
    for (uint32_t s = 0; s < PCA_SLOTS; s++) *m += ms[s];
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < j->acc_len; i++) {
        double v = 0;
        for (uint32_t s = 0; s < PCA_SLOTS; s++) v += acc[s * j->acc_len + i];
        out[i] = v;
    }
    free(acc);
    /* rank 0's sums (the others summed only their own slots) on every rank, for the next step */
    if ((rc = bcms_cluster_bcast(out, j->acc_len * sizeof *out, 0)) || (rc = bcms_cluster_bcast(m, sizeof *m, 0))) return rc;
    return 0;
}

/* T (nt x l) = Z[:, :nt]^T Z[:, :nb] G over one pass; *m receives the variant count. */
static int pca_xtxa(st_input_t *in, uint32_t nb, uint32_t nt, uint32_t l, int threads, const double *G,
                    double *T, uint64_t *m)
{
    pca_job_t j = {in, nb, nt, l, G, (size_t)nt * l, (size_t)PCA_BLOCK * l, xtxa_add};
    return pca_run_pass(&j, threads, T, m);
}

/* ---- randomized ---- */
/* Gaussian start from a fixed seed (splitmix64 + Box-Muller): the same G for the same n and l. */
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

/* Orthonormalise the q rows of K (q x n, row-major) in place by classical Gram-Schmidt twice
 * (dgemv), dropping a row left with less than 1e-9 of its length (the Krylov blocks grow nearly
 * dependent): returns the rank r, the first r rows orthonormal. */
static uint32_t orth_rows(uint32_t q, uint32_t n, double *K, double *h)
{
    uint32_t r = 0;
    for (uint32_t j = 0; j < q; j++) {
        double *v = K + (size_t)j * n, n0 = cblas_dnrm2((int)n, v, 1), nv;
        if (!(n0 > 0)) continue;
        for (int pass = 0; pass < 2 && r; pass++) {
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)r, (int)n, 1.0, K, (int)n, v, 1, 0.0, h, 1);
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)r, (int)n, -1.0, K, (int)n, h, 1, 1.0, v, 1);
        }
        nv = cblas_dnrm2((int)n, v, 1);
        if (!(nv > 1e-9 * n0)) continue;
        cblas_dscal((int)n, 1 / nv, v, 1);
        if (r != j) memcpy(K + (size_t)r * n, v, (size_t)n * sizeof *v);
        r++;
    }
    return r;
}

/* Rayleigh-Ritz on the rows of Q: C = (Z Q^T)^T (Z Q^T) over one pass, its top k eigenpairs (values
 * divided by the variant count *m). */
static int pca_ritz(st_input_t *in, uint32_t nb, uint32_t r, uint32_t k, int threads, const double *Q,
                    double *val, double *vec, uint64_t *m)
{
    pca_job_t j = {in, nb, r, r, Q, (size_t)r * r, (size_t)PCA_BLOCK * r, gram_add};
    double *C = malloc((size_t)r * r * sizeof *C), *w = malloc(r * sizeof *w);
    int rc = BCMS_ENOMEM;
    if (!C || !w) goto out;
    if ((rc = pca_run_pass(&j, threads, C, m))) goto out;
    if (!*m) {
        rc = bcms_err(BCMS_EINVAL, "pca: no variant");
        goto out;
    }
    for (uint32_t i = 0; i < r; i++) /* dsyrk filled the upper triangle (row-major) */
        for (uint32_t c = 0; c < i; c++) C[(size_t)i * r + c] = C[(size_t)c * r + i];
    if ((rc = st_eig_all(r, C, w, threads))) goto out;
    for (uint32_t jj = 0; jj < k; jj++) {
        const double *u = C + (size_t)(r - 1 - jj) * r; /* column-major: eigenvector of w[r - 1 - jj] */
        val[jj] = w[r - 1 - jj] / (double)*m;
        for (uint32_t i = 0; i < nb; i++) {
            double s = 0;
            for (uint32_t c = 0; c < r; c++) s += Q[(size_t)c * nb + i] * u[c];
            vec[(size_t)i * k + jj] = s;
        }
    }
out:
    free(C), free(w);
    return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "pca --approx: %u x %u Ritz problem", r, r) : rc;
}

static int pca_approx(st_input_t *in, uint32_t k, int threads, double *val, double *vec, uint64_t *m,
                      uint64_t *passes)
{
    const uint32_t nb = in->n, l = 2 * k < nb ? 2 * k : nb;
    const uint32_t nblk = (k + 1) * l <= nb ? k + 1 : (nb / l > 1 ? nb / l : 1), q = nblk * l;
    double *K = malloc((size_t)q * nb * sizeof *K), *G = malloc((size_t)nb * l * sizeof *G);
    double *T = malloc((size_t)nb * l * sizeof *T), *h = malloc(((size_t)q + nb) * sizeof *h);
    uint32_t r;
    int rc = 0;
    if (!K || !G || !T || !h) {
        rc = bcms_err(BCMS_ENOMEM, "pca --approx: %u x %u Krylov basis", nb, q);
        goto out;
    }
    st_blas_serial();
    gauss_fill(G, (size_t)nb * l);
    st_orthonormalise(nb, l, G);
    for (uint32_t it = 0;; it++) {
        for (uint32_t i = 0; i < nb; i++)
            for (uint32_t c = 0; c < l; c++) K[(size_t)(it * l + c) * nb + i] = G[(size_t)i * l + c];
        if (it + 1 == nblk) break;
        if ((rc = pca_xtxa(in, nb, nb, l, threads, G, T, m))) goto out;
        st_orthonormalise(nb, l, T);
        memcpy(G, T, (size_t)nb * l * sizeof *G);
    }
    r = orth_rows(q, nb, K, h);
    /* rank 0's basis on every rank (BLAS kernels may differ between the nodes of a job) */
    if ((rc = bcms_cluster_bcast_u32(&r)) || (rc = bcms_cluster_bcast(K, (size_t)r * nb * sizeof *K, 0))) goto out;
    if (r < k) {
        rc = bcms_err(BCMS_EINVAL, "pca --approx: the Krylov basis has rank %u < %u PCs (too few variants?)", r, k);
        goto out;
    }
    if ((rc = pca_ritz(in, nb, r, k, threads, K, val, vec, m))) goto out;
    pca_orient(nb, k, vec);
    *passes = nblk;
    bcms_log(BCMS_LOG_INFO, "pca --approx: %u passes, Krylov basis of %u vectors", nblk, r);
out:
    free(K), free(G), free(T), free(h);
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

/* ---- projection ---- */
/* The samples of in that the reader also selects with keep = o->project (the reader's ID-file
 * grammar and its other options): build[i] = 1. Returns their count in *nb. */
static int project_mark(bcms_store_t *st, const bcms_pca_opts_t *o, const st_input_t *in, uint8_t *build,
                        uint32_t *nb)
{
    bcms_reader_opts_t ro = o->in.sel;
    bcms_reader_t *rd = NULL;
    const uint32_t *ids;
    uint32_t n2, *sorted = NULL;
    int rc;
    ro.keep = o->project;
    ro.need_counts = 0;
    if ((rc = bcms_reader_open(st, &ro, &rd))) return rc;
    n2 = bcms_reader_nsamples(rd), ids = bcms_reader_sample_ids(rd);
    if (!(sorted = malloc(((size_t)n2 + 1) * sizeof *sorted))) {
        bcms_reader_close(rd);
        return bcms_err(BCMS_ENOMEM, "pca --project");
    }
    memcpy(sorted, ids, (size_t)n2 * sizeof *sorted);
    bcms_reader_close(rd);
    qsort(sorted, n2, sizeof *sorted, cmp_u32);
    *nb = 0;
    for (uint32_t i = 0; i < in->n; i++) {
        build[i] = bsearch(&in->snum[i], sorted, n2, sizeof *sorted, cmp_u32) != NULL;
        *nb += build[i];
    }
    free(sorted);
    if (*nb <= o->pcs || *nb < 2)
        return bcms_err(BCMS_EINVAL, "pca --project %s: %u of the %u selected samples listed, need more than %u (--pcs)",
                        o->project, *nb, in->n, o->pcs);
    return 0;
}

/* PCs built on the marked samples (val, vec: their eigenpairs, vec nb x k), then every sample
 * projected: out (n x k, in's order) = Z^T Z_b v / (m lambda); the built samples keep their
 * eigenvector entries (the projection gives them back up to rounding). */
static int pca_projected(const bcms_pca_opts_t *o, st_input_t *in, const uint8_t *build, uint32_t nb, double *val,
                         double *out, uint64_t *m, uint64_t *passes)
{
    const uint32_t n = in->n, k = o->pcs;
    uint32_t *idx = malloc((size_t)n * sizeof *idx), *back = malloc((size_t)n * sizeof *back), j = 0;
    double *vec = malloc((size_t)nb * k * sizeof *vec), *P = malloc((size_t)n * k * sizeof *P), dev = 0;
    uint64_t m2 = 0;
    int rc = BCMS_ENOMEM;
    if (!idx || !back || !vec || !P) goto out;
    for (int pass = 1; pass >= 0; pass--) /* built samples first, then the others, each in reader order */
        for (uint32_t i = 0; i < n; i++)
            if (build[i] == pass) back[j] = i, idx[j++] = i;
    if ((rc = st_input_subset(in, idx, nb))) goto out;
    rc = o->approx ? pca_approx(in, k, o->in.threads, val, vec, m, passes)
                   : pca_exact(in, k, o->in.threads, val, vec, m);
    if (rc || (rc = st_input_subset(in, idx, n))) goto out;
    /* the projection pass is shared over the ranks: rank 0's PCs on every rank */
    if ((rc = bcms_cluster_bcast(vec, (size_t)nb * k * sizeof *vec, 0)) || (rc = bcms_cluster_bcast(val, k * sizeof *val, 0)))
        goto out;
    if ((rc = pca_xtxa(in, nb, n, k, o->in.threads, vec, P, &m2))) goto out;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t c = 0; c < k; c++) {
            double p = P[(size_t)i * k + c] / ((double)m2 * val[c]);
            if (i < nb) {
                double d = fabs(p - vec[(size_t)i * k + c]);
                if (d > dev) dev = d;
                p = vec[(size_t)i * k + c];
            }
            out[(size_t)back[i] * k + c] = p;
        }
    bcms_log(BCMS_LOG_INFO, "pca --project: %u samples projected onto the PCs of %u; the built ones' projections "
             "differ from their eigenvectors by at most %.2g", n - nb, nb, dev);
    for (uint32_t i = 0; i < n; i++) idx[i] = i;
    rc = st_input_subset(in, idx, n); /* back to the reader's order for the output */
out:
    free(idx), free(back), free(vec), free(P);
    return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "pca --project") : rc;
}

int bcms_pca_run(bcms_store_t *st, const bcms_pca_opts_t *o, uint64_t stats[4])
{
    st_input_t in;
    double *val = NULL, *vec = NULL;
    uint8_t *build = NULL;
    uint64_t m = 0, passes = 0;
    uint32_t nb;
    int rc;
    if (!o->out) return bcms_err(BCMS_EINVAL, "pca: no output prefix (-o)");
    if (o->pcs < 1) return bcms_err(BCMS_EINVAL, "pca: --pcs must be at least 1");
    if ((rc = st_input_open(st, &o->in, &in))) return rc;
    nb = in.n;
    if (o->pcs > in.n) {
        rc = bcms_err(BCMS_EINVAL, "pca: %u PCs asked of %u samples", o->pcs, in.n);
        goto out;
    }
    if (!(val = malloc(o->pcs * sizeof *val)) || !(vec = malloc((size_t)in.n * o->pcs * sizeof *vec)) ||
        !(build = malloc(in.n))) {
        rc = bcms_err(BCMS_ENOMEM, "pca output");
        goto out;
    }
    if (o->project && (rc = project_mark(st, o, &in, build, &nb))) goto out;
    bcms_log(BCMS_LOG_INFO, "pca: %u samples, %u PCs%s", nb, o->pcs, o->approx ? " (randomized)" : "");
    if (o->project) rc = pca_projected(o, &in, build, nb, val, vec, &m, &passes);
    else rc = o->approx ? pca_approx(&in, o->pcs, o->in.threads, val, vec, &m, &passes)
                        : pca_exact(&in, o->pcs, o->in.threads, val, vec, &m);
    if (!rc && bcms_cluster_rank() != 0) goto out; /* rank 0 writes and stores */
    if (!rc) rc = write_tables(o, &in, val, vec);
    if (!rc && o->store) {
        bcms_reader_close(in.rd); /* its read transaction ends before the write one begins */
        in.rd = NULL;
        rc = store_pcs(st, o, &in, vec, m);
    }
    if (!rc && stats) stats[0] = in.n, stats[1] = m, stats[2] = passes, stats[3] = nb;
out:
    free(val), free(vec), free(build);
    st_input_close(&in);
    return rc;
}
