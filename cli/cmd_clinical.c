/* cmd_clinical.c: `bcms clinical` derives the clinical progression fields (MSSS, ARMSS, sustained EDSS
 * milestones, confirmed disability progression) from visit tables into a PLINK 2 style phenotype
 * table. Until the phenotype store exists the result goes to a file (-o), not into a store.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clinical.h"
#include "clinical_store.h"
#include "pheno_table.h"
#include "store.h"
#include "err.h"
#include "outfile.h"
#include "visits.h"

typedef struct {
    const char *visits, *patients, *out;
    clin_opts_t clin;
} clinical_args_t;

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: bcms clinical [STORE] --visits V.tsv [--patients P.tsv] [-o OUT.tsv] [options]\n\n"
            "Derive per-patient progression fields from EDSS visits: stored as phenotype columns of STORE\n"
            "(all or nothing; --replace to overwrite, --append to add another cohort), and/or written as #IID + one column per field to OUT\n"
            "(see queries/clinical/clinical.h for the definitions and the input formats).\n\n"
            "Input/output:\n"
            "  --visits FILE            visits: IID date edss [relapse] (TSV, header)\n"
            "  --patients FILE          patients: IID [sex birth_date age_at_onset onset_date diagnosis_date entry_date]\n"
            "  -o, --out FILE           output table (gzip when it ends in .gz), owner-only (mode 0600); written\n"
            "                           only on success (with STORE: only once the fields are stored)\n"
            "  --prefix P               name the fields P<field> (Psev_edss, Pedss6_time, ...), e.g. to keep them\n"
            "                           beside stored columns of the same names\n"
            "  --replace                overwrite columns of the same names already in STORE\n"
            "  --append                 add these patients to columns of the same names already in STORE\n"
            "                           (another cohort's visits; a patient already there must get the same values)\n"
            "Severity (MSSS 2005, MSSS 2017, ARMSS):\n"
            "  --sev-edss last|first|max  which EDSS assessment to score [last]\n"
            "  --msss-rows label|mssev  table row for a duration: the labelled row (floor of years) or\n"
            "                           ms.sev's (updated MSSS one row later) [label]\n"
            "Sustained EDSS milestones:\n"
            "  --milestones LIST        comma-separated EDSS values [3,4,6]\n"
            "  --sustain-days N         confirmation at the first visit >= N days later, 0 = none [180]\n"
            "  --sustain-to-end         also require every later visit to stay at or above the milestone\n"
            "Confirmed disability progression:\n"
            "  --cdp-confirm-weeks N    confirmation window in weeks (12 or 24 usually) [12]\n"
            "  --cdp-confirm-days N     the same in days (overrides weeks)\n"
            "  --cdp-baseline fixed|roving  reference EDSS [fixed]\n"
            "  --cdp-relapse-days N     ignore assessments 0..N days after a relapse, -1 = never [30]\n"
            "  --cdp-cut X              baseline cut-point between the 1.0 and 0.5 rules [5.5]\n"
            "  --cdp-inc Z,L,H          increases from baseline 0 / up to the cut / above it [1.5,1.0,0.5]\n"
            "  --cdp-origin onset|baseline  time origin of cdp_time [onset]\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* Parse up to max comma-separated numbers; returns the count or -1. */
static int parse_list(const char *s, double *x, int max)
{
    int n = 0;
    for (;;) {
        char *end;
        if (n == max) return -1;
        x[n++] = strtod(s, &end);
        if (end == s) return -1;
        if (!*end) return n;
        if (*end != ',') return -1;
        s = end + 1;
    }
}

/* The fields into STORE and/or OUT. OUT is written to a private temporary file first and appears
 * only when the fields are also stored: a failed store leaves no table behind that looks like a
 * result. */
static int derive_and_write(const clinical_args_t *a, const visits_data_t *d, const char *store, int mode)
{
    bcms_outfile_t *outf = NULL;
    int ret = 0;
    if (a->out && !(ret = bcms_outfile_open(a->out, BCMS_OUT_PRIVATE, &outf)))
        ret = clin_write_out(&a->clin, d, outf);
    if (!ret && store) {
        bcms_store_t *st;
        size_t ncols = 0;
        char *cmd = cli_command_line();
        if (!(ret = bcms_store_open(store, BCMS_STORE_CREATE, &st))) {
            ret = clin_store(st, &a->clin, d, a->visits, mode, cmd, &ncols);
            bcms_store_close(st);
        }
        free(cmd);
        if (!ret)
            bcms_log(BCMS_LOG_INFO, "clinical: %zu patients, %zu visits -> %zu columns stored in %s", d->n_patients,
                     d->n_visits, ncols, store);
    }
    if (outf && !ret) {
        ret = bcms_outfile_commit(outf);
        outf = NULL;
        if (!ret) bcms_log(BCMS_LOG_INFO, "clinical: %zu patients, %zu visits -> %s", d->n_patients, d->n_visits, a->out);
    }
    bcms_outfile_abort(outf);
    return ret;
}

int cmd_clinical(int argc, char **argv)
{
    enum { O_VISITS = 256, O_PATIENTS, O_SEV, O_ROWS, O_MILE, O_SUSD, O_SUSE, O_CW, O_CD, O_CB, O_CR, O_CC, O_CI, O_CO, O_REPLACE, O_APPEND, O_PREFIX };
    static const struct option lopts[] = {
        {"visits", required_argument, NULL, O_VISITS}, {"patients", required_argument, NULL, O_PATIENTS},
        {"out", required_argument, NULL, 'o'},         {"sev-edss", required_argument, NULL, O_SEV},
        {"msss-rows", required_argument, NULL, O_ROWS}, {"milestones", required_argument, NULL, O_MILE},
        {"sustain-days", required_argument, NULL, O_SUSD}, {"sustain-to-end", no_argument, NULL, O_SUSE},
        {"cdp-confirm-weeks", required_argument, NULL, O_CW}, {"cdp-confirm-days", required_argument, NULL, O_CD},
        {"cdp-baseline", required_argument, NULL, O_CB}, {"cdp-relapse-days", required_argument, NULL, O_CR},
        {"cdp-cut", required_argument, NULL, O_CC},     {"cdp-inc", required_argument, NULL, O_CI},
        {"cdp-origin", required_argument, NULL, O_CO},  {"help", no_argument, NULL, 'h'},
        {"replace", no_argument, NULL, O_REPLACE},      {"append", no_argument, NULL, O_APPEND},
        {"prefix", required_argument, NULL, O_PREFIX},
        {NULL, 0, NULL, 0}};
    clinical_args_t a = {0};
    visits_data_t *d = NULL;
    int c, ret = 0, weeks = -1, days = -1, mode = BCMS_PHENO_REFUSE, nmode = 0;
    const char *store = NULL;
    double inc[3];

    clin_opts_init(&a.clin);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) >= 0) {
        switch (c) {
        case O_VISITS: a.visits = optarg; break;
        case O_PATIENTS: a.patients = optarg; break;
        case 'o': a.out = optarg; break;
        case O_REPLACE: mode = BCMS_PHENO_REPLACE, nmode++; break;
        case O_APPEND: mode = BCMS_PHENO_APPEND, nmode++; break;
        case O_PREFIX:
            if (strlen(optarg) >= sizeof a.clin.prefix) return cli_usage_error("clinical", "--prefix is too long");
            snprintf(a.clin.prefix, sizeof a.clin.prefix, "%s", optarg);
            break;
        case O_SEV:
            if (!strcmp(optarg, "last")) a.clin.sev_pick = CLIN_PICK_LAST;
            else if (!strcmp(optarg, "first")) a.clin.sev_pick = CLIN_PICK_FIRST;
            else if (!strcmp(optarg, "max")) a.clin.sev_pick = CLIN_PICK_MAX;
            else return cli_usage_error("clinical", "--sev-edss must be last, first or max");
            break;
        case O_ROWS:
            if (!strcmp(optarg, "label")) a.clin.msss_rows = CLIN_ROWS_LABEL;
            else if (!strcmp(optarg, "mssev")) a.clin.msss_rows = CLIN_ROWS_MSSEV;
            else return cli_usage_error("clinical", "--msss-rows must be label or mssev");
            break;
        case O_MILE:
            if ((a.clin.n_milestones = parse_list(optarg, a.clin.milestones, CLIN_MAX_MILESTONES)) < 0)
                return cli_usage_error("clinical", "--milestones: up to %d comma-separated EDSS values",
                                       CLIN_MAX_MILESTONES);
            break;
        case O_SUSD:
            if (parse_int(optarg, 0, 36500, &a.clin.sustain_days))
                return cli_usage_error("clinical", "--sustain-days: a number of days >= 0");
            break;
        case O_SUSE: a.clin.sustain_to_end = 1; break;
        case O_CW:
            if (parse_int(optarg, 0, 5200, &weeks)) return cli_usage_error("clinical", "--cdp-confirm-weeks: weeks >= 0");
            break;
        case O_CD:
            if (parse_int(optarg, 0, 36500, &days)) return cli_usage_error("clinical", "--cdp-confirm-days: days >= 0");
            break;
        case O_CB:
            if (!strcmp(optarg, "fixed")) a.clin.cdp_roving = 0;
            else if (!strcmp(optarg, "roving")) a.clin.cdp_roving = 1;
            else return cli_usage_error("clinical", "--cdp-baseline must be fixed or roving");
            break;
        case O_CR:
            if (parse_int(optarg, -1, 36500, &a.clin.cdp_relapse_days))
                return cli_usage_error("clinical", "--cdp-relapse-days: days >= 0, or -1 to ignore relapses");
            break;
        case O_CC: {
            char *end;
            a.clin.cdp_cut = strtod(optarg, &end);
            if (end == optarg || *end) return cli_usage_error("clinical", "--cdp-cut: an EDSS value");
            break;
        }
        case O_CI:
            if (parse_list(optarg, inc, 3) != 3)
                return cli_usage_error("clinical", "--cdp-inc: three numbers Z,L,H (e.g. 1.5,1.0,0.5)");
            a.clin.cdp_inc_zero = inc[0];
            a.clin.cdp_inc_low = inc[1];
            a.clin.cdp_inc_high = inc[2];
            break;
        case O_CO:
            if (!strcmp(optarg, "onset")) a.clin.cdp_origin = CLIN_ORIGIN_ONSET;
            else if (!strcmp(optarg, "baseline")) a.clin.cdp_origin = CLIN_ORIGIN_BASELINE;
            else return cli_usage_error("clinical", "--cdp-origin must be onset or baseline");
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) store = argv[optind++];
    if (optind < argc) return cli_usage_error("clinical", "unexpected argument '%s'", argv[optind]);
    if (!a.visits) return cli_usage_error("clinical", "--visits FILE is required");
    if (!a.out && !store) return cli_usage_error("clinical", "give a STORE to store the fields in, or -o OUT");
    if (days >= 0) a.clin.cdp_confirm_days = days;
    else if (weeks >= 0) a.clin.cdp_confirm_days = 7 * weeks;
    if ((ret = clin_opts_check(&a.clin))) return cli_fail("clinical", ret);
    if (nmode > 1) return cli_usage_error("clinical", "--replace and --append exclude each other");

    if ((ret = visits_load(a.patients, a.visits, &d))) return cli_fail("clinical", ret);
    ret = derive_and_write(&a, d, store, mode);
    visits_free(d);
    return ret ? cli_fail("clinical", ret) : 0;
}
