/* cmd_info.c: bcms info STORE: datasets, samples, variants, contigs, size on disk. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dataset.h"
#include "err.h"
#include "store.h"
#include "vcf_stage.h"

static uint64_t dir_bytes(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    uint64_t n = 0;
    char buf[4096];
    struct stat sb;
    if (!d) return 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(buf, sizeof buf, "%s/%s", path, e->d_name);
        /* allocated blocks, not the apparent size: LMDB files are sparse */
        if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) n += (uint64_t)sb.st_blocks * 512;
    }
    closedir(d);
    return n;
}

/* Datasets holding some of the same samples (the same people: a cohort imported per chromosome,
 * or --same-samples): one line per pair. Readers combine them; nothing is ever merged silently. */
static void print_shared(const bcms_dataset_t *ds, int n)
{
    uint32_t maxs = 0;
    for (int i = 0; i < n; i++)
        for (uint32_t k = 0; k < ds[i].nsamples; k++)
            if (ds[i].samples[k] + 1 > maxs) maxs = ds[i].samples[k] + 1;
    uint8_t *mark = calloc(maxs + 1, 1);
    if (!mark) return;
    for (int i = 0; i < n; i++) {
        for (uint32_t k = 0; k < ds[i].nsamples; k++) mark[ds[i].samples[k]] = 1;
        for (int j = i + 1; j < n; j++) {
            uint32_t common = 0;
            for (uint32_t k = 0; k < ds[j].nsamples; k++) common += mark[ds[j].samples[k]];
            if (common)
                printf("shared_samples\t%u\t%u\t%u\t(%s, %s)\n", ds[i].id, ds[j].id, common, ds[i].cohort,
                       ds[j].cohort);
        }
        for (uint32_t k = 0; k < ds[i].nsamples; k++) mark[ds[i].samples[k]] = 0;
    }
    free(mark);
}

/* blocks of an import that did not finish (killed): invisible, removed by the next import */
static int print_unfinished(uint32_t id, const char *what, size_t len, void *ud)
{
    (void)ud;
    printf("unfinished_import\t%u\t%.*s\t(its blocks are not part of the store; the next import removes them)\n",
           id, (int)len, what);
    return 0;
}

int cmd_info(int argc, char **argv)
{
    bcms_store_t *st;
    MDB_txn *txn;
    bcms_dataset_t *ds;
    MDB_stat ms;
    int n, rc;
    uint64_t rows = 0, gt_bytes = 0, geno = 0;
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(argc == 2 ? stdout : stderr, "Usage: bcms info STORE\nSummarise a store: datasets, samples, "
                "variants, contigs, size on disk, bytes per genotype.\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    if ((rc = bcms_store_open(argv[1], BCMS_STORE_RDONLY, &st))) return cli_fail("info", rc);
    if ((rc = bcms_txn_begin(st, 1, &txn))) {
        bcms_store_close(st);
        return cli_fail("info", rc);
    }
    if ((rc = bcms_dataset_list(st, txn, &ds, &n))) {
        mdb_txn_abort(txn);
        bcms_store_close(st);
        return cli_fail("info", rc);
    }
    char *created = bcms_meta_get_str(st, txn, "created_by"), *at = bcms_meta_get_str(st, txn, "created_at");
    mdb_stat(txn, bcms_store_dbi(st, DBI_SAMPLES), &ms);
    {
        /* the version the store says it has (open already refused an unknown major) */
        MDB_val k = {6, "format"}, v;
        unsigned maj = 0, mnr = 0;
        if (!bcms_mdb_get(st, txn, DBI_META, &k, &v) && v.mv_size == 8) {
            const unsigned char *b = v.mv_data;
            maj = (unsigned)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
            mnr = (unsigned)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7];
        }
        printf("store\t%s\nformat\t%u.%u\ncreated\t%s by %s\nsamples\t%zu\ndatasets\t%d\n", argv[1], maj, mnr,
               at ? at : "?", created ? created : "?", ms.ms_entries, n);
    }
    free(created);
    free(at);
    for (int i = 0; i < n; i++) {
        bcms_dataset_t *d = &ds[i];
        uint64_t b = 0;
        for (uint32_t k = 0; k < d->nblocks; k++) b += d->blocks[k].gt_bytes;
        rows += d->nrows;
        gt_bytes += b;
        geno += d->nrows * d->nsamples;
        printf("dataset\t%u\tcohort=%s\tsamples=%u\trecords=%llu\tvariants=%llu\tblocks=%u\tcontigs=", d->id,
               d->cohort, d->nsamples, (unsigned long long)d->nrecords, (unsigned long long)d->nrows, d->nblocks);
        /* contigs that hold variants, with their variant counts */
        int first = 1;
        for (uint32_t c = 0; c < d->ncontigs; c++) {
            uint64_t nv = 0;
            for (uint32_t k = 0; k < d->nblocks; k++)
                if (d->blocks[k].contig == c) nv += d->blocks[k].nvar;
            if (!nv) continue;
            printf("%s%s:%llu", first ? "" : ",", d->contigs[c].name, (unsigned long long)nv);
            if (strcmp(d->contigs[c].name, d->contigs[c].input_name)) printf("(as %s)", d->contigs[c].input_name);
            first = 0;
        }
        printf("\tphased=%s\tdosages=%s\tgenotype_bytes=%llu\tbits_per_genotype=%.3f\n",
               d->flags & BCMS_DS_HAS_PHASE ? "yes" : "no", d->flags & BCMS_DS_HAS_DS ? "yes" : "no",
               (unsigned long long)b, d->nrows && d->nsamples ? 8.0 * b / ((double)d->nrows * d->nsamples) : 0.0);
        for (uint32_t f = 0; f < d->nsources; f++)
            printf("source\t%u\t%s\tsize=%llu\tfingerprint=%s\timported=%s\t%s\n", d->id, d->sources[f].path,
                   (unsigned long long)d->sources[f].size, d->sources[f].fingerprint, d->imported_at, d->tool);
    }
    print_shared(ds, n);
    if ((rc = vcf_stage_each(st, txn, print_unfinished, NULL))) {
        bcms_dataset_list_free(ds, n);
        mdb_txn_abort(txn);
        bcms_store_close(st);
        return cli_fail("info", rc);
    }
    {
        MDB_stat ps;
        if (!mdb_stat(txn, bcms_store_dbi(st, DBI_PHENO), &ps))
            printf("phenotype_columns\t%zu\t(bcms pheno STORE --list)\n", ps.ms_entries);
    }
    uint64_t disk = dir_bytes(argv[1]);
    printf("variants\t%llu\ngenotypes\t%llu\ndisk_bytes\t%llu\nbytes_per_genotype\t%.4f\n", (unsigned long long)rows,
           (unsigned long long)geno, (unsigned long long)disk, geno ? (double)disk / geno : 0.0);
    bcms_dataset_list_free(ds, n);
    mdb_txn_abort(txn);
    bcms_store_close(st);
    return 0;
}
