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

struct bcms_grm_loco_t {
    int kind, dup_rule, version;
    uint32_t grm_crc, n;
    uint64_t m;
    char *cohorts;      /* NULL: every dataset */
    char *name;
    st_prov_t p;        /* the chromosomes */
    uint64_t token;     /* version 2: the chunks of keys */
    uint32_t nchunk, per;
    uint32_t *pos;      /* version 1: the keys */
    uint64_t *ahash;
    double memory_mb;   /* the window of the K_c reads (bcms_grm_loco_window) */
    uint32_t window;
};

void bcms_grm_loco_window(bcms_grm_loco_t *l, double memory_mb, uint32_t window)
{
    l->memory_mb = memory_mb, l->window = window;
}

void bcms_grm_loco_free(bcms_grm_loco_t *l)
{
    if (!l) return;
    free(l->cohorts), free(l->name), free(l->pos), free(l->ahash);
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
    l->version = rd_u8(&r);
    if (l->version != 1 && l->version != 2)
        return bcms_err(BCMS_ECORRUPT, "GRM '%s': unknown variant record version %d (a newer bcms?)", name, l->version);
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
    if (l->version == 2) { /* the keys in chunk records */
        l->token = rd_u64(&r), l->nchunk = rd_u32(&r), l->per = rd_u32(&r);
        if (r.err || tot != l->m || r.p != r.end || !l->per ||
            l->nchunk != (uint32_t)((tot + l->per - 1) / l->per))
            return bcms_err(BCMS_ECORRUPT, "GRM '%s': bad variant record", name);
        return 0;
    }
    if (r.err || tot != l->m || (uint64_t)(r.end - r.p) != tot * 12)
        return bcms_err(BCMS_ECORRUPT, "GRM '%s': bad variant record length", name);
    if (!(l->pos = malloc(sizeof *l->pos * (tot + 1))) || !(l->ahash = malloc(sizeof *l->ahash * (tot + 1))))
        return bcms_err(BCMS_ENOMEM, "GRM '%s': %" PRIu64 " variants", name, tot);
    for (uint64_t k = 0; k < tot; k++) l->pos[k] = rd_u32(&r), l->ahash[k] = rd_u64(&r);
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
    if (!l || kputs(name, &key) < 0 || kputs(ST_PROV_SUFFIX, &key) < 0) {
        rc = bcms_err(BCMS_ENOMEM, "GRM variant record");
        goto out;
    }
    l->p.keys = 1;
    if (!(l->name = strdup(name))) {
        rc = bcms_err(BCMS_ENOMEM, "GRM variant record");
        goto out;
    }
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

/* The used variants: exactly the reader variants among chromosome c's keys. Both come in genomic
 * order (the keys in the build's reader order: positions never decrease), so one walk finds them:
 * past the keys before a variant's position, among those at it. */
typedef struct {
    st_prov_keys_t keys;
    uint64_t at, end;  /* the next key of c not before the variants so far; c's last + 1 */
    int err;           /* a key could not be read (the message is out) */
} loco_pick_t;

static int loco_pick(void *ud, const bcms_variant_t *var)
{
    loco_pick_t *p = ud;
    uint32_t pos;
    uint64_t h, want;
    if (p->err || var->pos < 0 || var->pos > (int64_t)UINT32_MAX) return 0;
    for (; p->at < p->end; p->at++) {
        if ((p->err = st_prov_key(&p->keys, p->at, &pos, &h))) return 0;
        if (pos >= (uint64_t)var->pos) break;
    }
    want = st_allele_hash(var->ref, var->alt);
    for (uint64_t i = p->at; i < p->end; i++) {
        if ((p->err = st_prov_key(&p->keys, i, &pos, &h))) return 0;
        if (pos != (uint64_t)var->pos) break;
        if (h == want) return 1;
    }
    return 0;
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
    loco_pick_t pick;
    MDB_txn *txn = NULL;
    int rc;
    if (!c || !c->m) {
        memcpy(Kc, g->K, sizeof *Kc * n * n);
        return 0;
    }
    if (c->m >= l->m) return bcms_err(BCMS_EINPUT, "--loco: every variant of the GRM is on chromosome %s", chrom);
    bcms_structure_sel_init(&sel);
    sel.sel.cohorts = l->cohorts, sel.sel.regions = chrom, sel.sel.dup_rule = l->dup_rule;
    sel.threads = sel.sel.threads = threads;
    sel.sel.memory_mb = l->memory_mb, sel.sel.window = l->window;
    memset(&pick, 0, sizeof pick);
    pick.keys.name = l->name, pick.keys.token = l->token, pick.keys.total = l->m, pick.keys.nchunk = l->nchunk;
    pick.keys.per = l->per, pick.keys.v1pos = l->pos, pick.keys.v1hash = l->ahash;
    pick.at = c->first, pick.end = c->first + c->m;
    if (l->version == 2) { /* the chunks, read from the map under a transaction of their own */
        int r;
        if ((rc = bcms_txn_begin(st, 1, &txn))) goto out;
        if ((r = mdb_dbi_open(txn, ST_GRM_DB, 0, &pick.keys.dbi))) {
            rc = bcms_lmdb_err(r, "reading the GRM's variants");
            goto out;
        }
        pick.keys.txn = txn;
    }
    if ((rc = st_input_open(st, &sel, &in)) || (rc = loco_samples(&in, g))) goto out;
    in.pick = loco_pick, in.pick_ud = &pick;
    memset(Kc, 0, sizeof *Kc * n * n);
    rc = st_gram_stream(&in, l->kind == BCMS_GRM_CENTRED ? ST_CENTRED : ST_STANDARDISED, threads, Kc, &mc, &chk);
    if (!rc) rc = pick.err;
    if (rc) goto out;
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
    if (txn) mdb_txn_abort(txn);
    st_prov_clear(&chk);
    st_input_close(&in);
    return rc;
}
