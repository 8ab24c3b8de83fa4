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

#include "contig.h"
#include "dataset.h"
#include "err.h"
#include "reader_internal.h"
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
            if (!*line || *line == '#') continue; /* a PLINK-style #IID header, or a comment */
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
static bcf_hdr_t *view_header(bcms_dataset_t *const *dsv, int nds, char **names, uint32_t *sel, uint32_t nsel,
                              const char *command)
{
    bcf_hdr_t *h0 = bcf_hdr_init("r"), *h;
    kstring_t s = {0, 0, NULL};
    if (!h0) return NULL;
    if (bcf_hdr_parse(h0, dsv[0]->header_text) < 0) {
        bcf_hdr_destroy(h0);
        return NULL;
    }
    for (int d = 0; d < nds; d++)
        for (uint32_t c = 0; c < dsv[d]->ncontigs; c++)
            if (bcf_hdr_name2id(h0, dsv[d]->contigs[c].input_name) < 0) {
                s.l = 0;
                ksprintf(&s, "##contig=<ID=%s>", dsv[d]->contigs[c].input_name);
                if (bcf_hdr_append(h0, s.s) < 0 || bcf_hdr_sync(h0) < 0) {
                    free(s.s);
                    bcf_hdr_destroy(h0);
                    return NULL;
                }
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
        if (bcf_hdr_name2id(h, ds->contigs[c].input_name) < 0)
            return bcms_err(BCMS_ECORRUPT, "dataset %u (%s): contig '%.40s' cannot be written as VCF; the store is "
                            "damaged", ds->id, ds->cohort, ds->contigs[c].input_name);
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

static int first_rank(const bcms_dataset_t *ds)
{
    char c[256];
    if (!ds->nblocks || bcms_contig_canon(ds->contigs[ds->blocks[0].contig].name, -1, c, sizeof c) < 0) return 1 << 30;
    return bcms_contig_rank(c);
}

/* The datasets to write: one by id, or every dataset of a cohort (or of the store) when they hold the
 * same samples (per-chromosome imports), ordered by their first contig. Two of them with a contig
 * in common cannot be concatenated into one sorted VCF: an error naming both. */
static int view_datasets(bcms_dataset_t *list, int n, const char *spec, bcms_dataset_t ***out, int *nout)
{
    bcms_dataset_t **v = calloc(n + 1, sizeof *v);
    char a[256], b[256];
    int k = 0, di;
    *out = NULL, *nout = 0;
    if (!v) return BCMS_ENOMEM;
    for (int i = 0; i < n; i++)
        if ((spec && !strcmp(list[i].cohort, spec)) || (!spec && list[i].nsamples == list[0].nsamples &&
                                                        !memcmp(list[i].samples, list[0].samples,
                                                                sizeof *list[0].samples * list[0].nsamples)))
            v[k++] = &list[i];
    if ((!spec && k != n) || (spec && !k)) { /* several sample sets, or an id: one dataset */
        if ((di = bcms_dataset_pick(list, n, spec)) < 0) {
            free(v);
            return di;
        }
        v[0] = &list[di], k = 1;
    }
    for (int i = 1; i < k; i++)
        if (v[i]->nsamples != v[0]->nsamples ||
            memcmp(v[i]->samples, v[0]->samples, sizeof *v[0]->samples * v[0]->nsamples)) {
            int id0 = (int)v[0]->id, id1 = (int)v[i]->id;
            free(v);
            return bcms_err(BCMS_EINVAL, "datasets %d and %d of cohort '%s' hold different samples: view writes one "
                            "sample set; choose one dataset with -d ID", id0, id1, spec);
        }
    for (int i = 0; i < k; i++) /* order by the rank of the first contig with data (few datasets) */
        for (int j = i; j > 0 && first_rank(v[j]) < first_rank(v[j - 1]); j--) {
            bcms_dataset_t *t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            for (uint32_t bi = 0; bi < v[i]->nblocks; bi++)
                for (uint32_t bj = 0; bj < v[j]->nblocks; bj++)
                    if (bcms_contig_canon(v[i]->contigs[v[i]->blocks[bi].contig].name, -1, a, sizeof a) >= 0 &&
                        bcms_contig_canon(v[j]->contigs[v[j]->blocks[bj].contig].name, -1, b, sizeof b) >= 0 &&
                        !strcmp(a, b)) {
                        int id0 = (int)v[i]->id, id1 = (int)v[j]->id;
                        free(v);
                        return bcms_err(BCMS_EINPUT, "datasets %d and %d both hold variants on contig %s for the same "
                                        "samples; write one of them with -d ID", id0, id1, a);
                    }
    *out = v, *nout = k;
    return 0;
}

/* --keep / --remove on the selection sel (columns of ds). */
static int view_keep_remove(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds, const bcms_view_opts_t *o,
                            uint32_t *sel, uint32_t *nsel)
{
    khash_t(rdset) *keep = NULL, *rem = NULL;
    uint32_t unknown = 0, k = 0;
    int rc = 0;
    if (!o->keep && !o->remove) return 0;
    if ((o->keep && !(keep = kh_init(rdset))) || (o->remove && !(rem = kh_init(rdset)))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if ((keep && (rc = rd_iid_file_read(st, txn, o->keep, keep, &unknown))) ||
        (rem && (rc = rd_iid_file_read(st, txn, o->remove, rem, &unknown))))
        goto done;
    for (uint32_t i = 0; i < *nsel; i++) {
        uint32_t g = ds->samples[sel[i]];
        if ((keep && kh_get(rdset, keep, g) == kh_end(keep)) || (rem && kh_get(rdset, rem, g) != kh_end(rem))) continue;
        sel[k++] = sel[i];
    }
    *nsel = k;
done:
    if (keep) kh_destroy(rdset, keep);
    if (rem) kh_destroy(rdset, rem);
    return rc;
}

typedef struct { /* what writing records needs */
    bcms_store_t *st;
    MDB_txn *txn;
    bcf_hdr_t *h;
    htsFile *out;
    bcms_outfile_t *of;       /* the file behind out (outfile.h) */
    const bcms_view_opts_t *o;
    bcms_regions_t *rg;
    const rd_varlist_t *ex, *xx;
    const uint32_t *sel;
    uint32_t nsel;
    bcf1_t *rec;
    bcms_codec_t *codec;
    rd_fetch_t fetch;         /* frames by pread (reader_fetch.c): the store's pages do not pile up */
    kstring_t raw, als, fbuf;
    bcms_sites_t sites;
    bcms_gtblock_t g;
    int32_t *gt, *flt;
    float *dsv;
    uint64_t r2_with, r2_without, r2_dropped; /* --minr2 */
} view_ctx_t;

/* --minr2 on row s (reader_r2.c has the rule) */
static int view_r2_pass(view_ctx_t *vc, const bcms_site_t *s)
{
    if (!(vc->o->minr2 > 0)) return 1;
    if (isnan(s->r2)) return ++vc->r2_without, 1;
    vc->r2_with++;
    if (s->r2 >= vc->o->minr2) return 1;
    vc->r2_dropped++;
    return 0;
}

/* Is row s of contig c of ds selected by --extract / --exclude? */
static int view_listed(const view_ctx_t *vc, const bcms_dataset_t *ds, uint32_t c, const bcms_site_t *s)
{
    char canon[256];
    if (!vc->ex && !vc->xx) return 1;
    if (bcms_contig_canon(ds->contigs[c].name, -1, canon, sizeof canon) < 0) return 0;
    const char *id = BCMS_SITE_STR(&vc->sites, s->id), *ref = BCMS_SITE_STR(&vc->sites, s->ref),
               *alt = BCMS_SITE_STR(&vc->sites, s->alt);
    return (!vc->ex || rd_varlist_match(vc->ex, canon, s->pos, id, ref, alt)) &&
           (!vc->xx || !rd_varlist_match(vc->xx, canon, s->pos, id, ref, alt));
}

/* FILTERs used by the data must be declared before the header is written: scan the site frames
 * first (cheap: no genotypes). */
static int view_declare_filters(view_ctx_t *vc, bcms_dataset_t *const *dsv, int nds)
{
    int rc;
    for (int d = 0; d < nds; d++) {
        const bcms_dataset_t *ds = dsv[d];
        bcms_regions_resolve(vc->rg, ds);
        for (uint32_t b = 0; b < ds->nblocks; b++) {
            if (!bcms_regions_block(vc->rg, &ds->blocks[b])) continue;
            if ((rc = rd_block_sites(vc->st, vc->txn, &vc->fetch, ds, b, vc->codec, &vc->fbuf, &vc->raw, &vc->sites)))
                return rc;
            for (uint32_t v = 0; v < vc->sites.nvar; v++) {
                char *f = BCMS_SITE_STR(&vc->sites, vc->sites.v[v].filter), *save = NULL, *tok;
                if (!*f) continue;
                char *copy = strdup(f);
                if (!copy) return BCMS_ENOMEM;
                for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) ensure_filter(vc->h, tok);
                free(copy);
            }
        }
    }
    return 0;
}

/* One record: sites, GT (exceptions as imported), DS. */
static int view_record(view_ctx_t *vc, const bcms_dataset_t *ds, int rid, uint32_t v, const int *outcol)
{
    const bcms_site_t *s = &vc->sites.v[v];
    const bcms_gtblock_t *g = &vc->g;
    const uint8_t *c = g->codes + (size_t)v * g->nsamp, *ph = g->phase + (size_t)v * g->nsamp;
    bcf1_t *rec = vc->rec;
    bcf_hdr_t *h = vc->h;
    int maxp = 2, nflt = 0;
    (void)ds;
    bcf_clear(rec);
    rec->rid = rid;
    rec->pos = s->pos - 1;
    rec->qual = s->qual;
    bcf_update_id(h, rec, BCMS_SITE_STR(&vc->sites, s->id));
    vc->als.l = 0;
    kputs(BCMS_SITE_STR(&vc->sites, s->ref), &vc->als);
    if (strcmp(BCMS_SITE_STR(&vc->sites, s->alt), ".")) {
        kputc(',', &vc->als);
        kputs(BCMS_SITE_STR(&vc->sites, s->alt), &vc->als);
    }
    bcf_update_alleles_str(h, rec, vc->als.s);
    {
        char *f = BCMS_SITE_STR(&vc->sites, s->filter), *copy, *save = NULL, *tok;
        if (*f) {
            if (!(copy = strdup(f))) return BCMS_ENOMEM;
            for (tok = strtok_r(copy, ";", &save); tok && nflt < 64; tok = strtok_r(NULL, ";", &save))
                vc->flt[nflt++] = bcf_hdr_id2int(h, BCF_DT_ID, tok);
            free(copy);
        }
        bcf_update_filter(h, rec, nflt ? vc->flt : NULL, nflt);
    }
    /* exceptions may need a wider ploidy */
    for (uint32_t e = g->exc_start[v]; e < g->exc_start[v + 1]; e++)
        if ((int)g->exc[e].ploidy > maxp) maxp = (int)g->exc[e].ploidy;
    if (maxp > 2) {
        int32_t *ng = realloc(vc->gt, sizeof *vc->gt * maxp * (vc->nsel + 1));
        if (!ng) return BCMS_ENOMEM;
        vc->gt = ng;
    }
    for (uint32_t i = 0; i < vc->nsel; i++) {
        uint32_t col = vc->sel[i];
        int32_t *p = vc->gt + (size_t)i * maxp;
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
    for (uint32_t e = g->exc_start[v]; e < g->exc_start[v + 1]; e++) {
        int i = outcol[g->exc[e].sample], k = 0;
        if (i < 0) continue;
        int32_t *p = vc->gt + (size_t)i * maxp;
        for (; k < (int)g->exc[e].ploidy; k++) p[k] = g->exc_al[g->exc[e].off + k];
        for (; k < maxp; k++) p[k] = bcf_int32_vector_end;
        if (g->exc[e].ploidy == 0) p[0] = bcf_gt_missing;
    }
    bcf_update_genotypes(h, rec, vc->gt, (int)vc->nsel * maxp);
    if (g->row_has_ds[v]) {
        const float *d = g->ds + (size_t)v * g->nsamp;
        for (uint32_t i = 0; i < vc->nsel; i++) {
            if (isnan(d[vc->sel[i]])) bcf_float_set_missing(vc->dsv[i]);
            else vc->dsv[i] = d[vc->sel[i]];
        }
        bcf_update_format_float(h, rec, "DS", vc->dsv, (int)vc->nsel);
    }
    errno = 0;
    if (bcf_write(vc->out, h, rec) < 0) return bcms_outfile_err(vc->of, "writing");
    return 0;
}

/* Every selected record of one dataset. */
static int view_records(view_ctx_t *vc, const bcms_dataset_t *ds)
{
    int *ctg_rid = malloc(sizeof *ctg_rid * (ds->ncontigs + 1)), *outcol = malloc(sizeof *outcol * (ds->nsamples + 1));
    const void **sp = calloc(ds->nblocks + 1, sizeof *sp), **gp = calloc(ds->nblocks + 1, sizeof *gp);
    size_t *sn = calloc(ds->nblocks + 1, sizeof *sn), *gn = calloc(ds->nblocks + 1, sizeof *gn);
    int rc = 0;
    if (!ctg_rid || !outcol || !sp || !gp || !sn || !gn) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (uint32_t i = 0; i < ds->nsamples; i++) outcol[i] = -1;
    for (uint32_t i = 0; i < vc->nsel; i++) outcol[vc->sel[i]] = (int)i;
    for (uint32_t c = 0; c < ds->ncontigs; c++) ctg_rid[c] = bcf_hdr_name2id(vc->h, ds->contigs[c].input_name); /* the input spelling */
    bcms_regions_resolve(vc->rg, ds);
    /* every frame looked up first, then read by pread: no B-tree page (a whole page-cache folio) is
     * mapped while the blocks are decoded, so memory stays flat in the variant count */
    for (uint32_t b = 0; b < ds->nblocks && !rc; b++)
        if (bcms_regions_block(vc->rg, &ds->blocks[b]) &&
            !(rc = rd_frame_lookup(vc->st, vc->txn, BCMS_FRAME_SITES, ds, b, &sp[b], &sn[b])))
            rc = rd_frame_lookup(vc->st, vc->txn, BCMS_FRAME_GT, ds, b, &gp[b], &gn[b]);
    for (uint32_t b = 0; b < ds->nblocks && !rc; b++) {
        const bcms_block_info_t *bi = &ds->blocks[b];
        if (!bcms_regions_block(vc->rg, bi)) continue;
        if ((rc = rd_sites_read(vc->st, &vc->fetch, ds, b, sp[b], sn[b], vc->codec, &vc->fbuf, &vc->raw, &vc->sites)))
            goto done;
        if ((rc = rd_gt_read(vc->st, &vc->fetch, ds, b, gp[b], gn[b], vc->codec, &vc->fbuf, &vc->raw,
                             BCMS_GT_DEC_PHASE | BCMS_GT_DEC_EXC | BCMS_GT_DEC_DS, &vc->g)))
            goto done;
        for (uint32_t v = 0; v < vc->sites.nvar; v++) {
            if (!bcms_regions_pos(vc->rg, bi->contig, vc->sites.v[v].pos)) continue;
            if (!view_listed(vc, ds, bi->contig, &vc->sites.v[v])) continue;
            if (!view_r2_pass(vc, &vc->sites.v[v])) continue;
            if ((rc = view_record(vc, ds, ctg_rid[bi->contig], v, outcol))) goto done;
        }
    }
done:
    free(ctg_rid);
    free(outcol);
    free(sp), free(gp), free(sn), free(gn);
    return rc;
}

int bcms_view(bcms_store_t *st, const bcms_view_opts_t *o)
{
    bcms_dataset_t *list = NULL, **dsv = NULL;
    int nds = 0, nsel_ds = 0, rc;
    bcms_regions_t rg = {0, NULL};
    rd_varlist_t ex = {0}, xx = {0};
    uint32_t *sel = NULL, nsel = 0;
    char **names = NULL, mode[8];
    bcms_outfile_t *of = NULL;
    view_ctx_t vc;
    memset(&vc, 0, sizeof vc);
    vc.st = st, vc.o = o, vc.rg = &rg;
    rd_fetch_init(&vc.fetch, st);
    vc.rec = bcf_init();
    vc.codec = bcms_codec_new(1);
    if (!vc.rec || !vc.codec) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if ((rc = bcms_regions_parse(o->regions, &rg))) goto done;
    if ((o->extract && (rc = rd_varlist_load(o->extract, &ex))) || (o->exclude && (rc = rd_varlist_load(o->exclude, &xx))))
        goto done;
    vc.ex = o->extract ? &ex : NULL, vc.xx = o->exclude ? &xx : NULL;
    if ((rc = bcms_txn_begin(st, 1, &vc.txn))) goto done;
    if ((rc = bcms_dataset_list(st, vc.txn, &list, &nds))) goto done;
    if ((rc = view_datasets(list, nds, o->dataset, &dsv, &nsel_ds))) goto done;
    if ((rc = bcms_regions_check(&rg, (const bcms_dataset_t *const *)dsv, nsel_ds))) goto done;
    if ((rc = bcms_sample_names(st, vc.txn, dsv[0]->samples, dsv[0]->nsamples, &names))) goto done;
    if ((rc = select_by_names(names, dsv[0], o->samples, o->samples_file, &sel, &nsel))) goto done;
    if ((rc = view_keep_remove(st, vc.txn, dsv[0], o, sel, &nsel))) goto done;
    vc.sel = sel, vc.nsel = nsel;
    if (!(vc.h = view_header(dsv, nsel_ds, names, sel, nsel, o->command))) {
        rc = bcms_err(BCMS_ECORRUPT, "dataset %u: the stored VCF header does not parse", dsv[0]->id);
        goto done;
    }
    if ((rc = view_header_check(vc.h, dsv[0], names, sel, nsel))) goto done;
    snprintf(mode, sizeof mode, "w%s", o->format == 'z' ? "z" : o->format == 'b' ? "b" : o->format == 'u' ? "bu" : "");
    if ((rc = bcms_outfile_open(o->out, BCMS_OUT_RAW, &of))) goto done;
    vc.of = of;
    {
        int fd = bcms_outfile_dup_fd(of);
        hFILE *hf = fd >= 0 ? hdopen(fd, "w") : NULL;
        if (!hf && fd >= 0) close(fd);
        if (!hf || !(vc.out = hts_hopen(hf, o->out, mode))) {
            if (hf) hclose_abruptly(hf);
            rc = bcms_err(BCMS_EIO, "%s: cannot open for writing", o->out);
            goto done;
        }
    }
    if (o->threads > 1) hts_set_threads(vc.out, o->threads);
    if (!o->header_only && (rc = view_declare_filters(&vc, dsv, nsel_ds))) goto done;
    errno = 0;
    if (bcf_hdr_write(vc.out, vc.h) < 0) {
        rc = bcms_outfile_err(of, "writing the header");
        goto done;
    }
    if (o->header_only) goto done;
    if (!(vc.gt = malloc(sizeof *vc.gt * 2 * (nsel + 1))) || !(vc.dsv = malloc(sizeof *vc.dsv * (nsel + 1))) ||
        !(vc.flt = malloc(sizeof *vc.flt * 64))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int d = 0; d < nsel_ds && !rc; d++) rc = view_records(&vc, dsv[d]);
    if (!rc && o->minr2 > 0) rc = rd_r2_report(o->minr2, vc.r2_with, vc.r2_without, vc.r2_dropped);
done:
    errno = 0;
    if (vc.out && hts_close(vc.out) < 0 && !rc) rc = bcms_outfile_err(of, "writing");
    /* the output appears only when complete */
    if (of && !rc) rc = bcms_outfile_commit(of);
    else bcms_outfile_abort(of);
    if (vc.h) bcf_hdr_destroy(vc.h);
    if (names) bcms_sample_names_free(names, dsv[0]->nsamples);
    if (vc.txn) mdb_txn_abort(vc.txn);
    free(dsv);
    bcms_dataset_list_free(list, nds);
    bcms_regions_free(&rg);
    rd_varlist_free(&ex);
    rd_varlist_free(&xx);
    free(sel);
    free(vc.gt);
    free(vc.dsv);
    free(vc.flt);
    free(vc.raw.s);
    free(vc.fbuf.s);
    free(vc.als.s);
    bcms_sites_free(&vc.sites);
    bcms_gtblock_free(&vc.g);
    bcms_codec_free(vc.codec);
    if (vc.rec) bcf_destroy(vc.rec);
    return rc;
}
