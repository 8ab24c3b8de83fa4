/* structure_internal.h: what the files of queries/structure/ share (not part of the contract):
 * the selection of samples and variants over the reader, and the output rule. GPL-3.0-or-later. */
#ifndef BCMS_STRUCTURE_INTERNAL_H
#define BCMS_STRUCTURE_INTERNAL_H

#include <stdint.h>
#include <htslib/bgzf.h>
#include <lmdb.h>

#include "structure.h"

/* An open selection. Everything is owned by it; iids[i] is the IID of column i of a batch. */
typedef struct {
    bcms_reader_t *rd;
    uint32_t n;     /* samples in a batch */
    char **iids;    /* n pointers into all_iids */
    uint32_t *snum; /* global sample number of column i */
    uint32_t nall;  /* the reader's samples (its --keep/--remove/--mind selection), in its order */
    char **all_iids;
    uint8_t *use;   /* per reader variant: 1 autosomal and extracted */
    uint64_t nvar;  /* reader variants */
    uint64_t nuse;  /* of them used */
    uint32_t nbatch;
} st_input_t;

/* Open the reader over s: its samples (every one of the reader's selection, in its order) and its
 * variants on autosomes. Returns 0 or a BCMS code; on failure in is cleared. Fewer than 2 samples
 * or no used variant is BCMS_EINVAL with a message saying which. */
int st_input_open(bcms_store_t *st, const bcms_structure_sel_t *s, st_input_t *in);
/* Batches over the samples idx[0..n-1] (indices into the reader's nall samples), in that order:
 * n, iids and snum follow. Returns 0 or a BCMS code (in unchanged). */
int st_input_subset(st_input_t *in, const uint32_t *idx, uint32_t n);
void st_input_close(st_input_t *in);

/* ---- genotype standardisation and the GRM (grm.c) ---- */
enum { ST_STANDARDISED = 1, ST_CENTRED = 2 };

/* Row of n codes -> z: (g - 2p) / sqrt(2p(1-p)) (standardised) or g - 2p (centred), p the ALT
 * frequency of the called genotypes, missing calls 0 (the mean). A variant without variance is all 0. */
void st_standardise(const uint8_t *codes, uint32_t n, int kind, double *z);

/* Stream every used variant into G (n x n, row-major, caller-allocated, zeroed here): G = Z^T Z / m
 * with Z the standardised (or centred) m x n matrix; *m receives the variant count. Tiles of fixed
 * size, one thread each: the same bits at any thread count. */
int st_grm_build(const st_input_t *in, int kind, int threads, double *G, uint64_t *m);

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
    uint64_t n, cap;        /* keys */
    uint32_t *pos;
    uint64_t *ahash;
} st_prov_t;

/* Add rows (Z: rows x n, the reader's variants vidx[]) to p; a chromosome must come in one run. */
int st_prov_add(st_prov_t *p, const bcms_reader_t *rd, const double *Z, uint32_t n, uint32_t rows,
                const uint64_t *vidx);
void st_prov_clear(st_prov_t *p);
uint64_t st_allele_hash(const char *ref, const char *alt);
/* The companion record of GRM name (key "name,variants") in the open write transaction: p, tied to
 * the matrix record by its CRC. */
#define ST_GRM_DB "grm"
int st_prov_put(MDB_txn *txn, MDB_dbi dbi, const char *name, const st_prov_t *p, uint32_t grm_crc, uint32_t n,
                uint64_t m, const char *cohorts, int dup_rule, int kind);

/* Sub-blocks of standardised rows handed to a consumer, one after the other, in variant order:
 * fn(ud, Z, rows) with Z rows x n (row-major); the rows of a sub-block are standardised in parallel. */
#define ST_SUBBLOCK 512
int st_stream(const st_input_t *in, int kind, int threads, int (*fn)(void *ud, const double *Z, uint32_t rows),
              void *ud);
/* The same, with each row's reader variant index. */
typedef int (*st_rows_fn)(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx);
int st_stream_idx(const st_input_t *in, int kind, int threads, st_rows_fn fn, void *ud);
/* G += Z'Z over the used variants (upper-triangle tiles, st_gram_add), *m their count, into prov when
 * not NULL; no mirroring, no division. */
int st_gram_stream(const st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov);
/* st_grm_build, recording prov (or NULL). */
int st_grm_build_prov(const st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov);

/* ---- linear algebra (linalg.c) ---- */
/* BLAS calls run single-threaded inside our own OpenMP tiles (OpenBLAS' own threads off). */
void st_blas_serial(void);
/* The k largest eigenvalues of the symmetric n x n matrix A (destroyed), descending, into val, and their
 * unit eigenvectors into vec (n x k, row-major: vec[i * k + j]). LAPACK dsyevr. 0 or BCMS_ENOMEM/EINVAL. */
int st_eig_top(uint32_t n, double *A, uint32_t k, double *val, double *vec);
/* Every eigenvalue (ascending) and eigenvector (columns of A on return, column-major = row-major
 * transposed) of the symmetric n x n matrix A. */
int st_eig_all(uint32_t n, double *A, double *val);
/* T += Z' Z for Z rows x n row-major, on the upper-triangle tiles (ST_TILE x ST_TILE, diagonal tiles
 * whole): one single-threaded dgemm per tile whichever thread runs it, so T does not depend on threads. */
#define ST_TILE 512
void st_gram_add(double *T, const double *Z, uint32_t n, uint32_t rows, int threads);
/* Orthonormalise the l columns of Q (n x l row-major) in place: modified Gram-Schmidt, twice. */
void st_orthonormalise(uint32_t n, uint32_t l, double *Q);

/* Output file: ".gz" -> gzip, "-" stdout. */
int st_out_open(const char *path, BGZF **out);
/* Close; returns rc, or BCMS_EIO when rc was 0 and closing failed. */
int st_out_close(BGZF *out, const char *path, int rc);
/* Write the kstring-like buffer s (l bytes); BCMS_EIO on failure. */
int st_out_write(BGZF *out, const char *path, const char *s, size_t l);

/* A %.*g number that round-trips at 'digits' significant digits into buf (32 bytes). */
const char *st_fmt_g(char *buf, double x, int digits);

#endif
