/* cmd_assoc.c: bcms assoc STORE --model linear|logistic|cox ... -o OUT, and bcms merge. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assoc.h"
#include "cli.h"
#include "err.h"
#include "store.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: bcms assoc STORE --model linear|logistic|cox [options] -o OUT\n"
            "Scan every selected variant against phenotypes (or a time-to-event endpoint) with covariates.\n\n"
            "Model:\n"
            "  --model M             linear, logistic (Wald, Firth fallback), cox (prognosis) or lmm (exact\n"
            "                        mixed model as GEMMA -lmm 4: Wald, LRT, score; needs a stored GRM)\n"
            "  --grm NAME            lmm: the GRM stored by bcms grm [default]\n"
            "  --loco                lmm: leave one chromosome out: chromosome c's variants are tested with the\n"
            "                        GRM of every other chromosome's variants (one eigendecomposition each)\n"
            "  --pheno A[,B...]      phenotype column(s) (linear, logistic); also --pheno-name (PLINK 2)\n"
            "  --covar A,B,...       covariates; categorical ones become indicators; 'cohort' = dataset;\n"
            "                        also --covar-name (PLINK 2)\n"
            "  --pheno-file F        PLINK 2 style table (#IID or #FID IID header) read directly\n"
            "  --covar-file F        likewise for covariates (columns not found there come from the store)\n"
            "  --decimal-comma       the numbers of those files are written with a decimal comma (6,14)\n"
            "  --time T --event E    Cox endpoint: time and event (1) / censored (0) columns\n"
            "  --entry S             Cox: entry time column (left truncation)\n"
            "  --strata C            Cox: stratify the baseline hazard by this column\n"
            "  --cox-fit-p P         Cox: full Newton fit below this score p (default 1e-4)\n"
            "  --offset COL          logistic, cox: a numeric column added to the linear predictor (R's offset)\n"
            "  --loco-pred           logistic, cox: offsets from out-of-sample LOCO polygenic predictions\n"
            "                        (cross-validated BLUP of the trait from the other autosomes; put PCs in --covar)\n"
            "  --loco-folds K        their cross-validation folds [5]; 0 = in-sample BLUP (over-corrects)\n"
            "  --loco-shrink S       offset = S x the prediction on the model's scale [logistic 0.5: relatives'\n"
            "                        residuals uncorrelated; cox 0.75, calibrated on simulated families; 1 = the\n"
            "                        whole prediction, as REGENIE: over-corrects in families]\n"
            "  --loco-pred-out F     write the predictions (#IID LOCO_1.. ALL, a #SCALE row)\n"
            "  --loco-pred-file F    --loco-pred with the predictions an earlier --loco-pred-out wrote for this\n"
            "                        trait (chunks of one scan compute them once)\n"
            "  --hard-calls          ignore stored dosages\n"
            "  --by-cohort           one scan per cohort in one pass; OUT.COHORT.tsv each (for bcms meta)\n"
            "  --xchr-model 0|1|2    chrX outside the PARs, as PLINK 2: 2 (default) males coded 0/2, 1 males\n"
            "                        0/1, both with sex as a covariate (unknown sex left out); 0 skips chrX\n"
            "  --no-x-sex            no sex covariate on chrX (samples of unknown sex stay in)\n"
            "Selection:\n"
            "  --cohorts A,B         datasets to pool (ids or cohort names; default all)\n"
            "  -r, --regions LIST    CHR, CHR:BEG-END, comma-separated\n"
            "  --maf X --mac N --geno X --hwe P   site filters, in each cohort that has the variant\n"
            "  --chunk k/n           part k of n equal parts of the variant list (for schedulers)\n"
            "  --resume              resumable run: checkpoints in OUT.partial*; rerun the same command to continue\n"
            "%s"
            "Output:\n"
            "  -o, --out FILE        output TSV (BGZF when it ends in .gz; - for stdout); summary in FILE.log\n"
            "  --format tsv|gwas-ssf  gwas-ssf: the GWAS Catalog standard v1.0, one FILE per phenotype + FILE-meta.yaml\n"
            "  --ssf-meta KEY=VALUE  GWAS-SSF metadata bcms cannot know (genome_assembly, genotyping_technology,\n"
            "                        sample_ancestry_category are required; lists separated by ';'); repeatable\n"
            "  --ci                  95%% confidence interval of BETA (L95 U95; OR/HR bounds for logistic/cox)\n"
            "  --threads N           default: OMP_NUM_THREADS if set, else all cores\n"
            "  --no-lock             open the store without LMDB's lock file (read-only shared filesystems\n"
            "                        where no import runs at the same time)\n",
            cli_select_help);
}

static int parse_double(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *end || end == s ? -1 : 0;
}

int cmd_assoc(int argc, char **argv)
{
    enum { O_MODEL = 256, O_PHENO, O_COVAR, O_PFILE, O_CFILE, O_TIME, O_EVENT, O_ENTRY, O_STRATA, O_FITP, O_HARD,
           O_COHORTS, O_MAF, O_MAC, O_GENO, O_HWE, O_CHUNK, O_FORMAT, O_THREADS, O_HELP, O_NOLOCK, O_RESUME, O_DCOMMA, O_CI, O_SSFMETA, O_BYCOH, O_GRM, O_LMMLOCO,
           O_XCHR, O_NOXSEX, O_OFFSET, O_LOCO, O_LOCOK, O_LOCOOUT, O_LOCOS, O_LOCOIN };
    static const struct option lo[] = {
        {"model", required_argument, 0, O_MODEL},     {"pheno", required_argument, 0, O_PHENO},
        {"covar", required_argument, 0, O_COVAR},     {"pheno-file", required_argument, 0, O_PFILE},
        {"covar-file", required_argument, 0, O_CFILE}, {"time", required_argument, 0, O_TIME},
        {"event", required_argument, 0, O_EVENT},     {"entry", required_argument, 0, O_ENTRY},
        {"strata", required_argument, 0, O_STRATA},   {"cox-fit-p", required_argument, 0, O_FITP},
        {"hard-calls", no_argument, 0, O_HARD},       {"cohorts", required_argument, 0, O_COHORTS},
        {"regions", required_argument, 0, 'r'},       {"maf", required_argument, 0, O_MAF},
        {"mac", required_argument, 0, O_MAC},         {"geno", required_argument, 0, O_GENO},
        {"hwe", required_argument, 0, O_HWE},         {"chunk", required_argument, 0, O_CHUNK},
        {"out", required_argument, 0, 'o'},           {"format", required_argument, 0, O_FORMAT},
        {"threads", required_argument, 0, O_THREADS}, {"help", no_argument, 0, O_HELP},
        {"no-lock", no_argument, 0, O_NOLOCK},         {"resume", no_argument, 0, O_RESUME},
        {"pheno-name", required_argument, 0, O_PHENO}, {"covar-name", required_argument, 0, O_COVAR},
        {"decimal-comma", no_argument, 0, O_DCOMMA},
        {"ci", no_argument, 0, O_CI},
        {"ssf-meta", required_argument, 0, O_SSFMETA},
        {"by-cohort", no_argument, 0, O_BYCOH},
        CLI_SELECT_LISTS,
        {"grm", required_argument, 0, O_GRM}, {"loco", no_argument, 0, O_LMMLOCO},
        {"xchr-model", required_argument, 0, O_XCHR}, {"no-x-sex", no_argument, 0, O_NOXSEX},
        {"offset", required_argument, 0, O_OFFSET},  {"loco-pred", no_argument, 0, O_LOCO},
        {"loco-folds", required_argument, 0, O_LOCOK}, {"loco-pred-out", required_argument, 0, O_LOCOOUT},
        {"loco-pred-file", required_argument, 0, O_LOCOIN},
        {"loco-shrink", required_argument, 0, O_LOCOS},
        {0, 0, 0, 0}};
    bcms_assoc_opts_t o;
    bcms_assoc_stats_t stats;
    bcms_store_t *st;
    char *cmd;
    int c, rc, so, open_flags = BCMS_STORE_RDONLY;
    double x;
    const char *meta[64];
    int consumed = 0;
    bcms_assoc_opts_init(&o);
    o.threads = cli_parse_threads(NULL);
    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "r:o:", lo, NULL)) != -1) {
        switch (c) {
        case O_MODEL:
            if (!strcmp(optarg, "linear")) o.model = BCMS_MODEL_LINEAR;
            else if (!strcmp(optarg, "logistic")) o.model = BCMS_MODEL_LOGISTIC;
            else if (!strcmp(optarg, "cox")) o.model = BCMS_MODEL_COX;
            else if (!strcmp(optarg, "lmm")) o.model = BCMS_MODEL_LMM;
            else return cli_usage_error("assoc", "--model must be linear, logistic, cox or lmm, not '%s'", optarg);
            break;
        case O_PHENO: o.pheno = optarg; break;
        case O_COVAR: o.covar = optarg; break;
        case O_PFILE: o.pheno_file = optarg; break;
        case O_CFILE: o.covar_file = optarg; break;
        case O_TIME: o.time = optarg; break;
        case O_EVENT: o.event = optarg; break;
        case O_ENTRY: o.entry = optarg; break;
        case O_STRATA: o.strata = optarg; break;
        case O_FITP:
            if (parse_double(optarg, &o.cox_fit_p)) return cli_usage_error("assoc", "bad --cox-fit-p '%s'", optarg);
            break;
        case O_HARD: o.use_dosages = 0; break;
        case O_BYCOH: o.by_cohort = 1; break;
        case O_COHORTS: o.sel.cohorts = optarg; break;
        case 'r': o.sel.regions = optarg; break;
        case O_MAF:
            if (parse_double(optarg, &o.sel.maf_min)) return cli_usage_error("assoc", "bad --maf '%s'", optarg);
            break;
        case O_MAC:
            if (parse_double(optarg, &x) || x < 0) return cli_usage_error("assoc", "bad --mac '%s'", optarg);
            o.sel.mac_min = (uint32_t)x;
            break;
        case O_GENO:
            if (parse_double(optarg, &o.sel.geno_max)) return cli_usage_error("assoc", "bad --geno '%s'", optarg);
            break;
        case O_HWE:
            if (parse_double(optarg, &o.sel.hwe_min)) return cli_usage_error("assoc", "bad --hwe '%s'", optarg);
            break;
        case O_CHUNK:
            if (sscanf(optarg, "%d/%d%n", &o.sel.chunk_k, &o.sel.chunk_n, &consumed) != 2 || optarg[consumed] ||
                strspn(optarg, "0123456789/") != strlen(optarg) || o.sel.chunk_k < 1 || o.sel.chunk_k > o.sel.chunk_n)
                return cli_usage_error("assoc", "--chunk needs k/n with 1 <= k <= n, not '%s'", optarg);
            break;
        case 'o': o.out = optarg; break;
        case O_FORMAT:
            if (!strcmp(optarg, "tsv")) o.format = BCMS_OUT_TSV;
            else if (!strcmp(optarg, "gwas-ssf")) o.format = BCMS_OUT_GWAS_SSF;
            else return cli_usage_error("assoc", "--format must be tsv or gwas-ssf");
            break;
        case O_THREADS:
            if ((o.threads = cli_parse_threads(optarg)) < 1) return cli_usage_error("assoc", "bad --threads");
            break;
        case O_NOLOCK: open_flags |= BCMS_STORE_NOLOCK; break;
        case O_RESUME: o.resume = 1; break;
        case O_DCOMMA: o.decimal_comma = 1; break;
        case O_CI: o.ci = 1; break;
        case O_SSFMETA:
            if (o.n_ssf_meta == (int)(sizeof meta / sizeof *meta))
                return cli_usage_error("assoc", "more than %d --ssf-meta entries", o.n_ssf_meta);
            meta[o.n_ssf_meta++] = optarg;
            o.ssf_meta = meta;
            break;
        case O_GRM: o.grm = optarg; break;
        case O_LMMLOCO: o.loco = 1; break;
        case O_XCHR:
            if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '2')
                return cli_usage_error("assoc", "--xchr-model must be 0, 1 or 2, not '%s'", optarg);
            o.xchr_model = optarg[0] - '0';
            break;
        case O_NOXSEX: o.no_x_sex = 1; break;
        case O_OFFSET: o.offset = optarg; break;
        case O_LOCO: o.loco_pred = 1; break;
        case O_LOCOK:
            if (parse_double(optarg, &x) || x != (int)x) return cli_usage_error("assoc", "bad --loco-folds '%s'", optarg);
            o.loco_folds = (int)x;
            break;
        case O_LOCOOUT: o.loco_out = optarg; break;
        case O_LOCOIN: o.loco_in = optarg, o.loco_pred = 1; break;
        case O_LOCOS:
            if (parse_double(optarg, &o.loco_shrink) || !(o.loco_shrink > 0 && o.loco_shrink <= 1))
                return cli_usage_error("assoc", "bad --loco-shrink '%s' (a number in (0, 1])", optarg);
            break;
        case O_HELP: usage(stdout); return 0;
        default:
            if ((so = cli_select_option("assoc", c, optarg, &o.sel)) > 0) break;
            if (so < 0) return 2;
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error("assoc", "expected one STORE (see bcms assoc --help)");
    o.sel.threads = o.threads;
    if ((rc = bcms_assoc_opts_check(&o))) return cli_fail("assoc", rc);
    if ((rc = bcms_store_open(argv[optind], open_flags, &st))) return cli_fail("assoc", rc);
    cmd = cli_command_line();
    o.command = cmd;
    rc = bcms_assoc_run(st, &o, &stats);
    free(cmd);
    bcms_store_close(st);
    return rc ? cli_fail("assoc", rc) : 0;
}

int cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    int c, rc;
    if (argc == 1) {
        fprintf(stderr, "Usage: bcms merge -o OUT CHUNK1 CHUNK2 ...\nConcatenate the outputs of `bcms assoc --chunk "
                        "k/n` runs, checking that every chunk is present and complete.\n");
        return 2;
    }
    optind = 1;
    while ((c = getopt(argc, argv, "o:")) != -1) {
        if (c == 'o') out = optarg;
        else return 2;
    }
    if (!out || optind >= argc) return cli_usage_error("merge", "expected -o OUT and the chunk files");
    rc = bcms_assoc_merge((const char *const *)argv + optind, argc - optind, out);
    return rc ? cli_fail("merge", rc) : 0;
}
