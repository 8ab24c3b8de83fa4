/* cmd_plot.c: bcms plot manhattan|qq IN -o OUT.png|svg [--title T] [--hits N] [--sig P] [--sugg P]
 *             bcms plot xy IN.tsv -o OUT.png|svg [--log-x] [--log-y] [--xlabel T] [--ylabel T] [--title T] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "plot.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms plot manhattan|qq IN -o OUT.png|OUT.svg [options]\n"
                "       bcms plot xy IN.tsv -o OUT.png|OUT.svg [--log-x] [--log-y] [--xlabel T] [--ylabel T]\n"
                "Manhattan or QQ plot of a bcms assoc table (any model), a PLINK 2 .glm.* file, a REGENIE .regenie\n"
                "file or a GWAS-SSF table (plain or gzip; the format is read from the header). -log10 p columns are\n"
                "preferred to P; rows with p NA are skipped and counted.\n"
                "xy: one line with markers per series of a tab-separated table with the header 'series x y' (rows with\n"
                "NA skipped and counted), with a legend; log axes have ticks at decades (1,000 10k 100k 1M).\n\n"
                "Options:\n"
                "  -o, --output FILE   the image; .png or .svg chooses the format\n"
                "      --title TEXT    a title over the plot\n"
                "      --hits N        Manhattan: label the best variant of at most N loci below --sugg (default 5; 0: none)\n"
                "      --sig P         Manhattan: genome-wide line (default 5e-8; 0: none)\n"
                "      --sugg P        Manhattan: suggestive line (default 1e-5; 0: none)\n"
                "      --pheno NAME    the rows of one phenotype (PHENO column of a multi-phenotype scan)\n"
                "      --test NAME     the rows of one TEST where the table has several (default ADD)\n"
                "      --size WxH      image size in pixels (PNG) or points (SVG); default 1600x640 (Manhattan),\n"
                "                      640x640 (QQ), 900x560 (xy)\n"
                "      --log-x, --log-y  xy: log10 axis (every value on it must be > 0)\n"
                "      --xlabel TEXT, --ylabel TEXT  xy: axis titles (default x, y)\n");
}

static int parse_p(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end == s || *end || !(*v >= 0 && *v < 1) ? -1 : 0;
}

int cmd_plot(int argc, char **argv)
{
    enum { O_TITLE = 256, O_HITS, O_SIG, O_SUGG, O_PHENO, O_TEST, O_SIZE, O_LOGX, O_LOGY, O_XLAB, O_YLAB };
    static const struct option lo[] = {{"output", required_argument, 0, 'o'}, {"title", required_argument, 0, O_TITLE},
                                       {"hits", required_argument, 0, O_HITS}, {"sig", required_argument, 0, O_SIG},
                                       {"sugg", required_argument, 0, O_SUGG}, {"pheno", required_argument, 0, O_PHENO},
                                       {"test", required_argument, 0, O_TEST}, {"size", required_argument, 0, O_SIZE},
                                       {"log-x", no_argument, 0, O_LOGX},      {"log-y", no_argument, 0, O_LOGY},
                                       {"xlabel", required_argument, 0, O_XLAB}, {"ylabel", required_argument, 0, O_YLAB},
                                       {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    bcms_plot_opts_t o;
    bcms_plot_stats_t st;
    char *end;
    int c, rc;
    bcms_plot_opts_init(&o);
    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_TITLE: o.title = optarg; break;
        case O_HITS:
            o.hits = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || o.hits < 0 || o.hits > 64)
                return cli_usage_error("plot", "--hits '%s': give 0 to 64", optarg);
            break;
        case O_SIG:
            if (parse_p(optarg, &o.sig)) return cli_usage_error("plot", "--sig '%s': give a p-value in [0, 1)", optarg);
            break;
        case O_SUGG:
            if (parse_p(optarg, &o.sugg)) return cli_usage_error("plot", "--sugg '%s': give a p-value in [0, 1)", optarg);
            break;
        case O_PHENO: o.pheno = optarg; break;
        case O_TEST: o.test = optarg; break;
        case O_SIZE:
            if (sscanf(optarg, "%dx%d%c", &o.width, &o.height, (char[1]){0}) != 2)
                return cli_usage_error("plot", "--size '%s': give WIDTHxHEIGHT, e.g. 1600x640", optarg);
            break;
        case O_LOGX: o.log_x = 1; break;
        case O_LOGY: o.log_y = 1; break;
        case O_XLAB: o.xlabel = optarg; break;
        case O_YLAB: o.ylabel = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 2) return cli_usage_error("plot", "expected the plot kind (manhattan, qq or xy) and one IN table");
    if (!strcmp(argv[optind], "manhattan")) o.kind = BCMS_PLOT_MANHATTAN;
    else if (!strcmp(argv[optind], "qq")) o.kind = BCMS_PLOT_QQ;
    else if (!strcmp(argv[optind], "xy")) o.kind = BCMS_PLOT_XY;
    else return cli_usage_error("plot", "unknown plot '%s': manhattan, qq or xy", argv[optind]);
    if (o.kind != BCMS_PLOT_XY && (o.log_x || o.log_y || o.xlabel || o.ylabel))
        return cli_usage_error("plot", "--log-x, --log-y, --xlabel and --ylabel are options of plot xy");
    o.in = argv[optind + 1];
    if (!o.out) return cli_usage_error("plot", "-o OUT.png or OUT.svg is required");
    rc = bcms_plot(&o, &st);
    bcms_plot_cleanup();
    if (rc) return cli_fail("plot", rc);
    if (o.kind == BCMS_PLOT_XY)
        fprintf(stderr, "bcms plot: xy of %llu points in %d series (%llu rows with NA skipped) -> %s\n",
                (unsigned long long)st.used, st.nseries, (unsigned long long)st.na, o.out);
    else if (o.kind == BCMS_PLOT_QQ)
        fprintf(stderr, "bcms plot: qq of %llu p-values (%s table), lambda GC = %.4f, %llu points drawn -> %s\n",
                (unsigned long long)st.used, st.format, st.lambda_gc, (unsigned long long)st.drawn, o.out);
    else
        fprintf(stderr, "bcms plot: manhattan of %llu p-values (%s table), %d chromosomes, %d loci labelled, "
                "%llu points drawn -> %s\n", (unsigned long long)st.used, st.format, st.nchrom, st.nlabels,
                (unsigned long long)st.drawn, o.out);
    return 0;
}
