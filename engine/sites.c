/* sites.c: the columnar site frame of a block. Columns are written one after another, each as a
 * varint byte length + bytes, so each compresses with its own kind of redundancy:
 *   pos     varint deltas from the previous row (the first from 0)
 *   counts  varints ac, an, nhet, nhom, nmiss per row
 *   origin  varints alt_idx, n_allele per row
 *   qual    f32 per row (big-endian bit pattern; "." is htslib's missing-float pattern)
 *   id, ref, alt, filter   NUL-terminated strings, one per row, concatenated
 *   r2      f32 per row (NaN: none), or an empty column when no row of the block has one */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "bytes.h"
#include "err.h"

void bcms_sites_reset(bcms_sites_t *s)
{
    s->nvar = 0;
    s->str.l = 0;
}

void bcms_sites_free(bcms_sites_t *s)
{
    free(s->v);
    free(s->str.s);
    memset(s, 0, sizeof *s);
}

static int sites_grow(bcms_sites_t *s)
{
    if (s->nvar < s->mvar) return 0;
    uint32_t m = s->mvar ? s->mvar * 2 : 256;
    bcms_site_t *v = realloc(s->v, sizeof *v * m);
    if (!v) return BCMS_ENOMEM;
    s->v = v;
    s->mvar = m;
    return 0;
}

static int str_add(kstring_t *k, const char *s, uint32_t *off)
{
    *off = (uint32_t)k->l;
    return kputsn(s, strlen(s), k) < 0 || kputc_(0, k) < 0 ? BCMS_ENOMEM : 0;
}

int bcms_sites_add(bcms_sites_t *s, const bcms_site_t *site, const char *id, const char *ref, const char *alt,
                   const char *filter)
{
    bcms_site_t *v;
    if (sites_grow(s)) return BCMS_ENOMEM;
    v = &s->v[s->nvar];
    *v = *site;
    if (str_add(&s->str, id, &v->id) || str_add(&s->str, ref, &v->ref) || str_add(&s->str, alt, &v->alt) ||
        str_add(&s->str, filter, &v->filter))
        return BCMS_ENOMEM;
    s->nvar++;
    return 0;
}

static int col_put(kstring_t *out, const kstring_t *col)
{
    return buf_varint(out, col->l) || buf_put(out, col->s ? col->s : "", col->l) ? -1 : 0;
}

int bcms_sites_encode(const bcms_sites_t *s, kstring_t *out)
{
    kstring_t col[6] = {{0, 0, NULL}};
    int64_t prev = 0;
    int e = 0, rc = 0, any_r2 = 0;
    out->l = 0;
    e |= buf_u32(out, s->nvar);
    for (uint32_t i = 0; i < s->nvar && !e; i++) {
        const bcms_site_t *v = &s->v[i];
        e |= buf_varint(&col[0], (uint64_t)(v->pos - prev));
        prev = v->pos;
        e |= buf_varint(&col[1], v->ac) | buf_varint(&col[1], v->an) | buf_varint(&col[1], v->nhet) |
             buf_varint(&col[1], v->nhom) | buf_varint(&col[1], v->nmiss);
        e |= buf_varint(&col[2], v->alt_idx) | buf_varint(&col[2], v->n_allele);
        e |= buf_f32(&col[3], v->qual);
        any_r2 |= !isnan(v->r2);
    }
    for (uint32_t i = 0; i < s->nvar && !e && any_r2; i++) e |= buf_f32(&col[5], s->v[i].r2);
    /* string columns, in the order id, ref, alt, filter */
    for (int c = 0; c < 4 && !e; c++)
        for (uint32_t i = 0; i < s->nvar && !e; i++) {
            const bcms_site_t *v = &s->v[i];
            uint32_t off = c == 0 ? v->id : c == 1 ? v->ref : c == 2 ? v->alt : v->filter;
            const char *p = s->str.s + off;
            e |= buf_put(&col[4], p, strlen(p) + 1);
        }
    for (int c = 0; c < 6 && !e; c++) e |= col_put(out, &col[c]);
    if (e) rc = BCMS_ENOMEM;
    for (int c = 0; c < 6; c++) free(col[c].s);
    return rc;
}

int bcms_sites_decode(const void *raw, size_t n, bcms_sites_t *s)
{
    rd_t r, col[6];
    uint32_t nvar;
    int64_t pos = 0;
    bcms_sites_reset(s);
    rd_init(&r, raw, n);
    nvar = rd_u32(&r);
    for (int c = 0; c < 6; c++) {
        size_t len;
        const char *p = rd_str(&r, &len);
        rd_init(&col[c], p, len);
    }
    /* every row takes at least one byte of the pos column: a larger count is damage, not a reason to
     * allocate gigabytes */
    if (r.err || r.p != r.end || nvar > (size_t)(col[0].end - col[0].p)) goto bad;
    int has_r2 = col[5].end != col[5].p;
    if (has_r2 && (uint64_t)(col[5].end - col[5].p) != (uint64_t)nvar * 4) goto bad;
    if (nvar > s->mvar) {
        bcms_site_t *v = realloc(s->v, sizeof *v * nvar);
        if (!v) return BCMS_ENOMEM;
        s->v = v;
        s->mvar = nvar;
    }
    /* strings: copy the whole column once, then point rows at it */
    if (ks_resize(&s->str, col[4].end - col[4].p + 1) < 0) return BCMS_ENOMEM;
    memcpy(s->str.s, col[4].p, col[4].end - col[4].p);
    s->str.l = col[4].end - col[4].p;
    if (s->str.l && s->str.s[s->str.l - 1] != 0) goto bad;
    size_t off = 0;
    for (int c = 0; c < 4; c++)
        for (uint32_t i = 0; i < nvar; i++) {
            bcms_site_t *v = &s->v[i];
            if (off >= s->str.l) goto bad;
            if (c == 0) v->id = (uint32_t)off;
            else if (c == 1) v->ref = (uint32_t)off;
            else if (c == 2) v->alt = (uint32_t)off;
            else v->filter = (uint32_t)off;
            off += strlen(s->str.s + off) + 1;
        }
    for (uint32_t i = 0; i < nvar; i++) {
        bcms_site_t *v = &s->v[i];
        pos += (int64_t)rd_varint(&col[0]);
        v->pos = pos;
        v->ac = (uint32_t)rd_varint(&col[1]);
        v->an = (uint32_t)rd_varint(&col[1]);
        v->nhet = (uint32_t)rd_varint(&col[1]);
        v->nhom = (uint32_t)rd_varint(&col[1]);
        v->nmiss = (uint32_t)rd_varint(&col[1]);
        v->alt_idx = (uint16_t)rd_varint(&col[2]);
        v->n_allele = (uint16_t)rd_varint(&col[2]);
        v->qual = rd_f32(&col[3]);
        v->r2 = has_r2 ? rd_f32(&col[5]) : NAN;
    }
    for (int c = 0; c < 6; c++)
        if (col[c].err) goto bad;
    s->nvar = nvar;
    return 0;
bad:
    return bcms_err(BCMS_ECORRUPT, "a site block does not parse; the store is damaged");
}
