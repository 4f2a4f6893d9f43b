/* Range requests answered from a stored complete (200) response, as RFC 9110 section 14 and
 * If-Range (13.1.5) say. The cache calls eg_range_eval when it serves a stored 200 to a GET
 * (range handling is defined for GET only), then eg_range_content_range for a 206 or 416. Pure.
 *
 * Decisions (the RFC leaves them to the server):
 *  - An invalid Range is ignored (14.2 allows ignoring or 416): wrong unit, bad syntax, no
 *    range-spec, whitespace anywhere but around the list's commas, or one int-range whose
 *    last-pos is below its first-pos (that makes the whole ranges-specifier invalid, 14.1.1).
 *  - Several ranges are coalesced when they overlap or touch (15.3.7 allows it): one span left
 *    gives a 206; more give the whole 200, as edgegate sends no multipart/byteranges.
 *    Unsatisfiable range-specs among satisfiable ones are dropped.
 *  - More than EG_RANGE_MAX list elements (empty ones count): ignored, as 14.2 allows for
 *    abusive range sets.
 *  - Numbers of any length: past 2^64-1 a value is as far beyond the representation as
 *    2^64-1 is, so it saturates; "last-pos below first-pos" compares the digits exactly.
 *  - An empty representation (14.1.2): only a suffix-range with a non-zero length is
 *    satisfiable, and a 206 has no way to say "no bytes", so that is a 200 (14.2 lets a server
 *    ignore Range for an empty representation); anything else is a 416.
 *  - If-Range holding an entity-tag: strong comparison, so a weak tag on either side never
 *    matches. Holding a date: it must be byte for byte the stored Last-Modified, an
 *    IMF-fixdate (the obsolete forms are not read), and strong in 8.8.2.2's sense for a cache:
 *    at least 60 seconds before the stored response's Date. Anything else is false, and a
 *    false If-Range means the whole 200 (never a 416). */
#ifndef EDGEGATE_RANGE_H
#define EDGEGATE_RANGE_H

#include <stddef.h>
#include <time.h>

/* The answer, as the status to send. */
enum {
    EG_RANGE_IGNORE = 200,        /* the whole stored response */
    EG_RANGE_SINGLE = 206,        /* bytes first..last with Content-Range */
    EG_RANGE_UNSATISFIABLE = 416, /* no body; Content-Range with "*" for the range */
};

#define EG_RANGE_MAX 100
/* Room for the longest Content-Range value and its NUL. */
#define EG_RANGE_CONTENT_RANGE_SIZE                                                                \
    sizeof("bytes 18446744073709551615-18446744073709551615/18446744073709551615")

typedef struct {
    int status;                     /* EG_RANGE_* */
    unsigned long long first, last; /* 206: inclusive byte positions, last < length; else 0 */
    unsigned long long length;      /* the stored representation's, for Content-Range */
    const char *why;                /* static text: why 200 or 416, for logs; NULL for 206 */
} eg_range_t;

/* range and if_range: the request's field values or NULL (several Range lines joined by
 * commas are invalid, as they should be); etag and last_modified: the stored response's or
 * NULL; date: the stored response's Date, (time_t)-1 when unknown; length: its body's bytes.
 * All borrowed. Returns out->status. */
int eg_range_eval(const char *range, const char *if_range, const char *etag,
                  const char *last_modified, time_t date, unsigned long long length,
                  eg_range_t *out);

/* Writes r's Content-Range value into buf: "bytes " ("FIRST-LAST" | "*") "/LENGTH", the range
 * for a 206 and the star for a 416. Returns its length, or -1 for a 200 or when size is too
 * small. */
int eg_range_content_range(const eg_range_t *r, char *buf, size_t size);

#endif
