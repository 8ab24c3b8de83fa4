/* cli_structure.c: selection options shared by the structure commands (see cli_structure.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_structure.h"
#include "store.h"

enum { S_COHORTS = CLI_SEL_BASE, S_REGIONS, S_MAF, S_MAC, S_GENO, S_HWE, S_KEEP, S_EXTRACT, S_THREADS, S_NOLOCK };

const struct option cli_sel_options[] = {
    {"cohorts", required_argument, 0, S_COHORTS}, {"regions", required_argument, 0, S_REGIONS},
    {"maf", required_argument, 0, S_MAF},         {"mac", required_argument, 0, S_MAC},
    {"geno", required_argument, 0, S_GENO},       {"hwe", required_argument, 0, S_HWE},
    {"keep", required_argument, 0, S_KEEP},       {"extract", required_argument, 0, S_EXTRACT},
    {"threads", required_argument, 0, S_THREADS}, {"no-lock", no_argument, 0, S_NOLOCK},
    {0, 0, 0, 0}};

void cli_sel_merge(const struct option *own, struct option *out)
{
    int k = 0;
    for (; own[k].name; k++) out[k] = own[k];
    for (int j = 0; j <= CLI_SEL_NOPTS; j++) out[k + j] = cli_sel_options[j];
}

static int num(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *end || end == s ? -1 : 0;
}

int cli_sel_option(const char *cmd, int c, const char *arg, bcms_structure_sel_t *s, int *open_flags)
{
    double v;
    switch (c) {
    case S_COHORTS: s->sel.cohorts = arg; return 1;
    case S_REGIONS: s->sel.regions = arg; return 1;
    case S_KEEP: s->keep = arg; return 1;
    case S_EXTRACT: s->extract = arg; return 1;
    case S_NOLOCK: *open_flags |= BCMS_STORE_NOLOCK; return 1;
    case S_MAF:
        if (num(arg, &s->sel.maf_min)) break;
        return 1;
    case S_MAC:
        if (num(arg, &v) || v < 0 || v > 4e9) break;
        s->sel.mac_min = (uint32_t)v;
        return 1;
    case S_GENO:
        if (num(arg, &s->sel.geno_max)) break;
        return 1;
    case S_HWE:
        if (num(arg, &s->sel.hwe_min)) break;
        return 1;
    case S_THREADS:
        if ((s->threads = cli_parse_threads(arg)) < 0) break;
        return 1;
    default: return 0;
    }
    cli_usage_error(cmd, "bad value '%s' for an option", arg);
    return 2;
}

void cli_sel_usage(FILE *fp)
{
    fprintf(fp, "Selection:\n"
                "  --cohorts A,B         datasets to pool (ids or cohort names; default all)\n"
                "  --regions LIST        CHR, CHR:BEG-END, comma-separated\n"
                "  --maf X --mac N --geno X --hwe P   site filters from the stored counts\n"
                "  --keep FILE           samples to use (IIDs in the first column)\n"
                "  --extract FILE        variants to use (IDs in the first column, e.g. a .prune.in)\n"
                "  --threads N           default: OMP_NUM_THREADS if set, else all cores\n"
                "  --no-lock             open the store without LMDB's lock file\n"
                "Only autosomes are used.\n");
}
