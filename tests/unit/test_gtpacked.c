/* test_gtpacked.c: genotype blocks decoded as 2-bit rows (BCMS_GT_DEC_PACKED, prune's route) give
 * the codes the byte decoder gives, sample by sample, with every row form the encoder writes
 * (dense, sparse, changes, inverted changes) and sample counts that leave the last byte and the
 * last 64-sample word part-filled; the padding is 0; a cut block is refused by both decoders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "err.h"

static int fails;
#define CHECK(c, what)                                                                                                 \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "%s:%d: FAILED %s (%s)\n", __FILE__, __LINE__, #c, what);                                  \
            fails++;                                                                                                   \
        }                                                                                                              \
    } while (0)

static uint64_t rng = 88172645463325252ULL;
static uint32_t next_u32(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* A row of n codes: of kind 0 random with ALT frequency f and missing rate q; 1 the previous row
 * with a few changes; 2 the previous row with its alleles swapped and a few changes. */
static void make_row(uint8_t *c, const uint8_t *prev, uint32_t n, int kind, double f, double q)
{
    static const uint8_t swap[4] = {2, 1, 0, 3};
    for (uint32_t i = 0; i < n; i++) {
        if (kind && prev) {
            c[i] = kind == 2 ? swap[prev[i]] : prev[i];
            if (next_u32() % 50 == 0) c[i] = (uint8_t)(next_u32() % 4);
            continue;
        }
        const double u = next_u32() / 2097152.0 / 2048.0;
        if (u < q) c[i] = 3;
        else c[i] = (uint8_t)((next_u32() / 4294967296.0 < f) + (next_u32() / 4294967296.0 < f));
    }
}

int main(void)
{
    static const uint32_t ns[] = {1, 3, 4, 5, 63, 64, 65, 127, 128, 129, 301, 1000};
    bcms_gtblock_t gb = {0}, gp = {0};
    kstring_t st[3] = {{0, 0, NULL}, {0, 0, NULL}, {0, 0, NULL}}, raw = {0, 0, NULL};
    for (size_t t = 0; t < sizeof ns / sizeof *ns; t++) {
        const uint32_t n = ns[t], nvar = 200;
        uint8_t *codes = malloc((size_t)nvar * n), *pst = calloc(n, 1);
        int forms[4] = {0, 0, 0, 0};
        for (uint32_t v = 0; v < nvar; v++) {
            const double fr[] = {0.0, 0.001, 0.01, 0.05, 0.2, 0.5, 0.9, 1.0};
            const int kind = v ? (int)(next_u32() % 3) : 0;
            make_row(codes + (size_t)v * n, v ? codes + (size_t)(v - 1) * n : NULL, n, kind, fr[next_u32() % 8],
                     next_u32() % 3 ? 0.0 : 0.03);
            CHECK(!bcms_gt_encode_row(st, n, codes + (size_t)v * n, v ? codes + (size_t)(v - 1) * n : NULL, NULL, pst,
                                      NULL, 0, NULL, NULL),
                  "encode");
        }
        CHECK(!bcms_gt_assemble(st, &raw), "assemble");
        CHECK(!bcms_gt_decode(raw.s, raw.l, nvar, n, 0, &gb, "bytes"), bcms_err_detail());
        CHECK(!bcms_gt_decode(raw.s, raw.l, nvar, n, BCMS_GT_DEC_PACKED, &gp, "packed"), bcms_err_detail());
        CHECK(gb.pstride == 0 && gp.pstride == (n + 63) / 64 * 16, "strides");
        for (uint32_t v = 0; v < nvar && gp.pstride; v++) {
            const uint8_t *row = gp.codes + (size_t)v * gp.pstride;
            int bad = 0;
            for (uint32_t i = 0; i < n; i++) bad += ((row[i >> 2] >> ((i & 3) << 1)) & 3) != gb.codes[(size_t)v * n + i];
            for (uint32_t i = n; i < gp.pstride * 4; i++) bad += ((row[i >> 2] >> ((i & 3) << 1)) & 3) != 0;
            for (uint32_t i = 0; i < n; i++) bad += gb.codes[(size_t)v * n + i] != codes[(size_t)v * n + i];
            CHECK(!bad, "row codes");
            if (bad) {
                fprintf(stderr, "  n=%u row %u: %d codes differ\n", n, v, bad);
                break;
            }
        }
        /* the forms: re-encode each row alone against its predecessor and read its flag byte */
        for (uint32_t v = 0; v < nvar; v++) {
            kstring_t s1[3] = {{0, 0, NULL}, {0, 0, NULL}, {0, 0, NULL}};
            memset(pst, 0, n);
            bcms_gt_encode_row(s1, n, codes + (size_t)v * n, v ? codes + (size_t)(v - 1) * n : NULL, NULL, pst, NULL,
                               0, NULL, NULL);
            const uint8_t fl = (uint8_t)s1[0].s[0];
            forms[(fl & 0x20 ? 2 : 0) | (fl & 0x01)]++;
            for (int i = 0; i < 3; i++) free(s1[i].s);
        }
        if (n >= 64) CHECK(forms[0] && forms[1] && forms[2] && forms[3], "every row form was tested");
        /* damage: the codes' stream cut short, by one byte or by half, is refused by both */
        for (int cut = 0; cut < 2; cut++) {
            const size_t len = cut ? raw.l / 2 : raw.l - 1;
            char *b = malloc(len + 1);
            memcpy(b, raw.s, len);
            CHECK(bcms_gt_decode(b, len, nvar, n, 0, &gb, "bytes") == BCMS_ECORRUPT, "damaged, bytes");
            CHECK(bcms_gt_decode(b, len, nvar, n, BCMS_GT_DEC_PACKED, &gp, "packed") == BCMS_ECORRUPT,
                  "damaged, packed");
            free(b);
        }
        CHECK(bcms_gt_decode(raw.s, raw.l, nvar, n, BCMS_GT_DEC_PACKED | BCMS_GT_DEC_DS, &gp, "packed+ds") ==
                  BCMS_EINVAL,
              "packed with dosages refused");
        free(codes), free(pst);
    }
    bcms_gtblock_free(&gb), bcms_gtblock_free(&gp);
    for (int i = 0; i < 3; i++) free(st[i].s);
    free(raw.s);
    if (fails) fprintf(stderr, "%d failures\n", fails);
    else printf("gtpacked: ok\n");
    return fails != 0;
}
