/* cli_blas.c: pick OpenBLAS' kernels for CPUs newer than the installed OpenBLAS (see cli.h).
 * GPL-3.0-or-later.
 *
 * A DYNAMIC_ARCH OpenBLAS chooses its kernels once, when it is loaded, from the CPU model; a model
 * it does not know (Debian 12's 0.3.21 on Sapphire/Emerald Rapids) falls back to the SSE3
 * "Prescott" kernels, several times slower in dgemm than the AVX2/AVX-512 ones the CPU has. The
 * choice can only be overridden through OPENBLAS_CORETYPE before the library loads, so bcms sets it
 * and executes itself again, once, for the commands whose time is in dgemm (pca, grm, the LMM scan):
 * a second start costs tens of milliseconds, which short commands run by the thousand (tests,
 * scripts) should not pay. Results do not change beyond rounding of the BLAS products (the same
 * kernels run at every thread count, so thread-count invariance holds). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blas_load.h"
#include "cli.h"

/* pca, grm, assoc --model lmm */
static int uses_dgemm(char **argv)
{
    if (!argv[0] || !argv[1]) return 0;
    if (!strcmp(argv[1], "pca") || !strcmp(argv[1], "grm")) return 1;
    if (strcmp(argv[1], "assoc")) return 0;
    for (int i = 2; argv[i]; i++)
        if (!strcmp(argv[i], "--model=lmm") || (!strcmp(argv[i], "--model") && argv[i + 1] && !strcmp(argv[i + 1], "lmm")))
            return 1;
    return 0;
}

static void kernels_pick(char **argv)
{
    const char *core;
    if (getenv("OPENBLAS_CORETYPE") || getenv("BCMS_BLAS_KEEP") || !uses_dgemm(argv)) return;
    core = bcms_blas_corename(); /* opens OpenBLAS if it is opened on first use (blas_load.c) */
    if (!core || strcasecmp(core, "prescott")) return;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) core = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) core = "Haswell";
    else return;
    if (setenv("OPENBLAS_CORETYPE", core, 1)) return;
    execv("/proc/self/exe", argv); /* on failure: carry on with the kernels we have */
    unsetenv("OPENBLAS_CORETYPE");
}

void cli_blas_init(char **argv)
{
    kernels_pick(argv);
    bcms_blas_single(); /* if OpenBLAS is loaded already (linked): one thread, its pool stopped */
}
