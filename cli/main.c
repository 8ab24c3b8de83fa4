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
#include "cluster.h"
#include "store.h"

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
    {"freq", cmd_freq, "allele frequencies, call rates and HWE p-values (PLINK 2 conventions on chrX/Y/M)"},
    {"qc", cmd_qc, "per-sample call rate and heterozygosity F (plink2 --missing, --het)"},
    {"sexcheck", cmd_sexcheck, "chrX inbreeding F per sample to infer or check sex (plink --check-sex)"},
    {"assoc", cmd_assoc, "association scan: linear, logistic or Cox (prognosis) over one or more cohorts"},
    {"merge", cmd_merge, "concatenate the chunk outputs of a scan, checking that none is missing"},
    {"copy", cmd_copy, "write a consistent (optionally compacted) snapshot of a store to a new directory"},
    {"meta", cmd_meta, "meta-analysis of per-cohort summary statistics (bcms, PLINK 2, REGENIE, GWAS-SSF)"},
    {"kinship", cmd_kinship, "KING-robust kinship of every pair of samples; degrees; a maximal unrelated set"},
    {"pca", cmd_pca, "principal components (exact, or randomized with --approx); optionally stored as covariates"},
    {"prune", cmd_prune, "LD pruning by pairwise r^2 in sliding windows (as plink2 --indep-pairwise)"},
    {"grm", cmd_grm, "genetic relationship matrix (centred as GEMMA -gk 1, or standardised), kept in the store"},
    {"clinical", cmd_clinical, "derive MSSS, ARMSS, EDSS milestones and confirmed progression from visit tables"},
    {"plot", cmd_plot, "Manhattan or QQ plot (PNG/SVG) of bcms, PLINK 2, REGENIE or GWAS-SSF results; xy curves"},
};

static int saved_argc;
static char **saved_argv;

static void log_to_stderr(int level, const char *msg, void *ud)
{
    static const char *tag[] = {"error", "warning", "info", "debug"};
    (void)ud;
    if (bcms_cluster_size() > 1) {
        /* in an MPI job only rank 0 reports progress; the others speak up for problems only */
        if (bcms_cluster_rank() != 0 && level >= BCMS_LOG_INFO) return;
        fprintf(stderr, "[bcms rank %d %s] %s\n", bcms_cluster_rank(), tag[level < 0 ? 0 : level > 3 ? 3 : level], msg);
        return;
    }
    fprintf(stderr, "[bcms %s] %s\n", tag[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}

/* Run a command; inside an MPI job only the scans that share their work over ranks may run, and an
 * error on any rank ends the whole job (no rank waits forever for another). */
static int run_command(const cli_cmd_t *c, int argc, char **argv)
{
    int rc;
    static const char *shared[] = {"assoc", "kinship", "grm", "pca"}; /* share their work over the ranks */
    int ok = 0;
    for (size_t i = 0; i < sizeof shared / sizeof *shared; i++) ok |= !strcmp(c->name, shared[i]);
    if (bcms_cluster_size() > 1 && !ok) {
        if (bcms_cluster_rank() == 0)
            fprintf(stderr, "bcms %s: does not run across MPI ranks; run it without mpirun (only assoc, kinship, "
                    "grm and pca do)\n", c->name);
        bcms_cluster_finalize();
        return 2;
    }
    rc = c->run(argc, argv);
    if (rc && bcms_cluster_size() > 1) bcms_cluster_abort(rc);
    bcms_cluster_finalize();
    return rc;
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
 * SLURM_CPUS_PER_TASK), else every core this process may run on (its CPU affinity). MPI ranks that
 * share a node without being bound to their own cores (mpirun --bind-to none) split its cores, or
 * each would start a thread per core and oversubscribe them. */
static int default_threads(void)
{
    const char *e = getenv("OMP_NUM_THREADS");
    int n = e && *e ? omp_get_max_threads() : omp_get_num_procs();
    int local = bcms_cluster_local_size();
    if (!(e && *e) && local > 1 && n >= sysconf(_SC_NPROCESSORS_ONLN)) n /= local;
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

/* The command line as a shell would take it back: an argument with a space, a quote or another
 * shell character is single-quoted (' as '\''), so OUT.log can be pasted to rerun the scan. */
char *cli_command_line(void)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%^";
    size_t len = 1;
    char *s, *p;
    for (int i = 0; i < saved_argc; i++) len += 4 * strlen(saved_argv[i]) + 3;
    if (!(s = malloc(len))) return NULL;
    p = s;
    for (int i = 0; i < saved_argc; i++) {
        const char *a = saved_argv[i];
        int quote = !*a || strspn(a, safe) != strlen(a);
        if (i) *p++ = ' ';
        if (quote) *p++ = '\'';
        for (; *a; a++) {
            if (quote && *a == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *a;
            }
        }
        if (quote) *p++ = '\'';
    }
    *p = 0;
    return s;
}

/* --no-lock is one rule for every command that reads a store (a read-only shared filesystem, or a
 * copy nothing writes): taken out of the command's own options and applied to every store open. */
static void strip_no_lock(int *argc, char **argv)
{
    int j = 2;
    for (int i = 2; i < *argc; i++) {
        if (!strcmp(argv[i], "--")) { /* the rest are operands */
            while (i < *argc) argv[j++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], "--no-lock")) bcms_store_default_nolock(1);
        else argv[j++] = argv[i];
    }
    argv[j] = NULL;
    *argc = j;
}

static void usage(FILE *fp)
{
    fprintf(fp, "bcms %s: genotype store and association engine of BARCODING MS\n\n"
                "Usage: bcms <command> [options]\n\nCommands:\n", BCMS_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(fp, "\nRun a command without arguments for its options. Every command that only reads a store accepts\n"
                "--no-lock: open it without LMDB's lock file (a read-only shared filesystem; no import may run).\n");
}

int main(int argc, char **argv)
{
    cli_blas_init(argv);
    saved_argc = argc;
    saved_argv = argv;
    bcms_log_set(log_to_stderr, NULL, getenv("BCMS_DEBUG") ? BCMS_LOG_DEBUG : BCMS_LOG_INFO);
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
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        if (bcms_cluster_init(&argc, &argv)) {
            fprintf(stderr, "bcms: %s\n", bcms_err_detail());
            return 1;
        }
        strip_no_lock(&argc, argv);
        saved_argc = argc;
        saved_argv = argv;
        return run_command(&commands[i], argc - 1, argv + 1);
    }
    fprintf(stderr, "bcms: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
