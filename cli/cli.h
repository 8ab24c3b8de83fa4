/* cli.h: the subcommands of the bcms binary and the helpers they share.
 * Each subcommand lives in cli/cmd_NAME.c and follows one template: an options struct, usage(),
 * getopt_long, run the library, clean up, return the exit status (0 ok, 1 error, 2 usage). */
#ifndef BCMS_CLI_H
#define BCMS_CLI_H

#include <stdio.h>

int cmd_simulate(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_freq(int argc, char **argv);
int cmd_assoc(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_clinical(int argc, char **argv);
int cmd_pheno(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_meta(int argc, char **argv);
int cmd_qc(int argc, char **argv);
int cmd_sexcheck(int argc, char **argv);
int cmd_kinship(int argc, char **argv);
int cmd_pca(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_grm(int argc, char **argv);

/* Print "bcms CMD: <words for code>: <detail>" to stderr and return 1. */
int cli_fail(const char *cmd, int code);

/* Print "bcms CMD: message" to stderr and return 2 (usage errors). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a thread count ("0" or omitted: all cores). Returns -1 on a bad value. */
int cli_parse_threads(const char *s);
/* --memory MB (> 0, as plink2 --memory) into *mb; a usage error of cmd (returned, exit status 2) otherwise, or 0. */
int cli_parse_memory(const char *cmd, const char *arg, double *mb);

/* Before anything else in main: for the dgemm-bound commands (pca, grm, assoc --model lmm), where
 * OpenBLAS fell back to its SSE3 kernels on a CPU with AVX2 or AVX-512 it does not know, set
 * OPENBLAS_CORETYPE and execute bcms again (cli_blas.c). Then BLAS on one thread (bcms_blas_single). */
void cli_blas_init(char **argv);

/* The full command line, space-joined, for provenance records. Caller frees. */
char *cli_command_line(void);

/* Options of the read path every read command shares (cli_select.c): add CLI_SELECT_LISTS (and
 * CLI_SELECT_FILTERS where the command has no filters of its own) to the getopt_long table, pass
 * unknown option values to cli_select_option, print cli_select_help in the usage. */
#include "reader.h"
enum { CLI_O_KEEP = 400, CLI_O_REMOVE, CLI_O_EXTRACT, CLI_O_EXCLUDE, CLI_O_SEXFILE, CLI_O_PAR, CLI_O_DUPRULE,
       CLI_O_MIND, CLI_O_MAF, CLI_O_MAC, CLI_O_GENO, CLI_O_HWE, CLI_O_MINR2, CLI_O_MEMORY };
#define CLI_SELECT_LISTS                                                                                              \
    {"keep", required_argument, 0, CLI_O_KEEP}, {"remove", required_argument, 0, CLI_O_REMOVE},                      \
        {"extract", required_argument, 0, CLI_O_EXTRACT}, {"exclude", required_argument, 0, CLI_O_EXCLUDE},          \
        {"sex-file", required_argument, 0, CLI_O_SEXFILE}, {"par", required_argument, 0, CLI_O_PAR},                 \
        {"dup-rule", required_argument, 0, CLI_O_DUPRULE}, {"mind", required_argument, 0, CLI_O_MIND},              \
        {"minr2", required_argument, 0, CLI_O_MINR2}, {"memory", required_argument, 0, CLI_O_MEMORY}
#define CLI_SELECT_FILTERS                                                                                            \
    {"maf", required_argument, 0, CLI_O_MAF}, {"mac", required_argument, 0, CLI_O_MAC},                              \
        {"geno", required_argument, 0, CLI_O_GENO}, {"hwe", required_argument, 0, CLI_O_HWE}
extern const char *const cli_select_help, *const cli_filter_help;
/* 1: c was one of these options (stored in o); 0: not one of them; -1: bad value (message printed,
 * exit with 2). */
int cli_select_option(const char *cmd, int c, const char *arg, bcms_reader_opts_t *o);

#endif
