/* clinical_store.c: derived progression fields into the store's pheno table, so scans name them
 * (--time edss6_time --event edss6_event --entry edss6_entry). The columns are derived to a
 * temporary table, read back with the phenotype loader and stored in one write transaction: all
 * or nothing. Each column's provenance names the visit table, and the import's command line
 * records every threshold used (the definitions). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <htslib/kstring.h>

#include "clinical.h"
#include "clinical_store.h"
#include "err.h"
#include "pheno_table.h"

/* The types of the derived fields are fixed, whatever the values of one cohort look like: every
 * field is quantitative (a few patients with EDSS 0, 1 and 2 only would otherwise read as a PLINK
 * binary column) except the *_event columns, binary coded 0/1 (a cohort where every patient had
 * the event holds only 1s, which the loader reads as PLINK's 1/2 coding: all controls). The names
 * come from the header line of the derived table tmp. */
static int read_typed(const char *tmp, bcms_pheno_table_t **t)
{
    bcms_pheno_opts_t o;
    kstring_t spec = {0, 0, NULL}, line = {0, 0, NULL};
    int rc = 0, c;
    FILE *fp = fopen(tmp, "r");
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot read back: %s", tmp, strerror(errno));
    while ((c = getc(fp)) != EOF && c != '\n')
        if (kputc(c, &line) < 0) rc = BCMS_ENOMEM;
    fclose(fp);
    bcms_pheno_opts_init(&o);
    char *save = NULL, *tok = line.s ? strtok_r(line.s, "\t", &save) : NULL; /* "#IID" */
    while (!rc && tok && (tok = strtok_r(NULL, "\t", &save))) {
        size_t l = strlen(tok);
        int event = l > 6 && !strcmp(tok + l - 6, "_event");
        if (ksprintf(&spec, "%s%s=%s", spec.l ? "," : "", tok, event ? "binary" : "quantitative") < 0)
            rc = BCMS_ENOMEM;
    }
    if (!rc && spec.l) rc = bcms_pheno_opts_add_types(&o, spec.s);
    if (!rc) rc = bcms_pheno_table_read(tmp, &o, t);
    for (size_t j = 0; !rc && j < (*t)->ncols; j++) {
        bcms_pheno_col_t *col = &(*t)->cols[j];
        if (col->type == BCMS_PHENO_BINARY && col->coding == BCMS_PHENO_CODING_12) { /* only 1s: events */
            for (size_t i = 0; i < col->n; i++) col->v[i] += 1;
            col->coding = BCMS_PHENO_CODING_01;
        }
    }
    bcms_pheno_opts_free(&o);
    free(spec.s);
    free(line.s);
    return rc;
}

int clin_store(bcms_store_t *st, const clin_opts_t *o, const visits_data_t *d, const char *visits_path, int mode,
               const char *command, size_t *ncols)
{
    char tmp[] = "/tmp/bcms-clinical-XXXXXX";
    bcms_pheno_table_t *t = NULL;
    bcms_pheno_import_stats_t stats;
    struct stat sb;
    int fd = mkstemp(tmp), rc;
    if (fd < 0) return bcms_err(BCMS_EIO, "cannot create a temporary file: %s", strerror(errno));
    close(fd);
    if ((rc = clin_write_file(o, d, tmp))) goto done;
    if ((rc = read_typed(tmp, &t))) goto done;
    /* provenance: the visit table, not the temporary file */
    memset(&sb, 0, sizeof sb);
    stat(visits_path, &sb);
    free(t->path);
    t->path = strdup(visits_path);
    for (size_t j = 0; j < t->ncols; j++) {
        free(t->cols[j].source);
        t->cols[j].source = strdup(visits_path);
        t->cols[j].source_size = (uint64_t)sb.st_size;
        t->cols[j].source_mtime = (int64_t)sb.st_mtime;
        if (!t->cols[j].source) {
            rc = BCMS_ENOMEM;
            goto done;
        }
    }
    if (!t->path) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if ((rc = bcms_pheno_import(st, t, mode, command, &stats))) goto done;
    if (ncols) *ncols = stats.ncols;
done:
    bcms_pheno_table_free(t);
    unlink(tmp);
    return rc;
}
