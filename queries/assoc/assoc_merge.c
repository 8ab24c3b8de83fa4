/* assoc_merge.c: the scan fingerprint, and `bcms merge`: chunk outputs -> one output, equal byte for
 * byte to the unchunked scan, with the whole scan's summary.
 *
 * Every chunk's summary (OUT.log, written when the chunk completed) carries the scan's description
 * and its fingerprint (md5 of the description): the store snapshot (creation time and LMDB
 * transaction id: any import or pheno change moves it), model, phenotypes, endpoint, covariates,
 * the content of --pheno-file/--covar-file, filters, cohorts, regions, chunk count and the options
 * that change numbers. Chunks with different fingerprints are parts of different scans: merge
 * refuses them, as it refuses a missing, incomplete or repeated chunk, and writes nothing then.
 * The merged summary sums the chunks' counts and recomputes lambda GC from every P of the merged
 * table, so it equals the unchunked scan's. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>

#include "assoc.h"
#include "assoc_internal.h"
#include "bcms_version.h"
#include "err.h"
#include "outfile.h"

int bcms_file_md5(const char *path, char hex[33])
{
    FILE *fp = fopen(path, "rb");
    hts_md5_context *md5 = hts_md5_init();
    unsigned char buf[65536], dig[16];
    size_t n;
    if (!fp || !md5) {
        if (fp) fclose(fp);
        if (md5) hts_md5_destroy(md5);
        return bcms_err(BCMS_EIO, "%s: cannot read: %s", path, strerror(errno));
    }
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) hts_md5_update(md5, buf, (unsigned long)n);
    fclose(fp);
    hts_md5_final(dig, md5);
    hts_md5_destroy(md5);
    hts_md5_hex(hex, dig);
    return 0;
}

static void put_opt(kstring_t *s, const char *k, const char *v)
{
    ksprintf(s, " %s=%s", k, v ? v : "-");
}

int bcms_assoc_fingerprint(bcms_store_t *st, const bcms_assoc_opts_t *o, kstring_t *desc, char hex[33])
{
    MDB_txn *txn = NULL;
    char *created = NULL, md5[33];
    int rc = bcms_txn_begin(st, 1, &txn);
    if (rc) return rc;
    created = bcms_meta_get_str(st, txn, "created_at");
    ksprintf(desc, "store=%s@%zu", created ? created : "?", mdb_txn_id(txn));
    free(created);
    mdb_txn_abort(txn);
    const char *model = o->model == BCMS_MODEL_LINEAR     ? "linear"
                        : o->model == BCMS_MODEL_LOGISTIC ? "logistic"
                        : o->model == BCMS_MODEL_LMM      ? "lmm"
                                                          : "cox";
    put_opt(desc, "model", model);
    put_opt(desc, "pheno", o->pheno);
    put_opt(desc, "time", o->time), put_opt(desc, "event", o->event);
    put_opt(desc, "entry", o->entry), put_opt(desc, "strata", o->strata);
    put_opt(desc, "covar", o->covar);
    const char *files[2] = {o->pheno_file, o->covar_file}, *names[2] = {"pheno_file", "covar_file"};
    for (int f = 0; f < 2; f++) {
        if (!files[f]) {
            put_opt(desc, names[f], NULL);
        } else {
            if ((rc = bcms_file_md5(files[f], md5))) return rc;
            put_opt(desc, names[f], md5);
        }
    }
    put_opt(desc, "cohorts", o->sel.cohorts), put_opt(desc, "regions", o->sel.regions);
    /* the sample and variant lists and the sex source change the rows: their content counts */
    const char *lists[5] = {o->sel.keep, o->sel.remove, o->sel.extract, o->sel.exclude, o->sel.sex_file};
    static const char *lnames[5] = {"keep", "remove", "extract", "exclude", "sex_file"};
    for (int f = 0; f < 5; f++) {
        if (!lists[f]) continue;
        if ((rc = bcms_file_md5(lists[f], md5))) return rc;
        put_opt(desc, lnames[f], md5);
    }
    ksprintf(desc, " par=%d dup_rule=%d mind=%.17g decimal_comma=%d by_cohort=%d grm=%s", o->sel.par_build,
             o->sel.dup_rule, o->sel.mind_max, o->decimal_comma, o->by_cohort, o->grm ? o->grm : "-");
    ksprintf(desc, " xchr_model=%d no_x_sex=%d minr2=%.17g", o->xchr_model, o->no_x_sex, o->sel.minr2);
    ksprintf(desc, " maf=%.17g mac=%u geno=%.17g hwe=%.17g chunks=%d dosages=%d cox_fit_p=%.17g format=%d ci=%d",
             o->sel.maf_min, o->sel.mac_min, o->sel.geno_max, o->sel.hwe_min, o->sel.chunk_n ? o->sel.chunk_n : 1,
             o->use_dosages, o->cox_fit_p, o->format, o->ci);
    if (o->offset || o->loco_pred) /* only then, so fingerprints of other scans stay as they were */
        ksprintf(desc, " offset=%s loco_pred=%d loco_folds=%d loco_shrink=%.17g", o->offset ? o->offset : "-",
                 o->loco_pred, o->loco_folds, assoc_loco_shrink(o));
    if (o->loco_in) { /* the predictions' content, not the folds that made them */
        if ((rc = bcms_file_md5(o->loco_in, md5))) return rc;
        put_opt(desc, "loco_pred_file", md5);
    }
    if (o->loco) ksprintf(desc, " lmm_loco=1"); /* likewise */
    hts_md5_context *ctx = hts_md5_init();
    unsigned char dig[16];
    if (!ctx) return BCMS_ENOMEM;
    hts_md5_update(ctx, desc->s, (unsigned long)desc->l);
    hts_md5_final(dig, ctx);
    hts_md5_destroy(ctx);
    hts_md5_hex(hex, dig);
    return 0;
}

/* ---- merge ---- */
typedef struct {
    char name[256];
    unsigned samples, events;
    unsigned long long tested, failed;
    int has_events;
} pheno_sum_t;

typedef struct {
    int k, n, complete, npheno;
    char model[32], fp[40];
    unsigned long long variants, filtered;
    pheno_sum_t ph[64];
} chunk_info_t;

static void parse_pheno(const char *line, chunk_info_t *ci)
{
    if (ci->npheno == 64) return;
    pheno_sum_t *p = &ci->ph[ci->npheno++];
    memset(p, 0, sizeof *p);
    size_t l = strcspn(line, "\t\n");
    snprintf(p->name, sizeof p->name, "%.*s", (int)l, line);
    for (const char *f = strchr(line, '\t'); f; f = strchr(f + 1, '\t')) {
        sscanf(f + 1, "samples=%u", &p->samples);
        sscanf(f + 1, "tested=%llu", &p->tested);
        sscanf(f + 1, "failed=%llu", &p->failed);
        if (sscanf(f + 1, "events=%u", &p->events) == 1) p->has_events = 1;
    }
}

static int read_summary(const char *path, chunk_info_t *ci, char **command)
{
    char *logp = NULL, line[65536];
    FILE *fp;
    memset(ci, 0, sizeof *ci);
    if (asprintf(&logp, "%s.log", path) < 0) return BCMS_ENOMEM;
    fp = fopen(logp, "r");
    if (!fp) {
        int rc = bcms_err(BCMS_ENOTFOUND, "%s: no summary %s (the chunk did not complete, or it is not a bcms assoc "
                          "output): rerun that chunk", path, logp);
        free(logp);
        return rc;
    }
    while (fgets(line, sizeof line, fp)) {
        if (!strncmp(line, "chunk\t", 6)) sscanf(line + 6, "%d/%d", &ci->k, &ci->n);
        else if (!strncmp(line, "model\t", 6)) sscanf(line + 6, "%31s", ci->model);
        else if (!strncmp(line, "fingerprint\t", 12)) sscanf(line + 12, "%39s", ci->fp);
        else if (!strncmp(line, "variants\t", 9)) ci->variants = strtoull(line + 9, NULL, 10);
        else if (!strncmp(line, "filtered\t", 9)) ci->filtered = strtoull(line + 9, NULL, 10);
        else if (!strncmp(line, "pheno\t", 6)) parse_pheno(line + 6, ci);
        else if (!strncmp(line, "command\t", 8) && command && !*command) {
            line[strcspn(line, "\n")] = 0;
            *command = strdup(line + 8);
        } else if (!strcmp(line, "status\tcomplete\n")) ci->complete = 1;
    }
    fclose(fp);
    free(logp);
    if (!ci->complete || ci->k < 1 || ci->n < 1)
        return bcms_err(BCMS_EINPUT, "%s: the chunk's summary says it is incomplete; rerun that chunk", path);
    if (!ci->fp[0])
        return bcms_err(BCMS_EINPUT, "%s: its summary has no scan fingerprint (written by an older bcms): rerun the "
                        "chunks with this version", path);
    return 0;
}

/* chunks 1..n of one scan, each once: order[k] = 1 + index of chunk k+1 */
static int check_chunks(const char *const *chunks, int n, chunk_info_t *ci, int *order)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(ci[i].fp, ci[0].fp) || ci[i].n != ci[0].n || strcmp(ci[i].model, ci[0].model))
            return bcms_err(BCMS_EINPUT, "%s (chunk %d/%d of a %s scan, fingerprint %.12s) and %s (chunk %d/%d of a %s "
                            "scan, fingerprint %.12s) are not parts of one scan: the store, model, phenotypes, "
                            "covariates, filters or chunk count differ (see 'scan' in their .log files)", chunks[0],
                            ci[0].k, ci[0].n, ci[0].model, ci[0].fp, chunks[i], ci[i].k, ci[i].n, ci[i].model, ci[i].fp);
        if (ci[i].k > ci[0].n) return bcms_err(BCMS_EINPUT, "%s: chunk %d of %d", chunks[i], ci[i].k, ci[i].n);
        if (order[ci[i].k - 1])
            return bcms_err(BCMS_EINPUT, "chunk %d/%d given twice (%s and %s)", ci[i].k, ci[i].n,
                            chunks[order[ci[i].k - 1] - 1], chunks[i]);
        order[ci[i].k - 1] = i + 1;
    }
    if (n != ci[0].n) {
        kstring_t miss = {0, 0, NULL};
        for (int k = 0; k < ci[0].n; k++)
            if (!order[k]) ksprintf(&miss, "%s%d", miss.l ? "," : "", k + 1);
        int rc = bcms_err(BCMS_EINPUT, "the scan has %d chunks; missing: %s; run them (--chunk k/%d) and merge again",
                          ci[0].n, miss.s ? miss.s : "?", ci[0].n);
        free(miss.s);
        return rc;
    }
    return 0;
}

/* P values per phenotype for the merged lambda GC, spilled to temporary files as a scan spills
 * them (assoc_lambda.c), so merge's memory does not grow with the variant count */
typedef struct {
    int pcol, phcol;
    assoc_pvspill_t pv[64];
} lam_t;

static void lam_header(lam_t *lm, const char *hdr)
{
    lm->pcol = lm->phcol = -1;
    for (int c = 0; hdr; c++) {
        size_t l = strcspn(hdr, "\t");
        if (l == 1 && hdr[0] == 'P') lm->pcol = c;
        if (l == 5 && !strncmp(hdr, "PHENO", 5)) lm->phcol = c;
        hdr = hdr[l] ? hdr + l + 1 : NULL;
    }
}

/* the row's P into the vector of its phenotype (as the scan clamps it: 1e-300 below) */
static int lam_row(lam_t *lm, const chunk_info_t *ci, const char *row)
{
    const char *pf = NULL, *phf = NULL;
    size_t phl = 0;
    for (int c = 0; row; c++) {
        size_t l = strcspn(row, "\t");
        if (c == lm->pcol) pf = row;
        if (c == lm->phcol) phf = row, phl = l;
        row = row[l] ? row + l + 1 : NULL;
    }
    if (!pf || !strncmp(pf, "NA", 2)) return 0;
    int k = 0;
    if (phf)
        for (k = 0; k < ci->npheno; k++)
            if (strlen(ci->ph[k].name) == phl && !strncmp(ci->ph[k].name, phf, phl)) break;
    if (k >= ci->npheno) return 0;
    double p = strtod(pf, NULL);
    p = p < 1e-300 ? 1e-300 : p;
    return assoc_pvspill_add(&lm->pv[k], &p, 1);
}

static int write_merged_log(const char *out, const char *const *chunks, int n, chunk_info_t *ci, lam_t *lm,
                            const char *command)
{
    char *path = NULL;
    unsigned long long nv = 0, nf = 0;
    if (asprintf(&path, "%s.log", out) < 0) return BCMS_ENOMEM;
    FILE *fp = fopen(path, "w");
    if (!fp) {
        int rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    for (int i = 0; i < n; i++) nv += ci[i].variants, nf += ci[i].filtered;
    fprintf(fp, "tool\tbcms %s\ncommand\t%s\nmerged\t%d chunks (%s ...)\nmodel\t%s\nchunk\t1/1\nvariants\t%llu\n"
            "filtered\t%llu\nfingerprint\t%s\n", BCMS_VERSION, command ? command : "", n, chunks[0], ci[0].model, nv, nf,
            ci[0].fp);
    int rc = 0;
    for (int k = 0; k < ci[0].npheno && !rc; k++) {
        unsigned long long t = 0, f = 0;
        for (int i = 0; i < n; i++) t += ci[i].ph[k].tested, f += ci[i].ph[k].failed;
        double lam = assoc_pvspill_lambda(&lm->pv[k], &rc);
        fprintf(fp, "pheno\t%s\tsamples=%u\ttested=%llu\tfailed=%llu\tlambda_gc=%.4f", ci[0].ph[k].name,
                ci[0].ph[k].samples, t, f, lam);
        if (ci[0].ph[k].has_events) fprintf(fp, "\tevents=%u", ci[0].ph[k].events);
        fputc('\n', fp);
    }
    fprintf(fp, "status\tcomplete\n");
    if (fclose(fp) != 0 && !rc) rc = bcms_err(BCMS_EIO, "%s: write failed", path);
    if (rc) unlink(path); /* no summary of a merge that did not complete */
    free(path);
    return rc;
}

/* chunk files in k order into fo: one header, rows as they are */
static int concat(const char *const *chunks, int n, const int *order, const chunk_info_t *ci, bcms_outfile_t *fo,
                  const char *tmp, lam_t *lm)
{
    kstring_t line = {0, 0, NULL}, hdr = {0, 0, NULL};
    int rc = 0;
    for (int k = 0; k < n && !rc; k++) {
        const char *path = chunks[order[k] - 1];
        BGZF *fi = bgzf_open(path, "r");
        int first = 1;
        if (!fi) {
            rc = bcms_err(BCMS_EIO, "%s: cannot read", path);
            break;
        }
        while (!rc && bgzf_getline(fi, '\n', &line) >= 0) {
            if (first) {
                first = 0;
                if (k == 0) {
                    kputsn(line.s, line.l, &hdr);
                    lam_header(lm, hdr.s);
                } else if (line.l != hdr.l || memcmp(line.s, hdr.s, hdr.l)) {
                    rc = bcms_err(BCMS_EINPUT, "%s: its columns differ from the first chunk's", path);
                    break;
                } else {
                    continue;
                }
            } else if ((rc = lam_row(lm, &ci[0], line.s))) {
                break;
            }
            kputc('\n', &line);
            rc = bcms_outfile_write(fo, line.s, line.l);
        }
        bgzf_close(fi);
    }
    free(line.s);
    free(hdr.s);
    return rc;
}

int bcms_assoc_merge(const char *const *chunks, int n, const char *out)
{
    chunk_info_t *ci = calloc(n + 1, sizeof *ci);
    int *order = calloc(n + 1, sizeof *order), rc = 0;
    lam_t *lm = calloc(1, sizeof *lm);
    bcms_outfile_t *fo = NULL;
    char *tmp = NULL, *command = NULL;
    if (!ci || !order || !lm) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int i = 0; i < n; i++)
        if ((rc = read_summary(chunks[i], &ci[i], &command))) goto done;
    if ((rc = check_chunks(chunks, n, ci, order))) goto done;
    if ((rc = bcms_outfile_open(out, 0, &fo))) goto done; /* renamed into place when complete */
    if ((rc = concat(chunks, n, order, ci, fo, out, lm))) goto done;
    if ((rc = write_merged_log(out, chunks, n, ci, lm, command))) goto done;
    rc = bcms_outfile_commit(fo);
    fo = NULL;
done:
    bcms_outfile_abort(fo);
    if (lm)
        for (int k = 0; k < 64; k++) assoc_pvspill_close(&lm->pv[k]);
    free(lm);
    free(tmp);
    free(command);
    free(ci);
    free(order);
    return rc;
}
