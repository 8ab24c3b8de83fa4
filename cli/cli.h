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

/* The full command line, space-joined, for provenance records. Caller frees. */
char *cli_command_line(void);

#endif
