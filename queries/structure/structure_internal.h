/* structure_internal.h: what the files of queries/structure/ share (not part of the contract):
 * the selection of samples and variants over the reader, and the output rule. GPL-3.0-or-later. */
#ifndef BCMS_STRUCTURE_INTERNAL_H
#define BCMS_STRUCTURE_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>
#include <lmdb.h>

#include "reader.h"
#include "structure.h"

/* An open selection over a streaming reader: the variants come window by window (st_input_next),
 * so memory does not grow with their number. Everything is owned by it; iids[i] is the IID of
 * column i of a batch. A window's variants are its batches' (global indices v0 .. v0 + wn - 1). */
typedef int (*st_pick_fn)(void *ud, const bcms_variant_t *v); /* 1: the variant is used */
typedef struct {
    bcms_reader_t *rd;
    uint32_t n;     /* samples in a batch */
    char **iids;    /* n pointers into all_iids */
    uint32_t *snum; /* global sample number of column i */
    uint32_t nall;  /* the reader's samples (its --keep/--remove/--mind selection), in its order */
    char **all_iids;
    /* the current window (st_input_next) */
    uint32_t b0, nb;  /* its batches */
    uint64_t v0, wn;  /* its variants */
    uint8_t *use;     /* per window variant: use[v - v0] = 1 autosomal and extracted (or pick's choice) */
    uint64_t use_cap;
    uint64_t *load;   /* per MPI rank: used variants of the units shared so far in this pass */
    /* totals of the pass so far; of the whole selection once done */
    uint64_t nvar;    /* reader variants */
    uint64_t nuse;    /* of them used */
    int done;         /* a whole pass has been read */
    int state;        /* 0: before a pass, 1: in one, 2: at its end */
    st_pick_fn pick;  /* NULL: autosomes */
    void *pick_ud;
} st_input_t;

/* Open the reader over s: its samples (every one of the reader's selection, in its order); the
 * variants (autosomes) come with st_input_next. Returns 0 or a BCMS code; on failure in is cleared.
 * Fewer than 2 samples is BCMS_EINVAL with a message saying so. */
int st_input_open(bcms_store_t *st, const bcms_structure_sel_t *s, st_input_t *in);
/* Batches over the samples idx[0..n-1] (indices into the reader's nall samples), in that order:
 * n, iids and snum follow. Before a pass only. Returns 0 or a BCMS code (in unchanged). */
int st_input_subset(st_input_t *in, const uint32_t *idx, uint32_t n);
/* The next window of the pass: 0 with b0, nb (> 0), v0, wn and use set; 1 when the pass has ended
 * (the next call starts another from the first variant, with the same windows); or a BCMS code. At
 * the end of the first pass nvar and nuse are the totals, and no used variant is BCMS_EINVAL with a
 * message saying which. */
int st_input_next(st_input_t *in);
/* Whether reader variant v of the current window is used. */
static inline int st_used(const st_input_t *in, uint64_t v) { return in->use[v - in->v0]; }
/* Used variants of batch b of the current window. */
uint64_t st_batch_used(const st_input_t *in, uint32_t b);
void st_input_close(st_input_t *in);

/* ---- genotype standardisation and the GRM (grm.c) ---- */
enum { ST_STANDARDISED = 1, ST_CENTRED = 2 };

/* Row of n codes -> z: (g - 2p) / sqrt(2p(1-p)) (standardised) or g - 2p (centred), p the ALT
 * frequency of the called genotypes, missing calls 0 (the mean). A variant without variance is all 0. */
void st_standardise(const uint8_t *codes, uint32_t n, int kind, double *z);

/* Stream every used variant into G: G = Z^T Z / m with Z the standardised (or centred) m x n
 * matrix; *m receives the variant count. G is caller-allocated with room for n (n + 1) doubles
 * (the exact accumulator, st_gram_fix_*, lives there first) and receives the n x n matrix,
 * row-major. Exact sums of fixed tiles: the same bits at any thread count and over any number of
 * MPI ranks (each streams its share of the reader's batches, cluster.h; the sums meet on rank 0).
 * In an MPI job only rank 0's G and *m are the result. */
int st_grm_build(st_input_t *in, int kind, int threads, double *G, uint64_t *m);

/* What a GRM was built from, chromosome by chromosome (grm_loco.c; FORMAT.md "Table grm"): per
 * chromosome its variant count, a hash of its standardised rows (every bit of Z, in order) and, when
 * keys is set, each variant's position and allele hash, so that `assoc --loco` finds exactly those
 * variants again and checks they still give the same Z. */
typedef struct {
    char chrom[8];
    uint64_t m, zhash;
    uint64_t first;         /* its first key */
} st_prov_chr_t;

typedef struct {
    int keys;               /* record the keys (a build), or only m and zhash (a check) */
    int nchr, cap_chr;
    st_prov_chr_t *chr;
    uint64_t n;             /* keys recorded */
    uint8_t *buf;           /* the last chunk's keys (ST_PROV_CHUNK x 12 bytes) ... */
    size_t bl;
    FILE *spill;            /* ... and the ones before it (grm_prov.c) */
} st_prov_t;

/* Add rows (Z: rows x n, the reader's variants vidx[]) to p; a chromosome must come in one run. */
int st_prov_add(st_prov_t *p, const bcms_reader_t *rd, const double *Z, uint32_t n, uint32_t rows,
                const uint64_t *vidx);
void st_prov_clear(st_prov_t *p);
uint64_t st_allele_hash(const char *ref, const char *alt);
#define ST_GRM_DB "grm"
#define ST_PROV_SUFFIX ",variants" /* ',' is not allowed in a GRM's name: no clash with one */
#define ST_PROV_VERSION 2          /* 1: the keys in the record itself (read, never written) */
#define ST_PROV_CHUNK 131072       /* keys per chunk record (1.5 MB) */
/* A build's keys into chunk records of GRM name, each in a write transaction of its own, under a
 * token new to the build (*token; *nchunk records). 0 or a BCMS code. */
int st_prov_write_keys(bcms_store_t *st, const char *name, st_prov_t *p, uint64_t *token, uint32_t *nchunk);
/* The companion record of GRM name (key "name,variants") in the open write transaction: p, tied to
 * the matrix record by its CRC, naming the chunks of token; every other chunk record of name is
 * removed. */
int st_prov_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const st_prov_t *p, uint32_t grm_crc, uint32_t n,
                uint64_t m, const char *cohorts, int dup_rule, int kind, uint64_t token, uint32_t nchunk);
/* The keys of a stored record, one at a time (st_prov_key(k, i, ...), i in 0 .. total - 1): from
 * its chunks in the map under txn (version 2), or from arrays (version 1). */
typedef struct {
    MDB_txn *txn;
    MDB_dbi dbi;
    const char *name;
    uint64_t token, total;
    uint32_t nchunk, per;
    const uint8_t *data;    /* the chunk in hand: keys first .. */
    uint32_t seq;
    uint64_t first;
    const uint32_t *v1pos;  /* version 1 */
    const uint64_t *v1hash;
} st_prov_keys_t;
int st_prov_key(st_prov_keys_t *k, uint64_t i, uint32_t *pos, uint64_t *h);

/* Sub-blocks of at most ST_SUBBLOCK standardised rows of a pass (st_input_next), within a batch,
 * handed to fn(ud, Z, rows, vidx) one after the other in variant order: Z rows x n (row-major), vidx
 * the rows' reader variants (of the current window: bcms_reader_variant works on them); the rows of
 * a sub-block are standardised in parallel. */
#define ST_SUBBLOCK 512
typedef int (*st_rows_fn)(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx);
int st_stream_idx(st_input_t *in, int kind, int threads, st_rows_fn fn, void *ud);
/* A pass over the used variants (st_input_next's windows) in units: runs of consecutive batches,
 * each closed once it has min_used used variants (a rule on the data alone: units do not depend on
 * the windows), shared over the MPI ranks when share is set (in batch order, to the rank with the
 * fewest used variants so far: cluster.h's rule; every unit this process's otherwise). This rank's
 * units' rows are standardised and handed to fn in sub-blocks of at most sub rows that may span the
 * batches (and windows) of a unit, never two units; vidx names the rows' reader variants, of the
 * current window unless min_used > 1. each (or NULL) gets every batch's new rows at once, in the
 * window that holds them (bcms_reader_variant works on them). */
int st_stream_pass(st_input_t *in, uint64_t min_used, int share, uint32_t sub, int kind, int threads, st_rows_fn fn,
                   st_rows_fn each, void *ud);
/* G += Z'Z over the used variants (upper-triangle tiles, st_gram_add, floating point in variant
 * order: one process's sum, for --loco's per-chromosome part), *m their count, into prov when not
 * NULL; no mirroring, no division. */
int st_gram_stream(st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov);
/* st_grm_build, recording prov (or NULL; under MPI rank 0 records it in a pass of its own). */
int st_grm_build_prov(st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov);

/* ---- linear algebra (linalg.c) ---- */
/* BLAS calls run single-threaded inside our own OpenMP tiles (OpenBLAS' own threads off). */
void st_blas_serial(void);
/* The k largest eigenvalues of the symmetric n x n matrix A (destroyed; its lower triangle,
 * column-major, is read), descending, into val, and their unit eigenvectors into vec (n x k,
 * row-major: vec[i * k + j]). eig_tiled.c (LAPACK dstemr for the tridiagonal's k), on threads OpenMP
 * threads: the bits do not depend on threads. 0 or BCMS_ENOMEM/EINVAL. */
int st_eig_top(uint32_t n, double *A, uint32_t k, double *val, double *vec, int threads);
/* The same k pairs by block Lanczos (eig_krylov.c), for n large against k: A's lower triangle is
 * kept (its upper one becomes its mirror). 0, ST_KRYLOV_NOCONV when the pairs were not reached to
 * the accuracy checked on A within the basis' cap (the caller then solves densely; nothing written),
 * or BCMS_ENOMEM/EINVAL. *steps: the block steps run. st_eig_top tries it when n >= ST_KRYLOV_MIN_N
 * (BCMS_EIG_TOP=dense|krylov in the environment forces one route, for tests and benchmarks). */
#define ST_KRYLOV_NOCONV 1
#define ST_KRYLOV_MIN_N 2000u
int st_eig_top_krylov(uint32_t n, double *A, uint32_t k, double *val, double *vec, int threads, int *steps);
/* Every eigenvalue (ascending) and eigenvector (columns of A on return, column-major = row-major
 * transposed) of the symmetric n x n matrix A (only its lower triangle, column-major, is read).
 * eig_tiled.c on threads OpenMP threads: the bits do not depend on threads. Holds 2 n^2 doubles
 * beside A at its peak (as LAPACK dsyevd). 0 or BCMS_ENOMEM/EINVAL. */
int st_eig_all(uint32_t n, double *A, double *val, int threads);
/* ---- eig_tiled.c: the steps of st_eig_all / st_eig_top, in fixed tiles ---- */
/* C <- Q C, C n x nc column-major, Q the reduction's reflectors (A's lower triangle, LAPACK 'L'). */
int st_eigt_apply_q(int n, const double *A, const double *tau, double *C, int nc, int threads);
/* T += Z' Z for Z rows x n row-major, on the upper-triangle tiles (ST_TILE x ST_TILE, diagonal tiles
 * whole): one single-threaded dgemm per tile whichever thread runs it, so T does not depend on threads. */
#define ST_TILE 512
void st_gram_add(double *T, const double *Z, uint32_t n, uint32_t rows, int threads);
/* The same sum, exact in any order: each sub-block's tile products (one dgemm each, as above) are
 * rounded to fixed point and added into 128-bit integers, so partial sums over any split of the
 * sub-blocks (threads, MPI ranks) add up to the same bits. A sub-block whose entries are bounded by
 * bound (e.g. the sum over its rows of max_i z_i^2) is rounded at 2^-s, s = min(ST_FIX_BITS,
 * 61 - ceil(log2 bound)): an error of at most max(2^-41, bound 2^-61) per entry and sub-block
 * (bound 2^-61 is far below dgemm's own rounding of the sub-block, ~rows 2^-53 bound). The
 * accumulator (n (n + 1) / 2 unsigned 128-bit values, the packed upper triangle) lives in memory of
 * n (n + 1) doubles that st_gram_fix_finish turns, in place, into the full n x n matrix divided by
 * div. 128 bits hold 2^87 in units of 2^-40: no overflow below 2^44 variants (|z|^2 < 2^42). */
#define ST_FIX_BITS 40
typedef struct {
    unsigned __int128 *acc;
    double *work; /* threads x ST_TILE x ST_TILE */
    uint32_t n;
    int threads;
} st_gram_fix_t;
/* mem: n (n + 1) doubles (malloc'd: 16-byte aligned), zeroed here. 0 or BCMS_ENOMEM. */
int st_gram_fix_init(st_gram_fix_t *a, void *mem, uint32_t n, int threads);
void st_gram_fix_add(st_gram_fix_t *a, const double *Z, uint32_t rows, double bound);
/* mem becomes G (n x n, row-major, full) = sum / div; the accumulator is gone. */
void st_gram_fix_finish(st_gram_fix_t *a, double *G, double div);
void st_gram_fix_free(st_gram_fix_t *a);
/* Orthonormalise the l columns of Q (n x l row-major) in place: modified Gram-Schmidt, twice. */
void st_orthonormalise(uint32_t n, uint32_t l, double *Q);

/* ---- prune's names (prune_names.c) ---- */
/* Which variants' IDs name another variant of the selection too, and which variants' CHR:POS:REF:ALT
 * keys (alleles in sorted order, st_allele_key) name another variant or are another's ID: every
 * variant's records (st_names_hash: 1 or 2 pairs of uint64 into rec; thread-safe with a kstring per
 * thread) added in variant order (st_names_add, n pairs), then st_names_finish, then read back in
 * variant order (st_names_get, v never decreasing). Memory fixed whatever the variant count. */
typedef struct names_sort_t names_sort_t;
typedef struct {
    names_sort_t *recs[2], *flags[2]; /* two halves by the hash's top bit */
} st_names_t;
int st_names_begin(st_names_t *nm);
uint32_t st_names_hash(const bcms_variant_t *v, uint64_t vi, kstring_t *ks, uint64_t rec[4]);
int st_names_add(st_names_t *nm, const uint64_t *rec, size_t n);
int st_names_finish(st_names_t *nm, int threads);
int st_names_get(st_names_t *nm, uint64_t v, int *dup_id, int *bad_key);
void st_names_free(st_names_t *nm);
/* CHR:POS with the alleles in sorted order: one key for both orders, as --extract matches them. */
void st_allele_key(const bcms_variant_t *v, kstring_t *s);

/* Output file: ".gz" -> gzip, "-" stdout. */
int st_out_open(const char *path, BGZF **out);
/* Close; returns rc, or BCMS_EIO when rc was 0 and closing failed. */
int st_out_close(BGZF *out, const char *path, int rc);
/* Write the kstring-like buffer s (l bytes); BCMS_EIO on failure. */
int st_out_write(BGZF *out, const char *path, const char *s, size_t l);

/* A %.*g number that round-trips at 'digits' significant digits into buf (32 bytes). */
const char *st_fmt_g(char *buf, double x, int digits);

#endif
