/* clinical_store.c: derived progression fields into the store's pheno table, so scans name them
 * (--time edss6_time --event edss6_event --entry edss6_entry). The columns are derived to a scratch
 * table beside the store (owner-only, unlinked as soon as it is created: patient data never sits
 * in /tmp and nothing is left behind, even by kill -9), read back with the phenotype loader and
 * stored in one write transaction: all or nothing. Each column's provenance names the visit
 * table, and the import's command line records every threshold used (the definitions). */
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
#include "patient_file.h"
#include "pheno_table.h"

/* The header line of the table in fd (without "\n"), into line. */
static int header_of(int fd, kstring_t *line)
{
    char buf[4096];
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, off);
        if (n < 0) return bcms_err(BCMS_EIO, "reading back the clinical table: %s", strerror(errno));
        char *nl = memchr(buf, '\n', (size_t)n);
        if (kputsn(buf, nl ? (size_t)(nl - buf) : (size_t)n, line) < 0) return BCMS_ENOMEM;
        if (nl || n == 0) return 0;
        off += n;
    }
}

/* The types of the derived fields are fixed, whatever the values of one cohort look like: every
 * field is quantitative (a few patients with EDSS 0, 1 and 2 only would otherwise read as a PLINK
 * binary column) except the *_event columns, binary coded 0/1 (a cohort where every patient had
 * the event holds only 1s, which the loader reads as PLINK's 1/2 coding: all controls). The names
 * come from the header line of the derived table in fd. */
static int read_typed(int fd, const char *name, bcms_pheno_table_t **t)
{
    bcms_pheno_opts_t o;
    kstring_t spec = {0, 0, NULL}, line = {0, 0, NULL};
    int rc;
    *t = NULL;
    bcms_pheno_opts_init(&o);
    rc = header_of(fd, &line);
    char *save = NULL, *tok = !rc && line.s ? strtok_r(line.s, "\t", &save) : NULL; /* "#IID" */
    while (!rc && tok && (tok = strtok_r(NULL, "\t", &save))) {
        size_t l = strlen(tok);
        int event = l > 6 && !strcmp(tok + l - 6, "_event");
        if (ksprintf(&spec, "%s%s=%s", spec.l ? "," : "", tok, event ? "binary" : "quantitative") < 0)
            rc = BCMS_ENOMEM;
    }
    if (!rc && spec.l) rc = bcms_pheno_opts_add_types(&o, spec.s);
    if (!rc) rc = bcms_pheno_table_read_fd(fd, name, &o, t);
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

/* Without --replace or --append, a derived name that is already stored (a phenotype file's
 * edss6_event, or an earlier derivation) is refused before anything is written, with the ways out. */
static int check_clashes(bcms_store_t *st, const bcms_pheno_table_t *t, const clin_opts_t *o)
{
    kstring_t names = {0, 0, NULL};
    MDB_txn *txn;
    int rc, n = 0;
    if ((rc = bcms_txn_begin(st, 1, &txn))) return rc;
    for (size_t j = 0; j < t->ncols && rc >= 0; j++) {
        if ((rc = bcms_pheno_exists(st, txn, t->cols[j].name)) == 1 && n++ < 8)
            ksprintf(&names, "%s%s", n > 1 ? ", " : "", t->cols[j].name);
    }
    mdb_txn_abort(txn);
    if (rc < 0) {
        free(names.s);
        return rc;
    }
    rc = 0;
    if (n)
        rc = bcms_err(BCMS_EEXIST, "%s already stores %d column%s named like derived fields (%s%s); nothing was written. Add "
                      "--prefix P%s to store the fields as P%s..., --replace to overwrite the stored columns, or "
                      "--append to add these patients to them (another cohort's visits)", bcms_store_path(st), n,
                      n == 1 ? "" : "s", names.s, n > 8 ? ", ..." : "", o->prefix[0] ? " (another one)" : "",
                      t->cols[0].name + strlen(o->prefix));
    free(names.s);
    return rc;
}

/* The provenance of every column: the visit table, not the scratch file. */
static int set_provenance(bcms_pheno_table_t *t, const char *visits_path)
{
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    stat(visits_path, &sb);
    free(t->path);
    if (!(t->path = strdup(visits_path))) return BCMS_ENOMEM;
    for (size_t j = 0; j < t->ncols; j++) {
        free(t->cols[j].source);
        t->cols[j].source_size = (uint64_t)sb.st_size;
        t->cols[j].source_mtime = (int64_t)sb.st_mtime;
        if (!(t->cols[j].source = strdup(visits_path))) return BCMS_ENOMEM;
    }
    return 0;
}

int clin_store(bcms_store_t *st, const clin_opts_t *o, const visits_data_t *d, const char *visits_path, int mode,
               const char *command, size_t *ncols)
{
    bcms_pheno_table_t *t = NULL;
    bcms_pheno_import_stats_t stats;
    int fd = -1, rc;
    if ((rc = bcms_pfile_scratch(bcms_store_path(st), &fd))) return rc;
    if ((rc = clin_write_fd(o, d, fd))) goto done;
    if ((rc = read_typed(fd, visits_path, &t))) goto done;
    if ((rc = set_provenance(t, visits_path))) goto done;
    if (mode == BCMS_PHENO_REFUSE && (rc = check_clashes(st, t, o))) goto done;
    if ((rc = bcms_pheno_import(st, t, mode, command, &stats))) goto done;
    if (ncols) *ncols = stats.ncols;
done:
    bcms_pheno_table_free(t);
    if (fd >= 0) close(fd);
    return rc;
}
