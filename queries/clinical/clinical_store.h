/* clinical_store.h: store the derived progression fields of queries/clinical/clinical.h as phenotype
 * columns of a store (engine/pheno.h). */
#ifndef BCMS_CLINICAL_STORE_H
#define BCMS_CLINICAL_STORE_H

#include <stddef.h>
#include "clinical.h"
#include "store.h"
#include "visits.h"

/* Derive every field for the patients of d and store them as columns in one transaction. mode: what
 * to do with a column that already exists (enum bcms_pheno_mode of loaders/pheno_table.h: refuse,
 * replace, or append this cohort's patients). *ncols receives the columns stored. */
int clin_store(bcms_store_t *st, const clin_opts_t *o, const visits_data_t *d, const char *visits_path, int mode,
               const char *command, size_t *ncols);

#endif
