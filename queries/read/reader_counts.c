/* reader_counts.c: per-variant counts over the reader's samples, --mind, the per-cohort site filters
 * and the chunk. Counts come from those stored at import when they are exact for the selection (an
 * autosomal variant whose datasets have every sample selected, each dataset's samples all of its
 * cohort), else from the decoded genotypes, with PLINK 2's ploidy: males haploid on chrX outside
 * the PARs and on chrY (where nobody else is counted), everyone haploid on chrM. A heterozygous
 * haploid call counts as half an ALT allele of one observed allele (as plink2 --freq), in nhh; a
 * haploid call where the sample is diploid counts as homozygous, a partly missing one as missing. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hwe.h"
#include "reader_internal.h"

typedef struct {
    uint32_t ac, an, nhet, nhom, nmiss, nsamp, nhh;
    uint32_t f_homref, f_het, f_homalt, m_ref, m_alt;
} cnt_t;

double bcms_variant_hwe(const bcms_variant_t *v, double *female_p)
{
    if (female_p) *female_p = NAN;
    if (v->hap == BCMS_HAP_Y || v->hap == BCMS_HAP_MT) return NAN;
    if (v->hap == BCMS_HAP_X) {
        if (female_p) *female_p = bcms_hwe_exact(v->f_het, v->f_homref, v->f_homalt, 0);
        return bcms_hwe_exact_x(v->f_het, v->f_homref, v->f_homalt, v->m_ref, v->m_alt);
    }
    uint32_t called = v->nsamp - v->nmiss, homref = called >= v->nhet + v->nhom ? called - v->nhet - v->nhom : 0;
    return bcms_hwe_exact(v->nhet, homref, v->nhom, 0);
}

/* One sample's call c (0..3) at a variant of ploidy class hap into k. */
static inline void count_call(cnt_t *k, int hap, int sex, uint8_t c)
{
    int haploid = hap == BCMS_HAP_MT || (sex == 1 && (hap == BCMS_HAP_X || hap == BCMS_HAP_Y));
    if (hap == BCMS_HAP_Y && sex != 1) return; /* only males are counted on chrY */
    k->nsamp++;
    if (c == 3) {
        k->nmiss++;
        return;
    }
    if (haploid) {
        if (c == 1) {
            k->nhh++;
            return;
        }
        k->an++;
        if (c == 2) k->ac++, k->nhom++;
        if (hap == BCMS_HAP_X) {
            if (c == 2) k->m_alt++;
            else k->m_ref++;
        }
        return;
    }
    k->an += 2;
    k->ac += c;
    if (c == 1) k->nhet++;
    if (c == 2) k->nhom++;
    if (hap == BCMS_HAP_X && sex == 2) {
        if (c == 0) k->f_homref++;
        else if (c == 1) k->f_het++;
        else k->f_homalt++;
    }
}

/* Can variant i use the stored counts? */
static int stored_ok(const bcms_reader_t *rd, const uint8_t *ds_pure, uint64_t i)
{
    if (rd->v[i].hap != BCMS_HAP_NONE) return 0;
    const int32_t *lb = rd->loc_block + i * rd->nds;
    for (int d = 0; d < rd->nds; d++) {
        if (lb[d] < 0) continue;
        if (!rd->ds_full[d] || !ds_pure[d]) return 0;
        /* a haploid or partly missing call in the row (an is not two per called sample): PLINK 2
         * reads a haploid call as homozygous where the region is diploid, and "./1" as missing */
        const uint32_t *vc = rd->v_cnt + (i * rd->nds + d) * 5;
        if (vc[1] != 2 * (rd->ds[d]->nsamples - vc[4])) return 0;
        if (rd->dup_first)
            for (int e = 0; e < d; e++)
                if (lb[e] >= 0 && rd->overlap[e * rd->nds + d]) return 0;
    }
    return 1;
}

static void counts_stored(const bcms_reader_t *rd, uint64_t i, const uint32_t *cohort_n, cnt_t *k)
{
    const int32_t *lb = rd->loc_block + i * rd->nds;
    const uint8_t *fl = rd->flip + i * rd->nds;
    for (int c = 0; c < rd->ncohort; c++) memset(&k[c], 0, sizeof k[c]), k[c].nsamp = cohort_n[c];
    for (int d = 0; d < rd->nds; d++) {
        if (lb[d] < 0) continue;
        const uint32_t *s = rd->v_cnt + (i * rd->nds + d) * 5; /* ac an nhet nhom nmiss */
        cnt_t *x = &k[rd->ds_cohort[d]];
        uint32_t ns = rd->ds[d]->nsamples, homref = ns - s[4] - s[2] - s[3];
        x->ac += fl[d] ? s[1] - s[0] : s[0];
        x->an += s[1];
        x->nhet += s[2];
        x->nhom += fl[d] ? homref : s[3];
        x->nmiss += s[4];  /* those of the cohort's samples not in d are added below */
        x->f_homref += ns; /* scratch: samples of the cohort covered by a dataset with the variant */
    }
    for (int c = 0; c < rd->ncohort; c++) {
        k[c].nmiss += k[c].nsamp - k[c].f_homref;
        k[c].f_homref = 0;
    }
}

static void counts_decoded(const bcms_reader_t *rd, uint64_t i, const uint8_t *row, cnt_t *k)
{
    int hap = rd->v[i].hap;
    for (int c = 0; c < rd->ncohort; c++) memset(&k[c], 0, sizeof k[c]);
    if (hap == BCMS_HAP_NONE && rd->ncohort == 1) { /* diploid, one cohort: a histogram of the codes */
        uint32_t h[4] = {0, 0, 0, 0};
        for (uint32_t s = 0; s < rd->nsamp; s++) h[row[s] & 3]++;
        k->nsamp = rd->nsamp, k->nmiss = h[3], k->nhet = h[1], k->nhom = h[2];
        k->an = 2 * (h[0] + h[1] + h[2]), k->ac = h[1] + 2 * h[2];
        return;
    }
    for (uint32_t s = 0; s < rd->nsamp; s++) count_call(&k[rd->sample_cohort[s]], hap, rd->sample_sex[s], row[s]);
}

static double cnt_maf(const cnt_t *k)
{
    double an = k->an + k->nhh, af = an > 0 ? (k->ac + 0.5 * k->nhh) / an : 0;
    return af < 0.5 ? af : 1 - af;
}

static double cnt_hwe(const cnt_t *k, int hap)
{
    bcms_variant_t v = {0};
    v.hap = hap, v.nsamp = k->nsamp, v.nmiss = k->nmiss, v.nhet = k->nhet, v.nhom = k->nhom;
    v.f_homref = k->f_homref, v.f_het = k->f_het, v.f_homalt = k->f_homalt, v.m_ref = k->m_ref, v.m_alt = k->m_alt;
    if (hap == BCMS_HAP_X) return bcms_hwe_exact_x(v.f_het, v.f_homref, v.f_homalt, v.m_ref, v.m_alt);
    return bcms_variant_hwe(&v, NULL);
}

/* Does the variant pass maf/geno/hwe in every cohort that has it? The pooled counts go into v. */
static int counts_judge(bcms_reader_t *rd, uint64_t i, const cnt_t *k, const bcms_reader_opts_t *o)
{
    bcms_variant_t *v = &rd->v[i];
    const int32_t *lb = rd->loc_block + i * rd->nds;
    int pass = 1;
    cnt_t t = {0};
    for (int c = 0; c < rd->ncohort; c++) {
        int has = 0;
        for (int d = 0; d < rd->nds && !has; d++) has = lb[d] >= 0 && rd->ds_cohort[d] == c;
        t.ac += k[c].ac, t.an += k[c].an, t.nhet += k[c].nhet, t.nhom += k[c].nhom, t.nmiss += k[c].nmiss;
        t.nsamp += k[c].nsamp, t.nhh += k[c].nhh;
        t.f_homref += k[c].f_homref, t.f_het += k[c].f_het, t.f_homalt += k[c].f_homalt;
        t.m_ref += k[c].m_ref, t.m_alt += k[c].m_alt;
        if (!has || !pass) continue;
        if (o->maf_min > 0 && cnt_maf(&k[c]) < o->maf_min) pass = 0; /* no division without the filter */
        if (o->geno_max < 1 && (k[c].nsamp ? (double)k[c].nmiss / k[c].nsamp : 1) > o->geno_max) pass = 0;
        if (o->hwe_min > 0 && v->hap != BCMS_HAP_Y && v->hap != BCMS_HAP_MT && cnt_hwe(&k[c], v->hap) < o->hwe_min)
            pass = 0;
    }
    v->ac = t.ac, v->an = t.an, v->nhet = t.nhet, v->nhom = t.nhom, v->nmiss = t.nmiss, v->nsamp = t.nsamp;
    v->nhh = t.nhh;
    v->f_homref = t.f_homref, v->f_het = t.f_het, v->f_homalt = t.f_homalt, v->m_ref = t.m_ref, v->m_alt = t.m_alt;
    uint32_t mac = t.ac < t.an - t.ac ? t.ac : t.an - t.ac;
    return pass && mac >= o->mac_min;
}

void rd_variants_compact(bcms_reader_t *rd, uint64_t from, const uint8_t *keep)
{
    uint64_t kept = from;
    int nd = rd->nds;
    for (uint64_t i = from; i < rd->nvar; i++) {
        if (!keep[i - from]) continue;
        if (kept != i) {
            rd->v[kept] = rd->v[i];
            memcpy(rd->loc_block + kept * nd, rd->loc_block + i * nd, sizeof *rd->loc_block * nd);
            memcpy(rd->loc_row + kept * nd, rd->loc_row + i * nd, sizeof *rd->loc_row * nd);
            memcpy(rd->flip + kept * nd, rd->flip + i * nd, nd);
            memcpy(rd->v_str + kept * 4, rd->v_str + i * 4, sizeof *rd->v_str * 4);
            memcpy(rd->v_cnt + kept * nd * 5, rd->v_cnt + i * nd * 5, sizeof *rd->v_cnt * nd * 5);
        }
        kept++;
    }
    rd->nvar = kept;
}

/* An error on a worker thread: its detail message is thread-local, so keep a copy for the caller. */
static void worker_error(int *err, char *msg, size_t n, int e)
{
#pragma omp critical(rd_worker_error)
    {
        if (!*err) {
            *err = e;
            snprintf(msg, n, "%s", bcms_err_detail());
        }
    }
}

static int worker_rc(int err, const char *msg)
{
    return err && *msg ? bcms_err(err, "%s", msg) : err;
}

/* Groups of window variants decoded together by counts and --mind (any size gives the same counts:
 * a variant's depend on its own calls only). */
#define GROUP_MAX 4096

static int counting_ws(bcms_reader_t *rd)
{
    if (!rd->cws && !(rd->cws = calloc(rd->o.threads, sizeof *rd->cws))) return BCMS_ENOMEM;
    for (int t = 0; t < rd->o.threads; t++)
        if (!rd->cws[t] && !(rd->cws[t] = bcms_reader_ws_new(rd))) return BCMS_ENOMEM;
    return 0;
}

void rd_counting_ws_free(bcms_reader_t *rd)
{
    for (int t = 0; rd->cws && t < rd->o.threads; t++) bcms_reader_ws_free(rd->cws[t]);
    free(rd->cws);
    rd->cws = NULL;
}

static int select_all(bcms_reader_t *rd)
{
    uint32_t *all = malloc(sizeof *all * (rd->nsamp + 1));
    if (!all) return BCMS_ENOMEM;
    for (uint32_t s = 0; s < rd->nsamp; s++) all[s] = s;
    int rc = rd_sel_set(rd, &rd->sel_all, all, rd->nsamp);
    free(all);
    return rc;
}

/* Missing and observed calls of window variants into tm/to (one thread's tallies). */
static int mind_window(bcms_reader_t *rd, uint32_t *miss, uint32_t *obs, int threads)
{
    uint32_t n = rd->nsamp, ng = (uint32_t)((rd->nvar + GROUP_MAX - 1) / GROUP_MAX);
    int err = 0;
    char msg[1024] = "";
    if ((err = counting_ws(rd))) return err;
#pragma omp parallel num_threads(ng > 1 ? threads : 1) /* one group: no team to wake */
    {
        int t = omp_get_thread_num(), e;
        bcms_reader_ws_t *ws = rd->cws[t];
        uint32_t *tm = miss + (size_t)t * (n + 1), *to = obs + (size_t)t * (n + 1);
#pragma omp for schedule(dynamic, 1)
        for (uint32_t g = 0; g < ng; g++) {
            const uint8_t *codes;
            uint64_t first = (uint64_t)g * GROUP_MAX;
            uint32_t nv = (uint32_t)(rd->nvar - first < GROUP_MAX ? rd->nvar - first : GROUP_MAX);
            if (err) continue;
            if ((e = rd_decode(rd, &rd->sel_all, ws, first, nv, &codes, NULL))) {
                worker_error(&err, msg, sizeof msg, e);
                continue;
            }
            for (uint32_t j = 0; j < nv; j++) {
                int y = rd->v[first + j].hap == BCMS_HAP_Y;
                const uint8_t *row = codes + (size_t)j * n;
                for (uint32_t s = 0; s < n; s++) {
                    if (y && rd->sample_sex[s] != 1) continue;
                    to[s]++;
                    tm[s] += row[s] == 3;
                }
            }
        }
    }
    return worker_rc(err, msg);
}

/* --mind: per-sample missing rate over every variant (chrY: males only), as plink2 --mind, applied
 * before the variant filters; the samples above it are removed. One pass over the stream, window by
 * window; threads count into their own tallies, summed after (integers: the same at any thread count). */
int rd_mind_apply(bcms_reader_t *rd)
{
    int threads = rd->o.threads;
    double mind_max = rd->o.mind_max;
    uint32_t n = rd->nsamp, *miss = calloc((size_t)(n + 1) * threads, sizeof *miss),
             *obs = calloc((size_t)(n + 1) * threads, sizeof *obs);
    int rc = 0;
    if (!miss || !obs || (rc = select_all(rd))) {
        rc = rc ? rc : BCMS_ENOMEM;
        goto done;
    }
    rd_stream_rewind(rd);
    do {
        if ((rc = rd_window_fill(rd, RD_FILL_MIND)) || (rc = mind_window(rd, miss, obs, threads))) goto done;
    } while (!rd->at_end);
    rd_stream_rewind(rd);
    for (int t = 1; t < threads; t++)
        for (uint32_t s = 0; s < n; s++) miss[s] += miss[(size_t)t * (n + 1) + s], obs[s] += obs[(size_t)t * (n + 1) + s];
    for (uint32_t s = 0; s < n; s++)
        if (obs[s] && (double)miss[s] / obs[s] > mind_max) {
            int absent;
            kh_put(rdset, rd->remove, rd->sample_ids[s], &absent);
            if (absent < 0) {
                rc = BCMS_ENOMEM;
                goto done;
            }
            rd->nmind++;
        }
    if (rd->nmind) {
        bcms_log(BCMS_LOG_INFO, "--mind %g: %u samples removed", mind_max, rd->nmind);
        if (!(rc = rd_samples_build(rd))) rc = select_all(rd);
    }
done:
    free(miss);
    free(obs);
    return rc;
}

/* Counts of window variants from .. nvar - 1 (from the stored counts or decoded genotypes), judged by
 * the filters. Groups are spread over threads; each variant's counts depend on its own calls only. */
int rd_counts_range(bcms_reader_t *rd, uint64_t from, uint8_t *keep)
{
    const bcms_reader_opts_t *o = &rd->o;
    uint32_t *cohort_n = calloc(rd->ncohort + 1, sizeof *cohort_n);
    uint8_t *pure = calloc(rd->nds + 1, 1);
    uint32_t ng = (uint32_t)((rd->nvar - from + GROUP_MAX - 1) / GROUP_MAX);
    int rc = 0, err = 0;
    char msg[1024] = "";
    if (!cohort_n || !pure) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (uint32_t s = 0; s < rd->nsamp; s++) cohort_n[rd->sample_cohort[s]]++;
    for (int d = 0; d < rd->nds; d++) {
        pure[d] = 1;
        for (uint32_t c = 0; c < rd->ds[d]->nsamples && pure[d]; c++) {
            uint32_t s = rd->col_samp[d][c];
            pure[d] = s != RD_NONE && rd->sample_cohort[s] == rd->ds_cohort[d];
        }
    }
    if ((rd->sel_all.nsel != rd->nsamp && (rc = select_all(rd))) || (rc = counting_ws(rd))) goto done;
    /* whether the stored counts serve, per variant (keep[] holds it until the verdict): a window
     * that needs no decoding is counted on this thread, as a team would cost more than it saves
     * (a loaded machine makes every barrier wait for a descheduled thread) */
    int decode = 0;
    for (uint64_t i = from; i < rd->nvar; i++) decode |= !(keep[i - from] = (uint8_t)stored_ok(rd, pure, i));
#pragma omp parallel num_threads(ng > 1 && decode ? o->threads : 1)
    {
        bcms_reader_ws_t *ws = rd->cws[omp_get_thread_num()];
        cnt_t *k = calloc(rd->ncohort + 1, sizeof *k);
        if (!k) worker_error(&err, msg, sizeof msg, BCMS_ENOMEM);
#pragma omp for schedule(dynamic, 1)
        for (uint32_t g = 0; g < ng; g++) {
            uint64_t first = from + (uint64_t)g * GROUP_MAX;
            uint32_t nv = (uint32_t)(rd->nvar - first < GROUP_MAX ? rd->nvar - first : GROUP_MAX), need = 0;
            const uint8_t *codes = NULL;
            int e;
            if (err) continue;
            const uint8_t *ok = keep + (first - from);
            for (uint32_t j = 0; j < nv; j++) need |= !ok[j];
            if (need && (e = rd_decode(rd, &rd->sel_all, ws, first, nv, &codes, NULL))) {
                worker_error(&err, msg, sizeof msg, e);
                continue;
            }
            for (uint32_t j = 0; j < nv; j++) {
                uint64_t i = first + j;
                if (keep[i - from]) counts_stored(rd, i, cohort_n, k);
                else counts_decoded(rd, i, codes + (size_t)j * rd->nsamp, k);
                keep[i - from] = (uint8_t)counts_judge(rd, i, k, o);
            }
        }
        free(k);
    }
    rc = worker_rc(err, msg);
done:
    free(cohort_n);
    free(pure);
    return rc;
}
