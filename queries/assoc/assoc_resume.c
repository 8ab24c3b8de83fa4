/* assoc_resume.c: checkpoints of resumable scans (assoc_resume.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <htslib/hfile.h>

#include "assoc_resume.h"
#include "err.h"

/* Seconds between checkpoints: 5, or BCMS_RESUME_EVERY (tests use 0: after every delivery). */
static long ckpt_every(void)
{
    const char *e = getenv("BCMS_RESUME_EVERY");
    return e && *e ? strtol(e, NULL, 10) : 5;
}

struct assoc_resume_t {
    char *out, *part, *ckpt, *pv;
    char *key;
    int nm;
    double *const *pvals;     /* per model: p-values of the reader's window, rows from base on */
    uint64_t base;
    uint64_t (*first_row)(void *, uint32_t);
    void *ctx;
    FILE *pvf;
    uint64_t pv_bytes;
    uint32_t pv_batches;      /* batches whose p-values are in OUT.partial.pv */
    uint64_t part0;           /* bytes of OUT.partial before this run (an appending hFILE counts from 0) */
    uint32_t ckpt_written;    /* batches covered by the last checkpoint */
    time_t ckpt_time;
};

static char *cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) memcpy(s, a, la), memcpy(s + la, b, lb + 1);
    return s;
}

/* The checkpoint text: key, batches, partial bytes, pv bytes. 0 when read and consistent. */
static int ckpt_read(assoc_resume_t *rs, uint32_t *g, uint64_t *part_bytes, uint64_t *pv_bytes)
{
    FILE *f = fopen(rs->ckpt, "r");
    char *line = NULL;
    size_t cap = 0;
    int rc = BCMS_ENOTFOUND, have = 0;
    if (!f) return errno == ENOENT ? BCMS_ENOTFOUND : bcms_err(BCMS_EIO, "%s: %s", rs->ckpt, strerror(errno));
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = 0;
        unsigned long long v;
        if (!strncmp(line, "key\t", 4)) {
            if (strcmp(line + 4, rs->key)) {
                rc = bcms_err(BCMS_EINVAL, "%s belongs to another scan or to this scan before the store changed "
                              "(its key: %.200s); remove %s, %s and %s to start afresh", rs->ckpt, line + 4, rs->part,
                              rs->ckpt, rs->pv);
                goto done;
            }
            have |= 1;
        } else if (sscanf(line, "batches\t%llu", &v) == 1) *g = (uint32_t)v, have |= 2;
        else if (sscanf(line, "partial_bytes\t%llu", &v) == 1) *part_bytes = v, have |= 4;
        else if (sscanf(line, "pv_bytes\t%llu", &v) == 1) *pv_bytes = v, have |= 8;
    }
    rc = have == 15 ? 0 : bcms_err(BCMS_ECORRUPT, "%s is incomplete; remove it and the %s files to start afresh",
                                   rs->ckpt, rs->part);
done:
    free(line);
    fclose(f);
    return rc;
}

/* Read back the p-values recorded up to pv_bytes, records (model u32, first row u64, n u64, n doubles)
 * in row order per model, into restore (lambda GC's spill): they need no variant list. *rows: the
 * rows they cover, the same for every model. */
static int pv_load(assoc_resume_t *rs, uint64_t pv_bytes, int (*restore)(void *, int, const double *, uint64_t),
                   void *rud, uint64_t *rows)
{
    FILE *f = fopen(rs->pv, "rb");
    uint64_t done = 0, *next = calloc((size_t)rs->nm + 1, sizeof *next);
    double *buf = malloc(sizeof *buf * 4096);
    int rc = 0;
    if (!next || !buf) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if (!f) {
        rc = bcms_err(BCMS_ECORRUPT, "%s is missing: remove %s and %s to start afresh", rs->pv, rs->part, rs->ckpt);
        goto done;
    }
    while (!rc && done < pv_bytes) {
        uint32_t m;
        uint64_t first, n;
        if (fread(&m, 4, 1, f) != 1 || fread(&first, 8, 1, f) != 1 || fread(&n, 8, 1, f) != 1 || m >= (uint32_t)rs->nm ||
            first != next[m] || n > (pv_bytes - done) / 8)
            goto damaged;
        for (uint64_t k = 0; !rc && k < n;) {
            size_t c = n - k < 4096 ? (size_t)(n - k) : 4096;
            if (fread(buf, sizeof *buf, c, f) != c) goto damaged;
            rc = restore(rud, (int)m, buf, c);
            k += c;
        }
        next[m] += n;
        done += 20 + 8 * n;
    }
    for (int m = 1; !rc && m < rs->nm; m++)
        if (next[m] != next[0]) goto damaged;
    if (!rc && done != pv_bytes) rc = bcms_err(BCMS_ECORRUPT, "%s does not match its checkpoint", rs->pv);
    *rows = next[0];
    goto done;
damaged:
    rc = bcms_err(BCMS_ECORRUPT, "%s is damaged: remove it, %s and %s to start afresh", rs->pv, rs->part, rs->ckpt);
done:
    if (f) fclose(f);
    free(next);
    free(buf);
    return rc;
}

static int open_fresh(assoc_resume_t *rs, int gz, const char *header, size_t hl, BGZF **fp)
{
    int fd = open(rs->part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd < 0) return bcms_err(BCMS_EIO, "%s: cannot write: %s", rs->part, strerror(errno));
    close(fd);
    if (!(*fp = bgzf_open(rs->part, gz ? "w" : "wu"))) return bcms_err(BCMS_EIO, "%s: cannot write", rs->part);
    if (bgzf_write(*fp, header, hl) < 0) return bcms_err(BCMS_EIO, "%s: write failed", rs->part);
    if (!(rs->pvf = fopen(rs->pv, "wb"))) return bcms_err(BCMS_EIO, "%s: cannot write: %s", rs->pv, strerror(errno));
    return 0;
}

int assoc_resume_open(const char *out, const char *key, int gz, int nm, double *const *pvals,
                      uint64_t (*first_row)(void *, uint32_t), void *ctx,
                      int (*restore)(void *, int, const double *, uint64_t), void *rud, const char *header,
                      size_t header_len, BGZF **fp, uint32_t *start, uint64_t *start_row, assoc_resume_t **out_rs)
{
    assoc_resume_t *rs = calloc(1, sizeof *rs);
    uint32_t g = 0;
    uint64_t pbytes = 0, vbytes = 0;
    int rc;
    *fp = NULL, *start = 0, *start_row = 0, *out_rs = NULL;
    if (!rs || !(rs->out = strdup(out)) || !(rs->key = strdup(key)) || !(rs->part = cat2(out, ".partial")) ||
        !(rs->ckpt = cat2(out, ".partial.ckpt")) || !(rs->pv = cat2(out, ".partial.pv"))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    rs->nm = nm, rs->pvals = pvals, rs->first_row = first_row, rs->ctx = ctx;
    rs->ckpt_time = time(NULL);
    rc = ckpt_read(rs, &g, &pbytes, &vbytes);
    if (rc == BCMS_ENOTFOUND) {
        bcms_err_clear();
        if ((rc = open_fresh(rs, gz, header, header_len, fp))) goto fail;
        *out_rs = rs;
        return 0;
    }
    if (rc) goto fail;
    if ((rc = pv_load(rs, vbytes, restore, rud, start_row))) goto fail;
    if (truncate(rs->part, (off_t)pbytes) || truncate(rs->pv, (off_t)vbytes)) {
        rc = bcms_err(BCMS_EIO, "%s: cannot truncate to its checkpoint: %s", rs->part, strerror(errno));
        goto fail;
    }
    if (!(*fp = bgzf_open(rs->part, gz ? "a" : "au")) || !(rs->pvf = fopen(rs->pv, "ab"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot append: %s", rs->part, strerror(errno));
        goto fail;
    }
    rs->pv_bytes = vbytes, rs->ckpt_written = rs->pv_batches = g, rs->part0 = pbytes;
    bcms_log(BCMS_LOG_INFO, "resuming %s at batch %u", out, g);
    *start = g;
    *out_rs = rs;
    return 0;
fail:
    if (*fp) bgzf_close(*fp);
    *fp = NULL;
    assoc_resume_free(rs);
    return rc;
}

static int pv_append(assoc_resume_t *rs, uint64_t from, uint64_t to)
{
    for (int m = 0; m < rs->nm && to > from; m++) {
        uint32_t mm = (uint32_t)m;
        uint64_t n = to - from;
        if (fwrite(&mm, 4, 1, rs->pvf) != 1 || fwrite(&from, 8, 1, rs->pvf) != 1 || fwrite(&n, 8, 1, rs->pvf) != 1 ||
            fwrite(rs->pvals[m] + (from - rs->base), sizeof(double), n, rs->pvf) != n)
            return bcms_err(BCMS_EIO, "%s: write failed (disk full?)", rs->pv);
        rs->pv_bytes += 20 + 8 * n;
    }
    return fflush(rs->pvf) ? bcms_err(BCMS_EIO, "%s: write failed (disk full?)", rs->pv) : 0;
}

void assoc_resume_window(assoc_resume_t *rs, uint64_t row0)
{
    if (rs) rs->base = row0;
}

int assoc_resume_tick(assoc_resume_t *rs, BGZF *fp, uint32_t written, int force)
{
    time_t now = time(NULL);
    int rc;
    if (!rs) return 0;
    /* the p-values go out as their batches do (the window holding them moves on); a checkpoint
     * then counts exactly the bytes of its batches */
    if (written > rs->pv_batches) {
        if ((rc = pv_append(rs, rs->first_row(rs->ctx, rs->pv_batches), rs->first_row(rs->ctx, written)))) return rc;
        rs->pv_batches = written;
    }
    if (written == rs->ckpt_written || (!force && now - rs->ckpt_time < ckpt_every())) return 0;
    /* an uncompressed BGZF ("wu") writes straight through to its hFILE: only that needs flushing */
    if ((fp->is_compressed && bgzf_flush(fp) < 0) || hflush(fp->fp) < 0) return bcms_err(BCMS_EIO, "%s: write failed (disk full?)", rs->part);
    off_t bytes = (off_t)rs->part0 + htell(fp->fp);
    char *tmp = cat2(rs->ckpt, ".new");
    FILE *f = tmp ? fopen(tmp, "w") : NULL;
    if (!f) {
        free(tmp);
        return bcms_err(BCMS_EIO, "%s: cannot write", rs->ckpt);
    }
    fprintf(f, "key\t%s\nbatches\t%u\npartial_bytes\t%lld\npv_bytes\t%llu\n", rs->key, written, (long long)bytes,
            (unsigned long long)rs->pv_bytes);
    if (fclose(f) || rename(tmp, rs->ckpt)) {
        free(tmp);
        return bcms_err(BCMS_EIO, "%s: write failed (disk full?)", rs->ckpt);
    }
    free(tmp);
    rs->ckpt_written = written, rs->ckpt_time = now;
    return 0;
}

int assoc_resume_finish(assoc_resume_t *rs)
{
    if (rs->pvf) fclose(rs->pvf);
    rs->pvf = NULL;
    if (rename(rs->part, rs->out)) return bcms_err(BCMS_EIO, "%s: cannot rename to %s: %s", rs->part, rs->out, strerror(errno));
    unlink(rs->ckpt);
    unlink(rs->pv);
    return 0;
}

void assoc_resume_free(assoc_resume_t *rs)
{
    if (!rs) return;
    if (rs->pvf) fclose(rs->pvf);
    free(rs->out), free(rs->part), free(rs->ckpt), free(rs->pv), free(rs->key);
    free(rs);
}
