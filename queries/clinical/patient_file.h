/* patient_file.h: files that hold per-patient data (clinical tables, phenotype exports, and the
 * scratch copies made on the way). They are owner-only (mode 0600), created exclusively beside
 * their destination (never in a shared /tmp, never through a symlink planted at the temporary
 * name), and appear under their final name only when complete (rename). A temporary file is
 * removed on every exit path: by bcms_pfile_abort on errors, and by the signal handler that
 * bcms_pfile_cleanup_on_signals installs when the process is interrupted (SIGINT, SIGTERM, SIGHUP).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads: the registry of temporary names is process-wide; open/commit/abort are meant for the
 * main thread (one output at a time, at most BCMS_PFILE_MAX at once).
 */
#ifndef BCMS_PATIENT_FILE_H
#define BCMS_PATIENT_FILE_H

#define BCMS_PFILE_MAX 8

typedef struct {
    int fd;        /* open for writing, mode 0600; -1 once committed or aborted */
    char *tmp;     /* the temporary path (beside target) */
    char *target;  /* the final path */
    int slot;      /* registry slot for the signal handler */
} bcms_pfile_t;

/* Create "TARGET.tmp.XXXXXX" beside target with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and register
 * it for removal on signals. Returns 0, BCMS_EIO (detail names the path) or BCMS_ENOMEM. */
int bcms_pfile_open(bcms_pfile_t *f, const char *target);

/* Close f and rename it to its target (replacing a file there; a symlink at the target is
 * replaced, not followed). On failure the temporary file is removed. Returns 0 or BCMS_EIO. */
int bcms_pfile_commit(bcms_pfile_t *f);

/* Close and remove the temporary file (safe on a committed or zeroed f). */
void bcms_pfile_abort(bcms_pfile_t *f);

/* An anonymous scratch file in directory dir: created as above, then unlinked at once, so nothing
 * is left behind even by kill -9. *fd is open read-write; the caller closes it. */
int bcms_pfile_scratch(const char *dir, int *fd);

/* Install handlers for SIGINT, SIGTERM and SIGHUP that remove every registered temporary file and
 * then end the process with the same signal (for cli/ only: the library never installs handlers
 * by itself). */
void bcms_pfile_cleanup_on_signals(void);

#endif
