/* assoc_split.c: `bcms assoc --by-cohort` writes one combined output whose last column is the cohort;
 * this splits it into one file per cohort (the column removed), each with its summary: the combined
 * summary's lines with only that cohort's phenotype lines. Per-cohort files go through NAME.tmp and
 * are renamed when all are complete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "assoc.h"
#include "err.h"

char *bcms_assoc_cohort_path(const char *out, const char *cohort)
{
    static const char *const ext[] = {".tsv.gz", ".txt.gz", ".tsv", ".txt", ".gz"};
    size_t l = strlen(out), e = 0;
    char *p;
    for (size_t i = 0; i < sizeof ext / sizeof *ext && !e; i++) {
        size_t n = strlen(ext[i]);
        if (l > n && !strcmp(out + l - n, ext[i])) e = n;
    }
    if (asprintf(&p, "%.*s.%s%s", (int)(l - e), out, cohort, out + l - e) < 0) return NULL;
    return p;
}

/* Per-cohort summary: the combined one without the other cohorts' phenotype lines. */
static int split_summary(const char *out, const char *path, const char *cohort)
{
    char *in = NULL, *lp = NULL, line[16384], tag[512];
    FILE *fi = NULL, *fo = NULL;
    int rc = 0;
    snprintf(tag, sizeof tag, "\tcohort=%s", cohort);
    if (asprintf(&in, "%s.log", out) < 0 || asprintf(&lp, "%s.log", path) < 0) {
        free(in);
        return BCMS_ENOMEM;
    }
    if (!(fi = fopen(in, "r")) || !(fo = fopen(lp, "w"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot write the summary: %s", lp, strerror(errno));
        goto done;
    }
    while (fgets(line, sizeof line, fi)) {
        char *t = strstr(line, tag);
        if (!strncmp(line, "pheno\t", 6) && !(t && (t[strlen(tag)] == '\n' || t[strlen(tag)] == '\t'))) continue;
        fputs(line, fo);
    }
    if (fclose(fo)) rc = bcms_err(BCMS_EIO, "%s: write failed", lp);
    fo = NULL;
done:
    if (fi) fclose(fi);
    if (fo) fclose(fo);
    free(in);
    free(lp);
    return rc;
}

int bcms_assoc_split_cohorts(const char *tmp, const char *out, const char *const *cohorts, int ncoh, int gz)
{
    BGZF *in = bgzf_open(tmp, "r"), **fo = calloc(ncoh, sizeof *fo);
    char **path = calloc(ncoh, sizeof *path), **ptmp = calloc(ncoh, sizeof *ptmp);
    kstring_t line = {0, 0, NULL};
    int rc = 0, first = 1;
    if (!in || !fo || !path || !ptmp) {
        rc = in ? BCMS_ENOMEM : bcms_err(BCMS_EIO, "%s: cannot read back: %s", tmp, strerror(errno));
        goto done;
    }
    for (int c = 0; c < ncoh; c++) {
        if (!(path[c] = bcms_assoc_cohort_path(out, cohorts[c])) || asprintf(&ptmp[c], "%s.tmp", path[c]) < 0) {
            ptmp[c] = NULL;
            rc = BCMS_ENOMEM;
            goto done;
        }
        if (!(fo[c] = bgzf_open(ptmp[c], gz ? "wg" : "wu"))) {
            rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", ptmp[c], strerror(errno));
            goto done;
        }
    }
    while (!rc && bgzf_getline(in, '\n', &line) >= 0) {
        char *t = strrchr(line.s, '\t');
        int c = 0;
        if (first) { /* the header: to every file */
            kputc('\n', &line);
            for (c = 0; c < ncoh && !rc; c++)
                if (bgzf_write(fo[c], line.s, line.l) < 0) rc = BCMS_EIO;
            first = 0;
            continue;
        }
        if (!t) {
            rc = bcms_err(BCMS_EIO, "%s: damaged row", tmp);
            break;
        }
        while (c < ncoh && strcmp(t + 1, cohorts[c])) c++;
        if (c == ncoh) {
            rc = bcms_err(BCMS_EIO, "%s: row of an unknown cohort '%s'", tmp, t + 1);
            break;
        }
        *t = '\n';
        if (bgzf_write(fo[c], line.s, (size_t)(t - line.s) + 1) < 0) rc = BCMS_EIO;
    }
    for (int c = 0; c < ncoh; c++) {
        if (fo[c] && bgzf_close(fo[c]) < 0 && !rc) rc = BCMS_EIO;
        fo[c] = NULL;
    }
    if (rc == BCMS_EIO && !*bcms_err_detail()) rc = bcms_err(BCMS_EIO, "%s: write failed (disk full?)", out);
    for (int c = 0; c < ncoh && !rc; c++) rc = split_summary(out, path[c], cohorts[c]);
    for (int c = 0; c < ncoh && !rc; c++)
        if (rename(ptmp[c], path[c]))
            rc = bcms_err(BCMS_EIO, "%s: cannot rename to %s: %s", ptmp[c], path[c], strerror(errno));
done:
    if (in) bgzf_close(in);
    for (int c = 0; c < ncoh; c++) {
        if (fo && fo[c]) bgzf_close(fo[c]);
        if (rc && ptmp && ptmp[c]) remove(ptmp[c]);
        if (path) free(path[c]);
        if (ptmp) free(ptmp[c]);
    }
    free(fo), free(path), free(ptmp);
    free(line.s);
    if (!rc) remove(tmp);
    return rc;
}
