/* RFC 9111 freshness (sections 3, 4.2, 5) with CloudFront's TTLs on top. Directives are read
 * from every line of a field as one list (RFC 9110 5.3); quoted strings are skipped whole, so
 * extension="max-age=1" is not max-age; the first occurrence of a directive counts. */
#include <ctype.h>
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/freshness.h"

/* One directive: name[=value][;target]. */
typedef struct {
    const char *name;
    size_t nlen;
    const char *val;    /* NULL when there is no '=' */
    size_t vlen;        /* inside the quotes when quoted */
    int bad;            /* whitespace around '=' or an unterminated quote */
    const char *target; /* Surrogate-Control's ";target", or NULL */
    size_t tlen;
} dir_t;

typedef struct {
    const eg_http_head_t *h;
    const char *field;
    size_t i;            /* next header line to look at */
    const char *p, *end; /* what is left of the current line */
} dir_iter_t;

static int is_field(const eg_header_t *f, const char *name)
{
    size_t n = strlen(name);
    return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

static int tchar(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Past a quoted string starting at p (at the '"'); *bad when it never closes. */
static const char *skip_quoted(const char *p, const char *end, int *bad)
{
    for (p++; p < end; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        else if (*p == '"')
            return p + 1;
    }
    *bad = 1;
    return end;
}

static int dir_next(dir_iter_t *it, dir_t *d)
{
    const char *p;
    for (;;) {
        while (it->p < it->end && (*it->p == ' ' || *it->p == '\t' || *it->p == ','))
            it->p++;
        if (it->p < it->end)
            break;
        while (it->i < it->h->n_headers && !is_field(&it->h->headers[it->i], it->field))
            it->i++;
        if (it->i >= it->h->n_headers)
            return 0;
        it->p = it->h->headers[it->i].value;
        it->end = it->p + it->h->headers[it->i].value_len;
        it->i++;
    }
    memset(d, 0, sizeof(*d));
    p = it->p;
    d->name = p;
    while (p < it->end && tchar(*p))
        p++;
    d->nlen = (size_t)(p - d->name);
    if (p < it->end && (*p == ' ' || *p == '\t')) { /* "max-age =1": not a directive */
        const char *q = p;
        while (q < it->end && (*q == ' ' || *q == '\t'))
            q++;
        if (q < it->end && *q == '=') {
            d->bad = 1;
            p = q;
        }
    }
    if (p < it->end && *p == '=') {
        p++;
        if (p < it->end && *p == '"') {
            const char *q = skip_quoted(p, it->end, &d->bad);
            d->val = p + 1;
            d->vlen = (size_t)(q - p) - (d->bad ? 1 : 2);
            p = q;
        } else {
            d->val = p;
            while (p < it->end && tchar(*p))
                p++;
            d->vlen = (size_t)(p - d->val);
            if (d->vlen == 0)
                d->bad = 1; /* "max-age= 1" or "max-age=" */
        }
    }
    if (p < it->end && *p == ';') {
        d->target = ++p;
        while (p < it->end && tchar(*p))
            p++;
        d->tlen = (size_t)(p - d->target);
    }
    if (d->nlen == 0 || (p < it->end && *p != ',' && *p != ' ' && *p != '\t'))
        d->bad = 1;
    while (p < it->end && *p != ',') { /* anything else up to the next element */
        int ignored = 0;
        p = *p == '"' ? skip_quoted(p, it->end, &ignored) : p + 1;
    }
    it->p = p;
    return 1;
}

static int dir_is(const dir_t *d, const char *name)
{
    size_t n = strlen(name);
    return d->nlen == n && strncasecmp(d->name, name, n) == 0;
}

/* delta-seconds (RFC 9111 1.2.2), quoted or not; -1 when not one. */
static long delta_seconds(const char *s, size_t len)
{
    long n = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        if (n < EG_FRESH_INFINITY)
            n = n * 10 + (s[i] - '0');
    }
    return n < EG_FRESH_INFINITY ? n : EG_FRESH_INFINITY;
}

/* What a field says: the directives edgegate acts on. */
typedef struct {
    int no_store, no_cache, private_, public_, must_revalidate, must_understand;
    long max_age, s_maxage, swr, sie; /* -2 absent, -1 present but invalid */
} cc_t;

/* Reads field's directives; with surrogate, only those without a target or aimed at
 * edgegate (Surrogate-Control: max-age=60;edgegate). */
static void read_cc(const eg_http_head_t *h, const char *field, int surrogate, cc_t *cc)
{
    dir_iter_t it = {h, field, 0, NULL, NULL};
    dir_t d;
    memset(cc, 0, sizeof(*cc));
    cc->max_age = cc->s_maxage = cc->swr = cc->sie = -2;
    while (dir_next(&it, &d)) {
        long *slot = NULL;
        if (surrogate && d.target &&
            !(d.tlen == strlen(EG_FRESH_TARGET) &&
              strncasecmp(d.target, EG_FRESH_TARGET, d.tlen) == 0))
            continue;
        if (!surrogate && d.target)
            d.bad = 1;
        if (dir_is(&d, "no-store"))
            cc->no_store = 1;
        else if (dir_is(&d, "no-cache")) /* no-cache="Set-Cookie" too: revalidate it all */
            cc->no_cache = 1;
        else if (dir_is(&d, "private")) /* private="..." too: a shared cache stores none */
            cc->private_ = 1;
        else if (dir_is(&d, "must-understand"))
            cc->must_understand = 1;
        else if (dir_is(&d, "public"))
            cc->public_ = 1;
        else if (dir_is(&d, "must-revalidate") || dir_is(&d, "proxy-revalidate"))
            cc->must_revalidate = 1;
        else if (dir_is(&d, "max-age"))
            slot = &cc->max_age;
        else if (dir_is(&d, "s-maxage"))
            slot = &cc->s_maxage;
        else if (dir_is(&d, "stale-while-revalidate"))
            slot = &cc->swr;
        else if (dir_is(&d, "stale-if-error"))
            slot = &cc->sie;
        if (slot && *slot == -2) /* the first occurrence counts */
            *slot = d.bad || d.val == NULL ? -1 : delta_seconds(d.val, d.vlen);
    }
}

int eg_fresh_cc_has(const eg_http_head_t *h, const char *name)
{
    dir_iter_t it = {h, "Cache-Control", 0, NULL, NULL};
    dir_t d;
    while (dir_next(&it, &d))
        if (dir_is(&d, name))
            return 1;
    return 0;
}

/* --- dates ---------------------------------------------------------------------------------- */

static int month_of(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int m = 0; m < 12; m++)
        if (strncmp(s, months + 3 * m, 3) == 0)
            return m;
    return -1;
}

/* n digits at *p into *v; moves *p. */
static int digits(const char **p, const char *end, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || !isdigit((unsigned char)**p))
            return -1;
        *v = *v * 10 + (**p - '0');
    }
    return 0;
}

static int lit(const char **p, const char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
        return -1;
    *p += n;
    return 0;
}

static int hms(const char **p, const char *end, struct tm *tm)
{
    return digits(p, end, 2, &tm->tm_hour) < 0 || lit(p, end, ":") < 0 ||
                   digits(p, end, 2, &tm->tm_min) < 0 || lit(p, end, ":") < 0 ||
                   digits(p, end, 2, &tm->tm_sec) < 0
               ? -1
               : 0;
}

/* " DD<sep>Mon<sep>YEAR HH:MM:SS GMT", the part after the comma of IMF-fixdate (sep ' ',
 * four-digit year) and RFC 850 (sep '-', two digits). */
static int day_month_year_time(const char **p, const char *end, char sep, int year_digits,
                               struct tm *tm, int *year)
{
    const char s[2] = {sep, '\0'};
    if (lit(p, end, " ") < 0 || digits(p, end, 2, &tm->tm_mday) < 0 || lit(p, end, s) < 0 ||
        end - *p < 4 || (tm->tm_mon = month_of(*p)) < 0)
        return -1;
    *p += 3;
    return lit(p, end, s) < 0 || digits(p, end, year_digits, year) < 0 || lit(p, end, " ") < 0 ||
                   hms(p, end, tm) < 0 || lit(p, end, " GMT") < 0
               ? -1
               : 0;
}

time_t eg_fresh_parse_date(const char *s, size_t len)
{
    const char *p = s, *end = s + len, *comma = memchr(s, ',', len);
    struct tm tm;
    int year = 0;
    memset(&tm, 0, sizeof(tm));
    if (comma && comma - s == 3) { /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        p = comma + 1;
        if (day_month_year_time(&p, end, ' ', 4, &tm, &year) < 0)
            return -1;
    } else if (comma) { /* obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        p = comma + 1;
        if (day_month_year_time(&p, end, '-', 2, &tm, &year) < 0)
            return -1;
        /* a two-digit year more than 50 years ahead is in the past (RFC 9110 5.6.7) */
        year += 2000;
        {
            time_t now = time(NULL);
            struct tm g;
            gmtime_r(&now, &g);
            if (year > g.tm_year + 1900 + 50)
                year -= 100;
        }
    } else { /* asctime: Sun Nov  6 08:49:37 1994 */
        if (end - p < 24)
            return -1;
        p += 3; /* the day name */
        if (lit(&p, end, " ") < 0 || end - p < 4 || (tm.tm_mon = month_of(p)) < 0)
            return -1;
        p += 3;
        if (lit(&p, end, " ") < 0)
            return -1;
        if (*p == ' ') {
            p++;
            if (digits(&p, end, 1, &tm.tm_mday) < 0)
                return -1;
        } else if (digits(&p, end, 2, &tm.tm_mday) < 0) {
            return -1;
        }
        if (lit(&p, end, " ") < 0 || hms(&p, end, &tm) < 0 || lit(&p, end, " ") < 0 ||
            digits(&p, end, 4, &year) < 0)
            return -1;
    }
    if (p != end || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return -1;
    tm.tm_year = year - 1900;
    return timegm(&tm);
}

static time_t field_date(const eg_http_head_t *h, const char *name, int *present)
{
    const eg_header_t *f = eg_http_find(h, name);
    *present = f != NULL;
    return f ? eg_fresh_parse_date(f->value, f->value_len) : (time_t)-1;
}

/* The Age value: one line of delta-seconds, else a value that makes the response stale (a
 * list, a sign, a fraction or a parameter is not an age edgegate can trust). */
static long age_value(const eg_http_head_t *h)
{
    const eg_header_t *f = NULL;
    for (size_t i = 0; i < h->n_headers; i++)
        if (is_field(&h->headers[i], "Age")) {
            if (f)
                return EG_FRESH_INFINITY;
            f = &h->headers[i];
        }
    if (f == NULL)
        return 0;
    {
        long a = delta_seconds(f->value, f->value_len);
        return a < 0 ? EG_FRESH_INFINITY : a;
    }
}

/* --- the judgement -------------------------------------------------------------------------- */

/* The error statuses CloudFront caches for the error caching minimum TTL, and of those the
 * ones whose no-store, no-cache or private it honours. (416 is in CloudFront's list of
 * errors but never cached: it depends on the request's Range.) */
static int error_status(int s)
{
    switch (s) {
    case 400:
    case 403:
    case 404:
    case 405:
    case 414:
    case 500:
    case 501:
    case 502:
    case 503:
    case 504:
        return 1;
    default:
        return 0;
    }
}

static int error_honours_no_store(int s)
{
    return s == 404 || s == 414 || s == 501;
}

/* The statuses RFC 9110 defines, whose caching rules edgegate knows (must-understand). */
static int understood(int s)
{
    return (s >= 200 && s <= 206) || (s >= 300 && s <= 305) || s == 307 || s == 308 ||
           (s >= 400 && s <= 417) || s == 421 || s == 422 || s == 426 || (s >= 500 && s <= 505);
}

/* CloudFront's default TTL applies to these (RFC 9111's heuristically cacheable statuses that
 * CloudFront caches without being told); any other status is stored only when told. */
static int default_status(int s)
{
    return s == 200 || s == 203 || s == 300 || s == 301 || s == 410;
}

int eg_fresh_judge(const eg_http_head_t *h, const eg_fresh_policy_t *p, eg_fresh_t *f)
{
    cc_t cc, sc;
    const cc_t *rule;
    int date_present, exp_present, explicit_ = 1, validator, priv;
    time_t date = field_date(h, "Date", &date_present);
    time_t expires = field_date(h, "Expires", &exp_present);
    long lifetime = -1, apparent, corrected, delay;

    memset(f, 0, sizeof(*f));
    f->sie = -1;
    if (h->status < 200 || h->status == 206 || h->status == 304 || h->status > 599)
        return 0;
    if (h->status == 416) /* depends on the request's Range */
        return 0;
    if (eg_http_find(h, "Set-Cookie"))
        return 0; /* a cookie is someone's, never everyone's */
    read_cc(h, "Cache-Control", 0, &cc);
    read_cc(h, "Surrogate-Control", 1, &sc);
    if (sc.no_store)
        return 0;
    if (cc.must_understand) { /* RFC 9111 5.2.2.3: it stands in for no-store, for a cache
                               * that knows the status's rules */
        if (!understood(h->status))
            return 0;
        cc.no_store = 0;
    }
    if (p->unkeyed && (cc.no_store || cc.private_))
        return 0; /* the answer may be one viewer's: no Surrogate-Control overrides that */
    /* Surrogate-Control speaks to edgegate over Cache-Control (Edge Architecture 1.0) */
    rule = sc.max_age != -2 ? &sc : &cc;
    if (p->authorized && !(cc.public_ || cc.s_maxage != -2 || cc.must_revalidate))
        return 0; /* RFC 9111 3.5: an authorized answer is the viewer's */

    /* age (RFC 9111 4.2.3), on edgegate's clock */
    delay = p->response_time > p->request_time ? (long)(p->response_time - p->request_time) : 0;
    apparent = date != (time_t)-1 && p->response_time > date ? (long)(p->response_time - date) : 0;
    corrected = age_value(h);
    corrected = corrected >= EG_FRESH_INFINITY - delay ? EG_FRESH_INFINITY : corrected + delay;
    f->age = apparent > corrected ? apparent : corrected;

    /* the freshness lifetime the response states (RFC 9111 4.2.1) */
    if (rule == &sc)
        lifetime = sc.max_age;
    else if (cc.s_maxage != -2)
        lifetime = cc.s_maxage;
    else if (cc.max_age != -2)
        lifetime = cc.max_age;
    else if (exp_present) /* an invalid Expires ("0") is in the past */
        lifetime = expires == (time_t)-1
                       ? 0
                       : (long)(expires - (date != (time_t)-1 ? date : p->response_time));
    else
        explicit_ = 0;
    if (lifetime < 0)
        lifetime = 0; /* an invalid max-age is stale (RFC 9111 4.2.1) */

    validator = eg_http_find(h, "ETag") != NULL || eg_http_find(h, "Last-Modified") != NULL;
    /* private says one viewer's: whatever Surrogate-Control says about freshness */
    priv = cc.private_ || sc.private_;
    f->revalidate = rule->must_revalidate || (rule == &cc && cc.s_maxage != -2) || rule->no_cache;
    f->swr = f->revalidate || rule->swr < 0 ? 0 : rule->swr;
    f->sie = f->revalidate || rule->sie < 0 ? -1 : rule->sie;

    if (error_status(h->status)) {
        /* CloudFront: the greater of the stated lifetime and the error caching minimum TTL,
         * never above the maximum TTL; no-store and no-cache are honoured only for 404, 414
         * and 501, and for every error when the behavior forwards what it does not key (the
         * error may be one viewer's); private always */
        if (priv || ((rule->no_store || rule->no_cache) &&
                     (error_honours_no_store(h->status) || p->unkeyed)))
            return 0;
        f->ttl = explicit_ ? lifetime - f->age : 0;
        if (f->ttl < p->error_min_ttl)
            f->ttl = p->error_min_ttl;
        if (f->ttl > p->max_ttl)
            f->ttl = p->max_ttl;
        f->revalidate = 1; /* an error is never served stale */
        f->swr = 0;
        f->sie = -1;
        return f->ttl > 0;
    }
    if (rule->no_store || priv || rule->no_cache) {
        /* CloudFront keeps these anyway for the minimum TTL when it is above 0 */
        if (p->min_ttl > 0 && !p->unkeyed) {
            f->ttl = p->min_ttl;
            return 1;
        }
        if (!rule->no_cache || rule->no_store || priv)
            return 0;
        f->ttl = 0; /* no-cache: stored, revalidated on every use */
        return validator;
    }
    if (explicit_)
        f->ttl = lifetime - f->age; /* both at most 2^31 (RFC 9111 1.2.2): no overflow */
    else if (default_status(h->status))
        f->ttl = p->default_ttl;
    else
        return 0;
    if (f->ttl > p->max_ttl)
        f->ttl = p->max_ttl;
    if (p->min_ttl > 0 && f->ttl < p->min_ttl)
        f->ttl = p->min_ttl;
    /* stale at once: worth keeping only to revalidate (a conditional request) */
    return f->ttl > 0 || validator;
}
