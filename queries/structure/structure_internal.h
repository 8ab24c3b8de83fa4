/* structure_internal.h: what the files of queries/structure/ share (not part of the contract):
 * the selection of samples and variants over the reader, and the output rule. GPL-3.0-or-later. */
#ifndef BCMS_STRUCTURE_INTERNAL_H
#define BCMS_STRUCTURE_INTERNAL_H

#include <stdint.h>
#include <htslib/bgzf.h>

#include "structure.h"

/* An open selection. Everything is owned by it; iids[i] is the IID of column i of a batch. */
typedef struct {
    bcms_reader_t *rd;
    uint32_t n;     /* samples in a batch */
    char **iids;
    uint8_t *use;   /* per reader variant: 1 autosomal and extracted */
    uint64_t nvar;  /* reader variants */
    uint64_t nuse;  /* of them used */
    uint32_t nbatch;
} st_input_t;

/* Open the reader over s (keep, extract, autosomes). Returns 0 or a BCMS code; on failure in is
 * cleared. No samples or no used variants is BCMS_EINVAL with a message saying which. */
int st_input_open(bcms_store_t *st, const bcms_structure_sel_t *s, st_input_t *in);
void st_input_close(st_input_t *in);

/* Output file: ".gz" -> gzip, "-" stdout. */
int st_out_open(const char *path, BGZF **out);
/* Close; returns rc, or BCMS_EIO when rc was 0 and closing failed. */
int st_out_close(BGZF *out, const char *path, int rc);
/* Write the kstring-like buffer s (l bytes); BCMS_EIO on failure. */
int st_out_write(BGZF *out, const char *path, const char *s, size_t l);

/* A %.*g number that round-trips at 'digits' significant digits into buf (32 bytes). */
const char *st_fmt_g(char *buf, double x, int digits);

#endif
