/* patient_file.h: scratch files that hold per-patient data on the way into the store. Output tables
 * with per-patient data go through queries/read/outfile.h with BCMS_OUT_PRIVATE (owner-only,
 * complete or absent); this is only the anonymous scratch copy the clinical fields pass through.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef BCMS_PATIENT_FILE_H
#define BCMS_PATIENT_FILE_H

/* An anonymous scratch file in directory dir (never a shared /tmp): created owner-only (0600) and
 * exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, so never through a planted symlink), then unlinked at
 * once, so nothing is left behind even by kill -9. *fd is open read-write; the caller closes it.
 * Returns 0, BCMS_EIO (the message names dir and the reason) or BCMS_ENOMEM. */
int bcms_pfile_scratch(const char *dir, int *fd);

#endif
