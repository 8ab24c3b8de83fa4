/* meta_internal.h: what the files of queries/meta share (not part of the module's contract). */
#ifndef BCMS_META_INTERNAL_H
#define BCMS_META_INTERNAL_H

#include <htslib/kstring.h>

#include "meta.h"
#include "sumstats.h"

/* One variant of the current position, as the inputs that hold it see it, oriented to A1. */
typedef struct {
    const bcms_ss_row_t *anchor;  /* first input's row (fixes ID, REF, ALT = A1) */
    const char *a1, *a2;          /* A1 = the anchor's ALT, A2 its REF */
    int anchor_in;                /* input index of the anchor */
    double anchor_freq;           /* A1 frequency in the anchor (NaN if absent) */
    int k;                        /* inputs holding it */
    /* per input (ninputs each): */
    signed char *have;
    double *b, *v, *f, *n, *z;    /* BETA of A1, SE^2, A1 frequency, N, sample-size z */
    const bcms_ss_row_t **row;
} meta_var_t;

/* meta_gc.c: lambda GC of one input (median chi2 / 0.4549), exact, by two streaming passes. */
int meta_gc_lambda(const char *path, int need, int scheme, double *lambda);

/* meta_out.c */
void meta_out_header(kstring_t *s, int format);
void meta_out_row(kstring_t *s, int format, int scheme, const meta_var_t *mv, int ninputs,
                  const bcms_meta_result_t *r);

#endif
