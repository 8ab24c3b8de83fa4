/* meta.c: `bcms meta`: the streaming merge of sorted inputs, allele matching, and the run (meta.h).
 * Each input keeps one row of look-ahead; at every step the smallest (chromosome, position) among the
 * look-aheads is the current position, every input's rows at it are gathered (a few at most:
 * multi-allelic sites), matched into variants, and the variants are written. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <htslib/bgzf.h>

#include "bcms_version.h"
#include "err.h"
#include "meta_internal.h"
#include "outfile.h"

typedef struct {
    bcms_ss_reader_t *rd;
    bcms_ss_row_t head;
    int has_head;
    bcms_ss_row_t *grp;      /* rows at the current position */
    int ngrp, mgrp;
    double lambda, gc_factor;
} meta_input_t;

typedef struct {
    const bcms_meta_opts_t *o;
    int nin;
    meta_input_t *in;
    meta_var_t *vars;        /* variants of the current position */
    int nvars, mvars;
    uint64_t *pair_shared, *pair_same; /* per input pair: shared variants, identical numbers */
    bcms_meta_stats_t st;
    double *wb, *wv, *wn;    /* work arrays for the statistics */
    kstring_t line;
    BGZF *out;
} meta_run_t;

void bcms_meta_opts_init(bcms_meta_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->min_studies = 1;
    o->threads = 1;
}

/* A bcms assoc chunk (its summary says chunk k/n, n > 1) holds part of a study: merge the chunks first. */
static int check_not_chunk(const char *path)
{
    char *lp, line[1024];
    int k = 0, n = 0;
    FILE *fp;
    if (asprintf(&lp, "%s.log", path) < 0) return BCMS_ENOMEM;
    fp = fopen(lp, "r");
    free(lp);
    if (!fp) return 0;
    while (fgets(line, sizeof line, fp))
        if (!strncmp(line, "chunk\t", 6)) sscanf(line + 6, "%d/%d", &k, &n);
    fclose(fp);
    if (n > 1)
        return bcms_err(BCMS_EINVAL, "%s is chunk %d/%d of a scan (its .log says so): join the chunks with bcms merge "
                        "and give the merged file", path, k, n);
    return 0;
}

int bcms_meta_opts_check(const bcms_meta_opts_t *o)
{
    int rc;
    struct stat si, sj;
    if (!o->out) return bcms_err(BCMS_EINVAL, "no output file (-o OUT)");
    if (o->ninputs < 1) return bcms_err(BCMS_EINVAL, "no input files");
    if (o->min_studies < 1) return bcms_err(BCMS_EINVAL, "--min-studies must be at least 1");
    for (int i = 0; i < o->ninputs; i++) {
        if (stat(o->inputs[i], &si))
            return bcms_err(BCMS_EIO, "%s: cannot open (%s)", o->inputs[i], strerror(errno));
        if ((rc = check_not_chunk(o->inputs[i]))) return rc;
        for (int j = 0; j < i; j++)
            if (!stat(o->inputs[j], &sj) && si.st_dev == sj.st_dev && si.st_ino == sj.st_ino)
                return bcms_err(BCMS_EINVAL, "%s and %s are the same file: the same study given twice", o->inputs[j],
                                o->inputs[i]);
    }
    return 0;
}

static int input_need(const bcms_meta_opts_t *o)
{
    return o->scheme == BCMS_META_SAMPLESIZE ? BCMS_SS_NEED_N | BCMS_SS_NEED_P : BCMS_SS_NEED_SE;
}

static int input_advance(meta_input_t *in)
{
    int rc = bcms_ss_next(in->rd, &in->head);
    if (rc < 0) return rc;
    in->has_head = rc;
    return 0;
}

/* Move the input's rows at (rank, chrom, pos) into its group. */
static int input_gather(meta_input_t *in, int rank, const char *chrom, int64_t pos)
{
    int rc;
    in->ngrp = 0;
    while (in->has_head && !bcms_ss_key_cmp(in->head.rank, in->head.chrom, in->head.pos, rank, chrom, pos)) {
        if (in->ngrp == in->mgrp) {
            int nm = in->mgrp ? in->mgrp * 2 : 4;
            bcms_ss_row_t *t = realloc(in->grp, sizeof *t * nm);
            if (!t) return BCMS_ENOMEM;
            memset(t + in->mgrp, 0, sizeof *t * (nm - in->mgrp));
            in->grp = t, in->mgrp = nm;
        }
        bcms_ss_row_t tmp = in->grp[in->ngrp];
        in->grp[in->ngrp++] = in->head;
        in->head = tmp;
        if ((rc = input_advance(in))) return rc;
    }
    return 0;
}

static char comp_base(char c)
{
    switch (c) {
    case 'A': return 'T';
    case 'T': return 'A';
    case 'C': return 'G';
    case 'G': return 'C';
    default: return 0;
    }
}

static int is_palindromic(const char *x, const char *y)
{
    return x[0] && !x[1] && y[0] && !y[1] && comp_base(x[0]) == y[0];
}

/* +1 same orientation, -1 swapped, 0 no match; *strand set when matched on the other strand. */
static int allele_match(const char *ea, const char *oa, const char *a1, const char *a2, int *strand)
{
    *strand = 0;
    if (!strcmp(ea, a1) && !strcmp(oa, a2)) return 1;
    if (!strcmp(ea, a2) && !strcmp(oa, a1)) return -1;
    if (!ea[0] || ea[1] || !oa[0] || oa[1] || !a1[0] || a1[1] || !a2[0] || a2[1] || is_palindromic(ea, oa)) return 0;
    char ce = comp_base(ea[0]), co = comp_base(oa[0]);
    if (!ce || !co) return 0;
    *strand = 1;
    if (ce == a1[0] && co == a2[0]) return 1;
    if (ce == a2[0] && co == a1[0]) return -1;
    *strand = 0;
    return 0;
}

static int var_alloc(meta_run_t *m)
{
    if (m->nvars < m->mvars) return 0;
    int nm = m->mvars ? m->mvars * 2 : 4, n = m->nin;
    meta_var_t *t = realloc(m->vars, sizeof *t * nm);
    if (!t) return BCMS_ENOMEM;
    m->vars = t;
    for (int j = m->mvars; j < nm; j++) {
        meta_var_t *v = &t[j];
        memset(v, 0, sizeof *v);
        v->have = calloc(n, 1);
        v->b = malloc(sizeof(double) * 5 * n);
        v->row = calloc(n, sizeof *v->row);
        m->mvars = j + 1;
        if (!v->have || !v->b || !v->row) return BCMS_ENOMEM;
        v->v = v->b + n, v->f = v->b + 2 * n, v->n = v->b + 3 * n, v->z = v->b + 4 * n;
    }
    return 0;
}

/* Put input i's row, oriented by sign (+1/-1), into variant mv. */
static int var_add(meta_run_t *m, meta_var_t *mv, int i, const bcms_ss_row_t *row, int sign)
{
    const meta_input_t *in = &m->in[i];
    if (mv->have[i])
        return bcms_err(BCMS_EINPUT, "%s: lines %llu and %llu are the same variant (%s:%lld %s/%s): one row per "
                        "variant and input", bcms_ss_path(in->rd), (unsigned long long)mv->row[i]->line,
                        (unsigned long long)row->line, row->chrom, (long long)row->pos, mv->a2, mv->a1);
    mv->have[i] = 1;
    mv->row[i] = row;
    mv->k++;
    mv->b[i] = sign * row->beta;
    mv->v[i] = row->se * row->se * in->gc_factor * in->gc_factor;
    mv->f[i] = isnan(row->freq) ? NAN : sign > 0 ? row->freq : 1 - row->freq;
    mv->n[i] = row->n;
    mv->z[i] = m->o->scheme == BCMS_META_SAMPLESIZE ? bcms_meta_z_from_log10p(row->log10p, mv->b[i]) / in->gc_factor
                                                      : NAN;
    return 0;
}

static int var_new(meta_run_t *m, int i, const bcms_ss_row_t *row)
{
    int rc = var_alloc(m);
    if (rc) return rc;
    meta_var_t *mv = &m->vars[m->nvars++];
    memset(mv->have, 0, m->nin);
    mv->k = 0;
    mv->anchor = row;
    mv->anchor_in = i;
    mv->a1 = BCMS_SS_ALT(row), mv->a2 = BCMS_SS_REF(row);
    /* the anchor's effect allele may be its REF (PLINK 2 A1 = REF) */
    int sign = !strcmp(BCMS_SS_EA(row), mv->a1) ? 1 : -1;
    if (var_add(m, mv, i, row, sign)) return BCMS_EINPUT;
    mv->anchor_freq = mv->f[i];
    return 0;
}

static int freq_informative(double f) { return !isnan(f) && fabs(f - 0.5) > 0.1; }

/* Palindromic row of a non-anchor input matched as written with orientation *sign: decide. Returns 1
 * to use it (possibly with *sign flipped), 0 to leave it out. */
static int palin_decide(meta_run_t *m, const meta_var_t *mv, const bcms_ss_row_t *row, int *sign)
{
    if (m->o->palindromic == BCMS_PALIN_KEEP) {
        m->st.palin_kept++;
        return 1;
    }
    double f = isnan(row->freq) ? NAN : *sign > 0 ? row->freq : 1 - row->freq;
    if (m->o->palindromic == BCMS_PALIN_DROP || !freq_informative(f) || !freq_informative(mv->anchor_freq)) {
        m->st.palin_dropped++;
        return 0;
    }
    if ((f - 0.5) * (mv->anchor_freq - 0.5) < 0) {
        *sign = -*sign;
        m->st.palin_flipped++;
    } else {
        m->st.palin_kept++;
    }
    return 1;
}

/* Match one row of input i against the variants of this position, or start a new one. */
static int match_row(meta_run_t *m, int i, const bcms_ss_row_t *row)
{
    const char *ea = BCMS_SS_EA(row), *oa = BCMS_SS_OA(row);
    int palin = is_palindromic(ea, oa), strand, sign;
    if (palin && m->o->palindromic == BCMS_PALIN_DROP) {
        m->st.palin_dropped++;
        return 0;
    }
    for (int j = 0; j < m->nvars; j++) {
        meta_var_t *mv = &m->vars[j];
        if (!(sign = allele_match(ea, oa, mv->a1, mv->a2, &strand))) continue;
        if (palin && !palin_decide(m, mv, row, &sign)) return 0;
        if (sign < 0) m->st.swapped++;
        if (strand) m->st.strand_flipped++;
        return var_add(m, mv, i, row, sign);
    }
    return var_new(m, i, row);
}

/* Track pairs of inputs whose numbers are identical: the same study given twice under two names. */
static void pair_track(meta_run_t *m, const meta_var_t *mv)
{
    for (int i = 0; i < m->nin; i++) {
        if (!mv->have[i]) continue;
        for (int j = i + 1; j < m->nin; j++) {
            if (!mv->have[j]) continue;
            m->pair_shared[i * m->nin + j]++;
            if (mv->b[i] == mv->b[j] && mv->row[i]->se == mv->row[j]->se && mv->row[i]->log10p == mv->row[j]->log10p)
                m->pair_same[i * m->nin + j]++;
        }
    }
}

static int emit_variant(meta_run_t *m, const meta_var_t *mv)
{
    bcms_meta_result_t r;
    int k = 0;
    if (mv->k < m->o->min_studies) {
        m->st.below_min++;
        return 0;
    }
    pair_track(m, mv);
    for (int i = 0; i < m->nin; i++) {
        if (!mv->have[i]) continue;
        m->wb[k] = m->o->scheme == BCMS_META_SAMPLESIZE ? mv->z[i] : mv->b[i];
        m->wv[k] = mv->v[i];
        m->wn[k++] = mv->n[i];
    }
    if (m->o->scheme == BCMS_META_SAMPLESIZE) {
        bcms_meta_samplesize(m->wb, m->wn, k, &r);
    } else {
        bcms_meta_ivw(m->wb, m->wv, k, &r);
        if (m->o->random == BCMS_META_RE_RE2) bcms_meta_re2(m->wb, m->wv, k, &r);
    }
    m->line.l = 0;
    meta_out_row(&m->line, m->o->format, m->o->scheme, mv, m->nin, &r);
    m->st.variants++;
    if (bgzf_write(m->out, m->line.s, m->line.l) < 0) return bcms_err(BCMS_EIO, "%s: write failed", m->o->out);
    return 0;
}

/* One position: gather, match in input order, write. Returns 1 when every input is exhausted. */
static int merge_step(meta_run_t *m)
{
    int best = -1, rc;
    for (int i = 0; i < m->nin; i++) {
        const bcms_ss_row_t *h = &m->in[i].head;
        if (!m->in[i].has_head) continue;
        if (best < 0) best = i;
        else {
            const bcms_ss_row_t *b = &m->in[best].head;
            if (bcms_ss_key_cmp(h->rank, h->chrom, h->pos, b->rank, b->chrom, b->pos) < 0) best = i;
        }
    }
    if (best < 0) return 1;
    char chrom[64];
    int rank = m->in[best].head.rank;
    int64_t pos = m->in[best].head.pos;
    memcpy(chrom, m->in[best].head.chrom, sizeof chrom);
    for (int i = 0; i < m->nin; i++)
        if ((rc = input_gather(&m->in[i], rank, chrom, pos))) return rc;
    m->nvars = 0;
    for (int i = 0; i < m->nin; i++)
        for (int g = 0; g < m->in[i].ngrp; g++)
            if ((rc = match_row(m, i, &m->in[i].grp[g]))) return rc;
    for (int j = 0; j < m->nvars; j++)
        if ((rc = emit_variant(m, &m->vars[j]))) return rc;
    return 0;
}

static int open_inputs(meta_run_t *m)
{
    const bcms_meta_opts_t *o = m->o;
    int rc, need = input_need(o);
    for (int i = 0; i < m->nin; i++) {
        meta_input_t *in = &m->in[i];
        in->lambda = NAN;
        in->gc_factor = 1;
        if (o->gc) {
            if ((rc = meta_gc_lambda(o->inputs[i], need, o->scheme, &in->lambda))) return rc;
            if (in->lambda > 1) in->gc_factor = sqrt(in->lambda);
        }
        if ((rc = bcms_ss_open(o->inputs[i], need, &in->rd)) || (rc = input_advance(in))) return rc;
        bcms_log(BCMS_LOG_INFO, "meta: input %d %s (%s)", i + 1, o->inputs[i],
                 bcms_ss_format_name(bcms_ss_format(in->rd)));
    }
    return 0;
}

/* A pair of inputs with identical numbers at every shared variant is one study twice. */
static int check_pairs(meta_run_t *m)
{
    for (int i = 0; i < m->nin; i++)
        for (int j = i + 1; j < m->nin; j++) {
            uint64_t sh = m->pair_shared[i * m->nin + j], same = m->pair_same[i * m->nin + j];
            if (sh >= 20 && same == sh)
                return bcms_err(BCMS_EINVAL, "%s and %s have identical BETA, SE and P at all %llu shared variants: "
                                "the same study given twice? (nothing written)", m->o->inputs[i], m->o->inputs[j],
                                (unsigned long long)sh);
        }
    return 0;
}

static void write_log(meta_run_t *m, FILE *lf)
{
    const bcms_meta_opts_t *o = m->o;
    const bcms_meta_stats_t *s = &m->st;
    fprintf(lf, "tool\tbcms %s\ncommand\t%s\nscheme\t%s\nrandom\t%s\npalindromic\t%s\n", BCMS_VERSION,
            o->command ? o->command : "", o->scheme == BCMS_META_SAMPLESIZE ? "samplesize" : "ivw",
            o->random == BCMS_META_RE_RE2 ? "dl+re2" : "dl",
            o->palindromic == BCMS_PALIN_DROP ? "drop" : o->palindromic == BCMS_PALIN_FREQ ? "freq" : "keep");
    for (int i = 0; i < m->nin; i++) {
        const bcms_ss_counts_t *c = bcms_ss_counts(m->in[i].rd);
        fprintf(lf, "input\t%d\t%s\tformat=%s\trows=%llu\tused=%llu\tskipped_na=%llu\tskipped_test=%llu\t"
                "skipped_multiallelic=%llu", i + 1, o->inputs[i], bcms_ss_format_name(bcms_ss_format(m->in[i].rd)),
                (unsigned long long)c->rows, (unsigned long long)c->used, (unsigned long long)c->skipped_na,
                (unsigned long long)c->skipped_test, (unsigned long long)c->skipped_multi);
        if (o->gc) fprintf(lf, "\tlambda_gc=%.4f\tgc_applied=%s", m->in[i].lambda, m->in[i].lambda > 1 ? "yes" : "no");
        fputc('\n', lf);
    }
    fprintf(lf, "variants\t%llu\nbelow_min_studies\t%llu\nswapped\t%llu\nstrand_flipped\t%llu\n"
            "palindromic_kept\t%llu\npalindromic_flipped\t%llu\npalindromic_dropped\t%llu\nstatus\tcomplete\n",
            (unsigned long long)s->variants, (unsigned long long)s->below_min, (unsigned long long)s->swapped,
            (unsigned long long)s->strand_flipped, (unsigned long long)s->palin_kept,
            (unsigned long long)s->palin_flipped, (unsigned long long)s->palin_dropped);
}

static void report(meta_run_t *m)
{
    const bcms_meta_stats_t *s = &m->st;
    for (int i = 0; i < m->nin; i++) {
        const bcms_ss_counts_t *c = bcms_ss_counts(m->in[i].rd);
        bcms_log(BCMS_LOG_INFO, "meta: %s: %llu rows, %llu used, %llu without estimate, %llu other tests, %llu "
                 "multi-allelic%s", m->o->inputs[i], (unsigned long long)c->rows, (unsigned long long)c->used,
                 (unsigned long long)c->skipped_na, (unsigned long long)c->skipped_test,
                 (unsigned long long)c->skipped_multi, "");
        if (m->o->gc)
            bcms_log(BCMS_LOG_INFO, "meta: %s: lambda GC %.4f%s", m->o->inputs[i], m->in[i].lambda,
                     m->in[i].lambda > 1 ? " (applied)" : " (not applied: <= 1)");
    }
    bcms_log(BCMS_LOG_INFO, "meta: %llu variants written, %llu below --min-studies; alleles swapped %llu, other "
             "strand %llu; palindromic kept %llu, flipped %llu, dropped %llu", (unsigned long long)s->variants,
             (unsigned long long)s->below_min, (unsigned long long)s->swapped, (unsigned long long)s->strand_flipped,
             (unsigned long long)s->palin_kept, (unsigned long long)s->palin_flipped,
             (unsigned long long)s->palin_dropped);
}

static int run_alloc(meta_run_t *m)
{
    size_t n = (size_t)m->nin;
    m->in = calloc(n, sizeof *m->in);
    m->pair_shared = calloc(n * n, sizeof *m->pair_shared);
    m->pair_same = calloc(n * n, sizeof *m->pair_same);
    m->wb = malloc(sizeof(double) * 3 * n);
    if (!m->in || !m->pair_shared || !m->pair_same || !m->wb) return BCMS_ENOMEM;
    m->wv = m->wb + n, m->wn = m->wb + 2 * n;
    return 0;
}

static void run_free(meta_run_t *m)
{
    for (int i = 0; m->in && i < m->nin; i++) {
        meta_input_t *in = &m->in[i];
        bcms_ss_close(in->rd);
        free(in->head.str.s);
        for (int g = 0; g < in->mgrp; g++) free(in->grp[g].str.s);
        free(in->grp);
    }
    for (int j = 0; j < m->mvars; j++) {
        free(m->vars[j].have);
        free(m->vars[j].b);
        free(m->vars[j].row);
    }
    free(m->vars);
    free(m->in);
    free(m->pair_shared);
    free(m->pair_same);
    free(m->wb);
    free(m->line.s);
    if (m->out) bgzf_close(m->out);
}

int bcms_meta_run(const bcms_meta_opts_t *o, bcms_meta_stats_t *stats)
{
    meta_run_t m;
    char *tmp = NULL, *logpath = NULL;
    FILE *lf = NULL;
    int rc;
    memset(&m, 0, sizeof m);
    m.o = o, m.nin = o->ninputs;
    if ((rc = bcms_meta_opts_check(o)) || (rc = run_alloc(&m)) || (rc = open_inputs(&m))) goto fail;
    if (asprintf(&tmp, "%s.tmp", o->out) < 0 || asprintf(&logpath, "%s.log", o->out) < 0) {
        tmp = logpath = NULL;
        rc = BCMS_ENOMEM;
        goto fail;
    }
    if (!(m.out = bgzf_open(tmp, bcms_out_is_gz(o->out) ? "wg" : "wu"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot create (%s)", tmp, strerror(errno));
        goto fail;
    }
    if (o->threads > 1 && bcms_out_is_gz(o->out)) bgzf_mt(m.out, o->threads, 256);
    meta_out_header(&m.line, o->format);
    if (bgzf_write(m.out, m.line.s, m.line.l) < 0) {
        rc = bcms_err(BCMS_EIO, "%s: write failed", tmp);
        goto fail;
    }
    while (!(rc = merge_step(&m))) {}
    if (rc < 0 || (rc = check_pairs(&m))) goto fail;
    rc = bgzf_close(m.out);
    m.out = NULL;
    if (rc < 0) {
        rc = bcms_err(BCMS_EIO, "%s: write failed (disk full?)", tmp);
        goto fail;
    }
    if (!(lf = fopen(logpath, "w"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot create (%s)", logpath, strerror(errno));
        goto fail;
    }
    write_log(&m, lf);
    if (fclose(lf)) {
        lf = NULL;
        rc = bcms_err(BCMS_EIO, "%s: write failed", logpath);
        goto fail;
    }
    lf = NULL;
    if (rename(tmp, o->out)) {
        rc = bcms_err(BCMS_EIO, "cannot rename %s to %s (%s)", tmp, o->out, strerror(errno));
        goto fail;
    }
    report(&m);
    if (stats) *stats = m.st;
    rc = 0;
    goto done;
fail:
    if (tmp) remove(tmp);
done:
    if (lf) fclose(lf);
    run_free(&m);
    free(tmp);
    free(logpath);
    return rc;
}
