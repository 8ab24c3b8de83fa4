/* qc.c: per-sample missingness and heterozygosity (bcms qc), chrX F (bcms sexcheck); see qc.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "contig.h"
#include "err.h"
#include "outfile.h"
#include "qc.h"

void bcms_qc_opts_init(bcms_qc_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_reader_opts_init(&o->sel);
    o->out = "-";
    o->threads = 1;
    o->female_max = 0.2;
    o->male_min = 0.8;
}

typedef struct {
    uint32_t *miss, *obs;   /* every variant (chrY: males) */
    uint32_t *hom, *n;      /* the F variants: homozygous and called */
    double *ehom;
} qc_acc_t;

enum { QC_MISSING = 1, QC_F_AUTO = 2, QC_F_X = 4 };

/* Which variants enter F: autosomes and the chrX PARs (qc), chrX outside them (sexcheck); only those
 * polymorphic among the selected samples. Sets *e to 1 - 2pq. */
static int f_variant(const bcms_variant_t *v, int what, double *e)
{
    char canon[256];
    double an = (double)v->an + v->nhh, p = an > 0 ? (v->ac + 0.5 * v->nhh) / an : 0;
    if (an <= 0 || p <= 0 || p >= 1) return 0;
    if (what & QC_F_X) {
        if (v->hap != BCMS_HAP_X) return 0;
    } else {
        if (v->hap != BCMS_HAP_NONE) return 0;
        int k = bcms_contig_canon(v->chrom, -1, canon, sizeof canon);
        if (k != BCMS_CHR_AUTOSOME && k != BCMS_CHR_X) return 0;
    }
    *e = 1 - 2 * p * (1 - p);
    return 1;
}

/* sexcheck: a chrX variant's allele counts over the batch's calls, counted as the reader counts them
 * (reader_counts.c: males haploid, a male's het half an ALT allele of one observed allele, everyone
 * else diploid), so that the reader need not decode every chrX block a second time, into workspaces
 * of its own, for counts (its peak memory then followed the blocks' size). */
static void x_counts(const uint8_t *row, const uint8_t *sex, uint32_t n, bcms_variant_t *k)
{
    uint32_t an = 0, ac = 0, nhh = 0;
    for (uint32_t s = 0; s < n; s++) {
        uint8_t c = row[s];
        if (c == 3) continue;
        if (sex[s] != 1) an += 2, ac += c;
        else if (c == 1) nhh++;
        else an++, ac += c == 2;
    }
    k->an = an, k->ac = ac, k->nhh = nhh;
}

/* Accumulate every batch into acc; each sample sums its variants in order (thread-independent). */
static int qc_scan(bcms_reader_t *rd, int what, int threads, qc_acc_t *acc)
{
    uint32_t n = bcms_reader_nsamples(rd), b0 = 0, nb = 0;
    const uint8_t *sex = bcms_reader_sample_sex(rd);
    bcms_reader_ws_t *ws = bcms_reader_ws_new(rd);
    double *ev = NULL;
    uint8_t *use = NULL;
    int rc = 0;
    if (!ws) return BCMS_ENOMEM;
    for (uint32_t b = 0; !rc; b++) {
        const uint8_t *codes;
        if (b == b0 + nb) { /* the next window (streaming) */
            if ((rc = bcms_reader_next(rd, &b0, &nb)) || !nb) break;
        }
        uint64_t first;
        uint32_t nv;
        bcms_reader_batch_range(rd, b, &first, &nv);
        double *e2 = realloc(ev, sizeof *ev * (nv + 1));
        uint8_t *u2 = e2 ? realloc(use, nv + 1) : NULL;
        if (e2) ev = e2;
        if (u2) use = u2;
        if (!u2) {
            rc = BCMS_ENOMEM;
            break;
        }
        if ((rc = bcms_reader_batch(rd, ws, b, &codes, NULL))) break;
        for (uint32_t j = 0; j < nv; j++) {
            bcms_variant_t x = *bcms_reader_variant(rd, first + j);
            if ((what & QC_F_X) && x.hap == BCMS_HAP_X) x_counts(codes + (size_t)j * n, sex, n, &x);
            use[j] = (uint8_t)f_variant(&x, what, &ev[j]);
        }
#pragma omp parallel for num_threads(threads) schedule(static)
        for (uint32_t s = 0; s < n; s++) {
            for (uint32_t j = 0; j < nv; j++) {
                uint8_t c = codes[(size_t)j * n + s];
                if (what & QC_MISSING) {
                    int y = bcms_reader_variant(rd, first + j)->hap == BCMS_HAP_Y;
                    if (!y || sex[s] == 1) acc->obs[s]++, acc->miss[s] += c == 3;
                }
                if (!use[j] || c == 3) continue;
                acc->n[s]++;
                acc->hom[s] += c != 1;
                acc->ehom[s] += ev[j];
            }
        }
    }
    bcms_reader_ws_free(ws);
    free(ev);
    free(use);
    return rc;
}

static double acc_f(const qc_acc_t *a, uint32_t s)
{
    double den = a->n[s] - a->ehom[s];
    return a->n[s] && den != 0 ? (a->hom[s] - a->ehom[s]) / den : NAN;
}

/* Open the reader, scan, and write one line per sample with line_fn. */
typedef void (*qc_line_fn)(kstring_t *s, const bcms_qc_opts_t *o, const qc_acc_t *a, uint32_t i, uint8_t sex);

static int qc_run(bcms_store_t *st, const bcms_qc_opts_t *o, const bcms_reader_opts_t *sel, int what,
                  const char *header, qc_line_fn line_fn)
{
    bcms_reader_t *rd = NULL;
    MDB_txn *txn = NULL;
    char **names = NULL;
    qc_acc_t a = {0};
    BGZF *out = NULL;
    kstring_t line = {0, 0, NULL};
    uint32_t n = 0;
    bcms_reader_opts_t ro = *sel;
    int rc;
    ro.need_counts = !(what & QC_F_X); /* F needs every variant's allele frequency (sexcheck: x_counts) */
    ro.stream = 1;      /* window by window: memory does not grow with the variant count */
    ro.threads = o->threads;
    if ((rc = bcms_reader_open(st, &ro, &rd))) return rc;
    n = bcms_reader_nsamples(rd);
    if (!(a.miss = calloc(n + 1, 4)) || !(a.obs = calloc(n + 1, 4)) || !(a.hom = calloc(n + 1, 4)) ||
        !(a.n = calloc(n + 1, 4)) || !(a.ehom = calloc(n + 1, sizeof *a.ehom))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if ((rc = qc_scan(rd, what, o->threads, &a))) goto done;
    if ((rc = bcms_txn_begin(st, 1, &txn)) ||
        (rc = bcms_sample_names(st, txn, bcms_reader_sample_ids(rd), n, &names)))
        goto done;
    if (!(out = bgzf_open(o->out, bcms_out_is_gz(o->out) ? "wg" : "wu"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot open for writing", o->out);
        goto done;
    }
    kputs(header, &line);
    for (uint32_t i = 0; i < n; i++) {
        ksprintf(&line, "%s\t%s", names[i], bcms_reader_dataset_name(rd, (int)bcms_reader_sample_dataset(rd)[i]));
        line_fn(&line, o, &a, i, bcms_reader_sample_sex(rd)[i]);
        if (line.l > (1 << 16)) {
            if (bgzf_write(out, line.s, line.l) < 0) goto werr;
            line.l = 0;
        }
    }
    if (line.l && bgzf_write(out, line.s, line.l) < 0) goto werr;
    goto done;
werr:
    rc = bcms_err(BCMS_EIO, "%s: write failed (disk full?)", o->out);
done:
    if (out && bgzf_close(out) < 0 && !rc) rc = bcms_err(BCMS_EIO, "%s: closing the output failed", o->out);
    if (names) bcms_sample_names_free(names, n);
    if (txn) mdb_txn_abort(txn);
    bcms_reader_close(rd);
    free(a.miss), free(a.obs), free(a.hom), free(a.n), free(a.ehom);
    free(line.s);
    return rc;
}

static void qc_line(kstring_t *s, const bcms_qc_opts_t *o, const qc_acc_t *a, uint32_t i, uint8_t sex)
{
    (void)o, (void)sex;
    ksprintf(s, "\t%u\t%u\t", a->miss[i], a->obs[i]);
    if (a->obs[i]) ksprintf(s, "%.6g", (double)a->miss[i] / a->obs[i]);
    else kputs("NA", s);
    ksprintf(s, "\t%u\t", a->n[i] - a->hom[i]);
    double f = acc_f(a, i);
    if (isnan(f)) kputs("NA\n", s);
    else ksprintf(s, "%.6g\n", f);
}

int bcms_qc(bcms_store_t *st, const bcms_qc_opts_t *o)
{
    return qc_run(st, o, &o->sel, QC_MISSING | QC_F_AUTO, "#IID\tCOHORT\tMISSING_CT\tOBS_CT\tF_MISS\tHET_CT\tF\n",
                  qc_line);
}

static void sex_line(kstring_t *s, const bcms_qc_opts_t *o, const qc_acc_t *a, uint32_t i, uint8_t sex)
{
    double f = acc_f(a, i);
    int snp = isnan(f) ? 0 : f < o->female_max ? 2 : f > o->male_min ? 1 : 0;
    ksprintf(s, "\t%d\t%d\t%s\t", sex, snp, snp && sex == snp ? "OK" : "PROBLEM");
    if (isnan(f)) kputs("NA\n", s);
    else ksprintf(s, "%.6g\n", f);
}

/* sexcheck's window when --memory is not given (MB; ~4,500 variants): chrX is ~5% of a genome, so a
 * default window (~65,000 variants) is filled only by stores past ~1.3 million variants and peak
 * memory would grow with the store up to there (13.6 MB at 100,000 variants, 26.5 MB at 3 million,
 * 100 samples). A window of about one batch is full from the shortest stores on; the output does
 * not depend on the window. What still differs between a short store and a long one is the size
 * of its chrX blocks (one decoded block in the scan's workspace). */
#define QC_SEX_WINDOW_MB 1.0

int bcms_sexcheck(bcms_store_t *st, const bcms_qc_opts_t *o)
{
    bcms_reader_opts_t sel = o->sel;
    if (!sel.regions) sel.regions = "X"; /* only chrX is read */
    if (!sel.memory_mb) sel.memory_mb = QC_SEX_WINDOW_MB;
    int rc = qc_run(st, o, &sel, QC_F_X, "#IID\tCOHORT\tPEDSEX\tSNPSEX\tSTATUS\tF\n", sex_line);
    if (rc == BCMS_ENOTFOUND && !o->sel.regions)
        rc = bcms_err(rc, "sexcheck needs chrX variants: %s", bcms_err_detail());
    return rc;
}
