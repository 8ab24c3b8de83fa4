/* assoc_resume.h (internal to queries/assoc/): resumable scans, `bcms assoc --resume`.
 *
 * A resumable scan writes OUT.partial instead of a private temporary file and, every few seconds,
 * (BCMS_RESUME_EVERY seconds, default 5) records a checkpoint: OUT.partial.ckpt (the scan key, the number G of batches whose rows are in
 * OUT.partial, its byte length then, and the byte length of OUT.partial.pv) and appends the p-values
 * of the new rows to OUT.partial.pv (for lambda GC). A killed scan leaves the three files; the same
 * command with --resume (any --threads, any MPI rank count) truncates them to the checkpoint and
 * continues at batch G, so OUT has exactly the rows of an uninterrupted run (a .gz OUT is BGZF, as
 * checkpoints need block boundaries; it has the same content, its block boundaries may differ). The key is the command line without -o/--threads/
 * --resume plus the store's last transaction id: a checkpoint of another scan, or of the same scan
 * before the store changed, is refused. On success the three files become OUT (renamed) or vanish. */
#ifndef BCMS_ASSOC_RESUME_H
#define BCMS_ASSOC_RESUME_H

#include <stdint.h>
#include <htslib/bgzf.h>

typedef struct assoc_resume_t assoc_resume_t;

/* Open or continue the resumable output of out. nm models; pvals[m] the p-values of the reader's
 * window (rows from the base given to assoc_resume_window). first_row(b) gives the first variant row
 * of batch b of the window (b = the window's end: the rows so far). A continued scan's recorded
 * p-values go to restore(rud, m, p, n) (lambda GC's spill), not to pvals: the scan streams.
 * On return *fp is open for writing at the end of the checkpointed rows (header written when
 * fresh), *start the first batch to compute and *start_row its first row (the caller checks it
 * against the stream's batches when it gets there). Returns 0 or a BCMS code (a checkpoint of
 * another scan, damaged files). */
int assoc_resume_open(const char *out, const char *key, int gz, int nm, double *const *pvals,
                      uint64_t (*first_row)(void *ctx, uint32_t b), void *ctx,
                      int (*restore)(void *rud, int m, const double *p, uint64_t n), void *rud,
                      const char *header, size_t header_len, BGZF **fp, uint32_t *start, uint64_t *start_row,
                      assoc_resume_t **rs);

/* The reader's window now starts at variant row row0 (pvals[m][0] is its p-value). */
void assoc_resume_window(assoc_resume_t *rs, uint64_t row0);

/* Batches 0..written-1 are in fp (those from the last call on still in the window): their
 * p-values go to OUT.partial.pv; checkpoint if the last one is older than a few seconds (force:
 * now). 0 or BCMS_EIO. */
int assoc_resume_tick(assoc_resume_t *rs, BGZF *fp, uint32_t written, int force);

/* After fp is closed: rename OUT.partial to out, remove the checkpoint files. */
int assoc_resume_finish(assoc_resume_t *rs);
/* Free (the files stay for the next --resume). */
void assoc_resume_free(assoc_resume_t *rs);

#endif
