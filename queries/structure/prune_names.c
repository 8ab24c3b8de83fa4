/* prune_names.c: which variant IDs name more than one variant, and which CHR:POS:REF:ALT keys are
 * ambiguous, over every variant of the selection, for the lists prune writes (prune.c).
 * GPL-3.0-or-later.
 *
 * One pass over the variants records a 64-bit hash of each ID (but '.') and of each key, tagged in
 * the low bit (0 ID, 1 key); the hashes are sorted in runs of fixed size, spilled to a temporary
 * file, and the runs merged: a hash seen twice as an ID is a duplicated ID, a key hash seen as an ID
 * or twice as a key an ambiguous key. Memory is the run buffer and the (few) duplicates, whatever
 * the variant count. Two different names with the same 63-bit hash (about one chance in 10^6 for
 * ten million variants) only make a variant listed by its key instead of its ID. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/kstring.h>

#include "err.h"
#include "structure_internal.h"

#define NAMES_RUN (1u << 18) /* hashes per sorted run: 2 MB */
#define NAMES_BUF 1024       /* hashes read at a time from each run in the merge */

static uint64_t name_hash(const char *s, uint64_t tag)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
    h ^= h >> 33, h *= 0xff51afd7ed558ccdULL, h ^= h >> 33, h *= 0xc4ceb9fe1a85ec53ULL, h ^= h >> 33;
    return (h & ~1ULL) | tag;
}

void st_allele_key(const bcms_variant_t *v, kstring_t *s)
{
    int sw = strcmp(v->ref, v->alt) > 0;
    s->l = 0;
    ksprintf(s, "%s:%lld:%s:%s", v->chrom, (long long)v->pos, sw ? v->alt : v->ref, sw ? v->ref : v->alt);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    FILE *fp;          /* the spilled runs */
    uint64_t *buf;     /* the run being filled */
    uint32_t fill;
    uint64_t *runlen;  /* hashes per spilled run */
    uint32_t nrun, caprun;
} names_spill_t;

static int spill_run(names_spill_t *s)
{
    if (!s->fill) return 0;
    qsort(s->buf, s->fill, sizeof *s->buf, cmp_u64);
    if (!s->fp && !(s->fp = tmpfile())) return bcms_err(BCMS_EIO, "prune: cannot create a temporary file (TMPDIR)");
    if (fwrite(s->buf, sizeof *s->buf, s->fill, s->fp) != s->fill)
        return bcms_err(BCMS_EIO, "prune: writing a temporary file failed (disk full?)");
    if (s->nrun == s->caprun) {
        uint32_t cap = s->caprun ? 2 * s->caprun : 16;
        uint64_t *r = realloc(s->runlen, sizeof *r * cap);
        if (!r) return BCMS_ENOMEM;
        s->runlen = r, s->caprun = cap;
    }
    s->runlen[s->nrun++] = s->fill, s->fill = 0;
    return 0;
}

static int spill_add(names_spill_t *s, uint64_t h)
{
    int rc;
    if (s->fill == NAMES_RUN && (rc = spill_run(s))) return rc;
    s->buf[s->fill++] = h;
    return 0;
}

static int set_add(uint64_t **set, size_t *n, size_t *cap, uint64_t h)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        uint64_t *x = realloc(*set, sizeof *x * c);
        if (!x) return BCMS_ENOMEM;
        *set = x, *cap = c;
    }
    (*set)[(*n)++] = h >> 1; /* untagged: ids and keys meet */
    return 0;
}

/* One group of equal untagged hashes: nid IDs, nkey keys. */
static int group_done(st_names_t *nm, size_t *cap_id, size_t *cap_key, uint64_t h, uint64_t nid, uint64_t nkey)
{
    int rc = 0;
    if (nid >= 2) rc = set_add(&nm->dup_id, &nm->ndup, cap_id, h);
    if (!rc && nkey && (nid || nkey >= 2)) rc = set_add(&nm->bad_key, &nm->nbad, cap_key, h);
    return rc;
}

/* A run's reader in the merge. */
typedef struct {
    uint64_t off, left; /* next hash's index in the file, hashes left */
    uint64_t *b;
    uint32_t i, n;
} names_run_t;

static int run_fill(FILE *fp, names_run_t *r)
{
    r->i = 0, r->n = r->left < NAMES_BUF ? (uint32_t)r->left : NAMES_BUF;
    if (!r->n) return 0;
    if (fseeko(fp, (off_t)(r->off * sizeof *r->b), SEEK_SET) || fread(r->b, sizeof *r->b, r->n, fp) != r->n)
        return bcms_err(BCMS_EIO, "prune: reading a temporary file failed");
    r->off += r->n, r->left -= r->n;
    return 0;
}

/* The sorted runs merged (a binary heap of run indices on their next hash), groups to group_done. */
static int spill_merge(names_spill_t *s, st_names_t *nm)
{
    size_t cap_id = 0, cap_key = 0;
    uint32_t R = s->nrun, nh = 0, *heap = malloc(sizeof *heap * (R + 1));
    names_run_t *run = calloc(R + 1, sizeof *run);
    uint64_t *bufs = malloc(sizeof *bufs * ((size_t)R * NAMES_BUF + 1)), off = 0, cur = 0, nid = 0, nkey = 0;
    int rc = heap && run && bufs ? 0 : BCMS_ENOMEM, any = 0;
#define HV(x) (run[x].b[run[x].i])
    for (uint32_t r = 0; r < R && !rc; r++) {
        run[r].off = off, run[r].left = s->runlen[r], run[r].b = bufs + (size_t)r * NAMES_BUF;
        off += s->runlen[r];
        if ((rc = run_fill(s->fp, &run[r])) || !run[r].n) continue;
        uint32_t c = nh++; /* sift up */
        heap[c] = r;
        while (c && HV(heap[(c - 1) / 2]) > HV(heap[c])) {
            uint32_t p = (c - 1) / 2, t = heap[p];
            heap[p] = heap[c], heap[c] = t, c = p;
        }
    }
    while (nh && !rc) {
        uint32_t r = heap[0];
        uint64_t h = HV(r);
        if (any && h >> 1 != cur) rc = group_done(nm, &cap_id, &cap_key, cur << 1, nid, nkey), nid = nkey = 0;
        any = 1, cur = h >> 1;
        if (h & 1) nkey++;
        else nid++;
        if (++run[r].i == run[r].n && !rc) rc = run_fill(s->fp, &run[r]);
        if (!run[r].n) heap[0] = heap[--nh];
        for (uint32_t c = 0;;) { /* sift down */
            uint32_t l = 2 * c + 1, m = c;
            if (l < nh && HV(heap[l]) < HV(heap[m])) m = l;
            if (l + 1 < nh && HV(heap[l + 1]) < HV(heap[m])) m = l + 1;
            if (m == c) break;
            uint32_t t = heap[m];
            heap[m] = heap[c], heap[c] = t, c = m;
        }
    }
#undef HV
    if (!rc && any) rc = group_done(nm, &cap_id, &cap_key, cur << 1, nid, nkey);
    free(heap), free(run), free(bufs);
    return rc;
}

int st_names_scan(st_input_t *in, st_names_t *nm)
{
    names_spill_t s = {NULL, malloc(sizeof(uint64_t) * NAMES_RUN), 0, NULL, 0, 0};
    kstring_t ks = {0, 0, NULL};
    int rc = s.buf ? 0 : BCMS_ENOMEM;
    memset(nm, 0, sizeof *nm);
    while (!rc && !(rc = st_input_next(in)))
        for (uint64_t v = in->v0; v < in->v0 + in->wn && !rc; v++) {
            const bcms_variant_t *var = bcms_reader_variant(in->rd, v);
            if (strcmp(var->id, ".")) rc = spill_add(&s, name_hash(var->id, 0));
            st_allele_key(var, &ks);
            if (!rc) rc = ks.s ? spill_add(&s, name_hash(ks.s, 1)) : BCMS_ENOMEM;
        }
    if (rc == 1) rc = 0;
    if (!rc) rc = spill_run(&s);
    if (!rc) rc = spill_merge(&s, nm);
    if (!rc) {
        qsort(nm->dup_id, nm->ndup, sizeof *nm->dup_id, cmp_u64);
        qsort(nm->bad_key, nm->nbad, sizeof *nm->bad_key, cmp_u64);
    }
    if (s.fp) fclose(s.fp);
    free(s.buf), free(s.runlen), free(ks.s);
    if (rc) st_names_free(nm);
    return rc == BCMS_ENOMEM ? bcms_err(rc, "prune: variant names") : rc;
}

static int in_set(const uint64_t *set, size_t n, uint64_t h)
{
    h >>= 1;
    return n && bsearch(&h, set, n, sizeof *set, cmp_u64) != NULL;
}

int st_names_dup_id(const st_names_t *nm, const char *id) { return in_set(nm->dup_id, nm->ndup, name_hash(id, 0)); }
int st_names_bad_key(const st_names_t *nm, const char *key) { return in_set(nm->bad_key, nm->nbad, name_hash(key, 1)); }

void st_names_free(st_names_t *nm)
{
    free(nm->dup_id), free(nm->bad_key);
    memset(nm, 0, sizeof *nm);
}
