/* freq.c: frequencies from the site frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "dataset.h"
#include "err.h"
#include "outfile.h"
#include "freq.h"
#include "hwe.h"
#include "region.h"

void bcms_freq_opts_init(bcms_freq_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->out = "-";
}

int bcms_freq(bcms_store_t *st, const bcms_freq_opts_t *o)
{
    MDB_txn *txn = NULL;
    bcms_dataset_t *list = NULL;
    int nds = 0, rc;
    bcms_regions_t rg = {0, NULL};
    bcms_outfile_t *out = NULL;
    bcms_codec_t *codec = bcms_codec_new(1);
    kstring_t raw = {0, 0, NULL}, line = {0, 0, NULL};
    bcms_sites_t sites = {0};

    if (!codec) return BCMS_ENOMEM;
    if ((rc = bcms_regions_parse(o->regions, &rg))) goto done;
    if ((rc = bcms_txn_begin(st, 1, &txn))) goto done;
    if ((rc = bcms_dataset_list(st, txn, &list, &nds))) goto done;
    if (o->dataset) {
        int di = bcms_dataset_pick(list, nds, o->dataset);
        if (di < 0) {
            rc = di;
            goto done;
        }
        /* keep only the chosen one at the front */
        bcms_dataset_t keep = list[di];
        list[di] = list[0];
        list[0] = keep;
    } else if (nds == 0) {
        rc = bcms_err(BCMS_ENOTFOUND, "the store has no datasets yet; import a VCF first");
        goto done;
    }
    if ((rc = bcms_outfile_open(o->out, 0, &out))) goto done;
    kputs("#CHROM\tPOS\tID\tREF\tALT\tALT_FREQ\tALT_CT\tOBS_CT\tHET_CT\tHOM_ALT_CT\tMISSING_CT\tCALL_RATE\tHWE_P", &line);
    if (nds > 1 && !o->dataset) kputs("\tDATASET", &line);
    kputc('\n', &line);
    for (int d = 0; d < (o->dataset ? 1 : nds); d++) {
        const bcms_dataset_t *ds = &list[d];
        bcms_regions_resolve(&rg, ds);
        for (uint32_t b = 0; b < ds->nblocks; b++) {
            const bcms_block_info_t *bi = &ds->blocks[b];
            if (!bcms_regions_block(&rg, bi)) continue;
            if ((rc = bcms_block_read_sites(st, txn, ds, b, codec, &raw, &sites))) goto done;
            for (uint32_t v = 0; v < sites.nvar; v++) {
                const bcms_site_t *s = &sites.v[v];
                if (!bcms_regions_pos(&rg, bi->contig, s->pos)) continue;
                uint32_t called = ds->nsamples - s->nmiss;
                uint32_t homref = called >= s->nhet + s->nhom ? called - s->nhet - s->nhom : 0;
                ksprintf(&line, "%s\t%lld\t%s\t%s\t%s\t", ds->contigs[bi->contig].name, (long long)s->pos,
                         BCMS_SITE_STR(&sites, s->id), BCMS_SITE_STR(&sites, s->ref), BCMS_SITE_STR(&sites, s->alt));
                if (s->an) ksprintf(&line, "%.6g", (double)s->ac / s->an);
                else kputs("NA", &line);
                ksprintf(&line, "\t%u\t%u\t%u\t%u\t%u\t%.6g\t%.6g", s->ac, s->an, s->nhet, s->nhom, s->nmiss,
                         ds->nsamples ? (double)called / ds->nsamples : 0.0,
                         bcms_hwe_exact(s->nhet, homref, s->nhom, 0));
                if (nds > 1 && !o->dataset) ksprintf(&line, "\t%s", ds->cohort);
                kputc('\n', &line);
                if (line.l > (1 << 16)) {
                    if ((rc = bcms_outfile_write(out, line.s, line.l))) goto done;
                    line.l = 0;
                }
            }
        }
    }
    if ((rc = bcms_outfile_write(out, line.s, line.l))) goto done;
    rc = bcms_outfile_commit(out); /* the output appears only now, whole */
    out = NULL;
done:
    bcms_outfile_abort(out);
    if (txn) mdb_txn_abort(txn);
    bcms_dataset_list_free(list, nds);
    bcms_regions_free(&rg);
    bcms_sites_free(&sites);
    free(raw.s);
    free(line.s);
    bcms_codec_free(codec);
    return rc;
}
