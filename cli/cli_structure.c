/* cli_structure.c: the command-line frame of the structure commands (see cli_structure.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_structure.h"
#include "err.h"

enum { S_THREADS = 200, S_HELP };

static const struct option shared[] = {{"dataset", required_argument, 0, 'd'},
                                       {"cohorts", required_argument, 0, 'd'},
                                       {"regions", required_argument, 0, 'r'},
                                       {"threads", required_argument, 0, S_THREADS},
                                       {"help", no_argument, 0, S_HELP},
                                       CLI_SELECT_LISTS,
                                       CLI_SELECT_FILTERS,
                                       {0, 0, 0, 0}};

static void usage(const cli_struct_cmd_t *c, FILE *fp)
{
    c->usage(fp);
    fprintf(fp,
            "Selection (as in assoc and freq; only autosomes are used):\n"
            "  -d, --dataset LIST    datasets or cohorts to pool (default: all)\n"
            "  -r, --regions LIST    CHR, CHR:POS, CHR:BEG-END, comma-separated\n"
            "%s%s"
            "  --threads N           default: OMP_NUM_THREADS if set, else all cores\n",
            cli_select_help, cli_filter_help);
}

/* own[] then shared[] in one zero-terminated table (caller frees). */
static struct option *merge(const struct option *own)
{
    size_t a = 0, b = 0;
    while (own[a].name) a++;
    while (shared[b].name) b++;
    struct option *lo = malloc((a + b + 1) * sizeof *lo);
    if (!lo) return NULL;
    memcpy(lo, own, a * sizeof *lo);
    memcpy(lo + a, shared, (b + 1) * sizeof *lo);
    return lo;
}

static int shared_option(const cli_struct_cmd_t *c, int opt, const char *arg, bcms_structure_sel_t *sel)
{
    int so;
    switch (opt) {
    case 'd': sel->sel.cohorts = arg; return 1;
    case 'r': sel->sel.regions = arg; return 1;
    case S_THREADS:
        if ((sel->threads = cli_parse_threads(arg)) < 1)
            return (cli_usage_error(c->name, "--threads: expected a count, got '%s'", arg), 2);
        sel->sel.threads = sel->threads;
        return 1;
    default:
        so = cli_select_option(c->name, opt, arg, &sel->sel);
        return so < 0 ? 2 : so;
    }
}

int cli_struct_parse(const cli_struct_cmd_t *c, int argc, char **argv, void *o, bcms_structure_sel_t *sel,
                     int *flags, const char **store)
{
    char shortopts[64];
    struct option *lo;
    int opt, rc = CLI_STRUCT_GO;
    if (argc < 2) {
        usage(c, stderr);
        return 2;
    }
    snprintf(shortopts, sizeof shortopts, "%sd:r:h", c->shortopts);
    if (!(lo = merge(c->own))) return (cli_usage_error(c->name, "out of memory"), 2);
    *flags = c->writes ? 0 : BCMS_STORE_RDONLY;
    sel->threads = sel->sel.threads = cli_parse_threads(NULL);
    optind = 1;
    while ((opt = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
        int h;
        if (opt == 'h' || opt == S_HELP) {
            usage(c, stdout);
            rc = 0;
            break;
        }
        if (opt == '?') {
            rc = 2;
            break;
        }
        if ((h = c->option(o, opt, optarg)) == 0) h = shared_option(c, opt, optarg, sel);
        if (h != 1) {
            rc = 2;
            break;
        }
    }
    free(lo);
    if (rc != CLI_STRUCT_GO) return rc;
    if (argc - optind != 1)
        return cli_usage_error(c->name, "expected one STORE (run 'bcms %s' for usage)", c->name);
    *store = argv[optind];
    return CLI_STRUCT_GO;
}

int cli_struct_run(const char *cmd, const char *store, int flags,
                   int (*run)(bcms_store_t *st, const void *o, uint64_t *stats), const void *o, uint64_t *stats)
{
    bcms_store_t *st;
    int rc = bcms_store_open(store, flags, &st);
    if (rc) return cli_fail(cmd, rc);
    rc = run(st, o, stats);
    bcms_store_close(st);
    return rc ? cli_fail(cmd, rc) : 0;
}
