/* codec.c: compressed frames with CRC32: raw DEFLATE via libdeflate (codec 1, format 2 stores) or
 * Zstandard (codec 2, the default of format 3 stores: at the ratio of libdeflate's level 4 on genotype
 * blocks it decompresses ~3x as fast, which was a quarter of a read command's CPU; both are Debian
 * packages). A reader decodes either; the writer's codec is chosen when it is made. */
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <zstd.h>

#include "bytes.h"
#include "codec.h"
#include "err.h"

#define FRAME_MAGIC 0x42434d46u /* "BCMF" */

struct bcms_codec_t {
    int id, level; /* the writer's codec and level */
    struct libdeflate_compressor *comp;
    struct libdeflate_decompressor *dec;
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd; /* made on the first Zstandard frame read */
};

int bcms_codec_level_ok(int id, int level)
{
    if (id == BCMS_CODEC_DEFLATE) return level >= 1 && level <= 12;
    if (id == BCMS_CODEC_ZSTD) return level >= 1 && level <= 19; /* not the "ultra" levels */
    return 0;
}

bcms_codec_t *bcms_codec_new_writer(int id, int level)
{
    bcms_codec_t *c = calloc(1, sizeof *c);
    if (!c || !bcms_codec_level_ok(id, level)) {
        free(c);
        return NULL;
    }
    c->id = id, c->level = level;
    c->dec = libdeflate_alloc_decompressor();
    if (id == BCMS_CODEC_DEFLATE) c->comp = libdeflate_alloc_compressor(level);
    else if ((c->zc = ZSTD_createCCtx()) && ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, level)))
        ZSTD_freeCCtx(c->zc), c->zc = NULL;
    if (!c->dec || (!c->comp && !c->zc)) {
        bcms_codec_free(c);
        return NULL;
    }
    return c;
}

bcms_codec_t *bcms_codec_new(int level) { return bcms_codec_new_writer(BCMS_CODEC_DEFLATE, level); }

void bcms_codec_free(bcms_codec_t *c)
{
    if (!c) return;
    if (c->comp) libdeflate_free_compressor(c->comp);
    if (c->dec) libdeflate_free_decompressor(c->dec);
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    free(c);
}

uint32_t bcms_crc32(const void *p, size_t n) { return libdeflate_crc32(0, p, n); }

int bcms_frame_pack(bcms_codec_t *c, int kind, const void *raw, size_t n, kstring_t *out)
{
    const size_t bound = c->id == BCMS_CODEC_ZSTD ? ZSTD_compressBound(n) : libdeflate_deflate_compress_bound(c->comp, n);
    size_t got;
    uint8_t *h;
    if (n > UINT32_MAX) return bcms_err(BCMS_ENOMEM, "block of %zu bytes is too large", n);
    if (ks_resize(out, BCMS_FRAME_HDR + bound) < 0) return BCMS_ENOMEM;
    h = (uint8_t *)out->s;
    be32_put(h, FRAME_MAGIC);
    h[4] = (uint8_t)kind;
    h[5] = (uint8_t)c->id;
    h[6] = h[7] = 0;
    be32_put(h + 8, (uint32_t)n);
    be32_put(h + 12, bcms_crc32(raw, n));
    if (c->id == BCMS_CODEC_ZSTD) {
        /* one frame with its content size (ZSTD_compress2 writes it: the reader checks it) */
        got = ZSTD_compress2(c->zc, h + BCMS_FRAME_HDR, bound, raw, n);
        if (ZSTD_isError(got)) return bcms_err(BCMS_ENOMEM, "compression failed (%s)", ZSTD_getErrorName(got));
    } else {
        got = libdeflate_deflate_compress(c->comp, raw, n, h + BCMS_FRAME_HDR, bound);
        if (!got && n) return bcms_err(BCMS_ENOMEM, "compression failed");
    }
    out->l = BCMS_FRAME_HDR + got;
    return 0;
}

static int damaged(const char *what, const char *why)
{
    return bcms_err(BCMS_ECORRUPT, "%s: %s; the store is damaged, re-import the dataset or restore the store from a "
                    "backup", what, why);
}

int bcms_frame_unpack(bcms_codec_t *c, int kind, const void *frame, size_t n, kstring_t *out,
                      const char *what)
{
    const uint8_t *h = frame, *z = h + BCMS_FRAME_HDR;
    uint32_t raw_len, crc;
    size_t got = 0;
    if (n < BCMS_FRAME_HDR || be32_get(h) != FRAME_MAGIC || h[4] != kind ||
        (h[5] != BCMS_CODEC_DEFLATE && h[5] != BCMS_CODEC_ZSTD))
        return damaged(what, "bad block header");
    raw_len = be32_get(h + 8);
    crc = be32_get(h + 12);
    /* the stated length is not covered by the CRC: a damaged one is refused before it is allocated.
     * DEFLATE expands at most ~1032:1; a Zstandard frame states its own content size, which must be
     * the header's, and must span the value exactly */
    if (h[5] == BCMS_CODEC_DEFLATE) {
        if ((uint64_t)raw_len > (uint64_t)(n - BCMS_FRAME_HDR) * 1040 + 64) return damaged(what, "bad block header (length)");
    } else if (ZSTD_getFrameContentSize(z, n - BCMS_FRAME_HDR) != (unsigned long long)raw_len ||
               ZSTD_findFrameCompressedSize(z, n - BCMS_FRAME_HDR) != n - BCMS_FRAME_HDR)
        return damaged(what, "bad block header (length)");
    if (ks_resize(out, (size_t)raw_len + 1) < 0) return BCMS_ENOMEM;
    if (h[5] == BCMS_CODEC_ZSTD) {
        if (!c->zd && !(c->zd = ZSTD_createDCtx())) return BCMS_ENOMEM;
        got = ZSTD_decompressDCtx(c->zd, out->s, raw_len, z, n - BCMS_FRAME_HDR);
        if (ZSTD_isError(got) || got != raw_len) return damaged(what, "block does not decompress");
    } else if (libdeflate_deflate_decompress(c->dec, z, n - BCMS_FRAME_HDR, out->s, raw_len, &got) != LIBDEFLATE_SUCCESS ||
               got != raw_len)
        return damaged(what, "block does not decompress");
    if (bcms_crc32(out->s, raw_len) != crc) return damaged(what, "CRC32 mismatch");
    out->l = raw_len;
    return 0;
}
