/* structure.h: population structure and relatedness: KING-robust kinship, principal components,
 * LD pruning, genetic relationship matrices and the linear mixed model's pieces. GPL-3.0-or-later.
 *
 * Every command reads hard calls (0/1/2, 3 missing) through the shared reader (queries/read/reader.h)
 * over its selection (bcms_reader_opts_t, the options of assoc and freq): datasets, regions, samples
 * (--keep/--remove, --mind), variants (--extract/--exclude), site filters, chunks. Only autosomes
 * (1..22) are used, as PLINK 2 does for these computations. Samples are in the reader's order (the
 * selected datasets', first occurrence wins).
 *
 * Results are byte-identical at any thread count: batches are the reader's, counts are integers, and
 * floating-point sums run in an order fixed by the data (tiles of fixed size), never by the threads,
 * or are exact (the GRM's fixed-point sums).
 * Under MPI (cluster.h), kinship, grm and pca share the reader's batches over the ranks and give the
 * single-process results on rank 0, which alone writes outputs and the store; the other ranks return 0
 * and their stats are not the results.
 * Library functions log through bcms_log and return 0 or a negative BCMS code with a detail. */
#ifndef BCMS_STRUCTURE_H
#define BCMS_STRUCTURE_H

#include <stdint.h>

#include "reader.h"
#include "store.h"

typedef struct {
    bcms_reader_opts_t sel; /* datasets, regions, samples, variants, site filters */
    int threads;            /* >= 1 */
} bcms_structure_sel_t;

void bcms_structure_sel_init(bcms_structure_sel_t *s);

/* ---- KING-robust kinship (kinship.c) ---- */
typedef struct {
    bcms_structure_sel_t in;
    const char *out;        /* table: #IID1 IID2 NSNP HETHET IBS0 HET1_HOM2 HET2_HOM1 KINSHIP [DEGREE] */
    double min_kinship;     /* write only pairs with KINSHIP >= this (-INFINITY: every pair) */
    int degree;             /* add the DEGREE column (KING's thresholds) */
    const char *unrelated;  /* write a maximal set of samples without a pair above cutoff, or NULL */
    double cutoff;          /* for unrelated: pairs with KINSHIP > cutoff are related [0.0884] */
} bcms_kinship_opts_t;

void bcms_kinship_opts_init(bcms_kinship_opts_t *o);

/* Counts per pair over the variants where both have a call; KINSHIP = 1/2 - (4 IBS0 + HET1_HOM2 +
 * HET2_HOM1) / (4 (HETHET + min(HET1_HOM2, HET2_HOM1))), as `plink2 --make-king-table counts`.
 * Rows (IID of sample r, IID of sample c) for r = 1..n-1, c = 0..r-1 in the reader's order; as in
 * PLINK 2, HET1_HOM2 counts sample c heterozygous and r homozygous (the "1" is the earlier sample).
 * stats (may be NULL): [0] samples, [1] variants, [2] pairs written, [3] samples kept by unrelated. */
int bcms_kinship_run(bcms_store_t *st, const bcms_kinship_opts_t *o, uint64_t stats[4]);

/* KING degree of a kinship coefficient: "dup" (> 0.354), "1st" (> 0.177), "2nd" (> 0.0884), "3rd"
 * (> 0.0442), else "unrel". */
const char *bcms_kinship_degree(double kinship);

/* The samples kept by PLINK 2's --king-cutoff rule on a graph of n vertices with edges (a[k], b[k]),
 * k < n_edges: while edges remain, drop the partner of the first vertex of degree 1, else the first
 * vertex of largest degree. keep[i] receives 1 or 0. Returns 0 or BCMS_ENOMEM. */
int bcms_kinship_prune(uint32_t n, const uint32_t *a, const uint32_t *b, uint64_t n_edges, uint8_t *keep);

/* ---- LD pruning (prune.c) ---- */
typedef struct {
    bcms_structure_sel_t in;
    uint32_t window;        /* variants per window (W) */
    uint32_t step;          /* variants the window moves by (S), 1..W */
    double r2;              /* prune pairs with r^2 above this (R), 0 <= R < 1 */
    const char *out;        /* kept IDs (PLINK's .prune.in); the removed ones go beside it: OUT with its
                             * ".in" suffix replaced by ".out", or OUT.out */
} bcms_prune_opts_t;

void bcms_prune_opts_init(bcms_prune_opts_t *o);

/* plink2 --indep-pairwise W S R on the selected variants: per chromosome, windows of W variants moved
 * by S; r^2 over the samples called at both (genotype correlation); a pair above R (strictly, with
 * PLINK 2's 1 + 2^-44 slack) loses its variant of higher major-allele frequency (the later one on a
 * tie). Variants without variance are removed first. Pairs are visited in PLINK 1's order (that of
 * plink2 up to 2.00a3, the Debian package; later plink2 needs its 'plink1-order' modifier for it).
 * stats (may be NULL): [0] variants, [1] kept. */
int bcms_prune_run(bcms_store_t *st, const bcms_prune_opts_t *o, uint64_t stats[2]);

/* ---- genetic relationship matrices stored in the store (grm_store.c; FORMAT.md "Table grm") ---- */
enum { BCMS_GRM_STANDARDISED = 1, BCMS_GRM_CENTRED = 2 };

typedef struct {
    bcms_structure_sel_t in;
    int kind;               /* BCMS_GRM_CENTRED (GEMMA -gk 1) or BCMS_GRM_STANDARDISED (GCTA/PLINK) */
    const char *name;       /* record name ["default"] */
    const char *out;        /* also write the matrix as text (n lines of n tab-separated values), or NULL */
    const char *command;    /* provenance */
} bcms_grm_opts_t;

void bcms_grm_opts_init(bcms_grm_opts_t *o);

/* Build K = Z^T Z / m (z centred: g - 2p; standardised: (g - 2p) / sqrt(2p(1-p)); missing calls at
 * the mean) and store it under o->name (replacing a record of that name) with its samples and
 * provenance; the store must be writable. stats (may be NULL): [0] samples, [1] variants. */
int bcms_grm_run(bcms_store_t *st, const bcms_grm_opts_t *o, uint64_t stats[2]);

typedef struct {
    int kind;
    uint32_t n;
    uint64_t m;             /* variants it was built from */
    uint32_t *snum;         /* n global sample numbers, in the matrix's order */
    double *K;              /* n x n, row-major, full */
    char *created_at, *command, *tool, *selection;
    uint32_t crc;           /* the record's CRC (ties the record of its variants to it) */
} bcms_grm_t;

/* Load the GRM stored under name. Returns 0, BCMS_ENOTFOUND (none of that name: the detail lists the
 * stored ones), BCMS_ECORRUPT (bad CRC or length), BCMS_ENOMEM. The caller clears g. */
int bcms_grm_load(bcms_store_t *st, const char *name, bcms_grm_t *g);
void bcms_grm_clear(bcms_grm_t *g);

/* ---- leave one chromosome out (grm_loco.c) ----
 * `bcms grm` stores beside the matrix K = Z'Z/m the variants it was built from (FORMAT.md "Table grm",
 * record NAME,variants): per chromosome c their count m_c, their positions and alleles, and a hash of
 * their standardised rows. K_-c, the GRM of every variant but c's, is then (m K - Z_c'Z_c) / (m - m_c)
 * with Z_c recomputed from exactly those variants over the GRM's samples (the same standardisation, so
 * the filters of the build need not be replayed); the hash proves them the same. */
typedef struct bcms_grm_loco_t bcms_grm_loco_t;

/* The variant record of the GRM g loaded under name. BCMS_ENOTFOUND (with a message saying to rebuild
 * the GRM with this bcms) when the GRM has none or one of another matrix. Caller frees. */
int bcms_grm_loco_open(bcms_store_t *st, const char *name, const bcms_grm_t *g, bcms_grm_loco_t **out);
void bcms_grm_loco_free(bcms_grm_loco_t *l);
/* The variant window of bcms_grm_loco_matrix's reads (as bcms_reader_opts_t memory_mb / window; 0, 0:
 * the reader's default). A scan holding its own window meanwhile gives them an eighth of its budget. */
void bcms_grm_loco_window(bcms_grm_loco_t *l, double memory_mb, uint32_t window);
/* m_c: the GRM's variants on chrom (0 for a contig it has none on: then K_-c = K). */
uint64_t bcms_grm_loco_nvar(const bcms_grm_loco_t *l, const char *chrom);
/* K_-chrom into Kc (g->n x g->n, caller-allocated, full), over the GRM's samples in its order. Reads
 * the store (the GRM's datasets, chrom only); threads for the tiles (the bits do not depend on them).
 * BCMS_EINPUT when the store no longer gives the same variants or genotypes, or every variant is on
 * chrom. */
int bcms_grm_loco_matrix(bcms_store_t *st, const bcms_grm_loco_t *l, const bcms_grm_t *g, const char *chrom,
                         int threads, double *Kc);

/* ---- principal components (pca.c) ---- */
typedef struct {
    bcms_structure_sel_t in;
    uint32_t pcs;           /* number of components [10] */
    int approx;             /* randomized block Krylov method without the n x n matrix */
    const char *project;    /* IID file: build the PCs on these samples, project the others, or NULL */
    const char *out;        /* prefix: PREFIX.eigenvec (#IID PC1..PCk), PREFIX.eigenval */
    int store;              /* also store PC1..PCk as quantitative columns of the pheno table
                             * (replacing stored columns of those names); the store must be writable */
    const char *command;    /* command line for the columns' provenance (may be NULL) */
} bcms_pca_opts_t;

void bcms_pca_opts_init(bcms_pca_opts_t *o);

/* PCs of the variance-standardised GRM (Z^T Z / m, z = (g - 2p) / sqrt(2p(1-p)), missing calls at
 * the mean), as plink2 --pca meanimpute: exact (the n x n matrix in memory, eig_tiled.c), or
 * with approx plink2 --pca approx's randomized block Krylov method (Halko et al. 2011): k + 1 passes
 * over the genotypes, 2k columns a block. Eigenvectors have unit length.
 * With project, the PCs are built on the selected samples the reader also selects with keep =
 * project (frequencies from them too), and every other selected sample i gets
 * sum_j z_ij (x_j . v) / (m lambda) (z with the built samples' frequencies; the built samples' own
 * values are their eigenvector entries): plink2 --score variance-standardize of the --pca allele-wts
 * weights, divided by m sqrt(lambda).
 * stats (may be NULL): [0] samples written, [1] variants, [2] passes, [3] samples the PCs are built on. */
int bcms_pca_run(bcms_store_t *st, const bcms_pca_opts_t *o, uint64_t stats[4]);

#endif
