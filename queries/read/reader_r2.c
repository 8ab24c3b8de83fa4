/* reader_r2.c: --minr2, the imputation-quality filter of every read command, from the INFO/R2 (DR2,
 * INFO) stored at import (engine/FORMAT.md: the sites' r2 column; NaN where the input had none).
 *
 * A variant is dropped when a dataset that has it rates it below the threshold, as the other site
 * filters apply in each cohort that has the variant. A variant without a quality (a genotyped
 * marker beside imputed ones, or a cohort imported from an unimputed file) is kept and counted in
 * a warning, as `bcftools view -i 'INFO/R2>=X || INFO/R2="."'` keeps it; when no selected variant
 * has one the filter cannot act, and that is an error rather than a silent no-op. */
#include <math.h>
#include <stdlib.h>

#include "err.h"
#include "reader_internal.h"

void rd_r2_join(float *acc, float r2)
{
    if (!isnan(r2) && (isnan(*acc) || r2 < *acc)) *acc = r2;
}

int rd_r2_report(double minr2, uint64_t with, uint64_t without, uint64_t dropped)
{
    if (!with && without)
        return bcms_err(BCMS_EINPUT, "--minr2 %g: none of the %llu selected variants has an imputation quality "
                        "(INFO/R2, DR2 or INFO was not in the imported VCF); import the imputed VCF, or drop --minr2",
                        minr2, (unsigned long long)without);
    if (without)
        bcms_log(BCMS_LOG_WARN, "--minr2 %g: %llu variants have no imputation quality (INFO/R2, DR2, INFO) and are "
                 "kept", minr2, (unsigned long long)without);
    bcms_log(BCMS_LOG_INFO, "--minr2 %g: %llu variants removed", minr2, (unsigned long long)dropped);
    return 0;
}

int rd_r2_keep(bcms_reader_t *rd, float r2)
{
    if (!(rd->o.minr2 > 0)) return 1;
    if (isnan(r2)) return ++rd->r2_without, 1;
    rd->r2_with++;
    if (r2 >= rd->o.minr2) return 1;
    rd->r2_dropped++;
    return 0;
}
