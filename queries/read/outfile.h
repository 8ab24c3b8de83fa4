/* outfile.h: how bcms writes an output file (tables of assoc, merge, freq, clinical; view's VCF).
 *
 * - The output appears only on success, whole: the bytes go to a temporary file beside it
 *   (".NAME.tmpXXXXXX" in the same directory, so the final rename(2) is atomic), created exclusively
 *   (O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file or a symlink planted there), flushed with
 *   fsync, then renamed over NAME. A symlink at NAME is replaced, its target is never written.
 * - A failure (a write error, disk full, an error of the caller) removes the temporary file, and so
 *   does SIGINT, SIGTERM, SIGHUP or SIGPIPE: live temporary paths are registered, and the handler
 *   (installed on first use, only for signals whose disposition is the default) unlinks them before
 *   the signal takes its default action. Only SIGKILL can leave one behind.
 * - "-" is stdout (streamed, so not atomic); an existing device or FIFO (/dev/null) is written in
 *   place.
 * - A path ending in ".gz" is written as BGZF (bgzip), so `tabix` can index a table that is sorted
 *   by position (`tabix -s1 -b2 -e2`; add `-S1` for a header without a leading '#').
 * - BCMS_OUT_PRIVATE creates the file owner-only (0600, for per-patient data); otherwise 0666
 *   less the umask, like any file the user creates.
 * Errors name the file and the system's reason ("No space left on device"). Not thread-safe per
 * handle; different handles may be used from different threads. */
#ifndef BCMS_OUTFILE_H
#define BCMS_OUTFILE_H

#include <stddef.h>
#include <string.h>
#include <htslib/bgzf.h>

static inline int bcms_out_is_gz(const char *path)
{
    size_t l = path ? strlen(path) : 0;
    return l > 3 && !strcmp(path + l - 3, ".gz");
}

typedef struct bcms_outfile_t bcms_outfile_t;

enum {
    BCMS_OUT_PRIVATE = 1, /* mode 0600 */
    BCMS_OUT_RAW = 2,     /* no BGZF writer: the caller writes through bcms_outfile_dup_fd (e.g. htslib) */
};

/* Open an output for path. Returns 0, BCMS_EIO (cannot create; the message says why) or
 * BCMS_ENOMEM. *out must end in bcms_outfile_commit or bcms_outfile_abort. */
int bcms_outfile_open(const char *path, int flags, bcms_outfile_t **out);

/* Write n bytes (BGZF-compressed for ".gz", as they are otherwise; not with BCMS_OUT_RAW). Returns
 * 0 or BCMS_EIO with the reason; after a failure every later write fails the same way. */
int bcms_outfile_write(bcms_outfile_t *f, const void *p, size_t n);

/* A new descriptor of the file (the caller closes it, e.g. through hdopen + hts_close), for
 * BCMS_OUT_RAW; -1 on failure. */
int bcms_outfile_dup_fd(bcms_outfile_t *f);

/* The name the output will have. */
const char *bcms_outfile_path(const bcms_outfile_t *f);

/* Finish: close the writer, fsync, rename into place; f is freed whatever the result. Returns 0 or
 * BCMS_EIO (nothing is left at the path then). */
int bcms_outfile_commit(bcms_outfile_t *f);

/* Give up: close and remove the temporary file; f is freed. NULL is allowed. */
void bcms_outfile_abort(bcms_outfile_t *f);

/* An I/O error on f's file: BCMS_EIO with "PATH: DOING failed: REASON", the reason being the first
 * failed write's, else errno (for a caller's own writes through bcms_outfile_dup_fd). */
int bcms_outfile_err(const bcms_outfile_t *f, const char *doing);

#endif
