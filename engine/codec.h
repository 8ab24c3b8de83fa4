/* codec.h: compressed, checksummed frames: the value of every block in the store.
 *
 * A frame is: u32 magic ("BCMF"), u8 kind, u8 codec (1 = raw DEFLATE via libdeflate),
 * u16 reserved (0), u32 raw length, u32 CRC32 of the raw bytes, then the compressed bytes.
 * The CRC is over the raw (decompressed) bytes, so it catches both a damaged compressed stream
 * that still inflates and a bug in an encoder/decoder pair. */
#ifndef BCMS_CODEC_H
#define BCMS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <htslib/kstring.h>

#define BCMS_FRAME_HDR 16

enum bcms_frame_kind { BCMS_FRAME_SITES = 1, BCMS_FRAME_GT = 2 };

typedef struct bcms_codec_t bcms_codec_t; /* per-thread (de)compressor state */

bcms_codec_t *bcms_codec_new(int level);
void bcms_codec_free(bcms_codec_t *c);

/* Compress raw[0..n) into out (replacing its contents). Returns 0 or BCMS_ENOMEM. */
int bcms_frame_pack(bcms_codec_t *c, int kind, const void *raw, size_t n, kstring_t *out);

/* Inflate a frame into out (replacing its contents), verifying kind, length and CRC.
 * what names the block for the error message. Returns 0, BCMS_ECORRUPT or BCMS_ENOMEM. */
int bcms_frame_unpack(bcms_codec_t *c, int kind, const void *frame, size_t n, kstring_t *out,
                      const char *what);

uint32_t bcms_crc32(const void *p, size_t n);

#endif
