/* Range against a stored response: input is lines "length\nRange\nIf-Range\nETag\nLast-Modified\n
 * Date" (a missing line is an absent field; length and Date in decimal). Must end; a 206 must lie
 * inside the body and answer "bytes=FIRST-LAST" the same; If-Range can only turn an answer into
 * the whole 200; the Content-Range must fit EG_RANGE_CONTENT_RANGE_SIZE. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/range.h"

#define LINES 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *line[LINES] = {NULL}, *p = buf;
    char cr[EG_RANGE_CONTENT_RANGE_SIZE], again[EG_RANGE_CONTENT_RANGE_SIZE + 8];
    unsigned long long length;
    time_t date;
    eg_range_t r, plain;
    int st, n;

    memcpy(buf, data, size);
    buf[size] = '\0';
    for (int i = 0; i < LINES && p; i++) {
        line[i] = p;
        if ((p = strchr(p, '\n')) != NULL)
            *p++ = '\0';
    }
    length = line[0] ? strtoull(line[0], NULL, 10) : 0;
    date = line[5] ? (time_t)strtoll(line[5], NULL, 10) : (time_t)-1;
    st = eg_range_eval(line[1], line[2], line[3], line[4], date, length, &r);
    if (st != r.status || r.length != length)
        abort();
    n = eg_range_content_range(&r, cr, sizeof(cr));
    switch (st) {
    case EG_RANGE_SINGLE:
        if (r.first > r.last || r.last >= length || r.why != NULL || n <= 0)
            abort();
        snprintf(again, sizeof(again), "bytes=%llu-%llu", r.first, r.last);
        if (eg_range_eval(again, NULL, NULL, NULL, -1, length, &plain) != EG_RANGE_SINGLE ||
            plain.first != r.first || plain.last != r.last)
            abort();
        break;
    case EG_RANGE_UNSATISFIABLE:
        if (r.first || r.last || r.why == NULL || n <= 0 || strncmp(cr, "bytes */", 8) != 0)
            abort();
        break;
    case EG_RANGE_IGNORE:
        if (r.first || r.last || r.why == NULL || n != -1)
            abort();
        break;
    default:
        abort();
    }
    /* If-Range only ever sends the whole 200 instead */
    eg_range_eval(line[1], NULL, NULL, NULL, -1, length, &plain);
    if (st != EG_RANGE_IGNORE &&
        (plain.status != st || plain.first != r.first || plain.last != r.last))
        abort();
    if (line[1] == NULL && st != EG_RANGE_IGNORE)
        abort();
    free(buf);
    return 0;
}
