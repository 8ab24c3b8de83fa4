/* cli_structure.h: the selection options shared by `bcms kinship`, `pca`, `prune` and `grm`
 * (datasets, regions, site filters, --keep, --extract, --threads, --no-lock). */
#ifndef BCMS_CLI_STRUCTURE_H
#define BCMS_CLI_STRUCTURE_H

#include <getopt.h>
#include <stdio.h>

#include "structure.h"

/* getopt_long codes of the shared options start here; a command's own codes stay below. */
enum { CLI_SEL_BASE = 1000 };

/* The shared long options, terminated by a zero entry; a command copies them after its own. */
extern const struct option cli_sel_options[];
#define CLI_SEL_NOPTS 10

/* Handle option c (with optarg) if it is a shared one: 1 handled, 0 not ours, 2 bad value (message
 * printed). *open_flags gets BCMS_STORE_NOLOCK for --no-lock. */
int cli_sel_option(const char *cmd, int c, const char *arg, bcms_structure_sel_t *s, int *open_flags);

/* Usage lines of the shared options. */
void cli_sel_usage(FILE *fp);

/* Merge own[] (zero-terminated) and the shared options into out (room for n_own + CLI_SEL_NOPTS + 1). */
void cli_sel_merge(const struct option *own, struct option *out);

#endif
