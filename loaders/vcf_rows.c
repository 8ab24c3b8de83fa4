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
    free(rb->r2);
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

/* Every GT value must be one bcms can store and give back: an allele index within REF + ALTs, a
 * ploidy the reader accepts, nothing after a vector end. A BCF int32 "missing" is read as ".". */
#define ROWS_MAX_PLOIDY 64
static int gt_check(bcms_rowbuf_t *rb, const bcf1_t *rec, int mp)
{
    for (uint32_t i = 0; i < rb->nsamp; i++) {
        int32_t *p = rb->gt + (size_t)i * mp;
        const char *nm = rb->sample_names ? rb->sample_names[i] : "?", *what = NULL;
        char why[160];
        int k = 0;
        while (k < mp && p[k] != bcf_int32_vector_end) k++;
        for (int j = k; j < mp && !what; j++)
            if (p[j] != bcf_int32_vector_end) what = "GT values after the end of the call (malformed ploidy)";
        if (!what && k > ROWS_MAX_PLOIDY) {
            snprintf(why, sizeof why, "a GT of %d alleles; bcms stores calls of at most %d alleles", k,
                     ROWS_MAX_PLOIDY);
            what = why;
        }
        for (int j = 0; j < k && !what; j++) {
            if (p[j] == bcf_int32_missing) p[j] = bcf_gt_missing;
            if (bcf_gt_is_missing(p[j])) continue;
            int al = bcf_gt_allele(p[j]);
            if (p[j] < 0 || al < 0) {
                what = "a negative allele index in GT";
            } else if (al >= rec->n_allele) {
                snprintf(why, sizeof why, "GT allele index %d, but the record has %d ALT allele%s (valid indices "
                         "0..%d); fix the call or the ALT column", al, rec->n_allele - 1, rec->n_allele == 2 ? "" : "s",
                         rec->n_allele - 1);
                what = why;
            }
        }
        if (what)
            return bcms_err(BCMS_EINPUT, "sample %.40s%s: %s", nm, strlen(nm) > 40 ? "..." : "", what);
    }
    return 0;
}

const char *bcms_vcf_r2_tag(const bcf_hdr_t *h)
{
    static const char *tags[] = {"R2", "DR2", "INFO"};
    for (int t = 0; t < 3; t++) {
        int id = bcf_hdr_id2int(h, BCF_DT_ID, tags[t]);
        if (id >= 0 && bcf_hdr_idinfo_exists(h, BCF_HL_INFO, id) && bcf_hdr_id2type(h, BCF_HL_INFO, id) == BCF_HT_REAL)
            return tags[t];
    }
    return NULL;
}

/* The imputation quality of the row of ALT a: Number=A lists give each ALT its own value,
 * a single value serves every row. NaN when the record has none. */
static float row_r2(const bcms_rowbuf_t *rb, int nr2, int a)
{
    float v;
    if (nr2 <= 0) return NAN;
    v = rb->r2[nr2 > 1 && a - 1 < nr2 ? a - 1 : 0];
    return bcf_float_is_missing(v) || bcf_float_is_vector_end(v) ? NAN : v;
}

/* htslib's bcf_get_*_values exit() the process on a value type they do not convert (e.g. after an
 * undeclared FORMAT tag): only numeric types may reach them. */
static int numeric_type(int t)
{
    return t == BCF_BT_INT8 || t == BCF_BT_INT16 || t == BCF_BT_INT32 || t == BCF_BT_FLOAT;
}

static int fmt_readable(const bcf_hdr_t *h, bcf1_t *rec, const char *tag)
{
    bcf_fmt_t *f = bcf_get_fmt(h, rec, tag);
    if (!f || numeric_type(f->type)) return 0;
    return bcms_err(BCMS_EINPUT, "FORMAT/%s is not stored as numbers in this record (is every FORMAT tag of the record "
                    "declared with a ##FORMAT line?)", tag);
}

/* The record's per-sample values into rb: GT (*mp values per sample, 0 without GT) and DS (*nds_per
 * per sample), checked; its imputation quality (*nr2 values) and FILTER string. */
static int record_load(bcms_rowbuf_t *rb, const bcf_hdr_t *h, bcf1_t *rec, int *mp, int *nds_per, int *nr2)
{
    const uint32_t n = rb->nsamp;
    int ngt, rc;
    *mp = *nds_per = *nr2 = 0;
    if (rb->prefilled || rb->direct) {
        /* filled by the fast path from the text, which takes only diploid calls of alleles within
         * REF + ALTs: nothing for gt_check to find */
        *mp = rb->pre_mp;
        *nds_per = rb->pre_nds;
        rb->prefilled = 0;
    } else {
        if ((rc = fmt_readable(h, rec, "GT")) || (rb->has_ds_tag && (rc = fmt_readable(h, rec, "DS")))) return rc;
        if ((ngt = bcf_get_genotypes(h, rec, &rb->gt, &rb->mgt)) > 0) {
            if (ngt % n) return bcms_err(BCMS_EINPUT, "GT has %d values for %u samples", ngt, n);
            *mp = ngt / n;
        } else if (ngt == -2) {
            return bcms_err(BCMS_EINPUT, "FORMAT/GT is not declared as Type=String in the header");
        }
        if (rb->has_ds_tag) {
            int nds = bcf_get_format_float(h, rec, "DS", &rb->ds, &rb->mds);
            if (nds > 0) {
                if (nds % n) return bcms_err(BCMS_EINPUT, "DS has %d values for %u samples", nds, n);
                *nds_per = nds / n;
            }
        }
        if (*mp && (rc = gt_check(rb, rec, *mp))) return rc;
    }
    if (rb->r2_tag) {
        bcf_info_t *inf = bcf_get_info(h, rec, rb->r2_tag);
        if (inf && !numeric_type(inf->type))
            return bcms_err(BCMS_EINPUT, "INFO/%s is not a number in this record", rb->r2_tag);
        *nr2 = bcf_get_info_float(h, rec, rb->r2_tag, &rb->r2, &rb->mr2);
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
    return 0;
}

/* A hard call from a dosage where it is unambiguous (within 0.1 of 0, 1 or 2, PLINK 2's default
 * hard-call threshold), otherwise missing (3). */
static uint8_t ds_hard_call(float d)
{
    if (bcf_float_is_missing(d) || bcf_float_is_vector_end(d) || isnan(d)) return 3;
    float r = rintf(d);
    return fabsf(d - r) <= 0.1f && r >= 0 && r <= 2 ? (uint8_t)r : 3;
}

/* The dosages of the row of ALT a into rb->dsrow (NaN missing); a DS outside [0,2] is an error. */
static int ds_row(bcms_rowbuf_t *rb, int a, int nds_per)
{
    for (uint32_t i = 0; i < rb->nsamp; i++) {
        float d = rb->ds[(size_t)i * nds_per + (a - 1 < nds_per ? a - 1 : 0)];
        if (bcf_float_is_missing(d) || bcf_float_is_vector_end(d) || isnan(d)) d = NAN;
        else if (d < -0.001f || d > 2.001f)
            return bcms_err(BCMS_EINPUT, "sample %.40s: DS %g is outside [0,2]",
                            rb->sample_names ? rb->sample_names[i] : "?", d);
        rb->dsrow[i] = d;
    }
    return 0;
}

int bcms_rows_from_record(bcms_rowbuf_t *rb, const bcf_hdr_t *h, bcf1_t *rec, bcms_sites_t *sites, kstring_t gtraw[3],
                          uint32_t *nrows, int *any_phase, int *any_ds)
{
    const uint32_t n = rb->nsamp;
    const int direct = rb->direct;
    int mp, nds_per, nalt, rc, nr2;
    bcf_unpack(rec, BCF_UN_ALL);
    *nrows = 0;
    rc = record_load(rb, h, rec, &mp, &nds_per, &nr2);
    rb->direct = 0;
    if (rc) return rc;

    nalt = rec->n_allele > 1 ? rec->n_allele - 1 : 1;
    for (int a = 1; a <= nalt; a++) {
        bcms_site_t site;
        uint32_t nph = 0;
        memset(&site, 0, sizeof site);
        rb->nexc = rb->nexc_al = 0;
        if (direct) {
            /* codes and phase already in rb from the text (one biallelic row) */
            const uint32_t *hc = rb->d_hist;
            site.nhet = hc[1];
            site.nhom = hc[2];
            site.nmiss = hc[3];
            site.an = 2 * (hc[0] + hc[1] + hc[2]);
            site.ac = hc[1] + 2 * hc[2];
            nph = rb->d_nph;
        }
        for (uint32_t i = 0; i < n && !direct; i++) {
            uint8_t code = 3, ph = 0;
            if (mp == 0) {
                /* no GT: a hard call from DS where it is unambiguous (within 0.1 of an integer, as
                 * PLINK 2's default hard-call threshold), otherwise missing */
                if (nds_per) code = ds_hard_call(rb->ds[(size_t)i * nds_per + (a - 1 < nds_per ? a - 1 : 0)]);
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
            if (!direct && (rc = ds_row(rb, a, nds_per))) return rc;
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
        site.r2 = row_r2(rb, nr2, a);
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

/* A GP subfield: at most three plain decimals or "." separated by commas, ending at a tab or the
 * end of the line. Anything else (more values, exponents, another subfield) is htslib's to judge. */
static inline int fast_skip_gp(const char **pp, const char *end)
{
    const char *p = *pp;
    float v;
    for (int k = 0; k < 3; k++) {
        if (*p == '.' && (p + 1 == end || p[1] == '\t' || p[1] == ',')) p++;
        else if (p == end || fast_decimal(&p, &v)) return -1;
        if (p == end || *p == '\t') {
            *pp = p;
            return 0;
        }
        if (*p++ != ',') return -1;
    }
    return -1;
}

/* A DS subfield into *d: a plain decimal, or "." (missing) before a tab, a colon or the end. */
static inline int fast_ds(const char **pp, const char *end, float *d)
{
    const char *p = *pp;
    if (*p == '.' && (p + 1 == end || p[1] == '\t' || p[1] == ':')) {
        bcf_float_set_missing(*d);
        *pp = p + 1;
        return 0;
    }
    if (p == end) return -1;
    return fast_decimal(pp, d);
}

/* The subfields after GT (FORMAT layout fk) of one sample; a sample may stop early (trailing
 * subfields dropped, which VCF allows). *d receives DS (missing when absent). */
enum { FK_GT, FK_GT_DS, FK_GT_DS_GP, FK_GT_GP };
static inline int fast_subfields(const char **pp, const char *end, int fk, float *d)
{
    const char *p = *pp;
    if (fk == FK_GT_DS || fk == FK_GT_DS_GP) bcf_float_set_missing(*d);
    if (p != end && *p == ':') {
        if (fk == FK_GT) return -1;
        p++;
        if (fk == FK_GT_GP) {
            if (fast_skip_gp(&p, end)) return -1;
        } else {
            if (fast_ds(&p, end, d)) return -1;
            if (p != end && *p == ':') {
                p++;
                if (fk != FK_GT_DS_GP || fast_skip_gp(&p, end)) return -1;
            }
        }
    }
    if (p != end && *p != '\t') return -1;
    *pp = p;
    return 0;
}

/* The sample columns of a record (FORMAT layout fk) into rb->gt / rb->ds as htslib fills them. */
static int fast_samples(bcms_rowbuf_t *rb, const char *p, const char *end, int n_allele, int fk)
{
    const uint32_t n = rb->nsamp;
    const int with_ds = fk == FK_GT_DS || fk == FK_GT_DS_GP;
    float dummy;
    if (n_allele > 2 && fk != FK_GT) return -1; /* Number=A / G lists: htslib */
    if (rb->mgt < (int)(2 * n)) {
        int32_t *g = realloc(rb->gt, sizeof *g * 2 * n);
        if (!g) return -1;
        rb->gt = g;
        rb->mgt = (int)(2 * n);
    }
    if (with_ds && rb->mds < (int)n) {
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
        if (fast_subfields(&p, end, fk, with_ds ? &rb->ds[i] : &dummy)) return -1;
        if (i + 1 < n) {
            if (p == end) return -1;
            p++;
        } else if (p != end) {
            return -1;
        }
    }
    rb->pre_mp = 2;
    rb->pre_nds = with_ds;
    rb->prefilled = 1;
    return 0;
}

/* Genotype code of a call of one-character alleles, indexed by class(first) * 4 + class(second)
 * with class 0 '0', 1 '1', 2 '.', 3 anything else; 4 marks the ALT-first het ("1|0", "1/0"), 0xff a
 * call the direct path leaves to the general one (half missing, other characters). */
static const uint8_t direct_code[16] = {0, 1, 0xff, 0xff, 4, 2, 0xff, 0xff, 0xff, 0xff, 3, 0xff, 0xff, 0xff, 0xff, 0xff};

static inline unsigned allele_class(unsigned char c)
{
    return c == '0' ? 0 : c == '1' ? 1 : c == '.' ? 2 : 3;
}

/* The sample columns of a biallelic record straight into rb->codes, rb->phase, rb->dsrow and the
 * code histogram, as bcms_rows_from_record derives them from htslib's values: code 0/1/2 counts the
 * ALT alleles, 3 for "./." (phased ".|." keeps its phase bit), ALT-first marked on "1|0" and
 * "1/0". A DS outside [0,2] returns -1 too: the full parser then says where. */
static int direct_samples(bcms_rowbuf_t *rb, const char *p, const char *end, int fk)
{
    const uint32_t n = rb->nsamp;
    if (fk == FK_GT) return bcms_vcf_direct_gt(rb, p, end);
    const int with_ds = fk == FK_GT_DS || fk == FK_GT_DS_GP;
    uint32_t hist[4] = {0, 0, 0, 0}, nph = 0;
    float d = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (end - p < 3 || (p[1] != '/' && p[1] != '|')) return -1;
        uint8_t c = direct_code[allele_class((unsigned char)p[0]) << 2 | allele_class((unsigned char)p[2])];
        uint8_t ph = p[1] == '|';
        if (c == 0xff) return -1;
        if (c == 4) c = 1, ph |= BCMS_PH_ALT_FIRST;
        p += 3;
        if (p != end && *p == ':') {
            if (fast_subfields(&p, end, fk, &d)) return -1;
        } else if (p != end && *p != '\t') {
            return -1;
        } else {
            bcf_float_set_missing(d);
        }
        if (with_ds) {
            if (bcf_float_is_missing(d)) rb->dsrow[i] = NAN;
            else if (d > 2.001f) return -1;
            else rb->dsrow[i] = d;
        }
        hist[c]++;
        nph += ph & BCMS_PH_PHASED;
        rb->codes[i] = c;
        rb->phase[i] = ph;
        if (i + 1 < n) {
            if (p == end) return -1;
            p++;
        } else if (p != end) {
            return -1;
        }
    }
    memcpy(rb->d_hist, hist, sizeof hist);
    rb->d_nph = nph;
    rb->pre_mp = 2;
    rb->pre_nds = with_ds;
    rb->direct = 1;
    return 0;
}

int bcms_vcf_fast_record(bcms_rowbuf_t *rb, bcf_hdr_t *hdr_sites, bcf1_t *rec, char *line, size_t len, int ok_flags,
                         kstring_t *save)
{
    char *end = line + len, *fmt = line, *samp;
    int k = 0, fk, ok;
    size_t fl;
    while (k < 8 && (fmt = memchr(fmt, '\t', end - fmt))) k++, fmt++;
    if (k < 8 || !fmt) return -1;
    if (!(samp = memchr(fmt, '\t', end - fmt))) return -1;
    fl = (size_t)(samp - fmt);
    if (fl == 2 && !memcmp(fmt, "GT", 2)) fk = FK_GT;
    else if ((ok_flags & BCMS_FAST_DS) && fl == 5 && !memcmp(fmt, "GT:DS", 5)) fk = FK_GT_DS;
    else if ((ok_flags & BCMS_FAST_DS) && (ok_flags & BCMS_FAST_GP) && fl == 8 && !memcmp(fmt, "GT:DS:GP", 8))
        fk = FK_GT_DS_GP;
    else if ((ok_flags & BCMS_FAST_GP) && fl == 5 && !memcmp(fmt, "GT:GP", 5)) fk = FK_GT_GP;
    else return -1;
    /* vcf_parse tokenises in place: keep the site columns to restore them for the full parser */
    kstring_t site = {(size_t)(fmt - 1 - line), (size_t)(fmt - line), line};
    char saved = fmt[-1];
    save->l = 0;
    if (kputsn(line, site.l, save) < 0) return -1;
    fmt[-1] = 0;
    rb->direct = rb->prefilled = 0;
    ok = vcf_parse(&site, hdr_sites, rec) == 0 && rec->n_allele >= 1;
    if (ok && !(rec->n_allele == 2 && direct_samples(rb, samp + 1, end, fk) == 0)) {
        rb->direct = 0;
        ok = fast_samples(rb, samp + 1, end, rec->n_allele, fk) == 0;
    }
    fmt[-1] = saved;
    if (ok) return 0;
    rb->prefilled = rb->direct = 0;
    bcf_clear(rec);
    memcpy(line, save->s, site.l);
    return -1;
}

static const char *errcode_words(int e)
{
    if (e & BCF_ERR_NCOLS) return "wrong number of columns for the samples in the header";
    if (e & BCF_ERR_CTG_INVALID) return "invalid CHROM";
    if (e & BCF_ERR_TAG_INVALID) return "invalid INFO/FORMAT tag";
    if (e & BCF_ERR_LIMITS) return "a value exceeds htslib's limits";
    if (e & BCF_ERR_CHAR) return "invalid character";
    if (e & BCF_ERR_CTG_UNDEF) return "CHROM not defined in the header";
    if (e & BCF_ERR_TAG_UNDEF) return "tag not defined in the header";
    return "a value that is not valid VCF (e.g. a GT that is not allele/allele with numbers or '.'; `bcftools view` shows which)";
}

int bcms_vcf_full_record(bcf_hdr_t *hdr, bcf1_t *rec, char *line, size_t len, uint32_t nsamp)
{
    kstring_t ks = {len, len + 1, line};
    uint32_t ncol = 1;
    const char *p = line, *end = line + len;
    while ((p = memchr(p, '\t', end - p))) ncol++, p++;
    if (ncol != 9 + nsamp && !(nsamp == 0 && ncol == 8))
        return bcms_err(BCMS_EINPUT, "wrong number of columns: %u columns, the header has %u samples (%u columns "
                        "expected)", ncol, nsamp, 9 + nsamp);
    /* htslib stops at a NUL byte without saying so: refuse it here */
    if (memchr(line, 0, len)) return bcms_err(BCMS_EINPUT, "a NUL byte inside the record (a binary or damaged file)");
    if (vcf_parse(&ks, hdr, rec) < 0)
        return bcms_err(BCMS_EINPUT, "cannot parse the record: %s", errcode_words(rec->errcode));
    return 0;
}
