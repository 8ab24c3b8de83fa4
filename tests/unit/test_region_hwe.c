/* test_region_hwe.c: region strings (canonical contigs, thousands separators, HLA names with ':') and
 * the chrX HWE test (queries/read/region.h, queries/stats/hwe.h). The HWE values are those plink2
 * 2.00a3.5 --hardy cols=+femalep printed in .hardy.x for these counts (P, FEMALE_ONLY_P). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hwe.h"
#include "region.h"

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

static void region(const char *spec, int n, const char *chrom, long long beg, long long end)
{
    bcms_regions_t rg;
    int rc = bcms_regions_parse(spec, &rg);
    if (rc || rg.n != n || strcmp(rg.r[0].chrom, chrom) || rg.r[0].beg != beg || rg.r[0].end != end) {
        fprintf(stderr, "region '%s': rc %d n %d %s:%lld-%lld\n", spec, rc, rc ? 0 : rg.n, rc ? "" : rg.r[0].chrom,
                rc ? 0 : (long long)rg.r[0].beg, rc ? 0 : (long long)rg.r[0].end);
        fails++;
    }
    if (!rc) bcms_regions_free(&rg);
}

static void near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * want)) {
        fprintf(stderr, "HWE %.8g, want %.8g\n", got, want);
        fails++;
    }
}

int main(void)
{
    region("chrX:3,087,112", 1, "X", 3087112, 3087112);
    region("X:3,087,112-3,100,000", 1, "X", 3087112, 3100000);
    region("chr1", 1, "1", 1, INT64_MAX);
    region("chr1:5-", 1, "1", 5, INT64_MAX);
    region("1:100,200", 1, "1", 100200, 100200);      /* a three-digit group is a separator */
    region("1:100,2", 2, "1", 100, 100);              /* not three digits: a second region "2" */
    region("chrM:10-20,chrY", 2, "MT", 10, 20);
    region("23:1-10", 1, "X", 1, 10);
    region("HLA-A*01:01:1-5", 1, "HLA-A*01:01", 1, 5);
    bcms_regions_t rg;
    CHECK(bcms_regions_parse("1:x-5", &rg) < 0);
    CHECK(bcms_regions_parse("1:10-5", &rg) < 0);
    CHECK(bcms_regions_parse(":5", &rg) < 0);
    /* chrX: female hom-ref/het/hom-alt, male REF/ALT (A1 = REF as plink2 prints them) */
    near(bcms_hwe_exact_x(2, 2, 0, 1, 3), 0.333333, 1e-5);
    near(bcms_hwe_exact_x(4, 1, 0, 2, 2), 0.54712, 1e-5);
    near(bcms_hwe_exact_x(2, 1, 2, 1, 4), 0.7336, 1e-4);
    near(bcms_hwe_exact_x(1, 2, 2, 2, 2), 0.440559, 1e-5);
    near(bcms_hwe_exact_x(99, 164, 12, 77, 35), 0.124389, 1e-5);
    near(bcms_hwe_exact(4, 1, 0, 0), 0.428571, 1e-5);
    near(bcms_hwe_exact(1, 2, 2, 0), 0.365079, 1e-5);
    CHECK(bcms_hwe_exact_x(0, 0, 0, 0, 0) == 1.0);
    CHECK(bcms_hwe_exact_x(0, 0, 0, 5, 3) == 1.0); /* males only: nothing to test */
    /* large counts stay finite and in (0, 1] */
    double p = bcms_hwe_exact_x(3000, 2000, 1000, 2500, 2400);
    CHECK(p > 0 && p <= 1);
    if (fails) fprintf(stderr, "%d failures\n", fails);
    return fails ? 1 : 0;
}
