/* vcf_import.c: the import pipeline.
 *
 *   main thread: read a batch of raw records (text lines for VCF, bcf1_t for BCF), cutting it into
 *                block jobs of a fixed record count that never span two contigs
 *   workers:     parse (vcf_parse, each with its own copy of the header), split into biallelic rows,
 *                encode and compress the block's site and genotype frames
 *   main thread: check order across blocks, put the frames into LMDB in order (MDB_APPEND)
 *
 * Block boundaries depend only on the input and the sample count, never on the thread count, so the
 * store is byte-identical at 1 and N threads. BGZF decompression runs on htslib's own thread pool. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <omp.h>
#include <htslib/hts.h>
#include <htslib/hfile.h>
#include <htslib/bgzf.h>
#include <htslib/khash.h>
#include <htslib/vcf.h>
#include <htslib/hts_endian.h>

#include "block.h"
#include "bytes.h"
#include "codec.h"
#include "dataset.h"
#include "err.h"
#include "vcf_import.h"
#include "vcf_rows.h"
#include "bcms_version.h"

KHASH_MAP_INIT_STR(ctg, int)

void bcms_import_opts_init(bcms_import_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->level = 4;
    o->block_bytes = 1u << 20;
}

int bcms_import_opts_check(const bcms_import_opts_t *o)
{
    if (o->threads < 1 || o->threads > 1024) return bcms_err(BCMS_EINVAL, "--threads must be between 1 and 1024");
    if (o->level < 1 || o->level > 12) return bcms_err(BCMS_EINVAL, "compression level must be 1..12");
    if (o->block_bytes < 4096) return bcms_err(BCMS_EINVAL, "block size too small");
    return 0;
}

/* One block's worth of input records and, after the workers ran, its frames. */
typedef struct {
    uint32_t contig;
    uint64_t first_line;         /* VCF line number (or BCF record number) of the first record */
    uint32_t nrec;
    kstring_t text;              /* VCF: the lines, each NUL-terminated */
    uint32_t *line_off;          /* VCF: offset of each line in text */
    bcf1_t **recs;               /* BCF: records */
    uint32_t mrec;
    /* results */
    int rc;
    char err[1024];
    uint32_t nrows, nsplit;            /* rows made, multi-allelic records split */
    int64_t first_pos, last_pos;
    int any_phase, any_ds;
    kstring_t sites_frame, gt_frame;
} job_t;

typedef struct {
    bcf_hdr_t *hdr;              /* private copy: vcf_parse may add undeclared tags/contigs to it */
    bcf_hdr_t *hdr_sites;        /* private sample-less copy for the fast path's site columns */
    bcf1_t *rec;
    bcms_rowbuf_t rb;
    bcms_sites_t sites;
    kstring_t raw, gtraw, save;
    kstring_t gts[3];            /* the genotype streams of the block being built */
    bcms_codec_t *codec;
} worker_t;

static const char *errcode_words(int e)
{
    if (e & BCF_ERR_NCOLS) return "wrong number of columns for the samples in the header";
    if (e & BCF_ERR_CTG_INVALID) return "invalid CHROM";
    if (e & BCF_ERR_TAG_INVALID) return "invalid INFO/FORMAT tag";
    if (e & BCF_ERR_LIMITS) return "a value exceeds htslib's limits";
    if (e & BCF_ERR_CHAR) return "invalid character";
    if (e & BCF_ERR_CTG_UNDEF) return "CHROM not defined in the header";
    if (e & BCF_ERR_TAG_UNDEF) return "tag not defined in the header";
    return "malformed record";
}

/* Count tab-separated columns quickly (memchr), to name a sample-count mismatch precisely. */
static uint32_t count_columns(const char *s, size_t l)
{
    uint32_t n = 1;
    const char *p = s, *end = s + l;
    while ((p = memchr(p, '\t', end - p))) n++, p++;
    return n;
}

static void job_fail(job_t *j, uint32_t r, const char *path, int is_bcf, const char *fmt, const char *detail)
{
    j->rc = BCMS_EINPUT;
    snprintf(j->err, sizeof j->err, "%s: %s %llu: %s%s%s", path, is_bcf ? "record" : "line",
             (unsigned long long)(j->first_line + r), fmt, detail ? ": " : "", detail ? detail : "");
}

static void job_run(job_t *j, worker_t *w, uint32_t nsamp, const char *path, int is_bcf, int ds_idx)
{
    int rc;
    const bcf_hdr_t *hdr_used = w->hdr;
    j->rc = 0;
    j->nrows = 0;
    j->nsplit = 0;
    j->any_phase = j->any_ds = 0;
    bcms_sites_reset(&w->sites);
    w->gtraw.l = 0;
    w->gts[0].l = w->gts[1].l = w->gts[2].l = 0;
    w->rb.have_prev = 0;
    memset(w->rb.prev_phase, 0, nsamp);
    for (uint32_t r = 0; r < j->nrec; r++) {
        bcf1_t *rec;
        uint32_t nrows;
        if (is_bcf) {
            rec = j->recs[r];
        } else {
            char *line = j->text.s + j->line_off[r];
            size_t len = (r + 1 < j->nrec ? j->line_off[r + 1] : j->text.l) - j->line_off[r] - 1;
            kstring_t ks = {len, len + 1, line};
            const bcf_hdr_t *hused = w->hdr;
            rec = w->rec;
            bcf_clear(rec);
            /* fast path: htslib parses the 8 site columns, bcms the genotypes */
            if (ds_idx >= 0) {
                char *tab = line, *fmt = NULL;
                int k = 0;
                while (k < 8 && (tab = memchr(tab, '\t', line + len - tab))) k++, tab++;
                fmt = k == 8 ? tab : NULL;
                if (fmt && !strncmp(fmt, "GT", 2) && (fmt[2] == ':' || fmt[2] == '\t')) {
                    char *samp = memchr(fmt, '\t', line + len - fmt);
                    int dsi = 0;
                    if (samp && ds_idx > 0) {
                        /* index of DS among the FORMAT keys */
                        int f = 0;
                        for (char *q = fmt; q < samp; f++) {
                            char *e = memchr(q, ':', samp - q);
                            if (!e) e = samp;
                            if (e - q == 2 && q[0] == 'D' && q[1] == 'S') dsi = f;
                            q = e + 1;
                        }
                    }
                    if (samp) {
                        kstring_t site = {(size_t)(fmt - 1 - line), (size_t)(fmt - line), line};
                        char saved = fmt[-1];
                        /* vcf_parse tokenises in place: keep the site columns to restore them if
                         * the record falls back to the full parser */
                        w->save.l = 0;
                        kputsn(line, site.l, &w->save);
                        fmt[-1] = 0;
                        int ok = vcf_parse(&site, w->hdr_sites, rec) == 0 && rec->n_allele >= 1 &&
                                 bcms_vcf_fast_samples(&w->rb, samp + 1, line + len, rec->n_allele, dsi) == 0;
                        fmt[-1] = saved;
                        if (ok) hused = w->hdr_sites;
                        else {
                            w->rb.prefilled = 0;
                            bcf_clear(rec);
                            if (w->save.l == site.l) memcpy(line, w->save.s, site.l);
                        }
                    }
                }
            }
            if (hused != w->hdr_sites) {
                uint32_t ncol = count_columns(line, len);
                if (ncol != 9 + nsamp && !(nsamp == 0 && ncol == 8)) {
                    char msg[160];
                    snprintf(msg, sizeof msg, "%u columns, the header has %u samples (%u columns expected)", ncol,
                             nsamp, 9 + nsamp);
                    job_fail(j, r, path, 0, "wrong number of columns", msg);
                    return;
                }
                if (vcf_parse(&ks, w->hdr, rec) < 0) {
                    job_fail(j, r, path, 0, "cannot parse the record", errcode_words(rec->errcode));
                    return;
                }
            }
            hdr_used = hused;
        }
        if (is_bcf && (rec->errcode & ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF))) {
            job_fail(j, r, path, 1, "malformed BCF record", errcode_words(rec->errcode));
            return;
        }
        /* POS 0 (a telomere) is legal VCF: htslib gives -1 */
        if (rec->n_allele < 1 || rec->pos < -1) {
            job_fail(j, r, path, is_bcf, "record without REF allele or with a negative position", NULL);
            return;
        }
        if (r == 0) j->first_pos = rec->pos + 1;
        else if (rec->pos + 1 < j->last_pos) {
            char msg[200];
            snprintf(msg, sizeof msg, "position %lld comes after %lld on %s; sort the file (bcftools sort) "
                     "and import again", (long long)rec->pos + 1, (long long)j->last_pos,
                     bcf_seqname_safe(hdr_used, rec));
            job_fail(j, r, path, is_bcf, "the file is not sorted", msg);
            return;
        }
        j->last_pos = rec->pos + 1;
        if ((rc = bcms_rows_from_record(&w->rb, hdr_used, rec, &w->sites, w->gts, &nrows, &j->any_phase,
                                        &j->any_ds))) {
            if (rc == BCMS_ENOMEM) {
                j->rc = rc;
                snprintf(j->err, sizeof j->err, "out of memory");
            } else {
                job_fail(j, r, path, is_bcf, "bad genotype data", bcms_err_detail());
            }
            return;
        }
        j->nrows += nrows;
        j->nsplit += nrows > 1;
    }
    if ((rc = bcms_gt_assemble(w->gts, &w->gtraw)) || (rc = bcms_sites_encode(&w->sites, &w->raw)) ||
        (rc = bcms_frame_pack(w->codec, BCMS_FRAME_SITES, w->raw.s, w->raw.l, &j->sites_frame)) ||
        (rc = bcms_frame_pack(w->codec, BCMS_FRAME_GT, w->gtraw.s, w->gtraw.l, &j->gt_frame))) {
        j->rc = rc;
        snprintf(j->err, sizeof j->err, "%s", bcms_err_detail());
    }
}

/* Fingerprint of an input file: MD5 over its size and its first and last MiB. Cheap on a 100 GB
 * file and enough to recognise the same file imported twice (see FORMAT.md). */
static int file_fingerprint(const char *path, uint64_t *size, char hex[33])
{
    FILE *fp = fopen(path, "rb");
    struct stat sb;
    hts_md5_context *md5;
    unsigned char dig[16], *buf;
    size_t n;
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(fp), &sb) || !(buf = malloc(1 << 20))) {
        fclose(fp);
        return bcms_err(BCMS_EIO, "%s: cannot read", path);
    }
    if (!(md5 = hts_md5_init())) {
        free(buf);
        fclose(fp);
        return BCMS_ENOMEM;
    }
    *size = (uint64_t)sb.st_size;
    {
        uint8_t le[8];
        for (int k = 0; k < 8; k++) le[k] = (uint8_t)(*size >> (8 * k));
        hts_md5_update(md5, le, 8);
    }
    /* files up to 2 MiB are hashed whole; larger ones by their first and last MiB */
    while ((n = fread(buf, 1, 1 << 20, fp)) > 0) {
        hts_md5_update(md5, buf, n);
        if (sb.st_size > (2 << 20)) {
            if (fseeko(fp, sb.st_size - (1 << 20), SEEK_SET) != 0) break;
            n = fread(buf, 1, 1 << 20, fp);
            hts_md5_update(md5, buf, n);
            break;
        }
    }
    hts_md5_final(dig, md5);
    hts_md5_hex(hex, dig);
    hts_md5_destroy(md5);
    free(buf);
    fclose(fp);
    return 0;
}

/* Number of header lines of a text VCF, so record errors can give the true line number. */
static uint64_t count_header_lines(const char *path)
{
    htsFile *fp = hts_open(path, "r");
    kstring_t s = {0, 0, NULL};
    uint64_t n = 0;
    if (!fp) return 0;
    while (hts_getline(fp, 2 /* KS_SEP_LINE */, &s) >= 0 && s.l && s.s[0] == '#') n++;
    free(s.s);
    hts_close(fp);
    return n;
}

static char *default_cohort(const char *path)
{
    const char *b = strrchr(path, '/');
    char *s = strdup(b ? b + 1 : path), *dot;
    if (!s) return NULL;
    for (const char *ext; (dot = strrchr(s, '.'));) {
        ext = dot + 1;
        if (strcmp(ext, "gz") && strcmp(ext, "vcf") && strcmp(ext, "bcf") && strcmp(ext, "bgz")) break;
        *dot = 0;
    }
    return s;
}

static int64_t input_offset(htsFile *fp)
{
    if (fp->format.compression == bgzf || fp->format.format == bcf) {
        BGZF *b = fp->fp.bgzf;
        return b ? (int64_t)(bgzf_tell(b) >> 16) : 0;
    }
    return fp->fp.hfile ? (int64_t)htell(fp->fp.hfile) : 0;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int job_reserve(job_t *j, int is_bcf)
{
    if (j->nrec < j->mrec) return 0;
    uint32_t m = j->mrec ? j->mrec * 2 : 256;
    if (is_bcf) {
        bcf1_t **r = realloc(j->recs, sizeof *r * m);
        if (!r) return BCMS_ENOMEM;
        for (uint32_t k = j->mrec; k < m; k++) r[k] = NULL;
        j->recs = r;
    } else {
        uint32_t *o = realloc(j->line_off, sizeof *o * m);
        if (!o) return BCMS_ENOMEM;
        j->line_off = o;
    }
    j->mrec = m;
    return 0;
}

/* Contig index of a record's CHROM (appending contigs the header did not declare), checking that a
 * contig does not come back after another one started (an unsorted file). */
static int contig_of(bcms_dataset_t *ds, khash_t(ctg) *ctg, uint8_t **done, const char *chrom, size_t clen,
                     int *cur, const char *path, int is_bcf, uint64_t lineno, int *out)
{
    char cbuf[256];
    khint_t k;
    int ci;
    if (clen >= sizeof cbuf)
        return bcms_err(BCMS_EINPUT, "%s: line %llu: CHROM name longer than 255 characters", path,
                        (unsigned long long)lineno);
    memcpy(cbuf, chrom, clen);
    cbuf[clen] = 0;
    k = kh_get(ctg, ctg, cbuf);
    if (k == kh_end(ctg)) {
        int absent;
        bcms_contig_t *nc = realloc(ds->contigs, sizeof *nc * (ds->ncontigs + 1));
        uint8_t *nd;
        if (!nc) return BCMS_ENOMEM;
        ds->contigs = nc;
        if (!(nc[ds->ncontigs].name = strdup(cbuf))) return BCMS_ENOMEM;
        nc[ds->ncontigs].length = 0;
        if (!(nd = realloc(*done, ds->ncontigs + 1))) return BCMS_ENOMEM;
        *done = nd;
        nd[ds->ncontigs] = 0;
        k = kh_put(ctg, ctg, nc[ds->ncontigs].name, &absent);
        kh_val(ctg, k) = (int)ds->ncontigs++;
    }
    ci = kh_val(ctg, k);
    if (ci != *cur) {
        if (*cur >= 0) (*done)[*cur] = 1;
        if ((*done)[ci])
            return bcms_err(BCMS_EINPUT, "%s: %s %llu: chromosome %s appears again after other chromosomes: the "
                            "file is not sorted; sort it (bcftools sort) and import again", path,
                            is_bcf ? "record" : "line", (unsigned long long)lineno, cbuf);
        *cur = ci;
    }
    *out = ci;
    return 0;
}

int bcms_import(bcms_store_t *st, const char *path, const bcms_import_opts_t *o, bcms_import_stats_t *stats)
{
    htsFile *fp = NULL;
    bcf_hdr_t *hdr = NULL;
    MDB_txn *txn = NULL;
    bcms_dataset_t ds;
    khash_t(ctg) *ctg = kh_init(ctg);
    worker_t *workers = NULL;
    job_t *jobs = NULL;
    kstring_t line = {0, 0, NULL}, htxt = {0, 0, NULL};
    bcf1_t *brec = NULL;
    uint64_t lineno = 0, nrec = 0, split = 0, stored = 0;
    char fp_hex[33];
    uint32_t nsamp, per_block, mblocks = 0, njobs;
    int pending = 0, pend_ctg = -1, fast_ds = -1;
    uint64_t pend_line = 0;
    int rc, is_bcf, eof = 0, nthreads = o->threads, has_ds_tag, cur_ctg = -1, new_samples = 0;
    int64_t prev_pos = 0;
    uint8_t *ctg_done = NULL;
    double t0 = now_sec(), t_prog = t0;
    bcms_import_progress_t prog;

    memset(&ds, 0, sizeof ds);
    memset(&prog, 0, sizeof prog);
    if (!ctg) return BCMS_ENOMEM;
    if ((rc = bcms_import_opts_check(o))) goto fail;
    if ((rc = file_fingerprint(path, &prog.bytes_total, fp_hex))) goto fail;

    if (!(fp = hts_open(path, "r"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (fp->format.format != vcf && fp->format.format != bcf) {
        char *what = hts_format_description(&fp->format);
        rc = bcms_err(BCMS_EINPUT, "%s: not a VCF or BCF file (htslib detected %s)", path, what ? what : "?");
        free(what);
        goto fail;
    }
    is_bcf = fp->format.format == bcf;
    /* a BGZF file without its EOF marker was cut short (a failed copy, a full disk): refuse it
     * rather than import part of a cohort */
    if (fp->format.compression == bgzf && bgzf_check_EOF(fp->fp.bgzf) == 0) {
        rc = bcms_err(BCMS_EINPUT, "%s: the BGZF end-of-file marker is missing: the file is truncated; copy or "
                      "compress it again (bgzip) and re-import", path);
        goto fail;
    }
    if (nthreads > 1) hts_set_threads(fp, nthreads);
    if (!(hdr = bcf_hdr_read(fp))) {
        rc = bcms_err(BCMS_EINPUT, "%s: cannot read the VCF header (missing #CHROM line, malformed meta line "
                      "or duplicate sample name); check it with `bcftools view -h %s`", path, path);
        goto fail;
    }
    nsamp = (uint32_t)bcf_hdr_nsamples(hdr);
    if (nsamp == 0) {
        rc = bcms_err(BCMS_EINPUT, "%s: the file has no samples (a sites-only VCF); nothing to import", path);
        goto fail;
    }
    {
        int id = bcf_hdr_id2int(hdr, BCF_DT_ID, "DS");
        has_ds_tag = id >= 0 && bcf_hdr_idinfo_exists(hdr, BCF_HL_FMT, id);
    }
    if (!is_bcf) lineno = count_header_lines(path);
    /* lineno counts lines read so far (VCF) or records read (BCF) */
    per_block = o->block_bytes / ((nsamp + 3) / 4);
    per_block = per_block < 16 ? 16 : per_block > 8192 ? 8192 : per_block;

    /* one write transaction for the whole dataset */
    if ((rc = bcms_txn_begin(st, 0, &txn))) goto fail;
    {
        bcms_dataset_t *list;
        int n;
        if ((rc = bcms_dataset_list(st, txn, &list, &n))) goto fail;
        for (int i = 0; i < n; i++)
            if (!strcmp(list[i].fingerprint, fp_hex) && !o->force) {
                rc = bcms_err(BCMS_EEXIST, "%s was already imported as dataset %u (%s, from %s); "
                              "use --force to import it again as a new dataset", path, list[i].id, list[i].cohort,
                              list[i].source);
                bcms_dataset_list_free(list, n);
                goto fail;
            }
        bcms_dataset_list_free(list, n);
    }
    if ((rc = bcms_meta_next_id(st, txn, "next_dataset", &ds.id))) goto fail;
    ds.nsamples = nsamp;
    if (!(ds.samples = malloc(sizeof *ds.samples * nsamp))) goto nomem;
    for (uint32_t i = 0; i < nsamp; i++) {
        int added;
        if ((rc = bcms_sample_intern(st, txn, hdr->samples[i], &ds.samples[i], &added))) goto fail;
        new_samples += added;
    }
    /* contigs declared in the header, in header order; undeclared ones are appended as met */
    {
        int n = 0;
        const char **names = bcf_hdr_seqnames(hdr, &n);
        if (!(ds.contigs = calloc(n + 1, sizeof *ds.contigs)) || (n && !names)) {
            free(names);
            goto nomem;
        }
        for (int i = 0; i < n; i++) {
            int absent;
            bcf_hrec_t *hr = bcf_hdr_get_hrec(hdr, BCF_HL_CTG, "ID", names[i], NULL);
            int li = hr ? bcf_hrec_find_key(hr, "length") : -1;
            if (!(ds.contigs[i].name = strdup(names[i]))) {
                free(names);
                goto nomem;
            }
            ds.contigs[i].length = li >= 0 ? strtoll(hr->vals[li], NULL, 10) : 0;
            khint_t k = kh_put(ctg, ctg, ds.contigs[i].name, &absent);
            kh_val(ctg, k) = i;
            ds.ncontigs++;
        }
        free(names);
    }
    if (!(ctg_done = calloc(ds.ncontigs + 1, 1))) goto nomem;

    if (bcf_hdr_format(hdr, 0, &htxt) < 0) goto nomem;
    njobs = (uint32_t)nthreads * 2;
    if (!(workers = calloc(nthreads, sizeof *workers)) || !(jobs = calloc(njobs, sizeof *jobs))) goto nomem;
    for (int t = 0; t < nthreads; t++) {
        if (!(workers[t].hdr = bcf_hdr_dup(hdr)) || !(workers[t].hdr_sites = bcf_hdr_subset(hdr, 0, NULL, NULL)) ||
            !(workers[t].rec = bcf_init()) ||
            bcms_rowbuf_init(&workers[t].rb, nsamp, has_ds_tag) || !(workers[t].codec = bcms_codec_new(o->level)))
            goto nomem;
    }
    for (int t = 0; t < nthreads; t++) workers[t].rb.sample_names = hdr->samples;
    if (is_bcf && !(brec = bcf_init())) goto nomem;
    /* the text fast path: -1 off (BCF), 0 on without DS, 1 on with DS (declared Float) */
    fast_ds = is_bcf ? -1 : 0;
    if (!is_bcf && has_ds_tag) {
        int id = bcf_hdr_id2int(hdr, BCF_DT_ID, "DS");
        fast_ds = bcf_hdr_id2type(hdr, BCF_HL_FMT, id) == BCF_HT_REAL ? 1 : -1;
    }

    while (!eof || pending) {
        uint32_t nj = 0;
        /* 1. read a batch of block jobs; a record whose contig differs from the job's stays pending
         *    and starts the next job */
        while (nj < njobs && (!eof || pending)) {
            job_t *j = &jobs[nj];
            j->nrec = 0;
            j->text.l = 0;
            for (;;) {
                if (!pending) {
                    const char *chrom;
                    size_t clen;
                    if (is_bcf) {
                        int r = bcf_read(fp, hdr, brec);
                        if (r == -1) { eof = 1; break; }
                        if (r < 0) {
                            rc = bcms_err(BCMS_EINPUT, "%s: record %llu: cannot read the BCF record (truncated or "
                                          "corrupt file)", path, (unsigned long long)lineno + 1);
                            goto fail;
                        }
                        if (!(chrom = bcf_seqname(hdr, brec))) {
                            rc = bcms_err(BCMS_EINPUT, "%s: record %llu: contig id %d not in the header", path,
                                          (unsigned long long)lineno + 1, brec->rid);
                            goto fail;
                        }
                        clen = strlen(chrom);
                    } else {
                        int r = hts_getline(fp, 2 /* KS_SEP_LINE */, &line);
                        if (r == -1) { eof = 1; break; }
                        if (r < -1) {
                            rc = bcms_err(BCMS_EIO, "%s: line %llu: read error (truncated or corrupt compressed "
                                          "file)", path, (unsigned long long)lineno + 1);
                            goto fail;
                        }
                        lineno++;
                        if (line.l && line.s[line.l - 1] == '\r') line.s[--line.l] = 0;
                        if (line.l == 0) continue;
                        if (line.s[0] == '#') {
                            rc = bcms_err(BCMS_EINPUT, "%s: line %llu: header line after the first record", path,
                                          (unsigned long long)lineno);
                            goto fail;
                        }
                        const char *tab = memchr(line.s, '\t', line.l);
                        chrom = line.s;
                        clen = tab ? (size_t)(tab - line.s) : line.l;
                    }
                    if (is_bcf) lineno++;
                    if ((rc = contig_of(&ds, ctg, &ctg_done, chrom, clen, &cur_ctg, path, is_bcf, lineno,
                                        &pend_ctg)))
                        goto fail;
                    pending = 1;
                    pend_line = lineno;
                }
                if (j->nrec && (uint32_t)pend_ctg != j->contig) break;
                if (j->nrec == 0) {
                    j->contig = (uint32_t)pend_ctg;
                    j->first_line = pend_line;
                }
                if (job_reserve(j, is_bcf)) goto nomem;
                if (is_bcf) {
                    if (!j->recs[j->nrec] && !(j->recs[j->nrec] = bcf_init())) goto nomem;
                    bcf1_t *t = j->recs[j->nrec];
                    j->recs[j->nrec] = brec;
                    brec = t;
                } else {
                    j->line_off[j->nrec] = (uint32_t)j->text.l;
                    if (j->text.l + line.l + 1 > UINT32_MAX) goto nomem;
                    if (kputsn(line.s, line.l, &j->text) < 0 || kputc_(0, &j->text) < 0) goto nomem;
                }
                pending = 0;
                j->nrec++;
                nrec++;
                if (j->nrec == per_block) break;
            }
            if (j->nrec) nj++;
        }
        /* 2. parse, split, encode, compress in parallel */
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
        for (uint32_t b = 0; b < nj; b++)
            job_run(&jobs[b], &workers[omp_get_thread_num()], nsamp, path, is_bcf, fast_ds);
        /* 3. commit in order */
        for (uint32_t b = 0; b < nj; b++) {
            job_t *j = &jobs[b];
            uint8_t key[8];
            MDB_val k = {8, key}, v;
            int r;
            if (j->rc) {
                rc = bcms_err(j->rc, "%s", j->err);
                goto fail;
            }
            if (ds.nblocks && ds.blocks[ds.nblocks - 1].contig == j->contig && j->first_pos < prev_pos) {
                rc = bcms_err(BCMS_EINPUT, "%s: %s %llu: the file is not sorted: position %lld on %s comes after "
                              "%lld; sort it (bcftools sort) and import again", path, is_bcf ? "record" : "line",
                              (unsigned long long)j->first_line, (long long)j->first_pos,
                              ds.contigs[j->contig].name, (long long)prev_pos);
                goto fail;
            }
            prev_pos = j->last_pos;
            if (ds.nblocks == mblocks) {
                mblocks = mblocks ? mblocks * 2 : 64;
                bcms_block_info_t *nb = realloc(ds.blocks, sizeof *nb * mblocks);
                if (!nb) goto nomem;
                ds.blocks = nb;
            }
            bcms_block_info_t *bi = &ds.blocks[ds.nblocks];
            bi->contig = j->contig;
            bi->first_pos = j->first_pos;
            bi->last_pos = j->last_pos;
            bi->nvar = j->nrows;
            bi->first_row = ds.nrows;
            bi->gt_bytes = j->gt_frame.l;
            bcms_block_key(key, ds.id, ds.nblocks);
            v.mv_size = j->sites_frame.l, v.mv_data = j->sites_frame.s;
            if ((r = mdb_put(txn, bcms_store_dbi(st, DBI_SITES), &k, &v, MDB_APPEND)) ||
                (v.mv_size = j->gt_frame.l, v.mv_data = j->gt_frame.s,
                 r = mdb_put(txn, bcms_store_dbi(st, DBI_GT), &k, &v, MDB_APPEND))) {
                rc = bcms_lmdb_err(r, "writing a block");
                goto fail;
            }
            stored += j->sites_frame.l + j->gt_frame.l;
            ds.nrows += j->nrows;
            split += j->nsplit;
            if (j->any_phase) ds.flags |= BCMS_DS_HAS_PHASE;
            if (j->any_ds) ds.flags |= BCMS_DS_HAS_DS;
            ds.nblocks++;
        }
        if (o->progress && now_sec() - t_prog >= 1.0) {
            t_prog = now_sec();
            prog.records = nrec;
            prog.rows = ds.nrows;
            prog.bytes_done = (uint64_t)input_offset(fp);
            prog.seconds = t_prog - t0;
            o->progress(&prog, 0, o->progress_ud);
        }
    }
    if ((fp->format.compression == bgzf || is_bcf) && fp->fp.bgzf->errcode) {
        rc = bcms_err(BCMS_EIO, "%s: decompression failed after %llu records (corrupt or truncated file)", path,
                      (unsigned long long)nrec);
        goto fail;
    }
    if (nrec == 0) {
        rc = bcms_err(BCMS_EINPUT, "%s: no variant records after the header; nothing to import", path);
        goto fail;
    }

    /* dataset record, provenance, commit */
    {
        char when[64];
        time_t now = time(NULL);
        kstring_t hist = {0, 0, NULL};
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        ds.cohort = o->cohort ? strdup(o->cohort) : default_cohort(path);
        ds.source = strdup(path);
        ds.source_size = prog.bytes_total;
        ds.fingerprint = strdup(fp_hex);
        ds.imported_at = strdup(when);
        ds.command = strdup(o->command ? o->command : "");
        ds.tool = strdup("bcms " BCMS_VERSION);
        ds.header_text = htxt.s;
        htxt.s = NULL;
        ds.nrecords = nrec;
        if (!ds.cohort || !ds.source || !ds.fingerprint || !ds.imported_at || !ds.command || !ds.tool) goto nomem;
        if ((rc = bcms_dataset_put(st, txn, &ds))) goto fail;
        ksprintf(&hist, "%s import dataset=%u cohort=%s file=%s size=%llu fingerprint=%s samples=%u records=%llu "
                 "rows=%llu command=%s", when, ds.id, ds.cohort, path, (unsigned long long)prog.bytes_total, fp_hex,
                 nsamp, (unsigned long long)nrec, (unsigned long long)ds.nrows, ds.command);
        rc = hist.s ? bcms_meta_add_history(st, txn, hist.s) : BCMS_ENOMEM;
        free(hist.s);
        if (rc) goto fail;
    }
    rc = bcms_txn_commit(txn);
    txn = NULL;
    if (rc) goto fail;
    if (o->progress) {
        prog.records = nrec;
        prog.rows = ds.nrows;
        prog.bytes_done = prog.bytes_total;
        prog.seconds = now_sec() - t0;
        o->progress(&prog, 1, o->progress_ud);
    }
    if (stats) {
        stats->dataset_id = ds.id;
        stats->nsamples = nsamp;
        stats->new_samples = (uint32_t)new_samples;
        stats->records = nrec;
        stats->rows = ds.nrows;
        stats->split_records = split;
        stats->stored_bytes = stored;
        stats->seconds = now_sec() - t0;
    }
    rc = 0;
    goto done;
nomem:
    rc = bcms_err(BCMS_ENOMEM, "%s: out of memory while importing", path);
fail:
    if (txn) mdb_txn_abort(txn);
done:
    if (workers)
        for (int t = 0; t < nthreads; t++) {
            if (workers[t].hdr) bcf_hdr_destroy(workers[t].hdr);
            if (workers[t].hdr_sites) bcf_hdr_destroy(workers[t].hdr_sites);
            if (workers[t].rec) bcf_destroy(workers[t].rec);
            bcms_rowbuf_free(&workers[t].rb);
            bcms_sites_free(&workers[t].sites);
            free(workers[t].raw.s);
            free(workers[t].gtraw.s);
            for (int k = 0; k < 3; k++) free(workers[t].gts[k].s);
            free(workers[t].save.s);
            bcms_codec_free(workers[t].codec);
        }
    if (jobs)
        for (uint32_t b = 0; b < (uint32_t)nthreads * 2; b++) {
            free(jobs[b].text.s);
            free(jobs[b].line_off);
            for (uint32_t k = 0; jobs[b].recs && k < jobs[b].mrec; k++)
                if (jobs[b].recs[k]) bcf_destroy(jobs[b].recs[k]);
            free(jobs[b].recs);
            free(jobs[b].sites_frame.s);
            free(jobs[b].gt_frame.s);
        }
    free(workers);
    free(jobs);
    free(line.s);
    free(htxt.s);
    free(ctg_done);
    if (brec) bcf_destroy(brec);
    kh_destroy(ctg, ctg);
    bcms_dataset_clear(&ds);
    if (hdr) bcf_hdr_destroy(hdr);
    if (fp) hts_close(fp);
    return rc;
}
