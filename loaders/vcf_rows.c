/* vcf_rows.c: split one htslib record into biallelic rows, as `bcftools norm -m-` does for
 * genotypes: for the row of ALT a, allele a becomes 1 and every other allele 0 (REF); missing
 * stays missing; phase is kept. Each row gets genotype codes, phase bits, exact exceptions for
 * calls that are not plain diploid, dosages (FORMAT/DS, Number=A or 1) and per-variant counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "vcf_rows.h"

int bcms_rowbuf_init(bcms_rowbuf_t *rb, uint32_t nsamp, int has_ds_tag)
{
    memset(rb, 0, sizeof *rb);
    rb->nsamp = nsamp;
    rb->has_ds_tag = has_ds_tag;
    rb->codes = malloc(nsamp + 1);
    rb->prev = malloc(nsamp + 1);
    rb->prev_phase = malloc(nsamp + 1);
    rb->phase = malloc(nsamp + 1);
    rb->dsrow = malloc(sizeof(float) * (nsamp + 1));
    return rb->codes && rb->prev && rb->prev_phase && rb->phase && rb->dsrow ? 0 : BCMS_ENOMEM;
}

void bcms_rowbuf_free(bcms_rowbuf_t *rb)
{
    free(rb->gt);
    free(rb->ds);
    free(rb->codes);
    free(rb->prev);
    free(rb->prev_phase);
    free(rb->phase);
    free(rb->dsrow);
    free(rb->exc);
    free(rb->exc_al);
    free(rb->filter.s);
    memset(rb, 0, sizeof *rb);
}

static int exc_add(bcms_rowbuf_t *rb, uint32_t sample, const int32_t *al, int ploidy, int alt)
{
    if (rb->nexc == rb->mexc) {
        uint32_t m = rb->mexc ? rb->mexc * 2 : 64;
        bcms_gtexc_t *e = realloc(rb->exc, sizeof *e * m);
        if (!e) return BCMS_ENOMEM;
        rb->exc = e;
        rb->mexc = m;
    }
    if (rb->nexc_al + ploidy > rb->mexc_al) {
        uint32_t m = (rb->nexc_al + ploidy) * 2 + 64;
        int32_t *a = realloc(rb->exc_al, sizeof *a * m);
        if (!a) return BCMS_ENOMEM;
        rb->exc_al = a;
        rb->mexc_al = m;
    }
    rb->exc[rb->nexc].sample = sample;
    rb->exc[rb->nexc].ploidy = (uint32_t)ploidy;
    rb->exc[rb->nexc].off = rb->nexc_al;
    rb->nexc++;
    for (int j = 0; j < ploidy; j++) {
        int32_t v = al[j];
        if (!bcf_gt_is_missing(v)) {
            int a = bcf_gt_allele(v);
            v = ((a == alt ? 1 : 0) + 1) << 1 | (v & 1);
        }
        rb->exc_al[rb->nexc_al++] = v;
    }
    return 0;
}

int bcms_rows_from_record(bcms_rowbuf_t *rb, const bcf_hdr_t *h, bcf1_t *rec, bcms_sites_t *sites, kstring_t gtraw[3],
                          uint32_t *nrows, int *any_phase, int *any_ds)
{
    const uint32_t n = rb->nsamp;
    int ngt, mp = 0, nds_per = 0, nalt, rc;
    bcf_unpack(rec, BCF_UN_ALL);
    *nrows = 0;

    if (rb->prefilled) {
        /* filled by bcms_vcf_fast_samples from the text */
        mp = rb->pre_mp;
        nds_per = rb->pre_nds;
        rb->prefilled = 0;
    } else {
        if ((ngt = bcf_get_genotypes(h, rec, &rb->gt, &rb->mgt)) > 0) {
            if (ngt % n) return bcms_err(BCMS_EINPUT, "GT has %d values for %u samples", ngt, n);
            mp = ngt / n;
        }
        if (rb->has_ds_tag) {
            int nds = bcf_get_format_float(h, rec, "DS", &rb->ds, &rb->mds);
            if (nds > 0) {
                if (nds % n) return bcms_err(BCMS_EINPUT, "DS has %d values for %u samples", nds, n);
                nds_per = nds / n;
            }
        }
    }
    /* FILTER, ";"-joined; "" when missing (".") */
    rb->filter.l = 0;
    for (int k = 0; k < rec->d.n_flt; k++) {
        const char *f = bcf_hdr_int2id(h, BCF_DT_ID, rec->d.flt[k]);
        if (k) kputc(';', &rb->filter);
        kputs(f ? f : "?", &rb->filter);
    }
    if (ks_resize(&rb->filter, rb->filter.l + 1) < 0) return BCMS_ENOMEM;
    rb->filter.s[rb->filter.l] = 0;

    nalt = rec->n_allele > 1 ? rec->n_allele - 1 : 1;
    for (int a = 1; a <= nalt; a++) {
        bcms_site_t site;
        uint32_t nph = 0;
        memset(&site, 0, sizeof site);
        rb->nexc = rb->nexc_al = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t code = 3, ph = 0;
            if (mp == 0) {
                /* no GT: a hard call from DS where it is unambiguous (within 0.1 of an integer, as
                 * PLINK 2's default hard-call threshold), otherwise missing */
                if (nds_per) {
                    float d = rb->ds[(size_t)i * nds_per + (a - 1 < nds_per ? a - 1 : 0)];
                    if (!bcf_float_is_missing(d) && !bcf_float_is_vector_end(d) && !isnan(d)) {
                        float r = rintf(d);
                        if (fabsf(d - r) <= 0.1f && r >= 0 && r <= 2) code = (uint8_t)r;
                    }
                }
                site.nmiss += code == 3;
                site.nhet += code == 1;
                site.nhom += code == 2;
                if (code != 3) site.an += 2, site.ac += code;
                rb->codes[i] = code;
                rb->phase[i] = 0;
                continue;
            }
            const int32_t *p = rb->gt + (size_t)i * mp;
            int k = 0;
            while (k < mp && p[k] != bcf_int32_vector_end) k++;
            /* plain diploid; a VCF 4.4 leading phase ("|0|1") is kept exactly as an exception below,
             * but its genotype code is the ordinary one */
            int lead = k == 2 && (p[0] & 1), std2 = k == 2 && !lead;
            if (std2) {
                int m0 = bcf_gt_is_missing(p[0]), m1 = bcf_gt_is_missing(p[1]);
                if (m0 && m1) {
                    code = 3;
                } else if (m0 || m1) {
                    std2 = 0;
                } else {
                    int a0 = bcf_gt_allele(p[0]) == a, a1 = bcf_gt_allele(p[1]) == a;
                    code = (uint8_t)(a0 + a1);
                    if (a0 && !a1) ph |= BCMS_PH_ALT_FIRST;
                }
                if (p[1] & 1) ph |= BCMS_PH_PHASED;
            }
            if (!std2) {
                /* haploid, partly missing, polyploid, no call at all, or explicit leading phase:
                 * keep the exact call; the code is the nearest diploid reading (haploid ALT counts
                 * as hom-alt, as PLINK 2 treats haploid calls) */
                int called = 0, alts = 0;
                for (int j = 0; j < k; j++)
                    if (!bcf_gt_is_missing(p[j])) called++, alts += bcf_gt_allele(p[j]) == a;
                code = called == k && k == 1 ? (uint8_t)(alts ? 2 : 0) : 3;
                if (called == k && k > 2) code = 3;
                if (lead && called == 2) {
                    /* keep its phase like any called diploid so the phase stream stays consistent */
                    code = (uint8_t)alts;
                    if (p[1] & 1) ph |= BCMS_PH_PHASED;
                    if (bcf_gt_allele(p[0]) == a && bcf_gt_allele(p[1]) != a) ph |= BCMS_PH_ALT_FIRST;
                }
                site.an += called;
                site.ac += alts;
                if ((rc = exc_add(rb, i, p, k, a))) return rc;
                if (!(lead && called == 2)) ph = 0;
            } else if (code != 3) {
                site.an += 2;
                site.ac += code;
            }
            site.nmiss += code == 3;
            site.nhet += code == 1;
            site.nhom += code == 2;
            rb->codes[i] = code;
            rb->phase[i] = ph;
            nph += ph & BCMS_PH_PHASED;
        }
        const float *dsrow = NULL;
        if (nds_per) {
            for (uint32_t i = 0; i < n; i++) {
                float d = rb->ds[(size_t)i * nds_per + (a - 1 < nds_per ? a - 1 : 0)];
                if (bcf_float_is_missing(d) || bcf_float_is_vector_end(d) || isnan(d)) d = NAN;
                else if (d < -0.001f || d > 2.001f)
                    return bcms_err(BCMS_EINPUT, "sample %s: DS %g is outside [0,2]",
                                    rb->sample_names ? rb->sample_names[i] : "?", d);
                rb->dsrow[i] = d;
            }
            dsrow = rb->dsrow;
            *any_ds = 1;
        }
        if (nph) *any_phase = 1;
        if ((rc = bcms_gt_encode_row(gtraw, n, rb->codes, rb->have_prev ? rb->prev : NULL, nph ? rb->phase : NULL,
                                     rb->prev_phase, rb->exc, rb->nexc, rb->exc_al,
                                     dsrow)))
            return rc;
        {
            uint8_t *t = rb->prev;
            rb->prev = rb->codes;
            rb->codes = t;
            rb->have_prev = 1;
        }
        site.pos = rec->pos + 1;
        site.qual = rec->qual;
        site.alt_idx = (uint16_t)(rec->n_allele > 1 ? a : 0);
        site.n_allele = (uint16_t)rec->n_allele;
        if ((rc = bcms_sites_add(sites, &site, rec->d.id ? rec->d.id : ".", rec->d.allele[0],
                                 rec->n_allele > 1 ? rec->d.allele[a] : ".", rb->filter.s)))
            return rc;
        (*nrows)++;
    }
    return 0;
}

/* A plain decimal ("1", "0.95", ".5"); anything else (exponents, signs, NaN) goes to htslib. The
 * value is formed in double and cast to float, as htslib's own parser does. */
static inline int fast_decimal(const char **pp, float *out)
{
    static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = *pp;
    uint64_t m = 0;
    int nd = 0, frac = 0;
    while (*p >= '0' && *p <= '9') m = m * 10 + (*p++ - '0'), nd++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') m = m * 10 + (*p++ - '0'), nd++, frac++;
    }
    if (!nd || nd > 15) return -1;
    *out = (float)(frac ? (double)m / p10[frac] : (double)m);
    *pp = p;
    return 0;
}

static inline int fast_allele(const char **pp, int32_t *a)
{
    const char *p = *pp;
    if (*p == '.') {
        *a = -1;
        *pp = p + 1;
        return 0;
    }
    if (*p < '0' || *p > '9') return -1;
    int32_t v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        if (v > 100000) return -1;
    }
    *a = v;
    *pp = p;
    return 0;
}

int bcms_vcf_fast_samples(bcms_rowbuf_t *rb, const char *p, const char *end, int n_allele, int ds_idx)
{
    const uint32_t n = rb->nsamp;
    if (ds_idx > 0 && n_allele > 2) return -1; /* Number=A lists: htslib */
    if (rb->mgt < (int)(2 * n)) {
        int32_t *g = realloc(rb->gt, sizeof *g * 2 * n);
        if (!g) return -1;
        rb->gt = g;
        rb->mgt = (int)(2 * n);
    }
    if (ds_idx > 0 && rb->mds < (int)n) {
        float *d = realloc(rb->ds, sizeof *d * n);
        if (!d) return -1;
        rb->ds = d;
        rb->mds = (int)n;
    }
    for (uint32_t i = 0; i < n; i++) {
        int32_t a0, a1;
        int phased;
        if (fast_allele(&p, &a0)) return -1;
        if (*p != '|' && *p != '/') return -1;
        phased = *p++ == '|';
        if (fast_allele(&p, &a1)) return -1;
        if (a0 >= n_allele || a1 >= n_allele) return -1;
        rb->gt[2 * i] = a0 < 0 ? bcf_gt_missing : bcf_gt_unphased(a0);
        rb->gt[2 * i + 1] = (a1 < 0 ? bcf_gt_missing : bcf_gt_unphased(a1)) | phased;
        if (ds_idx > 0) bcf_float_set_missing(rb->ds[i]);
        if (*p == ':') {
            int field = 0;
            while (*p == ':') {
                p++;
                field++;
                if (field == ds_idx) {
                    if (*p == '.' && (p[1] == ':' || p[1] == '\t' || p + 1 == end)) p++;
                    else if (fast_decimal(&p, &rb->ds[i])) return -1;
                    if (*p != ':' && *p != '\t' && p != end) return -1;
                } else {
                    while (p < end && *p != ':' && *p != '\t') p++;
                }
            }
        }
        if (i + 1 < n) {
            if (*p != '\t') return -1;
            p++;
        } else if (p != end) {
            return -1;
        }
    }
    rb->pre_mp = 2;
    rb->pre_nds = ds_idx > 0 ? 1 : 0;
    rb->prefilled = 1;
    return 0;
}
