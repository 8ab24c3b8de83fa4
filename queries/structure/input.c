/* input.c: the sample and variant selection shared by kinship, pca, prune and grm (see
 * structure_internal.h). GPL-3.0-or-later. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contig.h"
#include "err.h"
#include "outfile.h"
#include "structure_internal.h"

void bcms_structure_sel_init(bcms_structure_sel_t *s)
{
    memset(s, 0, sizeof *s);
    bcms_reader_opts_init(&s->sel);
    s->threads = 1;
}

/* The first column of every line of a file (a leading '#' line is a header), sorted for bsearch. */
static int read_ids(const char *path, char ***out, size_t *n)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, **v = NULL;
    size_t cap = 0, len = 0, vcap = 0;
    ssize_t r;
    long lineno = 0;
    int rc = BCMS_ENOMEM;
    *out = NULL, *n = 0;
    if (!f) return bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
    while ((r = getline(&line, &cap, f)) >= 0) {
        char *p = line, *e;
        lineno++;
        while (*p == ' ' || *p == '\t') p++;
        if (lineno == 1 && *p == '#') continue;
        for (e = p; *e && !isspace((unsigned char)*e); e++) {}
        if (e == p) continue;
        *e = 0;
        if (len == vcap) {
            size_t nc = vcap ? 2 * vcap : 256;
            char **nv = realloc(v, nc * sizeof *nv);
            if (!nv) goto fail;
            v = nv, vcap = nc;
        }
        if (!(v[len] = strdup(p))) goto fail;
        len++;
    }
    if (ferror(f)) {
        rc = bcms_err(BCMS_EIO, "%s: read error at line %ld", path, lineno);
        goto fail;
    }
    fclose(f);
    free(line);
    *out = v, *n = len;
    return 0;
fail:
    fclose(f);
    free(line);
    for (size_t i = 0; i < len; i++) free(v[i]);
    free(v);
    return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "reading %s", path) : rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_ids(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int has_id(char **v, size_t n, const char *id) { return bsearch(&id, v, n, sizeof *v, cmp_str) != NULL; }

/* Samples: all of the reader's, or those named in keep, in the reader's order. */
static int select_samples(bcms_store_t *st, const char *keep, st_input_t *in)
{
    uint32_t ns = bcms_reader_nsamples(in->rd), *idx = NULL, k = 0;
    char **all = NULL, **ids = NULL;
    size_t nid = 0;
    MDB_txn *txn = NULL;
    int rc;
    if ((rc = bcms_txn_begin(st, 1, &txn))) return rc;
    rc = bcms_sample_names(st, txn, bcms_reader_sample_ids(in->rd), ns, &all);
    mdb_txn_abort(txn);
    if (rc) return rc;
    if (keep && (rc = read_ids(keep, &ids, &nid))) goto out;
    if (ids) qsort(ids, nid, sizeof *ids, cmp_str);
    rc = BCMS_ENOMEM;
    if (!(idx = malloc(((size_t)ns + 1) * sizeof *idx)) || !(in->iids = calloc((size_t)ns + 1, sizeof *in->iids)) ||
        !(in->snum = malloc(((size_t)ns + 1) * sizeof *in->snum)))
        goto out;
    for (uint32_t i = 0; i < ns; i++) {
        if (ids && !has_id(ids, nid, all[i])) continue;
        idx[k] = i;
        in->snum[k] = bcms_reader_sample_ids(in->rd)[i];
        in->iids[k++] = all[i];
        all[i] = NULL;
    }
    in->n = k;
    if (k < 2) {
        rc = bcms_err(BCMS_EINVAL, "%u sample(s) selected%s%s: at least 2 are needed", k, keep ? " by --keep " : "",
                      keep ? keep : "");
        goto out;
    }
    rc = bcms_reader_set_samples(in->rd, idx, k);
out:
    bcms_sample_names_free(all, ns);
    free_ids(ids, nid);
    free(idx);
    return rc;
}

static int select_variants(const char *extract, st_input_t *in)
{
    char **ids = NULL;
    size_t nid = 0;
    int rc;
    in->nvar = bcms_reader_nvariants(in->rd);
    if (extract && (rc = read_ids(extract, &ids, &nid))) return rc;
    if (ids) qsort(ids, nid, sizeof *ids, cmp_str);
    if (!(in->use = malloc(in->nvar + 1))) {
        free_ids(ids, nid);
        return bcms_err(BCMS_ENOMEM, "variant list");
    }
    in->nuse = 0;
    for (uint64_t v = 0; v < in->nvar; v++) {
        const bcms_variant_t *var = bcms_reader_variant(in->rd, v);
        in->use[v] = bcms_contig_kind(var->chrom) == BCMS_CHR_AUTOSOME && (!ids || has_id(ids, nid, var->id));
        in->nuse += in->use[v];
    }
    free_ids(ids, nid);
    if (!in->nuse)
        return bcms_err(BCMS_EINVAL, "no autosomal variant selected%s%s", extract ? " by --extract " : "",
                        extract ? extract : "");
    return 0;
}

int st_input_open(bcms_store_t *st, const bcms_structure_sel_t *s, st_input_t *in)
{
    int rc;
    memset(in, 0, sizeof *in);
    if ((rc = bcms_reader_open(st, &s->sel, &in->rd))) return rc;
    if ((rc = select_samples(st, s->keep, in)) || (rc = select_variants(s->extract, in))) {
        st_input_close(in);
        return rc;
    }
    in->nbatch = bcms_reader_nbatches(in->rd);
    return 0;
}

void st_input_close(st_input_t *in)
{
    if (in->iids)
        for (uint32_t i = 0; i < in->n; i++) free(in->iids[i]);
    free(in->iids);
    free(in->snum);
    free(in->use);
    if (in->rd) bcms_reader_close(in->rd);
    memset(in, 0, sizeof *in);
}

int st_out_open(const char *path, BGZF **out)
{
    if (!(*out = bgzf_open(path, bcms_out_is_gz(path) ? "wg" : "wu")))
        return bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    return 0;
}

int st_out_write(BGZF *out, const char *path, const char *s, size_t l)
{
    if (l && bgzf_write(out, s, l) < 0) return bcms_err(BCMS_EIO, "%s: write failed (disk full?)", path);
    return 0;
}

int st_out_close(BGZF *out, const char *path, int rc)
{
    if (out && bgzf_close(out) < 0 && !rc) rc = bcms_err(BCMS_EIO, "%s: closing the output failed", path);
    return rc;
}

const char *st_fmt_g(char *buf, double x, int digits)
{
    if (isnan(x)) return "NA";
    if (isinf(x)) return x > 0 ? "inf" : "-inf";
    snprintf(buf, 32, "%.*g", digits, x);
    return buf;
}
