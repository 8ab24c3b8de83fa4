/* cli_structure.h: the command-line frame shared by `bcms kinship`, `pca`, `prune` and `grm`: the
 * reader's selection options (those of assoc and freq: -d/--dataset, -r/--regions, --keep/--remove,
 * --extract/--exclude, --sex-file, --mind, site filters, ...), --threads, -h/--help, the STORE
 * argument, and opening the store around the command's run (--no-lock is main's, for every command). */
#ifndef BCMS_CLI_STRUCTURE_H
#define BCMS_CLI_STRUCTURE_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"
#include "structure.h"

/* getopt_long codes of a command's own long options start at CLI_STRUCT_OWN (below the shared ones). */
enum { CLI_STRUCT_OWN = 256 };

typedef struct {
    const char *name;          /* "pca" */
    const struct option *own;  /* the command's own long options, zero-terminated */
    const char *shortopts;     /* its short options, e.g. "o:" (the shared "d:r:h" are added) */
    void (*usage)(FILE *fp);   /* its own usage lines (the shared ones follow) */
    /* Option c (its own) with arg into o: 1 handled, 0 unknown, 2 bad value (message printed). */
    int (*option)(void *o, int c, const char *arg);
    int writes;                /* the command writes to the store (opened read-write) */
} cli_struct_cmd_t;

enum { CLI_STRUCT_GO = -1 };

/* Parse argv into o (own options) and sel (shared ones). Returns CLI_STRUCT_GO with *store set, or
 * the exit status to return (0 after --help, 2 on a usage error: message printed). *flags gets the
 * store's open flags (read-only unless the command writes). */
int cli_struct_parse(const cli_struct_cmd_t *c, int argc, char **argv, void *o, bcms_structure_sel_t *sel,
                     int *flags, const char **store);

/* Open the store, run(st, o, stats), close; 0, or 1 with the error printed. */
int cli_struct_run(const char *cmd, const char *store, int flags,
                   int (*run)(bcms_store_t *st, const void *o, uint64_t *stats), const void *o, uint64_t *stats);

#endif
