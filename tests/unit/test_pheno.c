/* test_pheno.c: the PLINK 2 style phenotype table parser (headers, separators, line ends, type
 * detection, coding, levels, every error kind) and the pheno table of the store (round trip,
 * listing, refusal without --replace, projection of a file onto the registry, damaged records).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "err.h"
#include "pheno.h"
#include "pheno_table.h"
#include "store.h"

static int n_fail, n_check;

#define CHECK(cond, ...)                                                                                      \
    do {                                                                                                      \
        n_check++;                                                                                            \
        if (!(cond)) {                                                                                        \
            n_fail++;                                                                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                              \
            fprintf(stderr, __VA_ARGS__);                                                                     \
            fputc('\n', stderr);                                                                              \
        }                                                                                                     \
    } while (0)

static char tmpdir[4096];
static int n_warn;
static char last_warn[1024];

static void count_warnings(int level, const char *msg, void *ud)
{
    (void)ud;
    if (level == BCMS_LOG_WARN) {
        n_warn++;
        snprintf(last_warn, sizeof last_warn, "%s", msg);
    }
}

static const char *write_file(const char *name, const char *text)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fputs(text, fp);
    fclose(fp);
    return path;
}

static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* Read text as a table with optional --type/--columns specs; returns the code. */
static int read_text(const char *text, const char *types, const char *columns, bcms_pheno_table_t **t)
{
    bcms_pheno_opts_t o;
    int rc;
    bcms_pheno_opts_init(&o);
    if (types && (rc = bcms_pheno_opts_add_types(&o, types))) return rc;
    if (columns && (rc = bcms_pheno_opts_add_columns(&o, columns))) return rc;
    rc = bcms_pheno_table_read(write_file("t.tsv", text), &o, t);
    bcms_pheno_opts_free(&o);
    return rc;
}

static const bcms_pheno_col_t *col_of(const bcms_pheno_table_t *t, const char *name)
{
    long j = bcms_pheno_table_col(t, name);
    return j < 0 ? NULL : &t->cols[j];
}

static void test_types(void)
{
    bcms_pheno_table_t *t;
    const bcms_pheno_col_t *c;
    int rc;
    n_warn = 0;
    rc = read_text("#IID\tq\tb12\tb01\tb012\tcat\tneg9\n"
                   "S1\t1.5\t1\t0\t0\tmainland\t-9\n"
                   "S2\t-2e1\t2\t1\t1\tisolate\t3.25\n"
                   "S3\tNA\t-9\t.\t2\tNA\t-9.0\n"
                   "S4\t\t0\t1\t1\t\t7\n"
                   "S5\t0.25\t.\t0\t2\tcontinental\t\n",
                   NULL, NULL, &t);
    CHECK(rc == 0, "basic table: %s", bcms_err_detail());
    if (rc) return;
    CHECK(t->nrows == 5 && t->ncols == 6, "shape %zu x %zu", t->nrows, t->ncols);
    CHECK(!strcmp(t->iid[0], "S1") && !strcmp(t->iid[4], "S5"), "IIDs");
    CHECK(bcms_pheno_table_row(t, "S4") == 3 && bcms_pheno_table_row(t, "S9") == -1, "row lookup");

    c = col_of(t, "q");
    CHECK(c && c->type == BCMS_PHENO_QUANTITATIVE, "q quantitative");
    CHECK(c && same(c->v[0], 1.5) && same(c->v[1], -20) && isnan(c->v[2]) && isnan(c->v[3]) && same(c->v[4], 0.25) &&
          c->n_present == 3, "q values");

    /* 0/1/2 read as 1/2 with 0 as missing (PLINK): S4's 0 is missing, values become 0/1 */
    c = col_of(t, "b12");
    CHECK(c && c->type == BCMS_PHENO_BINARY && c->coding == BCMS_PHENO_CODING_12, "b12 binary 1/2");
    CHECK(c && same(c->v[0], 0) && same(c->v[1], 1) && isnan(c->v[2]) && isnan(c->v[3]) && isnan(c->v[4]),
          "b12 values %g %g %g %g %g", c->v[0], c->v[1], c->v[2], c->v[3], c->v[4]);

    c = col_of(t, "b01");
    CHECK(c && c->type == BCMS_PHENO_BINARY && c->coding == BCMS_PHENO_CODING_01, "b01 binary 0/1");
    CHECK(c && same(c->v[0], 0) && same(c->v[1], 1) && isnan(c->v[2]) && same(c->v[3], 1) && same(c->v[4], 0),
          "b01 values");

    /* 0/1/2: PLINK's reading, 1/2 with 0 missing, and a warning naming the column */
    c = col_of(t, "b012");
    CHECK(c && c->type == BCMS_PHENO_BINARY && c->coding == BCMS_PHENO_CODING_12, "b012 binary 1/2");
    CHECK(c && isnan(c->v[0]) && same(c->v[1], 0) && same(c->v[2], 1) && same(c->v[3], 0) && same(c->v[4], 1),
          "b012 values");
    CHECK(n_warn == 2 && strstr(last_warn, "'b012'"), "warnings for b12 and b012 (%d: %s)", n_warn, last_warn);

    c = col_of(t, "cat");
    CHECK(c && c->type == BCMS_PHENO_CATEGORICAL && c->nlevels == 3, "cat categorical, 3 levels");
    CHECK(c && c->nlevels == 3 && !strcmp(c->levels[0], "continental") && !strcmp(c->levels[1], "isolate") &&
          !strcmp(c->levels[2], "mainland"), "levels in strcmp order");
    CHECK(c && same(c->v[0], 2) && same(c->v[1], 1) && isnan(c->v[2]) && isnan(c->v[3]) && same(c->v[4], 0),
          "cat level indexes");

    /* -9, -9.0 and the empty field are missing in a numeric column */
    c = col_of(t, "neg9");
    CHECK(c && c->type == BCMS_PHENO_QUANTITATIVE && c->n_present == 2 && isnan(c->v[0]) && isnan(c->v[2]) &&
          isnan(c->v[4]), "neg9 missing values");
    CHECK(c && !strcmp(c->source, t->path) && c->source_rows == 5 && c->source_size > 0, "provenance");
    bcms_pheno_table_free(t);

    /* value text: binary written back in its file's coding, numbers round-trip */
    {
        bcms_pheno_col_t b = {0};
        char buf[32];
        b.type = BCMS_PHENO_BINARY, b.coding = BCMS_PHENO_CODING_12;
        CHECK(!strcmp(bcms_pheno_value_str(&b, 1, buf), "2"), "binary 1/2 text");
        b.coding = BCMS_PHENO_CODING_01;
        CHECK(!strcmp(bcms_pheno_value_str(&b, 1, buf), "1"), "binary 0/1 text");
        b.type = BCMS_PHENO_QUANTITATIVE;
        CHECK(!strcmp(bcms_pheno_value_str(&b, 6.14, buf), "6.14"), "6.14 text");
        CHECK(strtod(bcms_pheno_value_str(&b, 0.1 + 0.2, buf), NULL) == 0.1 + 0.2, "0.1+0.2 round trip");
        CHECK(!strcmp(bcms_pheno_value_str(&b, NAN, buf), "NA"), "NA text");
    }
}

static void test_headers(void)
{
    bcms_pheno_table_t *t;
    int rc;
    /* #FID IID, space-separated (runs of spaces), CRLF, a UTF-8 BOM, ## lines and blank lines */
    rc = read_text("\xef\xbb\xbf## made by hand\r\n#FID  IID   y  z\r\n F1 A   1.5 x\r\n\r\nF1   B 2.0  y\r\n", NULL,
                   NULL, &t);
    CHECK(rc == 0, "#FID IID spaces CRLF: %s", bcms_err_detail());
    if (!rc) {
        CHECK(t->nrows == 2 && t->ncols == 2 && !strcmp(t->iid[1], "B"), "FID IID rows");
        CHECK(!strcmp(t->cols[0].name, "y") && t->cols[0].type == BCMS_PHENO_QUANTITATIVE && t->cols[0].v[1] == 2.0,
              "y quantitative");
        CHECK(t->cols[1].type == BCMS_PHENO_CATEGORICAL && !strcmp(t->cols[1].levels[1], "y"), "z categorical no CR");
        bcms_pheno_table_free(t);
    }
    rc = read_text("FID\tIID\ty\nF\tA\t1\nF\tB\t2\n", NULL, NULL, &t);
    CHECK(rc == 0 && t->ncols == 1 && t->cols[0].type == BCMS_PHENO_BINARY, "FID IID without #");
    if (!rc) bcms_pheno_table_free(t);
    rc = read_text("IID y\nA 3\nB 4", NULL, NULL, &t); /* no final newline */
    CHECK(rc == 0 && t->nrows == 2 && t->cols[0].v[1] == 4, "IID without #, last line unterminated");
    if (!rc) bcms_pheno_table_free(t);
    /* tab-separated: spaces inside a field are trimmed, an empty field is missing */
    rc = read_text("#IID\ty\tz\nA\t 5 \t\nB\t\t6\n", NULL, NULL, &t);
    CHECK(rc == 0 && t->cols[0].v[0] == 5 && isnan(t->cols[0].v[1]) && isnan(t->cols[1].v[0]) && t->cols[1].v[1] == 6,
          "tab fields trimmed, empty missing");
    if (!rc) bcms_pheno_table_free(t);

    /* gzip-compressed input */
    {
        char path[4200];
        snprintf(path, sizeof path, "%s/t.tsv.gz", tmpdir);
        gzFile gz = gzopen(path, "wb");
        gzputs(gz, "#IID\tsev\nA\t1.25\nB\tNA\n");
        gzclose(gz);
        rc = bcms_pheno_table_read(path, NULL, &t);
        CHECK(rc == 0 && t->nrows == 2 && t->cols[0].v[0] == 1.25, "gzip input: %s", bcms_err_detail());
        if (!rc) bcms_pheno_table_free(t);
    }
}

static void test_options(void)
{
    bcms_pheno_table_t *t;
    int rc;
    const char *text = "#IID\tcount\tsex\tgrade\tpop\nA\t0\t1\t1\tx\nB\t1\t2\t10\ty\nC\t2\t2\t2\tx\n";
    n_warn = 0;
    rc = read_text(text, "count=quantitative,grade=categorical", "pop,grade,count", &t);
    CHECK(rc == 0, "forced types: %s", bcms_err_detail());
    if (!rc) {
        CHECK(t->ncols == 3 && !strcmp(t->cols[0].name, "pop") && !strcmp(t->cols[1].name, "grade") &&
              !strcmp(t->cols[2].name, "count"), "--columns order");
        CHECK(t->cols[2].type == BCMS_PHENO_QUANTITATIVE && t->cols[2].v[0] == 0 && t->cols[2].n_present == 3,
              "0/1/2 forced quantitative keeps 0");
        CHECK(n_warn == 0, "no 0/1/2 warning when forced quantitative");
        /* categorical levels sort as strings: "1" < "10" < "2" */
        CHECK(t->cols[1].type == BCMS_PHENO_CATEGORICAL && t->cols[1].nlevels == 3 &&
              !strcmp(t->cols[1].levels[1], "10") && t->cols[1].v[2] == 2, "numeric categorical levels by strcmp");
        bcms_pheno_table_free(t);
    }
    rc = read_text(text, "sex=b", NULL, &t);
    CHECK(rc == 0 && t->cols[1].type == BCMS_PHENO_BINARY && t->cols[1].coding == BCMS_PHENO_CODING_12,
          "forced binary");
    if (!rc) bcms_pheno_table_free(t);
    bcms_pheno_opts_t o;
    bcms_pheno_opts_init(&o);
    CHECK(bcms_pheno_opts_add_types(&o, "x=ordinal") == BCMS_EINVAL, "unknown type name");
    CHECK(bcms_pheno_opts_add_types(&o, "=binary") == BCMS_EINVAL, "type without a name");
    CHECK(bcms_pheno_opts_add_columns(&o, "a,,b") == BCMS_EINVAL, "empty --columns item");
    CHECK(bcms_pheno_opts_add_columns(&o, "a,a") == BCMS_EINVAL, "repeated --columns item");
    bcms_pheno_opts_free(&o);
}

/* The input must be rejected with code and a detail containing every piece of want. */
static void expect_error(const char *what, const char *text, const char *types, const char *columns, int code,
                         const char *want1, const char *want2)
{
    bcms_pheno_table_t *t = (void *)1;
    int rc = read_text(text, types, columns, &t);
    const char *d = bcms_err_detail();
    CHECK(rc == code, "%s: code %d, want %d (%s)", what, rc, code, d);
    CHECK(t == NULL, "%s: table returned", what);
    CHECK(!want1 || strstr(d, want1), "%s: detail '%s' lacks '%s'", what, d, want1);
    CHECK(!want2 || strstr(d, want2), "%s: detail '%s' lacks '%s'", what, d, want2);
    if (!rc && t) bcms_pheno_table_free(t);
}

static void test_errors(void)
{
    expect_error("duplicate IID", "#IID\ty\nA\t1\nB\t2\n\nA\t3\n", NULL, NULL, BCMS_EINPUT, "t.tsv:5:", "line 2");
    expect_error("duplicate IID under different FIDs", "#FID IID y\nF1 A 1\nF2 A 2\n", NULL, NULL, BCMS_EINPUT,
                 "t.tsv:3:", "FID is ignored");
    expect_error("duplicate column", "#IID\ty\tz\ty\nA\t1\t2\t3\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", "'y'");
    expect_error("column named IID", "#IID\tIID\nA\t1\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", "'IID'");
    expect_error("too few fields", "#IID\ty\tz\nA\t1\t2\nB\t1\n", NULL, NULL, BCMS_EINPUT, "t.tsv:3:", "2 fields");
    expect_error("too many fields", "#IID y\nA 1\nB 1 2\n", NULL, NULL, BCMS_EINPUT, "t.tsv:3:", "3 fields");
    expect_error("non-number in forced quantitative", "#IID\ty\nA\t1\nB\tabc\n", "y=quantitative", NULL, BCMS_EINPUT,
                 "t.tsv:3:", "'abc'");
    expect_error("non-number in forced binary", "#IID\ty\nA\t1\nB\tcase\n", "y=binary", NULL, BCMS_EINPUT, "t.tsv:3:",
                 "'y'");
    expect_error("3 in forced binary", "#IID\ty\nA\t1\nB\t2\nC\t3\n", "y=binary", NULL, BCMS_EINPUT, "t.tsv:4:",
                 "'3'");
    expect_error("no IID header", "#SAMPLE\ty\nA\t1\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", "#IID");
    expect_error("FID without IID", "#FID\ty\nA\t1\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", "#FID IID");
    expect_error("no columns", "#IID\nA\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", "no phenotype");
    expect_error("no rows", "#IID\ty\n\n", NULL, NULL, BCMS_EINPUT, "no data rows", NULL);
    expect_error("empty file", "", NULL, NULL, BCMS_EINPUT, "empty file", NULL);
    expect_error("missing IID", "#IID\ty\nA\t1\nNA\t2\n", NULL, NULL, BCMS_EINPUT, "t.tsv:3:", "IID");
    expect_error("comma in a column name", "#IID\ta,b\nA\t1\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", "a,b");
    expect_error("--type names no column", "#IID\ty\nA\t1\n", "w=binary", NULL, BCMS_EINVAL, "'w'", NULL);
    expect_error("--columns names no column", "#IID\ty\nA\t1\n", NULL, "y,w", BCMS_EINVAL, "'w'", NULL);
    {
        bcms_pheno_table_t *t = (void *)1;
        char path[4200];
        snprintf(path, sizeof path, "%s/absent.tsv", tmpdir);
        CHECK(bcms_pheno_table_read(path, NULL, &t) == BCMS_EIO && t == NULL && strstr(bcms_err_detail(), "absent.tsv"),
              "absent file");
        CHECK(bcms_pheno_table_read(tmpdir, NULL, &t) == BCMS_EIO, "directory");
    }
}

/* Numbers as spreadsheets and PLINK 1 write them: decimal commas, non-finite cells, .fam and
 * headerless files, the IID length limit. */
static void test_real_files(void)
{
    bcms_pheno_table_t *t = NULL;
    bcms_pheno_opts_t o;
    const bcms_pheno_col_t *c;
    bcms_pheno_opts_init(&o);
    o.decimal_comma = 1;
    CHECK(!bcms_pheno_table_read(write_file("dc.tsv", "#IID\tq\tb\tk\nA\t6,14\t1\t1.234,5\nB\t-0,5\t2\t7\n"), &o, &t),
          "decimal commas read with the option: %s", bcms_err_detail());
    if (t) {
        c = col_of(t, "q");
        CHECK(c && c->type == BCMS_PHENO_QUANTITATIVE && c->v[0] == 6.14 && c->v[1] == -0.5, "6,14 -> 6.14");
        c = col_of(t, "k");
        CHECK(c && c->v[0] == 1234.5 && c->v[1] == 7, "thousands dots: 1.234,5 -> 1234.5");
        c = col_of(t, "b");
        CHECK(c && c->type == BCMS_PHENO_BINARY, "integers still typed binary");
    }
    bcms_pheno_table_free(t);
    t = NULL;
    bcms_pheno_opts_free(&o);
    expect_error("decimal comma without the option", "#IID\tq\nA\t1\nB\t6,14\n", NULL, NULL, BCMS_EINPUT, "t.tsv:3:",
                 "--decimal-comma");
    expect_error("decimal comma in a forced quantitative column", "#IID\tq\nA\t6,14\n", "q=quantitative", NULL,
                 BCMS_EINPUT, "t.tsv:2:", "decimal comma");
    expect_error("inf", "#IID\tq\nA\t1\nB\t-Infinity\n", NULL, NULL, BCMS_EINPUT, "t.tsv:3:", "not a finite number");
    expect_error("overflow", "#IID\tq\nA\t1\nB\t1e400\n", NULL, NULL, BCMS_EINPUT, "t.tsv:3:", "'1e400'");
    expect_error("a word among numbers", "#IID\tq\nA\t1\nB\t2\nC\tmissing\n", NULL, NULL, BCMS_EINPUT, "t.tsv:4:",
                 "'missing'");
    CHECK(!read_text("#IID\tq\nA\t1\nB\tinf\n", "q=categorical", NULL, &t) && t && t->cols[0].nlevels == 2,
          "forced categorical: inf is a level");
    bcms_pheno_table_free(t);
    t = NULL;
    CHECK(!read_text("#IID\tlab\nA\tx\nB\ty\nC\t3\n", NULL, NULL, &t) && t &&
              t->cols[0].type == BCMS_PHENO_CATEGORICAL, "mostly words: categorical");
    bcms_pheno_table_free(t);
    t = NULL;

    /* a .fam: sex and PHENO1, PLINK 1/2 coded with 0 missing even when only 0/1 appear */
    CHECK(!bcms_pheno_table_read(write_file("x.fam", "F1 A 0 0 1 1\nF2 B P M 2 0\nF3 C 0 0 0 1\n"), NULL, &t),
          ".fam read: %s", bcms_err_detail());
    if (t) {
        CHECK(t->ncols == 2 && col_of(t, "sex") && col_of(t, "PHENO1") && !col_of(t, "PAT"), ".fam columns");
        c = col_of(t, "sex");
        CHECK(c && c->type == BCMS_PHENO_BINARY && c->coding == BCMS_PHENO_CODING_12 && c->v[0] == 0 && c->v[1] == 1 &&
                  isnan(c->v[2]), "sex 1/2/0 -> male, female, unknown");
        c = col_of(t, "PHENO1");
        CHECK(c && c->coding == BCMS_PHENO_CODING_12 && c->v[0] == 0 && isnan(c->v[1]), ".fam phenotype 0 is missing");
        CHECK(t->lineno[2] == 3, "line numbers kept");
    }
    bcms_pheno_table_free(t);
    t = NULL;
    expect_error("a one-word file", "x\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", NULL);
    {
        bcms_pheno_table_t *u = (void *)1;
        CHECK(bcms_pheno_table_read(write_file("y.fam", "F1 A 0 0 1\n"), NULL, &u) == BCMS_EINPUT && !u &&
                  strstr(bcms_err_detail(), "6 fields"), ".fam with 5 fields refused");
    }
    /* headerless FID IID v1 v2 */
    bcms_pheno_opts_init(&o);
    snprintf(o.unnamed_prefix, sizeof o.unnamed_prefix, "COVAR");
    CHECK(!bcms_pheno_table_read(write_file("nh.txt", "F1 A 1.5 NA\nF2 B 2.5 3\n"), &o, &t), "headerless: %s",
          bcms_err_detail());
    if (t) CHECK(t->nrows == 2 && col_of(t, "COVAR1") && col_of(t, "COVAR2") && col_of(t, "COVAR1")->v[0] == 1.5,
                 "headerless columns COVAR1, COVAR2");
    bcms_pheno_table_free(t);
    t = NULL;
    bcms_pheno_opts_free(&o);
    expect_error("a header of words", "sample age\nA 30\n", NULL, NULL, BCMS_EINPUT, "t.tsv:1:", "#IID");

    /* IIDs up to the LMDB key size */
    char *text = malloc(700);
    if (text) {
        memset(text, 'x', 700);
        memcpy(text, "#IID\ty\n", 7);
        text[7 + 511] = 0;
        strcat(text, "\t1\n");
        CHECK(!read_text(text, NULL, NULL, &t) && t && strlen(t->iid[0]) == 511, "511-byte IID accepted");
        bcms_pheno_table_free(t);
        t = NULL;
        memset(text + 7, 'x', 600);
        memcpy(text + 7 + 512, "\t1\n", 4);
        text[7 + 516] = 0;
        expect_error("512-byte IID", text, NULL, NULL, BCMS_EINPUT, "t.tsv:2:", "512 bytes long");
        free(text);
    }
}

/* ---- the store ---- */

/* Number of history lines of the store (meta counter history_n, big-endian u32; 0 if absent). */
static int history_count(bcms_store_t *st)
{
    MDB_txn *txn;
    MDB_val k = {9, "history_n"}, v;
    int n = 0;
    if (bcms_txn_begin(st, 1, &txn)) return -1;
    if (!mdb_get(txn, bcms_store_dbi(st, DBI_META), &k, &v) && v.mv_size == 4) {
        const uint8_t *b = v.mv_data;
        n = (int)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
    }
    mdb_txn_abort(txn);
    return n;
}

static void test_store(void)
{
    char path[4200];
    bcms_store_t *st = NULL;
    bcms_pheno_table_t *t = NULL, *t2 = NULL;
    bcms_pheno_import_stats_t stats;
    bcms_pheno_col_t col = {0}, *list = NULL;
    MDB_txn *txn;
    uint32_t g0, num;
    size_t n, unmatched;
    int rc;

    snprintf(path, sizeof path, "%s/unit.bcms", tmpdir);
    rc = bcms_store_open(path, BCMS_STORE_CREATE, &st);
    CHECK(rc == 0, "create store: %s", bcms_err_detail());
    if (rc) return;
    /* a genotyped sample already registered (number 0), as after bcms import */
    CHECK(!bcms_txn_begin(st, 0, &txn) && !bcms_sample_intern(st, txn, "G0", &g0, NULL) && !bcms_txn_commit(txn),
          "register G0");
    CHECK(!read_text("#IID\tsev\tcase\tpop\nB\t2.5\t2\tx\nG0\tNA\t1\ty\nC\t-1e-3\t.\tx\n", NULL, NULL, &t), "table");
    if (!t) goto done;
    rc = bcms_pheno_import(st, t, 0, "bcms pheno test", &stats);
    CHECK(rc == 0, "import: %s", bcms_err_detail());
    CHECK(stats.ncols == 3 && stats.nrows == 3 && stats.new_samples == 2 && stats.replaced == 0, "import stats");
    CHECK(history_count(st) == 1, "one history line");

    CHECK(!bcms_txn_begin(st, 1, &txn), "read txn");
    rc = bcms_pheno_load(st, txn, "sev", &col);
    CHECK(rc == 0 && col.n == 3 && col.type == BCMS_PHENO_QUANTITATIVE && col.n_present == 2, "load sev: %s",
          bcms_err_detail());
    CHECK(!bcms_sample_lookup(st, txn, "B", &num) && num == 1 && col.v && col.v[1] == 2.5, "B interned as 1, 2.5");
    CHECK(!bcms_sample_lookup(st, txn, "C", &num) && num == 2 && col.v && col.v[2] == -1e-3, "C value exact");
    CHECK(col.v && isnan(col.v[0]), "G0 missing");
    CHECK(col.source && !strcmp(col.source, t->path) && col.command && !strcmp(col.command, "bcms pheno test") &&
          col.tool && !strncmp(col.tool, "bcms ", 5) && col.imported_at && strlen(col.imported_at) == 20 &&
          col.source_rows == 3, "provenance round trip");
    bcms_pheno_col_clear(&col);
    rc = bcms_pheno_load(st, txn, "case", &col);
    CHECK(rc == 0 && col.type == BCMS_PHENO_BINARY && col.coding == BCMS_PHENO_CODING_12 && col.v[0] == 0 &&
          col.v[1] == 1 && isnan(col.v[2]), "load case");
    bcms_pheno_col_clear(&col);
    rc = bcms_pheno_load(st, txn, "pop", &col);
    CHECK(rc == 0 && col.type == BCMS_PHENO_CATEGORICAL && col.nlevels == 2 && !strcmp(col.levels[1], "y") &&
          col.v[0] == 1 && col.v[1] == 0, "load pop");
    bcms_pheno_col_clear(&col);
    rc = bcms_pheno_load(st, txn, "nope", &col);
    CHECK(rc == BCMS_ENOTFOUND && strstr(bcms_err_detail(), "case, pop, sev"), "absent column lists stored ones: %s",
          bcms_err_detail());
    rc = bcms_pheno_list(st, txn, &list, &n);
    CHECK(rc == 0 && n == 3 && !strcmp(list[0].name, "case") && list[0].n_present == 2 && list[0].v == NULL &&
          !strcmp(list[2].name, "sev") && !strcmp(list[1].levels[0], "x"), "list");
    bcms_pheno_list_free(list, n);
    mdb_txn_abort(txn);

    /* the same columns again: refused as a whole, store unchanged; with replace: overwritten */
    CHECK(!read_text("#IID\tnew\tsev\nB\t1\t7\nD\t2\t8\n", NULL, NULL, &t2), "second table");
    if (!t2) goto done;
    rc = bcms_pheno_import(st, t2, 0, NULL, NULL);
    CHECK(rc == BCMS_EEXIST && strstr(bcms_err_detail(), "sev") && strstr(bcms_err_detail(), "--replace"),
          "clash refused: %s", bcms_err_detail());
    CHECK(!bcms_txn_begin(st, 1, &txn), "read txn");
    CHECK(bcms_pheno_exists(st, txn, "new") == 0, "nothing of the refused file written");
    CHECK(bcms_sample_lookup(st, txn, "D", &num) == BCMS_ENOTFOUND, "no sample of the refused file interned");
    mdb_txn_abort(txn);
    CHECK(history_count(st) == 1, "no history line for the refused import");
    rc = bcms_pheno_import(st, t2, 1, NULL, &stats);
    CHECK(rc == 0 && stats.replaced == 1 && stats.new_samples == 1, "replace: %s", bcms_err_detail());
    CHECK(!bcms_txn_begin(st, 1, &txn), "read txn");
    rc = bcms_pheno_load(st, txn, "sev", &col);
    CHECK(rc == 0 && col.n == 4 && col.n_present == 2 && col.v[1] == 7 && isnan(col.v[2]) && col.v[3] == 8,
          "replaced column holds the new file only");
    bcms_pheno_col_clear(&col);

    /* a file projected onto the registry without interning (read-only scans) */
    rc = bcms_pheno_table_project(st, txn, t, 0, &col, &unmatched);
    CHECK(rc == 0 && unmatched == 0 && col.n == 4 && col.v[1] == 2.5 && isnan(col.v[3]), "project");
    bcms_pheno_col_clear(&col);
    mdb_txn_abort(txn);
    bcms_pheno_table_free(t2);
    t2 = NULL;
    CHECK(!read_text("#IID\ty\nZZ\t1\nC\t4\n", NULL, NULL, &t2), "third table");
    CHECK(!bcms_txn_begin(st, 1, &txn), "read txn");
    rc = bcms_pheno_table_project(st, txn, t2, 0, &col, &unmatched);
    CHECK(rc == 0 && unmatched == 1 && col.n_present == 1 && col.v[2] == 4, "project with an unknown IID");
    bcms_pheno_col_clear(&col);
    mdb_txn_abort(txn);

    /* a damaged record is reported, not read */
    CHECK(!bcms_txn_begin(st, 0, &txn), "write txn");
    {
        MDB_val k = {3, "sev"}, v;
        uint8_t *copy = NULL;
        if (!mdb_get(txn, bcms_store_dbi(st, DBI_PHENO), &k, &v) && (copy = malloc(v.mv_size))) {
            memcpy(copy, v.mv_data, v.mv_size);
            copy[v.mv_size - 9] ^= 1;
            v.mv_data = copy;
            mdb_put(txn, bcms_store_dbi(st, DBI_PHENO), &k, &v, 0);
            free(copy);
        }
    }
    rc = bcms_pheno_load(st, txn, "sev", &col);
    CHECK(rc == BCMS_ECORRUPT && strstr(bcms_err_detail(), "damaged: pheno column 'sev'"), "damaged record: %d %s", rc,
          bcms_err_detail());
    bcms_pheno_col_clear(&col);
    /* a damaged name: the record, intact, under another key is damage too (the CRC covers the name) */
    {
        MDB_val k = {3, "pop"}, v, k2 = {3, "poq"};
        bcms_pheno_col_t *cols = NULL;
        size_t nc = 0;
        uint8_t *copy = NULL;
        int ok = !mdb_get(txn, bcms_store_dbi(st, DBI_PHENO), &k, &v) && (copy = malloc(v.mv_size));
        CHECK(ok, "column pop stored");
        if (ok) {
            memcpy(copy, v.mv_data, v.mv_size);
            v.mv_data = copy;
            CHECK(((uint8_t *)copy)[0] == 2, "record version 2 written");
            mdb_del(txn, bcms_store_dbi(st, DBI_PHENO), &k, NULL);
            mdb_put(txn, bcms_store_dbi(st, DBI_PHENO), &k2, &v, 0);
            free(copy);
        }
        rc = bcms_pheno_load(st, txn, "poq", &col);
        CHECK(rc == BCMS_ECORRUPT && strstr(bcms_err_detail(), "damaged: pheno column 'poq' fails its checksum (its name"),
              "renamed record: %d %s", rc, bcms_err_detail());
        bcms_pheno_col_clear(&col);
        rc = bcms_pheno_list(st, txn, &cols, &nc);
        CHECK(rc == BCMS_ECORRUPT, "listing reports the damage too: %d", rc);
        bcms_pheno_list_free(cols, nc);
    }
    mdb_txn_abort(txn);
done:
    bcms_pheno_table_free(t);
    bcms_pheno_table_free(t2);
    bcms_store_close(st);
}

int main(void)
{
    const char *tmp = getenv("BCMS_TMP");
    char cmd[8400];
    if (snprintf(tmpdir, sizeof tmpdir, "%s/unit_pheno", tmp ? tmp : "/tmp") >= (int)sizeof tmpdir - 100) return 1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", tmpdir, tmpdir);
    if (system(cmd)) {
        fprintf(stderr, "cannot make %s\n", tmpdir);
        return 1;
    }
    bcms_log_set(count_warnings, NULL, BCMS_LOG_WARN);
    test_types();
    test_headers();
    test_options();
    test_errors();
    test_real_files();
    test_store();
    printf("test_pheno: %d checks, %d failed\n", n_check, n_fail);
    return n_fail ? 1 : 0;
}
