/* imputed_vcf.c: write an imputation-server-style VCF (not a test). bcms, GPL-3.0-or-later.
 *
 * Build and run (benchmarks/import_freq.sh does this):
 *   cc -O2 benchmarks/imputed_vcf.c -lm -o build/imputed_vcf
 *   build/imputed_vcf SAMPLES VARIANTS SEED | bgzip -@ 2 > imputed.vcf.gz
 * The records look like a minimac / Beagle output: INFO AF;R2 (IMPUTED flag on most), FORMAT
 * GT:DS:GP with phased best-guess calls and values to 3 decimals with trailing zeros dropped
 * ("0|0:0:1,0,0", "0|1:0.93:0.07,0.93,0"). ALT frequencies follow a skewed spectrum (most variants
 * rare), R2 is spread over 0.3-1; a sample's GP mixes its true genotype (weight R2) with the
 * Hardy-Weinberg prior. One chromosome, no missing calls (imputed data have none). Plain C, no
 * library: the output only depends on the arguments. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state;
static inline uint64_t rng_next(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline double rng_unif(void) { return (rng_next() >> 11) * (1.0 / 9007199254740992.0); }

/* v/1000 with at most 3 decimals, trailing zeros dropped */
static inline char *put_milli(char *p, int v)
{
    *p++ = (char)('0' + v / 1000);
    v %= 1000;
    if (v) {
        int d[3] = {v / 100, v / 10 % 10, v % 10}, k = 3;
        while (k > 0 && d[k - 1] == 0) k--;
        *p++ = '.';
        for (int i = 0; i < k; i++) *p++ = (char)('0' + d[i]);
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s SAMPLES VARIANTS SEED\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]), m = atol(argv[2]);
    rng_state = (uint64_t)atoll(argv[3]) * 0x2545f4914f6cdd1dull + 1;
    if (n < 1 || m < 1) return 2;
    static const char *bases = "ACGT";
    char *line = malloc((size_t)n * 32 + 256);
    if (!line) return 1;
    printf("##fileformat=VCFv4.2\n##source=imputed_vcf (bcms benchmarks)\n##contig=<ID=1,length=248956422>\n"
           "##INFO=<ID=AF,Number=1,Type=Float,Description=\"Estimated ALT allele frequency\">\n"
           "##INFO=<ID=R2,Number=1,Type=Float,Description=\"Estimated imputation accuracy (R-square)\">\n"
           "##INFO=<ID=IMPUTED,Number=0,Type=Flag,Description=\"Marker was imputed\">\n"
           "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
           "##FORMAT=<ID=DS,Number=1,Type=Float,Description=\"Estimated ALT dose\">\n"
           "##FORMAT=<ID=GP,Number=G,Type=Float,Description=\"Estimated posterior probabilities\">\n"
           "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for (long i = 0; i < n; i++) printf("\tI%06ld", i + 1);
    putchar('\n');
    long pos = 10000;
    for (long v = 0; v < m; v++) {
        double u = rng_unif(), p = 0.5 * u * u * u; /* most variants rare */
        double r2 = 0.3 + 0.7 * rng_unif();
        int ref = (int)(rng_next() & 3), alt = (ref + 1 + (int)(rng_next() % 3)) & 3;
        pos += 1 + (long)(rng_next() % 2000);
        double q = 1 - p, prior[3] = {q * q, 2 * p * q, p * p};
        char *s = line;
        s += sprintf(s, "1\t%ld\t1:%ld:%c:%c\t%c\t%c\t.\tPASS\tAF=%.5f;R2=%.5f%s\tGT:DS:GP", pos, pos, bases[ref],
                     bases[alt], bases[ref], bases[alt], p, r2, v % 10 ? ";IMPUTED" : "");
        for (long i = 0; i < n; i++) {
            int h0 = rng_unif() < p, h1 = rng_unif() < p, g = h0 + h1;
            /* posterior: the truth with weight r2, the prior otherwise, to thousandths summing to 1000 */
            int g0 = (int)(1000 * ((1 - r2) * prior[0] + r2 * (g == 0)) + 0.5);
            int g2 = (int)(1000 * ((1 - r2) * prior[2] + r2 * (g == 2)) + 0.5);
            if (g0 + g2 > 1000) g2 = 1000 - g0;
            int g1 = 1000 - g0 - g2;
            int best = g1 > g0 && g1 >= g2 ? 1 : g2 > g0 ? 2 : 0;
            int a0 = best == 2 || (best == 1 && h0 && !h1), a1 = best >= 1 && !(best == 1 && h0 && !h1);
            *s++ = '\t';
            *s++ = (char)('0' + a0);
            *s++ = '|';
            *s++ = (char)('0' + a1);
            *s++ = ':';
            s = put_milli(s, g1 + 2 * g2);
            *s++ = ':';
            s = put_milli(s, g0);
            *s++ = ',';
            s = put_milli(s, g1);
            *s++ = ',';
            s = put_milli(s, g2);
        }
        *s++ = '\n';
        fwrite(line, 1, (size_t)(s - line), stdout);
    }
    free(line);
    return ferror(stdout) ? 1 : 0;
}
