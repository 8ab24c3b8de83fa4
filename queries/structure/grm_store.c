/* grm_store.c: genetic relationship matrices kept in the store, in the optional named database
 * "grm" (layout in engine/FORMAT.md, "Table grm"). GPL-3.0-or-later.
 *
 * A record is written in place (MDB_RESERVE: no second copy of a matrix that may be hundreds of MB)
 * and read back with its CRC checked. The table is created by the first `bcms grm`; a store without
 * it simply has no GRM. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "bcms_version.h"
#include "bytes.h"
#include "cluster.h"
#include "err.h"
#include "structure_internal.h"

#define GRM_DB ST_GRM_DB
#define GRM_RECORD_VERSION 1

void bcms_grm_opts_init(bcms_grm_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_structure_sel_init(&o->in);
    o->kind = BCMS_GRM_CENTRED;
    o->name = "default";
}

void bcms_grm_clear(bcms_grm_t *g)
{
    free(g->snum), free(g->K), free(g->created_at), free(g->command), free(g->tool), free(g->selection);
    memset(g, 0, sizeof *g);
}

static void put_f64(uint8_t *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    be32_put(p, (uint32_t)(u >> 32));
    be32_put(p + 4, (uint32_t)u);
}

static double get_f64(const uint8_t *p)
{
    uint64_t u = (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
    double x;
    memcpy(&x, &u, 8);
    return x;
}

/* Header (version .. sample numbers) into h; the lower triangle follows it in the record. */
static int grm_header(kstring_t *h, int kind, uint32_t n, uint64_t m, const uint32_t *snum, const char *when,
                      const char *command, const char *tool, const char *selection)
{
    if (buf_u8(h, GRM_RECORD_VERSION) || buf_u8(h, (uint8_t)kind) || buf_u8(h, 0) || buf_u8(h, 0) || buf_u32(h, n) ||
        buf_u64(h, m) || buf_str(h, when) || buf_str(h, command) || buf_str(h, tool) || buf_str(h, selection))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (buf_u32(h, snum[i])) return -1;
    return 0;
}

static int grm_put(bcms_store_t *st, const bcms_grm_opts_t *o, const st_input_t *in, const double *K, uint64_t m,
                   const char *selection, st_prov_t *prov)
{
    const char *name = o->name, *command = o->command;
    const int kind = o->kind;
    const uint32_t n = in->n;
    char when[32], tool[64];
    time_t now = time(NULL);
    kstring_t h = {0, 0, NULL}, hist = {0, 0, NULL};
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    int rc;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    snprintf(tool, sizeof tool, "bcms %s", BCMS_VERSION);
    if (grm_header(&h, kind, n, m, in->snum, when, command, tool, selection) ||
        ksprintf(&hist, "%s grm name=%s kind=%s samples=%u variants=%" PRIu64 " command=%s", when, name,
                 kind == BCMS_GRM_CENTRED ? "centred" : "standardised", n, m, command ? command : "") < 0) {
        rc = bcms_err(BCMS_ENOMEM, "grm record");
        goto out;
    }
    const size_t tri = (size_t)n * (n + 1) / 2, len = h.l + tri * 8 + 4;
    uint64_t token;
    uint32_t nchunk;
    /* the variants' keys first, in transactions of their own (memory: one chunk); then the matrix
     * and the record naming them, in one */
    if ((rc = st_prov_write_keys(st, name, prov, &token, &nchunk))) goto out;
    if ((rc = bcms_txn_begin(st, 0, &txn))) goto out;
    int r = mdb_dbi_open(txn, GRM_DB, MDB_CREATE, &dbi);
    MDB_val key = {strlen(name), (void *)name}, val = {len, NULL};
    if (!r) r = mdb_put(txn, dbi, &key, &val, MDB_RESERVE);
    if (r) {
        rc = bcms_lmdb_err(r, "storing the GRM");
        goto out;
    }
    uint8_t *p = val.mv_data;
    memcpy(p, h.s, h.l);
    uint8_t *q = p + h.l;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j <= i; j++, q += 8) put_f64(q, K[(size_t)i * n + j]);
    const uint32_t crc = (uint32_t)crc32_z(crc32_z(0, NULL, 0), p, len - 4);
    be32_put(q, crc);
    if ((rc = st_prov_put(txn, dbi, name, prov, crc, n, m, o->in.sel.cohorts, o->in.sel.dup_rule, kind, token,
                          nchunk)))
        goto out;
    if ((rc = bcms_meta_add_history(st, txn, hist.s))) goto out;
    rc = bcms_txn_commit(txn);
    txn = NULL;
out:
    if (txn) mdb_txn_abort(txn);
    free(h.s), free(hist.s);
    return rc;
}

static char *dup_str(rd_t *r)
{
    size_t l;
    const char *s = rd_str(r, &l);
    char *d = malloc(l + 1);
    if (d) memcpy(d, s ? s : "", l), d[l] = 0;
    return d;
}

/* The stored names, for a not-found message. */
static void grm_names(MDB_txn *txn, MDB_dbi dbi, kstring_t *s)
{
    MDB_cursor *c;
    MDB_val k, v;
    if (mdb_cursor_open(txn, dbi, &c)) return;
    for (int op = MDB_FIRST; !mdb_cursor_get(c, &k, &v, op); op = MDB_NEXT)
        if (!memchr(k.mv_data, ',', k.mv_size)) /* not a "NAME,variants" record */
            ksprintf(s, "%s%.*s", s->l ? ", " : "", (int)k.mv_size, (const char *)k.mv_data);
    mdb_cursor_close(c);
}

static int grm_parse(const MDB_val *v, const char *name, bcms_grm_t *g)
{
    const uint8_t *p = v->mv_data;
    rd_t r;
    if (v->mv_size < 4 || be32_get(p + v->mv_size - 4) != (uint32_t)crc32_z(crc32_z(0, NULL, 0), p, v->mv_size - 4))
        return bcms_err(BCMS_ECORRUPT, "GRM '%s': checksum mismatch (damaged record)", name);
    rd_init(&r, p, v->mv_size - 4);
    if (rd_u8(&r) != GRM_RECORD_VERSION) return bcms_err(BCMS_ECORRUPT, "GRM '%s': unknown record version", name);
    g->kind = rd_u8(&r);
    rd_u8(&r), rd_u8(&r);
    g->n = rd_u32(&r);
    g->m = rd_u64(&r);
    g->created_at = dup_str(&r), g->command = dup_str(&r), g->tool = dup_str(&r), g->selection = dup_str(&r);
    const uint32_t n = g->n;
    if (r.err || !g->created_at || !g->command || !g->tool || !g->selection ||
        (size_t)(r.end - r.p) != (size_t)n * 4 + (size_t)n * (n + 1) / 2 * 8)
        return bcms_err(BCMS_ECORRUPT, "GRM '%s': bad record length", name);
    if (!(g->snum = malloc(((size_t)n + 1) * sizeof *g->snum)) || !(g->K = malloc((size_t)n * n * sizeof *g->K)))
        return bcms_err(BCMS_ENOMEM, "GRM '%s' of %u samples", name, n);
    g->crc = be32_get(p + v->mv_size - 4);
    for (uint32_t i = 0; i < n; i++) g->snum[i] = rd_u32(&r);
    const uint8_t *q = r.p;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j <= i; j++, q += 8) g->K[(size_t)i * n + j] = g->K[(size_t)j * n + i] = get_f64(q);
    return 0;
}

int bcms_grm_load(bcms_store_t *st, const char *name, bcms_grm_t *g)
{
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val key = {strlen(name), (void *)name}, val;
    kstring_t names = {0, 0, NULL};
    int rc, r;
    memset(g, 0, sizeof *g);
    if ((rc = bcms_txn_begin(st, 1, &txn))) return rc;
    r = mdb_dbi_open(txn, GRM_DB, 0, &dbi);
    if (r == MDB_NOTFOUND) {
        rc = bcms_err(BCMS_ENOTFOUND, "no GRM stored in %s: make one with bcms grm", bcms_store_path(st));
        goto out;
    }
    if (!r && (r = mdb_get(txn, dbi, &key, &val)) == MDB_NOTFOUND) {
        grm_names(txn, dbi, &names);
        rc = bcms_err(BCMS_ENOTFOUND, "no GRM named '%s' in %s (stored: %s)", name, bcms_store_path(st),
                      names.l ? names.s : "none");
        goto out;
    }
    if (r) {
        rc = bcms_lmdb_err(r, "reading the GRM");
        goto out;
    }
    rc = grm_parse(&val, name, g);
out:
    mdb_txn_abort(txn);
    free(names.s);
    if (rc) bcms_grm_clear(g);
    return rc;
}

static int grm_write_text(const char *path, const double *K, uint32_t n)
{
    BGZF *out = NULL;
    kstring_t s = {0, 0, NULL};
    int rc = st_out_open(path, &out);
    for (uint32_t i = 0; i < n && !rc; i++) {
        s.l = 0;
        for (uint32_t j = 0; j < n; j++) ksprintf(&s, j ? "\t%.10g" : "%.10g", K[(size_t)i * n + j]);
        kputc('\n', &s);
        rc = st_out_write(out, path, s.s, s.l);
    }
    free(s.s);
    return st_out_close(out, path, rc);
}

int bcms_grm_run(bcms_store_t *st, const bcms_grm_opts_t *o, uint64_t stats[2])
{
    st_input_t in;
    double *K = NULL;
    uint64_t m = 0;
    char *sel = NULL;
    st_prov_t prov = {0};
    int rc;
    prov.keys = 1;
    if (o->kind != BCMS_GRM_CENTRED && o->kind != BCMS_GRM_STANDARDISED) return bcms_err(BCMS_EINVAL, "grm: kind");
    if (!o->name || !*o->name || strlen(o->name) > 255 || strpbrk(o->name, " \t\n,"))
        return bcms_err(BCMS_EINVAL, "grm: --name must be 1-255 characters without white space or ','");
    if ((rc = st_input_open(st, &o->in, &in))) return rc;
    if (!(K = malloc((size_t)in.n * (in.n + 1) * sizeof *K))) { /* st_grm_build's room */
        rc = bcms_err(BCMS_ENOMEM, "grm: a %u x %u matrix", in.n, in.n);
        goto out;
    }
    if ((rc = st_grm_build_prov(&in, o->kind == BCMS_GRM_CENTRED ? ST_CENTRED : ST_STANDARDISED, o->in.threads, K, &m,
                                &prov)))
        goto out;
    bcms_log(BCMS_LOG_INFO, "grm: %u samples, %" PRIu64 " autosomal variants, %s", in.n, in.nuse,
             o->kind == BCMS_GRM_CENTRED ? "centred" : "standardised");
    if (bcms_cluster_rank() != 0) goto out; /* under MPI, rank 0 has the matrix and stores it */
    if (asprintf(&sel, "cohorts=%s regions=%s maf=%g mac=%u geno=%g hwe=%g keep=%s extract=%s",
                 o->in.sel.cohorts ? o->in.sel.cohorts : "all", o->in.sel.regions ? o->in.sel.regions : "all",
                 o->in.sel.maf_min, o->in.sel.mac_min, o->in.sel.geno_max, o->in.sel.hwe_min,
                 o->in.sel.keep ? o->in.sel.keep : "-", o->in.sel.extract ? o->in.sel.extract : "-") < 0) {
        sel = NULL;
        rc = bcms_err(BCMS_ENOMEM, "grm");
        goto out;
    }
    if (o->out && (rc = grm_write_text(o->out, K, in.n))) goto out;
    bcms_reader_close(in.rd); /* its read transaction ends before the write */
    in.rd = NULL;
    if ((rc = grm_put(st, o, &in, K, m, sel, &prov))) goto out;
    if (stats) stats[0] = in.n, stats[1] = m;
out:
    free(K);
    free(sel);
    st_prov_clear(&prov);
    st_input_close(&in);
    return rc;
}
