/* contig.c: canonical chromosome names and the chrX pseudo-autosomal regions (contig.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "contig.h"
#include "err.h"

static int all_digits(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int eq_nocase(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && !strncasecmp(s, lit, n);
}

int bcms_contig_canon(const char *name, long len, char *out, size_t outsz)
{
    size_t n = len < 0 ? strlen(name) : (size_t)len;
    if (!n || !outsz) return bcms_err(BCMS_EINVAL, "empty contig name");
    const char *s = name;
    if (n > 3 && !strncasecmp(s, "chr", 3)) s += 3, n -= 3;
    const char *canon = NULL;
    char num[8];
    if (all_digits(s, n) && n <= 3) {
        int v = 0;
        for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
        if (v >= 1 && v <= 22) {
            snprintf(num, sizeof num, "%d", v); /* "01" -> "1" */
            canon = num;
        } else if (v == 23 || v == 25) canon = "X";
        else if (v == 24) canon = "Y";
        else if (v == 26) canon = "MT";
    } else if (eq_nocase(s, n, "X") || eq_nocase(s, n, "XY")) canon = "X";
    else if (eq_nocase(s, n, "Y")) canon = "Y";
    else if (eq_nocase(s, n, "M") || eq_nocase(s, n, "MT")) canon = "MT";
    if (canon) {
        size_t cl = strlen(canon);
        if (cl + 1 > outsz) return bcms_err(BCMS_EINVAL, "contig name buffer too small");
        memcpy(out, canon, cl + 1);
        return bcms_contig_kind(out);
    }
    if (n + 1 > outsz) return bcms_err(BCMS_EINVAL, "contig name '%.*s' too long", (int)(n > 60 ? 60 : n), s);
    memcpy(out, s, n);
    out[n] = 0;
    return BCMS_CHR_OTHER;
}

int bcms_contig_kind(const char *c)
{
    if (!strcmp(c, "X")) return BCMS_CHR_X;
    if (!strcmp(c, "Y")) return BCMS_CHR_Y;
    if (!strcmp(c, "MT")) return BCMS_CHR_MT;
    size_t n = strlen(c);
    if (all_digits(c, n) && n <= 2 && c[0] != '0') {
        int v = n == 1 ? c[0] - '0' : (c[0] - '0') * 10 + (c[1] - '0');
        if (v >= 1 && v <= 22) return BCMS_CHR_AUTOSOME;
    }
    return BCMS_CHR_OTHER;
}

int bcms_contig_rank(const char *c)
{
    switch (bcms_contig_kind(c)) {
    case BCMS_CHR_AUTOSOME: return c[1] ? (c[0] - '0') * 10 + (c[1] - '0') : c[0] - '0';
    case BCMS_CHR_X: return 23;
    case BCMS_CHR_Y: return 24;
    case BCMS_CHR_MT: return 26;
    default: return 1000;
    }
}

/* PAR bounds as PLINK 2's --split-par presets draw them: everything up to the last position of PAR1
 * and from the first position of PAR2 on (b37: 2699520 and 154931044; b38: 2781479 and 155701383),
 * so the telomeric stretch outside the PARs proper counts as PAR too, as in PLINK 2. */
int bcms_contig_in_par(bcms_build_t build, int64_t pos)
{
    if (build == BCMS_BUILD_B37) return pos <= 2699520 || pos >= 154931044;
    return pos <= 2781479 || pos >= 155701383;
}

int bcms_build_parse(const char *s, bcms_build_t *out)
{
    if (!strcasecmp(s, "b37") || !strcasecmp(s, "hg19") || !strcasecmp(s, "grch37")) *out = BCMS_BUILD_B37;
    else if (!strcasecmp(s, "b38") || !strcasecmp(s, "hg38") || !strcasecmp(s, "grch38")) *out = BCMS_BUILD_B38;
    else return bcms_err(BCMS_EINVAL, "unknown genome build '%s' (use b37 or b38)", s);
    return 0;
}

/* VCF 4.3, 1.4.7: [0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]* */
int bcms_contig_name_valid(const char *name)
{
    static const char punct[] = "!#$%&+./:;?@^_|~-";
    const unsigned char *p = (const unsigned char *)name;
    if (!*p) return 0;
    for (size_t i = 0; p[i]; i++) {
        int c = p[i];
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) continue;
        if (strchr(punct, c)) continue;
        if (i > 0 && (c == '*' || c == '=')) continue;
        return 0;
    }
    return 1;
}
