/* FastCGI records and the name-value pairs inside them. */
#include "edgegate/fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    eg_fcgi_record_t rec;
    while (off < size && eg_fcgi_record_parse(data + off, size - off, &rec) == 1) {
        size_t pos = 0, nl, vl;
        const uint8_t *n, *v;
        while (eg_fcgi_pair_next(rec.content, rec.content_len, &pos, &n, &nl, &v, &vl) == 1)
            ;
        off += rec.record_len;
    }
    return 0;
}
