/* fuzz_gtblock.c: the block codecs (engine/gtblock.c, codec.c, sites.c). Three parts per input:
 *   1. the bytes as a genotype block (nvar, nsamp from the first bytes), decoded with every option;
 *   2. the bytes as a frame (header, DEFLATE or Zstandard, CRC) and as a site block;
 *   3. a round trip: rows built from the bytes (codes, phase, exceptions, dosages) are encoded and
 *      decoded; any difference aborts (an encoder/decoder mismatch is a silent wrong answer). */
#include <math.h>

#include "block.h"
#include "codec.h"
#include "fuzz_common.h"

static bcms_gtblock_t g;
static bcms_sites_t sites;
static bcms_codec_t *codec;
static kstring_t raw, streams[3];

static bcms_gtblock_t gp;

/* The 2-bit rows (BCMS_GT_DEC_PACKED) parse exactly when the codes do, and hold the same codes with
 * 0 padding. */
static void packed_agrees(const uint8_t *d, size_t n, uint32_t nvar, uint32_t nsamp)
{
    const int rb = bcms_gt_decode(d, n, nvar, nsamp, 0, &g, "fuzz");
    const int rp = bcms_gt_decode(d, n, nvar, nsamp, BCMS_GT_DEC_PACKED, &gp, "fuzz");
    if (rb == BCMS_ENOMEM || rp == BCMS_ENOMEM) return;
    if ((rb == 0) != (rp == 0)) abort();
    for (uint32_t v = 0; !rb && v < nvar; v++)
        for (uint32_t i = 0; i < gp.pstride * 4; i++) {
            const unsigned c = gp.codes[(size_t)v * gp.pstride + i / 4] >> (2 * (i % 4)) & 3;
            if (c != (i < nsamp ? g.codes[(size_t)v * nsamp + i] : 0u)) abort();
        }
}

static void decode_any(const uint8_t *d, size_t n, uint32_t nvar, uint32_t nsamp)
{
    static const int want[] = {0, BCMS_GT_DEC_PHASE, BCMS_GT_DEC_DS,
                               BCMS_GT_DEC_PHASE | BCMS_GT_DEC_EXC | BCMS_GT_DEC_DS};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) bcms_gt_decode(d, n, nvar, nsamp, want[k], &g, "fuzz");
    packed_agrees(d, n, nvar, nsamp);
    if (!bcms_frame_unpack(codec, BCMS_FRAME_GT, d, n, &raw, "fuzz"))
        bcms_gt_decode(raw.s, raw.l, nvar, nsamp, BCMS_GT_DEC_PHASE | BCMS_GT_DEC_EXC | BCMS_GT_DEC_DS, &g, "fuzz");
    if (!bcms_frame_unpack(codec, BCMS_FRAME_SITES, d, n, &raw, "fuzz")) bcms_sites_decode(raw.s, raw.l, &sites);
    bcms_sites_decode(d, n, &sites);
}

/* One row from the bytes at *p: codes 2 bits per sample, then phase bits, then a few exceptions
 * and dosages. Writes the row's expected decoded form into codes/phase/ds. */
static size_t row_from_bytes(const uint8_t *d, size_t n, uint32_t ns, uint8_t *codes, uint8_t *phase, float *ds,
                             bcms_gtexc_t *exc, int32_t *exc_al, uint32_t *nexc, int *phased, int *has_ds)
{
    size_t p = 0;
    uint8_t mode = p < n ? d[p++] : 0;
    *phased = mode & 1;
    *has_ds = (mode >> 1) & 1;
    for (uint32_t i = 0; i < ns; i++) {
        uint8_t b = p + i / 4 < n ? d[p + i / 4] : 0;
        codes[i] = (b >> (2 * (i % 4))) & 3;
        if ((mode & 0x0c) == 0x04) codes[i] = codes[i] == 3 ? 3 : 0; /* sparse-like rows */
    }
    p += (ns + 3) / 4;
    for (uint32_t i = 0; i < ns; i++) {
        uint8_t b = p + i / 4 < n ? d[p + i / 4] : 0;
        phase[i] = *phased ? ((b >> (2 * (i % 4))) & 3) : 0;
        if (!(phase[i] & BCMS_PH_PHASED) || codes[i] != 1) phase[i] &= BCMS_PH_PHASED; /* ALT_FIRST: hets only */
    }
    p += (ns + 3) / 4;
    *nexc = 0;
    uint32_t nal = 0, s = 0;
    while (p + 2 < n && *nexc < 4 && (d[p] & 0x80)) {
        s += d[p] & 0x7f;
        if (s >= ns) break;
        exc[*nexc].sample = s;
        exc[*nexc].ploidy = d[p + 1] % 4;
        exc[*nexc].off = nal;
        for (uint32_t j = 0; j < exc[*nexc].ploidy; j++)
            exc_al[nal++] = (int32_t)((uint32_t)d[p + 2] * 0x01010101u) - (int32_t)j;
        (*nexc)++;
        s++;
        p += 3;
    }
    for (uint32_t i = 0; i < ns; i++) {
        uint16_t q = p + 2 * i + 1 < n ? (uint16_t)(d[p + 2 * i] << 8 | d[p + 2 * i + 1]) % 60001 : 0;
        ds[i] = !*has_ds ? NAN : q == 60000 ? NAN : q / BCMS_DS_SCALE;
    }
    if (*has_ds) p += 2 * (size_t)ns;
    return p < n ? p : n;
}

static void roundtrip(const uint8_t *d, size_t n, uint32_t nvar, uint32_t ns)
{
    uint8_t *codes = calloc((size_t)nvar * ns + 1, 1), *phase = calloc((size_t)nvar * ns + 1, 1);
    uint8_t *pstate = calloc(ns + 1, 1);
    float *ds = calloc((size_t)nvar * ns + 1, sizeof *ds);
    bcms_gtexc_t exc[4 * 64];
    int32_t exc_al[16 * 64];
    uint32_t nexc[64], exc_first[65];
    int phased[64], has_ds[64];
    size_t p = 0;
    if (!codes || !phase || !pstate || !ds) abort();
    exc_first[0] = 0;
    for (uint32_t v = 0; v < nvar; v++) {
        uint8_t *c = codes + (size_t)v * ns;
        p += row_from_bytes(d + p, n - p, ns, c, phase + (size_t)v * ns, ds + (size_t)v * ns, exc + exc_first[v],
                            exc_al + 16 * v, &nexc[v], &phased[v], &has_ds[v]);
        for (uint32_t k = 0; k < nexc[v]; k++) exc[exc_first[v] + k].off += 16 * v;
        exc_first[v + 1] = exc_first[v] + nexc[v];
        if (bcms_gt_encode_row(streams, ns, c, v ? c - ns : NULL, phased[v] ? phase + (size_t)v * ns : NULL, pstate,
                               exc + exc_first[v], nexc[v], exc_al, has_ds[v] ? ds + (size_t)v * ns : NULL))
            abort();
    }
    if (bcms_gt_assemble(streams, &raw)) abort();
    if (bcms_gt_decode(raw.s, raw.l, nvar, ns, BCMS_GT_DEC_PHASE | BCMS_GT_DEC_EXC | BCMS_GT_DEC_DS, &g, "roundtrip")) {
        fprintf(stderr, "roundtrip: the decoder refuses what the encoder wrote: %s\n", bcms_err_detail());
        abort();
    }
    for (uint32_t v = 0; v < nvar; v++) {
        for (uint32_t i = 0; i < ns; i++) {
            size_t k = (size_t)v * ns + i;
            uint8_t want_ph = phased[v] ? phase[k] : 0;
            /* a dosage equal to the hard call is not stored: the decoder gives the hard call */
            float hard = codes[k] == 3 ? NAN : (float)codes[k], want_ds = hard;
            if (has_ds[v]) {
                uint16_t q = isnan(ds[k]) ? BCMS_DS_MISSING : (uint16_t)lrintf(ds[k] * BCMS_DS_SCALE);
                uint16_t qh = codes[k] == 3 ? BCMS_DS_MISSING : (uint16_t)(codes[k] * 30000u);
                if (q != qh) want_ds = q == BCMS_DS_MISSING ? NAN : q / BCMS_DS_SCALE;
            }
            if (g.codes[k] != codes[k] || g.phase[k] != want_ph ||
                (!(isnan(want_ds) && isnan(g.ds[k])) && !(fabsf(g.ds[k] - want_ds) < 1e-4f))) {
                fprintf(stderr, "roundtrip: row %u sample %u: code %u/%u phase %u/%u ds %g/%g\n", v, i, g.codes[k],
                        codes[k], g.phase[k], want_ph, g.ds[k], want_ds);
                abort();
            }
        }
        if (g.exc_start[v + 1] - g.exc_start[v] != nexc[v]) abort();
        for (uint32_t e = 0; e < nexc[v]; e++) {
            const bcms_gtexc_t *a = &g.exc[g.exc_start[v] + e], *b = &exc[exc_first[v] + e];
            if (a->sample != b->sample || a->ploidy != b->ploidy) abort();
            for (uint32_t j = 0; j < a->ploidy; j++)
                if (g.exc_al[a->off + j] != exc_al[b->off + j]) abort();
        }
    }
    packed_agrees((const uint8_t *)raw.s, raw.l, nvar, ns);
    free(codes);
    free(phase);
    free(pstate);
    free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    if (!codec && !(codec = bcms_codec_new(1))) abort();
    fuzz_scratch();
    uint32_t nvar = 1 + data[0] % 64, nsamp = 1 + (uint32_t)(data[1] | data[2] << 8) % 700;
    decode_any(data + 3, size - 3, nvar, nsamp);
    roundtrip(data + 3, size - 3, 1 + data[0] % 8, 1 + (uint32_t)(data[1] | data[2] << 8) % 200);
    return 0;
}
