/* view.c: dataset -> VCF/BCF. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/vcf.h>

#include "dataset.h"
#include "err.h"
#include "outfile.h"
#include "region.h"
#include "view.h"
#include "bcms_version.h"

void bcms_view_opts_init(bcms_view_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->out = "-";
    o->format = 'v';
    o->threads = 1;
}

/* The selection over the dataset's IIDs (names, one per column). */
static int select_by_names(char *const *names, const bcms_dataset_t *ds, const char *list, const char *file,
                           uint32_t **idx, uint32_t *n)
{
    char **req = NULL;
    int nreq = 0, exclude = 0, rc = 0;
    uint32_t *sel = NULL, ns = 0;
    kstring_t ks = {0, 0, NULL};
    *idx = NULL;
    *n = 0;
    if (list && *list == '^') exclude = 1, list++;
    if (file) {
        FILE *fp = fopen(file, "r");
        char line[4096];
        if (!fp) {
            rc = bcms_err(BCMS_EIO, "%s: cannot open the sample file", file);
            goto done;
        }
        while (fgets(line, sizeof line, fp)) {
            line[strcspn(line, "\r\n\t ")] = 0;
            if (!*line) continue;
            if (ks.l) kputc(',', &ks);
            kputs(line, &ks);
        }
        fclose(fp);
        list = ks.s ? ks.s : "";
    }
    if (list) {
        req = hts_readlist(list, 0, &nreq);
        if (!req && *list) {
            rc = BCMS_ENOMEM;
            goto done;
        }
    }
    if (!(sel = malloc(sizeof *sel * (ds->nsamples + 1)))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if (!list) {
        for (uint32_t i = 0; i < ds->nsamples; i++) sel[ns++] = i;
    } else {
        uint8_t *mark = calloc(ds->nsamples + 1, 1);
        if (!mark) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        for (int k = 0; k < nreq; k++) {
            uint32_t i;
            for (i = 0; i < ds->nsamples; i++)
                if (!strcmp(names[i], req[k])) break;
            if (i == ds->nsamples) {
                rc = bcms_err(BCMS_ENOTFOUND, "sample '%s'%s%s is not in dataset %u (%s); check the IID", req[k],
                              file ? " of " : "", file ? file : "", ds->id, ds->cohort);
                free(mark);
                goto done;
            }
            if (mark[i]) continue;
            mark[i] = 1;
            if (!exclude) sel[ns++] = i;
        }
        if (exclude)
            for (uint32_t i = 0; i < ds->nsamples; i++)
                if (!mark[i]) sel[ns++] = i;
        free(mark);
    }
    *idx = sel;
    *n = ns;
    sel = NULL;
done:
    free(sel);
    for (int k = 0; k < nreq; k++) free(req[k]);
    free(req);
    free(ks.s);
    return rc;
}

int bcms_samples_select(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds, const char *list, const char *file,
                        uint32_t **idx, uint32_t *n)
{
    char **names;
    int rc = bcms_sample_names(st, txn, ds->samples, ds->nsamples, &names);
    if (rc) return rc;
    rc = select_by_names(names, ds, list, file, idx, n);
    bcms_sample_names_free(names, ds->nsamples);
    return rc;
}

/* Output header: the imported header, with contigs and FILTERs it did not declare added, GT
 * declared, and the sample subset. */
static bcf_hdr_t *view_header(const bcms_dataset_t *ds, char **names, uint32_t *sel, uint32_t nsel,
                              const char *command)
{
    bcf_hdr_t *h0 = bcf_hdr_init("r"), *h;
    kstring_t s = {0, 0, NULL};
    if (!h0) return NULL;
    if (bcf_hdr_parse(h0, ds->header_text) < 0) {
        bcf_hdr_destroy(h0);
        return NULL;
    }
    for (uint32_t c = 0; c < ds->ncontigs; c++)
        if (bcf_hdr_name2id(h0, ds->contigs[c].name) < 0) {
            s.l = 0;
            ksprintf(&s, "##contig=<ID=%s>", ds->contigs[c].name);
            bcf_hdr_append(h0, s.s);
        }
    if (bcf_hdr_id2int(h0, BCF_DT_ID, "GT") < 0 ||
        !bcf_hdr_idinfo_exists(h0, BCF_HL_FMT, bcf_hdr_id2int(h0, BCF_DT_ID, "GT")))
        bcf_hdr_append(h0, "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">");
    s.l = 0;
    ksprintf(&s, "##bcms_viewVersion=%s", BCMS_VERSION);
    bcf_hdr_append(h0, s.s);
    if (command && *command) {
        s.l = 0;
        ksprintf(&s, "##bcms_viewCommand=%s", command);
        bcf_hdr_append(h0, s.s);
    }
    free(s.s);
    if (bcf_hdr_sync(h0) < 0) {
        bcf_hdr_destroy(h0);
        return NULL;
    }
    char **sub = malloc(sizeof *sub * (nsel + 1));
    int *imap = malloc(sizeof *imap * (nsel + 1));
    if (!sub || !imap) {
        free(sub);
        free(imap);
        bcf_hdr_destroy(h0);
        return NULL;
    }
    for (uint32_t i = 0; i < nsel; i++) sub[i] = names[sel[i]];
    h = bcf_hdr_subset(h0, (int)nsel, sub, imap);
    free(sub);
    free(imap);
    bcf_hdr_destroy(h0);
    return h;
}

/* The output header must carry exactly the selected samples, in order, and every contig: htslib
 * drops a sample column it cannot name (an empty IID) or a header line it cannot parse, and a
 * record written against such a header would be garbled or abort inside htslib. */
static int view_header_check(const bcf_hdr_t *h, const bcms_dataset_t *ds, char **names, const uint32_t *sel,
                             uint32_t nsel)
{
    if ((uint32_t)bcf_hdr_nsamples(h) != nsel)
        return bcms_err(BCMS_ECORRUPT, "dataset %u (%s): %u samples selected but the VCF header names %d; a sample "
                        "name cannot be written as VCF (empty or repeated IID?): re-import the dataset with valid "
                        "sample names", ds->id, ds->cohort, nsel, bcf_hdr_nsamples(h));
    for (uint32_t i = 0; i < nsel; i++)
        if (strcmp(h->samples[i], names[sel[i]]))
            return bcms_err(BCMS_ECORRUPT, "dataset %u (%s): sample %u ('%.40s') cannot be written as VCF; "
                            "re-import the dataset with valid sample names", ds->id, ds->cohort, sel[i], names[sel[i]]);
    for (uint32_t c = 0; c < ds->ncontigs; c++)
        if (bcf_hdr_name2id(h, ds->contigs[c].name) < 0)
            return bcms_err(BCMS_ECORRUPT, "dataset %u (%s): contig '%.40s' cannot be written as VCF; the store is "
                            "damaged", ds->id, ds->cohort, ds->contigs[c].name);
    return 0;
}

static int ensure_filter(bcf_hdr_t *h, const char *name)
{
    kstring_t s = {0, 0, NULL};
    int id = bcf_hdr_id2int(h, BCF_DT_ID, name);
    if (id >= 0 && bcf_hdr_idinfo_exists(h, BCF_HL_FLT, id)) return id;
    ksprintf(&s, "##FILTER=<ID=%s,Description=\"(not declared in the imported header)\">", name);
    bcf_hdr_append(h, s.s);
    free(s.s);
    if (bcf_hdr_sync(h) < 0) return -1;
    return bcf_hdr_id2int(h, BCF_DT_ID, name);
}

int bcms_view(bcms_store_t *st, const bcms_view_opts_t *o)
{
    MDB_txn *txn = NULL;
    bcms_dataset_t *list = NULL;
    int nds = 0, di = -1, rc, *ctg_rid = NULL, *outcol = NULL;
    bcms_regions_t rg = {0, NULL};
    uint32_t *sel = NULL, nsel = 0;
    char **names = NULL, mode[8];
    bcf_hdr_t *h = NULL;
    htsFile *out = NULL;
    bcms_outfile_t *of = NULL;
    bcf1_t *rec = bcf_init();
    bcms_codec_t *codec = bcms_codec_new(1);
    kstring_t raw = {0, 0, NULL}, als = {0, 0, NULL};
    bcms_sites_t sites = {0};
    bcms_gtblock_t g = {0};
    int32_t *gt = NULL, *flt = NULL;
    float *dsv = NULL;
    const bcms_dataset_t *ds;

    if (!rec || !codec) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if ((rc = bcms_regions_parse(o->regions, &rg))) goto done;
    if ((rc = bcms_txn_begin(st, 1, &txn))) goto done;
    if ((rc = bcms_dataset_list(st, txn, &list, &nds))) goto done;
    if ((di = bcms_dataset_pick(list, nds, o->dataset)) < 0) {
        rc = di;
        goto done;
    }
    ds = &list[di];
    bcms_regions_resolve(&rg, ds);
    if ((rc = bcms_sample_names(st, txn, ds->samples, ds->nsamples, &names))) goto done;
    if ((rc = select_by_names(names, ds, o->samples, o->samples_file, &sel, &nsel))) goto done;
    if (!(h = view_header(ds, names, sel, nsel, o->command))) {
        rc = bcms_err(BCMS_ECORRUPT, "dataset %u: the stored VCF header does not parse", ds->id);
        goto done;
    }
    if ((rc = view_header_check(h, ds, names, sel, nsel))) goto done;
    snprintf(mode, sizeof mode, "w%s", o->format == 'z' ? "z" : o->format == 'b' ? "b" : o->format == 'u' ? "bu" : "");
    if ((rc = bcms_outfile_open(o->out, BCMS_OUT_RAW, &of))) goto done;
    {
        int fd = bcms_outfile_dup_fd(of);
        hFILE *hf = fd >= 0 ? hdopen(fd, "w") : NULL;
        if (!hf && fd >= 0) close(fd);
        if (!hf || !(out = hts_hopen(hf, o->out, mode))) {
            if (hf) hclose_abruptly(hf);
            rc = bcms_err(BCMS_EIO, "%s: cannot open for writing", o->out);
            goto done;
        }
    }
    if (o->threads > 1) hts_set_threads(out, o->threads);
    /* FILTERs used by the data must be declared before the header is written: scan the site frames
     * first (cheap: no genotypes) */
    for (uint32_t b = 0; b < ds->nblocks && !o->header_only; b++) {
        if (!bcms_regions_block(&rg, &ds->blocks[b])) continue;
        if ((rc = bcms_block_read_sites(st, txn, ds, b, codec, &raw, &sites))) goto done;
        for (uint32_t v = 0; v < sites.nvar; v++) {
            char *f = BCMS_SITE_STR(&sites, sites.v[v].filter), *save = NULL, *tok;
            if (!*f) continue;
            char *copy = strdup(f);
            for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) ensure_filter(h, tok);
            free(copy);
        }
    }
    errno = 0;
    if (bcf_hdr_write(out, h) < 0) {
        rc = bcms_outfile_err(of, "writing the header");
        goto done;
    }
    if (o->header_only) goto done;
    if (!(ctg_rid = malloc(sizeof *ctg_rid * (ds->ncontigs + 1))) || !(gt = malloc(sizeof *gt * 2 * (nsel + 1))) ||
        !(dsv = malloc(sizeof *dsv * (nsel + 1))) || !(flt = malloc(sizeof *flt * 64))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if (!(outcol = malloc(sizeof *outcol * (ds->nsamples + 1)))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (uint32_t i = 0; i < ds->nsamples; i++) outcol[i] = -1;
    for (uint32_t i = 0; i < nsel; i++) outcol[sel[i]] = (int)i;
    for (uint32_t c = 0; c < ds->ncontigs; c++) ctg_rid[c] = bcf_hdr_name2id(h, ds->contigs[c].name);
    for (uint32_t b = 0; b < ds->nblocks; b++) {
        const bcms_block_info_t *bi = &ds->blocks[b];
        if (!bcms_regions_block(&rg, bi)) continue;
        if ((rc = bcms_block_read_sites(st, txn, ds, b, codec, &raw, &sites))) goto done;
        if ((rc = bcms_block_read_gt(st, txn, ds, b, codec, &raw,
                                     BCMS_GT_DEC_PHASE | BCMS_GT_DEC_EXC | BCMS_GT_DEC_DS, &g)))
            goto done;
        for (uint32_t v = 0; v < sites.nvar; v++) {
            const bcms_site_t *s = &sites.v[v];
            const uint8_t *c = g.codes + (size_t)v * g.nsamp, *ph = g.phase + (size_t)v * g.nsamp;
            int maxp = 2, nflt = 0;
            if (!bcms_regions_pos(&rg, bi->contig, s->pos)) continue;
            bcf_clear(rec);
            rec->rid = ctg_rid[bi->contig];
            rec->pos = s->pos - 1;
            rec->qual = s->qual;
            bcf_update_id(h, rec, BCMS_SITE_STR(&sites, s->id));
            als.l = 0;
            kputs(BCMS_SITE_STR(&sites, s->ref), &als);
            if (strcmp(BCMS_SITE_STR(&sites, s->alt), ".")) {
                kputc(',', &als);
                kputs(BCMS_SITE_STR(&sites, s->alt), &als);
            }
            bcf_update_alleles_str(h, rec, als.s);
            {
                char *f = BCMS_SITE_STR(&sites, s->filter), *copy, *save = NULL, *tok;
                if (*f) {
                    copy = strdup(f);
                    for (tok = strtok_r(copy, ";", &save); tok && nflt < 64; tok = strtok_r(NULL, ";", &save))
                        flt[nflt++] = bcf_hdr_id2int(h, BCF_DT_ID, tok);
                    free(copy);
                }
                bcf_update_filter(h, rec, nflt ? flt : NULL, nflt);
            }
            /* exceptions may need a wider ploidy */
            for (uint32_t e = g.exc_start[v]; e < g.exc_start[v + 1]; e++)
                if ((int)g.exc[e].ploidy > maxp) maxp = (int)g.exc[e].ploidy;
            if (maxp > 2) {
                int32_t *ng = realloc(gt, sizeof *gt * maxp * (nsel + 1));
                if (!ng) {
                    rc = BCMS_ENOMEM;
                    goto done;
                }
                gt = ng;
            }
            /* map dataset column -> output column for exceptions: sel is small enough to scan */
            for (uint32_t i = 0; i < nsel; i++) {
                uint32_t col = sel[i];
                int32_t *p = gt + (size_t)i * maxp;
                uint8_t code = c[col];
                if (code == 3) {
                    p[0] = bcf_gt_missing;
                    p[1] = (ph[col] & BCMS_PH_PHASED) ? bcf_gt_missing | 1 : bcf_gt_missing;
                } else {
                    int a0 = code == 2 || (code == 1 && (ph[col] & BCMS_PH_ALT_FIRST));
                    int a1 = code == 2 || (code == 1 && !(ph[col] & BCMS_PH_ALT_FIRST));
                    p[0] = bcf_gt_unphased(a0);
                    p[1] = (ph[col] & BCMS_PH_PHASED) ? bcf_gt_phased(a1) : bcf_gt_unphased(a1);
                }
                for (int k = 2; k < maxp; k++) p[k] = bcf_int32_vector_end;
            }
            for (uint32_t e = g.exc_start[v]; e < g.exc_start[v + 1]; e++) {
                int i = outcol[g.exc[e].sample], k = 0;
                if (i < 0) continue;
                int32_t *p = gt + (size_t)i * maxp;
                for (; k < (int)g.exc[e].ploidy; k++) p[k] = g.exc_al[g.exc[e].off + k];
                for (; k < maxp; k++) p[k] = bcf_int32_vector_end;
                if (g.exc[e].ploidy == 0) p[0] = bcf_gt_missing;
            }
            if (nsel && bcf_update_genotypes(h, rec, gt, (int)nsel * maxp) < 0) {
                rc = bcms_err(BCMS_ENOMEM, "%s: cannot format the genotypes of %s:%lld", o->out,
                              ds->contigs[bi->contig].name, (long long)s->pos);
                goto done;
            }
            if (g.row_has_ds[v]) {
                const float *d = g.ds + (size_t)v * g.nsamp;
                for (uint32_t i = 0; i < nsel; i++) {
                    if (isnan(d[sel[i]])) bcf_float_set_missing(dsv[i]);
                    else dsv[i] = d[sel[i]];
                }
                if (nsel && bcf_update_format_float(h, rec, "DS", dsv, (int)nsel) < 0) {
                    rc = bcms_err(BCMS_ENOMEM, "%s: cannot format the dosages of %s:%lld", o->out,
                                  ds->contigs[bi->contig].name, (long long)s->pos);
                    goto done;
                }
            }
            errno = 0;
            if (bcf_write(out, h, rec) < 0) {
                rc = bcms_outfile_err(of, "writing");
                goto done;
            }
        }
    }
done:
    errno = 0;
    if (out && hts_close(out) < 0 && !rc) rc = bcms_outfile_err(of, "writing");
    /* the output appears only when complete */
    if (of && !rc) rc = bcms_outfile_commit(of);
    else bcms_outfile_abort(of);
    if (h) bcf_hdr_destroy(h);
    if (names) bcms_sample_names_free(names, list[di].nsamples);
    if (txn) mdb_txn_abort(txn);
    bcms_dataset_list_free(list, nds);
    bcms_regions_free(&rg);
    free(sel);
    free(ctg_rid);
    free(outcol);
    free(gt);
    free(dsv);
    free(flt);
    free(raw.s);
    free(als.s);
    bcms_sites_free(&sites);
    bcms_gtblock_free(&g);
    bcms_codec_free(codec);
    if (rec) bcf_destroy(rec);
    return rc;
}
