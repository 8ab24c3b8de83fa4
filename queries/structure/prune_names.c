/* prune_names.c: which variants' IDs name another variant too, and which variants' CHR:POS:REF:ALT
 * keys are ambiguous, over every variant of the selection, for the lists prune writes (prune.c).
 * GPL-3.0-or-later.
 *
 * Every variant of the selection gives, in prune's pass, a 64-bit hash of its ID (but '.') and one
 * of its key, tagged in the low bit (0 ID, 1 key), with the variant's index (st_names_hash, in
 * threads; st_names_add in variant order); the records are sorted in runs
 * of fixed size spilled to a temporary file and the runs merged, in two halves by the hash's top
 * bit (merged at once in two threads, a name's records all in one half): a hash seen twice as an ID flags
 * the variants with that ID, a key hash seen as an ID or twice as a key flags the variants with that
 * key. The flags, sorted the same way by variant index, are read back in variant order as prune
 * writes its lists. Memory is a few run buffers whatever the variant count (and however many
 * duplicates). Two different names with the same 63-bit hash (about one chance in 10^6 for ten
 * million variants) only make a variant listed by its key instead of its ID. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/kstring.h>

#include "err.h"
#include "tmpfile.h"
#include "structure_internal.h"

#define NAMES_RUN (1u << 16) /* records per sorted run of a half: 1 MB, and as much for its radix sort */
#define NAMES_BUF 512        /* records read at a time from each run in a merge */

typedef struct {
    uint64_t a, b;
} names_rec_t;

/* A run's reader in the merge: its next record's index in the file, records left, its buffer. */
typedef struct {
    uint64_t off, left;
    names_rec_t *b;
    uint32_t i, n;
} names_run_t;

/* A sorter of records by (a, b): runs spilled to a temporary file, merged by a binary heap. */
struct names_sort_t {
    names_rec_t *buf, *tmp; /* tmp: the radix sort's other half */
    uint32_t fill;
    FILE *fp;
    uint64_t *runlen;
    uint32_t nrun, caprun;
    names_run_t *run; /* the merge */
    names_rec_t *rbuf;
    uint32_t *heap, nh;
};

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

static int rec_less(const names_rec_t *x, const names_rec_t *y) { return x->a != y->a ? x->a < y->a : x->b < y->b; }

/* Stable LSD radix sort of x[0..n-1] by (a, b), 8 bits a pass (qsort's callbacks were a third of
 * the names' work); a pass whose byte is the same in every record is skipped, and b's passes when b
 * is already in order (prune adds the variants in order). */
static void rec_sort(names_rec_t *x, names_rec_t *tmp, uint32_t n)
{
    names_rec_t *src = x, *dst = tmp;
    int b_sorted = 1;
    for (uint32_t i = 1; i < n && b_sorted; i++) b_sorted = x[i - 1].b <= x[i].b;
    for (int f = b_sorted; f < 2; f++)
        for (int sh = 0; sh < 64; sh += 8) {
            uint32_t cnt[256] = {0}, at = 0;
            for (uint32_t i = 0; i < n; i++) cnt[((f ? src[i].a : src[i].b) >> sh) & 255]++;
            if (cnt[((f ? src[0].a : src[0].b) >> sh) & 255] == n) continue;
            for (int d = 0; d < 256; d++) {
                uint32_t c = cnt[d];
                cnt[d] = at, at += c;
            }
            for (uint32_t i = 0; i < n; i++) dst[cnt[((f ? src[i].a : src[i].b) >> sh) & 255]++] = src[i];
            names_rec_t *t = src;
            src = dst, dst = t;
        }
    if (src != x) memcpy(x, src, sizeof *x * n);
}

static void sort_free(names_sort_t *s)
{
    if (!s) return;
    if (s->fp) fclose(s->fp);
    free(s->buf), free(s->tmp), free(s->runlen), free(s->run), free(s->rbuf), free(s->heap);
    free(s);
}

static names_sort_t *sort_new(void)
{
    names_sort_t *s = calloc(1, sizeof *s);
    if (s && (!(s->buf = malloc(sizeof *s->buf * NAMES_RUN)) || !(s->tmp = malloc(sizeof *s->tmp * NAMES_RUN))))
        sort_free(s), s = NULL;
    return s;
}

static int sort_spill(names_sort_t *s)
{
    if (!s->fill) return 0;
    rec_sort(s->buf, s->tmp, s->fill);
    if (!s->fp && !(s->fp = bcms_tmpfile()))
        return bcms_err(BCMS_EIO, "prune: cannot create a temporary file in %s: %s; set TMPDIR to a writable directory",
                        bcms_tmpdir(), strerror(errno));
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

static int sort_add(names_sort_t *s, uint64_t a, uint64_t b)
{
    int rc;
    if (s->fill == NAMES_RUN && (rc = sort_spill(s))) return rc;
    s->buf[s->fill++] = (names_rec_t){a, b};
    return 0;
}

static int run_fill(names_sort_t *s, uint32_t r)
{
    names_run_t *x = &s->run[r];
    x->i = 0, x->n = x->left < NAMES_BUF ? (uint32_t)x->left : NAMES_BUF;
    if (!x->n) return 0;
    if (fseeko(s->fp, (off_t)(x->off * sizeof *x->b), SEEK_SET) || fread(x->b, sizeof *x->b, x->n, s->fp) != x->n)
        return bcms_err(BCMS_EIO, "prune: reading a temporary file failed");
    x->off += x->n, x->left -= x->n;
    return 0;
}

#define HEAD(s, k) (&(s)->run[(s)->heap[k]].b[(s)->run[(s)->heap[k]].i])

static void sift_down(names_sort_t *s)
{
    for (uint32_t c = 0;;) {
        uint32_t l = 2 * c + 1, m = c;
        if (l < s->nh && rec_less(HEAD(s, l), HEAD(s, m))) m = l;
        if (l + 1 < s->nh && rec_less(HEAD(s, l + 1), HEAD(s, m))) m = l + 1;
        if (m == c) return;
        uint32_t t = s->heap[m];
        s->heap[m] = s->heap[c], s->heap[c] = t, c = m;
    }
}

/* The last run out, the merge set up; the run buffer is freed. */
static int sort_finish(names_sort_t *s)
{
    int rc = sort_spill(s);
    free(s->buf), s->buf = NULL;
    if (rc) return rc;
    const uint32_t R = s->nrun;
    s->run = calloc(R + 1, sizeof *s->run);
    s->rbuf = malloc(sizeof *s->rbuf * ((size_t)R * NAMES_BUF + 1));
    s->heap = malloc(sizeof *s->heap * (R + 1));
    if (!s->run || !s->rbuf || !s->heap) return BCMS_ENOMEM;
    uint64_t off = 0;
    for (uint32_t r = 0; r < R; r++) {
        s->run[r].off = off, s->run[r].left = s->runlen[r], s->run[r].b = s->rbuf + (size_t)r * NAMES_BUF;
        off += s->runlen[r];
        if ((rc = run_fill(s, r))) return rc;
        if (!s->run[r].n) continue;
        uint32_t c = s->nh++; /* sift up */
        s->heap[c] = r;
        while (c && rec_less(HEAD(s, c), HEAD(s, (c - 1) / 2))) {
            uint32_t p = (c - 1) / 2, t = s->heap[p];
            s->heap[p] = s->heap[c], s->heap[c] = t, c = p;
        }
    }
    return 0;
}

/* The smallest record left: 0 and *out, 1 when none is left, or a BCMS code. */
static int sort_peek(names_sort_t *s, names_rec_t *out)
{
    if (!s->nh) return 1;
    *out = *HEAD(s, 0);
    return 0;
}

static int sort_pop(names_sort_t *s)
{
    uint32_t r = s->heap[0];
    int rc = 0;
    if (++s->run[r].i == s->run[r].n && (rc = run_fill(s, r))) return rc;
    if (!s->run[r].n) s->heap[0] = s->heap[--s->nh];
    sift_down(s);
    return 0;
}

enum { NAMES_DUP_ID = 1, NAMES_BAD_KEY = 2 };

/* Merge the name records; each group of one untagged hash flags its members into fl. */
static int names_flag(names_sort_t *s, names_sort_t *fl)
{
    names_rec_t r;
    uint64_t *mem = NULL, nid = 0, nkey = 0, cur = 0; /* the group's variants, tag in bit 0 */
    size_t n = 0, cap = 0;
    int rc = 0, more;
    do {
        more = !(rc = sort_peek(s, &r));
        if (rc < 0) break;
        rc = 0;
        if (n && (!more || r.a >> 1 != cur)) { /* the group ends */
            for (size_t i = 0; i < n && !rc; i++) {
                int key = mem[i] & 1;
                if (!key && nid >= 2) rc = sort_add(fl, mem[i] >> 1, NAMES_DUP_ID);
                else if (key && (nid || nkey >= 2)) rc = sort_add(fl, mem[i] >> 1, NAMES_BAD_KEY);
            }
            n = 0, nid = nkey = 0;
        }
        if (!more || rc) break;
        if (n == cap) {
            size_t c = cap ? 2 * cap : 16;
            uint64_t *m = realloc(mem, sizeof *m * c);
            if (!m) {
                rc = BCMS_ENOMEM;
                break;
            }
            mem = m, cap = c;
        }
        cur = r.a >> 1, mem[n++] = r.b << 1 | (r.a & 1);
        if (r.a & 1) nkey++;
        else nid++;
        rc = sort_pop(s);
    } while (!rc);
    free(mem);
    return rc;
}

int st_names_begin(st_names_t *nm)
{
    memset(nm, 0, sizeof *nm);
    return (nm->recs[0] = sort_new()) && (nm->recs[1] = sort_new()) ? 0 : bcms_err(BCMS_ENOMEM, "prune: variant names");
}

/* 0: out of memory */
uint32_t st_names_hash(const bcms_variant_t *v, uint64_t vi, kstring_t *ks, uint64_t rec[4])
{
    uint32_t n = 0;
    if (strcmp(v->id, ".")) rec[0] = name_hash(v->id, 0), rec[1] = vi, n = 2;
    st_allele_key(v, ks);
    if (!ks->s) return 0;
    rec[n] = name_hash(ks->s ? ks->s : "", 1), rec[n + 1] = vi;
    return n / 2 + 1;
}

int st_names_add(st_names_t *nm, const uint64_t *rec, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) rc = sort_add(nm->recs[rec[2 * i] >> 63], rec[2 * i], rec[2 * i + 1]);
    return rc == BCMS_ENOMEM ? bcms_err(rc, "prune: variant names") : rc;
}

/* Half h: its records merged and flagged, the flags sorted. */
static int names_half(st_names_t *nm, int h)
{
    names_sort_t *fl = sort_new();
    int rc = fl ? sort_finish(nm->recs[h]) : BCMS_ENOMEM;
    if (!rc) rc = names_flag(nm->recs[h], fl);
    sort_free(nm->recs[h]), nm->recs[h] = NULL;
    if (!rc) rc = sort_finish(fl);
    nm->flags[h] = fl;
    return rc;
}

int st_names_finish(st_names_t *nm, int threads)
{
    int rc[2] = {0, 0};
    char msg[2][512] = {"", ""};
    /* the two halves at once: a name's records are all in the half of its hash's top bit */
#pragma omp parallel for num_threads(threads > 1 ? 2 : 1) schedule(static, 1)
    for (int h = 0; h < 2; h++)
        if ((rc[h] = names_half(nm, h)) && rc[h] != BCMS_ENOMEM) snprintf(msg[h], sizeof msg[h], "%s", bcms_err_detail());
    const int e = rc[0] ? 0 : 1;
    if (!rc[e]) return 0;
    st_names_free(nm);
    return rc[e] == BCMS_ENOMEM ? bcms_err(rc[e], "prune: variant names") : bcms_err(rc[e], "%s", msg[e]);
}

int st_names_get(st_names_t *nm, uint64_t v, int *dup_id, int *bad_key)
{
    names_rec_t r;
    int rc = 0;
    *dup_id = *bad_key = 0;
    for (int h = 0; h < 2 && rc >= 0; h++)
        while (!(rc = sort_peek(nm->flags[h], &r)) && r.a <= v) {
            if (r.a == v) *dup_id |= (r.b & NAMES_DUP_ID) != 0, *bad_key |= (r.b & NAMES_BAD_KEY) != 0;
            if ((rc = sort_pop(nm->flags[h]))) return rc;
        }
    return rc < 0 ? rc : 0;
}

void st_names_free(st_names_t *nm)
{
    for (int h = 0; h < 2; h++) sort_free(nm->flags[h]), sort_free(nm->recs[h]), nm->flags[h] = nm->recs[h] = NULL;
}
