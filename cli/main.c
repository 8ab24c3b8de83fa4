/* main.c: the bcms command table. Each entry is {name, function, one-line help}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>
#include <omp.h>

#include "cli.h"
#include "err.h"
#include "bcms_version.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} cli_cmd_t;


static const cli_cmd_t commands[] = {
    {"simulate", cmd_simulate, "write a synthetic cohort (VCF.gz + phenotypes) for demos, tests and benchmarks"},
    {"import", cmd_import, "import a VCF/BCF into a store as one new dataset"},
    {"pheno", cmd_pheno, "store phenotype/covariate columns of a PLINK 2 style table; list or export them"},
    {"info", cmd_info, "summarise a store: datasets, samples, variants, size"},
    {"view", cmd_view, "write variants of a store back out as VCF/BCF"},
    {"freq", cmd_freq, "allele frequencies, call rates and HWE p-values from the stored counts"},
    {"assoc", cmd_assoc, "association scan: linear, logistic or Cox (prognosis) over one or more cohorts"},
    {"merge", cmd_merge, "concatenate the chunk outputs of a scan, checking that none is missing"},
    {"kinship", cmd_kinship, "KING-robust kinship of every pair of samples; degrees; a maximal unrelated set"},
    {"pca", cmd_pca, "principal components (exact, or randomized with --approx); optionally stored as covariates"},
    {"prune", cmd_prune, "LD pruning by pairwise r^2 in sliding windows (as plink2 --indep-pairwise)"},
    {"grm", cmd_grm, "genetic relationship matrix (centred as GEMMA -gk 1, or standardised), kept in the store"},
    {"clinical", cmd_clinical, "derive MSSS, ARMSS, EDSS milestones and confirmed progression from visit tables"},
};

/* OpenBLAS (when it is the BLAS) runs single-threaded: bcms parallelises with OpenMP over its own
 * fixed tiles and batches, and BLAS threads inside them would oversubscribe the cores. */
extern void openblas_set_num_threads(int) __attribute__((weak));

static int saved_argc;
static char **saved_argv;

static void log_to_stderr(int level, const char *msg, void *ud)
{
    static const char *tag[] = {"error", "warning", "info", "debug"};
    (void)ud;
    fprintf(stderr, "[bcms %s] %s\n", tag[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}

int cli_fail(const char *cmd, int code)
{
    const char *d = bcms_err_detail();
    fprintf(stderr, "bcms %s: %s%s%s\n", cmd, bcms_strerror(code), *d ? ": " : "", d);
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bcms %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

/* The default thread count: OMP_NUM_THREADS when set (what a cluster job script exports, e.g. from
 * SLURM_CPUS_PER_TASK), else every core this process may run on (its CPU affinity). */
static int default_threads(void)
{
    const char *e = getenv("OMP_NUM_THREADS");
    int n = e && *e ? omp_get_max_threads() : omp_get_num_procs();
    return n > 0 ? n : 1;
}

int cli_parse_threads(const char *s)
{
    char *end;
    long v;
    if (!s) return default_threads();
    v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 4096) return -1;
    return v == 0 ? default_threads() : (int)v;
}

char *cli_command_line(void)
{
    size_t len = 1;
    char *s, *p;
    for (int i = 0; i < saved_argc; i++) len += strlen(saved_argv[i]) + 1;
    if (!(s = malloc(len))) return NULL;
    p = s;
    for (int i = 0; i < saved_argc; i++) {
        size_t l = strlen(saved_argv[i]);
        memcpy(p, saved_argv[i], l);
        p += l;
        *p++ = i + 1 < saved_argc ? ' ' : 0;
    }
    if (p == s) *p = 0;
    return s;
}

static void usage(FILE *fp)
{
    fprintf(fp, "bcms %s: genotype store and association engine of BARCODING MS\n\n"
                "Usage: bcms <command> [options]\n\nCommands:\n", BCMS_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(fp, "\nRun a command without arguments for its options.\n");
}

int main(int argc, char **argv)
{
    saved_argc = argc;
    saved_argv = argv;
    bcms_log_set(log_to_stderr, NULL, getenv("BCMS_DEBUG") ? BCMS_LOG_DEBUG : BCMS_LOG_INFO);
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("bcms %s\n", BCMS_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "bcms: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
