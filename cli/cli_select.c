/* cli_select.c: the sample, variant and sex options every read command shares (cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "contig.h"
#include "err.h"

const char *const cli_select_help =
    "  --keep F --remove F   samples to keep / drop: IID per line, #IID or #FID IID header, PLINK .fam\n"
    "  --extract F --exclude F  variants to keep / drop: ID or CHR:POS:REF:ALT per line, or BED ranges\n"
    "  --sex-file F          sample sex (#IID SEX, FID IID SEX or .fam: 1 male, 2 female, 0/NA\n"
    "                        unknown); default: the stored phenotype column 'sex'\n"
    "  --par b37|b38         chrX pseudo-autosomal bounds (default b38)\n"
    "  --mind X              drop samples missing more than this fraction of calls\n"
    "  --minr2 X             drop variants imputed with INFO/R2 (DR2, INFO) below X in a cohort that\n"
    "                        has them; variants without one are kept (counted in a warning)\n"
    "  --dup-rule error|first  a sample with the same variant in two datasets: error (default) or\n"
    "                        the first dataset's call\n"
    "  --memory MB           cap of the variant window the scan holds (as plink2 --memory; default\n"
    "                        ~16 MB); the output does not depend on it\n";

const char *const cli_filter_help =
    "  --maf X --mac N --geno X --hwe P   site filters, in each cohort that has the variant\n";

static int parse_double(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *end || end == s ? -1 : 0;
}

int cli_parse_memory(const char *cmd, const char *arg, double *mb)
{
    if (parse_double(arg, mb) || !(*mb > 0) || *mb > 1e9)
        return cli_usage_error(cmd, "--memory needs a size in MB (> 0), not '%s'", arg);
    return 0;
}

int cli_select_option(const char *cmd, int c, const char *arg, bcms_reader_opts_t *o)
{
    double x;
    bcms_build_t b;
    switch (c) {
    case CLI_O_KEEP: o->keep = arg; return 1;
    case CLI_O_REMOVE: o->remove = arg; return 1;
    case CLI_O_EXTRACT: o->extract = arg; return 1;
    case CLI_O_EXCLUDE: o->exclude = arg; return 1;
    case CLI_O_SEXFILE: o->sex_file = arg; return 1;
    case CLI_O_PAR:
        if (bcms_build_parse(arg, &b)) return (cli_usage_error(cmd, "--par must be b37 or b38, not '%s'", arg), -1);
        o->par_build = b;
        return 1;
    case CLI_O_DUPRULE:
        if (!strcmp(arg, "error")) o->dup_rule = BCMS_DUP_ERROR;
        else if (!strcmp(arg, "first")) o->dup_rule = BCMS_DUP_FIRST;
        else return (cli_usage_error(cmd, "--dup-rule must be error or first, not '%s'", arg), -1);
        return 1;
    case CLI_O_MIND:
        if (parse_double(arg, &o->mind_max) || o->mind_max < 0 || o->mind_max > 1)
            return (cli_usage_error(cmd, "--mind needs a fraction in [0, 1], not '%s'", arg), -1);
        return 1;
    case CLI_O_MINR2:
        if (parse_double(arg, &o->minr2) || !(o->minr2 >= 0))
            return (cli_usage_error(cmd, "--minr2 needs a number >= 0, not '%s'", arg), -1);
        return 1;
    case CLI_O_MAF:
        if (parse_double(arg, &o->maf_min)) return (cli_usage_error(cmd, "bad --maf '%s'", arg), -1);
        return 1;
    case CLI_O_MAC:
        if (parse_double(arg, &x) || x < 0) return (cli_usage_error(cmd, "bad --mac '%s'", arg), -1);
        o->mac_min = (uint32_t)x;
        return 1;
    case CLI_O_GENO:
        if (parse_double(arg, &o->geno_max)) return (cli_usage_error(cmd, "bad --geno '%s'", arg), -1);
        return 1;
    case CLI_O_MEMORY:
        return cli_parse_memory(cmd, arg, &o->memory_mb) ? -1 : 1;
    case CLI_O_HWE:
        if (parse_double(arg, &o->hwe_min)) return (cli_usage_error(cmd, "bad --hwe '%s'", arg), -1);
        return 1;
    default: return 0;
    }
}
