/* region.h: genomic regions as users write them (bcftools/PLINK 2 style):
 * "CHR", "CHR:POS", "CHR:BEG-END", "CHR:BEG-", comma-separated, 1-based inclusive. A variant is in
 * a region when its POS is. Regions are resolved against one dataset's contigs before a scan.
 * Contig names are compared in their canonical form (engine/contig.h): "-r chr1" selects contig "1"
 * and "-r X" contig "chrX". Commas inside a position are thousands separators ("X:3,087,112"). */
#ifndef BCMS_REGION_H
#define BCMS_REGION_H

#include <stdint.h>
#include "dataset.h"

typedef struct {
    char *chrom;        /* canonical name */
    int64_t beg, end;   /* 1-based inclusive; end INT64_MAX when open */
    int contig;         /* resolved contig index in the current dataset, -1 if absent */
} bcms_region_t;

typedef struct {
    int n;
    bcms_region_t *r;
} bcms_regions_t;

/* Parse spec (NULL or "" means everything: n = 0). Returns 0 or BCMS_EINVAL naming the bad part. */
int bcms_regions_parse(const char *spec, bcms_regions_t *out);
void bcms_regions_free(bcms_regions_t *rg);
/* Resolve contig names against a dataset (regions on contigs it lacks select nothing). */
void bcms_regions_resolve(bcms_regions_t *rg, const bcms_dataset_t *ds);
/* BCMS_ENOTFOUND when a region names a contig none of the datasets has (the message lists theirs). */
int bcms_regions_check(const bcms_regions_t *rg, const bcms_dataset_t *const *ds, int nds);
/* With n == 0 everything is selected. */
int bcms_regions_block(const bcms_regions_t *rg, const bcms_block_info_t *b);
int bcms_regions_pos(const bcms_regions_t *rg, uint32_t contig, int64_t pos);

#endif
