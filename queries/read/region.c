/* region.c: parsing and matching of user regions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contig.h"
#include "err.h"
#include "region.h"

/* Where the region starting at p ends: at the next ',' that is not a thousands separator. After the
 * region's ':' a ',' followed by three digits and then the end, '-', or another such group belongs
 * to the number ("chrX:3,087,112-3,100,000", as bcftools reads it). */
static const char *region_end(const char *p)
{
    const char *colon = NULL, *q;
    for (q = p; *q; q++) {
        if (*q == ':') colon = q;
        if (*q != ',') continue;
        if (colon && q > colon + 1 && q[-1] >= '0' && q[-1] <= '9') {
            int k = 1;
            while (k <= 3 && q[k] >= '0' && q[k] <= '9') k++;
            if (k == 4 && (q[4] == 0 || q[4] == '-' || q[4] == ',')) continue;
        }
        return q;
    }
    return q;
}

static int parse_pos(const char *s, const char *e, int64_t *v)
{
    int64_t x = 0;
    if (s == e) return -1;
    for (; s < e; s++) {
        if (*s == ',') continue;
        if (*s < '0' || *s > '9' || x > INT64_MAX / 10 - 10) return -1;
        x = x * 10 + (*s - '0');
    }
    *v = x;
    return 0;
}

int bcms_regions_parse(const char *spec, bcms_regions_t *out)
{
    const char *p = spec;
    out->n = 0;
    out->r = NULL;
    if (!spec || !*spec) return 0;
    while (*p) {
        const char *end = region_end(p), *colon;
        size_t len;
        bcms_region_t reg = {NULL, 1, INT64_MAX, -1};
        bcms_region_t *nr;
        len = end - p;
        colon = memchr(p, ':', len);
        /* contig names may contain ':' (HLA alleles); the last ':' followed by digits splits */
        if (colon) {
            const char *c2;
            while ((c2 = memchr(colon + 1, ':', end - colon - 1))) colon = c2;
            const char *dash = memchr(colon + 1, '-', end - colon - 1);
            if (parse_pos(colon + 1, dash ? dash : end, &reg.beg) ||
                (dash && dash + 1 < end && parse_pos(dash + 1, end, &reg.end)) || reg.beg < 1 ||
                reg.end < reg.beg) {
                bcms_regions_free(out);
                return bcms_err(BCMS_EINVAL, "bad region '%.*s': use CHR, CHR:POS, CHR:BEG-END or CHR:BEG-",
                                (int)len, p);
            }
            if (!dash) reg.end = reg.beg;
            len = colon - p;
        }
        if (!len) {
            bcms_regions_free(out);
            return bcms_err(BCMS_EINVAL, "bad region in '%s': empty chromosome name", spec);
        }
        char canon[256];
        if (bcms_contig_canon(p, (long)len, canon, sizeof canon) < 0) {
            bcms_regions_free(out);
            return bcms_err(BCMS_EINVAL, "bad region in '%s': %s", spec, bcms_err_detail());
        }
        if (!(reg.chrom = strdup(canon)) || !(nr = realloc(out->r, sizeof *nr * (out->n + 1)))) {
            free(reg.chrom);
            bcms_regions_free(out);
            return BCMS_ENOMEM;
        }
        out->r = nr;
        out->r[out->n++] = reg;
        p = *end ? end + 1 : end;
    }
    return 0;
}

void bcms_regions_free(bcms_regions_t *rg)
{
    for (int i = 0; i < rg->n; i++) free(rg->r[i].chrom);
    free(rg->r);
    rg->r = NULL;
    rg->n = 0;
}

void bcms_regions_resolve(bcms_regions_t *rg, const bcms_dataset_t *ds)
{
    char canon[256];
    for (int i = 0; i < rg->n; i++) {
        rg->r[i].contig = -1;
        for (uint32_t c = 0; c < ds->ncontigs && rg->r[i].contig < 0; c++)
            if (bcms_contig_canon(ds->contigs[c].name, -1, canon, sizeof canon) >= 0 && !strcmp(canon, rg->r[i].chrom))
                rg->r[i].contig = (int)c;
    }
}

int bcms_regions_check(const bcms_regions_t *rg, const bcms_dataset_t *const *ds, int nds)
{
    char canon[256];
    for (int i = 0; i < rg->n; i++) {
        int found = 0;
        for (int d = 0; d < nds && !found; d++)
            for (uint32_t c = 0; c < ds[d]->ncontigs && !found; c++)
                found = bcms_contig_canon(ds[d]->contigs[c].name, -1, canon, sizeof canon) >= 0 &&
                        !strcmp(canon, rg->r[i].chrom);
        if (found) continue;
        char list[1024] = "";
        size_t l = 0;
        int shown = 0;
        for (int d = 0; d < nds; d++)
            for (uint32_t c = 0; c < ds[d]->ncontigs && l < sizeof list - 80; c++) {
                const char *nm = ds[d]->contigs[c].name;
                int dup = 0; /* the same contig in several datasets: list it once */
                for (int e = 0; e <= d && !dup; e++)
                    for (uint32_t k = 0; k < (e < d ? ds[e]->ncontigs : c) && !dup; k++)
                        dup = !strcmp(ds[e]->contigs[k].name, nm);
                if (dup) continue;
                l += snprintf(list + l, sizeof list - l, "%s%s", shown++ ? ", " : "", nm);
            }
        return bcms_err(BCMS_ENOTFOUND, "region contig '%s' is in no selected dataset of the store; its contigs are: %s",
                        rg->r[i].chrom, shown ? list : "(none)");
    }
    return 0;
}

int bcms_regions_block(const bcms_regions_t *rg, const bcms_block_info_t *b)
{
    if (!rg || !rg->n) return 1;
    for (int i = 0; i < rg->n; i++)
        if (rg->r[i].contig == (int)b->contig && rg->r[i].beg <= b->last_pos && rg->r[i].end >= b->first_pos)
            return 1;
    return 0;
}

int bcms_regions_pos(const bcms_regions_t *rg, uint32_t contig, int64_t pos)
{
    if (!rg || !rg->n) return 1;
    for (int i = 0; i < rg->n; i++)
        if (rg->r[i].contig == (int)contig && rg->r[i].beg <= pos && rg->r[i].end >= pos) return 1;
    return 0;
}
