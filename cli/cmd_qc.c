/* cmd_qc.c: the per-sample QC commands, one option set: bcms qc STORE [selection] [-o OUT] (call rate,
 * heterozygosity) and bcms sexcheck STORE [selection] [-o OUT] (chrX F, inferred sex). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "err.h"
#include "qc.h"
#include "store.h"

static void usage(FILE *fp, int sexcheck)
{
    if (sexcheck)
        fprintf(fp, "Usage: bcms sexcheck STORE [options]\n"
                    "chrX inbreeding F per sample, to infer or check sex as plink 1.9 --check-sex:\n#IID COHORT PEDSEX SNPSEX "
                    "STATUS F (SNPSEX 2 when F < 0.2, 1 when F > 0.8).\n\n"
                    "      --female-max F --male-min F   SNPSEX thresholds (default 0.2 and 0.8)\n");
    else
        fprintf(fp, "Usage: bcms qc STORE [options]\n"
                    "Per-sample call rate and heterozygosity: #IID COHORT MISSING_CT OBS_CT F_MISS HET_CT F\n(F_MISS as "
                    "plink2 --missing, F as plink2 --het over the autosomes).\n\n");
    fprintf(fp,     "Options:\n"
                "  -d, --cohorts LIST       datasets or cohorts (default: all)\n"
                "  -r, --regions LIST       CHR, CHR:POS, CHR:BEG-END, comma-separated\n"
                "  -o, --output FILE        output TSV (default stdout; BGZF when it ends in .gz)\n"
                "      --threads N          default: OMP_NUM_THREADS if set, else all cores\n"
                "%s%s",
            cli_select_help, cli_filter_help);
}

static int sample_qc(int argc, char **argv, int sexcheck)
{
    const char *name = sexcheck ? "sexcheck" : "qc";
    enum { O_THREADS = 256, O_FMAX, O_MMIN };
    static const struct option lo[] = {{"cohorts", required_argument, 0, 'd'}, {"dataset", required_argument, 0, 'd'},
                                       {"regions", required_argument, 0, 'r'}, {"output", required_argument, 0, 'o'},
                                       {"threads", required_argument, 0, O_THREADS}, {"female-max", required_argument, 0, O_FMAX},
                                       {"male-min", required_argument, 0, O_MMIN}, {"help", no_argument, 0, 'h'},
                                       CLI_SELECT_LISTS, CLI_SELECT_FILTERS, {0, 0, 0, 0}};
    bcms_qc_opts_t o;
    bcms_store_t *st;
    int c, rc, so;
    char *end;
    bcms_qc_opts_init(&o);
    o.threads = cli_parse_threads(NULL);
    if (argc == 1) {
        usage(stderr, sexcheck);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "d:r:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o.sel.cohorts = optarg; break;
        case 'r': o.sel.regions = optarg; break;
        case 'o': o.out = optarg; break;
        case O_THREADS:
            if ((o.threads = cli_parse_threads(optarg)) < 1) return cli_usage_error(name, "bad --threads");
            break;
        case O_FMAX:
            o.female_max = strtod(optarg, &end);
            if (*end || end == optarg) return cli_usage_error(name, "bad --female-max '%s'", optarg);
            break;
        case O_MMIN:
            o.male_min = strtod(optarg, &end);
            if (*end || end == optarg) return cli_usage_error(name, "bad --male-min '%s'", optarg);
            break;
        case 'h': usage(stdout, sexcheck); return 0;
        default:
            if ((so = cli_select_option(name, c, optarg, &o.sel)) > 0) break;
            if (so == 0) usage(stderr, sexcheck);
            return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error(name, "expected one STORE");
    if ((rc = bcms_store_open(argv[optind], BCMS_STORE_RDONLY, &st))) return cli_fail(name, rc);
    rc = sexcheck ? bcms_sexcheck(st, &o) : bcms_qc(st, &o);
    bcms_store_close(st);
    return rc ? cli_fail(name, rc) : 0;
}

int cmd_qc(int argc, char **argv) { return sample_qc(argc, argv, 0); }
int cmd_sexcheck(int argc, char **argv) { return sample_qc(argc, argv, 1); }
