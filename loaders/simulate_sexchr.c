/* simulate_sexchr.c: chrX, chrY and chrM records for `bcms simulate --sex-chromosomes`, so tests and
 * demos have haploid calls to count as PLINK 2 does. GPL-3.0-or-later.
 *
 * After the autosomes: chrX with a tenth of its sites in PAR1 and a twentieth in PAR2 (GRCh38 bounds
 * of engine/contig.h), the rest non-PAR; chrY outside its PARs; chrM. Site count from --variants:
 * X m/20 (at least 40), Y m/200 (at least 10), M m/500 (at least 5). Each site's ALT frequency is
 * log-uniform on [0.01, 0.5] (site seed, so cohorts made with one site seed share them); calls come
 * from the cohort seed: diploid in HWE in the PARs and for females, one allele for males outside the
 * PARs and on chrY (females '.' there), one allele for everyone on chrM; missing at --missing. The
 * sexes are those of the covariate table. Deterministic, single-threaded (few sites). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>
#include <htslib/vcf.h>

#include "err.h"
#include "simulate_internal.h"

typedef struct {
    const char *name;
    int64_t len;
} sexchr_t;

static const sexchr_t contigs[3] = {{"X", 156040895}, {"Y", 57227415}, {"MT", 16569}};

/* GRCh38 PAR bounds (as PLINK 2's --split-par b38). */
#define PAR1_END 2781479
#define PAR2_BEG 155701383

int sim_sexchr_header(const simulate_opts_t *o, bcf_hdr_t *h)
{
    char line[256];
    if (!o->sex_chromosomes) return 0;
    for (int c = 0; c < 3; c++) {
        snprintf(line, sizeof line, "##contig=<ID=%s,length=%" PRId64 ",assembly=GRCh38>", contigs[c].name,
                 contigs[c].len);
        if (bcf_hdr_append(h, line) < 0) return BCMS_ENOMEM;
    }
    return 0;
}

/* Position of site j of k on contig c: stratified over its region(s), increasing. */
static int64_t site_pos(int c, int64_t j, int64_t k, double u)
{
    int64_t beg, end, n, i;
    if (c == 0) {
        int64_t n1 = k / 10, n2 = k / 20;
        if (j < n1) beg = 10001, end = PAR1_END, n = n1, i = j;
        else if (j >= k - n2) beg = PAR2_BEG, end = 156030895, n = n2, i = j - (k - n2);
        else beg = PAR1_END + 1, end = PAR2_BEG - 1, n = k - n1 - n2, i = j - n1;
    } else if (c == 1) {
        beg = 2781480, end = 56887902, n = k, i = j;
    } else {
        beg = 1, end = 16569, n = k, i = j;
    }
    double span = (double)(end - beg) / (double)n;
    return beg + (int64_t)((i + 0.05 + 0.9 * u) * span);
}

static int site_write(const simulate_opts_t *o, kstring_t *s, int c, int64_t pos, int64_t idx, const uint8_t *sex,
                      int64_t *n_missing)
{
    static const char bases[4] = {'A', 'C', 'G', 'T'};
    const uint64_t site_seed = o->site_seed_set ? o->site_seed : o->seed;
    sim_rng_t rs, rg;
    sim_rng_init(&rs, site_seed, SIM_TAG_SEXCHR, 2 * (uint64_t)idx);
    sim_rng_init(&rg, o->seed, SIM_TAG_SEXCHR, 2 * (uint64_t)idx + 1);
    double p = 0.01 * pow(50.0, sim_u01(&rs));
    int r = (int)sim_below(&rs, 4), a = (r + 1 + (int)sim_below(&rs, 3)) % 4;
    int par = c == 0 && (pos <= PAR1_END || pos >= PAR2_BEG);
    if (ksprintf(s, "%s\t%" PRId64 "\t%s:%" PRId64 ":%c:%c\t%c\t%c\t.\tPASS\t.\tGT", contigs[c].name, pos,
                 contigs[c].name, pos, bases[r], bases[a], bases[r], bases[a]) < 0)
        return BCMS_ENOMEM;
    for (int64_t i = 0; i < o->n_samples; i++) {
        int male = sex[i] == 1, haploid = c == 2 || (!par && male), absent = c == 1 && !male;
        int a0 = sim_u01(&rg) < p, a1 = sim_u01(&rg) < p, miss = sim_u01(&rg) < o->missing;
        if (absent || miss) {
            if (kputs(haploid || absent ? "\t." : "\t./.", s) < 0) return BCMS_ENOMEM;
            *n_missing += 1;
        } else if (haploid) {
            if (kputs(a0 ? "\t1" : "\t0", s) < 0) return BCMS_ENOMEM;
        } else if (ksprintf(s, "\t%d/%d", a0 < a1 ? a0 : a1, a0 < a1 ? a1 : a0) < 0) {
            return BCMS_ENOMEM;
        }
    }
    return kputc('\n', s) < 0 ? BCMS_ENOMEM : 0;
}

int sim_sexchr_write(const simulate_opts_t *o, bcf_hdr_t *h, void *bgzf, const uint8_t *isolate, int64_t *n_records,
                     int64_t *n_missing)
{
    const int64_t n = o->n_samples, m = o->n_variants;
    const int64_t count[3] = {m / 20 > 40 ? m / 20 : 40, m / 200 > 10 ? m / 200 : 10, m / 500 > 5 ? m / 500 : 5};
    uint8_t *sex = malloc((size_t)n + 1);
    double *age = malloc(sizeof *age * (size_t)(n + 1)), *pc = malloc(sizeof *pc * (size_t)(4 * n + 4));
    kstring_t s = {0, 0, NULL};
    int64_t idx = 0;
    int rc = 0;
    (void)h;
    if (!o->sex_chromosomes) goto done;
    if (!sex || !age || !pc) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    sim_draw_covars(o, n, isolate, sex, age, pc);
    for (int c = 0; c < 3; c++)
        for (int64_t j = 0; j < count[c]; j++, idx++) {
            sim_rng_t rp;
            sim_rng_init(&rp, o->site_seed_set ? o->site_seed : o->seed, SIM_TAG_SEXCHR, (1ULL << 40) + (uint64_t)idx);
            double u = sim_u01(&rp); /* the position's own stream */
            s.l = 0;
            if ((rc = site_write(o, &s, c, site_pos(c, j, count[c], u * 0.5 + 0.25), idx, sex, n_missing))) goto done;
            if (bgzf_write((BGZF *)bgzf, s.s, s.l) < 0) {
                rc = bcms_err(BCMS_EIO, "%s: write failed (disk full?)", o->out_vcf);
                goto done;
            }
            (*n_records)++;
        }
done:
    free(sex);
    free(age);
    free(pc);
    free(s.s);
    return rc;
}
