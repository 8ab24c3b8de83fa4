/* freq.c: frequencies, call rates and HWE per merged variant, through the reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "err.h"
#include "freq.h"
#include "outfile.h"
#include "reader.h"

void bcms_freq_opts_init(bcms_freq_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_reader_opts_init(&o->sel);
    o->out = "-";
}

static void put_p(kstring_t *s, double p)
{
    if (isnan(p)) kputs("\tNA", s);
    else ksprintf(s, "\t%.6g", p);
}

static void freq_line(kstring_t *line, const bcms_variant_t *v)
{
    double alt = v->ac + 0.5 * v->nhh, obs = (double)v->an + v->nhh, fp;
    ksprintf(line, "%s\t%lld\t%s\t%s\t%s\t", v->chrom, (long long)v->pos, v->id, v->ref, v->alt);
    if (obs > 0) ksprintf(line, "%.6g", alt / obs);
    else kputs("NA", line);
    ksprintf(line, "\t%.10g\t%.10g\t%u\t%u\t%u\t%.6g", alt, obs, v->nhet, v->nhom, v->nmiss,
             v->nsamp ? (double)(v->nsamp - v->nmiss) / v->nsamp : 0.0);
    double p = bcms_variant_hwe(v, &fp);
    put_p(line, p);
    put_p(line, fp);
    kputc('\n', line);
}

int bcms_freq(bcms_store_t *st, const bcms_freq_opts_t *o)
{
    bcms_reader_t *rd = NULL;
    bcms_outfile_t *out = NULL;
    kstring_t line = {0, 0, NULL};
    bcms_reader_opts_t sel = o->sel;
    int rc;
    sel.need_counts = 1;
    sel.stream = 1; /* window by window: memory does not grow with the variant count */
    if ((rc = bcms_reader_open(st, &sel, &rd))) return rc;
    if ((rc = bcms_outfile_open(o->out, 0, &out))) goto done;
    kputs("#CHROM\tPOS\tID\tREF\tALT\tALT_FREQ\tALT_CT\tOBS_CT\tHET_CT\tHOM_ALT_CT\tMISSING_CT\tCALL_RATE\tHWE_P"
          "\tFEMALE_HWE_P\n", &line);
    for (;;) {
        uint32_t b0, nb, n0;
        uint64_t lo, hi;
        if ((rc = bcms_reader_next(rd, &b0, &nb))) goto done;
        if (!nb) break;
        bcms_reader_batch_range(rd, b0, &lo, &n0);
        hi = bcms_reader_nvariants(rd);
        for (uint64_t i = lo; i < hi; i++) {
            freq_line(&line, bcms_reader_variant(rd, i));
            if (line.l > (1 << 16)) {
                if ((rc = bcms_outfile_write(out, line.s, line.l))) goto done;
                line.l = 0;
            }
        }
    }
    if ((rc = bcms_outfile_write(out, line.s, line.l))) goto done;
    rc = bcms_outfile_commit(out); /* the output appears only now, whole */
    out = NULL;
done:
    bcms_outfile_abort(out);
    bcms_reader_close(rd);
    free(line.s);
    return rc;
}
