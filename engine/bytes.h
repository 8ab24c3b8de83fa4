/* bytes.h: the byte-level vocabulary of the store format: big-endian integers (so LMDB's memcmp
 * key order is numeric order), LEB128 varints, and a bounds-checked reader. Writers append to an
 * htslib kstring_t used as a growable byte buffer (the caller owns it and reuses it). */
#ifndef BCMS_BYTES_H
#define BCMS_BYTES_H

#include <stdint.h>
#include <string.h>
#include <htslib/kstring.h>

static inline void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}
static inline uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Append helpers: return 0 or -1 on allocation failure. */
static inline int buf_put(kstring_t *b, const void *p, size_t n)
{
    return kputsn((const char *)p, n, b) < 0 ? -1 : 0;
}
static inline int buf_u8(kstring_t *b, uint8_t v) { return kputc_(v, b) < 0 ? -1 : 0; }
static inline int buf_u32(kstring_t *b, uint32_t v)
{
    uint8_t t[4];
    be32_put(t, v);
    return buf_put(b, t, 4);
}
static inline int buf_u64(kstring_t *b, uint64_t v)
{
    return buf_u32(b, (uint32_t)(v >> 32)) || buf_u32(b, (uint32_t)v) ? -1 : 0;
}
static inline int buf_varint(kstring_t *b, uint64_t v)
{
    uint8_t t[10];
    int n = 0;
    while (v >= 0x80) { t[n++] = (uint8_t)(v | 0x80); v >>= 7; }
    t[n++] = (uint8_t)v;
    return buf_put(b, t, n);
}
static inline int buf_str(kstring_t *b, const char *s)
{
    size_t l = s ? strlen(s) : 0;
    return buf_varint(b, l) || buf_put(b, s ? s : "", l) ? -1 : 0;
}
static inline int buf_f32(kstring_t *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return buf_u32(b, u);
}

/* Writing a varint into a raw pointer (the caller guarantees 10 bytes of room). */
static inline uint8_t *varint_write(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) { *p++ = (uint8_t)(v | 0x80); v >>= 7; }
    *p++ = (uint8_t)v;
    return p;
}

/* Bounds-checked reader over bytes read from the store. Any overrun sets err and makes every
 * later read return zeros, so a parser checks rd.err once at the end. */
typedef struct {
    const uint8_t *p, *end;
    int err;
} rd_t;

static inline void rd_init(rd_t *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->err = 0;
}
static inline int rd_need(rd_t *r, size_t n)
{
    if (r->err || (size_t)(r->end - r->p) < n) { r->err = 1; r->p = r->end; return 0; }
    return 1;
}
static inline uint8_t rd_u8(rd_t *r) { return rd_need(r, 1) ? *r->p++ : 0; }
static inline uint32_t rd_u32(rd_t *r)
{
    uint32_t v;
    if (!rd_need(r, 4)) return 0;
    v = be32_get(r->p);
    r->p += 4;
    return v;
}
static inline uint64_t rd_u64(rd_t *r)
{
    uint64_t hi = rd_u32(r);
    return hi << 32 | rd_u32(r);
}
static inline float rd_f32(rd_t *r)
{
    uint32_t u = rd_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint64_t rd_varint(rd_t *r)
{
    uint64_t v = 0;
    int shift = 0;
    while (r->p < r->end && shift < 64) {
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return v;
        shift += 7;
    }
    r->err = 1;
    return 0;
}
/* A string of the store: returns a pointer into the buffer (not NUL-terminated) and its length. */
static inline const char *rd_str(rd_t *r, size_t *len)
{
    uint64_t l = rd_varint(r);
    const char *s;
    if (!rd_need(r, l)) { *len = 0; return ""; }
    s = (const char *)r->p;
    r->p += l;
    *len = l;
    return s;
}
/* A string copied to a fresh NUL-terminated allocation (NULL and r->err set on failure). */
static inline char *rd_strdup(rd_t *r)
{
    size_t l;
    const char *s = rd_str(r, &l);
    char *d;
    if (r->err) return NULL;
    if (!(d = malloc(l + 1))) { r->err = 1; return NULL; }
    memcpy(d, s, l);
    d[l] = 0;
    return d;
}

#endif
