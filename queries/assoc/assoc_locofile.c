/* assoc_locofile.c: `--loco-pred-file F`, the LOCO predictions an earlier `--loco-pred-out F` wrote,
 * read back instead of computed (REGENIE's step 1 / step 2 split): the chunks of a job array, or
 * repeated scans of one trait, pay the two genotype passes and the per-chromosome factorisations once.
 *
 * The file is the writer's: "#IID LOCO_c ... ALL", "#SCALE ..." (informational: the scale is refitted
 * from the predictions, as when they are computed), "#TRAIT pheno model folds=K", then one row per
 * sample, values written with 17 significant digits so they read back to the same doubles and the
 * scan equals the one that wrote them byte for byte. Predictions belong to one trait and one set of
 * samples: a file of another trait or model is refused, and so is one that lacks a scan sample (rows
 * of samples the scan does not use are ignored). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "assoc_internal.h"
#include "err.h"
#include "locopred.h"
#include "store.h"

typedef struct {
    uint32_t num, i; /* global sample number, model index */
} snum_t;

static int cmp_snum(const void *a, const void *b)
{
    uint32_t x = ((const snum_t *)a)->num, y = ((const snum_t *)b)->num;
    return x < y ? -1 : x > y;
}

/* "#IID LOCO_c ... ALL": the chromosomes, canonical autosome names, in the file's order */
static int parse_header(const char *path, char *line, bcms_locopred_t *out)
{
    char *save = NULL, *f = strtok_r(line, "\t", &save);
    int all = 0;
    if (!f || strcmp(f, "#IID"))
        return bcms_err(BCMS_EINPUT, "%s: line 1 is not the '#IID LOCO_1 ... ALL' header of --loco-pred-out", path);
    while ((f = strtok_r(NULL, "\t", &save))) {
        char *end = NULL;
        long c = strncmp(f, "LOCO_", 5) ? 0 : strtol(f + 5, &end, 10);
        if (all) return bcms_err(BCMS_EINPUT, "%s: line 1: a column after ALL", path);
        if (!strcmp(f, "ALL")) {
            all = 1;
        } else if (c < 1 || c > BCMS_LOCOPRED_MAXCHR || *end || out->nchr == BCMS_LOCOPRED_MAXCHR) {
            return bcms_err(BCMS_EINPUT, "%s: line 1: column '%s' is not LOCO_1 .. LOCO_22 or ALL", path, f);
        } else {
            snprintf(out->chrom[out->nchr++], sizeof out->chrom[0], "%ld", c);
        }
    }
    return all ? 0 : bcms_err(BCMS_EINPUT, "%s: line 1: no ALL column", path);
}

/* "#TRAIT pheno model folds=K": the predictions are this scan's trait's */
static int check_trait(const char *path, char *line, const model_t *m)
{
    char *save = NULL, *tag = strtok_r(line, "\t", &save), *ph = strtok_r(NULL, "\t", &save);
    char *model = strtok_r(NULL, "\t", &save);
    const char *want = m->cox ? "cox" : "logistic";
    (void)tag;
    if (!ph || !model) return bcms_err(BCMS_EINPUT, "%s: a #TRAIT line without trait and model", path);
    if (strcmp(ph, m->pheno) || strcmp(model, want))
        return bcms_err(BCMS_EINVAL, "%s: predictions of trait '%s' (%s), and this scan tests '%s' (%s): compute them "
                        "for this trait with --loco-pred --loco-pred-out", path, ph, model, m->pheno, want);
    return 0;
}

/* one sample's row into its model column; rows of samples the scan does not use are skipped */
static int parse_row(bcms_store_t *st, MDB_txn *txn, const char *path, long ln, char *line, const snum_t *idx,
                     uint32_t n, bcms_locopred_t *out, uint8_t *seen)
{
    char *save = NULL, *iid = strtok_r(line, "\t", &save);
    uint32_t num = 0;
    if (!iid) return bcms_err(BCMS_EINPUT, "%s line %ld: empty", path, ln);
    int rc = bcms_sample_lookup(st, txn, iid, &num);
    if (rc == BCMS_ENOTFOUND) return 0;
    if (rc) return rc;
    snum_t key = {num, 0}, *hit = bsearch(&key, idx, n, sizeof *idx, cmp_snum);
    if (!hit) return 0;
    if (seen[hit->i]) return bcms_err(BCMS_EINPUT, "%s line %ld: sample '%s' a second time", path, ln, iid);
    seen[hit->i] = 1;
    if (!(out->iid[hit->i] = strdup(iid))) return BCMS_ENOMEM;
    for (int c = 0; c <= out->nchr; c++) {
        char *f = strtok_r(NULL, "\t", &save), *end = NULL;
        double x = f ? strtod(f, &end) : NAN;
        if (!f || end == f || *end || !isfinite(x))
            return bcms_err(BCMS_EINPUT, "%s line %ld: sample '%s': column %d is not a finite number", path, ln, iid,
                            c + 2);
        out->pred[(size_t)c * n + hit->i] = x;
    }
    if (strtok_r(NULL, "\t", &save))
        return bcms_err(BCMS_EINPUT, "%s line %ld: more columns than the header's %d", path, ln, out->nchr + 2);
    return 0;
}

static int read_lines(bcms_store_t *st, MDB_txn *txn, BGZF *fp, const char *path, const model_t *m,
                      const snum_t *idx, bcms_locopred_t *out, uint8_t *seen)
{
    kstring_t line = {0, 0, NULL};
    long ln = 0;
    int rc = 0, trait = 0;
    while (!rc && bgzf_getline(fp, '\n', &line) >= 0) {
        ln++;
        if (line.l && line.s[line.l - 1] == '\r') line.s[--line.l] = 0;
        if (ln == 1) {
            if (!(rc = parse_header(path, line.s, out)) &&
                !(out->pred = malloc(sizeof *out->pred * (out->nchr + 1) * (size_t)m->n)))
                rc = BCMS_ENOMEM;
        } else if (!strncmp(line.s, "#TRAIT\t", 7)) {
            trait = 1, rc = check_trait(path, line.s, m);
        } else if (line.s[0] != '#') {
            rc = parse_row(st, txn, path, ln, line.s, idx, m->n, out, seen);
        }
    }
    free(line.s);
    if (!rc && ln == 0) rc = bcms_err(BCMS_EINPUT, "%s: empty", path);
    if (!rc && !trait)
        rc = bcms_err(BCMS_EINPUT, "%s: no #TRAIT line: write the predictions with this bcms's --loco-pred-out", path);
    return rc;
}

int assoc_loco_read(bcms_store_t *st, const model_t *m, const uint32_t *sn, bcms_locopred_t *out)
{
    const char *path = m->o->loco_in;
    snum_t *idx = malloc(sizeof *idx * (m->n + 1));
    uint8_t *seen = calloc(m->n + 1, 1);
    MDB_txn *txn = NULL;
    BGZF *fp = NULL;
    int rc = BCMS_ENOMEM;
    memset(out, 0, sizeof *out);
    out->n = m->n;
    if (!idx || !seen || !(out->iid = calloc(m->n + 1, sizeof *out->iid))) goto done;
    for (uint32_t i = 0; i < m->n; i++) idx[i].num = sn[i], idx[i].i = i;
    qsort(idx, m->n, sizeof *idx, cmp_snum);
    if (!(fp = bgzf_open(path, "r"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if ((rc = bcms_txn_begin(st, 1, &txn))) goto done;
    if ((rc = read_lines(st, txn, fp, path, m, idx, out, seen))) goto done;
    for (uint32_t i = 0; i < m->n; i++)
        if (!seen[i]) {
            const char *iid = NULL;
            size_t len = 0;
            if (bcms_sample_name(st, txn, sn[i], &iid, &len)) iid = "?", len = 1;
            rc = bcms_err(BCMS_EINPUT, "%s: no prediction for sample '%.*s' (one of the scan's %u): compute the "
                          "predictions over this scan's samples (--loco-pred --loco-pred-out)", path, (int)len, iid,
                          m->n);
            goto done;
        }
done:
    if (txn) mdb_txn_abort(txn);
    if (fp) bgzf_close(fp);
    free(idx), free(seen);
    if (rc) bcms_locopred_clear(out);
    return rc;
}
