/* pheno_import.c: phenotype tables against a store: a file column projected on the sample
 * registry, and the import of a whole table (refuse, replace, or append another cohort's samples
 * to a stored column) in one write transaction.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <htslib/kstring.h>

#include "bcms_version.h"
#include "err.h"
#include "pheno_table.h"

int bcms_pheno_table_project(bcms_store_t *st, MDB_txn *txn, const bcms_pheno_table_t *t, size_t j,
                             bcms_pheno_col_t *out, size_t *n_unmatched)
{
    const bcms_pheno_col_t *src;
    MDB_stat ms;
    size_t unmatched = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if (j >= t->ncols) return bcms_err(BCMS_EINVAL, "column %zu of %s does not exist", j, t->path);
    src = &t->cols[j];
    if ((rc = mdb_stat(txn, bcms_store_dbi(st, DBI_SAMPLES), &ms))) return bcms_lmdb_err(rc, "reading samples");
    out->type = src->type;
    out->coding = src->coding;
    out->source_size = src->source_size;
    out->source_mtime = src->source_mtime;
    out->source_rows = src->source_rows;
    out->n = ms.ms_entries;
    if (!(out->name = strdup(src->name)) || !(out->source = strdup(src->source))) goto nomem;
    if (src->nlevels) {
        if (!(out->levels = calloc(src->nlevels, sizeof *out->levels))) goto nomem;
        out->nlevels = src->nlevels;
        for (uint32_t k = 0; k < src->nlevels; k++)
            if (!(out->levels[k] = strdup(src->levels[k]))) goto nomem;
    }
    if (out->n && !(out->v = malloc(out->n * sizeof *out->v))) goto nomem;
    for (size_t k = 0; k < out->n; k++) out->v[k] = NAN;
    for (size_t i = 0; i < t->nrows; i++) {
        uint32_t num;
        rc = bcms_sample_lookup(st, txn, t->iid[i], &num);
        if (rc == BCMS_ENOTFOUND) {
            unmatched++;
            continue;
        }
        if (rc) goto fail;
        if (num >= out->n) {
            rc = bcms_err(BCMS_ECORRUPT, "sample '%s' has number %u beyond the registry's %zu", t->iid[i], num, out->n);
            goto fail;
        }
        out->v[num] = src->v[i];
        out->n_present += !isnan(src->v[i]);
    }
    if (n_unmatched) *n_unmatched = unmatched;
    return 0;
nomem:
    rc = BCMS_ENOMEM;
fail:
    bcms_pheno_col_clear(out);
    return rc;
}

/* Merge file column j of t (its rows on registry numbers sample[]) into the stored column *old (dense
 * over the registry, old->n >= every sample number): *old becomes the union. The types must agree;
 * categorical levels are merged (strcmp order); a sample with values in both must have the same one.
 * Nothing is written here. */
static int merge_column(bcms_store_t *st, const bcms_pheno_table_t *t, size_t j, const uint32_t *sample,
                        bcms_pheno_col_t *old)
{
    const bcms_pheno_col_t *c = &t->cols[j];
    uint32_t *onew = NULL, *oold = NULL, nl = 0;
    char **lv = NULL;
    int rc = 0;
    /* 0/1 values read as quantitative in one file and as a 0/1-coded binary in the other (a cohort
     * whose event column happens to hold one value) are the same values */
    int compat = 0;
    if (c->type != old->type &&
        ((c->type == BCMS_PHENO_QUANTITATIVE && old->type == BCMS_PHENO_BINARY && old->coding == BCMS_PHENO_CODING_01) ||
         (old->type == BCMS_PHENO_QUANTITATIVE && c->type == BCMS_PHENO_BINARY && c->coding == BCMS_PHENO_CODING_01))) {
        const bcms_pheno_col_t *q = c->type == BCMS_PHENO_QUANTITATIVE ? c : old;
        size_t nq = q == c ? t->nrows : old->n;
        compat = 1;
        for (size_t i = 0; i < nq && compat; i++) compat = isnan(q->v[i]) || q->v[i] == 0 || q->v[i] == 1;
        if (compat && old->type == BCMS_PHENO_QUANTITATIVE) { /* the stored column becomes binary 0/1 */
            old->type = BCMS_PHENO_BINARY;
            old->coding = BCMS_PHENO_CODING_01;
        }
    }
    if (c->type == BCMS_PHENO_BINARY && old->type == BCMS_PHENO_BINARY && c->coding != old->coding) {
        /* a file of 1s alone reads as 1/2 coded (all controls) but means all cases under 0/1: only the
         * user knows, so the two codings are never mixed */
        static const char *cn[] = {"none", "1/2 (1 control, 2 case)", "0/1 (0 control, 1 case)"};
        return bcms_err(BCMS_EINVAL, "%s: column %s is binary coded %s in the file but %s in %s; nothing was "
                        "written. Recode the file to the stored coding", t->path, c->name, cn[c->coding <= 2 ? c->coding : 0],
                        cn[old->coding <= 2 ? old->coding : 0], bcms_store_path(st));
    }
    if (c->type != old->type && !compat)
        return bcms_err(BCMS_EINVAL, "%s: column %s is %s in the file but %s in %s; nothing was written", t->path,
                        c->name, bcms_pheno_type_name(c->type), bcms_pheno_type_name(old->type), bcms_store_path(st));
    if (c->type == BCMS_PHENO_CATEGORICAL) { /* union of two sorted level lists */
        uint32_t a = 0, b = 0;
        if (!(lv = calloc((size_t)c->nlevels + old->nlevels + 1, sizeof *lv)) ||
            !(onew = malloc(sizeof *onew * (c->nlevels + 1))) || !(oold = malloc(sizeof *oold * (old->nlevels + 1))))
            goto nomem;
        while (a < old->nlevels || b < c->nlevels) {
            int cmp = a == old->nlevels ? 1 : b == c->nlevels ? -1 : strcmp(old->levels[a], c->levels[b]);
            const char *l = cmp <= 0 ? old->levels[a] : c->levels[b];
            if (!(lv[nl] = strdup(l))) goto nomem;
            if (cmp <= 0) oold[a++] = nl;
            if (cmp >= 0) onew[b++] = nl;
            nl++;
        }
        for (size_t k = 0; k < old->n; k++)
            if (!isnan(old->v[k])) old->v[k] = oold[(uint32_t)old->v[k]];
    }
    for (size_t i = 0; i < t->nrows; i++) {
        double v = c->v[i];
        if (isnan(v)) continue;
        if (c->type == BCMS_PHENO_CATEGORICAL) v = onew[(uint32_t)v];
        double *dst = &old->v[sample[i]];
        if (isnan(*dst)) {
            *dst = v;
            old->n_present++;
        } else if (*dst != v) {
            char b1[32], b2[32];
            bcms_pheno_col_t tmp = *old;
            if (lv) tmp.levels = lv, tmp.nlevels = nl;
            rc = bcms_err(BCMS_EINVAL, "%s: sample %s has %s = %s in %s but %s in the file; nothing was "
                          "written. One value per sample: fix the file, or --replace the column",
                          t->path, t->iid[i], c->name, bcms_pheno_value_str(&tmp, *dst, b1), bcms_store_path(st),
                          bcms_pheno_value_str(&tmp, v, b2));
            goto done;
        }
    }
    if (lv) {
        for (uint32_t k = 0; k < old->nlevels; k++) free(old->levels[k]);
        free(old->levels);
        old->levels = lv;
        old->nlevels = nl;
        lv = NULL;
    }
    { /* provenance: both files (a file appended again is listed once) */
        const char *path = c->source ? c->source : t->path, *p = old->source ? old->source : "";
        size_t lp = strlen(path);
        int listed = 0;
        while (*p && !listed) {
            const char *e = strstr(p, "; ");
            size_t l = e ? (size_t)(e - p) : strlen(p);
            listed = l == lp && !strncmp(p, path, lp);
            p += l + (e ? 2 : 0);
        }
        if (!listed) {
            char *src = NULL;
            if (asprintf(&src, "%s%s%s", old->source ? old->source : "", old->source && *old->source ? "; " : "",
                         path) < 0)
                goto nomem;
            free(old->source);
            old->source = src;
            old->source_size += c->source_size;
            old->source_rows = old->source_rows + (uint64_t)c->source_rows > UINT32_MAX
                                   ? UINT32_MAX
                                   : old->source_rows + c->source_rows;
        }
        if (c->source_mtime > old->source_mtime) old->source_mtime = c->source_mtime;
    }
    goto done;
nomem:
    rc = BCMS_ENOMEM;
done:
    if (lv)
        for (uint32_t k = 0; k < nl; k++) free(lv[k]);
    free(lv);
    free(onew);
    free(oold);
    return rc;
}

int bcms_pheno_import(bcms_store_t *st, const bcms_pheno_table_t *t, int mode, const char *command,
                      bcms_pheno_import_stats_t *stats)
{
    const int replace = mode == BCMS_PHENO_REPLACE, append = mode == BCMS_PHENO_APPEND;
    uint32_t *all = NULL;
    uint8_t *stored = NULL;
    bcms_pheno_col_t old;
    memset(&old, 0, sizeof old);
    bcms_pheno_import_stats_t s = {0};
    MDB_txn *txn = NULL;
    uint32_t *sample = NULL;
    kstring_t clash = {0, 0, NULL}, hist = {0, 0, NULL};
    char when[32], tool[64];
    time_t now = time(NULL);
    int rc, nclash = 0;

    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    snprintf(tool, sizeof tool, "bcms %s", BCMS_VERSION);
    s.nrows = t->nrows;
    if (t->nrows && !(sample = malloc(t->nrows * sizeof *sample))) return BCMS_ENOMEM;
    if (t->ncols && !(stored = calloc(t->ncols, 1))) {
        free(sample);
        return BCMS_ENOMEM;
    }
    if ((rc = bcms_txn_begin(st, 0, &txn))) goto fail;
    for (size_t j = 0; j < t->ncols; j++) {
        if ((rc = bcms_pheno_exists(st, txn, t->cols[j].name)) < 0) goto fail;
        if (rc) {
            stored[j] = 1;
            if (append) s.appended++;
            else s.replaced++;
            if (!replace && !append && ksprintf(&clash, "%s%s", nclash++ ? ", " : "", t->cols[j].name) < 0)
                goto nomem;
        }
    }
    if (nclash) {
        rc = bcms_err(BCMS_EEXIST, "%s: column%s %s already stored in %s; nothing was written. Add --append to "
                      "add these samples to the stored column%s (another cohort), --replace to overwrite, or keep "
                      "other columns with --columns", t->path, nclash > 1 ? "s" : "", clash.s, bcms_store_path(st),
                      nclash > 1 ? "s" : "");
        goto fail;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        int added;
        if ((rc = bcms_sample_intern(st, txn, t->iid[i], &sample[i], &added))) goto fail;
        s.new_samples += added;
    }
    for (size_t j = 0; j < t->ncols; j++) {
        if (append && stored[j]) { /* the stored column plus this file's samples, as one column */
            if ((rc = bcms_pheno_load(st, txn, t->cols[j].name, &old)) || (rc = merge_column(st, t, j, sample, &old)))
                goto fail;
            uint32_t *a2 = realloc(all, sizeof *all * (old.n + 1));
            if (!a2) goto nomem;
            all = a2;
            for (size_t k = 0; k < old.n; k++) all[k] = (uint32_t)k;
            bcms_pheno_col_t col = old;
            col.imported_at = when;
            col.command = (char *)(command ? command : "");
            col.tool = tool;
            if ((rc = bcms_pheno_put(st, txn, &col, all, 1))) goto fail;
            bcms_pheno_col_clear(&old);
        } else {
            bcms_pheno_col_t col = t->cols[j]; /* shallow: only the import provenance is added */
            col.imported_at = when;
            col.command = (char *)(command ? command : "");
            col.tool = tool;
            if ((rc = bcms_pheno_put(st, txn, &col, sample, 1))) goto fail;
        }
        s.ncols++;
    }
    if (ksprintf(&hist, "%s pheno file=%s size=%llu rows=%zu new_samples=%zu columns=", when, t->path,
                 (unsigned long long)(t->ncols ? t->cols[0].source_size : 0), t->nrows, s.new_samples) < 0)
        goto nomem;
    for (size_t j = 0; j < t->ncols; j++)
        if (ksprintf(&hist, "%s%s:%s", j ? "," : "", t->cols[j].name, bcms_pheno_type_name(t->cols[j].type)) < 0)
            goto nomem;
    if (ksprintf(&hist, " replaced=%zu appended=%zu command=%s", s.replaced, s.appended, command ? command : "") < 0)
        goto nomem;
    if ((rc = bcms_meta_add_history(st, txn, hist.s))) goto fail;
    rc = bcms_txn_commit(txn);
    txn = NULL;
    if (rc) goto fail;
    if (stats) *stats = s;
    goto done;
nomem:
    rc = BCMS_ENOMEM;
fail:
    if (txn) mdb_txn_abort(txn);
done:
    bcms_pheno_col_clear(&old);
    free(all);
    free(stored);
    free(sample);
    free(clash.s);
    free(hist.s);
    return rc;
}
