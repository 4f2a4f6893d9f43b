/* Range and If-Range against a stored 200 (RFC 9110 section 14). */
#include <limits.h>
#include <stdlib.h>

#include "edgegate/range.h"
#include "tap.h"

#define ETAG "\"abc\""
#define LM "Sun, 06 Nov 1994 08:49:37 GMT"
#define LM_T 784111777
#define DATE (LM_T + 3600)
#define MAX "18446744073709551615" /* ULLONG_MAX */

typedef struct {
    const char *name, *range, *if_range;
    unsigned long long length;
    int status;
    unsigned long long first, last;
} case_t;

static const case_t cases[] = {
    /* RFC 9110 section 14.1.2's examples, on its 10000-byte representation */
    {"first 500 bytes", "bytes=0-499", NULL, 10000, 206, 0, 499},
    {"second 500 bytes", "bytes=500-999", NULL, 10000, 206, 500, 999},
    {"final 500 bytes as a suffix", "bytes=-500", NULL, 10000, 206, 9500, 9999},
    {"final 500 bytes as 9500-", "bytes=9500-", NULL, 10000, 206, 9500, 9999},
    {"first and last bytes only: two parts, so the whole 200", "bytes=0-0,-1", NULL, 10000, 200, 0,
     0},
    {"second 500, not canonical: 500-600,601-999", "bytes=500-600,601-999", NULL, 10000, 206, 500,
     999},
    {"second 500, not canonical: 500-700,601-999", "bytes=500-700,601-999", NULL, 10000, 206, 500,
     999},
    {"first and last bytes of 1 byte: one part", "bytes=0-0,-1", NULL, 1, 206, 0, 0},
    {"first and last bytes of 2 bytes: adjacent", "bytes=0-0,-1", NULL, 2, 206, 0, 1},
    /* clipping */
    {"last-pos past the end is clipped", "bytes=9000-20000", NULL, 10000, 206, 9000, 9999},
    {"suffix longer than the representation: all of it", "bytes=-20000", NULL, 10000, 206, 0, 9999},
    {"the last byte", "bytes=9999-9999", NULL, 10000, 206, 9999, 9999},
    {"bytes=0- is the whole body as a 206", "bytes=0-", NULL, 10000, 206, 0, 9999},
    /* coalescing */
    {"adjacent ranges join", "bytes=0-1,2-3", NULL, 10, 206, 0, 3},
    {"out of order ranges join", "bytes=500-999,0-499", NULL, 10000, 206, 0, 999},
    {"a contained range", "bytes=0-10,5-7", NULL, 100, 206, 0, 10},
    {"a gap of one byte: the whole 200", "bytes=0-1,3-4", NULL, 10, 200, 0, 0},
    {"three that join only through the middle one", "bytes=0-3,8-9,4-7", NULL, 10, 206, 0, 9},
    {"an unsatisfiable one among them is dropped", "bytes=20000-,0-4", NULL, 10000, 206, 0, 4},
    {"-0 beside a satisfiable one is dropped", "bytes=-0,0-0", NULL, 10000, 206, 0, 0},
    /* unsatisfiable */
    {"first-pos at the length", "bytes=10000-", NULL, 10000, 416, 0, 0},
    {"first-pos past the length", "bytes=10000-20000", NULL, 10000, 416, 0, 0},
    {"suffix of 0", "bytes=-0", NULL, 10000, 416, 0, 0},
    {"all unsatisfiable", "bytes=-0,10000-,10001-10002", NULL, 10000, 416, 0, 0},
    /* an empty representation, as 14.1.2 says: only a non-zero suffix is satisfiable */
    {"empty: 0-", "bytes=0-", NULL, 0, 416, 0, 0},
    {"empty: 0-0", "bytes=0-0", NULL, 0, 416, 0, 0},
    {"empty: -0", "bytes=-0", NULL, 0, 416, 0, 0},
    {"empty: -1 is satisfiable, and no 206 holds 0 bytes: 200", "bytes=-1", NULL, 0, 200, 0, 0},
    {"empty: 0-0,-5 likewise", "bytes=0-0,-5", NULL, 0, 200, 0, 0},
    {"empty: 5-2 is invalid", "bytes=5-2", NULL, 0, 200, 0, 0},
    /* syntax: invalid means ignored */
    {"no Range", NULL, NULL, 10, 200, 0, 0},
    {"bytes=-", "bytes=-", NULL, 10, 200, 0, 0},
    {"last below first", "bytes=5-2", NULL, 10, 200, 0, 0},
    {"one invalid spec spoils the rest", "bytes=0-1,5-2", NULL, 10, 200, 0, 0},
    {"invalid beats unsatisfiable", "bytes=10000-,5-2", NULL, 10000, 200, 0, 0},
    {"space before =", "bytes =0-1", NULL, 10, 200, 0, 0},
    {"space after =", "bytes= 0-1", NULL, 10, 200, 0, 0},
    {"space inside a spec", "bytes=0 -1", NULL, 10, 200, 0, 0},
    {"space after -", "bytes=0- 1", NULL, 10, 200, 0, 0},
    {"two specs without a comma", "bytes=0-1 2-3", NULL, 10, 200, 0, 0},
    {"OWS around commas", "bytes=0-1 ,\t2-3", NULL, 10, 206, 0, 3},
    {"OWS around the value", " \tbytes=0-1 ", NULL, 10, 206, 0, 1},
    {"BYTES", "BYTES=0-1", NULL, 10, 206, 0, 1},
    {"Bytes", "Bytes=2-", NULL, 10, 206, 2, 9},
    {"another unit", "items=0-1", NULL, 10, 200, 0, 0},
    {"a unit that starts with bytes", "bytesx=0-1", NULL, 10, 200, 0, 0},
    {"no =", "bytes", NULL, 10, 200, 0, 0},
    {"no unit", "=0-1", NULL, 10, 200, 0, 0},
    {"empty", "", NULL, 10, 200, 0, 0},
    {"bytes=", "bytes=", NULL, 10, 200, 0, 0},
    {"only empty elements", "bytes=, ,,", NULL, 10, 200, 0, 0},
    {"an empty element first", "bytes=,0-1", NULL, 10, 206, 0, 1},
    {"an empty element in between", "bytes=0-1,,2-3", NULL, 10, 206, 0, 3},
    {"OWS then an empty first element", "bytes= ,0-1", NULL, 10, 206, 0, 1},
    {"a trailing comma", "bytes=0-1,", NULL, 10, 206, 0, 1},
    {"other-range is undefined for bytes", "bytes=abc", NULL, 10, 200, 0, 0},
    {"hex", "bytes=0x10-", NULL, 100, 200, 0, 0},
    {"a sign", "bytes=+1-2", NULL, 10, 200, 0, 0},
    {"a signed suffix", "bytes=-+1", NULL, 10, 200, 0, 0},
    {"--1", "bytes=--1", NULL, 10, 200, 0, 0},
    {"1-2-3", "bytes=1-2-3", NULL, 10, 200, 0, 0},
    {"a parameter", "bytes=0-1;a=b", NULL, 10, 200, 0, 0},
    {"a CR", "bytes=0-1\r", NULL, 10, 200, 0, 0},
    {"two Range lines joined", "bytes=0-1, bytes=2-3", NULL, 10, 200, 0, 0},
    {"leading zeros", "bytes=000000000000000000000000000001-0002", NULL, 10, 206, 1, 2},
    /* numbers past 64 bits saturate: first-pos unsatisfiable, last-pos and suffix clipped */
    {"first-pos 2^64", "bytes=18446744073709551616-", NULL, 10, 416, 0, 0},
    {"first-pos of 26 digits", "bytes=99999999999999999999999999-", NULL, 10, 416, 0, 0},
    {"last-pos of 23 digits", "bytes=0-99999999999999999999999", NULL, 10, 206, 0, 9},
    {"suffix of 20 digits", "bytes=-99999999999999999999", NULL, 10, 206, 0, 9},
    {"last below first, both past 64 bits", "bytes=99999999999999999999999-99999999999999999999998",
     NULL, 10, 200, 0, 0},
    {"last equal to first, both past 64 bits",
     "bytes=99999999999999999999999-099999999999999999999999", NULL, 10, 416, 0, 0},
    {"last below first in leading zeros", "bytes=5-000000000000000000000004", NULL, 10, 200, 0, 0},
    {"the largest length: its last byte", "bytes=18446744073709551614-", NULL, ULLONG_MAX, 206,
     ULLONG_MAX - 1, ULLONG_MAX - 1},
    {"the largest length: first-pos at it", "bytes=" MAX "-", NULL, ULLONG_MAX, 416, 0, 0},
    {"the largest length: a suffix", "bytes=-1", NULL, ULLONG_MAX, 206, ULLONG_MAX - 1,
     ULLONG_MAX - 1},
    {"the largest length: all of it", "bytes=0-" MAX, NULL, ULLONG_MAX, 206, 0, ULLONG_MAX - 1},
    /* If-Range (stored: ETag "abc", Last-Modified LM, Date an hour later) */
    {"If-Range: the ETag", "bytes=0-1", ETAG, 10, 206, 0, 1},
    {"If-Range: another ETag", "bytes=0-1", "\"abd\"", 10, 200, 0, 0},
    {"If-Range: the ETag made weak", "bytes=0-1", "W/" ETAG, 10, 200, 0, 0},
    {"If-Range: a tag without its quotes", "bytes=0-1", "abc", 10, 200, 0, 0},
    {"If-Range: a lone quote", "bytes=0-1", "\"", 10, 200, 0, 0},
    {"If-Range: empty", "bytes=0-1", "", 10, 200, 0, 0},
    {"If-Range: the date", "bytes=0-1", LM, 10, 206, 0, 1},
    {"If-Range: a second later", "bytes=0-1", "Sun, 06 Nov 1994 08:49:38 GMT", 10, 200, 0, 0},
    {"If-Range: the same instant in RFC 850 form", "bytes=0-1", "Sunday, 06-Nov-94 08:49:37 GMT",
     10, 200, 0, 0},
    {"If-Range: the same instant in asctime form", "bytes=0-1", "Sun Nov  6 08:49:37 1994", 10, 200,
     0, 0},
    {"If-Range: the date in lower case", "bytes=0-1", "sun, 06 nov 1994 08:49:37 gmt", 10, 200, 0,
     0},
    {"If-Range with OWS", "bytes=0-1", " " ETAG "\t", 10, 206, 0, 1},
    {"If-Range false: unsatisfiable is a 200, not a 416", "bytes=20-", "\"x\"", 10, 200, 0, 0},
    {"If-Range true: unsatisfiable is a 416", "bytes=20-", ETAG, 10, 416, 0, 0},
    {"If-Range false: invalid is a 200", "bytes=5-2", "\"x\"", 10, 200, 0, 0},
    {"If-Range without Range", NULL, ETAG, 10, 200, 0, 0},
};

static void check(const case_t *c)
{
    eg_range_t r;
    int st = eg_range_eval(c->range, c->if_range, ETAG, LM, DATE, c->length, &r);
    int good = st == c->status && r.status == st && r.length == c->length &&
               (st == 206 ? r.first == c->first && r.last == c->last && r.why == NULL
                          : r.first == 0 && r.last == 0 && r.why != NULL);
    if (!ok(good, "%s: %d", c->name, c->status))
        printf("#   got %d %llu-%llu (%s)\n", st, r.first, r.last, r.why ? r.why : "");
}

/* "bytes=0-0,1-1,...": n ranges that join into 0..n-1. */
static char *many(int n)
{
    char *s = malloc(16 + (size_t)n * 16), *p = s;
    p += sprintf(p, "bytes=");
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%d-%d", i ? "," : "", i, i);
    return s;
}

static void stored_validators(void)
{
    eg_range_t r;
    is_int(eg_range_eval("bytes=0-1", "W/\"abc\"", "W/\"abc\"", LM, DATE, 10, &r), 200,
           "If-Range: a weak tag never matches, even itself");
    is_int(eg_range_eval("bytes=0-1", ETAG, "W/" ETAG, LM, DATE, 10, &r), 200,
           "If-Range: a strong tag against a stored weak one");
    is_int(eg_range_eval("bytes=0-1", ETAG, NULL, LM, DATE, 10, &r), 200,
           "If-Range: a tag, nothing stored");
    is_int(eg_range_eval("bytes=0-1", "\"a b\"", "\"a b\"", LM, DATE, 10, &r), 200,
           "If-Range: equal but not an entity-tag (a space)");
    is_int(eg_range_eval("bytes=0-1", "\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", LM, DATE, 10, &r), 206,
           "If-Range: obs-text in a tag");
    is_int(eg_range_eval("bytes=0-1", LM, ETAG, NULL, DATE, 10, &r), 200,
           "If-Range: a date, no Last-Modified stored");
    is_int(eg_range_eval("bytes=0-1", LM, ETAG, LM, LM_T + 60, 10, &r), 206,
           "If-Range: Last-Modified 60 s before Date is strong");
    is_int(eg_range_eval("bytes=0-1", LM, ETAG, LM, LM_T + 59, 10, &r), 200,
           "If-Range: Last-Modified 59 s before Date is weak (RFC 9110 8.8.2.2)");
    is_int(eg_range_eval("bytes=0-1", LM, ETAG, LM, (time_t)-1, 10, &r), 200,
           "If-Range: no Date stored, so the date is weak");
    is_int(eg_range_eval("bytes=0-1", "yesterday", ETAG, "yesterday", DATE, 10, &r), 200,
           "If-Range: equal but not an HTTP-date");
    is_int(eg_range_eval("bytes=0-1", "Sun, 06 Nov 1994 24:49:37 GMT", ETAG,
                         "Sun, 06 Nov 1994 24:49:37 GMT", DATE, 10, &r),
           200, "If-Range: equal but hour 24");
    is_int(eg_range_eval("bytes=0-1", "Sun, 06 Nov 1994 08:49:37 UTC", ETAG,
                         "Sun, 06 Nov 1994 08:49:37 UTC", DATE, 10, &r),
           200, "If-Range: equal but UTC, not GMT");
    is_int(eg_range_eval("bytes=0-1", "Thu, 01 Jan 1970 00:00:00 GMT", ETAG,
                         "Thu, 01 Jan 1970 00:00:00 GMT", 60, 10, &r),
           206, "If-Range: the epoch is a date like another");
    is_int(eg_range_eval("bytes=0-1", "Tue, 29 Feb 2000 23:59:60 GMT", ETAG,
                         "Tue, 29 Feb 2000 23:59:60 GMT", 951868860, 10, &r),
           206, "If-Range: a leap day and a leap second, 60 s before Date");
    is_int(eg_range_eval("bytes=0-1", "Tue, 29 Feb 2000 23:59:60 GMT", ETAG,
                         "Tue, 29 Feb 2000 23:59:60 GMT", 951868859, 10, &r),
           200, "If-Range: the same, 59 s before Date");
}

static void content_range(void)
{
    eg_range_t r;
    char buf[EG_RANGE_CONTENT_RANGE_SIZE];
    eg_range_eval("bytes=21010-", NULL, NULL, NULL, -1, 47022, &r);
    is_int(eg_range_content_range(&r, buf, sizeof(buf)), 23, "206: its length");
    is_str(buf, "bytes 21010-47021/47022", "206: RFC 9110 15.3.7.1's example");
    eg_range_eval("bytes=47022-", NULL, NULL, NULL, -1, 47022, &r);
    eg_range_content_range(&r, buf, sizeof(buf));
    is_str(buf, "bytes */47022", "416: RFC 9110 15.5.17's example");
    eg_range_eval("bytes=0-", NULL, NULL, NULL, -1, 0, &r);
    eg_range_content_range(&r, buf, sizeof(buf));
    is_str(buf, "bytes */0", "416 of an empty representation");
    eg_range_eval("bytes=0-1,3-4", NULL, NULL, NULL, -1, 10, &r);
    is_int(eg_range_content_range(&r, buf, sizeof(buf)), -1, "200: no Content-Range");
    eg_range_eval("bytes=18446744073709551614-", NULL, NULL, NULL, -1, ULLONG_MAX, &r);
    is_int(eg_range_content_range(&r, buf, sizeof(buf)), (int)sizeof(buf) - 1,
           "the longest value fits EG_RANGE_CONTENT_RANGE_SIZE");
    is_str(buf, "bytes 18446744073709551614-18446744073709551614/" MAX, "the longest value");
    is_int(eg_range_content_range(&r, buf, sizeof(buf) - 1), -1, "one byte short: -1");
    is_int(eg_range_content_range(&r, NULL, 0), -1, "no buffer: -1");
}

int main(void)
{
    eg_range_t r;
    char *s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(&cases[i]);
    stored_validators();
    content_range();

    s = many(EG_RANGE_MAX);
    ok(eg_range_eval(s, NULL, NULL, NULL, -1, 1000, &r) == 206 && r.first == 0 && r.last == 99,
       "100 ranges that join: 206 0-99");
    free(s);
    s = many(EG_RANGE_MAX + 1);
    is_int(eg_range_eval(s, NULL, NULL, NULL, -1, 1000, &r), 200, "101 ranges: the whole 200");
    is_str(r.why, "more than 100 ranges", "101 ranges: why");
    free(s);
    s = malloc(200);
    strcpy(s, "bytes=0-1");
    memset(s + 9, ',', 100);
    strcpy(s + 109, "2-3");
    is_int(eg_range_eval(s, NULL, NULL, NULL, -1, 10, &r), 200,
           "100 empty elements count towards the limit");
    free(s);
    {
        /* 10 MB of digits: linear, and a first-pos that large is past any length */
        size_t n = 10 * 1000 * 1000;
        s = malloc(n + 8);
        memcpy(s, "bytes=", 6);
        memset(s + 6, '9', n);
        strcpy(s + 6 + n, "-");
        is_int(eg_range_eval(s, NULL, NULL, NULL, -1, ULLONG_MAX, &r), 416,
               "a first-pos of 10 million digits: 416");
        free(s);
    }
    eg_range_eval("bytes=5-2", NULL, NULL, NULL, -1, 10, &r);
    is_str(r.why, "an invalid range-spec", "invalid: why");
    eg_range_eval("bytes=0-1", "\"x\"", ETAG, NULL, -1, 10, &r);
    is_str(r.why, "If-Range does not hold", "If-Range: why");
    return done();
}
