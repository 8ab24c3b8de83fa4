/* region.c: parsing and matching of user regions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "region.h"

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
        const char *end = strchr(p, ','), *colon;
        size_t len;
        bcms_region_t reg = {NULL, 1, INT64_MAX, -1};
        bcms_region_t *nr;
        if (!end) end = p + strlen(p);
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
        if (!(reg.chrom = strndup(p, len)) || !(nr = realloc(out->r, sizeof *nr * (out->n + 1)))) {
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
    for (int i = 0; i < rg->n; i++) rg->r[i].contig = bcms_dataset_contig(ds, rg->r[i].chrom);
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
