/* cmd_simulate.c: `bcms simulate`, a synthetic cohort generator. GPL-3.0-or-later.
 * Thin: parse options into simulate_opts_t, run loaders/simulate, report. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "simulate.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: bcms simulate -o cohort.vcf.gz [options]\n"
            "Write a synthetic cohort: a bgzipped VCF (GT, optionally DS) with a realistic allele frequency\n"
            "spectrum, haplotype-block LD, missing calls, multi-allelic sites, phased and unphased calls and\n"
            "two sub-populations (isolate, mainland); optionally phenotypes driven by planted variants and\n"
            "clinical visit tables (EDSS, relapses) whose disease courses they partly drive.\n\n"
            "Options:\n"
            "  -o, --output FILE       VCF.gz to write (required)\n"
            "  -n, --samples N         number of samples [1000]\n"
            "  -m, --variants M        number of variants [10000]\n"
            "      --seed S            cohort seed: genotypes, phenotypes [1]\n"
            "      --site-seed S       site seed: positions, alleles, LD blocks, causal variants [= --seed];\n"
            "                          cohorts with the same site seed, --variants and --contigs share most sites\n"
            "      --pheno FILE        phenotype table (#IID severity binary_trait time_to_edss6 edss6_event);\n"
            "                          planted causal variants go to FILE without .tsv + .causal.tsv\n"
            "      --covar FILE        covariate table (#IID sex age_onset PC1..PC4 population)\n"
            "      --visits FILE       clinical visit table (#IID date edss relapse) for `bcms clinical`;\n"
            "                          needs --patients. Courses follow the covariates (sex, age_onset) and,\n"
            "                          unless --null, planted variants (trait progression in the causal file,\n"
            "                          beside --pheno or else beside FILE)\n"
            "      --patients FILE     patient table (#IID sex birth_date age_at_onset onset_date\n"
            "                          diagnosis_date entry_date); needs --visits\n"
            "      --prefix STR        sample ID prefix [S]\n"
            "      --contigs K         chromosomes 1..K, GRCh38 lengths, K <= 22 [22]\n"
            "      --sex-chromosomes   also chrX (PARs of GRCh38 included), chrY and chrM: males haploid\n"
            "                          outside the PARs and on chrY, chrM haploid; sexes of --covar's 'sex'\n"
            "      --ds                also write FORMAT/DS (imputation-like dosages)\n"
            "      --missing RATE      mean share of missing calls [0.02]\n"
            "      --isolate-frac F    share of samples from the isolate population [0.5]\n"
            "      --null              no planted genetic effects (for null calibration)\n"
            "      --fst F             founder drift of the isolate (Balding-Nichols F, 0 < F < 1) [~0.077]\n"
            "      --families N        N nuclear families: 2 sampled parents + 2 sampled children [0]\n"
            "      --relatives N       N cryptic pairs, alternately half-sibs (2nd degree) and first cousins\n"
            "                          (3rd degree) through unsampled ancestors [0]\n"
            "      --threads N         threads for generation and compression (0: all cores) [1]\n"
            "The output bytes depend on the options only, never on --threads.\n");
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

int cmd_simulate(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"output", required_argument, NULL, 'o'},   {"samples", required_argument, NULL, 'n'},
        {"variants", required_argument, NULL, 'm'}, {"seed", required_argument, NULL, 1},
        {"site-seed", required_argument, NULL, 2},  {"pheno", required_argument, NULL, 3},
        {"covar", required_argument, NULL, 4},      {"prefix", required_argument, NULL, 5},
        {"contigs", required_argument, NULL, 6},    {"ds", no_argument, NULL, 7},
        {"missing", required_argument, NULL, 8},    {"isolate-frac", required_argument, NULL, 9},
        {"null", no_argument, NULL, 10},            {"threads", required_argument, NULL, 11},
        {"visits", required_argument, NULL, 12},    {"patients", required_argument, NULL, 13},
        {"sex-chromosomes", no_argument, NULL, 17},
        {"fst", required_argument, NULL, 14},       {"families", required_argument, NULL, 15},
        {"relatives", required_argument, NULL, 16}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "simulate";
    simulate_opts_t o;
    simulate_stats_t st;
    int64_t v;
    int c;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    simulate_opts_init(&o);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:n:m:h", lopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_vcf = optarg; break;
        case 'n':
            if (parse_i64(optarg, &o.n_samples)) return cli_usage_error(cmd, "--samples: not an integer: '%s'", optarg);
            break;
        case 'm':
            if (parse_i64(optarg, &o.n_variants))
                return cli_usage_error(cmd, "--variants: not an integer: '%s'", optarg);
            break;
        case 1:
            if (parse_u64(optarg, &o.seed)) return cli_usage_error(cmd, "--seed: not a non-negative integer: '%s'", optarg);
            break;
        case 2:
            if (parse_u64(optarg, &o.site_seed))
                return cli_usage_error(cmd, "--site-seed: not a non-negative integer: '%s'", optarg);
            o.site_seed_set = 1;
            break;
        case 3: o.out_pheno = optarg; break;
        case 4: o.out_covar = optarg; break;
        case 5: o.prefix = optarg; break;
        case 6:
            if (parse_i64(optarg, &v) || v < 1 || v > 22)
                return cli_usage_error(cmd, "--contigs: expected an integer from 1 to 22, got '%s'", optarg);
            o.n_contigs = (int)v;
            break;
        case 7: o.write_ds = 1; break;
        case 8:
            if (parse_double(optarg, &o.missing)) return cli_usage_error(cmd, "--missing: not a number: '%s'", optarg);
            break;
        case 9:
            if (parse_double(optarg, &o.isolate_frac))
                return cli_usage_error(cmd, "--isolate-frac: not a number: '%s'", optarg);
            break;
        case 10: o.null_model = 1; break;
        case 17: o.sex_chromosomes = 1; break;
        case 11:
            if ((o.threads = cli_parse_threads(optarg)) < 0)
                return cli_usage_error(cmd, "--threads: expected a count (0: all cores), got '%s'", optarg);
            break;
        case 12: o.out_visits = optarg; break;
        case 13: o.out_patients = optarg; break;
        case 14:
            if (parse_double(optarg, &o.fst) || !(o.fst > 0 && o.fst < 1))
                return cli_usage_error(cmd, "--fst: expected a number in (0, 1), got '%s'", optarg);
            break;
        case 15:
            if (parse_i64(optarg, &o.n_families) || o.n_families < 0)
                return cli_usage_error(cmd, "--families: expected a count, got '%s'", optarg);
            break;
        case 16:
            if (parse_i64(optarg, &o.n_relatives) || o.n_relatives < 0)
                return cli_usage_error(cmd, "--relatives: expected a count, got '%s'", optarg);
            break;
        case 'h': usage(stdout); return 0;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value (run 'bcms simulate' for usage)", argv[optind - 1]);
        default: return cli_usage_error(cmd, "unknown option '%s' (run 'bcms simulate' for usage)", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (simulate_opts_check(&o)) return cli_usage_error(cmd, "%s", bcms_err_detail());

    int ret = simulate_run(&o, &st);
    if (ret) return cli_fail(cmd, ret);
    fprintf(stderr,
            "bcms simulate: wrote %s: %" PRId64 " samples, %" PRId64 " variants (%" PRId64 " multi-allelic, %" PRId64
            " LowQual, %" PRId64 " REF/ALT swapped), %.2f%% missing calls, %d planted causal variants\n",
            o.out_vcf, o.n_samples, st.n_records, st.n_multiallelic, st.n_lowqual, st.n_swapped,
            st.n_calls ? 100.0 * (double)st.n_missing / (double)st.n_calls : 0.0, st.n_causal);
    if (o.out_visits)
        fprintf(stderr, "bcms simulate: wrote %s (%" PRId64 " patients) and %s (%" PRId64 " visit records)\n",
                o.out_patients, o.n_samples, o.out_visits, st.n_visit_records);
    return 0;
}
