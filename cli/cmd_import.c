/* cmd_import.c: bcms import STORE FILE... [--cohort NAME] [--threads N] [--force] [--same-samples]
 * [--iid-prefix P] [--memory MB] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <htslib/hts.h>

#include "cli.h"
#include "codec.h"
#include "err.h"
#include "store.h"
#include "vcf_import.h"
#include "vcf_stage.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms import STORE FILE.vcf[.gz]|FILE.bcf... [options]\n"
                "Import VCF/BCF files into STORE (created if absent) as one new dataset. All or nothing:\n"
                "a bad record leaves the store exactly as it was. Several files (e.g. one per chromosome)\n"
                "must have the same samples in the same order, and a contig's records must be in one file.\n\n"
                "Options:\n"
                "  --cohort NAME     dataset name (default: first file name without extensions)\n"
                "  --same-samples    sample names already in another dataset are the same people\n"
                "                    (implied for the same cohort name with exactly the same sample list)\n"
                "  --iid-prefix P    prefix every sample name with P (different people, same IDs)\n"
                "  --threads N       worker threads (default: OMP_NUM_THREADS if set, else all cores)\n"
                "  --force           import even if this file was imported before\n"
                "  --codec C         compression of the blocks: zstd (default in a new store) or deflate\n"
                "                    (the only one of a store of format 2, made by an older bcms, which\n"
                "                    keeps it so that the older bcms still reads it)\n"
                "  --level N         compression level: zstd 1..19 (default 3), deflate 1..12 (default 4)\n"
                "  --memory MB       cap of the import's workspace: the input in flight (two batches of\n"
                "                    blocks) and the frames of a commit (as plink2 --memory; default: a\n"
                "                    block's input per thread per batch, commits of 2 MB). Floor: one block\n"
                "                    per batch and per commit (~8 MB at 100 samples, ~35 MB from 1,000 on);\n"
                "                    a smaller value gives that. The store does not depend on it\n"
                "  -q, --quiet       no progress lines\n");
}

static void progress(const bcms_import_progress_t *p, int final, void *ud)
{
    int tty = *(int *)ud;
    double rate = p->seconds > 0 ? p->records / p->seconds : 0;
    double frac = p->bytes_total ? (double)p->bytes_done / p->bytes_total : 0;
    double eta = frac > 0.001 ? p->seconds * (1 - frac) / frac : 0;
    if (tty)
        fprintf(stderr, "\r[bcms import] %llu records, %llu rows, %.0f records/s, %.0f%%, ETA %.0fs   %s",
                (unsigned long long)p->records, (unsigned long long)p->rows, rate, 100 * frac, final ? 0 : eta,
                final ? "\n" : "");
    else if (final || (int)p->seconds % 10 == 0)
        fprintf(stderr, "[bcms import] %llu records, %llu rows, %.0f records/s, %.0f%% of input read, %.1fs\n",
                (unsigned long long)p->records, (unsigned long long)p->rows, rate, 100 * frac, p->seconds);
}

/* Remove the files a failed first import created (only LMDB's two files, then the directory if
 * this command made it and it is empty). */
static void remove_new_store(const char *dir, int made_dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    if (made_dir) rmdir(dir);
}

int cmd_import(int argc, char **argv)
{
    static const struct option lo[] = {{"cohort", required_argument, 0, 'c'}, {"threads", required_argument, 0, 't'},
                                       {"force", no_argument, 0, 'f'},        {"level", required_argument, 0, 'l'},
                                       {"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
                                       {"same-samples", no_argument, 0, 'S'}, {"iid-prefix", required_argument, 0, 'P'},
                                       {"memory", required_argument, 0, 'M'}, {"codec", required_argument, 0, 'C'},
                                       {0, 0, 0, 0}};
    bcms_import_opts_t o;
    bcms_import_stats_t stats;
    bcms_store_t *st = NULL;
    char *cmdline;
    struct stat sb;
    int c, rc, quiet = 0, tty = isatty(2), store_existed;

    bcms_import_opts_init(&o);
    o.threads = cli_parse_threads(NULL);
    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "c:t:fl:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'c': o.cohort = optarg; break;
        case 't':
            if ((o.threads = cli_parse_threads(optarg)) < 1) return cli_usage_error("import", "bad --threads '%s'", optarg);
            break;
        case 'f': o.force = 1; break;
        case 'l': {
            char *end;
            const long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 99) /* each codec's range: bcms_import_opts_check */
                return cli_usage_error("import", "bad --level '%s' (zstd 1..19, deflate 1..12)", optarg);
            o.level = (int)v;
            break;
        }
        case 'C':
            if (!strcmp(optarg, "zstd")) o.codec = BCMS_CODEC_ZSTD;
            else if (!strcmp(optarg, "deflate")) o.codec = BCMS_CODEC_DEFLATE;
            else return cli_usage_error("import", "bad --codec '%s' (zstd or deflate)", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'M':
            if ((rc = cli_parse_memory("import", optarg, &o.memory_mb))) return rc;
            break;
        case 'S': o.same_samples = 1; break;
        case 'P':
            if (!*optarg || strpbrk(optarg, " \t\n")) return cli_usage_error("import", "bad --iid-prefix '%s'", optarg);
            o.iid_prefix = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind < 2) return cli_usage_error("import", "expected STORE and FILE... (see bcms import --help)");
    if (o.same_samples && o.iid_prefix)
        return cli_usage_error("import", "--same-samples and --iid-prefix exclude each other");
    if ((rc = bcms_import_opts_check(&o))) return cli_fail("import", rc);
    if (!quiet) {
        o.progress = progress;
        o.progress_ud = &tty;
    }
    cmdline = cli_command_line();
    o.command = cmdline;
    hts_set_log_level(getenv("BCMS_DEBUG") ? HTS_LOG_WARNING : HTS_LOG_OFF);
    /* the import lock (an flock on the store directory) from before the store exists: imports into
     * one store run one after another, and a failed first import removes only the store it made */
    const char *path = argv[optind];
    int made_dir = 0, lock_fd = -1;
    for (int tries = 0; tries < 100; tries++) {
        struct stat a, b;
        if (mkdir(path, 0700) == 0) made_dir = 1;
        if ((rc = vcf_stage_lock_dir(path, &lock_fd))) {
            free(cmdline);
            return cli_fail("import", rc);
        }
        if (lock_fd < 0 || (!fstat(lock_fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino))
            break;
        /* the directory went while this import waited (another's failed first import): again */
        vcf_stage_unlock(lock_fd);
        lock_fd = -1, made_dir = 0;
    }
    {
        char df[4096];
        snprintf(df, sizeof df, "%s/data.mdb", path);
        /* under the lock: whoever made the directory, a data.mdb there is another import's store */
        store_existed = stat(df, &sb) == 0 ? 2 : made_dir || stat(path, &sb) != 0 ? 0 : 1;
    }
    o.locked = lock_fd >= 0;
    if ((rc = bcms_store_open(path, BCMS_STORE_CREATE, &st))) {
        if (store_existed < 2) remove_new_store(path, made_dir);
        vcf_stage_unlock(lock_fd);
        free(cmdline);
        return cli_fail("import", rc);
    }
    rc = bcms_import(st, (const char *const *)argv + optind + 1, argc - optind - 1, &o, &stats);
    bcms_store_close(st);
    free(cmdline);
    /* a failed first import leaves no empty store behind (removed under the lock) */
    if (rc && store_existed < 2) remove_new_store(path, made_dir);
    vcf_stage_unlock(lock_fd);
    if (rc) return cli_fail("import", rc);
    if (stats.shared_with >= 0)
        fprintf(stderr, "[bcms import] dataset %u has the samples of dataset %lld (the same people)\n", stats.dataset_id,
                (long long)stats.shared_with);
    fprintf(stderr, "[bcms import] dataset %u: %u file%s, %u samples (%u new), %llu records -> %llu biallelic rows "
                    "(%llu multi-allelic records split), %.1f MB stored, %.2fs\n",
            stats.dataset_id, stats.nfiles, stats.nfiles == 1 ? "" : "s", stats.nsamples, stats.new_samples,
            (unsigned long long)stats.records,
            (unsigned long long)stats.rows, (unsigned long long)stats.split_records, stats.stored_bytes / 1e6,
            stats.seconds);
    return 0;
}
