/* test_contig.c: canonical contig names and the chrX PAR geometry (engine/contig.h). */
#include <stdio.h>
#include <string.h>

#include "contig.h"

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

static void canon(const char *in, const char *want, int kind)
{
    char out[64];
    int k = bcms_contig_canon(in, -1, out, sizeof out);
    if (k != kind || strcmp(out, want)) {
        fprintf(stderr, "canon(%s) = %s (kind %d), want %s (kind %d)\n", in, out, k, want, kind);
        fails++;
    }
}

int main(void)
{
    canon("1", "1", BCMS_CHR_AUTOSOME);
    canon("chr1", "1", BCMS_CHR_AUTOSOME);
    canon("CHR22", "22", BCMS_CHR_AUTOSOME);
    canon("01", "1", BCMS_CHR_AUTOSOME);
    canon("chrX", "X", BCMS_CHR_X);
    canon("x", "X", BCMS_CHR_X);
    canon("23", "X", BCMS_CHR_X);
    canon("XY", "X", BCMS_CHR_X);
    canon("25", "X", BCMS_CHR_X);
    canon("chrY", "Y", BCMS_CHR_Y);
    canon("24", "Y", BCMS_CHR_Y);
    canon("chrM", "MT", BCMS_CHR_MT);
    canon("MT", "MT", BCMS_CHR_MT);
    canon("26", "MT", BCMS_CHR_MT);
    canon("chr", "chr", BCMS_CHR_OTHER);
    canon("27", "27", BCMS_CHR_OTHER);
    canon("chrUn_gl000220", "Un_gl000220", BCMS_CHR_OTHER);
    canon("HLA-A*01:01", "HLA-A*01:01", BCMS_CHR_OTHER);
    char small[2];
    CHECK(bcms_contig_canon("chr12", -1, small, sizeof small) < 0);
    CHECK(bcms_contig_canon("", -1, small, sizeof small) < 0);
    CHECK(bcms_contig_rank("1") == 1 && bcms_contig_rank("22") == 22 && bcms_contig_rank("X") == 23);
    CHECK(bcms_contig_rank("Y") == 24 && bcms_contig_rank("MT") == 26 && bcms_contig_rank("Un") == 1000);
    CHECK(bcms_contig_in_par(BCMS_BUILD_B38, 2781479) && !bcms_contig_in_par(BCMS_BUILD_B38, 2781480));
    CHECK(bcms_contig_in_par(BCMS_BUILD_B38, 155701383) && !bcms_contig_in_par(BCMS_BUILD_B38, 155701382));
    CHECK(bcms_contig_in_par(BCMS_BUILD_B37, 2699520) && !bcms_contig_in_par(BCMS_BUILD_B37, 2699521));
    CHECK(bcms_contig_in_par(BCMS_BUILD_B37, 154931044) && !bcms_contig_in_par(BCMS_BUILD_B37, 3000000));
    CHECK(bcms_contig_name_valid("chr1") && bcms_contig_name_valid("HLA-A*01:01") && bcms_contig_name_valid("chrUn_gl000220"));
    CHECK(!bcms_contig_name_valid("") && !bcms_contig_name_valid("*1") && !bcms_contig_name_valid("=x"));
    CHECK(!bcms_contig_name_valid("a<b") && !bcms_contig_name_valid("a,b") && !bcms_contig_name_valid("a b"));
    CHECK(!bcms_contig_name_valid("\xff\xfe") && !bcms_contig_name_valid("x\"y"));
    bcms_build_t b;
    CHECK(!bcms_build_parse("GRCh37", &b) && b == BCMS_BUILD_B37);
    CHECK(!bcms_build_parse("hg38", &b) && b == BCMS_BUILD_B38);
    CHECK(bcms_build_parse("b36", &b) < 0);
    if (fails) return 1;
    printf("test_contig: ok\n");
    return 0;
}
