/* vcf_inputs.c: opening and checking the input files of one dataset, its contig list and the
 * registration of its samples (vcf_inputs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <htslib/hts.h>
#include <htslib/bgzf.h>

#include "contig.h"
#include "err.h"
#include "store.h"
#include "vcf_inputs.h"

KHASH_MAP_INIT_INT(vnum, int)

/* Fingerprint of an input file: MD5 over its size and its first and last MiB. Cheap on a 100 GB
 * file and enough to recognise the same file imported twice (see FORMAT.md). */
static int file_fingerprint(const char *path, uint64_t *size, char hex[33])
{
    FILE *fp = fopen(path, "rb");
    struct stat sb;
    hts_md5_context *md5;
    unsigned char dig[16], *buf;
    size_t n;
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(fp), &sb) || !(buf = malloc(1 << 20))) {
        fclose(fp);
        return bcms_err(BCMS_EIO, "%s: cannot read", path);
    }
    if (!(md5 = hts_md5_init())) {
        free(buf);
        fclose(fp);
        return BCMS_ENOMEM;
    }
    *size = (uint64_t)sb.st_size;
    {
        uint8_t le[8];
        for (int k = 0; k < 8; k++) le[k] = (uint8_t)(*size >> (8 * k));
        hts_md5_update(md5, le, 8);
    }
    /* files up to 2 MiB are hashed whole; larger ones by their first and last MiB */
    while ((n = fread(buf, 1, 1 << 20, fp)) > 0) {
        hts_md5_update(md5, buf, n);
        if (sb.st_size > (2 << 20)) {
            if (fseeko(fp, sb.st_size - (1 << 20), SEEK_SET) != 0) break;
            n = fread(buf, 1, 1 << 20, fp);
            hts_md5_update(md5, buf, n);
            break;
        }
    }
    hts_md5_final(dig, md5);
    hts_md5_hex(hex, dig);
    hts_md5_destroy(md5);
    free(buf);
    fclose(fp);
    return 0;
}

/* Number of header lines of a text VCF, so record errors can give the true line number. */
static uint64_t count_header_lines(const char *path)
{
    htsFile *fp = hts_open(path, "r");
    kstring_t s = {0, 0, NULL};
    uint64_t n = 0;
    if (!fp) return 0;
    while (hts_getline(fp, 2 /* KS_SEP_LINE */, &s) >= 0 && s.l && s.s[0] == '#') n++;
    free(s.s);
    hts_close(fp);
    return n;
}

char *vcf_default_cohort(const char *path)
{
    const char *b = strrchr(path, '/');
    char *s = strdup(b ? b + 1 : path), *dot;
    if (!s) return NULL;
    for (const char *ext; (dot = strrchr(s, '.'));) {
        ext = dot + 1;
        if (strcmp(ext, "gz") && strcmp(ext, "vcf") && strcmp(ext, "bcf") && strcmp(ext, "bgz")) break;
        *dot = 0;
    }
    return s;
}

/* A name for messages: at most 40 bytes of it, with "..." when cut. */
static const char *short_name(const char *s, char buf[48])
{
    size_t n = strlen(s);
    if (n <= 40) return s;
    memcpy(buf, s, 40);
    memcpy(buf + 40, "...", 4);
    return buf;
}

static int check_sample_names(const vcf_input_t *in)
{
    int n = bcf_hdr_nsamples(in->hdr);
    char b[48];
    if (n == 0)
        return bcms_err(BCMS_EINPUT, "%s: the file has no samples (a sites-only VCF); nothing to import", in->path);
    for (int i = 0; i < n; i++) {
        const char *s = in->hdr->samples[i];
        size_t l = strlen(s);
        /* htslib turns an empty #CHROM field into a name holding a tab: both mean an unnamed column */
        if (l == 0 || strpbrk(s, "\t\n\r"))
            return bcms_err(BCMS_EINPUT, "%s: sample column %d of the #CHROM line has an empty name; name every "
                            "sample (bcftools reheader -s) and import again", in->path, i + 1);
        if (l > BCMS_IID_MAX)
            return bcms_err(BCMS_EINPUT, "%s: sample column %d is named '%s' (%zu bytes); bcms keeps sample names of "
                            "at most %d bytes: rename it (bcftools reheader -s) and import again", in->path, i + 1,
                            short_name(s, b), l, BCMS_IID_MAX);
    }
    return 0;
}

int vcf_input_open(vcf_input_t *in, const char *path, int nthreads)
{
    int rc;
    memset(in, 0, sizeof *in);
    in->path = path;
    if ((rc = file_fingerprint(path, &in->size, in->fingerprint))) return rc;
    errno = 0;
    if (!(in->fp = hts_open(path, "r"))) {
        /* htslib says ENOEXEC ("Exec format error") for a file of no format it knows */
        if (errno == ENOEXEC || errno == 0)
            return bcms_err(BCMS_EINPUT, "%s: not a VCF or BCF file (htslib recognises no format in it); give a "
                            ".vcf, .vcf.gz or .bcf file", path);
        return bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (in->fp->format.format != vcf && in->fp->format.format != bcf) {
        char *what = hts_format_description(&in->fp->format);
        rc = bcms_err(BCMS_EINPUT, "%s: not a VCF or BCF file (htslib detected %s)", path, what ? what : "?");
        free(what);
        return rc;
    }
    in->is_bcf = in->fp->format.format == bcf;
    /* a BGZF file without its EOF marker was cut short (a failed copy, a full disk): refuse it
     * rather than import part of a cohort */
    if (in->fp->format.compression == bgzf && bgzf_check_EOF(in->fp->fp.bgzf) == 0)
        return bcms_err(BCMS_EINPUT, "%s: the BGZF end-of-file marker is missing: the file is truncated; copy or "
                        "compress it again (bgzip) and re-import", path);
    (void)nthreads; /* the import gives the file its BGZF threads when it becomes current */
    if (!(in->hdr = bcf_hdr_read(in->fp)))
        return bcms_err(BCMS_EINPUT, "%s: cannot read the VCF header (missing #CHROM line, malformed meta line "
                        "or duplicate sample name); check it with `bcftools view -h %s`", path, path);
    if ((rc = check_sample_names(in))) return rc;
    if (!in->is_bcf) in->header_lines = count_header_lines(path);
    return 0;
}

void vcf_input_close(vcf_input_t *in)
{
    if (in->hdr) bcf_hdr_destroy(in->hdr);
    if (in->fp) hts_close(in->fp);
    in->hdr = NULL;
    in->fp = NULL;
}

int vcf_inputs_same_samples(const vcf_input_t *in, int n)
{
    int ns = bcf_hdr_nsamples(in[0].hdr);
    char b1[48], b2[48];
    for (int f = 1; f < n; f++) {
        int nf = bcf_hdr_nsamples(in[f].hdr);
        for (int i = 0; i < ns && i < nf; i++)
            if (strcmp(in[0].hdr->samples[i], in[f].hdr->samples[i]))
                return bcms_err(BCMS_EINPUT, "%s: sample column %d is '%s' but %s has '%s' there: the files of one "
                                "dataset must have the same samples in the same order (bcftools view -s to "
                                "reorder them)", in[f].path, i + 1, short_name(in[f].hdr->samples[i], b1), in[0].path,
                                short_name(in[0].hdr->samples[i], b2));
        if (nf != ns)
            return bcms_err(BCMS_EINPUT, "%s has %d samples but %s has %d: the files of one dataset must have the "
                            "same samples in the same order", in[f].path, nf, in[0].path, ns);
    }
    return 0;
}

int vcf_ctgmap_init(vcf_ctgmap_t *m)
{
    memset(m, 0, sizeof *m);
    m->cur = -1;
    return (m->h = kh_init(vctg)) ? 0 : BCMS_ENOMEM;
}

void vcf_ctgmap_free(vcf_ctgmap_t *m)
{
    if (m->h) kh_destroy(vctg, m->h);
    free(m->done);
    free(m->src);
    memset(m, 0, sizeof *m);
}

/* Append a contig (input spelling, length) to ds; the canonical name must not already stand for
 * another spelling. */
static int ctg_add(bcms_dataset_t *ds, vcf_ctgmap_t *m, const char *spelling, int64_t length, const char *path,
                   int *out)
{
    size_t n = strlen(spelling);
    char *canon = malloc(n + 1), b1[48], b2[48];
    bcms_contig_t *nc;
    uint8_t *nd;
    int *ns, absent;
    if (!canon) return BCMS_ENOMEM;
    if (n && !bcms_contig_name_valid(spelling)) {
        free(canon);
        return bcms_err(BCMS_EINPUT, "%s: contig name '%s' has characters a VCF contig ID cannot have (VCF 4.3: "
                        "letters, digits and !#$%%&+./:;?@^_|~-); rename it (bcftools annotate --rename-chrs)", path,
                        short_name(spelling, b1));
    }
    if (bcms_contig_canon(spelling, (long)n, canon, n + 1) < 0) {
        free(canon);
        return bcms_err(BCMS_EINPUT, "%s: an empty contig name", path);
    }
    for (uint32_t c = 0; c < ds->ncontigs; c++)
        if (!strcmp(ds->contigs[c].name, canon)) {
            int r = bcms_err(BCMS_EINPUT, "%s: contigs '%s' and '%s' both name chromosome %s; use one spelling "
                             "(bcftools annotate --rename-chrs) and import again", path,
                             short_name(ds->contigs[c].input_name, b1), short_name(spelling, b2), canon);
            free(canon);
            return r;
        }
    if (!(nc = realloc(ds->contigs, sizeof *nc * (ds->ncontigs + 1)))) goto nomem;
    ds->contigs = nc;
    if (!(nd = realloc(m->done, ds->ncontigs + 1))) goto nomem;
    m->done = nd;
    if (!(ns = realloc(m->src, sizeof *ns * (ds->ncontigs + 1)))) goto nomem;
    m->src = ns;
    nc += ds->ncontigs;
    nc->name = canon;
    nc->length = length;
    if (!(nc->input_name = strdup(spelling))) {
        free(canon);
        return BCMS_ENOMEM;
    }
    nd[ds->ncontigs] = 0;
    ns[ds->ncontigs] = -1;
    khint_t k = kh_put(vctg, m->h, nc->input_name, &absent);
    if (absent < 0) {
        free(nc->input_name);
        free(canon);
        return BCMS_ENOMEM;
    }
    kh_val(m->h, k) = (int)ds->ncontigs;
    *out = (int)ds->ncontigs++;
    return 0;
nomem:
    free(canon);
    return BCMS_ENOMEM;
}

int vcf_contigs_from_header(bcms_dataset_t *ds, vcf_ctgmap_t *m, const vcf_input_t *in)
{
    /* not bcf_hdr_seqnames: it asserts on a BCF header whose contig numbering has a gap */
    const bcf_hdr_t *h = in->hdr;
    for (int rid = 0; rid < h->n[BCF_DT_CTG]; rid++) {
        const char *name = h->id[BCF_DT_CTG][rid].key;
        int64_t len = 0;
        int idx, rc;
        if (!name) continue;
        if (kh_get(vctg, m->h, name) != kh_end(m->h)) continue;
        bcf_hrec_t *hr = bcf_hdr_get_hrec(h, BCF_HL_CTG, "ID", name, NULL);
        int li = hr ? bcf_hrec_find_key(hr, "length") : -1;
        if (li >= 0 && hr->vals[li]) len = strtoll(hr->vals[li], NULL, 10);
        if ((rc = ctg_add(ds, m, name, len, in->path, &idx))) return rc;
    }
    return 0;
}

int vcf_contig_of(bcms_dataset_t *ds, vcf_ctgmap_t *m, const char *chrom, size_t clen, const vcf_input_t *inputs,
                  int fi, uint64_t lineno, int *out)
{
    char cbuf[256], b[48];
    const char *path = inputs[fi].path, *unit = inputs[fi].is_bcf ? "record" : "line";
    khint_t k;
    int ci, rc;
    if (clen >= sizeof cbuf)
        return bcms_err(BCMS_EINPUT, "%s: %s %llu: CHROM name longer than 255 characters", path, unit,
                        (unsigned long long)lineno);
    memcpy(cbuf, chrom, clen);
    cbuf[clen] = 0;
    k = kh_get(vctg, m->h, cbuf);
    if (k != kh_end(m->h)) ci = kh_val(m->h, k);
    else if ((rc = ctg_add(ds, m, cbuf, 0, path, &ci))) return rc;
    if (ci != m->cur) {
        if (m->cur >= 0) m->done[m->cur] = 1;
        if (m->done[ci] && m->src[ci] == fi)
            return bcms_err(BCMS_EINPUT, "%s: %s %llu: chromosome %s appears again after other chromosomes: the "
                            "file is not sorted; sort it (bcftools sort) and import again", path, unit,
                            (unsigned long long)lineno, short_name(cbuf, b));
        if (m->done[ci])
            return bcms_err(BCMS_EINPUT, "%s: %s %llu: chromosome %s was already in %s: the files of one dataset "
                            "must not share a contig (concatenate them with bcftools concat, or import them as "
                            "separate datasets)", path, unit, (unsigned long long)lineno, short_name(cbuf, b),
                            inputs[m->src[ci]].path);
        m->src[ci] = fi;
        m->cur = ci;
    }
    *out = ci;
    return 0;
}

/* The IID a header sample gets in the store: with --iid-prefix, the prefix and the name. */
static char *store_iid(const bcms_import_opts_t *o, const char *name)
{
    size_t lp = o->iid_prefix ? strlen(o->iid_prefix) : 0, ln = strlen(name);
    char *s = malloc(lp + ln + 1);
    if (!s) return NULL;
    memcpy(s, o->iid_prefix ? o->iid_prefix : "", lp);
    memcpy(s + lp, name, ln + 1);
    return s;
}

/* Index of an existing dataset of cohort `cohort` whose sample list is exactly nums[0..n), or -1. */
static int same_cohort_list(const bcms_dataset_t *ex, int nex, const char *cohort, const uint32_t *nums, uint32_t n)
{
    for (int d = 0; d < nex; d++)
        if (!strcmp(ex[d].cohort, cohort) && ex[d].nsamples == n && !memcmp(ex[d].samples, nums, sizeof *nums * n))
            return d;
    return -1;
}

int vcf_samples_register(bcms_store_t *st, MDB_txn *txn, const vcf_input_t *in, const bcms_import_opts_t *o,
                         const bcms_dataset_t *existing, int nexisting, bcms_dataset_t *ds, uint32_t *new_samples,
                         int64_t *shared, int quiet)
{
    const uint32_t n = (uint32_t)bcf_hdr_nsamples(in->hdr);
    khash_t(vnum) *used = kh_init(vnum);
    char *iid = NULL, few[200] = "", b[48];
    uint32_t overlap = 0, nfew = 0, *known = NULL;
    int rc = 0, first_ds = -1;
    *new_samples = 0;
    *shared = -1;
    if (!used || !(ds->samples = malloc(sizeof *ds->samples * (n + 1))) || !(known = calloc(n + 1, sizeof *known))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    ds->nsamples = n;
    /* sample numbers that some dataset already has (the registry also holds phenotype-only IIDs,
     * which are free to take genotypes) */
    for (int d = 0; d < nexisting; d++)
        for (uint32_t i = 0; i < existing[d].nsamples; i++) {
            int absent;
            khint_t k = kh_put(vnum, used, (khint32_t)existing[d].samples[i], &absent);
            if (absent > 0) kh_val(used, k) = d;
        }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t num;
        free(iid);
        if (!(iid = store_iid(o, in->hdr->samples[i]))) { rc = BCMS_ENOMEM; goto done; }
        rc = bcms_sample_lookup(st, txn, iid, &num);
        if (rc == BCMS_ENOTFOUND) { rc = 0; continue; }
        if (rc) goto done;
        ds->samples[i] = num;
        known[i] = 1;
        khint_t k = kh_get(vnum, used, (khint32_t)num);
        if (k == kh_end(used)) continue;
        if (first_ds < 0) first_ds = kh_val(used, k);
        if (overlap++ < 3) {
            size_t l = strlen(few);
            snprintf(few + l, sizeof few - l, "%s%s", nfew++ ? ", " : "", short_name(iid, b));
        }
    }
    if (overlap) {
        int same = overlap == n ? same_cohort_list(existing, nexisting, ds->cohort, ds->samples, n) : -1;
        if (!o->same_samples && same < 0) {
            rc = bcms_err(BCMS_EEXIST, "%s: %u of its %u sample names are already in dataset %u (cohort %s): %s%s; "
                          "if they are the same people (e.g. another chromosome of that cohort), add --same-samples; "
                          "if they are different people with the same IDs, add --iid-prefix PREFIX", in->path,
                          overlap, n, existing[first_ds].id, existing[first_ds].cohort, few,
                          overlap > nfew ? ", ..." : "");
            goto done;
        }
        if (!o->same_samples && !quiet)
            bcms_log(BCMS_LOG_INFO, "%s: the same samples, in the same order, as dataset %u of cohort %s: imported "
                     "as the same people (another part of that cohort)", in->path, existing[same].id,
                     existing[same].cohort);
        *shared = existing[same >= 0 ? same : first_ds].id;
    }
    for (uint32_t i = 0; i < n; i++) {
        int added;
        if (known[i]) continue;
        free(iid);
        if (!(iid = store_iid(o, in->hdr->samples[i]))) { rc = BCMS_ENOMEM; goto done; }
        if ((rc = bcms_sample_intern(st, txn, iid, &ds->samples[i], &added))) {
            if (rc == BCMS_EINPUT) rc = bcms_err(BCMS_EINPUT, "%s: %s", in->path, bcms_err_detail());
            goto done;
        }
        *new_samples += (uint32_t)added;
    }
done:
    free(iid);
    free(known);
    if (used) kh_destroy(vnum, used);
    return rc;
}

/* As bgzf_getline, through BGZF's public block fields, so that the block keeps being read (and
 * decompressed on htslib's threads) by bgzf_read_block itself. */
static int bgzf_line_append(BGZF *fp, kstring_t *dst, size_t *len)
{
    const size_t start = dst->l;
    size_t l = 0;
    for (;;) {
        if (fp->block_offset >= fp->block_length) {
            if (bgzf_read_block(fp) != 0) return -1;
            if (fp->block_length == 0) { /* the end: a last line without its newline is a line */
                if (!l) return 1;
                break;
            }
        }
        const char *buf = (const char *)fp->uncompressed_block + fp->block_offset;
        size_t avail = (size_t)(fp->block_length - fp->block_offset);
        const char *nl = memchr(buf, '\n', avail);
        size_t k = nl ? (size_t)(nl - buf) : avail;
        if (ks_resize(dst, start + l + k + 2) < 0) return -2;
        memcpy(dst->s + start + l, buf, k);
        l += k;
        fp->block_offset += (int)(k + (nl != NULL));
        if (fp->block_offset >= fp->block_length) fp->block_offset = fp->block_length = 0;
        if (nl) break;
    }
    fp->uncompressed_address += (int64_t)l + 1;
    if (l && dst->s[start + l - 1] == '\r') l--; /* as bgzf_getline */
    dst->s[start + l] = 0;
    *len = l;
    return 0;
}

int vcf_input_line(vcf_input_t *in, kstring_t *dst, kstring_t *tmp, size_t *len)
{
    enum htsCompression c = in->fp->format.compression;
    if ((c == bgzf || c == gzip) && in->fp->fp.bgzf) return bgzf_line_append(in->fp->fp.bgzf, dst, len);
    int r = hts_getline(in->fp, 2 /* KS_SEP_LINE */, tmp);
    if (r == -1) return 1;
    if (r < -1) return -1;
    if (ks_resize(dst, dst->l + tmp->l + 1) < 0) return -2;
    memcpy(dst->s + dst->l, tmp->s, tmp->l + 1);
    *len = tmp->l;
    return 0;
}
