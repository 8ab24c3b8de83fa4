/* fuzz_tables.c: the phenotype/covariate table reader (loaders/pheno_table.c) and the patient and
 * visit readers (loaders/visits.c). The input is read as a phenotype table, then split at its first
 * line "====" into a patients file and a visits file (no split: visits alone) for visits_load.
 * Findings are crashes, sanitizer reports and hangs; a table read successfully is also checked for
 * a non-finite number in a quantitative column (a silent acceptance). */
#include <math.h>

#include "fuzz_common.h"
#include "pheno_table.h"
#include "visits.h"

static void pheno_check(const bcms_pheno_table_t *t)
{
    for (size_t j = 0; j < t->ncols; j++)
        if (t->cols[j].type == BCMS_PHENO_QUANTITATIVE)
            for (size_t i = 0; i < t->nrows; i++)
                if (isinf(t->cols[j].v[i])) fuzz_silent("a quantitative column holds inf", t->cols[j].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char pheno[4200], patients[4200], visits[4200];
    bcms_pheno_table_t *t = NULL;
    visits_data_t *v = NULL;
    const uint8_t *sep = NULL;
    fuzz_begin(data, size);
    fuzz_path(pheno, sizeof pheno, "pheno.tsv");
    fuzz_path(patients, sizeof patients, "patients.tsv");
    fuzz_path(visits, sizeof visits, "visits.tsv");
    fuzz_write(pheno, data, size);
    if (!bcms_pheno_table_read(pheno, NULL, &t)) {
        pheno_check(t);
        bcms_pheno_table_free(t);
    }
    for (size_t i = 0; i + 5 <= size && !sep; i++)
        if (!memcmp(data + i, "====\n", 5) && (i == 0 || data[i - 1] == '\n')) sep = data + i;
    if (sep) {
        fuzz_write(patients, data, (size_t)(sep - data));
        fuzz_write(visits, sep + 5, size - (size_t)(sep - data) - 5);
    } else {
        fuzz_write(visits, data, size);
    }
    if (!visits_load(sep ? patients : NULL, visits, &v)) visits_free(v);
    return 0;
}
