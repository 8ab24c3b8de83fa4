/* test_decoders.c: the block decoders refuse counts and lengths their bytes cannot hold as damage
 * (BCMS_ECORRUPT), before allocating for them: a damaged header must not ask for gigabytes (and
 * fail as "out of memory", or succeed and stall). Outside the sanitizer build the address space is
 * capped at 1 GiB, so an attempt to allocate shows up as BCMS_ENOMEM. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "block.h"
#include "bytes.h"
#include "codec.h"
#include "err.h"

static int fails;
#define CHECK(c, what) do { if (!(c)) { fprintf(stderr, "%s:%d: FAILED %s (%s)\n", __FILE__, __LINE__, #c, what); fails++; } } while (0)

int main(void)
{
#if !defined(__SANITIZE_ADDRESS__)
    struct rlimit rl = {(rlim_t)1 << 30, (rlim_t)1 << 30};
    setrlimit(RLIMIT_AS, &rl);
#endif
    bcms_codec_t *codec = bcms_codec_new(1);
    bcms_sites_t sites = {0};
    bcms_gtblock_t g = {0};
    kstring_t raw = {0, 0, NULL}, frame = {0, 0, NULL};
    uint8_t buf[64];
    int rc;
    CHECK(codec != NULL, "codec");

    /* a site block claiming 2^32 - 16 rows in 30 bytes */
    memset(buf, 0, sizeof buf);
    be32_put(buf, 0xfffffff0u);
    for (int c = 0; c < 5; c++) buf[4 + 2 * c] = 1; /* five 1-byte columns */
    rc = bcms_sites_decode(buf, 14, &sites);
    CHECK(rc == BCMS_ECORRUPT, bcms_err_detail());

    /* a genotype block of 2^31 rows x 1000 samples held in 10 bytes */
    memset(buf, 0, sizeof buf);
    rc = bcms_gt_decode(buf, 10, 1u << 31, 1000, BCMS_GT_DEC_PHASE | BCMS_GT_DEC_DS, &g, "test");
    CHECK(rc == BCMS_ECORRUPT, bcms_err_detail());

    /* a frame whose header says 4 GiB of raw bytes behind a 20-byte stream */
    const char text[] = "a genotype block";
    CHECK(bcms_frame_pack(codec, BCMS_FRAME_GT, text, sizeof text, &frame) == 0, "pack");
    be32_put((uint8_t *)frame.s + 8, 0xffffffffu);
    rc = bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test");
    CHECK(rc == BCMS_ECORRUPT, bcms_err_detail());
    CHECK(strstr(bcms_err_detail(), "damaged") != NULL, bcms_err_detail());

    /* and the untouched frame still unpacks */
    CHECK(bcms_frame_pack(codec, BCMS_FRAME_GT, text, sizeof text, &frame) == 0, "pack");
    CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == 0 && raw.l == sizeof text &&
          !memcmp(raw.s, text, sizeof text), "round trip");

    /* Zstandard frames: a round trip of a compressible and an incompressible block at the default and
     * the highest level, read by a DEFLATE codec too (a reader's); the stated length one more or one
     * less, a zstd frame cut or with a byte past its end, a codec byte of 3, and a frame of the other
     * kind are damage */
    size_t big_n = 300000;
    char *big = malloc(big_n);
    uint32_t x = 1;
    for (size_t i = 0; i < big_n; i++) x = x * 1103515245u + 12345u, big[i] = (char)(i < big_n / 2 ? "ACGT"[x >> 30] : x >> 24);
    for (int lv = 0; lv < 2; lv++) {
        bcms_codec_t *z = bcms_codec_new_writer(BCMS_CODEC_ZSTD, lv ? 19 : 3);
        CHECK(z != NULL, "zstd codec");
        if (!z) break;
        CHECK(bcms_frame_pack(z, BCMS_FRAME_GT, big, big_n, &frame) == 0 && frame.s[5] == BCMS_CODEC_ZSTD, "zstd pack");
        CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == 0 && raw.l == big_n &&
                  !memcmp(raw.s, big, big_n),
              "zstd round trip, read by a DEFLATE writer");
        CHECK(bcms_frame_unpack(z, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == 0 && raw.l == big_n, "zstd by zstd");
        for (int d = -1; d <= 1; d += 2) {
            be32_put((uint8_t *)frame.s + 8, (uint32_t)(big_n + d));
            CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == BCMS_ECORRUPT &&
                      strstr(bcms_err_detail(), "(length)"),
                  bcms_err_detail());
        }
        be32_put((uint8_t *)frame.s + 8, (uint32_t)big_n);
        CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l - 1, &raw, "test") == BCMS_ECORRUPT, "cut");
        kputc(0, &frame);
        CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == BCMS_ECORRUPT, "a byte past");
        frame.l--;
        frame.s[frame.l / 2] ^= 0x21;
        CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == BCMS_ECORRUPT &&
                  strstr(bcms_err_detail(), "damaged"),
              "a changed byte");
        frame.s[frame.l / 2] ^= 0x21;
        frame.s[5] = 3;
        CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == BCMS_ECORRUPT, "codec 3");
        frame.s[5] = BCMS_CODEC_ZSTD;
        CHECK(bcms_frame_unpack(codec, BCMS_FRAME_SITES, frame.s, frame.l, &raw, "test") == BCMS_ECORRUPT, "kind");
        CHECK(bcms_frame_unpack(codec, BCMS_FRAME_GT, frame.s, frame.l, &raw, "test") == 0, "restored");
        bcms_codec_free(z);
    }
    CHECK(bcms_codec_new_writer(BCMS_CODEC_ZSTD, 20) == NULL && bcms_codec_new_writer(BCMS_CODEC_DEFLATE, 13) == NULL &&
              bcms_codec_new_writer(3, 1) == NULL,
          "levels and codecs out of range");
    free(big);

    bcms_sites_free(&sites);
    bcms_gtblock_free(&g);
    free(raw.s);
    free(frame.s);
    bcms_codec_free(codec);
    if (fails) return 1;
    printf("test_decoders: all checks passed\n");
    return 0;
}
