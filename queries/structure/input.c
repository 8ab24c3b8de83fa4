/* input.c: the sample and variant selection shared by kinship, pca, prune and grm (see
 * structure_internal.h). GPL-3.0-or-later. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
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

/* The reader's samples (its --keep/--remove/--mind selection), all of them in its order. */
static int select_samples(bcms_store_t *st, st_input_t *in)
{
    uint32_t ns = bcms_reader_nsamples(in->rd), *idx = NULL;
    MDB_txn *txn = NULL;
    int rc;
    if (ns < 2)
        return bcms_err(BCMS_EINVAL, "%u sample(s) selected (after --keep/--remove/--mind): at least 2 are needed",
                        ns);
    if ((rc = bcms_txn_begin(st, 1, &txn))) return rc;
    rc = bcms_sample_names(st, txn, bcms_reader_sample_ids(in->rd), ns, &in->all_iids);
    mdb_txn_abort(txn);
    if (rc) return rc;
    in->nall = ns;
    if (!(idx = malloc((size_t)ns * sizeof *idx))) return bcms_err(BCMS_ENOMEM, "sample list");
    for (uint32_t i = 0; i < ns; i++) idx[i] = i;
    rc = st_input_subset(in, idx, ns);
    free(idx);
    return rc;
}

int st_input_subset(st_input_t *in, const uint32_t *idx, uint32_t n)
{
    const uint32_t *ids = bcms_reader_sample_ids(in->rd);
    char **iids = malloc(((size_t)n + 1) * sizeof *iids);
    uint32_t *snum = malloc(((size_t)n + 1) * sizeof *snum);
    int rc;
    if (!iids || !snum) {
        free(iids), free(snum);
        return bcms_err(BCMS_ENOMEM, "sample list");
    }
    for (uint32_t i = 0; i < n; i++) {
        if (idx[i] >= in->nall) {
            free(iids), free(snum);
            return bcms_err(BCMS_EINVAL, "sample index %u of %u", idx[i], in->nall);
        }
        iids[i] = in->all_iids[idx[i]], snum[i] = ids[idx[i]];
    }
    if ((rc = bcms_reader_set_samples(in->rd, idx, n))) {
        free(iids), free(snum);
        return rc == BCMS_ENOMEM ? bcms_err(rc, "sample list") : rc;
    }
    free(in->iids), free(in->snum);
    in->iids = iids, in->snum = snum, in->n = n;
    return 0;
}

int st_input_open(bcms_store_t *st, const bcms_structure_sel_t *s, st_input_t *in)
{
    bcms_reader_opts_t ro = s->sel;
    int rc;
    memset(in, 0, sizeof *in);
    if (ro.threads < s->threads) ro.threads = s->threads;
    ro.stream = 1; /* a window of variants at a time: memory flat in their number */
    if ((rc = bcms_reader_open(st, &ro, &in->rd))) return rc;
    if (!(in->load = calloc((size_t)bcms_cluster_size() + 1, sizeof *in->load))) rc = bcms_err(BCMS_ENOMEM, "loads");
    if (rc || (rc = select_samples(st, in))) {
        st_input_close(in);
        return rc;
    }
    return 0;
}

/* The end of a pass: the totals, said and checked after the first. */
static int pass_end(st_input_t *in)
{
    in->state = 2, in->nb = 0, in->wn = 0;
    if (in->done) return 1;
    in->done = 1;
    if (!in->nuse && !in->pick) /* a caller's own choice checks its own count */
        return bcms_err(BCMS_EINVAL, "no autosomal variant selected (regions, --extract/--exclude, filters)");
    /* said, as plink2 says it: a user comparing with a peer that keeps chrX (plink2 --indep-pairwise,
     * GEMMA -gk) sees why the counts differ */
    if (!in->pick && in->nuse < in->nvar)
        bcms_log(BCMS_LOG_INFO, "%" PRIu64 " variants on chrX, chrY, chrM or other non-autosomal contigs left out "
                 "(autosomes only)", in->nvar - in->nuse);
    return 1;
}

int st_input_next(st_input_t *in)
{
    uint32_t b0, nb, n0;
    uint64_t v0;
    int rc;
    if (in->state == 2 && (rc = bcms_reader_rewind(in->rd))) return rc;
    if (in->state != 1) {
        in->state = 1;
        memset(in->load, 0, (size_t)bcms_cluster_size() * sizeof *in->load);
        if (!in->done) in->nvar = in->nuse = 0;
    }
    if ((rc = bcms_reader_next(in->rd, &b0, &nb))) return rc;
    if (!nb) return pass_end(in);
    bcms_reader_batch_range(in->rd, b0, &v0, &n0);
    uint64_t wn = bcms_reader_nvariants(in->rd) - v0, used = 0;
    if (wn + 1 > in->use_cap) {
        uint8_t *u = realloc(in->use, wn + 1);
        if (!u) return bcms_err(BCMS_ENOMEM, "variant window");
        in->use = u, in->use_cap = wn + 1;
    }
    for (uint64_t i = 0; i < wn; i++) {
        const bcms_variant_t *var = bcms_reader_variant(in->rd, v0 + i);
        in->use[i] = in->pick ? in->pick(in->pick_ud, var) : bcms_contig_kind(var->chrom) == BCMS_CHR_AUTOSOME;
        used += in->use[i];
    }
    in->b0 = b0, in->nb = nb, in->v0 = v0, in->wn = wn;
    if (!in->done) in->nvar += wn, in->nuse += used;
    return 0;
}

uint64_t st_batch_used(const st_input_t *in, uint32_t b)
{
    uint64_t first, used = 0;
    uint32_t nv;
    bcms_reader_batch_range(in->rd, b, &first, &nv);
    for (uint32_t k = 0; k < nv; k++) used += in->use[first + k - in->v0];
    return used;
}

void st_input_close(st_input_t *in)
{
    if (in->all_iids) bcms_sample_names_free(in->all_iids, in->nall);
    free(in->iids);
    free(in->snum);
    free(in->use);
    free(in->load);
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
