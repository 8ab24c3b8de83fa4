/* msss.c: global MSSS (2005, updated) and ARMSS lookups; row rules documented in clinical.h.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "clinical.h"
#include "clinical_internal.h"

#define EDSS_DEATH_COL (-2)

/* Column of an EDSS value: 0 -> 0, 1 -> 1, 1.5 -> 2, ..., 9.5 -> 18; EDSS_DEATH_COL for 10; -1 when
 * there is none.
 * 0.5 maps to the EDSS 0 column as in ms.sev (the loader rejects 0.5 anyway). */
static int edss_col(double e)
{
    if (e == 10) return EDSS_DEATH_COL;
    if (!(e >= 0 && e < 10) || floor(e * 2) != e * 2) return -1;
    return e < 1 ? 0 : (int)(e * 2) - 1;
}

/* EDSS 10 (death due to MS) has no column in the tables: it ranks above every living patient of the
 * same duration (or age), so it scores the top of the scale, 10, wherever the row exists. */

static double lookup(const double (*tab)[MSSS_NCOL], int first, int nrow, int label, int col)
{
    if (col == -1 || label < first || label >= first + nrow) return NAN;
    if (col == EDSS_DEATH_COL) return 10.0;
    return tab[label - first][col];
}

double clin_msss_2005(double edss, double dd, int rows)
{
    int label;
    if (!(dd >= 0) || (rows == CLIN_ROWS_MSSEV && edss == 10)) return NAN; /* ms.sev: NA at EDSS 10 */
    if (rows == CLIN_ROWS_MSSEV) label = dd > 28 ? 29 : (int)floor(dd); /* ms.sev: index floor(dd+1), 30 above 29 */
    else label = dd >= 30 ? 30 : (int)floor(dd);
    return lookup(msss_tab_roxburgh, msss_tab_roxburgh_first, msss_tab_roxburgh_nrow, label, edss_col(edss));
}

double clin_msss_2017(double edss, double dd, int rows)
{
    int label;
    if (!(dd >= 0) || (rows == CLIN_ROWS_MSSEV && edss == 10)) return NAN;
    if (rows == CLIN_ROWS_MSSEV) label = dd > 28 ? 30 : (int)floor(dd) + 1; /* the off-by-one, reproduced */
    else label = dd >= 30 ? 30 : (int)floor(dd);
    return lookup(msss_tab_updated, msss_tab_updated_first, msss_tab_updated_nrow, label, edss_col(edss));
}

double clin_armss(double edss, double age, int rows)
{
    if (!(age >= 18)) return NAN;
    if (rows == CLIN_ROWS_MSSEV && (age > 75 || edss == 10)) return NAN;
    return lookup(msss_tab_armss, msss_tab_armss_first, msss_tab_armss_nrow, (int)floor(age), edss_col(edss));
}
