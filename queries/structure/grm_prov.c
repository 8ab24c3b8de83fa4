/* grm_prov.c: the record of which variants a GRM was built from (grm_loco.c reads it; FORMAT.md
 * "Table grm", variant record): per chromosome its count and the hash of its standardised rows, and
 * each variant's key (position, allele hash). GPL-3.0-or-later.
 *
 * Memory flat in the variant count: a build spills its keys past one chunk to a temporary file, and
 * they go to the store in chunk records of their own, each in a write transaction of its own (LMDB
 * holds a transaction's pages in memory until it commits), under a token new to the build; the
 * header record, written with the matrix in one transaction, names the token and removes every other
 * build's chunks of the name (those a build that died before its last transaction left behind).
 * Readers take the keys chunk by chunk from the map, nothing copied. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "bytes.h"
#include "err.h"
#include "tmpfile.h"
#include "structure_internal.h"

#define PROV_KEY_BYTES 12 /* u32 position, u64 allele hash, big-endian */

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
    free(p->chr), free(p->buf);
    if (p->spill) fclose(p->spill);
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

/* One key into the chunk buffer; a full buffer goes to the spill file. */
static int key_add(st_prov_t *p, uint32_t pos, uint64_t h)
{
    const size_t cap = (size_t)ST_PROV_CHUNK * PROV_KEY_BYTES;
    if (!p->buf && !(p->buf = malloc(cap))) return bcms_err(BCMS_ENOMEM, "GRM variant list");
    if (p->bl == cap) {
        if (!p->spill && !(p->spill = bcms_tmpfile()))
            return bcms_err(BCMS_EIO, "grm: cannot create a temporary file for the variant list in %s: %s; set TMPDIR "
                            "to a writable directory", bcms_tmpdir(), strerror(errno));
        if (fwrite(p->buf, 1, cap, p->spill) != cap)
            return bcms_err(BCMS_EIO, "grm: writing the variant list's temporary file failed (disk full?)");
        p->bl = 0;
    }
    uint8_t *q = p->buf + p->bl;
    be32_put(q, pos), be32_put(q + 4, (uint32_t)(h >> 32)), be32_put(q + 8, (uint32_t)h);
    p->bl += PROV_KEY_BYTES, p->n++;
    return 0;
}

int st_prov_add(st_prov_t *p, const bcms_reader_t *rd, const double *Z, uint32_t n, uint32_t rows,
                const uint64_t *vidx)
{
    int rc;
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
        if ((rc = key_add(p, (uint32_t)v->pos, st_allele_hash(v->ref, v->alt)))) return rc;
    }
    return 0;
}

/* "NAME,variants,TOKEN,SEQ" (16 and 8 hex digits): sorts by token, then chunk. */
static void chunk_key(kstring_t *k, const char *name, uint64_t token, uint32_t seq)
{
    k->l = 0;
    ksprintf(k, "%s%s,%016" PRIx64 ",%08" PRIx32, name, ST_PROV_SUFFIX, token, seq);
}

int st_prov_write_keys(bcms_store_t *st, const char *name, st_prov_t *p, uint64_t *token, uint32_t *nchunk)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t t = mix(mix(mix(0xcbf29ce484222325ULL, (uint64_t)ts.tv_sec), (uint64_t)ts.tv_nsec), (uint64_t)getpid());
    kstring_t key = {0, 0, NULL};
    uint8_t *in = NULL;
    const uint32_t nc = (uint32_t)((p->n + ST_PROV_CHUNK - 1) / ST_PROV_CHUNK);
    int rc = 0;
    *token = t, *nchunk = nc;
    if (p->spill && (fflush(p->spill) || fseeko(p->spill, 0, SEEK_SET)))
        return bcms_err(BCMS_EIO, "grm: reading the variant list's temporary file failed");
    for (uint32_t s = 0; s < nc && !rc; s++) {
        const uint64_t k0 = (uint64_t)s * ST_PROV_CHUNK, nk = p->n - k0 < ST_PROV_CHUNK ? p->n - k0 : ST_PROV_CHUNK;
        const size_t len = nk * PROV_KEY_BYTES;
        MDB_txn *txn = NULL;
        MDB_dbi dbi;
        chunk_key(&key, name, t, s);
        if (!key.s) return bcms_err(BCMS_ENOMEM, "GRM variant record");
        if ((rc = bcms_txn_begin(st, 0, &txn))) break;
        MDB_val k = {key.l, key.s}, v = {len + 4, NULL};
        int r = mdb_dbi_open(txn, ST_GRM_DB, MDB_CREATE, &dbi);
        if (!r) r = mdb_put(txn, dbi, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE);
        if (r) {
            mdb_txn_abort(txn);
            rc = bcms_lmdb_err(r, "storing the GRM's variants");
            break;
        }
        in = v.mv_data;
        /* the last chunk is the buffer's; the ones before it are in the spill file, in order */
        if (s + 1 < nc) {
            if (!p->spill || fread(in, 1, len, p->spill) != len)
                rc = bcms_err(BCMS_EIO, "grm: the variant list's temporary file is short");
        } else {
            memcpy(in, p->buf, len);
        }
        if (!rc) be32_put(in + len, (uint32_t)crc32_z(crc32_z(0, NULL, 0), in, len));
        if (rc) mdb_txn_abort(txn);
        else rc = bcms_txn_commit(txn);
    }
    free(key.s);
    return rc;
}

int st_prov_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const st_prov_t *p, uint32_t grm_crc, uint32_t n,
                uint64_t m, const char *cohorts, int dup_rule, int kind, uint64_t token, uint32_t nchunk)
{
    kstring_t b = {0, 0, NULL}, key = {0, 0, NULL};
    int bad = buf_u8(&b, ST_PROV_VERSION) || buf_u8(&b, (uint8_t)kind) || buf_u8(&b, 0) || buf_u8(&b, 0) ||
              buf_u32(&b, grm_crc) || buf_u32(&b, n) || buf_u64(&b, m) || buf_str(&b, cohorts) ||
              buf_u8(&b, (uint8_t)dup_rule) || buf_u32(&b, (uint32_t)p->nchr);
    for (int c = 0; c < p->nchr && !bad; c++)
        bad = buf_str(&b, p->chr[c].chrom) || buf_u64(&b, p->chr[c].m) || buf_u64(&b, p->chr[c].zhash);
    if (!bad) bad = buf_u64(&b, token) || buf_u32(&b, nchunk) || buf_u32(&b, ST_PROV_CHUNK);
    if (!bad) bad = buf_u32(&b, (uint32_t)crc32_z(crc32_z(0, NULL, 0), (const uint8_t *)b.s, b.l));
    if (!bad) bad = kputs(name, &key) < 0 || kputs(ST_PROV_SUFFIX, &key) < 0;
    int rc = 0, r;
    if (bad) rc = bcms_err(BCMS_ENOMEM, "GRM variant record");
    else {
        MDB_val k = {key.l, key.s}, v = {b.l, b.s};
        if ((r = mdb_put(txn, dbi, &k, &v, 0))) rc = bcms_lmdb_err(r, "storing the GRM's variants");
    }
    /* every other build's chunks of this name: "NAME,variants," then a token that is not ours */
    MDB_cursor *cur = NULL;
    char mine[20];
    snprintf(mine, sizeof mine, "%016" PRIx64, token);
    if (!rc && kputc(',', &key) < 0) rc = bcms_err(BCMS_ENOMEM, "GRM variant record");
    if (!rc && (r = mdb_cursor_open(txn, dbi, &cur))) rc = bcms_lmdb_err(r, "the GRM table");
    MDB_val k = {key.l, key.s}, v;
    for (int op = MDB_SET_RANGE; !rc && !(r = mdb_cursor_get(cur, &k, &v, op)); op = MDB_NEXT) {
        if (k.mv_size < key.l || memcmp(k.mv_data, key.s, key.l)) break;
        if (k.mv_size >= key.l + 16 && !memcmp((const char *)k.mv_data + key.l, mine, 16)) continue;
        if ((r = mdb_cursor_del(cur, 0))) rc = bcms_lmdb_err(r, "removing an earlier GRM's variants");
    }
    if (cur) mdb_cursor_close(cur);
    free(b.s), free(key.s);
    return rc;
}

int st_prov_key(st_prov_keys_t *k, uint64_t i, uint32_t *pos, uint64_t *h)
{
    if (k->v1pos) {
        *pos = k->v1pos[i], *h = k->v1hash[i];
        return 0;
    }
    const uint32_t s = (uint32_t)(i / k->per);
    if (!k->data || s != k->seq) {
        kstring_t key = {0, 0, NULL};
        chunk_key(&key, k->name, k->token, s);
        if (!key.s) return bcms_err(BCMS_ENOMEM, "GRM variant record");
        MDB_val kv = {key.l, key.s}, v;
        const uint64_t k0 = (uint64_t)s * k->per, nk = k->total - k0 < k->per ? k->total - k0 : k->per;
        int r = mdb_get(k->txn, k->dbi, &kv, &v);
        free(key.s);
        if (r == MDB_NOTFOUND || (!r && (v.mv_size != nk * PROV_KEY_BYTES + 4 ||
                                          be32_get((const uint8_t *)v.mv_data + v.mv_size - 4) !=
                                              (uint32_t)crc32_z(crc32_z(0, NULL, 0), v.mv_data, v.mv_size - 4))))
            return bcms_err(BCMS_ECORRUPT, "GRM '%s': its variant list (part %u of %u) is %s: rebuild the GRM", k->name,
                            s + 1, k->nchunk, r ? "missing" : "damaged");
        if (r) return bcms_lmdb_err(r, "reading the GRM's variants");
        k->data = v.mv_data, k->seq = s, k->first = k0;
    }
    const uint8_t *q = k->data + (i - k->first) * PROV_KEY_BYTES;
    *pos = be32_get(q), *h = (uint64_t)be32_get(q + 4) << 32 | be32_get(q + 8);
    return 0;
}
