/* RFC 9111's freshness and age arithmetic and CloudFront's TTLs over it, table-driven. The
 * clock is fixed: the response arrives at T (Sun, 09 Sep 2001 01:46:40 GMT), the request
 * left at T - delay. */
#include <stdlib.h>

#include "edgegate/common.h"
#include "edgegate/freshness.h"
#include "tap.h"

#define T 1000000000L
#define D_T "Sun, 09 Sep 2001 01:46:40 GMT"        /* T */
#define D_T_1H "Sun, 09 Sep 2001 00:46:40 GMT"     /* T - 3600 */
#define D_T_P1H "Sun, 09 Sep 2001 02:46:40 GMT"    /* T + 3600 */
#define D_T_P2H "Sun, 09 Sep 2001 03:46:40 GMT"    /* T + 7200 */

typedef struct {
    const char *what;
    const char *head; /* fields after "HTTP/1.1 <status> X\r\n", each ending in \r\n */
    int status;
    int min, def, max, err, auth, delay; /* auth: 1 authorized, 2 unkeyed forwarding */
    int storable;
    long ttl, age; /* checked when storable */
} row_t;

/* CloudFront's defaults unless a row says otherwise: min 0, default 86400, max 31536000 */
#define CF 0, 86400, 31536000, 10, 0, 0

static const row_t rows[] = {
    {"no freshness: CloudFront's default TTL", "", 200, CF, 1, 86400, 0},
    {"default TTL 0 and no validator: nothing to keep", "", 200, 0, 0, 31536000, 10, 0, 0, 0, 0,
     0},
    {"default TTL 0 with a validator: kept to revalidate", "ETag: \"a\"\r\n", 200, 0, 0,
     31536000, 10, 0, 0, 1, 0, 0},
    {"max-age", "Cache-Control: max-age=60\r\n", 200, CF, 1, 60, 0},
    {"s-maxage wins over max-age in a shared cache",
     "Cache-Control: max-age=60, s-maxage=70\r\n", 200, CF, 1, 70, 0},
    {"max-age above the maximum TTL", "Cache-Control: max-age=5000\r\n", 200, 0, 100, 1000, 10,
     0, 0, 1, 1000, 0},
    {"max-age below the minimum TTL", "Cache-Control: max-age=5\r\n", 200, 30, 100, 1000, 10, 0,
     0, 1, 30, 0},
    {"Expires minus Date", "Date: " D_T "\r\nExpires: " D_T_P1H "\r\n", 200, CF, 1, 3600, 0},
    {"Expires judged on the origin's clock: an old Date makes it stale (RFC 9111 4.2.1)",
     "Date: " D_T_1H "\r\nExpires: " D_T "\r\n", 200, CF, 0, 0, 0},
    {"Expires two hours after an hour-old Date: an hour left",
     "Date: " D_T_1H "\r\nExpires: " D_T_P1H "\r\n", 200, CF, 1, 3600, 3600},
    {"a fast origin clock: Date ahead of ours, no apparent age",
     "Date: " D_T_P1H "\r\nExpires: " D_T_P2H "\r\n", 200, CF, 1, 3600, 0},
    {"an invalid Expires is in the past", "Expires: 0\r\n", 200, CF, 0, 0, 0},
    {"an invalid Expires with a validator: stored stale", "Expires: 0\r\nETag: \"x\"\r\n", 200,
     CF, 1, 0, 0},
    {"Expires without Date: counted from arrival", "Expires: " D_T_P1H "\r\n", 200, CF, 1, 3600,
     0},
    {"RFC 850 Expires", "Date: " D_T "\r\nExpires: Sunday, 09-Sep-01 02:46:40 GMT\r\n", 200, CF,
     1, 3600, 0},
    {"asctime Expires", "Date: " D_T "\r\nExpires: Sun Sep  9 02:46:40 2001\r\n", 200, CF, 1,
     3600, 0},
    {"max-age wins over Expires", "Cache-Control: max-age=10\r\nExpires: " D_T_P1H "\r\n", 200,
     CF, 1, 10, 0},
    /* age (RFC 9111 4.2.3) */
    {"Age counts against max-age", "Cache-Control: max-age=3600\r\nAge: 600\r\n", 200, CF, 1,
     3000, 600},
    {"Age beyond max-age: stale, nothing to revalidate with",
     "Cache-Control: max-age=3600\r\nAge: 7200\r\n", 200, CF, 0, 0, 0},
    {"apparent age from Date uses max-age up", "Cache-Control: max-age=3600\r\nDate: " D_T_1H
     "\r\n", 200, CF, 0, 0, 0},
    {"apparent age from Date", "Cache-Control: max-age=5400\r\nDate: " D_T_1H "\r\n", 200, CF,
     1, 1800, 3600},
    {"response delay adds to Age", "Cache-Control: max-age=100\r\nAge: 10\r\n", 200, 0, 86400,
     31536000, 10, 0, 5, 1, 85, 15},
    {"apparent age wins when larger",
     "Cache-Control: max-age=7200\r\nAge: 10\r\nDate: " D_T_1H "\r\n", 200, CF, 1, 3600, 3600},
    {"a non-numeric Age is stale", "Cache-Control: max-age=3600\r\nAge: abc\r\n", 200, CF, 0, 0,
     0},
    {"a negative Age is stale", "Cache-Control: max-age=3600\r\nAge: -7200\r\n", 200, CF, 0, 0,
     0},
    {"a list in Age is stale", "Cache-Control: max-age=3600\r\nAge: 0, 0\r\n", 200, CF, 0, 0,
     0},
    {"two Age lines are stale", "Cache-Control: max-age=3600\r\nAge: 0\r\nAge: 0\r\n", 200, CF,
     0, 0, 0},
    {"an Age with a parameter is stale", "Cache-Control: max-age=3600\r\nAge: 1;a=b\r\n", 200,
     CF, 0, 0, 0},
    {"max-age and Age both past 2^31: 2^31 each, so stale (RFC 9111 1.2.2)",
     "Cache-Control: max-age=99999999999\r\nAge: 2147483648\r\n", 200, CF, 0, 0, 0},
    {"max-age past 2^31 with an invalid Age: stale", "Cache-Control: max-age=99999999999\r\n"
                                                     "Age: 1, 2\r\n",
     200, CF, 0, 0, 0},
    {"a huge Age is capped, not wrapped",
     "Cache-Control: max-age=3600\r\nAge: 99999999999999999999\r\n", 200, CF, 0, 0, 0},
    /* Cache-Control parsing */
    {"quoted max-age", "Cache-Control: max-age=\"60\"\r\n", 200, CF, 1, 60, 0},
    {"max-age in a quoted extension is not max-age",
     "Cache-Control: extension=\"max-age=3600\", max-age=1\r\n", 200, CF, 1, 1, 0},
    {"the first max-age counts", "Cache-Control: max-age=1\r\nCache-Control: max-age=99\r\n",
     200, CF, 1, 1, 0},
    {"max-age =1 is an invalid max-age: stale", "Cache-Control: max-age =3600\r\n", 200, CF, 0,
     0, 0},
    {"max-age=a1 is invalid: stale", "Cache-Control: max-age=a1\r\n", 200, CF, 0, 0, 0},
    {"a directive that only starts with private is not private",
     "Cache-Control: max-age=60, privateer\r\n", 200, CF, 1, 60, 0},
    {"max-age=0 without a validator: not stored", "Cache-Control: max-age=0\r\n", 200, CF, 0, 0,
     0},
    {"max-age=0 with a validator: stored to revalidate",
     "Cache-Control: max-age=0\r\nLast-Modified: " D_T_1H "\r\n", 200, CF, 1, 0, 0},
    {"max-age beyond 2^31 is 2^31, capped by the maximum TTL",
     "Cache-Control: max-age=99999999999\r\n", 200, CF, 1, 31536000, 0},
    {"no-store", "Cache-Control: no-store\r\n", 200, CF, 0, 0, 0},
    {"no-store on a later line", "Cache-Control: public\r\nCache-Control: no-store\r\n", 200, CF,
     0, 0, 0},
    {"private", "Cache-Control: max-age=3600\r\nCache-Control: private\r\n", 200, CF, 0, 0, 0},
    {"qualified private=\"...\" is private",
     "Cache-Control: private=\"Set-Cookie\", max-age=60\r\n", 200, CF, 0, 0, 0},
    {"private kept for CloudFront's minimum TTL", "Cache-Control: private\r\n", 200, 5, 100,
     1000, 10, 0, 0, 1, 5, 0},
    {"no-cache with a validator: stored, revalidated on every use",
     "Cache-Control: no-cache, max-age=600\r\nETag: \"v\"\r\n", 200, CF, 1, 0, 0},
    {"no-cache without a validator: not stored", "Cache-Control: no-cache\r\n", 200, CF, 0, 0,
     0},
    {"Set-Cookie is never stored", "Cache-Control: max-age=60\r\nSet-Cookie: a=b\r\n", 200, CF,
     0, 0, 0},
    /* statuses */
    {"204 with max-age: stored", "Cache-Control: max-age=60\r\n", 204, CF, 1, 60, 0},
    {"302 without freshness: not stored", "", 302, CF, 0, 0, 0},
    {"302 with max-age: stored", "Cache-Control: max-age=60\r\n", 302, CF, 1, 60, 0},
    {"301: CloudFront's default TTL", "", 301, CF, 1, 86400, 0},
    {"410: CloudFront's default TTL", "", 410, CF, 1, 86400, 0},
    {"206 is never stored", "Cache-Control: max-age=60\r\n", 206, CF, 0, 0, 0},
    {"416 is never stored", "Cache-Control: max-age=60\r\n", 416, CF, 0, 0, 0},
    {"599 with max-age: stored", "Cache-Control: max-age=60\r\n", 599, CF, 1, 60, 0},
    {"599 with must-understand: not understood, not stored",
     "Cache-Control: max-age=60, must-understand, no-store\r\n", 599, CF, 0, 0, 0},
    {"200 with must-understand: understood, no-store does not apply",
     "Cache-Control: max-age=60, must-understand, no-store\r\n", 200, CF, 1, 60, 0},
    /* CloudFront's error caching */
    {"404: the error caching minimum TTL", "", 404, CF, 1, 10, 0},
    {"503: the error caching minimum TTL", "", 503, CF, 1, 10, 0},
    {"404 max-age above the minimum: max-age", "Cache-Control: max-age=60\r\n", 404, CF, 1, 60,
     0},
    {"404 max-age below the minimum: the minimum", "Cache-Control: max-age=2\r\n", 404, CF, 1,
     10, 0},
    {"404 no-store is honoured", "Cache-Control: no-store\r\n", 404, CF, 0, 0, 0},
    {"500 no-store is not (CloudFront)", "Cache-Control: no-store\r\n", 500, CF, 1, 10, 0},
    {"500 private is honoured (one viewer's)", "Cache-Control: private\r\n", 500, CF, 0, 0, 0},
    {"500 no-store is honoured when the behavior forwards unkeyed fields",
     "Cache-Control: no-store\r\n", 500, 0, 86400, 31536000, 10, 2, 0, 0, 0, 0},
    {"a bare 500 with unkeyed forwarding: the error TTL still", "", 500, 0, 86400, 31536000, 10,
     2, 0, 1, 10, 0},
    {"private with a min TTL and unkeyed forwarding: not stored", "Cache-Control: private\r\n",
     200, 5, 100, 1000, 10, 2, 0, 0, 0, 0},
    {"error caching TTL 0: only what the error says", "Cache-Control: max-age=2\r\n", 404, 0,
     86400, 31536000, 0, 0, 0, 1, 2, 0},
    {"error caching TTL 0 and nothing said: not stored", "", 500, 0, 86400, 31536000, 0, 0, 0,
     0, 0, 0},
    {"an error is capped by the maximum TTL", "Cache-Control: max-age=600\r\n", 404, 0, 100, 60,
     10, 0, 0, 1, 60, 0},
    /* Authorization (RFC 9111 3.5) */
    {"authorized: not stored", "Cache-Control: max-age=60\r\n", 200, 0, 86400, 31536000, 10, 1,
     0, 0, 0, 0},
    {"authorized and public", "Cache-Control: max-age=60, public\r\n", 200, 0, 86400, 31536000,
     10, 1, 0, 1, 60, 0},
    {"authorized and s-maxage", "Cache-Control: s-maxage=60\r\n", 200, 0, 86400, 31536000, 10,
     1, 0, 1, 60, 0},
    {"authorized and must-revalidate", "Cache-Control: max-age=60, must-revalidate\r\n", 200, 0,
     86400, 31536000, 10, 1, 0, 1, 60, 0},
    /* Surrogate-Control (Edge Architecture 1.0) */
    {"Surrogate-Control max-age wins over Cache-Control",
     "Cache-Control: max-age=1\r\nSurrogate-Control: max-age=3600\r\n", 200, CF, 1, 3600, 0},
    {"Surrogate-Control max-age not over no-store when the behavior forwards unkeyed fields",
     "Cache-Control: no-store\r\nSurrogate-Control: max-age=3600\r\n", 200, 0, 86400,
     31536000, 10, 2, 0, 0, 0, 0},
    {"Surrogate-Control max-age never over Cache-Control private",
     "Cache-Control: private\r\nSurrogate-Control: max-age=3600\r\n", 200, CF, 0, 0, 0},
    {"Surrogate-Control max-age over Cache-Control no-store",
     "Cache-Control: no-store\r\nSurrogate-Control: max-age=3600;edgegate\r\n", 200, CF, 1, 3600,
     0},
    {"Surrogate-Control no-store over Cache-Control max-age",
     "Cache-Control: max-age=3600\r\nSurrogate-Control: no-store\r\n", 200, CF, 0, 0, 0},
    {"Surrogate-Control for another target is ignored",
     "Cache-Control: max-age=1\r\nSurrogate-Control: max-age=3600;other\r\n", 200, CF, 1, 1, 0},
    {"Surrogate-Control max-age=0 over a future Expires",
     "Surrogate-Control: max-age=0\r\nExpires: " D_T_P1H "\r\n", 200, CF, 0, 0, 0},
    {"Surrogate-Control directives are case-insensitive",
     "Surrogate-Control: MaX-aGe=60\r\n", 200, CF, 1, 60, 0},
};

typedef struct {
    const char *what, *head;
    long swr, sie;
    int revalidate;
} stale_row_t;

static const stale_row_t stale_rows[] = {
    {"stale-while-revalidate", "Cache-Control: max-age=1, stale-while-revalidate=30\r\n", 30,
     -1, 0},
    {"stale-if-error", "Cache-Control: max-age=1, stale-if-error=60\r\n", 0, 60, 0},
    {"stale-if-error=0 is a window of none", "Cache-Control: max-age=1, stale-if-error=0\r\n",
     0, 0, 0},
    {"no stale-if-error: none given", "Cache-Control: max-age=1\r\n", 0, -1, 0},
    {"must-revalidate forbids stale", "Cache-Control: max-age=1, stale-if-error=60, "
                                      "must-revalidate\r\n",
     0, -1, 1},
    {"proxy-revalidate forbids stale", "Cache-Control: max-age=1, proxy-revalidate\r\n", 0, -1,
     1},
    {"s-maxage forbids stale", "Cache-Control: s-maxage=1, stale-if-error=60\r\n", 0, -1, 1},
};

static int judge(const char *fields, int status, const eg_fresh_policy_t *p, eg_fresh_t *f)
{
    eg_http_head_t *h = malloc(sizeof(*h));
    char head[2048];
    int r;
    snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n%s\r\n", status, fields);
    if (eg_http_parse_response_head(head, strlen(head), h) != 1) {
        free(h);
        return -1;
    }
    r = eg_fresh_judge(h, p, f);
    free(h);
    return r;
}

int main(void)
{
    for (size_t i = 0; i < EG_ARRAY_LEN(rows); i++) {
        const row_t *w = &rows[i];
        eg_fresh_policy_t p = {.min_ttl = w->min,
                               .default_ttl = w->def,
                               .max_ttl = w->max,
                               .error_min_ttl = w->err,
                               .authorized = w->auth & 1,
                               .unkeyed = (w->auth & 2) != 0,
                               .request_time = T - w->delay,
                               .response_time = T};
        eg_fresh_t f;
        int r = judge(w->head, w->status, &p, &f);
        if (w->storable)
            ok(r == 1 && f.ttl == w->ttl && f.age == w->age, "%s (got %d, ttl %ld, age %ld)",
               w->what, r, f.ttl, f.age);
        else
            ok(r == 0, "%s: not stored (got %d, ttl %ld)",
               w->what, r, f.ttl);
    }
    for (size_t i = 0; i < EG_ARRAY_LEN(stale_rows); i++) {
        const stale_row_t *w = &stale_rows[i];
        eg_fresh_policy_t p = {.default_ttl = 86400,
                               .max_ttl = 31536000,
                               .error_min_ttl = 10,
                               .request_time = T,
                               .response_time = T};
        eg_fresh_t f;
        int r = judge(w->head, 200, &p, &f);
        ok(r == 1 && f.swr == w->swr && f.sie == w->sie && f.revalidate == w->revalidate,
           "%s (swr %ld, sie %ld, revalidate %d)", w->what, f.swr, f.sie, f.revalidate);
    }
    {
        /* RFC 9110 5.6.7's example, in its three forms */
        static const char *const forms[] = {"Sun, 06 Nov 1994 08:49:37 GMT",
                                            "Sunday, 06-Nov-94 08:49:37 GMT",
                                            "Sun Nov  6 08:49:37 1994"};
        for (size_t i = 0; i < EG_ARRAY_LEN(forms); i++)
            ok(eg_fresh_parse_date(forms[i], strlen(forms[i])) == 784111777L, "date: %s",
               forms[i]);
        ok(eg_fresh_parse_date("Sun, 06 Nov 1994 08:49:37 UTC", 29) == -1, "UTC is not GMT");
        ok(eg_fresh_parse_date("Sun, 06 Nov 1994 08:49:37 GMT ", 30) == -1, "trailing bytes");
        ok(eg_fresh_parse_date("0", 1) == -1, "\"0\" is no date");
        ok(eg_fresh_parse_date("Sun, 32 Nov 1994 08:49:37 GMT", 29) == -1, "day 32");
        ok(eg_fresh_parse_date("Sun, 06 Nov 1994 08.49.37 GMT", 29) == -1, "time with dots");
    }
    return done();
}
