/* test_import_r2.c: the imputation quality (INFO/R2, DR2 or INFO) is stored per row at import and
 * read back from the site frame as bcms_site_t.r2 (NaN where the input has none): Number=1 on every
 * row of a split record, Number=A per ALT, "." and absent as NaN, on the fast and the full parser
 * paths; a file without such a tag gives NaN everywhere. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block.h"
#include "codec.h"
#include "dataset.h"
#include "err.h"
#include "store.h"
#include "vcf_import.h"

static int fails;
#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); fails++; } } while (0)

static const char *HEAD =
    "##fileformat=VCFv4.2\n##contig=<ID=1>\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"GQ\">\n";

/* Import text as a new store at dir/name and return the r2 of every row (n rows expected). */
static int import_r2(const char *dir, const char *name, const char *info_line, const char *body, float *r2, int n)
{
    char vcf[1024], store[1024];
    FILE *fp;
    bcms_store_t *st = NULL;
    bcms_import_opts_t o;
    MDB_txn *txn = NULL;
    bcms_dataset_t *list = NULL;
    int nds = 0, got = 0, rc;
    snprintf(vcf, sizeof vcf, "%s/%s.vcf", dir, name);
    snprintf(store, sizeof store, "%s/%s.bcms", dir, name);
    if (!(fp = fopen(vcf, "w"))) return -1;
    fprintf(fp, "%s%s#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n%s", HEAD, info_line, body);
    fclose(fp);
    const char *paths[1] = {vcf};
    bcms_import_opts_init(&o);
    o.command = "test";
    if ((rc = bcms_store_open(store, BCMS_STORE_CREATE, &st)) || (rc = bcms_import(st, paths, 1, &o, NULL)) ||
        (rc = bcms_txn_begin(st, 1, &txn)) || (rc = bcms_dataset_list(st, txn, &list, &nds)))
        goto done;
    bcms_codec_t *codec = bcms_codec_new(1);
    kstring_t raw = {0, 0, NULL};
    bcms_sites_t s = {0};
    for (uint32_t b = 0; b < list[0].nblocks && !rc; b++) {
        if ((rc = bcms_block_read_sites(st, txn, &list[0], b, codec, &raw, &s))) break;
        for (uint32_t v = 0; v < s.nvar && got < n; v++) r2[got++] = s.v[v].r2;
    }
    bcms_sites_free(&s);
    free(raw.s);
    bcms_codec_free(codec);
    if (!rc && got != n) rc = -100 - got;
done:
    if (rc) fprintf(stderr, "%s: rc %d: %s\n", name, rc, bcms_err_detail());
    bcms_dataset_list_free(list, nds);
    if (txn) mdb_txn_abort(txn);
    bcms_store_close(st);
    return rc;
}

static int same(float a, float b) { return (isnan(a) && isnan(b)) || a == b; }

int main(void)
{
    const char *tmp = getenv("BCMS_TMP");
    char dir[1024];
    float r2[8];
    snprintf(dir, sizeof dir, "%s/test_import_r2", tmp ? tmp : "/tmp");
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd)) return 1;

    /* minimac-style R2 (Number=1): every row of a split record gets the record's value */
    const char *body1 =
        "1\t10\t.\tA\tG\t.\tPASS\tR2=0.91\tGT\t0|1\t0|0\n"           /* fast path */
        "1\t20\t.\tA\tG,T\t.\tPASS\tAF=0.1;R2=0.5\tGT\t0|2\t1|0\n"    /* split, fast path */
        "1\t30\t.\tC\tT\t.\tPASS\tR2=.\tGT\t0|0\t0|0\n"              /* missing */
        "1\t40\t.\tC\tT\t.\tPASS\t.\tGT:GQ\t0|0:5\t0|1:9\n"         /* absent, full parser */
        "1\t50\t.\tC\tT\t.\tPASS\tR2=0.25\tGT:GQ\t0|0:5\t0|1:9\n";  /* full parser */
    if (import_r2(dir, "r2", "##INFO=<ID=R2,Number=1,Type=Float,Description=\"r2\">\n"
                  "##INFO=<ID=AF,Number=A,Type=Float,Description=\"AF\">\n", body1, r2, 6) == 0) {
        float want[6] = {0.91f, 0.5f, 0.5f, NAN, NAN, 0.25f};
        for (int i = 0; i < 6; i++) CHECK(same(r2[i], want[i]), "R2 row %d: %g, want %g", i, r2[i], want[i]);
    } else fails++;

    /* Beagle-style DR2 (Number=A): one value per ALT */
    const char *body2 = "1\t10\t.\tA\tG,T\t.\tPASS\tDR2=0.8,0.3\tGT\t0|2\t1|0\n";
    if (import_r2(dir, "dr2", "##INFO=<ID=DR2,Number=A,Type=Float,Description=\"dr2\">\n", body2, r2, 2) == 0) {
        CHECK(r2[0] == 0.8f && r2[1] == 0.3f, "DR2 per ALT: %g %g", r2[0], r2[1]);
    } else fails++;

    /* IMPUTE-style INFO */
    const char *body3 = "1\t10\t.\tA\tG\t.\tPASS\tINFO=0.7\tGT\t0|1\t0|0\n";
    if (import_r2(dir, "info", "##INFO=<ID=INFO,Number=1,Type=Float,Description=\"info\">\n", body3, r2, 1) == 0) {
        CHECK(r2[0] == 0.7f, "INFO: %g", r2[0]);
    } else fails++;

    /* no quality tag at all; an R2 declared as a String is not a quality either */
    const char *body4 = "1\t10\t.\tA\tG\t.\tPASS\tR2=high\tGT\t0|1\t0|0\n1\t20\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t0|0\n";
    if (import_r2(dir, "none", "##INFO=<ID=R2,Number=1,Type=String,Description=\"not a number\">\n", body4, r2, 2) == 0) {
        CHECK(isnan(r2[0]) && isnan(r2[1]), "no quality: %g %g", r2[0], r2[1]);
    } else fails++;

    if (fails) fprintf(stderr, "%d check(s) failed\n", fails);
    return fails != 0;
}
