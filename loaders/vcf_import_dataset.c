/* vcf_import_dataset.c: an import's dataset record. Before the first block: open the inputs, check
 * they make one dataset and were not imported already, take the dataset id and mark it unfinished;
 * in the last transaction: register the samples, write the dataset, its provenance and the history
 * line. bcms, GPL-3.0-or-later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <htslib/kstring.h>
#include <htslib/vcf.h>

#include "err.h"
#include "store.h"
#include "vcf_import_internal.h"
#include "vcf_stage.h"
#include "bcms_version.h"

/* Open every input, check they form one dataset, and set up the dataset's contigs. */
int vcf_imp_open_inputs(imp_t *im, const char *const *paths)
{
    int rc;
    for (int f = 0; f < im->nin; f++) {
        for (int g = 0; g < f; g++)
            if (!strcmp(paths[f], paths[g]))
                return bcms_err(BCMS_EINVAL, "%s is given twice", paths[f]);
        if ((rc = vcf_input_open(&im->in[f], paths[f], im->nthreads))) return rc;
        for (int g = 0; g < f; g++)
            if (!strcmp(im->in[f].fingerprint, im->in[g].fingerprint))
                return bcms_err(BCMS_EINVAL, "%s and %s are the same file", paths[g], paths[f]);
    }
    if ((rc = vcf_inputs_same_samples(im->in, im->nin))) return rc;
    im->nsamp = (uint32_t)bcf_hdr_nsamples(im->in[0].hdr);
    /* contigs declared in the headers, in header order; undeclared ones are appended as met */
    for (int f = 0; f < im->nin; f++)
        if ((rc = vcf_contigs_from_header(&im->ds, &im->ctg, &im->in[f]))) return rc;
    return 0;
}

/* Refuse a file already imported (unless --force). */
static int check_sources(const imp_t *im, const bcms_dataset_t *list, int n)
{
    for (int i = 0; i < n && !im->o->force; i++)
        for (uint32_t s = 0; s < list[i].nsources; s++)
            for (int f = 0; f < im->nin; f++)
                if (!strcmp(list[i].sources[s].fingerprint, im->in[f].fingerprint))
                    return bcms_err(BCMS_EEXIST, "%s was already imported as dataset %u (%s, from %s); use --force "
                                    "to import it again as a new dataset", im->in[f].path, list[i].id,
                                    list[i].cohort, list[i].sources[s].path);
    return 0;
}

/* The start, in the first transaction: refuse a file already imported, take the dataset id, check
 * the samples can be registered (in a child transaction, undone: they are registered by the last
 * one, with the dataset) and mark the import unfinished. */
int vcf_imp_start_dataset(imp_t *im)
{
    bcms_dataset_t *list;
    MDB_txn *child = NULL;
    kstring_t files = {0, 0, NULL};
    int n, rc;
    if ((rc = bcms_dataset_list(im->st, im->txn, &list, &n))) return rc;
    if ((rc = check_sources(im, list, n))) goto done;
    if ((rc = bcms_meta_next_id(im->st, im->txn, "next_dataset", &im->ds.id))) goto done;
    for (int i = 0; i < n; i++)
        if (list[i].id >= im->ds.id) { /* ids only grow: a smaller counter is damage, never a reuse */
            rc = bcms_err(BCMS_ECORRUPT, "%s: the store counter 'next_dataset' is damaged (dataset %u exists); "
                          "restore the store from a backup", bcms_store_path(im->st), list[i].id);
            goto done;
        }
    if ((rc = mdb_txn_begin(bcms_store_env(im->st), im->txn, 0, &child))) {
        rc = bcms_lmdb_err(rc, "checking the samples");
        goto done;
    }
    rc = vcf_samples_register(im->st, child, &im->in[0], im->o, list, n, &im->ds, &im->new_samples, &im->shared, 0);
    mdb_txn_abort(child);
    free(im->ds.samples);
    im->ds.samples = NULL;
    if (rc) goto done;
    for (int f = 0; f < im->nin; f++)
        if (ksprintf(&files, "%s%s", f ? "," : "", im->in[f].path) < 0) { rc = BCMS_ENOMEM; goto done; }
    rc = vcf_stage_mark(im->st, im->txn, im->ds.id, files.s);
done:
    free(files.s);
    bcms_dataset_list_free(list, n);
    return rc;
}

/* The last transaction registers the samples (checked at the start; the import lock kept other
 * imports out since) and ends the unfinished mark. */
int vcf_imp_register_samples(imp_t *im)
{
    bcms_dataset_t *list;
    int n, rc;
    if ((rc = bcms_dataset_list(im->st, im->txn, &list, &n))) return rc;
    if (!(rc = check_sources(im, list, n)))
        rc = vcf_samples_register(im->st, im->txn, &im->in[0], im->o, list, n, &im->ds, &im->new_samples,
                                  &im->shared, 1);
    bcms_dataset_list_free(list, n);
    return rc ? rc : vcf_stage_unmark(im->st, im->txn, im->ds.id);
}

/* The first input's header as text; with --iid-prefix its #CHROM line names the samples as the
 * registry does, so that view selects them by their stored names. */
static int header_text(const imp_t *im, kstring_t *out)
{
    const bcf_hdr_t *h = im->in[0].hdr;
    char *chrom;
    if (bcf_hdr_format(h, 0, out) < 0) return BCMS_ENOMEM;
    if (!im->o->iid_prefix) return 0;
    if (!(chrom = strstr(out->s, "\n#CHROM\t")) || !(chrom = strstr(chrom, "\tFORMAT"))) return BCMS_ENOMEM;
    out->l = (size_t)(chrom + 7 - out->s);
    for (int i = 0; i < bcf_hdr_nsamples(h); i++)
        if (ksprintf(out, "\t%s%s", im->o->iid_prefix, h->samples[i]) < 0) return BCMS_ENOMEM;
    return kputc('\n', out) < 0 ? BCMS_ENOMEM : 0;
}

/* The dataset record, its provenance and the history line. */
int vcf_imp_put_dataset(imp_t *im)
{
    bcms_dataset_t *ds = &im->ds;
    char when[64];
    time_t now = time(NULL);
    kstring_t hist = {0, 0, NULL}, files = {0, 0, NULL}, fps = {0, 0, NULL}, htxt = {0, 0, NULL};
    int rc = BCMS_ENOMEM;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    if (!(ds->sources = calloc(im->nin, sizeof *ds->sources))) goto done;
    ds->nsources = (uint32_t)im->nin;
    for (int f = 0; f < im->nin; f++) {
        ds->sources[f].size = im->in[f].size;
        if (!(ds->sources[f].path = strdup(im->in[f].path)) ||
            !(ds->sources[f].fingerprint = strdup(im->in[f].fingerprint)))
            goto done;
        if (ksprintf(&files, "%s%s", f ? "," : "", im->in[f].path) < 0 ||
            ksprintf(&fps, "%s%s", f ? "," : "", im->in[f].fingerprint) < 0)
            goto done;
    }
    if (header_text(im, &htxt)) goto done;
    ds->header_text = htxt.s;
    htxt.s = NULL;
    ds->nrecords = im->nrec;
    if (!(ds->imported_at = strdup(when)) || !(ds->command = strdup(im->o->command ? im->o->command : "")) ||
        !(ds->tool = strdup("bcms " BCMS_VERSION)))
        goto done;
    if ((rc = bcms_dataset_put(im->st, im->txn, ds))) goto done;
    rc = BCMS_ENOMEM;
    if (ksprintf(&hist, "%s import dataset=%u cohort=%s file=%s size=%llu fingerprint=%s samples=%u records=%llu "
                 "rows=%llu command=%s", when, ds->id, ds->cohort, files.s, (unsigned long long)im->prog.bytes_total,
                 fps.s, im->nsamp, (unsigned long long)im->nrec, (unsigned long long)ds->nrows, ds->command) < 0)
        goto done;
    rc = bcms_meta_add_history(im->st, im->txn, hist.s);
done:
    free(hist.s);
    free(files.s);
    free(fps.s);
    free(htxt.s);
    return rc;
}
