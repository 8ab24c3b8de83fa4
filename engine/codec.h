/* codec.h: compressed, checksummed frames: the value of every block in the store.
 *
 * A frame is: u32 magic ("BCMF"), u8 kind, u8 codec (1 = raw DEFLATE via libdeflate, 2 = one
 * Zstandard frame with its content size), u16 reserved (0), u32 raw length, u32 CRC32 of the raw
 * bytes, then the compressed bytes.
 * The CRC is over the raw (decompressed) bytes, so it catches both a damaged compressed stream
 * that still inflates and a bug in an encoder/decoder pair. */
#ifndef BCMS_CODEC_H
#define BCMS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <htslib/kstring.h>

#define BCMS_FRAME_HDR 16

enum bcms_frame_kind { BCMS_FRAME_SITES = 1, BCMS_FRAME_GT = 2 };

enum bcms_codec_id { BCMS_CODEC_DEFLATE = 1, BCMS_CODEC_ZSTD = 2 };

typedef struct bcms_codec_t bcms_codec_t; /* per-thread (de)compressor state */

/* A codec that writes frames of codec id at level (DEFLATE 1..12, Zstandard 1..19) and reads
 * frames of either codec; NULL when out of memory or the level is not the codec's. bcms_codec_new:
 * a DEFLATE writer (readers use it: they only read). */
bcms_codec_t *bcms_codec_new_writer(int id, int level);
bcms_codec_t *bcms_codec_new(int level);
int bcms_codec_level_ok(int id, int level);
void bcms_codec_free(bcms_codec_t *c);

/* Compress raw[0..n) into out (replacing its contents). Returns 0 or BCMS_ENOMEM. */
int bcms_frame_pack(bcms_codec_t *c, int kind, const void *raw, size_t n, kstring_t *out);

/* Decompress a frame of either codec into out (replacing its contents), verifying kind, length and CRC.
 * what names the block for the error message. Returns 0, BCMS_ECORRUPT or BCMS_ENOMEM. */
int bcms_frame_unpack(bcms_codec_t *c, int kind, const void *frame, size_t n, kstring_t *out,
                      const char *what);

uint32_t bcms_crc32(const void *p, size_t n);

#endif
