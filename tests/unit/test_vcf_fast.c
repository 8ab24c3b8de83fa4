/* test_vcf_fast.c: the import's text fast path (bcms_vcf_fast_record) accepts nothing that htslib's
 * own parser (bcms_vcf_full_record) refuses, and where it accepts, it stores exactly what the full
 * parser stores. Thousands of records mutated byte by byte (replaced, deleted, inserted) in their
 * FORMAT and sample columns go through both paths; their accept/refuse outcomes are compared.
 * Records of 3 samples, and of 11 for the vector parsers of plain GT calls (eight calls at a time
 * with AVX2, four with SSE2, the last ones one by one: each width is run): PLINK 2's and bcftools' writers, mutated the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/kstring.h>
#include <htslib/vcf.h>

#include "block.h"
#include "err.h"
#include "vcf_rows.h"

static int fails;
#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); fails++; } } while (0)

static const char *HDR =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=1,length=1000000>\n"
    "##INFO=<ID=R2,Number=1,Type=Float,Description=\"r2\">\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "##FORMAT=<ID=DS,Number=1,Type=Float,Description=\"Dosage\">\n"
    "##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"GQ\">\n"
    "##FORMAT=<ID=GP,Number=G,Type=Float,Description=\"Genotype posteriors\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT";
static uint32_t nsamp = 3;

static const char *BASE[] = {
    "1\t100\trs1\tA\tG\t50\tPASS\tR2=0.9\tGT\t0/1\t1|1\t./.",
    "1\t200\t.\tA\tG\t.\t.\t.\tGT:DS\t0/1:0.95\t0|0:0\t1/1:2.000",
    "1\t300\t.\tC\tT,G\t.\tPASS\t.\tGT\t0/2\t1|2\t2/2",
    "1\t400\t.\tC\tT\t.\tPASS\t.\tGT:DS\t./.:.\t0|1:1\t0/0:0.001",
    "1\t500\t.\tG\tA\t.\tPASS\t.\tGT\t10/1\t0|0\t0/0",
    "1\t600\t.\tG\tA\t.\tPASS\tR2=.\tGT:GQ\t0/1:30\t0|0:20\t0/0:10",
    /* imputed-style records (GP is checked but not stored) and calls the direct path leaves to the
     * general fast path (two-digit allele text, a half-missing call) */
    "1\t700\t.\tG\tA\t.\tPASS\tR2=0.8\tGT:DS:GP\t0|1:0.93:0.07,0.93,0\t1|1:1.999:0,.001,0.999\t0|0:0:1,0,0",
    "1\t800\t.\tG\tA\t.\tPASS\t.\tGT:GP\t1|0:0.1,0.8,0.1\t./.:.\t0/0:1,0,0",
    "1\t900\t.\tG\tA\t.\tPASS\t.\tGT:DS\t00/1:0.5\t./1:1\t1/.:.",
};
/* the base records that htslib's full parser alone takes */
static int full_only(size_t bi) { return bi == 4 || bi == 5; }

/* 11 samples: as PLINK 2 --export vcf writes them (unphased, POS 0 is legal), as bcftools writes a
 * phased cohort, all missing, and one call the direct path leaves to the general one */
static const char *BASE11[] = {
    "1\t0\tsnp0\tC\tA\t.\t.\t.\tGT\t0/1\t1/1\t0/1\t./.\t1/1\t0/1\t1/1\t0/0\t0/0\t0/1\t1/0",
    "1\t10\trs2\tA\tG\t45\tPASS\tAC=9;AN=22\tGT\t0|0\t0|1\t1|0\t0/1\t1|1\t.|.\t0|0\t0|1\t1|1\t0|0\t1|0",
    "1\t20\t.\tA\tG\t.\t.\t.\tGT\t./.\t./.\t./.\t./.\t./.\t./.\t./.\t./.\t./.\t./.\t./.",
    "1\t30\t.\tA\tG\t.\t.\t.\tGT\t0/0\t0/0\t0/1\t./1\t0/0\t0/0\t0/0\t0/0\t0/0\t0/0\t0/0",
};

typedef struct {
    bcf_hdr_t *hdr, *hdr_sites;
    bcf1_t *rec;
    bcms_rowbuf_t rb;
    bcms_sites_t sites;
    kstring_t gts[3], sraw, save;
} path_t;

static void path_init(path_t *p, char **names)
{
    kstring_t t = {0, 0, NULL};
    kputs(HDR, &t);
    for (uint32_t i = 0; i < nsamp; i++) ksprintf(&t, "\t%s", names[i]);
    kputc('\n', &t);
    memset(p, 0, sizeof *p);
    p->hdr = bcf_hdr_init("r");
    bcf_hdr_parse(p->hdr, t.s);
    free(t.s);
    p->hdr_sites = bcf_hdr_subset(p->hdr, 0, NULL, NULL);
    p->rec = bcf_init();
    bcms_rowbuf_init(&p->rb, nsamp, 1);
    p->rb.sample_names = names;
    p->rb.r2_tag = "R2";
}

static void path_free(path_t *p)
{
    bcf_hdr_destroy(p->hdr);
    bcf_hdr_destroy(p->hdr_sites);
    bcf_destroy(p->rec);
    bcms_rowbuf_free(&p->rb);
    bcms_sites_free(&p->sites);
    for (int k = 0; k < 3; k++) free(p->gts[k].s);
    free(p->sraw.s);
    free(p->save.s);
}

/* Rows of one parsed record: 0 and the encoded site and genotype bytes, or an error. */
static int path_rows(path_t *p, const bcf_hdr_t *h)
{
    uint32_t nrows;
    int ph = 0, ds = 0, rc;
    bcms_sites_reset(&p->sites);
    for (int k = 0; k < 3; k++) p->gts[k].l = 0;
    p->rb.have_prev = 0;
    memset(p->rb.prev_phase, 0, nsamp);
    if ((rc = bcms_rows_from_record(&p->rb, h, p->rec, &p->sites, p->gts, &nrows, &ph, &ds))) return rc;
    return bcms_sites_encode(&p->sites, &p->sraw);
}

static int same_bytes(const kstring_t *a, const kstring_t *b)
{
    return a->l == b->l && (a->l == 0 || !memcmp(a->s, b->s, a->l));
}

static long n_fast, n_tried, n_full_ok, n_direct;

static void one(path_t *full, path_t *fast, const char *line, size_t len)
{
    char *a = malloc(len + 1), *b = malloc(len + 1);
    int ok_full, ok_fast;
    memcpy(a, line, len);
    memcpy(b, line, len);
    a[len] = b[len] = 0;
    n_tried++;
    bcf_clear(full->rec);
    ok_full = bcms_vcf_full_record(full->hdr, full->rec, a, len, nsamp) == 0 && path_rows(full, full->hdr) == 0;
    n_full_ok += ok_full;
    bcf_clear(fast->rec);
    if (bcms_vcf_fast_record(&fast->rb, fast->hdr_sites, fast->rec, b, len, BCMS_FAST_DS | BCMS_FAST_GP, &fast->save) == 0) {
        n_fast++;
        n_direct += fast->rb.direct;
        ok_fast = path_rows(fast, fast->hdr_sites) == 0;
        CHECK(ok_full || !ok_fast, "fast path accepts what htslib refuses: %.*s", (int)len, line);
        if (ok_full && ok_fast) {
            int same = same_bytes(&full->sraw, &fast->sraw);
            for (int k = 0; k < 3; k++) same &= same_bytes(&full->gts[k], &fast->gts[k]);
            CHECK(same, "fast and full paths store different rows for: %.*s", (int)len, line);
        }
    } else {
        CHECK(!memcmp(b, line, len), "the fast path did not restore the line: %.*s", (int)len, line);
    }
    free(a);
    free(b);
}

/* The record, and it mutated: every byte replaced or preceded by each character of the alphabet,
 * every byte deleted, and every pair of bytes replaced from the characters calls are made of. */
static void mutations(path_t *full, path_t *fast, const char *base)
{
    static const char alphabet[] = "0123456789./|:\t-+ e,aGTDS\0\n";
    static const char small[] = "01./|:\t";
    char buf[512];
    size_t len = strlen(base), start = 0;
    for (int tabs = 0; start < len && tabs < 8; start++) tabs += base[start] == '\t';
    for (size_t p = start; p < len; p++)
        for (size_t c = 0; c < sizeof alphabet - 1; c++) {
            /* replace */
            memcpy(buf, base, len);
            buf[p] = alphabet[c];
            one(full, fast, buf, len);
            /* insert before p */
            memcpy(buf, base, p);
            buf[p] = alphabet[c];
            memcpy(buf + p + 1, base + p, len - p);
            one(full, fast, buf, len + 1);
        }
    for (size_t p = start; p < len; p++) {
        /* delete */
        memcpy(buf, base, p);
        memcpy(buf + p, base + p + 1, len - p - 1);
        one(full, fast, buf, len - 1);
    }
    for (size_t p = start; p < len; p++)
        for (size_t q = p + 1; q < len; q++)
            for (size_t c = 0; c < sizeof small - 1; c++)
                for (size_t d = 0; d < sizeof small - 1; d++) {
                    memcpy(buf, base, len);
                    buf[p] = small[c];
                    buf[q] = small[d];
                    one(full, fast, buf, len);
                }
}

int main(void)
{
    char *names[] = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"};
    path_t full, fast;
    bcms_log_set(NULL, NULL, 0);
    hts_set_log_level(HTS_LOG_OFF);
    path_init(&full, names);
    path_init(&fast, names);
    for (size_t bi = 0; bi < sizeof BASE / sizeof *BASE; bi++) {
        long before = n_fast;
        /* the unmutated record goes through the fast path and both agree */
        one(&full, &fast, BASE[bi], strlen(BASE[bi]));
        /* records 4 (an allele beyond the ALTs) and 5 (FORMAT GT:GQ) are the full parser's */
        CHECK(n_fast == before + (full_only(bi) ? 0 : 1), "base record %zu: fast path %s", bi,
              full_only(bi) ? "taken" : "not taken");
        mutations(&full, &fast, BASE[bi]);
    }
    fprintf(stderr, "3 samples: %ld mutated records: %ld accepted by htslib, %ld took the fast path\n", n_tried,
            n_full_ok, n_fast);
    CHECK(n_fast > 1000, "too few records took the fast path (%ld): the test would not test it", n_fast);
    CHECK(n_full_ok < n_tried, "htslib refused nothing: the mutations are too weak");
    path_free(&full);
    path_free(&fast);
    nsamp = 11;
    path_init(&full, names);
    path_init(&fast, names);
    for (int simd = 2; simd >= 0; simd--) { /* AVX2 (where the CPU has it), SSE2, one call at a time */
        bcms_vcf_gt_simd = simd;
        n_tried = n_full_ok = n_fast = n_direct = 0;
        for (size_t bi = 0; bi < sizeof BASE11 / sizeof *BASE11; bi++) {
            long before = n_fast, direct_before = n_direct;
            one(&full, &fast, BASE11[bi], strlen(BASE11[bi]));
            CHECK(n_fast == before + 1, "11 samples, base record %zu: fast path not taken", bi);
            CHECK(n_direct == direct_before + (bi != 3), "11 samples, base record %zu: direct path %s", bi,
                  bi != 3 ? "not taken" : "taken");
            mutations(&full, &fast, BASE11[bi]);
        }
        fprintf(stderr, "11 samples, vector width %d: %ld mutated records: %ld accepted by htslib, %ld took the fast "
                "path (%ld direct)\n", simd, n_tried, n_full_ok, n_fast, n_direct);
        CHECK(n_direct > 1000, "too few records took the direct path (%ld): the test would not test it", n_direct);
        CHECK(n_full_ok < n_tried, "htslib refused nothing: the mutations are too weak");
    }
    path_free(&full);
    path_free(&fast);
    if (fails) fprintf(stderr, "%d check(s) failed\n", fails);
    return fails != 0;
}
