/* clinical_internal.h: severity tables shared by msss.c and the generated msss_tables.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef BCMS_CLINICAL_INTERNAL_H
#define BCMS_CLINICAL_INTERNAL_H

#define MSSS_NCOL 19 /* EDSS 0, 1, 1.5, ..., 9.5 */

extern const int msss_tab_roxburgh_first, msss_tab_roxburgh_nrow;
extern const double msss_tab_roxburgh[][MSSS_NCOL];
extern const int msss_tab_updated_first, msss_tab_updated_nrow;
extern const double msss_tab_updated[][MSSS_NCOL];
extern const int msss_tab_armss_first, msss_tab_armss_nrow;
extern const double msss_tab_armss[][MSSS_NCOL];

#endif
