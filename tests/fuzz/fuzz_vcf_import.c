/* fuzz_vcf_import.c: the VCF/BCF loader. The input is written to a file and imported into a new
 * temporary store, as `bcms import` does; what the import accepts is then read back (view, freq)
 * and parsed by htslib itself. Findings besides crashes (fuzz_common.h):
 *   - accepted but unreadable: view or freq reports the store as damaged right after the import;
 *   - accepted although htslib refuses the file: bcms's fast path must refuse what htslib refuses;
 *   - a different record count from htslib's. */
#include <htslib/vcf.h>

#include "fuzz_common.h"
#include "freq.h"
#include "vcf_import.h"
#include "view.h"

/* Records htslib reads from path, unpacking every field; -1 when htslib refuses the file. */
static long htslib_records(const char *path)
{
    htsFile *fp = hts_open(path, "r");
    bcf_hdr_t *h = fp ? bcf_hdr_read(fp) : NULL;
    bcf1_t *rec = bcf_init();
    long n = 0;
    int r = -1;
    if (h && rec) {
        while ((r = bcf_read(fp, h, rec)) == 0) {
            /* undeclared contigs and tags are read (htslib warns); anything else is a refusal */
            if (bcf_unpack(rec, BCF_UN_ALL) < 0 || (rec->errcode & ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF))) {
                r = -2;
                break;
            }
            n++;
        }
    }
    if (rec) bcf_destroy(rec);
    if (h) bcf_hdr_destroy(h);
    if (fp) hts_close(fp);
    return r == -1 ? n : -1;
}

static void read_back(bcms_store_t *st, const char *in, uint64_t records)
{
    bcms_view_opts_t vo;
    bcms_freq_opts_t fo;
    char msg[600];
    int rc;
    bcms_view_opts_init(&vo);
    vo.out = "/dev/null";
    if ((rc = bcms_view(st, &vo)) == BCMS_ECORRUPT) fuzz_silent("accepted but unreadable (view)", bcms_err_detail());
    bcms_freq_opts_init(&fo);
    fo.out = "/dev/null";
    if ((rc = bcms_freq(st, &fo)) == BCMS_ECORRUPT) fuzz_silent("accepted but unreadable (freq)", bcms_err_detail());
    long hn = htslib_records(in);
    if (hn < 0) {
        fuzz_silent("accepted although htslib refuses the file", in);
    } else if ((uint64_t)hn != records) {
        snprintf(msg, sizeof msg, "bcms imported %llu records, htslib reads %ld", (unsigned long long)records, hn);
        fuzz_silent("record count differs from htslib's", msg);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[4200], store[4200];
    bcms_store_t *st = NULL;
    bcms_import_opts_t o;
    bcms_import_stats_t stats;
    fuzz_begin(data, size);
    fuzz_path(in, sizeof in, "input.vcf");
    fuzz_path(store, sizeof store, "s.bcms");
    fuzz_write(in, data, size);
    fuzz_rm_store(store);
    if (bcms_store_open(store, BCMS_STORE_CREATE, &st)) abort(); /* a new store in a scratch folder */
    bcms_import_opts_init(&o);
    o.threads = 1;
    o.cohort = "fuzz";
    const char *paths[1] = {in};
    if (bcms_import(st, paths, 1, &o, &stats) == 0) read_back(st, in, stats.records);
    bcms_store_close(st);
    return 0;
}
