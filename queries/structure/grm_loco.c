/* grm_loco.c: what a stored GRM was built from, chromosome by chromosome, and the GRM without one
 * chromosome (structure.h, "leave one chromosome out"; the record: FORMAT.md "Table grm").
 * GPL-3.0-or-later.
 *
 * Why a list of variants rather than the build's options: the options name files (--keep, --extract)
 * that may have moved or changed, and --mind or --chunk select differently over one chromosome than over
 * the genome. The positions and alleles find the same variants again over the GRM's datasets without any
 * filter, and the hash of their standardised rows (over the GRM's samples, so the same allele
 * frequencies) proves the genotypes unchanged: K_-c is then exact up to rounding. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bytes.h"
#include "err.h"
#include "structure_internal.h"

#define PROV_VERSION 1
#define PROV_SUFFIX ",variants" /* ',' is not allowed in a GRM's name: no clash with one */

struct bcms_grm_loco_t {
    int kind, dup_rule;
    uint32_t grm_crc, n;
    uint64_t m;
    char *cohorts;      /* NULL: every dataset */
    st_prov_t p;        /* with its keys */
};

static uint64_t mix(uint64_t h, uint64_t u)
{
    h = (h ^ u) * 0x100000001b3ULL;
    return h ^ h >> 32; /* both steps are bijections: one changed word always changes the hash */
}

uint64_t st_allele_hash(const char *ref, const char *alt)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *s = (const unsigned char *)ref; *s; s++) h = (h ^ *s) * 0x100000001b3ULL;
    h = (h ^ 0xff) * 0x100000001b3ULL; /* a byte no allele has: "A","CG" differs from "AC","G" */
    for (const unsigned char *s = (const unsigned char *)alt; *s; s++) h = (h ^ *s) * 0x100000001b3ULL;
    return h;
}

void st_prov_clear(st_prov_t *p)
{
    free(p->chr), free(p->pos), free(p->ahash);
    int keys = p->keys;
    memset(p, 0, sizeof *p);
    p->keys = keys;
}

/* The run of chromosome chrom (a new one at the end, or the last one). */
static st_prov_chr_t *prov_chrom(st_prov_t *p, const char *chrom)
{
    if (p->nchr && !strcmp(p->chr[p->nchr - 1].chrom, chrom)) return &p->chr[p->nchr - 1];
    for (int c = 0; c < p->nchr; c++)
        if (!strcmp(p->chr[c].chrom, chrom)) return NULL;
    if (strlen(chrom) >= sizeof p->chr->chrom) return NULL;
    if (p->nchr == p->cap_chr) {
        int cap = p->cap_chr ? 2 * p->cap_chr : 32;
        st_prov_chr_t *c = realloc(p->chr, sizeof *c * cap);
        if (!c) return NULL;
        p->chr = c, p->cap_chr = cap;
    }
    st_prov_chr_t *c = &p->chr[p->nchr++];
    memset(c, 0, sizeof *c);
    strcpy(c->chrom, chrom);
    c->zhash = 0xcbf29ce484222325ULL, c->first = p->n;
    return c;
}

int st_prov_add(st_prov_t *p, const bcms_reader_t *rd, const double *Z, uint32_t n, uint32_t rows,
                const uint64_t *vidx)
{
    for (uint32_t j = 0; j < rows; j++) {
        const bcms_variant_t *v = bcms_reader_variant(rd, vidx[j]);
        st_prov_chr_t *c = prov_chrom(p, v->chrom);
        if (!c) return bcms_err(BCMS_EINVAL, "GRM variants: chromosome %s out of order (or out of memory)", v->chrom);
        const double *z = Z + (size_t)j * n;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t u;
            memcpy(&u, &z[i], 8);
            c->zhash = mix(c->zhash, u);
        }
        c->m++;
        if (!p->keys) continue;
        if (v->pos < 0 || v->pos > (int64_t)UINT32_MAX)
            return bcms_err(BCMS_EINVAL, "GRM variants: position %" PRId64 " out of range", (int64_t)v->pos);
        if (p->n == p->cap) {
            uint64_t cap = p->cap ? 2 * p->cap : 4096;
            uint32_t *np = realloc(p->pos, sizeof *np * cap);
            if (np) p->pos = np;
            uint64_t *nh = np ? realloc(p->ahash, sizeof *nh * cap) : NULL;
            if (!nh) return bcms_err(BCMS_ENOMEM, "GRM variant list");
            p->ahash = nh, p->cap = cap;
        }
        p->pos[p->n] = (uint32_t)v->pos, p->ahash[p->n++] = st_allele_hash(v->ref, v->alt);
    }
    return 0;
}

int st_prov_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const st_prov_t *p, uint32_t grm_crc, uint32_t n,
                uint64_t m, const char *cohorts, int dup_rule, int kind)
{
    kstring_t b = {0, 0, NULL}, key = {0, 0, NULL};
    int bad = buf_u8(&b, PROV_VERSION) || buf_u8(&b, (uint8_t)kind) || buf_u8(&b, 0) || buf_u8(&b, 0) ||
              buf_u32(&b, grm_crc) || buf_u32(&b, n) || buf_u64(&b, m) || buf_str(&b, cohorts) ||
              buf_u8(&b, (uint8_t)dup_rule) || buf_u32(&b, (uint32_t)p->nchr);
    for (int c = 0; c < p->nchr && !bad; c++)
        bad = buf_str(&b, p->chr[c].chrom) || buf_u64(&b, p->chr[c].m) || buf_u64(&b, p->chr[c].zhash);
    for (uint64_t k = 0; k < p->n && !bad; k++) bad = buf_u32(&b, p->pos[k]) || buf_u64(&b, p->ahash[k]);
    if (!bad) bad = buf_u32(&b, (uint32_t)crc32_z(crc32_z(0, NULL, 0), (const uint8_t *)b.s, b.l));
    if (!bad) bad = kputs(name, &key) < 0 || kputs(PROV_SUFFIX, &key) < 0;
    int rc = 0;
    if (bad) rc = bcms_err(BCMS_ENOMEM, "GRM variant record");
    else {
        MDB_val k = {key.l, key.s}, v = {b.l, b.s};
        int r = mdb_put(txn, dbi, &k, &v, 0);
        if (r) rc = bcms_lmdb_err(r, "storing the GRM's variants");
    }
    free(b.s), free(key.s);
    return rc;
}

void bcms_grm_loco_free(bcms_grm_loco_t *l)
{
    if (!l) return;
    free(l->cohorts);
    st_prov_clear(&l->p);
    free(l);
}

static int prov_parse(const MDB_val *v, const char *name, bcms_grm_loco_t *l)
{
    const uint8_t *q = v->mv_data;
    rd_t r;
    if (v->mv_size < 4 || be32_get(q + v->mv_size - 4) != (uint32_t)crc32_z(crc32_z(0, NULL, 0), q, v->mv_size - 4))
        return bcms_err(BCMS_ECORRUPT, "GRM '%s': its variant record fails its checksum (damaged)", name);
    rd_init(&r, q, v->mv_size - 4);
    if (rd_u8(&r) != PROV_VERSION) return bcms_err(BCMS_ECORRUPT, "GRM '%s': unknown variant record version", name);
    l->kind = rd_u8(&r);
    rd_u8(&r), rd_u8(&r);
    l->grm_crc = rd_u32(&r), l->n = rd_u32(&r), l->m = rd_u64(&r);
    if (!(l->cohorts = rd_strdup(&r))) return bcms_err(BCMS_ECORRUPT, "GRM '%s': bad variant record", name);
    if (!*l->cohorts) free(l->cohorts), l->cohorts = NULL;
    l->dup_rule = rd_u8(&r);
    uint32_t nchr = rd_u32(&r);
    if (r.err || nchr > 4096 || !(l->p.chr = calloc(nchr + 1, sizeof *l->p.chr)))
        return bcms_err(BCMS_ECORRUPT, "GRM '%s': bad variant record", name);
    uint64_t tot = 0;
    for (uint32_t c = 0; c < nchr; c++) {
        size_t len;
        const char *s = rd_str(&r, &len);
        st_prov_chr_t *pc = &l->p.chr[c];
        if (len >= sizeof pc->chrom) r.err = 1;
        else memcpy(pc->chrom, s, len), pc->chrom[len] = 0;
        pc->m = rd_u64(&r), pc->zhash = rd_u64(&r), pc->first = tot;
        tot += pc->m;
    }
    l->p.nchr = (int)nchr;
    if (r.err || tot != l->m || (uint64_t)(r.end - r.p) != tot * 12)
        return bcms_err(BCMS_ECORRUPT, "GRM '%s': bad variant record length", name);
    if (!(l->p.pos = malloc(sizeof *l->p.pos * (tot + 1))) || !(l->p.ahash = malloc(sizeof *l->p.ahash * (tot + 1))))
        return bcms_err(BCMS_ENOMEM, "GRM '%s': %" PRIu64 " variants", name, tot);
    for (uint64_t k = 0; k < tot; k++) l->p.pos[k] = rd_u32(&r), l->p.ahash[k] = rd_u64(&r);
    l->p.n = l->p.cap = tot;
    return 0;
}

int bcms_grm_loco_open(bcms_store_t *st, const char *name, const bcms_grm_t *g, bcms_grm_loco_t **out)
{
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    kstring_t key = {0, 0, NULL};
    bcms_grm_loco_t *l = calloc(1, sizeof *l);
    int rc, r;
    *out = NULL;
    if (!l || kputs(name, &key) < 0 || kputs(PROV_SUFFIX, &key) < 0) {
        rc = bcms_err(BCMS_ENOMEM, "GRM variant record");
        goto out;
    }
    l->p.keys = 1;
    if ((rc = bcms_txn_begin(st, 1, &txn))) goto out;
    MDB_val k = {key.l, key.s}, v;
    r = mdb_dbi_open(txn, ST_GRM_DB, 0, &dbi);
    if (!r) r = mdb_get(txn, dbi, &k, &v);
    if (r == MDB_NOTFOUND) {
        rc = bcms_err(BCMS_ENOTFOUND, "GRM '%s' does not record which variants it was built from (made by an older "
                      "bcms): rebuild it with this bcms (bcms grm, same options) to use --loco", name);
        goto out;
    }
    if (r) {
        rc = bcms_lmdb_err(r, "reading the GRM's variants");
        goto out;
    }
    if ((rc = prov_parse(&v, name, l))) goto out;
    if (l->grm_crc != g->crc || l->n != g->n || l->m != g->m || l->kind != g->kind)
        rc = bcms_err(BCMS_ENOTFOUND, "GRM '%s': its variant record is of another matrix (the GRM was rebuilt by an "
                      "older bcms): rebuild it with this bcms (bcms grm) to use --loco", name);
out:
    if (txn) mdb_txn_abort(txn);
    free(key.s);
    if (rc) bcms_grm_loco_free(l);
    else *out = l;
    return rc;
}

static const st_prov_chr_t *loco_chr(const bcms_grm_loco_t *l, const char *chrom)
{
    for (int c = 0; c < l->p.nchr; c++)
        if (!strcmp(l->p.chr[c].chrom, chrom)) return &l->p.chr[c];
    return NULL;
}

uint64_t bcms_grm_loco_nvar(const bcms_grm_loco_t *l, const char *chrom)
{
    const st_prov_chr_t *c = loco_chr(l, chrom);
    return c ? c->m : 0;
}

/* The GRM's samples, in its order, as the batches' columns. */
static int loco_samples(st_input_t *in, const bcms_grm_t *g)
{
    const uint32_t *ids = bcms_reader_sample_ids(in->rd);
    uint32_t maxs = 0, *idx = malloc(((size_t)g->n + 1) * sizeof *idx);
    int64_t *at = NULL;
    int rc = 0;
    for (uint32_t i = 0; i < in->nall; i++) maxs = ids[i] > maxs ? ids[i] : maxs;
    for (uint32_t i = 0; i < g->n; i++) maxs = g->snum[i] > maxs ? g->snum[i] : maxs;
    if (!idx || !(at = malloc(((size_t)maxs + 1) * sizeof *at))) {
        free(idx);
        return bcms_err(BCMS_ENOMEM, "GRM samples");
    }
    for (uint32_t s = 0; s <= maxs; s++) at[s] = -1;
    for (uint32_t i = 0; i < in->nall; i++) at[ids[i]] = i;
    for (uint32_t i = 0; i < g->n && !rc; i++)
        if (at[g->snum[i]] < 0)
            rc = bcms_err(BCMS_EINPUT, "a sample of the GRM (number %u) is no longer in its datasets: rebuild the GRM",
                          g->snum[i]);
        else idx[i] = (uint32_t)at[g->snum[i]];
    if (!rc) rc = st_input_subset(in, idx, g->n);
    free(idx), free(at);
    return rc;
}

typedef struct {
    uint32_t pos;
    uint64_t h;
} loco_key_t;

static int key_cmp(const void *a, const void *b)
{
    const loco_key_t *x = a, *y = b;
    return x->pos != y->pos ? (x->pos < y->pos ? -1 : 1) : x->h != y->h ? (x->h < y->h ? -1 : 1) : 0;
}

/* The used variants: exactly the reader variants among a chromosome's keys (sorted). */
typedef struct {
    const loco_key_t *k;
    uint64_t m;
} loco_pick_t;

static int loco_pick(void *ud, const bcms_variant_t *var)
{
    const loco_pick_t *p = ud;
    loco_key_t q = {(uint32_t)var->pos, st_allele_hash(var->ref, var->alt)};
    return var->pos >= 0 && var->pos <= (int64_t)UINT32_MAX && bsearch(&q, p->k, p->m, sizeof *p->k, key_cmp);
}

int bcms_grm_loco_matrix(bcms_store_t *st, const bcms_grm_loco_t *l, const bcms_grm_t *g, const char *chrom,
                         int threads, double *Kc)
{
    const uint32_t n = g->n;
    const st_prov_chr_t *c = loco_chr(l, chrom);
    bcms_structure_sel_t sel;
    st_input_t in = {0};
    st_prov_t chk = {0};
    uint64_t found = 0, mc = 0;
    loco_key_t *keys = NULL;
    loco_pick_t pick = {NULL, c ? c->m : 0};
    int rc;
    if (!c || !c->m) {
        memcpy(Kc, g->K, sizeof *Kc * n * n);
        return 0;
    }
    if (c->m >= l->m) return bcms_err(BCMS_EINPUT, "--loco: every variant of the GRM is on chromosome %s", chrom);
    bcms_structure_sel_init(&sel);
    sel.sel.cohorts = l->cohorts, sel.sel.regions = chrom, sel.sel.dup_rule = l->dup_rule;
    sel.threads = sel.sel.threads = threads;
    if (!(keys = malloc(sizeof *keys * (c->m + 1)))) {
        rc = bcms_err(BCMS_ENOMEM, "GRM variant list");
        goto out;
    }
    for (uint64_t i = 0; i < c->m; i++) keys[i].pos = l->p.pos[c->first + i], keys[i].h = l->p.ahash[c->first + i];
    qsort(keys, c->m, sizeof *keys, key_cmp);
    pick.k = keys;
    if ((rc = st_input_open(st, &sel, &in)) || (rc = loco_samples(&in, g))) goto out;
    in.pick = loco_pick, in.pick_ud = &pick;
    memset(Kc, 0, sizeof *Kc * n * n);
    if ((rc = st_gram_stream(&in, l->kind == BCMS_GRM_CENTRED ? ST_CENTRED : ST_STANDARDISED, threads, Kc, &mc, &chk)))
        goto out;
    found = in.nuse;
    if (found != c->m || chk.nchr != 1 || chk.chr[0].m != c->m || chk.chr[0].zhash != c->zhash) {
        rc = bcms_err(BCMS_EINPUT, "--loco: the store no longer gives the genotypes the GRM was built from on "
                      "chromosome %s (%" PRIu64 " of its %" PRIu64 " variants found%s): rebuild the GRM", chrom, found,
                      c->m, found == c->m ? ", with other genotypes" : "");
        goto out;
    }
    /* K_-c = (m K - Z_c'Z_c) / (m - m_c); the tiles filled the upper triangle (diagonal tiles whole) */
    const double m = (double)l->m, inv = 1.0 / (double)(l->m - c->m);
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = i; j < n; j++) Kc[(size_t)i * n + j] = (m * g->K[(size_t)i * n + j] - Kc[(size_t)i * n + j]) * inv;
        for (uint32_t j = 0; j < i; j++) Kc[(size_t)i * n + j] = Kc[(size_t)j * n + i];
    }
    bcms_log(BCMS_LOG_INFO, "grm: without chromosome %s: %" PRIu64 " of %" PRIu64 " variants", chrom, l->m - c->m, l->m);
out:
    free(keys);
    st_prov_clear(&chk);
    st_input_close(&in);
    return rc;
}
