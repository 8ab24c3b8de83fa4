/* assoc_lmmloco.c: `bcms assoc --model lmm --loco`: one null model per phenotype and chromosome, fitted
 * on the GRM without that chromosome (contract in assoc_internal.h). GPL-3.0-or-later.
 *
 * A chromosome's models are keyed by its name; every contig the GRM has no variant on shares the key ""
 * (the GRM itself: leaving out nothing). Each model has one workspace per thread, made with it. */
#include <stdlib.h>
#include <string.h>

#include "assoc_internal.h"
#include "cluster.h"
#include "err.h"
#include "structure.h"

#define LOCO_KEY 8     /* canonical contig names are short; longer ones are keyed by the GRM itself */
#define LOCO_MAXSEG 64 /* keys of one segment (a batch over many tiny contigs still fits) */

typedef struct {
    char key[LOCO_KEY];
    lmm_model_t **mod;  /* per phenotype */
    lmm_ws_t **ws;      /* per phenotype x thread */
} loco_entry_t;

struct assoc_lmmloco_t {
    bcms_store_t *st;
    const bcms_grm_t *grm;
    bcms_grm_loco_t *prov;
    model_t *models;
    int nm, threads;
    uint64_t njobs;     /* fits dealt out to the MPI ranks so far (in turn, from rank 0) */
    int n, cap;
    loco_entry_t *e;
};

int assoc_lmmloco_open(assoc_lmmloco_t **out, bcms_store_t *st, const char *grm_name, const bcms_grm_t *grm,
                       model_t *models, int nm, int threads, const bcms_reader_opts_t *win)
{
    assoc_lmmloco_t *l = calloc(1, sizeof *l);
    int rc;
    *out = NULL;
    if (!l) return BCMS_ENOMEM;
    if ((rc = bcms_grm_loco_open(st, grm_name, grm, &l->prov))) {
        free(l);
        return rc;
    }
    bcms_grm_loco_window(l->prov, win->memory_mb, win->window);
    l->st = st, l->grm = grm, l->models = models, l->nm = nm, l->threads = threads;
    for (int i = 0; i < nm; i++) models[i].lmmloco = l, models[i].mi = i;
    *out = l;
    return 0;
}

static void entry_free(const assoc_lmmloco_t *l, loco_entry_t *e)
{
    for (int i = 0; e->ws && i < l->nm * l->threads; i++) lmm_ws_free(e->ws[i]);
    for (int i = 0; e->mod && i < l->nm; i++) lmm_model_free(e->mod[i]);
    free(e->ws), free(e->mod);
    memset(e, 0, sizeof *e);
}

void assoc_lmmloco_free(assoc_lmmloco_t *l)
{
    if (!l) return;
    for (int i = 0; i < l->n; i++) entry_free(l, &l->e[i]);
    free(l->e);
    bcms_grm_loco_free(l->prov);
    free(l);
}

static const char *loco_key(const assoc_lmmloco_t *l, const char *chrom)
{
    return strlen(chrom) < LOCO_KEY && bcms_grm_loco_nvar(l->prov, chrom) ? chrom : "";
}

/* The distinct keys of batch b, appended to keys[*nk] (at most LOCO_MAXSEG; -1 past that). */
static int batch_keys(const assoc_lmmloco_t *l, const bcms_reader_t *rd, uint32_t b, const char **keys, int *nk)
{
    uint64_t first;
    uint32_t nv;
    bcms_reader_batch_range(rd, b, &first, &nv);
    const char *last = NULL;
    for (uint32_t v = 0; v < nv; v++) {
        const char *chrom = bcms_reader_variant(rd, first + v)->chrom;
        if (last && !strcmp(chrom, last)) continue;
        last = chrom;
        const char *k = loco_key(l, chrom);
        int have = 0;
        for (int i = 0; i < *nk && !have; i++) have = !strcmp(keys[i], k);
        if (have) continue;
        if (*nk == LOCO_MAXSEG) return -1;
        keys[(*nk)++] = k;
    }
    return 0;
}

/* The fits of key that this rank owns (owner[i] == rank), each with its return code in status[i]: on
 * the GRM without that chromosome ("" the GRM itself). */
static void entry_fit(assoc_lmmloco_t *l, loco_entry_t *e, const int *owner, int *status)
{
    const bcms_grm_t *g = l->grm;
    const int me = bcms_cluster_rank();
    bcms_grm_t view = *g;
    double *Kc = NULL;
    int rc = 0, mine = 0;
    for (int i = 0; i < l->nm; i++) mine |= owner[i] == me;
    if (!mine) return;
    if (*e->key) {
        if (!(Kc = malloc(sizeof *Kc * g->n * g->n))) rc = bcms_err(BCMS_ENOMEM, "--loco: a %u x %u matrix", g->n, g->n);
        if (!rc) rc = bcms_grm_loco_matrix(l->st, l->prov, g, e->key, l->threads, Kc);
        view.K = Kc;
    }
    for (int i = 0; i < l->nm; i++) {
        const model_t *m = &l->models[i];
        const assoc_lmmdesign_t *d = m->lmmd;
        if (owner[i] != me) continue;
        if (rc) {
            status[i] = rc;
            continue;
        }
        if (*e->key) bcms_log(BCMS_LOG_INFO, "lmm --loco: %s: chromosome %s", m->pheno, e->key);
        else bcms_log(BCMS_LOG_INFO, "lmm --loco: %s: contigs without GRM variants (chrX, chrY, chrM): the whole GRM",
                      m->pheno);
        if ((status[i] = lmm_model_init(&e->mod[i], &view, d->snum, m->n, d->y, d->W, d->c, l->threads)))
            status[i] = bcms_err(status[i], "phenotype %s, the GRM without chromosome %s: %s", m->pheno,
                                 *e->key ? e->key : "-", bcms_err_detail());
    }
    free(Kc);
}

/* Make the entries of keys[0..nk-1] that do not exist yet. The fits are dealt out to the MPI ranks in
 * turn (each computes K_-c only for its own), then every fit goes from its rank to the others
 * (lmm_model_share), in the same order on every rank. */
static int entries_add(assoc_lmmloco_t *l, const char **keys, int nk)
{
    const int nr = bcms_cluster_size(), first = l->n;
    int rc = 0, *owner = NULL, *status = NULL, nj = 0;
    for (int k = 0; k < nk && !rc; k++) {
        int have = 0;
        for (int i = 0; i < l->n && !have; i++) have = !strcmp(keys[k], l->e[i].key);
        if (have) continue;
        if (l->n == l->cap) {
            int cap = l->cap ? 2 * l->cap : 4;
            loco_entry_t *e = realloc(l->e, sizeof *e * cap);
            if (!e) return BCMS_ENOMEM;
            l->e = e, l->cap = cap;
        }
        loco_entry_t *e = &l->e[l->n++]; /* freed with the others, complete or not */
        memset(e, 0, sizeof *e);
        strcpy(e->key, keys[k]);
        if (!(e->mod = calloc(l->nm, sizeof *e->mod)) || !(e->ws = calloc((size_t)l->nm * l->threads, sizeof *e->ws)))
            return BCMS_ENOMEM;
    }
    nj = (l->n - first) * l->nm;
    if (!nj) return 0;
    if (!(owner = malloc(sizeof *owner * nj)) || !(status = calloc(nj, sizeof *status))) {
        free(owner);
        return BCMS_ENOMEM;
    }
    for (int j = 0; j < nj; j++) owner[j] = (int)((l->njobs + (uint64_t)j) % (uint64_t)nr);
    l->njobs += (uint64_t)nj;
    for (int k = first; k < l->n; k++) entry_fit(l, &l->e[k], owner + (k - first) * l->nm, status + (k - first) * l->nm);
    for (int j = 0; j < nj && !rc; j++) {
        loco_entry_t *e = &l->e[first + j / l->nm];
        const int i = j % l->nm;
        if (owner[j] != bcms_cluster_rank())
            bcms_log(BCMS_LOG_INFO, "lmm --loco: %s: %s%s from MPI rank %d", l->models[i].pheno,
                     *e->key ? "chromosome " : "contigs without GRM variants", e->key, owner[j]);
        rc = lmm_model_share(&e->mod[i], owner[j], status[j], l->models[i].n, l->models[i].lmmd->c);
    }
    for (int k = first; k < l->n && !rc; k++)
        for (int j = 0; j < l->nm * l->threads && !rc; j++)
            if (!(l->e[k].ws[j] = lmm_ws_new(l->e[k].mod[j / l->threads]))) rc = BCMS_ENOMEM;
    free(owner), free(status);
    return rc;
}

/* Keep the entries of keys[0..nk-1], free the others, then make the missing ones. */
static int entries_make(assoc_lmmloco_t *l, const char **keys, int nk)
{
    int w = 0;
    for (int i = 0; i < l->n; i++) {
        int want = 0;
        for (int k = 0; k < nk && !want; k++) want = !strcmp(keys[k], l->e[i].key);
        if (want) l->e[w++] = l->e[i];
        else entry_free(l, &l->e[i]);
    }
    l->n = w;
    return entries_add(l, keys, nk);
}

int assoc_lmmloco_segment(assoc_lmmloco_t *l, const bcms_reader_t *rd, uint32_t b, uint32_t bend, uint32_t start,
                          uint32_t *b1)
{
    const char *keys[LOCO_MAXSEG], *more[LOCO_MAXSEG];
    int nk = 0;
    if (batch_keys(l, rd, b, keys, &nk))
        return bcms_err(BCMS_EINVAL, "--loco: a batch spans more than %d contigs", LOCO_MAXSEG);
    uint32_t e = b + 1;
    /* grow while the union stays within max(2, keys so far): one chromosome's batches, and the one
     * that crosses into the next (a batch can: it ends at a block of its first variant's dataset) */
    for (; e < bend; e++) {
        int nm = nk;
        memcpy(more, keys, sizeof *keys * nk);
        if (batch_keys(l, rd, e, more, &nm) || nm > (nk > 2 ? nk : 2)) break;
        memcpy(keys, more, sizeof *keys * nm);
        nk = nm;
    }
    *b1 = e;
    return e <= start ? 0 : entries_make(l, keys, nk);
}

static const loco_entry_t *entry_of(const assoc_lmmloco_t *l, const char *chrom)
{
    const char *k = loco_key(l, chrom);
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].key, k)) return &l->e[i];
    return NULL;
}

int assoc_lmmloco_block(const model_t *m, int thread, const bcms_reader_t *rd, uint64_t first, uint32_t nv,
                        const uint8_t *codes, lmm_result_t *res)
{
    const assoc_lmmloco_t *l = m->lmmloco;
    for (uint32_t v0 = 0, v1; v0 < nv; v0 = v1) {
        const char *chrom = bcms_reader_variant(rd, first + v0)->chrom;
        for (v1 = v0 + 1; v1 < nv && !strcmp(bcms_reader_variant(rd, first + v1)->chrom, chrom); v1++) {}
        const loco_entry_t *e = entry_of(l, chrom);
        if (!e) return bcms_err(BCMS_EINVAL, "--loco: no model for chromosome %s (internal error)", chrom);
        int rc = lmm_test_codes(e->mod[m->mi], e->ws[(size_t)m->mi * l->threads + thread], codes + (size_t)v0 * m->n,
                                v1 - v0, res + v0);
        if (rc) return rc;
    }
    return 0;
}
