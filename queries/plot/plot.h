/* plot.h: Manhattan and QQ plots of association results, and xy line plots of a `series x y` table
 * (benchmark curves, see plot_xy.c), drawn with cairo (PNG or SVG).
 *
 * Input: one table of per-variant results, plain or gzip/BGZF, whose format is detected from its
 * header line (tab-separated, or whitespace-separated when the header has no tab):
 *   bcms assoc   CHROM POS ID ... P [LOG10P]        (any model; a PHENO column when several phenotypes)
 *   PLINK 2      #CHROM POS ID ... TEST ... P | LOG10_P   (.glm.linear, .glm.logistic(.hybrid), .glm.firth)
 *   REGENIE      CHROM GENPOS ID ... TEST ... LOG10P
 *   GWAS-SSF     chromosome base_pair_location ... p_value | neg_log_10_p_value (23/24/25 = X/Y/MT)
 * A -log10 p column is preferred to P when both exist, so p below the double range plots where it
 * belongs; a P written below the double range (1e-930) is read from its text, not as 0. Rows whose
 * p is missing (NA, #NA, ., empty) are skipped and counted; rows of another TEST than `test` (PLINK 2
 * writes one per covariate) are skipped. Anything else that is not a p-value in [0, 1] (or a -log10 p
 * >= 0), or a position that is not an integer, is an error naming the file and line.
 *
 * Chromosomes are named through engine/contig.h (chr1 == 1) and ordered 1..22, X, Y, MT, then other
 * contigs by name. Memory: 8 bytes per variant for a Manhattan plot, 4 (plus 4 while sorting) for a
 * QQ plot; drawing is bounded by the pixel grid whatever the row count (see plot_manhattan.c).
 *
 * Thread rules: single-threaded; bcms_plot turns GSL's error handler off while it computes the QQ
 * band and restores it (do not call it concurrently with other GSL users that rely on the handler). */
#ifndef BCMS_PLOT_H
#define BCMS_PLOT_H

#include <stdint.h>

typedef enum { BCMS_PLOT_MANHATTAN = 0, BCMS_PLOT_QQ = 1, BCMS_PLOT_XY = 2 } bcms_plot_kind_t;

typedef struct {
    bcms_plot_kind_t kind;
    const char *in;     /* input table ("-": stdin) */
    const char *out;    /* output image: ".png" or ".svg" (case-insensitive) */
    const char *title;  /* NULL: none */
    const char *pheno;  /* rows of this PHENO value only (bcms multi-phenotype output); NULL: the only one */
    const char *test;   /* rows of this TEST value only, where the table has a TEST column (default "ADD") */
    int hits;           /* Manhattan: label at most this many loci below `sugg` (0: none; default 5) */
    double sig, sugg;   /* Manhattan: genome-wide (5e-8) and suggestive (1e-5) lines */
    int width, height;  /* image size in pixels (PNG) or points (SVG); 0: the kind's default */
    /* xy only: IN is a tab-separated table with the header `series x y` (plain text, "-": stdin) */
    const char *xlabel, *ylabel; /* axis titles; NULL: "x", "y" */
    int log_x, log_y;   /* log10 axes (every value must then be > 0) */
} bcms_plot_opts_t;

typedef struct {
    char format[16];    /* "bcms", "plink2", "regenie", "gwas-ssf" */
    uint64_t rows;      /* data rows read */
    uint64_t used;      /* rows plotted (or ranked, for QQ) */
    uint64_t na;        /* rows skipped: p missing */
    uint64_t other;     /* rows skipped: another TEST or PHENO */
    uint64_t drawn;     /* points actually drawn after thinning */
    int nchrom;         /* Manhattan: chromosomes on the x axis */
    int nlabels;        /* Manhattan: loci labelled */
    double lambda_gc;   /* QQ: median chi-square (1 df) / 0.4549364, from p as the scans do; NaN if none */
    double max_log10p;  /* largest -log10 p plotted */
    int nseries;        /* xy: series drawn (used: points drawn, na: rows with NA skipped) */
} bcms_plot_stats_t;

void bcms_plot_opts_init(bcms_plot_opts_t *o);

/* Read o->in and write o->out. Returns 0 or a negative BCMS_E* code with a detail message
 * (bcms_err_detail): the file and line for input errors, the missing columns for an unknown header.
 * st (may be NULL) receives the counts. The library logs one info line with the NA count. */
int bcms_plot(const bcms_plot_opts_t *o, bcms_plot_stats_t *st);

/* Release the process-wide caches of cairo and fontconfig (fonts, glyphs), so that a leak checker
 * sees a clean exit. Call once, after the last plot, before the process ends; not thread-safe. */
void bcms_plot_cleanup(void);

#endif
