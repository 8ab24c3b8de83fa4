/* gtblock.c: the genotype frame of a block. Each row starts with a flag byte:
 *   0x01 sparse codes (else dense)   0x02 all samples phased   0x04 phase bitmap
 *   0x08 exceptions                  0x10 dosages
 * then: codes (dense: 2 bits per sample, 4 per byte, sample i at bits 2*(i%4); sparse: varint count,
 * then varint((sample delta << 2) | code) for every non-0 code), phase (bitmap of phased samples if
 * 0x04, then one bit per phased het: 1 when ALT is on the first haplotype, "1|0"), exceptions
 * (varint count; per call varint sample delta, varint ploidy, zigzag varint htslib allele values),
 * dosages (varint count; per sample whose DS differs from its hard call: varint sample delta,
 * u16 big-endian DS*30000, 0xffff missing). Dense or sparse is chosen per row, whichever is smaller:
 * most variants of a cohort are rare, and their rows shrink to a few bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "bytes.h"
#include "err.h"

#define F_SPARSE 0x01
#define F_PH_ALL 0x02
#define F_PH_MAP 0x04
#define F_EXC 0x08
#define F_DS 0x10

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

int bcms_gt_encode_row(kstring_t *out, uint32_t n, const uint8_t *codes, const uint8_t *phase,
                       const bcms_gtexc_t *exc, uint32_t nexc, const int32_t *exc_al, const float *ds)
{
    uint32_t nnz = 0, nph = 0;
    size_t sparse_len = 0, dense_len = ((size_t)n + 3) / 4, last = 0, need;
    uint8_t flags = 0, *p;
    for (uint32_t i = 0; i < n; i++)
        if (codes[i]) {
            sparse_len += varint_len((uint64_t)(i - last) << 2 | codes[i]);
            last = i;
            nnz++;
        }
    sparse_len += varint_len(nnz);
    if (sparse_len < dense_len) flags |= F_SPARSE;
    if (phase) {
        for (uint32_t i = 0; i < n; i++) nph += phase[i] & BCMS_PH_PHASED;
        if (nph == n) flags |= F_PH_ALL;
        else if (nph) flags |= F_PH_MAP;
    }
    if (nexc) flags |= F_EXC;
    if (ds) flags |= F_DS;

    /* worst case room for this row, then write through a pointer */
    need = 1 + (flags & F_SPARSE ? sparse_len : dense_len) + 2 * ((size_t)n / 8 + 1) + 10;
    if (ks_resize(out, out->l + need) < 0) return BCMS_ENOMEM;
    p = (uint8_t *)out->s + out->l;
    *p++ = flags;
    if (flags & F_SPARSE) {
        p = varint_write(p, nnz);
        last = 0;
        for (uint32_t i = 0; i < n; i++)
            if (codes[i]) {
                p = varint_write(p, (uint64_t)(i - last) << 2 | codes[i]);
                last = i;
            }
    } else {
        memset(p, 0, dense_len);
        for (uint32_t i = 0; i < n; i++) p[i >> 2] |= (uint8_t)(codes[i] << ((i & 3) << 1));
        p += dense_len;
    }
    if (flags & (F_PH_ALL | F_PH_MAP)) {
        uint32_t h = 0;
        if (flags & F_PH_MAP) {
            memset(p, 0, (n + 7) / 8);
            for (uint32_t i = 0; i < n; i++)
                if (phase[i] & BCMS_PH_PHASED) p[i >> 3] |= (uint8_t)(1 << (i & 7));
            p += (n + 7) / 8;
        }
        uint8_t *bits = p;
        for (uint32_t i = 0; i < n; i++)
            if ((phase[i] & BCMS_PH_PHASED) && codes[i] == 1) {
                if (!(h & 7)) bits[h >> 3] = 0;
                if (phase[i] & BCMS_PH_ALT_FIRST) bits[h >> 3] |= (uint8_t)(1 << (h & 7));
                h++;
            }
        p += (h + 7) / 8;
    }
    out->l = (char *)p - out->s;
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
    if (ds) {
        uint32_t cnt = 0, prev = 0;
        size_t at;
        int e = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint16_t q = ds_quant(ds[i]);
            uint16_t hard = codes[i] == 3 ? BCMS_DS_MISSING : (uint16_t)(codes[i] * 30000u);
            cnt += q != hard;
        }
        e |= buf_varint(out, cnt);
        at = out->l;
        (void)at;
        for (uint32_t i = 0; i < n && !e; i++) {
            uint16_t q = ds_quant(ds[i]);
            uint16_t hard = codes[i] == 3 ? BCMS_DS_MISSING : (uint16_t)(codes[i] * 30000u);
            if (q == hard) continue;
            uint8_t b[2] = {(uint8_t)(q >> 8), (uint8_t)q};
            e |= buf_varint(out, i - prev) | buf_put(out, b, 2);
            prev = i;
        }
        if (e) return BCMS_ENOMEM;
    }
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

/* 8 bits -> 4 codes, little-endian packed into a uint32 */
static uint32_t dense_lut[256];
static void dense_lut_init(void)
{
    for (int b = 0; b < 256; b++) {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) v |= (uint32_t)((b >> (2 * k)) & 3) << (8 * k);
        dense_lut[b] = v;
    }
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
    if (grow((void **)&g->codes, &g->m_codes, cells + 4, 1)) return BCMS_ENOMEM;
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
    rd_init(&r, raw, n);
    for (uint32_t v = 0; v < nvar; v++) {
        uint8_t *c = g->codes + (size_t)v * nsamp;
        uint8_t flags = rd_u8(&r);
        g->exc_start[v] = g->nexc;
        if (r.err || (flags & ~0x1f)) goto bad;
        if (flags & F_SPARSE) {
            uint64_t cnt = rd_varint(&r), i = 0;
            memset(c, 0, nsamp);
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
            for (; i + 4 <= nsamp; i += 4) memcpy(c + i, &dense_lut[r.p[i >> 2]], 4);
            for (; i < nsamp; i++) c[i] = (r.p[i >> 2] >> ((i & 3) << 1)) & 3;
            r.p += dense_len;
        }
        g->row_has_phase[v] = (flags & (F_PH_ALL | F_PH_MAP)) != 0;
        if (flags & (F_PH_ALL | F_PH_MAP)) {
            const uint8_t *map = NULL, *bits;
            uint32_t h = 0, nh = 0;
            if (flags & F_PH_MAP) {
                if (!rd_need(&r, (nsamp + 7) / 8)) goto bad;
                map = r.p;
                r.p += (nsamp + 7) / 8;
            }
            for (uint32_t i = 0; i < nsamp; i++)
                if (c[i] == 1 && (!map || (map[i >> 3] >> (i & 7) & 1))) nh++;
            if (!rd_need(&r, (nh + 7) / 8)) goto bad;
            bits = r.p;
            r.p += (nh + 7) / 8;
            if (want & BCMS_GT_DEC_PHASE) {
                uint8_t *ph = g->phase + (size_t)v * nsamp;
                for (uint32_t i = 0; i < nsamp; i++) {
                    int phased = !map || (map[i >> 3] >> (i & 7) & 1);
                    ph[i] = phased ? BCMS_PH_PHASED : 0;
                    if (phased && c[i] == 1) {
                        if (bits[h >> 3] >> (h & 7) & 1) ph[i] |= BCMS_PH_ALT_FIRST;
                        h++;
                    }
                }
            }
        } else if (want & BCMS_GT_DEC_PHASE) {
            memset(g->phase + (size_t)v * nsamp, 0, nsamp);
        }
        if (flags & F_EXC) {
            uint64_t cnt = rd_varint(&r), s = 0;
            if (cnt > nsamp) goto bad;
            for (uint64_t k = 0; k < cnt; k++) {
                uint64_t ploidy;
                s += rd_varint(&r);
                ploidy = rd_varint(&r);
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
                    int32_t a = unzigzag(rd_varint(&r));
                    if (want & BCMS_GT_DEC_EXC) g->exc_al[g->nexc_al++] = a;
                }
            }
        }
        g->row_has_ds[v] = (flags & F_DS) != 0;
        if (want & BCMS_GT_DEC_DS) {
            float *d = g->ds + (size_t)v * nsamp;
            for (uint32_t i = 0; i < nsamp; i++) d[i] = c[i] == 3 ? NAN : (float)c[i];
        }
        if (flags & F_DS) {
            uint64_t cnt = rd_varint(&r), s = 0;
            if (cnt > nsamp) goto bad;
            for (uint64_t k = 0; k < cnt; k++) {
                s += rd_varint(&r);
                if (s >= nsamp || !rd_need(&r, 2)) goto bad;
                uint16_t q = (uint16_t)(r.p[0] << 8 | r.p[1]);
                r.p += 2;
                if (want & BCMS_GT_DEC_DS) g->ds[(size_t)v * nsamp + s] = q == BCMS_DS_MISSING ? NAN : q / BCMS_DS_SCALE;
            }
        }
    }
    g->exc_start[nvar] = g->nexc;
    if (r.err || r.p != r.end) goto bad;
    return 0;
bad:
    return bcms_err(BCMS_ECORRUPT, "%s: genotype block does not parse; the store is damaged", what);
}
