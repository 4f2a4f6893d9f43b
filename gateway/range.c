/* Range requests against a stored 200 (see range.h): RFC 9110 sections 13.1.5, 14 and 15.3.7.
 * The whole field is read before anything is decided, because one invalid range-spec anywhere
 * makes the whole Range invalid, and a false If-Range makes any Range, even an unsatisfiable
 * one, a plain 200. */
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "edgegate/range.h"

_Static_assert(sizeof(unsigned long long) == 8, "EG_RANGE_CONTENT_RANGE_SIZE counts 20 digits");

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* s without the OWS at either end, its length in *n. */
static const char *trim(const char *s, size_t *n)
{
    size_t len = strlen(s);
    while (len && is_ows(*s)) {
        s++;
        len--;
    }
    while (len && is_ows(s[len - 1]))
        len--;
    *n = len;
    return s;
}

/* 1*DIGIT: the value saturated at ULLONG_MAX (a saturated position lies past any length, as
 * the real one does), and the significant digits, so that two numbers compare exactly. */
typedef struct {
    unsigned long long v;
    const char *digits; /* borrowed */
    size_t n;
} num_t;

/* The number at p, or NULL when there is no digit there. */
static const char *number(const char *p, const char *end, num_t *num)
{
    const char *start = p;
    while (p < end && *p == '0')
        p++;
    num->digits = p;
    num->v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        num->v = num->v > (ULLONG_MAX - d) / 10 ? ULLONG_MAX : num->v * 10 + d;
    }
    num->n = (size_t)(p - num->digits);
    return p > start ? p : NULL;
}

static int num_less(const num_t *a, const num_t *b)
{
    return a->n != b->n ? a->n < b->n : memcmp(a->digits, b->digits, a->n) < 0;
}

/* What the satisfiable range-specs select, clipped to the representation. */
typedef struct {
    unsigned long long first, last;
} span_t;

typedef struct {
    span_t span[EG_RANGE_MAX];
    size_t n;
    int empty_suffix; /* a suffix-range of an empty representation: satisfiable, but no bytes */
} set_t;

static void add(set_t *set, unsigned long long first, unsigned long long last)
{
    assert(set->n < EG_RANGE_MAX && first <= last);
    set->span[set->n++] = (span_t){first, last};
}

/* One range-spec at p (14.1.1, 14.1.2): returns the end of it, or NULL when it is invalid. */
static const char *spec(const char *p, const char *end, unsigned long long len, set_t *set)
{
    num_t first, last = {0, NULL, 0};
    int has_last;
    if (*p == '-') { /* suffix-range */
        if ((p = number(p + 1, end, &last)) == NULL)
            return NULL;
        if (last.v > 0 && len == 0)
            set->empty_suffix = 1;
        else if (last.v > 0)
            add(set, len - (last.v < len ? last.v : len), len - 1);
        return p;
    }
    if ((p = number(p, end, &first)) == NULL || p == end || *p != '-')
        return NULL;
    p++;
    has_last = p < end && *p >= '0' && *p <= '9';
    if (has_last) {
        p = number(p, end, &last);
        if (num_less(&last, &first))
            return NULL;
    }
    if (first.v < len) /* only then satisfiable */
        add(set, first.v, has_last && last.v < len - 1 ? last.v : len - 1);
    return p;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 section 5.6.7) into seconds since the epoch. */
static int imf_fixdate(const char *s, size_t n, long long *t)
{
    static const char shape[] = "aaa, 00 bbb 0000 00:00:00 GMT";
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    long long y, m = 0, d, era, yoe, doy;
    int day = 0;
    if (n != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == '0' ? s[i] < '0' || s[i] > '9'
                            : shape[i] != 'a' && shape[i] != 'b' && s[i] != shape[i])
            return 0;
    while (day < 7 && memcmp(s, days + 3 * day, 3) != 0)
        day++;
    while (m < 12 && memcmp(s + 8, months + 3 * m, 3) != 0)
        m++;
#define DIGITS2(p) (((p)[0] - '0') * 10 + (p)[1] - '0')
    d = DIGITS2(s + 5);
    y = DIGITS2(s + 12) * 100 + DIGITS2(s + 14);
    if (day == 7 || m == 12 || d < 1 || d > 31 || DIGITS2(s + 17) > 23 || DIGITS2(s + 20) > 59 ||
        DIGITS2(s + 23) > 60)
        return 0;
    /* days from the civil date (Howard Hinnant's algorithm; years start in March) */
    m++;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    *t = (era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468) * 86400 +
         DIGITS2(s + 17) * 3600 + DIGITS2(s + 20) * 60 + DIGITS2(s + 23);
#undef DIGITS2
    return 1;
}

/* An opaque-tag: DQUOTE *etagc DQUOTE (RFC 9110 section 8.8.3); W/ in front makes a weak tag,
 * which this refuses, so comparing two of these byte for byte is the strong comparison. */
static int strong_tag(const char *s, size_t n)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if ((unsigned char)s[i] < 0x21 || s[i] == '"' || s[i] == 0x7f)
            return 0;
    return 1;
}

/* RFC 9110 section 13.1.5, with 8.8.2.2's test of a date's strength as a cache makes it. */
static int if_range_holds(const char *if_range, const char *etag, const char *lm, time_t date)
{
    const char *v, *mine;
    size_t n, m;
    long long t;
    if (if_range == NULL)
        return 1;
    v = trim(if_range, &n);
    if (n && (v[0] == '"' || (n >= 2 && v[0] == 'W' && v[1] == '/'))) { /* an entity-tag */
        if (etag == NULL)
            return 0;
        mine = trim(etag, &m);
        return strong_tag(v, n) && n == m && memcmp(v, mine, n) == 0;
    }
    if (lm == NULL || date == (time_t)-1 || !imf_fixdate(v, n, &t))
        return 0;
    mine = trim(lm, &m);
    return n == m && memcmp(v, mine, n) == 0 && t + 60 <= (long long)date;
}

static int answer(eg_range_t *out, int status, const char *why)
{
    out->status = status;
    out->why = why;
    if (status != EG_RANGE_SINGLE)
        out->first = out->last = 0;
    return status;
}

int eg_range_eval(const char *range, const char *if_range, const char *etag,
                  const char *last_modified, time_t date, unsigned long long length,
                  eg_range_t *out)
{
    set_t set;
    size_t n, elements = 0, specs = 0;
    const char *p, *end;

    memset(out, 0, sizeof(*out));
    out->length = length;
    if (range == NULL)
        return answer(out, EG_RANGE_IGNORE, "no Range");
    if (!if_range_holds(if_range, etag, last_modified, date))
        return answer(out, EG_RANGE_IGNORE, "If-Range does not hold");
    p = trim(range, &n);
    end = p + n;
    if (n < 6 || strncasecmp(p, "bytes=", 6) != 0)
        return answer(out, EG_RANGE_IGNORE, "not \"bytes=\" (another unit, or invalid)");
    set.n = 0;
    set.empty_suffix = 0;
    /* 1#range-spec, empty elements allowed (RFC 9110 section 5.6.1.2): OWS only around commas */
    for (p += 6;;) {
        if (++elements > EG_RANGE_MAX)
            return answer(out, EG_RANGE_IGNORE, "more than 100 ranges");
        if (p < end && *p != ',' && !is_ows(*p)) {
            if ((p = spec(p, end, length, &set)) == NULL)
                return answer(out, EG_RANGE_IGNORE, "an invalid range-spec");
            specs++;
        }
        while (p < end && is_ows(*p))
            p++;
        if (p == end)
            break;
        if (*p++ != ',')
            return answer(out, EG_RANGE_IGNORE, "an invalid range-spec");
        while (p < end && is_ows(*p))
            p++;
    }
    if (specs == 0)
        return answer(out, EG_RANGE_IGNORE, "no range-spec");
    if (set.n == 0 && set.empty_suffix)
        return answer(out, EG_RANGE_IGNORE,
                      "a suffix of an empty representation (no 206 for 0 bytes)");
    if (set.n == 0)
        return answer(out, EG_RANGE_UNSATISFIABLE, "no range is satisfiable");
    /* coalesce: sorted by first byte, each span must start at most one past the union so far */
    for (size_t i = 1; i < set.n; i++)
        for (size_t j = i; j > 0 && set.span[j].first < set.span[j - 1].first; j--) {
            span_t t = set.span[j];
            set.span[j] = set.span[j - 1];
            set.span[j - 1] = t;
        }
    out->first = set.span[0].first;
    out->last = set.span[0].last;
    for (size_t i = 1; i < set.n; i++) {
        if (set.span[i].first > out->last + 1) /* last < length, so no overflow */
            return answer(out, EG_RANGE_IGNORE, "ranges that do not make one (no multipart)");
        if (set.span[i].last > out->last)
            out->last = set.span[i].last;
    }
    assert(out->first <= out->last && out->last < length);
    return answer(out, EG_RANGE_SINGLE, NULL);
}

int eg_range_content_range(const eg_range_t *r, char *buf, size_t size)
{
    int n;
    if (r->status == EG_RANGE_SINGLE)
        n = snprintf(buf, size, "bytes %llu-%llu/%llu", r->first, r->last, r->length);
    else if (r->status == EG_RANGE_UNSATISFIABLE)
        n = snprintf(buf, size, "bytes */%llu", r->length);
    else
        return -1;
    return n >= 0 && (size_t)n < size ? n : -1;
}
