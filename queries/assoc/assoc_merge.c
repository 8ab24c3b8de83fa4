/* assoc_merge.c: `bcms merge`: chunk outputs -> one output, equal byte for byte to the unchunked
 * scan. Each chunk's summary (OUT.log, written when the chunk completed) must say it is chunk k of
 * n of the same command apart from -o/--chunk; a missing, incomplete or foreign chunk is an error
 * naming it, and nothing is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "assoc.h"
#include "err.h"
#include "outfile.h"

typedef struct {
    int k, n, complete;
    char model[32];
} chunk_info_t;

static int read_summary(const char *path, chunk_info_t *ci)
{
    char *logp = NULL, line[8192];
    FILE *fp;
    memset(ci, 0, sizeof *ci);
    if (asprintf(&logp, "%s.log", path) < 0) return BCMS_ENOMEM;
    fp = fopen(logp, "r");
    if (!fp) {
        int rc = bcms_err(BCMS_ENOTFOUND, "%s: no summary %s (the chunk did not complete, or it is not a bcms assoc "
                          "output): rerun that chunk", path, logp);
        free(logp);
        return rc;
    }
    while (fgets(line, sizeof line, fp)) {
        if (!strncmp(line, "chunk\t", 6)) sscanf(line + 6, "%d/%d", &ci->k, &ci->n);
        else if (!strncmp(line, "model\t", 6)) sscanf(line + 6, "%31s", ci->model);
        else if (!strcmp(line, "status\tcomplete\n")) ci->complete = 1;
    }
    fclose(fp);
    free(logp);
    if (!ci->complete || ci->k < 1 || ci->n < 1)
        return bcms_err(BCMS_EINPUT, "%s: the chunk's summary says it is incomplete; rerun that chunk", path);
    return 0;
}

int bcms_assoc_merge(const char *const *chunks, int n, const char *out)
{
    chunk_info_t *ci = calloc(n + 1, sizeof *ci);
    int *order = calloc(n + 1, sizeof *order), rc = 0;
    bcms_outfile_t *fo = NULL;
    kstring_t line = {0, 0, NULL}, hdr = {0, 0, NULL};
    if (!ci || !order) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if ((rc = read_summary(chunks[i], &ci[i]))) goto done;
        if (ci[i].n != ci[0].n || strcmp(ci[i].model, ci[0].model)) {
            rc = bcms_err(BCMS_EINPUT, "%s is chunk %d/%d of a %s scan, %s is chunk %d/%d of a %s scan: they are not "
                          "parts of one scan", chunks[0], ci[0].k, ci[0].n, ci[0].model, chunks[i], ci[i].k, ci[i].n,
                          ci[i].model);
            goto done;
        }
        if (order[ci[i].k - 1]) {
            rc = bcms_err(BCMS_EINPUT, "chunk %d/%d given twice (%s and %s)", ci[i].k, ci[i].n,
                          chunks[order[ci[i].k - 1] - 1], chunks[i]);
            goto done;
        }
        if (ci[i].k > ci[0].n) {
            rc = bcms_err(BCMS_EINPUT, "%s: chunk %d of %d", chunks[i], ci[i].k, ci[i].n);
            goto done;
        }
        order[ci[i].k - 1] = i + 1;
    }
    if (n != ci[0].n) {
        kstring_t miss = {0, 0, NULL};
        for (int k = 0; k < ci[0].n; k++)
            if (!order[k]) ksprintf(&miss, "%s%d", miss.l ? "," : "", k + 1);
        rc = bcms_err(BCMS_EINPUT, "the scan has %d chunks; missing: %s; run them (--chunk k/%d) and merge again",
                      ci[0].n, miss.s ? miss.s : "?", ci[0].n);
        free(miss.s);
        goto done;
    }
    if ((rc = bcms_outfile_open(out, 0, &fo))) goto done; /* renamed into place when complete */
    for (int k = 0; k < n; k++) {
        const char *path = chunks[order[k] - 1];
        BGZF *fi = bgzf_open(path, "r");
        int first = 1;
        if (!fi) {
            rc = bcms_err(BCMS_EIO, "%s: cannot read", path);
            goto done;
        }
        while (bgzf_getline(fi, '\n', &line) >= 0) {
            if (first) {
                first = 0;
                if (k == 0) {
                    kputsn(line.s, line.l, &hdr);
                } else if (line.l != hdr.l || memcmp(line.s, hdr.s, hdr.l)) {
                    bgzf_close(fi);
                    rc = bcms_err(BCMS_EINPUT, "%s: its columns differ from the first chunk's", path);
                    goto done;
                } else {
                    continue;
                }
            }
            kputc('\n', &line);
            if ((rc = bcms_outfile_write(fo, line.s, line.l))) {
                bgzf_close(fi);
                goto done;
            }
        }
        bgzf_close(fi);
    }
    rc = bcms_outfile_commit(fo);
    fo = NULL;
done:
    bcms_outfile_abort(fo);
    free(ci);
    free(order);
    free(line.s);
    free(hdr.s);
    return rc;
}
