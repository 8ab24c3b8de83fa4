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
    rb->phase = malloc(nsamp + 1);
    rb->dsrow = malloc(sizeof(float) * (nsamp + 1));
    return rb->codes && rb->phase && rb->dsrow ? 0 : BCMS_ENOMEM;
}

void bcms_rowbuf_free(bcms_rowbuf_t *rb)
{
    free(rb->gt);
    free(rb->ds);
    free(rb->codes);
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

int bcms_rows_from_record(bcms_rowbuf_t *rb, const bcf_hdr_t *h, bcf1_t *rec, bcms_sites_t *sites, kstring_t *gtraw,
                          uint32_t *nrows, int *any_phase, int *any_ds)
{
    const uint32_t n = rb->nsamp;
    int ngt, mp = 0, nds_per = 0, nalt, rc;
    bcf_unpack(rec, BCF_UN_ALL);
    *nrows = 0;

    ngt = bcf_get_genotypes(h, rec, &rb->gt, &rb->mgt);
    if (ngt > 0) {
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
            int std2 = k == 2 && !(p[0] & 1);
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
                site.an += called;
                site.ac += alts;
                if ((rc = exc_add(rb, i, p, k, a))) return rc;
                ph = 0;
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
                    return bcms_err(BCMS_EINPUT, "sample %s: DS %g is outside [0,2]", h->samples[i], d);
                rb->dsrow[i] = d;
            }
            dsrow = rb->dsrow;
            *any_ds = 1;
        }
        if (nph) *any_phase = 1;
        if ((rc = bcms_gt_encode_row(gtraw, n, rb->codes, nph ? rb->phase : NULL, rb->exc, rb->nexc, rb->exc_al,
                                     dsrow)))
            return rc;
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
