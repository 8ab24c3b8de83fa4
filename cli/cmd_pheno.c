/* cmd_pheno.c: bcms pheno STORE FILE [--replace | --append] [--type NAME=TYPE] [--columns A,B]
 *              bcms pheno STORE --list
 *              bcms pheno STORE --export A[,B...] [-o OUT]
 * Store the columns of a PLINK 2 style phenotype/covariate table (loaders/pheno_table.h) in the
 * pheno table of a store, list the stored columns, or write stored columns back as a table.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dataset.h"
#include "err.h"
#include "outfile.h"
#include "pheno.h"
#include "pheno_table.h"
#include "store.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: bcms pheno STORE FILE [options]     store the columns of FILE (STORE created if absent)\n"
            "       bcms pheno STORE --list              list the stored columns\n"
            "       bcms pheno STORE --export A[,B...] [-o OUT]  write stored columns as a #IID table\n\n"
            "FILE is a PLINK 2 style table: a header #IID or #FID IID (the FID is ignored: the IID names the\n"
            "sample) and one column per phenotype or covariate, tab- or space-separated, missing values\n"
            "NA, -9, '.' or empty; a PLINK 1 .fam (stored as sex and PHENO1) or a headerless FID IID v1 v2 ...\n"
            "file (columns PHENO1, PHENO2 ...) is read too. A STORE path that exists must be a store.\n"
            "Types are detected: binary when the values are 1/2 (control/case) or\n"
            "0/1; quantitative when numeric; categorical otherwise (levels in sort order, the first is the\n"
            "reference). All columns are stored in one transaction: on any error nothing is written.\n\n"
            "Options:\n"
            "  --type NAME=TYPE[,...]  force a column's type: quantitative, binary or categorical\n"
            "  --columns A[,B...]      store only these columns\n"
            "  --decimal-comma         numbers are written with a decimal comma (6,14), as spreadsheets\n"
            "                          in Italian and other locales export them\n"
            "  --replace               overwrite columns already stored under the same names\n"
            "  --append                add this file's samples to columns already stored under the same names\n"
            "                          (another cohort: same type, no sample with two different values)\n"
            "  --list                  list stored columns: name, type, coding/levels, values, provenance\n"
            "  --export A[,B...]       print stored columns over the registered samples that have a value\n"
            "  -o, --out FILE          --export: write FILE (owner-only, mode 0600, complete or absent) instead\n"
            "                          of stdout\n");
}

static int list_columns(bcms_store_t *st)
{
    MDB_txn *txn;
    bcms_pheno_col_t *cols;
    size_t n;
    int rc;
    if ((rc = bcms_txn_begin(st, 1, &txn))) return rc;
    rc = bcms_pheno_list(st, txn, &cols, &n);
    mdb_txn_abort(txn);
    if (rc) return rc;
    printf("#NAME\tTYPE\tCODING\tN\tSOURCE\tSOURCE_SIZE\tSOURCE_MTIME\tIMPORTED_AT\tCOMMAND\n");
    for (size_t i = 0; i < n; i++) {
        const bcms_pheno_col_t *c = &cols[i];
        char mt[32] = "?";
        time_t m = (time_t)c->source_mtime;
        struct tm tmv;
        if (gmtime_r(&m, &tmv)) strftime(mt, sizeof mt, "%Y-%m-%dT%H:%M:%SZ", &tmv);
        printf("%s\t%s\t", c->name, bcms_pheno_type_name(c->type));
        if (c->type == BCMS_PHENO_BINARY) fputs(c->coding == BCMS_PHENO_CODING_01 ? "0/1" : "1/2", stdout);
        else if (c->type == BCMS_PHENO_CATEGORICAL)
            for (uint32_t k = 0; k < c->nlevels; k++) printf("%s%s", k ? "," : "", c->levels[k]);
        else fputc('.', stdout);
        printf("\t%zu\t%s\t%llu\t%s\t%s\t%s\n", c->n_present, c->source, (unsigned long long)c->source_size, mt,
               c->imported_at, c->command);
    }
    bcms_pheno_list_free(cols, n);
    return 0;
}

static int export_columns(bcms_store_t *st, const bcms_pheno_opts_t *names, FILE *fp)
{
    MDB_txn *txn = NULL;
    bcms_pheno_col_t *cols;
    size_t ns = 0;
    int rc = 0;
    char buf[32];
    if (!(cols = calloc(names->n_columns, sizeof *cols))) return BCMS_ENOMEM;
    if ((rc = bcms_txn_begin(st, 1, &txn))) {
        txn = NULL;
        goto done;
    }
    for (size_t j = 0; j < names->n_columns; j++)
        if ((rc = bcms_pheno_load(st, txn, names->columns[j], &cols[j]))) goto done;
    ns = cols[0].n;
    fputs("#IID", fp);
    for (size_t j = 0; j < names->n_columns; j++) fprintf(fp, "\t%s", cols[j].name);
    fputc('\n', fp);
    for (size_t k = 0; k < ns; k++) {
        const char *iid;
        size_t len;
        int any = 0;
        for (size_t j = 0; j < names->n_columns; j++) any |= !isnan(cols[j].v[k]);
        if (!any) continue;
        if ((rc = bcms_sample_name(st, txn, (uint32_t)k, &iid, &len))) goto done;
        fprintf(fp, "%.*s", (int)len, iid);
        for (size_t j = 0; j < names->n_columns; j++) fprintf(fp, "\t%s", bcms_pheno_value_str(&cols[j], cols[j].v[k], buf));
        fputc('\n', fp);
    }
    if (fflush(fp) || ferror(fp)) rc = bcms_err(BCMS_EIO, "writing the export failed: %s", strerror(errno));
done:
    if (txn) mdb_txn_abort(txn);
    for (size_t j = 0; j < names->n_columns; j++) bcms_pheno_col_clear(&cols[j]);
    free(cols);
    return rc;
}

/* --export to a file: owner-only (per-patient data), complete or absent. */
static int export_to_file(bcms_store_t *st, const bcms_pheno_opts_t *names, const char *path)
{
    bcms_outfile_t *f;
    size_t len = 0;
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, &len);
    int rc;
    if (!mem) return bcms_err(BCMS_ENOMEM, "out of memory");
    rc = export_columns(st, names, mem);
    if (fclose(mem) && !rc) rc = bcms_err(BCMS_ENOMEM, "out of memory building the export");
    if (!rc && !(rc = bcms_outfile_open(path, BCMS_OUT_PRIVATE, &f))) {
        if ((rc = bcms_outfile_write(f, buf, len))) bcms_outfile_abort(f);
        else rc = bcms_outfile_commit(f);
    }
    free(buf);
    return rc;
}

/* A path that exists must be a store: phenotypes never create a store inside another directory
 * (a mistyped path next to one's data). An empty directory, or no file at all, is a new store. */
static int check_store_path(const char *path)
{
    struct stat sb;
    char *data = NULL;
    int rc = 0;
    if (stat(path, &sb)) return 0;
    if (!S_ISDIR(sb.st_mode)) return 0; /* bcms_store_open names it */
    if (asprintf(&data, "%s/data.mdb", path) < 0) return BCMS_ENOMEM;
    if (access(data, F_OK)) {
        DIR *d = opendir(path);
        struct dirent *e;
        int entries = 0;
        while (d && (e = readdir(d)))
            entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        if (d) closedir(d);
        if (!d || entries)
            rc = bcms_err(BCMS_EFOREIGN, "%s is a directory but not a bcms store (no data.mdb); nothing was written. "
                          "Give the store's path, or a new path to start a store with phenotypes", path);
    }
    free(data);
    return rc;
}

/* Not one row named a sample the store's genotypes have: most often the IIDs are spelled otherwise
 * (plink2 --export vcf names a sample FID_IID when it has a FID; a centre prefix; chr-style names). */
static void warn_no_overlap(bcms_store_t *st, const char *file, size_t nrows)
{
    MDB_txn *txn = NULL;
    bcms_dataset_t *ds = NULL;
    int nds = 0;
    unsigned long long ngt = 0;
    if (bcms_txn_begin(st, 1, &txn)) return;
    if (!bcms_dataset_list(st, txn, &ds, &nds))
        for (int i = 0; i < nds; i++) ngt += ds[i].nsamples;
    bcms_dataset_list_free(ds, nds);
    mdb_txn_abort(txn);
    if (ngt)
        fprintf(stderr, "[bcms pheno] warning: none of the %zu samples of %s has genotypes in the store (%llu genotyped "
                "sample%s): check the IIDs against the VCF's (`bcftools query -l`; plink2 --export vcf names a sample "
                "FID_IID when it has a family ID; an import with --iid-prefix adds a prefix)\n", nrows, file, ngt,
                ngt == 1 ? "" : "s");
}

/* Store the columns of file in the store at path. The whole file is read before the store is
 * touched: a bad file never creates or changes one. */
static int store_file(const char *path, const char *file, const bcms_pheno_opts_t *o, int mode)
{
    bcms_pheno_table_t *t = NULL;
    bcms_pheno_import_stats_t stats;
    bcms_store_t *st = NULL;
    char *cmdline = NULL;
    int rc;
    if ((rc = bcms_pheno_table_read(file, o, &t))) return rc;
    if ((rc = check_store_path(path)) || (rc = bcms_store_open(path, BCMS_STORE_CREATE, &st))) goto done;
    if (!(cmdline = cli_command_line())) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if ((rc = bcms_pheno_import(st, t, mode, cmdline, &stats))) goto done;
    fprintf(stderr, "[bcms pheno] %s: %zu rows (%zu samples new to the store), %zu column%s stored (%zu replaced, "
            "%zu appended):", t->path, stats.nrows, stats.new_samples, stats.ncols, stats.ncols == 1 ? "" : "s",
            stats.replaced, stats.appended);
    for (size_t j = 0; j < t->ncols; j++)
        fprintf(stderr, " %s=%s/%zu", t->cols[j].name, bcms_pheno_type_name(t->cols[j].type), t->cols[j].n_present);
    fputc('\n', stderr);
    if (stats.nrows && stats.new_samples == stats.nrows) warn_no_overlap(st, t->path, stats.nrows);
done:
    bcms_pheno_table_free(t);
    bcms_store_close(st);
    free(cmdline);
    return rc;
}

int cmd_pheno(int argc, char **argv)
{
    enum { OPT_TYPE = 1000, OPT_COLUMNS, OPT_REPLACE, OPT_APPEND, OPT_LIST, OPT_EXPORT, OPT_DCOMMA };
    static const struct option lo[] = {{"type", required_argument, 0, OPT_TYPE},
                                       {"decimal-comma", no_argument, 0, OPT_DCOMMA},
                                       {"out", required_argument, 0, 'o'},
                                       {"columns", required_argument, 0, OPT_COLUMNS},
                                       {"replace", no_argument, 0, OPT_REPLACE},
                                       {"append", no_argument, 0, OPT_APPEND},
                                       {"list", no_argument, 0, OPT_LIST},
                                       {"export", required_argument, 0, OPT_EXPORT},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    bcms_pheno_opts_t o, ex;
    bcms_store_t *st = NULL;
    const char *out = NULL;
    int c, rc, mode = BCMS_PHENO_REFUSE, nmode = 0, list = 0, status = 0;

    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    bcms_pheno_opts_init(&o);
    bcms_pheno_opts_init(&ex);
    while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
        switch (c) {
        case OPT_DCOMMA: o.decimal_comma = 1; break;
        case 'o': out = optarg; break;
        case OPT_TYPE:
            if ((rc = bcms_pheno_opts_add_types(&o, optarg))) goto bad_option;
            break;
        case OPT_COLUMNS:
            if ((rc = bcms_pheno_opts_add_columns(&o, optarg))) goto bad_option;
            break;
        case OPT_EXPORT:
            if ((rc = bcms_pheno_opts_add_columns(&ex, optarg))) goto bad_option;
            break;
        case OPT_REPLACE: mode = BCMS_PHENO_REPLACE, nmode++; break;
        case OPT_APPEND: mode = BCMS_PHENO_APPEND, nmode++; break;
        case OPT_LIST: list = 1; break;
        case 'h':
            usage(stdout);
            goto out;
        default:
            usage(stderr);
            status = 2;
            goto out;
        }
    }
    if (list || ex.n_columns) {
        if (argc - optind != 1 || (list && ex.n_columns)) {
            status = cli_usage_error("pheno", "--list and --export take STORE only, one at a time (see bcms pheno --help)");
            goto out;
        }
        if (out && list) {
            status = cli_usage_error("pheno", "-o goes with --export");
            goto out;
        }
        if ((rc = bcms_store_open(argv[optind], BCMS_STORE_RDONLY, &st))) goto fail;
        if ((rc = list ? list_columns(st) : out ? export_to_file(st, &ex, out) : export_columns(st, &ex, stdout)))
            goto fail;
        goto out;
    }
    if (out) {
        status = cli_usage_error("pheno", "-o goes with --export");
        goto out;
    }
    if (argc - optind != 2) {
        status = cli_usage_error("pheno", "expected STORE and FILE (see bcms pheno --help)");
        goto out;
    }
    if (nmode > 1) {
        status = cli_usage_error("pheno", "--replace and --append exclude each other");
        goto out;
    }
    if ((rc = store_file(argv[optind], argv[optind + 1], &o, mode))) goto fail;
    goto out;
bad_option:
    if (rc != BCMS_EINVAL) goto fail;
    status = cli_usage_error("pheno", "%s", bcms_err_detail());
    goto out;
fail:
    status = cli_fail("pheno", rc);
out:
    bcms_store_close(st);
    bcms_pheno_opts_free(&o);
    bcms_pheno_opts_free(&ex);
    return status;
}
