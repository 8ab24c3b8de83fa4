/* gtblock.c: the genotype frame of a block. Each row starts with a flag byte:
 *   0x01 sparse codes (else dense)   0x02 all samples phased   0x04 phase bitmap
 *   0x08 exceptions                  0x10 dosages          0x20 codes as changes from the previous row
 *   0x40 phase as a list of exceptions to the majority (with 0x02: the unphased; else the phased)
 *   0x80 every called sample phased as its last called genotype in the block (cohorts phase whole
 *        samples or regions); the phase section describes called samples only, and ends with the list
 *        of missing calls written phased (".|.")
 *   0x21 (changes + sparse): changes from the previous row with its alleles swapped (2 - code), for
 *        neighbours in negative LD
 * The rows' parts go to three streams, concatenated as varint len0, varint len1, stream0, stream1,
 * stream2, so each compresses with its own statistics: (0) flag bytes and codes, (1) phase,
 * (2) exceptions and dosages. Per row: codes (dense: 2 bits per sample, 4 per byte, sample i at bits 2*(i%4); sparse: varint count,
 * then varint((sample delta << 2) | code) for every non-0 code), phase (bitmap of phased samples if
 * 0x04, then one bit per phased het: 1 when ALT is on the first haplotype, "1|0"), exceptions
 * (varint count; per call varint sample delta, varint ploidy, zigzag varint htslib allele values),
 * dosages (varint count; per sample whose DS differs from its hard call: varint sample delta,
 * u16 big-endian DS*30000, 0xffff missing; changes: like sparse, listing the samples whose code differs
 * from the previous row of the block). Dense, sparse or changes is chosen per row, whichever is
 * smallest: most variants of a cohort are rare, and their rows shrink to a few bytes; common variants
 * in linkage disequilibrium with their neighbour shrink to the few samples where they differ (the
 * idea of PGEN's LD-compressed records). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "block.h"
#include "bytes.h"
#include "err.h"

#define F_SPARSE 0x01
#define F_PH_ALL 0x02
#define F_PH_MAP 0x04
#define F_EXC 0x08
#define F_DS 0x10
#define F_DELTA 0x20
#define F_PH_PREV 0x80 /* phased flags as in the previous row (a row without phase: none phased) */
#define F_PH_LIST 0x40 /* phase as a list of the samples that are not like the majority: with
                        * F_PH_ALL the listed ones are unphased, without it they are phased */

static inline uint64_t zigzag(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
static inline int32_t unzigzag(uint64_t v) { return (int32_t)((uint32_t)(v >> 1) ^ -(uint32_t)(v & 1)); }
static inline int varint_len(uint64_t v)
{
    int n = 1;
    while (v >= 0x80) { v >>= 7; n++; }
    return n;
}

static inline uint16_t ds_quant(float d)
{
    if (isnan(d)) return BCMS_DS_MISSING;
    long q = lrintf(d * BCMS_DS_SCALE);
    return (uint16_t)(q < 0 ? 0 : q > 65534 ? 65534 : q);
}

#define BYTES_01 0x0101010101010101ull
#define BYTES_7F 0x7f7f7f7f7f7f7f7full

/* The sum of the bytes of a word whose bytes are each 0 or 1. */
static inline uint32_t byte_sum01(uint64_t w)
{
    return (uint32_t)((w * BYTES_01) >> 56);
}

const uint8_t bcms_swap_code[4] = {2, 1, 0, 3};
#define swap_code bcms_swap_code

/* The reference code of sample i for a list: 0 (ref NULL), ref[i], or ref[i] with its alleles
 * swapped (inv). Codes are 0..3, and swapping is 2 - c for 0..2, 3 kept: c ^ 2 for even c. */
static inline uint8_t list_ref(const uint8_t *ref, int inv, uint32_t i)
{
    return ref ? (inv ? swap_code[ref[i]] : ref[i]) : 0;
}

/* Eight reference codes at once, as list_ref gives them one by one. */
static inline uint64_t list_ref8(const uint8_t *ref, int inv, uint32_t i)
{
    uint64_t r = 0;
    if (!ref) return 0;
    memcpy(&r, ref + i, 8);
    return inv ? r ^ ((~r & BYTES_01) << 1) : r;
}

/* Whether samples i .. i+7 all equal the reference (one word compare). */
static inline int run8_same(const uint8_t *codes, const uint8_t *ref, int inv, uint32_t i)
{
    uint64_t w;
    memcpy(&w, codes + i, 8);
    return w == list_ref8(ref, inv, i);
}

/* The first sample at or after i where codes differs from ref (n if none): runs of eight equal
 * samples at multiples of eight are skipped a word at a time (most rows of a cohort are rare
 * variants, or close to their neighbour). */
static inline uint32_t next_diff(const uint8_t *codes, const uint8_t *ref, int inv, uint32_t n, uint32_t i)
{
    while (i < n) {
        if (!(i & 7) && i + 8 <= n && run8_same(codes, ref, inv, i)) {
            i += 8;
            continue;
        }
        if (codes[i] != list_ref(ref, inv, i)) return i;
        i++;
    }
    return n;
}

/* Size of the list of samples where codes differs from ref (ref NULL: from all-zero). Stops
 * counting once it exceeds limit. */
static size_t list_len(const uint8_t *codes, const uint8_t *ref, int inv, uint32_t n, size_t limit, uint32_t *count)
{
    size_t len = 0, last = 0;
    uint32_t cnt = 0;
    for (uint32_t i = 0; (i = next_diff(codes, ref, inv, n, i)) < n; last = i++) {
        len += varint_len((uint64_t)(i - last) << 2 | codes[i]);
        cnt++;
        if (len > limit) break;
    }
    *count = cnt;
    return len + varint_len(cnt);
}

/* A lower bound of list_len's full length: one byte at least per listed sample and for the count.
 * It counts eight samples a word at a time and stops once the bound reaches limit, so a row whose
 * list cannot beat limit (a common variant, or one unlike its neighbour) is ruled out without
 * list_len's per-sample loop. The choice made from it is the one list_len alone gives: a list is
 * only ever taken when shorter than the limit. */
static size_t list_len_bound(const uint8_t *codes, const uint8_t *ref, int inv, uint32_t n, size_t limit)
{
    size_t cnt = 1;
    uint32_t i = 0;
#ifdef __SSE2__
    /* sixteen samples a step, the count taken every eight steps */
    const __m128i b01 = _mm_set1_epi8(1), zero = _mm_setzero_si128();
    while (i + 128 <= n) {
        __m128i eq = zero;
        for (int k = 0; k < 8; k++, i += 16) {
            __m128i c = _mm_loadu_si128((const __m128i *)(codes + i)), r = zero;
            if (ref) {
                r = _mm_loadu_si128((const __m128i *)(ref + i));
                if (inv) r = _mm_xor_si128(r, _mm_slli_epi64(_mm_andnot_si128(r, b01), 1)); /* as list_ref8 */
            }
            eq = _mm_sub_epi8(eq, _mm_cmpeq_epi8(c, r));
        }
        __m128i s = _mm_sad_epu8(eq, zero);
        cnt += 128 - (size_t)(_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_srli_si128(s, 8)));
        if (cnt >= limit) return cnt;
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w, x;
        memcpy(&w, codes + i, 8);
        x = w ^ list_ref8(ref, inv, i); /* codes are two bits: a byte differs where x has bit 0 or 1 */
        cnt += byte_sum01((x | x >> 1) & BYTES_01);
        if (cnt >= limit) return cnt;
    }
    for (; i < n; i++) cnt += codes[i] != list_ref(ref, inv, i);
    return cnt;
}

/* list_len when list_len_bound leaves it a chance of beating limit, else SIZE_MAX (the list is not
 * taken either way). */
static size_t list_len_if(const uint8_t *codes, const uint8_t *ref, int inv, uint32_t n, size_t limit, uint32_t *count)
{
    if (list_len_bound(codes, ref, inv, n, limit) >= limit) {
        *count = 0;
        return SIZE_MAX;
    }
    return list_len(codes, ref, inv, n, limit, count);
}

static uint8_t *list_write(uint8_t *p, const uint8_t *codes, const uint8_t *ref, int inv, uint32_t n, uint32_t cnt)
{
    size_t last = 0;
    p = varint_write(p, cnt);
    for (uint32_t i = 0; (i = next_diff(codes, ref, inv, n, i)) < n; last = i++)
        p = varint_write(p, (uint64_t)(i - last) << 2 | codes[i]);
    return p;
}

int bcms_gt_encode_row(kstring_t out[3], uint32_t n, const uint8_t *codes, const uint8_t *prev, const uint8_t *phase,
                       uint8_t *pstate, const bcms_gtexc_t *exc, uint32_t nexc, const int32_t *exc_al,
                       const float *ds)
{
    uint32_t nnz = 0, ndiff = 0, nph = 0;
    size_t dense_len = ((size_t)n + 3) / 4, need, best;
    size_t sparse_len = list_len_if(codes, NULL, 0, n, dense_len, &nnz), delta_len = SIZE_MAX, inv_len = SIZE_MAX;
    uint32_t ninv = 0;
    int inv = 0;
    uint8_t flags = 0, *p;
    best = sparse_len < dense_len ? sparse_len : dense_len;
    if (prev) {
        delta_len = list_len_if(codes, prev, 0, n, best, &ndiff);
        inv_len = list_len_if(codes, prev, 1, n, delta_len < best ? delta_len : best, &ninv);
    }
    if (inv_len < best && inv_len < delta_len) flags |= F_DELTA | F_SPARSE, best = inv_len, inv = 1, ndiff = ninv;
    else if (delta_len < best) flags |= F_DELTA, best = delta_len;
    else if (sparse_len < dense_len) flags |= F_SPARSE;
    /* Phase is described for the called samples; a missing call's phase ("./." or ".|.") is a
     * separate list of the phased ones (usually empty), so the many missing calls of a cohort do not
     * break the runs of identical phase patterns. pstate holds, per sample, the phase of its last
     * called genotype in the block (F_PH_PREV repeats it). */
    uint32_t ncalled = 0, nph_miss = 0;
    if (phase) {
        uint64_t differ = 0;
        uint32_t i = 0;
        /* eight samples a word at a time: a byte of m is 1 where the code is 3 (missing), of ph
         * where the call is phased; the byte sums of 0/1 words come from one multiplication */
        for (; i + 8 <= n; i += 8) {
            uint64_t c, f, st, m, ph;
            memcpy(&c, codes + i, 8);
            memcpy(&f, phase + i, 8);
            memcpy(&st, pstate + i, 8);
            m = c & (c >> 1) & BYTES_01;
            ph = f & BYTES_01;
            nph_miss += byte_sum01(ph & m);
            ncalled += 8 - byte_sum01(m);
            nph += byte_sum01(ph & ~m);
            differ |= ~m & (ph ^ st) & BYTES_01;
        }
        for (; i < n; i++) {
            uint32_t ph = (phase[i] & BCMS_PH_PHASED) != 0, miss = codes[i] == 3;
            nph_miss += ph & miss;
            ncalled += !miss;
            nph += ph & !miss;
            differ |= !miss & (ph != pstate[i]);
        }
        int same = !differ;
        if (nph + nph_miss == 0) {
            phase = NULL;
        } else if (nph == ncalled) {
            flags |= F_PH_ALL;
        } else if (same) {
            flags |= F_PH_PREV;
        } else {
            /* a few unphased samples in a phased cohort (or the reverse): list them */
            int maj = nph * 2 >= ncalled;
            size_t len = 0, last = 0, cnt = 0;
            for (uint32_t i = 0; i < n && len < n / 8; i++)
                if (codes[i] != 3 && ((phase[i] & BCMS_PH_PHASED) != 0) != maj) {
                    len += varint_len(i - last);
                    last = i;
                    cnt++;
                }
            len += varint_len(cnt);
            if (len < (n + 7) / 8) flags |= F_PH_LIST | (maj ? F_PH_ALL : 0);
            else flags |= F_PH_MAP;
        }
    }
    /* the carried phase of called samples */
    {
        uint32_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t c, f = 0, st, keep;
            memcpy(&c, codes + i, 8);
            memcpy(&st, pstate + i, 8);
            if (phase) memcpy(&f, phase + i, 8);
            keep = (c & (c >> 1) & BYTES_01) * 0xff; /* 0xff bytes where missing: keep the state */
            st = (st & keep) | (f & BYTES_01 & ~keep);
            memcpy(pstate + i, &st, 8);
        }
        for (; i < n; i++)
            if (codes[i] != 3) pstate[i] = phase ? (phase[i] & BCMS_PH_PHASED) != 0 : 0;
    }
    if (nexc) flags |= F_EXC;
    if (ds) flags |= F_DS;

    /* worst case room for this row, then write through a pointer */
    need = 1 + best + 10;
    if (ks_resize(&out[0], out[0].l + need) < 0 || ks_resize(&out[1], out[1].l + 2 * ((size_t)n / 8 + 1) + 10 * (size_t)n + 20) < 0)
        return BCMS_ENOMEM;
    p = (uint8_t *)out[0].s + out[0].l;
    *p++ = flags;
    if (flags & F_DELTA) {
        p = list_write(p, codes, prev, inv, n, ndiff);
    } else if (flags & F_SPARSE) {
        p = list_write(p, codes, NULL, 0, n, nnz);
    } else {
        uint32_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ /* sample i + k in byte k */
        for (; i + 8 <= n; i += 8) { /* two-bit codes gathered four to a byte, a word at a time */
            uint64_t w;
            memcpy(&w, codes + i, 8);
            w = (w | w >> 6) & 0x000f000f000f000full;
            w = (w | w >> 12) & 0x000000ff000000ffull;
            *p++ = (uint8_t)w;
            *p++ = (uint8_t)(w >> 32);
        }
#endif
        for (; i + 4 <= n; i += 4)
            *p++ = (uint8_t)(codes[i] | codes[i + 1] << 2 | codes[i + 2] << 4 | codes[i + 3] << 6);
        if (i < n) {
            uint8_t b = 0;
            for (int k = 0; i < n; i++, k++) b |= (uint8_t)(codes[i] << (2 * k));
            *p++ = b;
        }
    }
    out[0].l = (char *)p - out[0].s;
    p = (uint8_t *)out[1].s + out[1].l;
    if (flags & (F_PH_ALL | F_PH_MAP | F_PH_LIST | F_PH_PREV)) {
        uint32_t h = 0;
        if (flags & F_PH_LIST) {
            int maj = (flags & F_PH_ALL) != 0;
            uint32_t cnt = 0, last = 0;
            for (uint32_t i = 0; i < n; i++) cnt += codes[i] != 3 && ((phase[i] & BCMS_PH_PHASED) != 0) != maj;
            p = varint_write(p, cnt);
            for (uint32_t i = 0; i < n; i++)
                if (codes[i] != 3 && ((phase[i] & BCMS_PH_PHASED) != 0) != maj) {
                    p = varint_write(p, i - last);
                    last = i;
                }
        } else if (flags & F_PH_MAP) {
            memset(p, 0, (n + 7) / 8);
            for (uint32_t i = 0; i < n; i++)
                if (codes[i] != 3 && (phase[i] & BCMS_PH_PHASED)) p[i >> 3] |= (uint8_t)(1 << (i & 7));
            p += (n + 7) / 8;
        }
        uint8_t *bits = p;
        uint32_t i = 0;
        /* eight samples a word at a time, then one step per phased het: z has the high bit of
         * each byte that is a phased het (code 1: a zero byte of codes ^ 0x01..) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ /* sample i + k in byte k */
        for (; i + 8 <= n; i += 8) {
            uint64_t c, f, e, z;
            memcpy(&c, codes + i, 8);
            memcpy(&f, phase + i, 8);
            e = c ^ BYTES_01;
            z = ~(((e & BYTES_7F) + BYTES_7F) | e | BYTES_7F) & ((f & BYTES_01) << 7);
            while (z) {
                uint32_t k = (uint32_t)__builtin_ctzll(z) >> 3;
                if (!(h & 7)) bits[h >> 3] = 0;
                if (phase[i + k] & BCMS_PH_ALT_FIRST) bits[h >> 3] |= (uint8_t)(1 << (h & 7));
                h++;
                z &= z - 1;
            }
        }
#endif
        for (; i < n; i++)
            if ((phase[i] & BCMS_PH_PHASED) && codes[i] == 1) {
                if (!(h & 7)) bits[h >> 3] = 0;
                if (phase[i] & BCMS_PH_ALT_FIRST) bits[h >> 3] |= (uint8_t)(1 << (h & 7));
                h++;
            }
        p += (h + 7) / 8;
        /* phased missing calls (".|.") */
        p = varint_write(p, nph_miss);
        uint32_t last = 0;
        for (uint32_t i = 0; i < n && nph_miss; i++)
            if (codes[i] == 3 && (phase[i] & BCMS_PH_PHASED)) {
                p = varint_write(p, i - last);
                last = i;
            }
    }
    out[1].l = (char *)p - out[1].s;
    out += 2; /* exceptions and dosages go to the third stream */
    if (nexc) {
        int e = buf_varint(out, nexc);
        uint32_t prev = 0;
        for (uint32_t k = 0; k < nexc && !e; k++) {
            e |= buf_varint(out, exc[k].sample - prev) | buf_varint(out, exc[k].ploidy);
            prev = exc[k].sample;
            for (uint32_t j = 0; j < exc[k].ploidy; j++) e |= buf_varint(out, zigzag(exc_al[exc[k].off + j]));
        }
        if (e) return BCMS_ENOMEM;
    }
    if (ds) { /* the dosages that are not the hard call's, each quantised once: the entries are
               * written first, then their count is put in front of them */
        uint32_t cnt = 0, prev = 0;
        const size_t start = out->l;
        int e = 0;
        for (uint32_t i = 0; i < n && !e; i++) {
            uint16_t q = ds_quant(ds[i]);
            uint16_t hard = codes[i] == 3 ? BCMS_DS_MISSING : (uint16_t)(codes[i] * 30000u);
            if (q == hard) continue;
            uint8_t b[2] = {(uint8_t)(q >> 8), (uint8_t)q};
            e |= buf_varint(out, i - prev) | buf_put(out, b, 2);
            prev = i;
            cnt++;
        }
        uint8_t vb[10];
        const size_t vl = (size_t)(varint_write(vb, cnt) - vb);
        if (e || buf_put(out, vb, vl)) return BCMS_ENOMEM; /* room for the count */
        memmove(out->s + start + vl, out->s + start, out->l - vl - start);
        memcpy(out->s + start, vb, vl);
    }
    return 0;
}

int bcms_gt_assemble(kstring_t streams[3], kstring_t *raw)
{
    raw->l = 0;
    if (buf_varint(raw, streams[0].l) || buf_varint(raw, streams[1].l) ||
        buf_put(raw, streams[0].s ? streams[0].s : "", streams[0].l) ||
        buf_put(raw, streams[1].s ? streams[1].s : "", streams[1].l) ||
        buf_put(raw, streams[2].s ? streams[2].s : "", streams[2].l))
        return BCMS_ENOMEM;
    for (int i = 0; i < 3; i++) streams[i].l = 0;
    return 0;
}

void bcms_gtblock_free(bcms_gtblock_t *g)
{
    free(g->codes);
    free(g->phase);
    free(g->row_has_phase);
    free(g->ds);
    free(g->row_has_ds);
    free(g->exc_start);
    free(g->exc);
    free(g->exc_al);
    free(g->scratch);
    memset(g, 0, sizeof *g);
}

static int grow(void **p, size_t *m, size_t need, size_t elt)
{
    if (need <= *m) return 0;
    size_t nm = need + need / 4 + 16;
    void *q = realloc(*p, nm * elt);
    if (!q) return -1;
    *p = q;
    *m = nm;
    return 0;
}

/* 8 bits -> the 4 codes they pack, as 4 bytes (sample i at bits 2*(i%4); any host byte order) */
static uint8_t dense_lut[256][4];
static void dense_lut_init(void)
{
    for (int b = 0; b < 256; b++)
        for (int k = 0; k < 4; k++) dense_lut[b][k] = (uint8_t)((b >> (2 * k)) & 3);
}

/* The codes of stream r as 2-bit rows (BCMS_GT_DEC_PACKED; 0, 1 when it does not parse, or BCMS_ENOMEM): a dense row is copied as stored, a list
 * row starts from zeros or from the previous row (its alleles swapped for inverted changes: code c
 * to 2 - c is the high bit flipped where the low bit is 0) and sets its listed samples' 2 bits. The
 * other streams are not read, as in the byte decoder without phase or dosages asked for. */
static int gt_decode_packed(rd_t *r, uint32_t nvar, uint32_t nsamp, bcms_gtblock_t *g)
{
    const size_t dense_len = ((size_t)nsamp + 3) / 4, ps = ((size_t)nsamp + 63) / 64 * 16;
    if (grow((void **)&g->codes, &g->m_codes, (size_t)nvar * ps + 16, 1)) return BCMS_ENOMEM;
    g->pstride = (uint32_t)ps;
    for (uint32_t v = 0; v < nvar; v++) {
        uint8_t *c = g->codes + (size_t)v * ps;
        const uint8_t flags = rd_u8(r);
        g->exc_start[v] = 0;
        g->row_has_phase[v] = (flags & (F_PH_ALL | F_PH_MAP | F_PH_LIST | F_PH_PREV)) != 0;
        g->row_has_ds[v] = (flags & F_DS) != 0;
        if (r->err || ((flags & F_DELTA) && v == 0)) return 1;
        if (flags & (F_SPARSE | F_DELTA)) {
            uint64_t cnt = rd_varint(r), i = 0;
            if ((flags & (F_DELTA | F_SPARSE)) == (F_DELTA | F_SPARSE)) {
                const uint64_t L = 0x5555555555555555ULL;
                for (size_t w = 0; w < ps; w += 8) {
                    uint64_t x;
                    memcpy(&x, c - ps + w, 8);
                    x ^= (~x & L) << 1;
                    memcpy(c + w, &x, 8);
                }
                /* the padding's 0 codes became 2: back to 0 */
                for (uint32_t k = nsamp; k < ps * 4; k++) c[k >> 2] &= (uint8_t)~(3u << ((k & 3) << 1));
            } else if (flags & F_DELTA)
                memcpy(c, c - ps, ps);
            else
                memset(c, 0, ps);
            if (cnt > nsamp) return 1;
            for (uint64_t k = 0; k < cnt; k++) {
                uint64_t x = rd_varint(r);
                i += x >> 2;
                if (i >= nsamp) return 1;
                const unsigned sh = (unsigned)(i & 3) << 1;
                c[i >> 2] = (uint8_t)((c[i >> 2] & ~(3u << sh)) | (unsigned)(x & 3) << sh);
            }
        } else {
            if (!rd_need(r, dense_len)) return 1;
            memcpy(c, r->p, dense_len);
            memset(c + dense_len, 0, ps - dense_len);
            if (nsamp & 3) c[dense_len - 1] &= (uint8_t)((1u << ((nsamp & 3) << 1)) - 1);
            r->p += dense_len;
        }
    }
    g->exc_start[nvar] = 0;
    return r->err || r->p != r->end ? 1 : 0;
}

int bcms_gt_decode(const void *raw, size_t n, uint32_t nvar, uint32_t nsamp, int want, bcms_gtblock_t *g,
                   const char *what)
{
    static int lut_ready;
    rd_t r;
    size_t cells = (size_t)nvar * nsamp, dense_len = ((size_t)nsamp + 3) / 4;
    size_t m_rows_dummy;
    if (!lut_ready) {
        /* idempotent: concurrent first calls compute the same table */
        dense_lut_init();
        __atomic_store_n(&lut_ready, 1, __ATOMIC_RELEASE);
    }
    g->nvar = nvar;
    g->nsamp = nsamp;
    g->nexc = g->nexc_al = 0;
    g->pstride = 0;
    if ((want & BCMS_GT_DEC_PACKED) && want != BCMS_GT_DEC_PACKED)
        return bcms_err(BCMS_EINVAL, "%s: packed codes are decoded without phase, dosages or exceptions", what);
    /* every row takes at least its flag byte: check before allocating nvar * nsamp cells */
    if (nvar > n) goto bad;
    if (!(want & BCMS_GT_DEC_PACKED) && grow((void **)&g->codes, &g->m_codes, cells + 4, 1)) return BCMS_ENOMEM;
    m_rows_dummy = g->m_rows;
    if (grow((void **)&g->exc_start, &g->m_rows, nvar + 1, sizeof *g->exc_start)) return BCMS_ENOMEM;
    if (g->m_rows != m_rows_dummy || !g->row_has_phase) {
        uint8_t *a = realloc(g->row_has_phase, g->m_rows), *b = realloc(g->row_has_ds, g->m_rows);
        if (a) g->row_has_phase = a;
        if (b) g->row_has_ds = b;
        if (!a || !b) return BCMS_ENOMEM;
    }
    if ((want & BCMS_GT_DEC_PHASE) && grow((void **)&g->phase, &g->m_phase, cells, 1)) return BCMS_ENOMEM;
    if ((want & BCMS_GT_DEC_DS) && grow((void **)&g->ds, &g->m_ds, cells, sizeof(float))) return BCMS_ENOMEM;
    /* three streams: flags + codes, phase, exceptions + dosages */
    rd_t rp, rx;
    {
        rd_t h;
        rd_init(&h, raw, n);
        uint64_t l0 = rd_varint(&h), l1 = rd_varint(&h);
        if (h.err || l0 > (uint64_t)(h.end - h.p) || l1 > (uint64_t)(h.end - h.p) - l0) goto bad;
        rd_init(&r, h.p, l0);
        rd_init(&rp, h.p + l0, l1);
        rd_init(&rx, h.p + l0 + l1, (size_t)(h.end - h.p - l0 - l1));
    }
    if (want & BCMS_GT_DEC_PACKED) {
        const int rc = gt_decode_packed(&r, nvar, nsamp, g); /* 1: does not parse */
        if (rc == 1) goto bad;
        return rc;
    }
    if (grow((void **)&g->scratch, &g->m_scratch, nsamp + 1, 1)) return BCMS_ENOMEM;
    memset(g->scratch, 0, nsamp);
    for (uint32_t v = 0; v < nvar; v++) {
        uint8_t *c = g->codes + (size_t)v * nsamp;
        uint8_t flags = rd_u8(&r);
        g->exc_start[v] = g->nexc;
        if (r.err || ((flags & F_DELTA) && v == 0)) goto bad;
        if (flags & (F_SPARSE | F_DELTA)) {
            uint64_t cnt = rd_varint(&r), i = 0;
            if ((flags & (F_DELTA | F_SPARSE)) == (F_DELTA | F_SPARSE))
                for (uint32_t i = 0; i < nsamp; i++) c[i] = swap_code[c[(long)i - (long)nsamp]];
            else if (flags & F_DELTA) memcpy(c, c - nsamp, nsamp);
            else memset(c, 0, nsamp);
            if (cnt > nsamp) goto bad;
            for (uint64_t k = 0; k < cnt; k++) {
                uint64_t x = rd_varint(&r);
                i += x >> 2;
                if (i >= nsamp) goto bad;
                c[i] = (uint8_t)(x & 3);
            }
        } else {
            if (!rd_need(&r, dense_len)) goto bad;
            uint32_t i = 0;
            for (; i + 4 <= nsamp; i += 4) memcpy(c + i, dense_lut[r.p[i >> 2]], 4);
            for (; i < nsamp; i++) c[i] = (r.p[i >> 2] >> ((i & 3) << 1)) & 3;
            r.p += dense_len;
        }
        g->row_has_phase[v] = (flags & (F_PH_ALL | F_PH_MAP | F_PH_LIST | F_PH_PREV)) != 0;
        g->row_has_ds[v] = (flags & F_DS) != 0;
        /* scans want codes only: the phase and extra streams are not parsed at all then;
         * pf: per sample, the phase of its last called genotype in the block (see the encoder) */
        if (!(want & BCMS_GT_DEC_PHASE)) {
            /* phase stream skipped */
        } else if (flags & (F_PH_ALL | F_PH_MAP | F_PH_LIST | F_PH_PREV)) {
            uint8_t *pf = g->scratch;
            const uint8_t *bits;
            uint32_t h = 0, nh = 0;
            if (flags & F_PH_PREV) {
                /* carried over */
            } else if (flags & F_PH_LIST) {
                int maj = (flags & F_PH_ALL) != 0;
                uint64_t cnt = rd_varint(&rp), i = 0;
                for (uint32_t k = 0; k < nsamp; k++)
                    if (c[k] != 3) pf[k] = (uint8_t)maj;
                if (cnt > nsamp) goto bad;
                for (uint64_t k = 0; k < cnt; k++) {
                    i += rd_varint(&rp);
                    if (i >= nsamp || c[i] == 3) goto bad;
                    pf[i] = (uint8_t)!maj;
                }
            } else if (flags & F_PH_MAP) {
                if (!rd_need(&rp, (nsamp + 7) / 8)) goto bad;
                for (uint32_t i = 0; i < nsamp; i++)
                    if (c[i] != 3) pf[i] = rp.p[i >> 3] >> (i & 7) & 1;
                rp.p += (nsamp + 7) / 8;
            } else {
                for (uint32_t i = 0; i < nsamp; i++)
                    if (c[i] != 3) pf[i] = 1;
            }
            for (uint32_t i = 0; i < nsamp; i++) nh += c[i] == 1 && pf[i];
            if (!rd_need(&rp, (nh + 7) / 8)) goto bad;
            bits = rp.p;
            rp.p += (nh + 7) / 8;
            uint64_t nmiss = rd_varint(&rp), mi = 0;
            if (nmiss > nsamp) goto bad;
            if (want & BCMS_GT_DEC_PHASE) {
                uint8_t *ph = g->phase + (size_t)v * nsamp;
                for (uint32_t i = 0; i < nsamp; i++) {
                    ph[i] = c[i] != 3 && pf[i] ? BCMS_PH_PHASED : 0;
                    if (ph[i] && c[i] == 1) {
                        if (bits[h >> 3] >> (h & 7) & 1) ph[i] |= BCMS_PH_ALT_FIRST;
                        h++;
                    }
                }
            }
            for (uint64_t k = 0; k < nmiss; k++) {
                mi += rd_varint(&rp);
                if (mi >= nsamp || c[mi] != 3) goto bad;
                if (want & BCMS_GT_DEC_PHASE) g->phase[(size_t)v * nsamp + mi] = BCMS_PH_PHASED;
            }
        } else {
            uint8_t *pf = g->scratch;
            for (uint32_t i = 0; i < nsamp; i++)
                if (c[i] != 3) pf[i] = 0;
            memset(g->phase + (size_t)v * nsamp, 0, nsamp);
        }
        if (!(want & (BCMS_GT_DEC_EXC | BCMS_GT_DEC_DS))) continue;
        if (flags & F_EXC) {
            uint64_t cnt = rd_varint(&rx), s = 0;
            if (cnt > nsamp) goto bad;
            for (uint64_t k = 0; k < cnt; k++) {
                uint64_t ploidy;
                s += rd_varint(&rx);
                ploidy = rd_varint(&rx);
                if (s >= nsamp || ploidy > 64 || r.err) goto bad;
                if (want & BCMS_GT_DEC_EXC) {
                    if (grow((void **)&g->exc, &g->m_exc, g->nexc + 1, sizeof *g->exc) ||
                        grow((void **)&g->exc_al, &g->m_exc_al, g->nexc_al + ploidy + 1, sizeof *g->exc_al))
                        return BCMS_ENOMEM;
                    g->exc[g->nexc].sample = (uint32_t)s;
                    g->exc[g->nexc].ploidy = (uint32_t)ploidy;
                    g->exc[g->nexc].off = g->nexc_al;
                    g->nexc++;
                }
                for (uint64_t j = 0; j < ploidy; j++) {
                    int32_t a = unzigzag(rd_varint(&rx));
                    if (want & BCMS_GT_DEC_EXC) g->exc_al[g->nexc_al++] = a;
                }
            }
        }
        if (want & BCMS_GT_DEC_DS) {
            float *d = g->ds + (size_t)v * nsamp;
            for (uint32_t i = 0; i < nsamp; i++) d[i] = c[i] == 3 ? NAN : (float)c[i];
        }
        if (flags & F_DS) {
            uint64_t cnt = rd_varint(&rx), s = 0;
            if (cnt > nsamp) goto bad;
            for (uint64_t k = 0; k < cnt; k++) {
                s += rd_varint(&rx);
                if (s >= nsamp || !rd_need(&rx, 2)) goto bad;
                uint16_t q = (uint16_t)(rx.p[0] << 8 | rx.p[1]);
                rx.p += 2;
                if (want & BCMS_GT_DEC_DS) g->ds[(size_t)v * nsamp + s] = q == BCMS_DS_MISSING ? NAN : q / BCMS_DS_SCALE;
            }
        }
    }
    g->exc_start[nvar] = g->nexc;
    if (r.err || r.p != r.end) goto bad;
    if ((want & BCMS_GT_DEC_PHASE) && (rp.err || rp.p != rp.end)) goto bad;
    if ((want & (BCMS_GT_DEC_EXC | BCMS_GT_DEC_DS)) && (rx.err || rx.p != rx.end)) goto bad;
    return 0;
bad:
    return bcms_err(BCMS_ECORRUPT, "%s: genotype block does not parse; the store is damaged", what);
}
