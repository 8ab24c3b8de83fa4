/* prune.c: LD pruning by pairwise genotype r^2 in sliding windows, as plink2 --indep-pairwise
 * (contract in structure.h). GPL-3.0-or-later.
 *
 * The variants are packed into bit planes and tested pair by pair in prune_ld.c. Streaming, in a
 * pipeline (prune_step): the variants come in genomic order, window after window of the reader, cut
 * into chunks (whole reader batches, ~4 MB of planes). In each step the threads decode and pack
 * chunk t + 1's batches and test each of chunk t's variants against the --window - 1 before it,
 * while the last thread first runs the window's sweep over chunk t - 1 (sequential, bit rows:
 * window_plink1); the ring holds the LD window and the three chunks, so no part writes what another
 * reads. A variant's record goes to a spool file once the window has moved past it (its fate is
 * then final); the IDs' and keys' hashes go to a sorter as the chunks are decoded (prune_names.c),
 * and once every variant is known the lists are written from the spool, each variant by its ID or,
 * where that is '.' or not unique, by CHR:POS:REF:ALT. Memory does not grow with the variant count
 * (the spool and the sorter's runs are temporary files in $TMPDIR). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>

#include <htslib/kstring.h>
#include <omp.h>

#include "err.h"
#include "tmpfile.h"
#include "outfile.h"
#include "prune_internal.h"
#include "structure_internal.h"

#define PRUNE_EPS 0x1p-44 /* PLINK 2's kSmallEpsilon */

void bcms_prune_opts_init(bcms_prune_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_structure_sel_init(&o->in);
    o->window = 50;
    o->step = 5;
    o->r2 = 0.2;
}

/* A window: positions 0..size-1 hold used variants win[] (in order) and, for the PLINK 1 order,
 * the first later variant each still has to be checked against (fu[]); wrem[] is the reference
 * sweep's copy of their removed flags. */
typedef struct {
    uint64_t *win, *fu;
    uint8_t *wrem;
    uint32_t size;
} prune_win_t;

/* The window's live variants as bits by variant number, in a ring of aw words (a power of two, at
 * least twice the window): 64 bits from variant k on. */
static inline uint64_t alive_bits(const prune_data_t *d, uint64_t k)
{
    const uint64_t i = (k >> 6) & (d->aw - 1), sh = k & 63;
    uint64_t x = d->alive[i] >> sh;
    if (sh) x |= d->alive[(i + 1) & (d->aw - 1)] << (64 - sh);
    return x;
}

static inline void alive_set(prune_data_t *d, uint64_t k, int on)
{
    uint64_t *w = &d->alive[(k >> 6) & (d->aw - 1)];
    *w = on ? *w | 1ULL << (k & 63) : *w & ~(1ULL << (k & 63));
}

static void remove_variant(prune_data_t *d, uint64_t k)
{
    d->removed[SLOT(d, k)] = 1;
    alive_set(d, k, 0);
}

/* The first live variant after k and before end (or end). */
static uint64_t next_alive(const prune_data_t *d, uint64_t k, uint64_t end)
{
    for (uint64_t q = k + 1; q < end; q += 64) {
        uint64_t m = alive_bits(d, q);
        if (end - q < 64) m &= (1ULL << (end - q)) - 1;
        if (m) return q + (uint64_t)__builtin_ctzll(m);
    }
    return end;
}

/* PLINK 1 order (plink2 up to 2.00a3, as Debian ships it; later plink2 visits pairs in another order
 * unless given 'plink1-order'): sweep the firsts in order; each is compared with the later live
 * variants from fu on until one pair exceeds R: the lower-MAF one goes (the first when its
 * major-allele frequency is higher, else the second, after which the first resumes at the next
 * variant in a later sweep); sweeps repeat while they remove something. end_tv is the variant after
 * the window. A first's candidates are one AND of bit rows: its tests with the later variants (fwd,
 * by variant number), the live ones, and those from fu on; the first set bit is the pair the loop
 * over pairs would stop at. */
static void window_plink1(prune_data_t *d, prune_win_t *w, uint64_t end_tv)
{
    int any;
    do {
        any = 0;
        for (uint32_t f = 0; f < w->size; f++) {
            const uint64_t kf = w->win[f], j0 = w->fu[f] - kf - 1;
            const uint64_t *row = d->fwd + SLOT(d, kf) * d->lw;
            if (!(d->alive[(kf >> 6) & (d->aw - 1)] >> (kf & 63) & 1)) continue;
            uint64_t s = end_tv;
            for (uint32_t q = 0; q < d->lw; q++) {
                const uint64_t b = 64 * (uint64_t)q;
                if (j0 >= b + 64) continue;
                uint64_t m = row[q] & alive_bits(d, kf + 1 + b);
                if (j0 > b) m &= ~0ULL << (j0 - b);
                if (m) {
                    s = kf + 1 + b + (uint64_t)__builtin_ctzll(m);
                    break;
                }
            }
            if (s >= end_tv) {
                w->fu[f] = end_tv;
                continue;
            }
            if (d->maj[SLOT(d, kf)] > d->maj[SLOT(d, s)] * (1 + PRUNE_EPS)) remove_variant(d, kf);
            else remove_variant(d, s), w->fu[f] = next_alive(d, s, end_tv);
            any = 1;
        }
    } while (any);
}

/* The same sweep pair by pair, from the LD bits of the later variant of each pair (BCMS_PRUNE_KERNEL
 * =scalar: the tests check the two agree). */
static void window_plink1_ref(prune_data_t *d, prune_win_t *w, uint64_t end_tv)
{
    uint32_t removed = 0, prev;
    for (uint32_t i = 0; i < w->size; i++) removed += w->wrem[i] = d->removed[SLOT(d, w->win[i])];
    do {
        prev = removed;
        for (uint32_t f = 0; f < w->size; f++) {
            if (w->wrem[f]) continue;
            uint32_t s = f + 1;
            while (s < w->size && (w->wrem[s] || w->win[s] < w->fu[f])) s++;
            if (s >= w->size) continue;
            for (;;) {
                if (ld_bit(d, w->win[f], w->win[s])) {
                    if (d->maj[SLOT(d, w->win[f])] > d->maj[SLOT(d, w->win[s])] * (1 + PRUNE_EPS)) {
                        w->wrem[f] = 1, remove_variant(d, w->win[f]);
                    } else {
                        w->wrem[s] = 1, remove_variant(d, w->win[s]);
                        uint32_t nx = s + 1;
                        while (nx < w->size && w->wrem[nx]) nx++;
                        w->fu[f] = nx < w->size ? w->win[nx] : end_tv;
                    }
                    removed++;
                    break;
                }
                do s++;
                while (s < w->size && w->wrem[s]);
                if (s >= w->size) {
                    w->fu[f] = end_tv;
                    break;
                }
            }
        }
    } while (removed > prev);
}

/* The stream's state: the chromosome being pruned, its window (used variants start .. cur - 1 held,
 * the window ends at end), and the lists. k numbers the used variants in genomic order. */
typedef struct {
    const bcms_prune_opts_t *o;
    st_names_t *nm;
    prune_data_t d;
    prune_win_t w;
    double thr;
    uint32_t chr; /* the chromosome being pruned: its number (prune_data_t.chr) */
    int in_chrom;
    uint64_t t0, start, end, cur, ran_to, fin; /* fin: the next variant to write */
    bcms_outfile_t *fi, *fo;
    const char *path_out;
    kstring_t sin, sout;
    uint64_t total, kept, nkey;
    char chunk_chrom[64]; /* the chromosome of the last variant packed, and its number */
    uint32_t chunk_chr, chunk_room;
    int threads;
    void (*sweep)(prune_data_t *, prune_win_t *, uint64_t); /* window_plink1 or the reference */
    bcms_reader_ws_t **ws; /* a decode workspace per thread */
    kstring_t *ks;         /* a key buffer per thread */
    FILE *spool;           /* the final variants' records, in order, for the lists (spool_body) */
    kstring_t sp;
} prune_st_t;

/* A variant's record in the spool: this header, then its chromosome, ID, REF and ALT (no NULs).
 * The lists are written from it once every variant's name flags are known (write_lists). */
typedef struct {
    uint64_t v, pos; /* reader variant; position */
    uint32_t len[4]; /* of chrom, id, ref, alt */
    uint32_t removed;
} spool_hdr_t;

static int spool_body(kstring_t *s, uint64_t vi, const bcms_variant_t *v)
{
    const char *f[4] = {v->chrom, v->id, v->ref, v->alt};
    spool_hdr_t h = {vi, (uint64_t)v->pos, {0, 0, 0, 0}, 0};
    for (int i = 0; i < 4; i++) h.len[i] = (uint32_t)strlen(f[i]);
    s->l = 0;
    kputsn((const char *)&h, sizeof h, s);
    for (int i = 0; i < 4; i++) kputsn(f[i], h.len[i], s);
    return s->s ? 0 : BCMS_ENOMEM;
}

static int spool_flush(prune_st_t *p, int force)
{
    if ((!force && p->sp.l < (1 << 16)) || !p->sp.l) return 0;
    if (!p->spool && !(p->spool = bcms_tmpfile()))
        return bcms_err(BCMS_EIO, "prune: cannot create a temporary file in %s: %s; set TMPDIR to a writable directory",
                        bcms_tmpdir(), strerror(errno));
    if (fwrite(p->sp.s, 1, p->sp.l, p->spool) != p->sp.l)
        return bcms_err(BCMS_EIO, "prune: writing a temporary file failed (disk full?)");
    p->sp.l = 0;
    return 0;
}

static int flush_lists(prune_st_t *p, int force)
{
    int rc = 0;
    if ((force || p->sin.l > (1 << 16)) && p->sin.l) rc = bcms_outfile_write(p->fi, p->sin.s, p->sin.l), p->sin.l = 0;
    if (!rc && (force || p->sout.l > (1 << 16)) && p->sout.l)
        rc = bcms_outfile_write(p->fo, p->sout.s, p->sout.l), p->sout.l = 0;
    return rc;
}

/* Variants fin .. upto - 1 are final: their records to the spool. */
static int finalise(prune_st_t *p, uint64_t upto)
{
    for (; p->fin < upto; p->fin++) {
        size_t sl = SLOT(&p->d, p->fin);
        alive_set(&p->d, p->fin, 0);
        kstring_t *nm = &p->d.name[sl];
        ((spool_hdr_t *)nm->s)->removed = p->d.removed[sl];
        if (kputsn(nm->s, nm->l, &p->sp) < 0) return BCMS_ENOMEM;
        p->kept += !p->d.removed[sl];
    }
    return spool_flush(p, 0);
}

/* The lists from the spool: each variant by its ID, unless '.' (--extract matches no '.') or another
 * variant has it too (the rows of a split multi-allelic record share theirs, and --extract would
 * bring the pruned row back); then by CHR:POS:REF:ALT, refused when that names more than one variant
 * either (plink2 refuses every such ID). */
static int write_lists(prune_st_t *p)
{
    kstring_t buf = {0, 0, NULL}; /* the spool read in blocks: bytes off .. buf.l not yet parsed */
    size_t off = 0;
    char *f[4];
    int rc = spool_flush(p, 1), eof = !p->spool;
    if (!rc && p->spool && fseeko(p->spool, 0, SEEK_SET)) rc = bcms_err(BCMS_EIO, "prune: reading a temporary file failed");
    while (!rc) {
        spool_hdr_t h;
        size_t need = sizeof h;
        if (buf.l - off >= sizeof h) {
            memcpy(&h, buf.s + off, sizeof h);
            need += (size_t)h.len[0] + h.len[1] + h.len[2] + h.len[3];
        }
        if (buf.l - off < need) { /* the next block, after what is left of this one */
            if (eof) {
                if (buf.l > off) rc = bcms_err(BCMS_EIO, "prune: a temporary file ended early");
                break;
            }
            if (buf.l > off) memmove(buf.s, buf.s + off, buf.l - off);
            buf.l -= off, off = 0;
            const size_t want = need > (1u << 20) ? need : 1u << 20;
            if (ks_resize(&buf, want + 1) < 0) {
                rc = BCMS_ENOMEM;
                break;
            }
            const size_t got = fread(buf.s + buf.l, 1, want - buf.l, p->spool);
            if (ferror(p->spool)) rc = bcms_err(BCMS_EIO, "prune: reading a temporary file failed");
            eof = got < want - buf.l, buf.l += got;
            continue;
        }
        /* the strings, moved down into the header's room to end in NULs (one byte each) */
        char *q = buf.s + off + sizeof h, *w = buf.s + off;
        for (int i = 0; i < 4; i++) memmove(w, q, h.len[i]), f[i] = w, w[h.len[i]] = 0, w += h.len[i] + 1, q += h.len[i];
        off += sizeof h + h.len[0] + h.len[1] + h.len[2] + h.len[3];
        int dup_id, bad_key;
        if ((rc = st_names_get(p->nm, h.v, &dup_id, &bad_key))) break;
        kstring_t *s = h.removed ? &p->sout : &p->sin;
        if (!strcmp(f[1], ".") || dup_id) {
            if (bad_key) {
                rc = bcms_err(BCMS_EINPUT, "prune: variants at %s:%llu with alleles %s,%s and ID '%s' cannot be told apart "
                              "by an --extract list (the same alleles twice, or another variant's ID); remove the "
                              "duplicate records (bcftools norm -d exact) or give unique IDs (bcftools annotate --set-id)",
                              f[0], (unsigned long long)h.pos, f[2], f[3], f[1]);
                break;
            }
            kputs(f[0], s), kputc(':', s), kputll((long long)h.pos, s), kputc(':', s);
            kputs(f[2], s), kputc(':', s), kputs(f[3], s), kputc('\n', s);
            p->nkey++;
        } else {
            kputsn(f[1], h.len[1], s), kputc('\n', s);
        }
        rc = s->s ? flush_lists(p, 0) : BCMS_ENOMEM;
    }
    free(buf.s);
    return rc ? rc : flush_lists(p, 1);
}

/* The window once full (or at the chromosome's end): pruned, then moved on by --step. */
static void window_run(prune_st_t *p)
{
    p->sweep(&p->d, &p->w, p->cur);
    p->ran_to = p->cur;
    p->start += p->o->step;
    p->end = p->start + p->o->window;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < p->w.size; i++)
        if (!p->d.removed[SLOT(&p->d, p->w.win[i])] && p->w.win[i] >= p->start)
            p->w.win[keep] = p->w.win[i], p->w.fu[keep++] = p->w.fu[i];
    p->w.size = keep;
}

/* The end of a chromosome: its last window, and every variant of it final. A chromosome of one
 * variant is not pruned (PLINK 2 skips it): it stays in, monomorphic or not. */
static int chrom_end(prune_st_t *p)
{
    if (!p->in_chrom) return 0;
    p->in_chrom = 0;
    if (p->cur - p->t0 < 2) p->d.removed[SLOT(&p->d, p->t0)] = 0;
    else if (p->cur > p->ran_to) p->sweep(&p->d, &p->w, p->cur);
    return finalise(p, p->cur);
}

/* The next used variant, k = cur (packed, named and tested ahead), into the window: the sweep. */
static int prune_add(prune_st_t *p)
{
    prune_data_t *d = &p->d;
    const uint64_t k = p->cur;
    const size_t sl = SLOT(d, k);
    int rc;
    if (!p->in_chrom || d->chr[sl] != p->chr) {
        if ((rc = chrom_end(p))) return rc;
        p->chr = d->chr[sl];
        p->in_chrom = 1, p->t0 = p->start = p->ran_to = k, p->end = k + p->o->window, p->w.size = 0;
    }
    uint32_t pos = p->w.size++;
    d->removed[sl] = d->mono[sl];
    alive_set(d, k, !d->mono[sl]);
    /* its tests with the variants before it, by theirs */
    uint64_t *fw = d->fwd + sl * d->lw;
    const uint64_t *row = d->ld + sl * d->lw;
    memset(fw, 0, d->lw * sizeof *fw);
    for (uint32_t q = 0; q < d->lw; q++)
        for (uint64_t m = row[q]; m; m &= m - 1) {
            const uint64_t j = 64 * (uint64_t)q + (uint64_t)__builtin_ctzll(m); /* the pair (k - j - 1, k) */
            d->fwd[SLOT(d, k - j - 1) * d->lw + j / 64] |= 1ULL << (j % 64);
        }
    p->w.win[pos] = k;
    p->w.fu[pos] = k + 1;
    p->cur = k + 1, p->total++;
    if (p->cur == p->end) {
        window_run(p);
        if ((rc = finalise(p, p->start))) return rc;
    }
    return 0;
}

/* A chunk: used variants k0 .. k0 + nr - 1, decoded in items (rows j0 .. j1 - 1 of reader batch b,
 * whose first variant is first; its used ones numbered from k0; a batch without used variants only
 * gives its names, undecoded), and the name records of its nrow rows (4 words a row, rec + 4 roff
 * for an item's first; a pair without an ID's has b ~0). Items run in groups, a group's on one
 * thread in order: the items of one stored block share a group, so the block is inflated once. */
typedef struct {
    uint32_t b, j0, j1, used;
    uint64_t first, k0, roff;
    int64_t key; /* bcms_reader_batch_block, when used */
} prune_item_t;

typedef struct {
    prune_item_t *it;
    uint32_t nit, cap, nr;
    uint32_t *grp, ng, gcap; /* group g: items grp[g] .. grp[g + 1] - 1 (grp[ng] = nit) */
    uint64_t k0, nrow, rcap;
    uint64_t *rec;
} prune_chunk_t;

/* An item on thread t: its rows' name records; its batch decoded, its used variants packed and
 * their spool records made. */
static int chunk_item(prune_st_t *p, st_input_t *in, int t, const prune_chunk_t *c, const prune_item_t *it)
{
    const uint8_t *codes = NULL;
    size_t ps = 0; /* 2-bit rows of ps bytes, when the reader has them as stored */
    int rc = it->used && p->d.unzip ? bcms_reader_batch_packed(in->rd, p->ws[t], it->b, &codes, &ps) : 0;
    if (rc == 1) rc = 0;
    else if (!rc && it->used) rc = bcms_reader_batch(in->rd, p->ws[t], it->b, &codes, NULL);
    uint64_t k = it->k0, *rec = c->rec + 4 * it->roff;
    for (uint32_t j = it->j0; j < it->j1 && !rc; j++, rec += 4) {
        const bcms_variant_t *v = bcms_reader_variant(in->rd, it->first + j);
        uint64_t r[4];
        const uint32_t nrec = st_names_hash(v, it->first + j, &p->ks[t], r);
        if (!nrec) return BCMS_ENOMEM;
        if (nrec == 2) memcpy(rec, r, sizeof r);
        else rec[0] = 0, rec[1] = ~0ULL, rec[2] = r[0], rec[3] = r[1];
        if (!it->used || !st_used(in, it->first + j)) continue;
        const size_t sl = SLOT(&p->d, k);
        if (ps) prune_pack_row(&p->d, sl, codes + (size_t)j * ps);
        else prune_pack_variant(&p->d, sl, codes + (size_t)j * in->n);
        rc = spool_body(&p->d.name[sl], it->first + j, v);
        k++;
    }
    return rc;
}

/* The chunk's name records to the sorter, in variant order (after its step). */
static int chunk_names(prune_st_t *p, const prune_chunk_t *c)
{
    int rc = 0;
    for (uint64_t i = 0; i < c->nrow && !rc; i++) {
        const uint64_t *r = c->rec + 4 * i;
        rc = r[1] == ~0ULL ? st_names_add(p->nm, r + 2, 1) : st_names_add(p->nm, r, 2);
    }
    return rc;
}

static inline void spin_pause(unsigned *spins)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if (++*spins % 256 == 0) sched_yield();
}

/* A thread's failure in prune_step: the first one kept, with its message (messages are per thread). */
static void step_fail(int *err, char *msg, size_t cap, int e)
{
#pragma omp critical(prune_step_err)
    if (!__atomic_load_n(err, __ATOMIC_RELAXED)) {
        snprintf(msg, cap, "%s", bcms_err_detail());
        __atomic_store_n(err, e, __ATOMIC_RELAXED);
    }
}

/* Variants of a unit of the LD tests: 16 at up to 1,024 samples, fewer above (two at 16,384 and
 * more, counted together: prune_ld_rows), so a unit stays small next to a step's work and the
 * threads end a step together (at 100,000 samples, 16 variants a unit left a third of two threads'
 * time waiting at the step's end). */
static inline uint32_t ld_unit(const prune_data_t *d) { return d->nw >= 256 ? 2 : 256 / d->nw < 16 ? 256 / d->nw : 16; }

/* One step of the pipeline, in threads: the sweep of chunk sw (sequential, on the last thread, which
 * then adds te's name records to the sorter and joins the others) beside one pool of work: the
 * decode and packing of chunk de's batches and the LD tests of chunk te (each variant against the
 * --window - 1 before it, packed in this or earlier steps). The ring holds the window before sw, sw,
 * te and de, so no part writes what another reads; with next, thread 0 reads the reader's next
 * window once de's batches are decoded. Results do not depend on the thread count: the tests are
 * pure and the sweep runs in genomic order. */
static int prune_step(prune_st_t *p, st_input_t *in, const prune_chunk_t *sw, const prune_chunk_t *te,
                      const prune_chunk_t *de, int *next)
{
    const uint32_t U = ld_unit(&p->d), nd = de ? de->ng : 0, nl = te ? (te->nr + U - 1) / U : 0;
    const uint32_t window = p->o->window;
    uint32_t next_i = 0, done_d = 0;
    int err = 0;
    char msg[1024] = "";
#pragma omp parallel num_threads(p->threads)
    {
        const int t = omp_get_thread_num(), T = omp_get_num_threads();
        int e = 0, read = !(t == 0 && next);
        if (t == T - 1 && sw)
            for (uint32_t r = 0; r < sw->nr && !e; r++) e = prune_add(p);
        if (t == T - 1 && te && !e) e = chunk_names(p, te);
        if (e) step_fail(&err, msg, sizeof msg, e);
        for (uint32_t i; (i = __atomic_fetch_add(&next_i, 1, __ATOMIC_RELAXED)) < nd + nl;) {
            if (i < nd) {
                for (uint32_t x = de->grp[i]; x < (i + 1 < nd ? de->grp[i + 1] : de->nit); x++)
                    if (!__atomic_load_n(&err, __ATOMIC_RELAXED) && (e = chunk_item(p, in, t, de, &de->it[x])))
                        step_fail(&err, msg, sizeof msg, e);
                __atomic_fetch_add(&done_d, 1, __ATOMIC_RELEASE);
                continue;
            }
            if (!read) { /* every batch of the window decoded: the next window */
                unsigned spins = 0;
                while (__atomic_load_n(&done_d, __ATOMIC_ACQUIRE) < nd) spin_pause(&spins);
                *next = st_input_next(in), read = 1;
            }
            if (__atomic_load_n(&err, __ATOMIC_RELAXED)) continue;
            const uint32_t b = i - nd, r1 = (b + 1) * U < te->nr ? (b + 1) * U : te->nr;
            for (uint32_t r = b * U, nr; r < r1; r += nr) { /* rows in twos from 16,384 samples (the unit) */
                nr = p->d.nw >= 256 && r + 1 < r1 ? 2 : 1;
                prune_ld_rows(&p->d, te->k0 + r, nr, window, p->thr);
            }
        }
        if (!read) {
            unsigned spins = 0;
            while (__atomic_load_n(&done_d, __ATOMIC_ACQUIRE) < nd) spin_pause(&spins);
            *next = st_input_next(in);
        }
    }
    return err && *msg ? bcms_err(err, "%s", msg) : err;
}

/* Chunk c gets rows j .. of batch b (first its first variant, nv its variants) while it has room
 * (all of them when none is used: only their names), the used ones numbered by chromosome. */
static int chunk_take(prune_st_t *p, st_input_t *in, prune_chunk_t *c, uint32_t b, uint64_t first, uint32_t nv,
                      uint32_t *j, int used)
{
    prune_data_t *d = &p->d;
    if (c->nit == c->cap) {
        uint32_t cap = c->cap ? 2 * c->cap : 64;
        prune_item_t *x = realloc(c->it, sizeof *x * cap);
        uint32_t *g = realloc(c->grp, sizeof *g * cap);
        if (x) c->it = x;
        if (g) c->grp = g;
        if (!x || !g) return BCMS_ENOMEM;
        c->cap = cap;
    }
    prune_item_t *it = &c->it[c->nit];
    it->b = b, it->first = first, it->j0 = *j, it->k0 = c->k0 + c->nr, it->roff = c->nrow, it->used = (uint32_t)used;
    it->key = used ? bcms_reader_batch_block(in->rd, b) : -1;
    /* a new group unless the group's last decoded item reads the same block (or this one reads none) */
    int64_t last = -1;
    for (uint32_t x = c->nit; c->ng && x-- > c->grp[c->ng - 1] && last < 0;) last = c->it[x].key;
    if (!c->ng || (used && last >= 0 && last != it->key)) c->grp[c->ng++] = c->nit;
    c->nit++;
    for (; *j < nv && (!used || c->nr < p->chunk_room); ++*j) {
        if (!used || !st_used(in, first + *j)) continue;
        const bcms_variant_t *v = bcms_reader_variant(in->rd, first + *j);
        const uint64_t k = c->k0 + c->nr++;
        if (strlen(v->chrom) >= sizeof p->chunk_chrom)
            return bcms_err(BCMS_EINVAL, "prune: contig name %s too long", v->chrom);
        if (!k || strcmp(p->chunk_chrom, v->chrom)) strcpy(p->chunk_chrom, v->chrom), p->chunk_chr++;
        d->chr[SLOT(d, k)] = p->chunk_chr;
    }
    it->j1 = *j;
    c->nrow += it->j1 - it->j0;
    if (c->nrow > c->rcap) {
        uint64_t cap = c->nrow * 2;
        uint64_t *r = realloc(c->rec, sizeof *r * 4 * cap);
        if (!r) return BCMS_ENOMEM;
        c->rec = r, c->rcap = cap;
    }
    return 0;
}

/* The pass: the stream cut into chunks of whole reader batches (a batch longer than a chunk's room
 * in parts), each decoded in one step, tested in the next and swept in the one after. */
static int prune_pass(st_input_t *in, prune_st_t *p)
{
    prune_chunk_t ch[3] = {{0}}, *sw = NULL, *te = NULL, *de = &ch[0];
    int rc = 0, nx = st_input_next(in);
    uint64_t k = 0;
#define STEP(next)                                                                                                     \
    do {                                                                                                               \
        prune_chunk_t *fr = &ch[0] != te && &ch[0] != de ? &ch[0] : &ch[1] != te && &ch[1] != de ? &ch[1] : &ch[2];    \
        rc = prune_step(p, in, sw, te, de, next);                                                                      \
        if (de) k += de->nr;                                                                                           \
        sw = te, te = de, de = fr;                                                                                     \
        de->nit = de->nr = de->ng = 0, de->nrow = 0, de->k0 = k;                                                                \
    } while (0)
    while (!rc && !nx) {
        for (uint32_t b = in->b0; b < in->b0 + in->nb && !rc; b++) {
            const uint64_t u = st_batch_used(in, b);
            uint64_t first;
            uint32_t nv, j = 0;
            bcms_reader_batch_range(in->rd, b, &first, &nv);
            if (de->nr && de->nr + u > p->chunk_room) STEP(NULL);
            while (!rc && j < nv) {
                if (u && de->nr == p->chunk_room) STEP(NULL);
                if (!rc) rc = chunk_take(p, in, de, b, first, nv, &j, u > 0);
            }
        }
        /* a chunk's decode needs its window (none spans two): the next window is read once the last
         * chunk's batches are decoded */
        if (rc) break;
        if (de->nit) STEP(&nx);
        else nx = st_input_next(in);
    }
    if (!rc && nx < 0) rc = nx;
    /* the last two chunks: tested and swept, then swept */
    for (int i = 0; i < 2 && !rc; i++) {
        rc = prune_step(p, in, sw, te, NULL, NULL);
        sw = te, te = NULL;
    }
#undef STEP
    if (!rc) rc = chrom_end(p);
    for (int i = 0; i < 3; i++) free(ch[i].it), free(ch[i].grp), free(ch[i].rec);
    return rc;
}

int bcms_prune_run(bcms_store_t *st, const bcms_prune_opts_t *o, uint64_t stats[2])
{
    st_input_t in;
    st_names_t nm = {{NULL, NULL}, {NULL, NULL}};
    prune_st_t p = {0};
    kstring_t path_out = {0, 0, NULL};
    int rc;
    if (!o->out) return bcms_err(BCMS_EINVAL, "prune: no output file (-o)");
    if (o->window < 2 || o->step < 1 || o->step > o->window || !(o->r2 >= 0 && o->r2 < 1))
        return bcms_err(BCMS_EINVAL, "prune: need --window >= 2, 1 <= --step <= --window, 0 <= --r2 < 1");
    size_t l = strlen(o->out);
    if (l > 3 && !strcmp(o->out + l - 3, ".in")) kputsn(o->out, l - 3, &path_out), kputs(".out", &path_out);
    else kputs(o->out, &path_out), kputs(".out", &path_out);
    if (!path_out.s) return bcms_err(BCMS_ENOMEM, "prune");
    bcms_structure_sel_t sel = o->in;
    /* the window fill is between the pipeline's steps, on one thread: its block reads on another */
    sel.sel.prefetch = o->in.threads > 1;
    if ((rc = st_input_open(st, &sel, &in))) {
        free(path_out.s);
        return rc;
    }
    p.o = o, p.nm = &nm, p.thr = o->r2 * (1 + PRUNE_EPS), p.path_out = path_out.s;
    p.d.nw = (in.n + 63) / 64, p.d.n = in.n, p.d.count = prune_ld_kernel(), p.d.pack = prune_pack_kernel(), p.d.unzip = prune_unzip_kernel(), p.threads = o->in.threads > 0 ? o->in.threads : 1;
    /* a chunk: what fits in ~4 MB of planes, 64 to 8,192 variants (at 1,000 samples a reader batch of
     * 4,096 and the short one after it: a short one alone made a step of too little work); the ring
     * holds the window and three chunks (prune_step) */
    const uint64_t room = (4u << 20) / (3 * (uint64_t)p.d.nw * sizeof *p.d.bits);
    p.chunk_room = room > 8192 ? 8192 : room < 64 ? 64 : (uint32_t)room;
    p.d.R = o->window + 3 * p.chunk_room, p.d.lw = (o->window + 62) / 64;
    /* above one missing call per two words, the sparse route's lookups cost what its popcounts save
     * (3% missing at 1,000 samples: 4.8 s instead of 3.8 s for 1M variants with up to 2 a word) */
    p.d.K = p.d.nw / 2;
    const size_t R = p.d.R;
    p.w.win = malloc(sizeof *p.w.win * o->window), p.w.fu = malloc(sizeof *p.w.fu * o->window);
    p.w.wrem = calloc(o->window, 1);
    p.d.bits = malloc(R * 3 * p.d.nw * sizeof *p.d.bits);
    p.d.maj = malloc(sizeof *p.d.maj * R), p.d.mono = malloc(R), p.d.removed = malloc(R);
    p.d.name = calloc(R, sizeof *p.d.name), p.ks = calloc((size_t)p.threads, sizeof *p.ks);
    if ((p.ws = calloc((size_t)p.threads, sizeof *p.ws)))
        for (int t = 0; t < p.threads; t++)
            if (!(p.ws[t] = bcms_reader_ws_new(in.rd))) {
                rc = bcms_err(BCMS_ENOMEM, "prune: decode workspaces");
                goto out;
            }
    p.d.sum = malloc(sizeof *p.d.sum * R), p.d.sq = malloc(sizeof *p.d.sq * R);
    p.d.nmiss = malloc(sizeof *p.d.nmiss * R), p.d.miss = malloc(sizeof *p.d.miss * R * (p.d.K + 1));
    p.d.chr = malloc(sizeof *p.d.chr * R), p.d.ld = malloc(sizeof *p.d.ld * R * p.d.lw);
    p.d.fwd = malloc(sizeof *p.d.fwd * R * p.d.lw);
    for (p.d.aw = 1; p.d.aw * 64 < 2 * (uint64_t)o->window + 128;) p.d.aw *= 2;
    p.d.alive = calloc(p.d.aw, sizeof *p.d.alive);
    const char *ke = getenv("BCMS_PRUNE_KERNEL");
    p.sweep = ke && !strcmp(ke, "scalar") ? window_plink1_ref : window_plink1;
    if (!p.w.win || !p.w.fu || !p.w.wrem || !p.d.bits || !p.d.maj || !p.d.mono || !p.d.removed || !p.d.name || !p.ks || !p.ws ||
        !p.d.sum || !p.d.sq || !p.d.nmiss || !p.d.miss || !p.d.chr || !p.d.ld || !p.d.fwd || !p.d.alive) {
        rc = bcms_err(BCMS_ENOMEM, "prune: a window of %u variants x %u samples", o->window, in.n);
        goto out;
    }
    if ((rc = st_names_begin(&nm))) goto out;
    if ((rc = bcms_outfile_open(o->out, 0, &p.fi)) || (rc = bcms_outfile_open(path_out.s, 0, &p.fo))) goto out;
    if ((rc = prune_pass(&in, &p)) || (rc = st_names_finish(&nm, p.threads)) || (rc = write_lists(&p))) goto out;
    rc = bcms_outfile_commit(p.fi), p.fi = NULL;
    if (!rc) rc = bcms_outfile_commit(p.fo);
    p.fo = NULL;
    if (rc) goto out;
    if (p.nkey)
        bcms_log(BCMS_LOG_INFO, "prune: %" PRIu64 " variants listed as CHR:POS:REF:ALT (ID '.' or not unique)", p.nkey);
    bcms_log(BCMS_LOG_INFO, "prune: %" PRIu64 " of %" PRIu64 " variants kept", p.kept, p.total);
    if (stats) stats[0] = p.total, stats[1] = p.kept;
out:
    if (rc == BCMS_ENOMEM) rc = bcms_err(rc, "prune");
    bcms_outfile_abort(p.fi), bcms_outfile_abort(p.fo);
    for (uint32_t i = 0; p.d.name && i < p.d.R; i++) free(p.d.name[i].s);
    for (int t = 0; p.ws && t < p.threads; t++) bcms_reader_ws_free(p.ws[t]);
    for (int t = 0; p.ks && t < p.threads; t++) free(p.ks[t].s);
    free(p.ws), free(p.ks), free(p.sp.s);
    if (p.spool) fclose(p.spool);
    free(p.d.name), free(p.d.bits), free(p.d.maj), free(p.d.mono), free(p.d.removed);
    free(p.d.sum), free(p.d.sq), free(p.d.nmiss), free(p.d.miss), free(p.d.chr), free(p.d.ld), free(p.d.fwd), free(p.d.alive);
    free(p.w.win), free(p.w.fu), free(p.w.wrem);
    free(p.sin.s), free(p.sout.s), free(path_out.s);
    st_names_free(&nm);
    st_input_close(&in);
    return rc;
}
