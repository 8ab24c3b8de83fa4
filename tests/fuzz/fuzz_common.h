/* fuzz_common.h: what the fuzz harnesses share: a scratch folder per process, writing an input to
 * a file, removing a store, quiet libraries, and how a finding that is not a crash is reported.
 *
 * A harness is a libFuzzer entry point, LLVMFuzzerTestOneInput. Built with clang -fsanitize=fuzzer
 * it is a fuzzer; linked with replay_main.c (any compiler) it replays files and folders given on the
 * command line, which is how the test suite runs the seed corpora and ../shared/reliability-cases/.
 * A crash, a sanitizer report or a hang is a finding by itself. A "silent acceptance" (input taken
 * although htslib refuses it, or stored but then unreadable) is printed as a line starting with
 * "bcms-fuzz: SILENT" and, with BCMS_FUZZ_STRICT=1 in the environment, aborts so that libFuzzer
 * keeps the input. */
#ifndef BCMS_FUZZ_COMMON_H
#define BCMS_FUZZ_COMMON_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <htslib/hts.h>

#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[4096];

/* The process's scratch folder (created once; removed by nobody: it is under $TMPDIR). */
static inline const char *fuzz_scratch(void)
{
    if (!fuzz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/bcms-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fuzz_dir)) abort();
        hts_set_log_level(HTS_LOG_OFF);
        bcms_log_set(NULL, NULL, 0);
    }
    return fuzz_dir;
}

static inline void fuzz_path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", fuzz_scratch(), name); }

static inline void fuzz_write(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || (n && fwrite(p, 1, n, fp) != n) || fclose(fp)) abort();
}

/* A store folder: its files, then the folder. */
static inline void fuzz_rm_store(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char f[4096 + 512];
    if (!d) return;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(f, sizeof f, "%s/%s", path, e->d_name);
            unlink(f);
        }
    closedir(d);
    rmdir(path);
}

static unsigned long fuzz_silent_count;
static const uint8_t *fuzz_cur;
static size_t fuzz_cur_n;

/* The input being run (for fuzz_silent to save it). */
static inline void fuzz_begin(const uint8_t *data, size_t size)
{
    fuzz_cur = data;
    fuzz_cur_n = size;
}

/* With BCMS_FUZZ_SAVE_DIR set, a silently accepted input is kept there as silent-HASH (one file per
 * distinct input), so a campaign can count and show them. */
static inline void fuzz_save_silent(void)
{
    const char *dir = getenv("BCMS_FUZZ_SAVE_DIR");
    char path[4200];
    uint64_t h = 1469598103934665603ull;
    if (!dir || !*dir || !fuzz_cur) return;
    for (size_t i = 0; i < fuzz_cur_n; i++) h = (h ^ fuzz_cur[i]) * 1099511628211ull;
    snprintf(path, sizeof path, "%s/silent-%016llx", dir, (unsigned long long)h);
    fuzz_write(path, fuzz_cur, fuzz_cur_n);
}

static void fuzz_silent_total(void)
{
    if (fuzz_silent_count > 20) fprintf(stderr, "bcms-fuzz: %lu silent acceptances in all\n", fuzz_silent_count);
}

/* The first 20 are printed (a fuzzer meets the same one many times), the total at exit. */
static inline void fuzz_silent(const char *what, const char *detail)
{
    if (!fuzz_silent_count++) atexit(fuzz_silent_total);
    if (fuzz_silent_count <= 20) fprintf(stderr, "bcms-fuzz: SILENT %s: %s\n", what, detail);
    fuzz_save_silent();
    if (getenv("BCMS_FUZZ_STRICT") && !strcmp(getenv("BCMS_FUZZ_STRICT"), "1")) abort();
}

#endif
