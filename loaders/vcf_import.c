/* vcf_import.c: the import pipeline.
 *
 *   reader:      read a batch of raw records (text lines for VCF, bcf1_t for BCF), cutting it into
 *                block jobs of a fixed record count that never span two contigs; it reads batch k+1
 *                (on its own thread) while the workers run batch k. A batch is bounded by its input
 *                bytes (threads + 1/2 of the largest block, or --memory's share: read_batch); it was
 *                2 x threads blocks, which held twice that once the contigs were longer than a block
 *   workers:     parse (vcf_parse, each with its own copy of the header), split into biallelic rows,
 *                encode and compress the block's site and genotype frames
 *   main thread: check order across blocks, put the frames into LMDB in order (MDB_APPEND)
 *
 * Block boundaries depend only on the input and the sample count, never on the thread count, so the
 * store is byte-identical at 1 and N threads. BGZF decompression runs on htslib's own thread pool.
 * The blocks are committed every VCF_STAGE_BYTES, invisible until the last transaction writes the
 * dataset (vcf_stage.c): LMDB holds a transaction's pages in memory until it commits. The dataset
 * record is checked before the first block and written with the last (vcf_import_dataset.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <omp.h>
#include <pthread.h>
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
#include "vcf_import_internal.h"
#include "vcf_stage.h"

void bcms_import_opts_init(bcms_import_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->block_bytes = 1u << 20;
}

int bcms_import_opts_check(const bcms_import_opts_t *o)
{
    if (o->threads < 1 || o->threads > 1024) return bcms_err(BCMS_EINVAL, "--threads must be between 1 and 1024");
    if (o->codec && o->codec != BCMS_CODEC_DEFLATE && o->codec != BCMS_CODEC_ZSTD)
        return bcms_err(BCMS_EINVAL, "--codec must be deflate or zstd");
    /* 0: the codec's default; else a level of the codec given, or of either when the store decides */
    if (o->level < 0 || (o->level && !bcms_codec_level_ok(o->codec ? o->codec : BCMS_CODEC_ZSTD, o->level)))
        return bcms_err(BCMS_EINVAL, "--level must be 1..12 for DEFLATE, 1..19 for Zstandard");
    if (o->block_bytes < 4096) return bcms_err(BCMS_EINVAL, "block size too small");
    if (!(o->memory_mb >= 0) || o->memory_mb > 1e9) return bcms_err(BCMS_EINVAL, "--memory needs a size in MB (> 0)");
    return 0;
}


static void job_fail(job_t *j, uint32_t r, const char *path, int is_bcf, const char *what)
{
    j->rc = BCMS_EINPUT;
    snprintf(j->err, sizeof j->err, "%s: %s %llu: %s", path, is_bcf ? "record" : "line",
             (unsigned long long)(j->first_line + r), what);
}

/* One text record into rec: the fast path where it applies, else htslib's full parser. */
static int job_parse_line(job_t *j, char *text, worker_t *w, uint32_t r, uint32_t nsamp, int fast_ds,
                          const bcf_hdr_t **used)
{
    char *line = text + j->text0 + j->line_off[r];
    size_t len = (r + 1 < j->nrec ? j->line_off[r + 1] : j->text_l) - j->line_off[r] - 1;
    bcf_clear(w->rec);
    if (fast_ds >= 0 && bcms_vcf_fast_record(&w->rb, w->hdr_sites, w->rec, line, len, fast_ds, &w->save) == 0) {
        *used = w->hdr_sites;
        return 0;
    }
    *used = w->hdr;
    return bcms_vcf_full_record(w->hdr, w->rec, line, len, nsamp);
}

static void job_run(job_t *j, char *text, worker_t *w, uint32_t nsamp, const char *path, int is_bcf, int fast_ds)
{
    int rc;
    char msg[300];
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
        bcf1_t *rec = is_bcf ? j->recs[r] : w->rec;
        const bcf_hdr_t *hdr_used = w->hdr;
        uint32_t nrows;
        if (!is_bcf && job_parse_line(j, text, w, r, nsamp, fast_ds, &hdr_used)) {
            job_fail(j, r, path, 0, bcms_err_detail());
            return;
        }
        if (is_bcf && (rec->errcode & ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF))) {
            job_fail(j, r, path, 1, "malformed BCF record (check it with `bcftools view`)");
            return;
        }
        /* POS 0 (a telomere) is legal VCF: htslib gives -1 */
        if (rec->n_allele < 1 || rec->pos < -1) {
            job_fail(j, r, path, is_bcf, "record without REF allele or with a negative position");
            return;
        }
        if (r == 0) j->first_pos = rec->pos + 1;
        else if (rec->pos + 1 < j->last_pos) {
            snprintf(msg, sizeof msg, "the file is not sorted: position %lld comes after %lld on %.60s; sort the "
                     "file (bcftools sort) and import again", (long long)rec->pos + 1, (long long)j->last_pos,
                     bcf_seqname_safe(hdr_used, rec));
            job_fail(j, r, path, is_bcf, msg);
            return;
        }
        j->last_pos = rec->pos + 1;
        if ((rc = bcms_rows_from_record(&w->rb, hdr_used, rec, &w->sites, w->gts, &nrows, &j->any_phase,
                                        &j->any_ds))) {
            if (rc == BCMS_ENOMEM) {
                j->rc = rc;
                snprintf(j->err, sizeof j->err, "out of memory");
            } else {
                snprintf(msg, sizeof msg, "bad genotype data: %s", bcms_err_detail());
                job_fail(j, r, path, is_bcf, msg);
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
    if (is_bcf) {
        if (j->nrec < j->mrec_bcf) return 0;
        uint32_t m = j->mrec_bcf ? j->mrec_bcf * 2 : 256;
        bcf1_t **r = realloc(j->recs, sizeof *r * m);
        if (!r) return BCMS_ENOMEM;
        for (uint32_t k = j->mrec_bcf; k < m; k++) r[k] = NULL;
        j->recs = r;
        j->mrec_bcf = m;
    } else {
        if (j->nrec < j->mrec) return 0;
        uint32_t m = j->mrec ? j->mrec * 2 : 256;
        uint32_t *o = realloc(j->line_off, sizeof *o * m);
        if (!o) return BCMS_ENOMEM;
        j->line_off = o;
        j->mrec = m;
    }
    return 0;
}

static void workers_free_headers(imp_t *im)
{
    for (int t = 0; t < im->nthreads; t++) {
        if (im->workers[t].hdr) bcf_hdr_destroy(im->workers[t].hdr);
        if (im->workers[t].hdr_sites) bcf_hdr_destroy(im->workers[t].hdr_sites);
        im->workers[t].hdr = im->workers[t].hdr_sites = NULL;
    }
}

/* Point the workers at input fi: their private header copies, and whether DS / R2 are declared. */
static int workers_use_input(imp_t *im, int fi)
{
    const bcf_hdr_t *hdr = im->in[fi].hdr;
    int id = bcf_hdr_id2int(hdr, BCF_DT_ID, "DS");
    int has_ds = id >= 0 && bcf_hdr_idinfo_exists(hdr, BCF_HL_FMT, id);
    int gp = bcf_hdr_id2int(hdr, BCF_DT_ID, "GP");
    int gp_ok = gp >= 0 && bcf_hdr_idinfo_exists(hdr, BCF_HL_FMT, gp) && bcf_hdr_id2type(hdr, BCF_HL_FMT, gp) == BCF_HT_REAL;
    const char *r2 = bcms_vcf_r2_tag(hdr);
    workers_free_headers(im);
    /* BGZF decompression threads for the file being read only: one pool per open file would be
     * threads x files (22 chromosome files on a 64-core node) */
    if (im->nthreads > 1 && hts_set_threads(im->in[fi].fp, im->nthreads) < 0)
        return bcms_err(BCMS_ENOMEM, "%s: cannot start decompression threads", im->in[fi].path);
    /* the text fast path: -1 off (BCF, or DS not Float), else what it may take */
    im->fast_ds = im->in[fi].is_bcf ? -1 : !has_ds ? 0 : bcf_hdr_id2type(hdr, BCF_HL_FMT, id) == BCF_HT_REAL ? BCMS_FAST_DS : -1;
    if (im->fast_ds >= 0 && gp_ok) im->fast_ds |= BCMS_FAST_GP;
    for (int t = 0; t < im->nthreads; t++) {
        worker_t *w = &im->workers[t];
        if (!(w->hdr = bcf_hdr_dup(hdr)) || !(w->hdr_sites = bcf_hdr_subset(hdr, 0, NULL, NULL)))
            return BCMS_ENOMEM;
        w->rb.has_ds_tag = has_ds;
        w->rb.r2_tag = r2;
        w->rb.sample_names = im->in[fi].hdr->samples;
    }
    return 0;
}

static int workers_init(imp_t *im)
{
    im->njobs = (uint32_t)im->nthreads * 2; /* per batch; two batches: one read while one runs */
    if (!(im->workers = calloc(im->nthreads, sizeof *im->workers)) ||
        !(im->jobs = calloc((size_t)im->njobs * 2, sizeof *im->jobs)))
        return BCMS_ENOMEM;
    im->batch[0].jobs = im->jobs;
    im->batch[1].jobs = im->jobs + im->njobs;
    for (int t = 0; t < im->nthreads; t++) {
        worker_t *w = &im->workers[t];
        if (!(w->rec = bcf_init()) || bcms_rowbuf_init(&w->rb, im->nsamp, 0) ||
            !(w->codec = bcms_codec_new_writer(im->codec, im->level)))
            return BCMS_ENOMEM;
    }
    return (im->brec = bcf_init()) ? 0 : BCMS_ENOMEM;
}

static void workers_free(imp_t *im)
{
    if (im->workers) {
        workers_free_headers(im);
        for (int t = 0; t < im->nthreads; t++) {
            worker_t *w = &im->workers[t];
            if (w->rec) bcf_destroy(w->rec);
            bcms_rowbuf_free(&w->rb);
            bcms_sites_free(&w->sites);
            free(w->raw.s);
            free(w->gtraw.s);
            for (int k = 0; k < 3; k++) free(w->gts[k].s);
            free(w->save.s);
            bcms_codec_free(w->codec);
        }
    }
    if (im->jobs)
        for (uint32_t b = 0; b < im->njobs * 2; b++) {
            job_t *j = &im->jobs[b];
            free(j->line_off);
            for (uint32_t k = 0; j->recs && k < j->mrec_bcf; k++)
                if (j->recs[k]) bcf_destroy(j->recs[k]);
            free(j->recs);
            free(j->sites_frame.s);
            free(j->gt_frame.s);
        }
    free(im->workers);
    free(im->jobs);
    free(im->batch[0].text.s);
    free(im->batch[1].text.s);
    if (im->brec) bcf_destroy(im->brec);
}

/* Read the next record of the current input and find its contig: a BCF record into im->brec, a
 * text line appended to text (NUL-terminated, text->l not moved; its length in im->line_len).
 * Returns 0, 1 at the end of the input, or an error. */
static int read_record(imp_t *im, kstring_t *text)
{
    vcf_input_t *in = &im->in[im->fi];
    const char *chrom;
    size_t clen;
    if (in->is_bcf) {
        int r = bcf_read(in->fp, in->hdr, im->brec);
        if (r == -1) return 1;
        if (r < 0)
            return bcms_err(BCMS_EINPUT, "%s: record %llu: cannot read the BCF record (truncated or corrupt file)",
                            in->path, (unsigned long long)im->lineno + 1);
        im->lineno++;
        if (im->brec->n_sample != im->nsamp)
            return bcms_err(BCMS_EINPUT, "%s: record %llu has %u samples but the header has %u: the file is damaged; "
                            "re-create it (bcftools view -Ob)", in->path, (unsigned long long)im->lineno,
                            im->brec->n_sample, im->nsamp);
        if (!(chrom = bcf_seqname(in->hdr, im->brec)))
            return bcms_err(BCMS_EINPUT, "%s: record %llu: contig id %d not in the header", in->path,
                            (unsigned long long)im->lineno, im->brec->rid);
        clen = strlen(chrom);
    } else {
        char *line;
        size_t len;
        for (;;) {
            int r = vcf_input_line(in, text, &im->line, &len);
            if (r == 1) return 1;
            if (r == -2) return BCMS_ENOMEM;
            if (r < 0)
                return bcms_err(BCMS_EIO, "%s: line %llu: read error (truncated or corrupt compressed file)", in->path,
                                (unsigned long long)im->lineno + 1);
            im->lineno++;
            line = text->s + text->l;
            if (len && line[len - 1] == '\r') line[--len] = 0;
            if (len) break;
        }
        if (line[0] == '#')
            return bcms_err(BCMS_EINPUT, "%s: line %llu: header line after the first record", in->path,
                            (unsigned long long)im->lineno);
        const char *tab = memchr(line, '\t', len);
        im->line_len = len;
        chrom = line;
        clen = tab ? (size_t)(tab - line) : len;
    }
    return vcf_contig_of(&im->ds, &im->ctg, chrom, clen, im->in, im->fi, im->lineno, &im->pend_ctg);
}

/* Fill job j with records of one contig (at most per_block); a record of another contig stays
 * pending and starts the next job. A text line is read straight into the batch's text (after the
 * jobs before j); a pending one waits in im->line. */
static int fill_job(imp_t *im, job_t *j, kstring_t *text)
{
    int is_bcf = im->in[im->fi].is_bcf, rc = 0, in_job = 0;
    j->nrec = 0;
    j->bytes = 0;
    j->text0 = text->l;
    for (;;) {
        if (!im->pending) {
            if ((rc = read_record(im, text)) == 1) {
                im->eof = 1;
                rc = 0;
                break;
            }
            if (rc) return rc;
            im->pending = 1;
            im->pend_line = im->lineno;
            in_job = !is_bcf;
        }
        if (j->nrec && (uint32_t)im->pend_ctg != j->contig) {
            if (in_job) { /* the first line of the next job */
                im->line.l = 0;
                if (kputsn(text->s + text->l, im->line_len, &im->line) < 0) return BCMS_ENOMEM;
            }
            break;
        }
        if (j->nrec == 0) {
            j->contig = (uint32_t)im->pend_ctg;
            j->first_line = im->pend_line;
        }
        if (job_reserve(j, is_bcf)) return BCMS_ENOMEM;
        if (is_bcf) {
            if (!j->recs[j->nrec] && !(j->recs[j->nrec] = bcf_init())) return BCMS_ENOMEM;
            bcf1_t *t = j->recs[j->nrec];
            j->recs[j->nrec] = im->brec;
            im->brec = t;
            j->bytes += sizeof *t + j->recs[j->nrec]->shared.l + j->recs[j->nrec]->indiv.l;
        } else {
            size_t at = text->l - j->text0;
            if (at + im->line_len + 1 > UINT32_MAX) return BCMS_ENOMEM;
            j->line_off[j->nrec] = (uint32_t)at;
            if (!in_job && (kputsn(im->line.s, im->line_len, text) < 0 || kputc_(0, text) < 0))
                return BCMS_ENOMEM;
            if (in_job) text->l += im->line_len + 1;
        }
        im->pending = 0;
        in_job = 0;
        j->nrec++;
        im->nrec++;
        if (j->nrec == im->per_block) break;
    }
    j->text_l = text->l - j->text0;
    if (!is_bcf) j->bytes = j->text_l;
    return rc;
}

/* Put a finished job's frames into LMDB (in block order) and index the block. */
static int commit_job(imp_t *im, job_t *j)
{
    const vcf_input_t *in = &im->in[im->fi];
    bcms_dataset_t *ds = &im->ds;
    uint8_t key[8];
    MDB_val k = {8, key}, v;
    int r;
    if (j->rc) return bcms_err(j->rc, "%s", j->err);
    if (ds->nblocks && ds->blocks[ds->nblocks - 1].contig == j->contig && j->first_pos < im->prev_pos)
        return bcms_err(BCMS_EINPUT, "%s: %s %llu: the file is not sorted: position %lld on %s comes after %lld; sort "
                        "it (bcftools sort) and import again", in->path, in->is_bcf ? "record" : "line",
                        (unsigned long long)j->first_line, (long long)j->first_pos,
                        ds->contigs[j->contig].input_name, (long long)im->prev_pos);
    im->prev_pos = j->last_pos;
    if (ds->nblocks == im->mblocks) {
        im->mblocks = im->mblocks ? im->mblocks * 2 : 64;
        bcms_block_info_t *nb = realloc(ds->blocks, sizeof *nb * im->mblocks);
        if (!nb) return BCMS_ENOMEM;
        ds->blocks = nb;
    }
    bcms_block_info_t *bi = &ds->blocks[ds->nblocks];
    bi->contig = j->contig;
    bi->first_pos = j->first_pos;
    bi->last_pos = j->last_pos;
    bi->nvar = j->nrows;
    bi->first_row = ds->nrows;
    bi->gt_bytes = j->gt_frame.l;
    bcms_block_key(key, ds->id, ds->nblocks);
    v.mv_size = j->sites_frame.l, v.mv_data = j->sites_frame.s;
    if ((r = mdb_put(im->txn, bcms_store_dbi(im->st, DBI_SITES), &k, &v, MDB_APPEND)) ||
        (v.mv_size = j->gt_frame.l, v.mv_data = j->gt_frame.s,
         r = mdb_put(im->txn, bcms_store_dbi(im->st, DBI_GT), &k, &v, MDB_APPEND)))
        return bcms_lmdb_err(r, "writing a block");
    im->stored += j->sites_frame.l + j->gt_frame.l;
    im->txn_bytes += j->sites_frame.l + j->gt_frame.l;
    ds->nrows += j->nrows;
    im->split += j->nsplit;
    if (j->any_phase) ds->flags |= BCMS_DS_HAS_PHASE;
    if (j->any_ds) ds->flags |= BCMS_DS_HAS_DS;
    ds->nblocks++;
    if (im->txn_bytes < im->txn_cap) return 0;
    /* commit the blocks so far (LMDB keeps a transaction's pages in memory until then) */
    r = bcms_txn_commit(im->txn);
    im->txn = NULL;
    if (r) return r;
    im->staged = 1;
    im->txn_bytes = 0;
    if ((r = bcms_txn_begin(im->st, 0, &im->txn))) return r;
    bcms_store_map_release(im->st); /* the file pages LMDB read through its map so far */
    return 0;
}

static void report_progress(imp_t *im, int final)
{
    im->prog.records = im->nrec;
    im->prog.rows = im->ds.nrows;
    im->prog.bytes_done = final ? im->prog.bytes_total : im->bytes_before + (uint64_t)input_offset(im->in[im->fi].fp);
    im->prog.seconds = now_sec() - im->t0;
    im->o->progress(&im->prog, final, im->o->progress_ud);
}

/* The end of input fi: check it was read whole, then move to the next one (a file boundary is a
 * contig boundary, so blocks are the same as for the files concatenated). */
static int finish_input(imp_t *im)
{
    vcf_input_t *in = &im->in[im->fi];
    int rc;
    if ((in->fp->format.compression == bgzf || in->is_bcf) && in->fp->fp.bgzf->errcode)
        return bcms_err(BCMS_EIO, "%s: decompression failed after %llu records (corrupt or truncated file)", in->path,
                        (unsigned long long)im->lineno);
    if (im->fi + 1 == im->nin) return 0;
    im->bytes_before += in->size;
    im->fi++;
    im->eof = 0;
    im->lineno = im->in[im->fi].is_bcf ? 0 : im->in[im->fi].header_lines;
    if (im->ctg.cur >= 0) im->ctg.done[im->ctg.cur] = 1;
    im->ctg.cur = -1;
    if ((rc = workers_use_input(im, im->fi))) return rc;
    return 0;
}

/* What a batch may hold: the input of one block per thread and half a block more (the largest block
 * so far: a batch of full blocks keeps every thread busy, and a contig's short last block goes with
 * a full one instead of leaving a thread idle: exactly threads blocks made 10,000 x 100k 9% slower),
 * or less under --memory (import_caps). */
static uint64_t batch_cap(const imp_t *im)
{
    uint64_t cap = (uint64_t)im->nthreads * im->job_max + im->job_max / 2;
    return im->batch_cap && im->batch_cap < cap ? im->batch_cap : cap;
}

/* Fill batch b from the current input: at least one job, at most im->njobs, and no more once the
 * largest block so far would not fit under batch_cap: a batch holds at most batch_cap of input
 * (or one block). The batches do not change the blocks, only how many are read and parsed at a time. */
static int read_batch(imp_t *im, batch_t *b)
{
    uint64_t bytes = 0;
    int rc;
    b->n = 0;
    b->text.l = 0;
    while (b->n < im->njobs && (!im->eof || im->pending)) {
        job_t *j = &b->jobs[b->n];
        if ((rc = fill_job(im, j, &b->text))) return rc;
        if (!j->nrec) continue;
        b->n++;
        bytes += j->bytes;
        if (j->bytes > im->job_max) im->job_max = j->bytes;
        if (bytes + im->job_max > batch_cap(im)) break;
    }
    return 0;
}

/* The reader thread's batch: its result, and its error message (the detail is per thread). */
typedef struct {
    imp_t *im;
    batch_t *b;
    int rc;
    char err[1024];
} batch_read_t;

static void *batch_read_main(void *arg)
{
    batch_read_t *br = arg;
    if ((br->rc = read_batch(br->im, br->b)))
        snprintf(br->err, sizeof br->err, "%s", bcms_err_detail());
    return NULL;
}

/* The pipeline: batches of block jobs read in order, run in parallel, committed in order. While
 * the workers run a batch, the next one of the same input is read on another thread: it touches
 * only the input, the contig map and its own jobs; commits, progress and the switch to the next
 * input wait for it. */
static int import_records(imp_t *im)
{
    batch_t *cur = &im->batch[0], *nxt = &im->batch[1];
    int rc;
    if ((rc = read_batch(im, cur))) return rc;
    for (;;) {
        const vcf_input_t *in = &im->in[im->fi];
        const int more = !im->eof || im->pending;
        batch_read_t br = {im, nxt, 0, ""};
        pthread_t th;
        int started = more && pthread_create(&th, NULL, batch_read_main, &br) == 0;
        if (more && !started) batch_read_main(&br); /* no thread: read it here, before the run */
        /* parse, split, encode, compress in parallel */
#pragma omp parallel for num_threads(im->nthreads) schedule(dynamic, 1)
        for (uint32_t b = 0; b < cur->n; b++)
            job_run(&cur->jobs[b], cur->text.s, &im->workers[omp_get_thread_num()], im->nsamp, in->path, in->is_bcf,
                    im->fast_ds);
        if (started) pthread_join(th, NULL);
        /* commit in order; then the next batch's read error, which comes after these records */
        for (uint32_t b = 0; b < cur->n; b++)
            if ((rc = commit_job(im, &cur->jobs[b]))) return rc;
        if (br.rc) return bcms_err(br.rc, "%s", br.err);
        if (im->o->progress && now_sec() - im->t_prog >= 1.0) {
            im->t_prog = now_sec();
            report_progress(im, 0);
        }
        if (!more) {
            int last = im->fi + 1 == im->nin;
            if ((rc = finish_input(im))) return rc;
            if (last) return 0;
            if ((rc = read_batch(im, nxt))) return rc;
        }
        batch_t *t = cur;
        cur = nxt;
        nxt = t;
    }
}

/* --memory: the workspace is the two batches in flight (one parsed while the next is read) and the
 * frames of the open transaction; a quarter of it (at most VCF_STAGE_BYTES) goes to the commits,
 * the rest to the batches. Below a block per batch and a block per commit nothing is smaller: those
 * are the floor (bcms_import_opts_t). */
static void import_caps(imp_t *im)
{
    const double mem = im->o->memory_mb * 1048576.0;
    im->txn_cap = VCF_STAGE_BYTES;
    if (getenv("BCMS_IMPORT_TXN_BYTES")) /* tests: commit after every few blocks */
        im->txn_cap = strtoull(getenv("BCMS_IMPORT_TXN_BYTES"), NULL, 10);
    if (!(mem > 0)) return;
    if (mem / 4 < (double)im->txn_cap) im->txn_cap = (uint64_t)(mem / 4);
    im->batch_cap = (uint64_t)((mem - (double)im->txn_cap) / 2);
    if (!im->batch_cap) im->batch_cap = 1;
}

static void fill_stats(const imp_t *im, bcms_import_stats_t *stats)
{
    stats->dataset_id = im->ds.id;
    stats->nsamples = im->nsamp;
    stats->new_samples = im->new_samples;
    stats->shared_with = im->shared;
    stats->nfiles = (uint32_t)im->nin;
    stats->records = im->nrec;
    stats->rows = im->ds.nrows;
    stats->split_records = im->split;
    stats->stored_bytes = im->stored;
    stats->seconds = now_sec() - im->t0;
}

/* The blocks' codec and level: Zstandard in a format 3 store, DEFLATE in a 2.x one (its readers know
 * no other), unless --codec says; a Zstandard block in a 2.x store is refused, not written. */
static int import_codec(imp_t *im)
{
    const int z = bcms_store_format_major(im->st) >= 3;
    im->codec = im->o->codec ? im->o->codec : z ? BCMS_CODEC_ZSTD : BCMS_CODEC_DEFLATE;
    if (im->codec == BCMS_CODEC_ZSTD && !z)
        return bcms_err(BCMS_EINVAL, "%s has store format %u.x, whose readers know only DEFLATE blocks: --codec zstd "
                        "needs a store made by this bcms (format %d); import into a new store, or leave --codec out "
                        "(DEFLATE)", bcms_store_path(im->st), bcms_store_format_major(im->st), BCMS_FORMAT_MAJOR);
    im->level = im->o->level ? im->o->level : im->codec == BCMS_CODEC_ZSTD ? 3 : 4;
    if (!bcms_codec_level_ok(im->codec, im->level))
        return bcms_err(BCMS_EINVAL, "--level %d is not a %s level (DEFLATE 1..12, Zstandard 1..19)", im->level,
                        im->codec == BCMS_CODEC_ZSTD ? "Zstandard" : "DEFLATE");
    return 0;
}

int bcms_import(bcms_store_t *st, const char *const *paths, int npaths, const bcms_import_opts_t *o,
                bcms_import_stats_t *stats)
{
    imp_t im;
    int rc;
    memset(&im, 0, sizeof im);
    im.st = st;
    im.o = o;
    im.nin = npaths;
    im.nthreads = o->threads;
    im.pend_ctg = -1;
    im.shared = -1;
    im.lock_fd = -1;
    import_caps(&im);
    im.t0 = im.t_prog = now_sec();
    if ((rc = bcms_import_opts_check(o))) return rc;
    if (npaths < 1) return bcms_err(BCMS_EINVAL, "no input file given");
    if ((rc = import_codec(&im))) return rc;
    if (!(im.in = calloc(npaths, sizeof *im.in)) || vcf_ctgmap_init(&im.ctg)) goto nomem;
    if ((rc = vcf_imp_open_inputs(&im, paths))) goto fail;
    for (int f = 0; f < npaths; f++) im.prog.bytes_total += im.in[f].size;
    im.lineno = im.in[0].is_bcf ? 0 : im.in[0].header_lines; /* lines read so far (VCF) or records (BCF) */
    im.per_block = o->block_bytes / ((im.nsamp + 3) / 4);
    im.per_block = im.per_block < 16 ? 16 : im.per_block > 8192 ? 8192 : im.per_block;
    if (!(im.ds.cohort = o->cohort ? strdup(o->cohort) : vcf_default_cohort(paths[0]))) goto nomem;
    if ((rc = workers_init(&im)) || (rc = workers_use_input(&im, 0))) goto fail;

    /* the blocks in transactions of VCF_STAGE_BYTES, the dataset in the last one */
    if (!o->locked && (rc = vcf_stage_lock(st, &im.lock_fd))) goto fail;
    if ((o->locked || im.lock_fd >= 0) && (rc = vcf_stage_clean(st))) goto fail;
    if ((rc = bcms_txn_begin(st, 0, &im.txn)) || (rc = vcf_imp_start_dataset(&im)) || (rc = import_records(&im))) goto fail;
    if (im.nrec == 0) {
        rc = bcms_err(BCMS_EINPUT, "%s: no variant records after the header; nothing to import", paths[npaths - 1]);
        goto fail;
    }
    if ((rc = vcf_imp_register_samples(&im)) || (rc = vcf_imp_put_dataset(&im))) goto fail;
    rc = bcms_txn_commit(im.txn);
    im.txn = NULL;
    if (rc) goto fail;
    if (o->progress) report_progress(&im, 1);
    if (stats) fill_stats(&im, stats);
    goto done;
nomem:
    rc = bcms_err(BCMS_ENOMEM, "%s: out of memory while importing", paths[0]);
fail:
    if (rc == BCMS_ENOMEM && !*bcms_err_detail()) bcms_err(BCMS_ENOMEM, "out of memory while importing");
    if (im.txn) mdb_txn_abort(im.txn);
    if (im.staged) { /* committed blocks: remove them, keeping the error that stopped the import */
        char *why = strdup(bcms_err_detail());
        if (vcf_stage_discard(st, im.ds.id))
            bcms_log(BCMS_LOG_WARN, "%s: the blocks of the failed import (dataset %u) could not be removed now (%s); "
                     "the next import into the store removes them", bcms_store_path(st), im.ds.id, bcms_err_detail());
        if (why) bcms_err(rc, "%s", why);
        free(why);
    }
done:
    vcf_stage_unlock(im.lock_fd);
    workers_free(&im);
    free(im.line.s);
    vcf_ctgmap_free(&im.ctg);
    bcms_dataset_clear(&im.ds);
    for (int f = 0; im.in && f < npaths; f++) vcf_input_close(&im.in[f]);
    free(im.in);
    return rc;
}
