/* contig.h: one canonical naming of chromosomes inside the store, and the sex-chromosome geometry
 * (pseudo-autosomal regions) the read side needs to treat haploid calls as PLINK 2 does.
 *
 * Canonical names are 1..22, X, Y, MT. Recognised spellings (case-insensitive, with or without a
 * "chr" prefix): 1..22; X / 23; Y / 24; XY / 25 (PLINK's pseudo-autosomal code: the positions are
 * chrX coordinates, so it maps to X); M / MT / 26. Any other name (unplaced scaffolds, HLA, decoys)
 * is kept as written, with a "chr" prefix removed when what follows is not empty. The input's own
 * spelling stays in the dataset record for export. */
#ifndef BCMS_CONTIG_H
#define BCMS_CONTIG_H

#include <stddef.h>
#include <stdint.h>

enum bcms_chr_kind {
    BCMS_CHR_AUTOSOME = 0, /* 1..22 */
    BCMS_CHR_X = 1,
    BCMS_CHR_Y = 2,
    BCMS_CHR_MT = 3,
    BCMS_CHR_OTHER = 4,    /* anything else: treated as autosomal (diploid) */
};

/* Canonical name of `name` (len bytes; len < 0: NUL-terminated) into out (outsz bytes, always
 * NUL-terminated). Returns its kind, or a negative BCMS code when out is too small or name empty. */
int bcms_contig_canon(const char *name, long len, char *out, size_t outsz);

/* 1 when name is a contig ID a VCF can carry (VCF 4.3 grammar: letters, digits and !#$%&+./:;?@^_|~-,
 * and also * and = after the first character), else 0. Import refuses other names: view could not
 * write them back. */
int bcms_contig_name_valid(const char *name);

/* Kind of a canonical name. */
int bcms_contig_kind(const char *canon);

/* Sort rank of a canonical name: 1..22 -> 1..22, X 23, Y 24, MT 26, others 1000 (then by name). */
int bcms_contig_rank(const char *canon);

/* Pseudo-autosomal regions of chrX (1-based, as PLINK 2's --split-par b37/b38 presets). */
typedef enum { BCMS_BUILD_B37 = 37, BCMS_BUILD_B38 = 38 } bcms_build_t;

/* 1 when pos on chrX lies in PAR1 or PAR2 of the given build, else 0. */
int bcms_contig_in_par(bcms_build_t build, int64_t pos);

/* Parse "b37"/"hg19"/"GRCh37" or "b38"/"hg38"/"GRCh38"; 0 or BCMS_EINVAL with a message. */
int bcms_build_parse(const char *s, bcms_build_t *out);

#endif
