/* codec.c: DEFLATE frames with CRC32 via libdeflate (several times faster than zlib at equal
 * ratio on genotype blocks; both are Debian packages). */
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "bytes.h"
#include "codec.h"
#include "err.h"

#define FRAME_MAGIC 0x42434d46u /* "BCMF" */

struct bcms_codec_t {
    struct libdeflate_compressor *comp;
    struct libdeflate_decompressor *dec;
};

bcms_codec_t *bcms_codec_new(int level)
{
    bcms_codec_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->comp = libdeflate_alloc_compressor(level);
    c->dec = libdeflate_alloc_decompressor();
    if (!c->comp || !c->dec) {
        bcms_codec_free(c);
        return NULL;
    }
    return c;
}

void bcms_codec_free(bcms_codec_t *c)
{
    if (!c) return;
    if (c->comp) libdeflate_free_compressor(c->comp);
    if (c->dec) libdeflate_free_decompressor(c->dec);
    free(c);
}

uint32_t bcms_crc32(const void *p, size_t n) { return libdeflate_crc32(0, p, n); }

int bcms_frame_pack(bcms_codec_t *c, int kind, const void *raw, size_t n, kstring_t *out)
{
    size_t bound = libdeflate_deflate_compress_bound(c->comp, n), got;
    uint8_t *h;
    if (n > UINT32_MAX) return bcms_err(BCMS_ENOMEM, "block of %zu bytes is too large", n);
    if (ks_resize(out, BCMS_FRAME_HDR + bound) < 0) return BCMS_ENOMEM;
    h = (uint8_t *)out->s;
    be32_put(h, FRAME_MAGIC);
    h[4] = (uint8_t)kind;
    h[5] = 1;
    h[6] = h[7] = 0;
    be32_put(h + 8, (uint32_t)n);
    be32_put(h + 12, bcms_crc32(raw, n));
    got = libdeflate_deflate_compress(c->comp, raw, n, h + BCMS_FRAME_HDR, bound);
    if (!got && n) return bcms_err(BCMS_ENOMEM, "compression failed");
    out->l = BCMS_FRAME_HDR + got;
    return 0;
}

int bcms_frame_unpack(bcms_codec_t *c, int kind, const void *frame, size_t n, kstring_t *out,
                      const char *what)
{
    const uint8_t *h = frame;
    uint32_t raw_len, crc;
    size_t got = 0;
    if (n < BCMS_FRAME_HDR || be32_get(h) != FRAME_MAGIC || h[4] != kind || h[5] != 1)
        return bcms_err(BCMS_ECORRUPT, "%s: bad block header; the store is damaged, re-import the dataset "
                                       "or restore the store from a backup", what);
    raw_len = be32_get(h + 8);
    crc = be32_get(h + 12);
    /* DEFLATE expands at most ~1032:1: a larger stated length is a damaged header (not covered by
     * the CRC), refused before allocating it */
    if ((uint64_t)raw_len > (uint64_t)(n - BCMS_FRAME_HDR) * 1040 + 64)
        return bcms_err(BCMS_ECORRUPT, "%s: bad block header (length); the store is damaged, re-import the "
                                       "dataset or restore the store from a backup", what);
    if (ks_resize(out, (size_t)raw_len + 1) < 0) return BCMS_ENOMEM;
    if (libdeflate_deflate_decompress(c->dec, h + BCMS_FRAME_HDR, n - BCMS_FRAME_HDR, out->s, raw_len,
                                      &got) != LIBDEFLATE_SUCCESS || got != raw_len)
        return bcms_err(BCMS_ECORRUPT, "%s: block does not decompress; the store is damaged, re-import the "
                                       "dataset or restore the store from a backup", what);
    if (bcms_crc32(out->s, raw_len) != crc)
        return bcms_err(BCMS_ECORRUPT, "%s: CRC32 mismatch; the store is damaged, re-import the dataset "
                                       "or restore the store from a backup", what);
    out->l = raw_len;
    return 0;
}
