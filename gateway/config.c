/* The settings tables and the rules that hold between fields. No SQL here: db/db.c uses the
 * tables for its column lists, egctl for its options and listings, and the decision table
 * (decision.c) for spelling and checking what the worker tells the front. */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <strings.h>

#include "edgegate/buf.h"
#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/http.h"
#include "edgegate/uri.h"

#define OFF(t, m) offsetof(t, m)
#define SZ(t, m) sizeof(((t *)0)->m)

#define METHOD_SETS "GET,HEAD|GET,HEAD,OPTIONS|GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE"

const eg_field_t eg_origin_fields[] = {
    {"id", "id", EG_FT_STR, NULL, 1, EG_ID_MAX - 1, NULL, OFF(eg_origin_t, id), SZ(eg_origin_t, id),
     EG_FF_KEY | EG_FF_LIST, "origin id, unique within the distribution",
     "Origin ID", NULL},
    {"domain", "domain", EG_FT_STR, NULL, 1, EG_NAME_MAX - 1, NULL, OFF(eg_origin_t, domain),
     SZ(eg_origin_t, domain), EG_FF_LIST, "origin domain name (or address) edgegate connects to",
     "Origin domain", NULL},
    {"path", "origin_path", EG_FT_STR, NULL, 0, EG_PATH_MAX - 1, "", OFF(eg_origin_t, origin_path),
     SZ(eg_origin_t, origin_path), EG_FF_LIST, "origin path: prefix added to every forwarded path",
     "Origin path", NULL},
    {"type", "type", EG_FT_ENUM, "custom|s3|s3-website", 0, 0, "custom", OFF(eg_origin_t, type),
     0, EG_FF_LIST, "origin type",
     "Origin type", "Custom origin|S3 REST endpoint|S3 website endpoint"},
    {"protocol", "protocol_policy", EG_FT_ENUM, "http-only|https-only|match-viewer", 0, 0,
     "http-only", OFF(eg_origin_t, protocol), 0, EG_FF_LIST, "origin protocol policy",
     "Protocol", "HTTP only|HTTPS only|Match viewer"},
    {"http-port", "http_port", EG_FT_INT, NULL, 1, 65535, "80", OFF(eg_origin_t, http_port), 0,
     EG_FF_LIST, "origin HTTP port",
     "HTTP port", NULL},
    {"https-port", "https_port", EG_FT_INT, NULL, 1, 65535, "443", OFF(eg_origin_t, https_port), 0,
     EG_FF_LIST, "origin HTTPS port",
     "HTTPS port", NULL},
    {"ssl-protocols", "ssl_protocols", EG_FT_SET, "SSLv3|TLSv1|TLSv1.1|TLSv1.2", 0, 0, "TLSv1.2",
     OFF(eg_origin_t, ssl_protocols), 0, EG_FF_LIST,
     "origin SSL protocols edgegate may use (TLSv1.3 too when TLSv1.2 is allowed)",
     "Origin SSL protocols", NULL},
    {"read-timeout", "read_timeout", EG_FT_INT, NULL, 1, 180, "30", OFF(eg_origin_t, read_timeout),
     0, EG_FF_LIST, "origin response timeout, seconds",
     "Response timeout", NULL},
    {"keepalive-timeout", "keepalive_timeout", EG_FT_INT, NULL, 1, 180, "5",
     OFF(eg_origin_t, keepalive_timeout), 0, 0, "origin keep-alive idle timeout, seconds",
     "Keep-alive timeout", NULL},
};
const size_t eg_origin_nfields = EG_ARRAY_LEN(eg_origin_fields);

const eg_field_t eg_behavior_fields[] = {
    {"pattern", "path_pattern", EG_FT_STR, NULL, 1, EG_PATH_MAX - 1, NULL,
     OFF(eg_behavior_t, path_pattern), SZ(eg_behavior_t, path_pattern), EG_FF_KEY | EG_FF_LIST,
     "path pattern: * any run of characters, ? exactly one; the default behavior is *",
     "Path pattern", NULL},
    {"origin", "origin_id", EG_FT_STR, NULL, 1, EG_ID_MAX - 1, NULL, OFF(eg_behavior_t, origin_id),
     SZ(eg_behavior_t, origin_id), EG_FF_LIST, "target origin id",
     "Origin", NULL},
    {"viewer-protocol", "viewer_protocol_policy", EG_FT_ENUM,
     "allow-all|redirect-to-https|https-only", 0, 0, "allow-all",
     OFF(eg_behavior_t, viewer_protocol), 0, EG_FF_LIST, "viewer protocol policy",
     "Viewer protocol policy", "HTTP and HTTPS|Redirect HTTP to HTTPS|HTTPS only"},
    {"methods", "allowed_methods", EG_FT_ENUM, METHOD_SETS, 0, 0, "GET,HEAD",
     OFF(eg_behavior_t, allowed_methods), 0, EG_FF_LIST,
     "allowed HTTP methods: GET,HEAD | GET,HEAD,OPTIONS | ALL",
     "Allowed HTTP methods", "GET, HEAD|GET, HEAD, OPTIONS|GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE"},
    {"cached-methods", "cached_methods", EG_FT_ENUM, "GET,HEAD|GET,HEAD,OPTIONS", 0, 0, "GET,HEAD",
     OFF(eg_behavior_t, cached_methods), 0, 0, "cached HTTP methods: GET,HEAD | GET,HEAD,OPTIONS",
     "Cache HTTP methods", "GET, HEAD|GET, HEAD, OPTIONS"},
    {"min-ttl", "min_ttl", EG_FT_INT, NULL, 0, INT_MAX, "0", OFF(eg_behavior_t, min_ttl), 0, 0,
     "minimum TTL, seconds",
     "Minimum TTL", NULL},
    {"default-ttl", "default_ttl", EG_FT_INT, NULL, 0, INT_MAX, "86400",
     OFF(eg_behavior_t, default_ttl), 0, 0, "default TTL when the origin says nothing, seconds",
     "Default TTL", NULL},
    {"max-ttl", "max_ttl", EG_FT_INT, NULL, 0, INT_MAX, "31536000", OFF(eg_behavior_t, max_ttl), 0,
     0, "maximum TTL, seconds",
     "Maximum TTL", NULL},
    {"forward-host", "forward_host", EG_FT_BOOL, NULL, 0, 1, "false",
     OFF(eg_behavior_t, forward_host), 0, EG_FF_LIST,
     "send the viewer's Host header to the origin (true/false)",
     "Forward the viewer's Host header", NULL},
    {"forward-query", "forward_query", EG_FT_BOOL, NULL, 0, 1, "true",
     OFF(eg_behavior_t, forward_query), 0, 0,
     "forward the query string and cache on it (true/false)",
     "Query strings: forward and cache on all", NULL},
    {"cache-headers", "cache_headers", EG_FT_HEADERS, "none", 1, EG_NAME_LIST_MAX - 1, "none",
     OFF(eg_behavior_t, cache_headers), SZ(eg_behavior_t, cache_headers), 0,
     "cache policy: viewer headers (NAME,...) that key the cache and are forwarded to the "
     "origin; Authorization only here, so each viewer's authorized answer is kept apart (and "
     "stored only when the origin marks it public, s-maxage or must-revalidate)",
     "Cache key: headers", NULL},
    {"cache-cookies", "cache_cookies", EG_FT_COOKIES, "none|all", 1, EG_NAME_LIST_MAX - 1,
     "none", OFF(eg_behavior_t, cache_cookies), SZ(eg_behavior_t, cache_cookies), 0,
     "cache policy: viewer cookies (none, all or NAME,...) that key the cache and are "
     "forwarded",
     "Cache key: cookies", NULL},
    {"origin-headers", "origin_headers", EG_FT_HEADERS, "none|all-viewer", 1,
     EG_NAME_LIST_MAX - 1, "none", OFF(eg_behavior_t, origin_headers),
     SZ(eg_behavior_t, origin_headers), EG_FF_UNKEYED,
     "origin request policy: viewer headers (none, all-viewer = all but Authorization, or "
     "NAME,...) forwarded but NOT keyed: the origin must mark answers that differ per viewer "
     "Cache-Control: private or no-store (edgegate never stores those; min-ttl must stay 0)",
     "Origin request policy: headers", NULL},
    {"origin-cookies", "origin_cookies", EG_FT_COOKIES, "none|all", 1, EG_NAME_LIST_MAX - 1,
     "none", OFF(eg_behavior_t, origin_cookies), SZ(eg_behavior_t, origin_cookies),
     EG_FF_UNKEYED,
     "origin request policy: viewer cookies (none, all or NAME,...) forwarded but NOT keyed: "
     "the origin must mark answers that differ per viewer Cache-Control: private or no-store "
     "(edgegate never stores those; min-ttl must stay 0)",
     "Origin request policy: cookies", NULL},
};
const size_t eg_behavior_nfields = EG_ARRAY_LEN(eg_behavior_fields);

const eg_field_t eg_dist_fields[] = {
    {"id", "id", EG_FT_STR, NULL, 1, EG_ID_MAX - 1, NULL, OFF(eg_dist_info_t, id),
     SZ(eg_dist_info_t, id), EG_FF_KEY | EG_FF_LIST, "distribution id",
     "Distribution ID", NULL},
    {"enabled", "enabled", EG_FT_BOOL, NULL, 0, 1, "true", OFF(eg_dist_info_t, enabled), 0,
     EG_FF_LIST, "serve requests (a disabled distribution answers 403)",
     "Enabled", NULL},
    {"aliases", NULL, EG_FT_STR, NULL, 0, SZ(eg_dist_info_t, aliases) - 1, "",
     OFF(eg_dist_info_t, aliases), SZ(eg_dist_info_t, aliases), EG_FF_LIST,
     "comma-separated host names (CNAMEs) this distribution answers for",
     "Alternate domain names (CNAMEs)", NULL},
    {"comment", "comment", EG_FT_STR, NULL, 0, EG_NAME_MAX - 1, "", OFF(eg_dist_info_t, comment),
     SZ(eg_dist_info_t, comment), EG_FF_LIST, "free text",
     "Description", NULL},
    {"error-caching-min-ttl", "error_caching_min_ttl", EG_FT_INT, NULL, 0, 31536000, "10",
     OFF(eg_dist_info_t, error_min_ttl), 0, EG_FF_LIST,
     "CloudFront's Error Caching Minimum TTL: seconds origin errors (400, 403, 404, 405, 414, "
     "500-504) stay cached at least, unless private (or no-store/no-cache on 404, 414, 501; "
     "see README); 0: only as their own headers allow",
     "Error caching minimum TTL", NULL},
};
const size_t eg_dist_nfields = EG_ARRAY_LEN(eg_dist_fields);

const eg_field_t *eg_field_find(const eg_field_t *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

int eg_choice_index(const char *choices, const char *word, size_t wlen)
{
    const char *p = choices;
    for (int i = 0;; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == wlen && strncmp(p, word, wlen) == 0)
            return i;
        if (bar == NULL)
            return -1;
        p = bar + 1;
    }
}

void eg_choice_name(const char *choices, int idx, char *buf, size_t len)
{
    const char *p = choices;
    for (int i = 0; p != NULL; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (i == idx) {
            snprintf(buf, len, "%.*s", (int)n, p);
            return;
        }
        p = bar ? bar + 1 : NULL;
    }
    snprintf(buf, len, "?");
}

static void choices_for_humans(const char *choices, char *buf, size_t len)
{
    size_t j = 0;
    for (const char *p = choices; *p && j + 4 < len; p++) {
        if (*p == '|') {
            buf[j++] = ',';
            buf[j++] = ' ';
        } else {
            buf[j++] = *p;
        }
    }
    buf[j] = '\0';
}

static int parse_long(const char *s, long *out)
{
    char *end;
    long v;
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* tchar of RFC 9110 §5.6.2: what a header or cookie name may hold. */
static int is_tchar(unsigned char c)
{
    return c && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Header names a behavior cannot forward or key on: edgegate writes them itself, or they
 * belong to one connection. The front treats the same names as its own (gateway/fwd.c). */
static const struct {
    const char *name;
    const char *why;
} controlled_headers[] = {
    {"Host", "edgegate sends the origin's domain, or the viewer's Host with --forward-host true"},
    {"Cookie", "cookies are chosen with --cache-cookies and --origin-cookies"},
    {"Accept-Encoding", "edgegate normalizes it (br, gzip) and keys the cache on it itself"},
    {"Content-Length", "edgegate frames the request to the origin itself"},
    {"Transfer-Encoding", "edgegate frames the request to the origin itself"},
    {"Expect", "edgegate answers 100-continue itself"},
    {"X-Forwarded-For", "edgegate writes it itself"},
    {"X-Forwarded-Proto", "edgegate writes it itself"},
    {"Via", "edgegate writes it itself"},
    {"Forwarded", "edgegate writes X-Forwarded-For and Via instead"},
    {"Surrogate-Capability", "edgegate writes it itself (for Surrogate-Control)"},
};

/* "x-api-KEY" -> "X-Api-Key": one spelling per header, so lists compare and dedupe simply. */
static void header_canonical(char *s, size_t n)
{
    int up = 1;
    for (size_t i = 0; i < n; i++) {
        s[i] = (char)(up ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
        up = s[i] == '-';
    }
}

/* Whether the comma-separated list holds name (n bytes). */
static int names_have(const char *list, const char *name, size_t n, int nocase)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && (nocase ? strncasecmp(p, name, n) : strncmp(p, name, n)) == 0)
            return 1;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
    return 0;
}

/* The words a list may be instead of names; any of them in a field that does not take it
 * is refused rather than read as a name ("--cache-headers all" is not a header "All"). */
static const char *const list_words[] = {"none", "all", "all-viewer"};

/* HEADERS and COOKIES: a word of f->choices, or names (HTTP tokens) joined by commas. */
static int parse_names(const eg_field_t *f, char *out, const char *value, char *err,
                       size_t errlen)
{
    int headers = f->type == EG_FT_HEADERS;
    char human[64], cand[EG_NAME_LIST_MAX], *buf = eg_malloc(f->size);
    size_t used = 0;
    const char *p = value;

    choices_for_humans(f->choices, human, sizeof(human));
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0') {
        eg_errf(err, errlen, "--%s: give %s, or a list of %s names", f->name, human,
                headers ? "header" : "cookie");
        goto fail;
    }
    buf[0] = '\0';
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *name = p;
        int word = -1;
        while (n && isspace((unsigned char)*name)) {
            name++;
            n--;
        }
        while (n && isspace((unsigned char)name[n - 1]))
            n--;
        if (n == 0) {
            eg_errf(err, errlen, "--%s: an empty name in '%s'", f->name, value);
            goto fail;
        }
        for (size_t w = 0; w < EG_ARRAY_LEN(list_words); w++)
            if (strlen(list_words[w]) == n &&
                (headers ? strncasecmp(name, list_words[w], n) : strncmp(name, list_words[w], n)) ==
                    0)
                word = (int)w;
        if (word >= 0) {
            if (eg_choice_index(f->choices, list_words[word], n) < 0) {
                eg_errf(err, errlen, "--%s: '%.*s' is not allowed here; give %s, or a list of %s",
                        f->name, (int)n, name, human, headers ? "header names" : "cookie names");
                goto fail;
            }
            if (used || comma) {
                eg_errf(err, errlen, "--%s: '%s' stands alone; it cannot be combined with names",
                        f->name, list_words[word]);
                goto fail;
            }
            snprintf(out, f->size, "%s", list_words[word]);
            free(buf);
            return 0;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)name[i];
            if (c < 0x20 || c >= 0x7f) {
                eg_errf(err, errlen, "--%s: control and non-ASCII characters are not allowed",
                        f->name);
                goto fail;
            }
            if (!is_tchar(c)) {
                eg_errf(err, errlen,
                        "--%s: '%.*s' is not a %s name (letters, digits and !#$%%&'*+-.^_`|~ "
                        "only)",
                        f->name, (int)n, name, headers ? "header" : "cookie");
                goto fail;
            }
        }
        if (n >= sizeof(cand)) {
            eg_errf(err, errlen, "--%s: the list is longer than %ld characters", f->name, f->max);
            goto fail;
        }
        memcpy(cand, name, n);
        cand[n] = '\0';
        if (headers) {
            header_canonical(cand, n);
            if (eg_http_is_hop_by_hop(cand, n)) {
                eg_errf(err, errlen, "--%s: %s is a hop-by-hop header; it is never forwarded",
                        f->name, cand);
                goto fail;
            }
            for (size_t c = 0; c < EG_ARRAY_LEN(controlled_headers); c++)
                if (strcmp(cand, controlled_headers[c].name) == 0) {
                    eg_errf(err, errlen, "--%s: %s cannot be chosen here: %s", f->name, cand,
                            controlled_headers[c].why);
                    goto fail;
                }
            if ((f->flags & EG_FF_UNKEYED) && strcmp(cand, "Authorization") == 0) {
                eg_errf(err, errlen,
                        "--%s: Authorization can only be forwarded through the cache policy "
                        "(--cache-headers), so the cache never answers one viewer's authorized "
                        "request for another",
                        f->name);
                goto fail;
            }
        }
        if (!names_have(buf, cand, n, headers)) { /* a name given twice is kept once */
            if (used + (used ? 1 : 0) + n > (size_t)f->max ||
                used + (used ? 1 : 0) + n + 1 > f->size) {
                eg_errf(err, errlen, "--%s: the list is longer than %ld characters", f->name,
                        f->max);
                goto fail;
            }
            if (used)
                buf[used++] = ',';
            memcpy(buf + used, cand, n + 1);
            used += n;
        }
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
        if (comma && *p == '\0') {
            eg_errf(err, errlen, "--%s: an empty name in '%s'", f->name, value);
            goto fail;
        }
    }
    memcpy(out, buf, used + 1);
    free(buf);
    return 0;
fail:
    free(buf);
    return -1;
}

int eg_field_parse(const eg_field_t *f, void *obj, const char *value, char *err, size_t errlen)
{
    return eg_field_parse_at(f, (char *)obj + f->off, value, err, errlen);
}

int eg_field_parse_at(const eg_field_t *f, void *at, const char *value, char *err, size_t errlen)
{
    char *base = at;
    char human[256];
    long v;

    switch (f->type) {
    case EG_FT_STR:
        if (strlen(value) < (size_t)f->min || strlen(value) > (size_t)f->max) {
            eg_errf(err, errlen, "--%s: must be %ld to %ld characters", f->name, f->min, f->max);
            return -1;
        }
        for (const char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                eg_errf(err, errlen, "--%s: control characters are not allowed", f->name);
                return -1;
            }
        memcpy(base, value, strlen(value) + 1);
        return 0;
    case EG_FT_INT:
        if (parse_long(value, &v) < 0 || v < f->min || v > f->max) {
            eg_errf(err, errlen, "--%s: '%s' is not a whole number from %ld to %ld", f->name,
                    value, f->min, f->max);
            return -1;
        }
        *(int *)base = (int)v;
        return 0;
    case EG_FT_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes") ||
            !strcmp(value, "on"))
            *(int *)base = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no") ||
                 !strcmp(value, "off"))
            *(int *)base = 0;
        else {
            eg_errf(err, errlen, "--%s: '%s' is not true or false", f->name, value);
            return -1;
        }
        return 0;
    case EG_FT_ENUM: {
        int i = eg_choice_index(f->choices, value, strlen(value));
        /* "ALL" is CloudFront's console name for the seven-method set. */
        if (i < 0 && f->off == offsetof(eg_behavior_t, allowed_methods) &&
            f->choices[0] == 'G' && strcasecmp(value, "ALL") == 0)
            i = EG_AM_ALL;
        if (i < 0) {
            choices_for_humans(f->choices, human, sizeof(human));
            eg_errf(err, errlen, "--%s: '%s' is not one of: %s", f->name, value, human);
            return -1;
        }
        *(int *)base = i;
        return 0;
    }
    case EG_FT_SET: {
        int mask = 0;
        const char *p = value;
        if (*p == '\0') {
            eg_errf(err, errlen, "--%s: name at least one", f->name);
            return -1;
        }
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            int i = eg_choice_index(f->choices, p, n);
            if (i < 0) {
                choices_for_humans(f->choices, human, sizeof(human));
                eg_errf(err, errlen, "--%s: '%.*s' is not one of: %s", f->name, (int)n, p, human);
                return -1;
            }
            mask |= 1 << i;
            p += n;
            if (*p == ',')
                p++;
        }
        *(int *)base = mask;
        return 0;
    }
    case EG_FT_HEADERS:
    case EG_FT_COOKIES:
        return parse_names(f, base, value, err, errlen);
    }
    eg_errf(err, errlen, "--%s: unknown field type", f->name);
    return -1;
}

void eg_field_format(const eg_field_t *f, const void *obj, char *buf, size_t len)
{
    eg_field_format_at(f, (const char *)obj + f->off, buf, len);
}

void eg_field_format_at(const eg_field_t *f, const void *at, char *buf, size_t len)
{
    const char *base = at;
    switch (f->type) {
    case EG_FT_STR:
    case EG_FT_HEADERS:
    case EG_FT_COOKIES:
        snprintf(buf, len, "%s", base);
        return;
    case EG_FT_INT:
        snprintf(buf, len, "%d", *(const int *)base);
        return;
    case EG_FT_BOOL:
        snprintf(buf, len, "%s", *(const int *)base ? "true" : "false");
        return;
    case EG_FT_ENUM:
        eg_choice_name(f->choices, *(const int *)base, buf, len);
        return;
    case EG_FT_SET: {
        size_t used = 0;
        int mask = *(const int *)base;
        buf[0] = '\0';
        for (int i = 0; i < 31; i++) {
            char name[64];
            if (!(mask & (1 << i)))
                continue;
            eg_choice_name(f->choices, i, name, sizeof(name));
            used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
                                     used ? "," : "", name);
            if (used >= len)
                break;
        }
        return;
    }
    }
}

void eg_fields_defaults(const eg_field_t *fields, size_t n, void *obj)
{
    for (size_t i = 0; i < n; i++) {
        if (fields[i].def == NULL)
            continue;
        if (eg_field_parse(&fields[i], obj, fields[i].def, NULL, 0) < 0)
            abort(); /* a default that does not parse is a bug in the table */
    }
}

/* Longest value eg_field_format writes for any table: an alias list. */
#define FIELD_TEXT_MAX (EG_NAME_MAX * 4 + 1)

size_t eg_fields_changes(const eg_field_t *f, size_t n, const void *before, const void *after,
                         eg_buf_t *out)
{
    char *old = eg_malloc(FIELD_TEXT_MAX), *now = eg_malloc(FIELD_TEXT_MAX);
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        eg_field_format(&f[i], before, old, FIELD_TEXT_MAX);
        eg_field_format(&f[i], after, now, FIELD_TEXT_MAX);
        if (strcmp(old, now) == 0)
            continue;
        eg_buf_printf(out, "%s%s: %s -> %s", changed ? "; " : "", f[i].name,
                      old[0] ? old : "\"\"", now[0] ? now : "\"\"");
        changed++;
    }
    free(old);
    free(now);
    return changed;
}

void eg_fields_settings(const eg_field_t *f, size_t n, const void *obj, size_t size,
                        eg_buf_t *out)
{
    char *val = eg_malloc(FIELD_TEXT_MAX), *def = eg_malloc(FIELD_TEXT_MAX);
    void *defaults = eg_calloc(1, size);
    size_t shown = 0;
    eg_fields_defaults(f, n, defaults);
    for (size_t i = 0; i < n; i++) {
        eg_field_format(&f[i], obj, val, FIELD_TEXT_MAX);
        eg_field_format(&f[i], defaults, def, FIELD_TEXT_MAX);
        if ((f[i].flags & EG_FF_KEY) || f[i].def == NULL || strcmp(val, def) != 0)
            eg_buf_printf(out, "%s%s: %s", shown++ ? "; " : "", f[i].name,
                          val[0] ? val : "\"\"");
    }
    free(defaults);
    free(val);
    free(def);
}

const char *eg_viewer_policy_name(int v)
{
    static const char *const n[] = {"allow-all", "redirect-to-https", "https-only"};
    return v >= 0 && v < 3 ? n[v] : "?";
}

const char *eg_origin_policy_name(int v)
{
    static const char *const n[] = {"http-only", "https-only", "match-viewer"};
    return v >= 0 && v < 3 ? n[v] : "?";
}

const char *eg_origin_type_name(int v)
{
    static const char *const n[] = {"custom", "s3", "s3-website"};
    return v >= 0 && v < 3 ? n[v] : "?";
}

const char *eg_methods_name(int v)
{
    static const char *const n[] = {"GET,HEAD", "GET,HEAD,OPTIONS",
                                    "GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE"};
    return v >= 0 && v < 3 ? n[v] : "?";
}

unsigned eg_method_bit(const char *m)
{
    static const char *const names[] = {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"};
    for (unsigned i = 0; i < EG_ARRAY_LEN(names); i++)
        if (strcmp(m, names[i]) == 0)
            return 1u << i;
    return 0;
}

unsigned eg_methods_mask(int set)
{
    switch (set) {
    case EG_AM_GET_HEAD:
        return 0x3;
    case EG_AM_GET_HEAD_OPTIONS:
        return 0x7;
    case EG_AM_ALL:
        return 0x7f;
    }
    return 0;
}

int eg_id_validate(const char *what, const char *id, char *err, size_t errlen)
{
    size_t n = strlen(id);
    if (n == 0 || n >= EG_ID_MAX) {
        eg_errf(err, errlen, "%s id must be 1 to %d characters", what, EG_ID_MAX - 1);
        return -1;
    }
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.') {
            eg_errf(err, errlen, "%s id '%s': use letters, digits, '-', '_' and '.' only", what,
                    id);
            return -1;
        }
    /* "." and ".." name no object in a URL (the console's, or anyone's): they are dot segments */
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
        eg_errf(err, errlen, "%s id '%s': not . or .. alone", what, id);
        return -1;
    }
    return 0;
}

/* A host name, or for aliases "*." and a host name: the wildcard only as a whole first label
 * (as CloudFront), no empty label, no trailing dot (the front matches "a.b." as "a.b"). */
static int hostname_ok(const char *s, size_t n)
{
    size_t label = 0;
    if (n == 0 || n > 253)
        return 0;
    if (n >= 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        n -= 2;
        if (n == 0)
            return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
        label++;
    }
    return label > 0;
}

int eg_origin_validate(const eg_origin_t *o, char *err, size_t errlen)
{
    size_t plen = strlen(o->origin_path);
    if (eg_id_validate("origin", o->id, err, errlen) < 0)
        return -1;
    if (!hostname_ok(o->domain, strlen(o->domain)) || strchr(o->domain, '*')) {
        eg_errf(err, errlen, "origin %s: domain '%s' is not a host name or address", o->id,
                o->domain);
        return -1;
    }
    if (plen && (o->origin_path[0] != '/' || o->origin_path[plen - 1] == '/' ||
                 strpbrk(o->origin_path, "?# *"))) {
        eg_errf(err, errlen,
                "origin %s: path '%s' must start with '/', not end with '/', and hold no '?', "
                "'#', '*' or spaces",
                o->id, o->origin_path);
        return -1;
    }
    if (o->type == EG_OT_S3_WEBSITE && o->protocol != EG_OPP_HTTP_ONLY) {
        eg_errf(err, errlen,
                "origin %s: an s3-website origin cannot use HTTPS (S3 website endpoints do not "
                "support it); its protocol must be http-only",
                o->id);
        return -1;
    }
    if (o->type == EG_OT_S3 && o->protocol != EG_OPP_MATCH_VIEWER) {
        eg_errf(err, errlen,
                "origin %s: an s3 origin always matches the viewer's protocol; its protocol is "
                "fixed to match-viewer",
                o->id);
        return -1;
    }
    if (o->ssl_protocols == 0) {
        eg_errf(err, errlen, "origin %s: ssl-protocols must name at least one protocol", o->id);
        return -1;
    }
    return 0;
}

int eg_behavior_validate(const eg_behavior_t *b, char *err, size_t errlen)
{
    unsigned allowed = eg_methods_mask(b->allowed_methods);
    unsigned cached = eg_methods_mask(b->cached_methods);
    if ((cached & allowed) != cached) {
        eg_errf(err, errlen, "behavior %s: cached methods %s are not all allowed (allowed: %s)",
                b->path_pattern, eg_methods_name(b->cached_methods),
                eg_methods_name(b->allowed_methods));
        return -1;
    }
    if (b->min_ttl > b->default_ttl || b->default_ttl > b->max_ttl) {
        eg_errf(err, errlen,
                "behavior %s: TTLs must satisfy min-ttl <= default-ttl <= max-ttl (%d, %d, %d)",
                b->path_pattern, b->min_ttl, b->default_ttl, b->max_ttl);
        return -1;
    }
    /* The origin's only way to keep a per-viewer answer out of a cache whose key does not
     * hold what it varies on is Cache-Control: private / no-store, and a min TTL above 0
     * stores those too (as CloudFront does). */
    if (b->min_ttl > 0 && (strcmp(b->origin_headers, "none") != 0 ||
                           strcmp(b->origin_cookies, "none") != 0)) {
        eg_errf(err, errlen,
                "behavior %s: --origin-headers/--origin-cookies forward what the cache key does "
                "not hold, and with min-ttl %d edgegate would store answers the origin marks "
                "Cache-Control: private or no-store, so one viewer's answer could reach another; "
                "set --min-ttl 0, or key them with --cache-headers/--cache-cookies",
                b->path_pattern, b->min_ttl);
        return -1;
    }
    return 0;
}

int eg_dist_validate(const eg_dist_info_t *d, char *err, size_t errlen)
{
    char tmp[sizeof(d->aliases)];
    if (eg_id_validate("distribution", d->id, err, errlen) < 0)
        return -1;
    return eg_aliases_normalize(d->aliases, tmp, sizeof(tmp), err, errlen);
}

/* The characters CloudFront takes in a path pattern, plus '?' (its one-character wildcard)
 * and '%' (escapes, decoded or checked below). */
static int pattern_char_ok(unsigned char c)
{
    return c && (isalnum(c) || strchr("_-.*$/~\"'@:+&?%", c) != NULL);
}

int eg_pattern_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t n = strlen(in), len;
    char *tmp, *norm = NULL;
    const char *reason = NULL;
    if (n == 0) {
        eg_errf(err, errlen, "a path pattern cannot be empty");
        return -1;
    }
    if (strcmp(in, "*") == 0) { /* the default behavior's pattern is not a path */
        if (outlen < 2) {
            eg_errf(err, errlen, "path pattern does not fit");
            return -1;
        }
        memcpy(out, "*", 2);
        return 0;
    }
    for (const char *p = in; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!pattern_char_ok(c)) {
            if (c > 0x20 && c < 0x7f)
                eg_errf(err, errlen,
                        "path pattern '%s': character '%c' is not allowed (CloudFront allows "
                        "A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : + &)",
                        in, c);
            else
                eg_errf(err, errlen,
                        "path pattern: byte 0x%02x (a space, control or non-ASCII character) is "
                        "not allowed (CloudFront allows A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : + &)",
                        c);
            return -1;
        }
    }
    if (n > 4096) {
        eg_errf(err, errlen, "path pattern is longer than %d characters", EG_PATH_MAX - 1);
        return -1;
    }
    /* CloudFront reads "images/x" as "/images/x"; the normalizer wants the slash */
    tmp = eg_malloc(n + 2);
    snprintf(tmp, n + 2, "%s%s", in[0] == '/' ? "" : "/", in);
    len = strlen(tmp);
    norm = eg_malloc(3 * len + 1);
    if (eg_uri_normalize_path(tmp, len, 1, norm, 3 * len + 1, &reason) < 0) {
        eg_errf(err, errlen, "path pattern '%s': %s", in, reason ? reason : "not a path");
        goto fail;
    }
    /* What is left escaped is a character CloudFront does not take, except '"', which the
     * normalizer always writes as %22 (as the front does for request paths). */
    for (const char *p = strchr(norm, '%'); p; p = strchr(p + 1, '%')) {
        unsigned v = 0;
        if (sscanf(p + 1, "%2x", &v) != 1 || v == '"')
            continue;
        if (v > 0x20 && v < 0x7f && pattern_char_ok((unsigned char)v) && v != '%' && v != '?')
            eg_errf(err, errlen, "path pattern '%s': write %c itself instead of %%%.2s", in,
                    (char)v, p + 1);
        else if (v > 0x20 && v < 0x7f)
            eg_errf(err, errlen,
                    "path pattern '%s': %%%.2s is the character '%c', which is not allowed in "
                    "path patterns", in, p + 1, (char)v);
        else
            eg_errf(err, errlen,
                    "path pattern '%s': %%%.2s (a space, control or non-ASCII byte) is not "
                    "allowed in path patterns", in, p + 1);
        goto fail;
    }
    if (strlen(norm) >= EG_PATH_MAX || strlen(norm) + 1 > outlen) {
        eg_errf(err, errlen, "path pattern is longer than %d characters", EG_PATH_MAX - 1);
        goto fail;
    }
    memcpy(out, norm, strlen(norm) + 1);
    free(tmp);
    free(norm);
    return 0;
fail:
    free(tmp);
    free(norm);
    return -1;
}

int eg_invalidation_path_normalize(const char *in, char *out, size_t outlen, char *err,
                                   size_t errlen)
{
    size_t n = strlen(in);
    const char *star = strchr(in, '*'), *reason = NULL;
    if (in[0] != '/') {
        eg_errf(err, errlen, "invalidation path '%s' must start with /", in);
        return -1;
    }
    if (star && star[1] != '\0') {
        eg_errf(err, errlen, "invalidation path '%s': * may only be the last character", in);
        return -1;
    }
    if (strchr(in, '?')) {
        eg_errf(err, errlen,
                "invalidation path '%s': no query string; a path removes its objects for every "
                "query string",
                in);
        return -1;
    }
    if (n > 4096) {
        eg_errf(err, errlen, "invalidation path is longer than 4096 characters");
        return -1;
    }
    if (eg_uri_normalize_path(in, n, 1, out, outlen, &reason) < 0) {
        eg_errf(err, errlen, "invalidation path '%s': %s", in, reason ? reason : "not a path");
        return -1;
    }
    return 0;
}

int eg_aliases_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t j = 0;
    const char *p = in;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && isspace((unsigned char)*p)) {
            p++;
            n--;
        }
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        if (n) {
            if (!hostname_ok(p, n)) {
                eg_errf(err, errlen, "alias '%.*s' is not a host name", (int)n, p);
                return -1;
            }
            if (j + n + 2 > outlen) {
                eg_errf(err, errlen, "aliases are longer than %zu characters", outlen - 1);
                return -1;
            }
            if (j)
                out[j++] = ',';
            for (size_t i = 0; i < n; i++)
                out[j++] = (char)tolower((unsigned char)p[i]);
        }
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
    }
    out[j] = '\0';
    return 0;
}

void eg_config_index(eg_config_t *c)
{
    for (size_t i = 0; i < c->n_dists; i++) {
        eg_dist_t *d = &c->dists[i];
        size_t total = 0, at = 0;
        for (size_t k = 0; k < d->n_behaviors; k++)
            total += strlen(d->behaviors[k].path_pattern) + 1;
        d->pattern_text = eg_malloc(total + 1);
        d->patterns = eg_calloc(d->n_behaviors + 1, sizeof(*d->patterns));
        d->pattern_second = eg_calloc(d->n_behaviors + 1, 1);
        for (size_t k = 0; k < d->n_behaviors; k++) {
            const char *p = d->behaviors[k].path_pattern;
            size_t n = strlen(p) + 1;
            /* a pattern without its leading slash matches as if it had one (pattern.c) */
            char second = p[0] == '/' ? p[1] : p[0] == '*' ? '*' : p[0];
            memcpy(d->pattern_text + at, p, n);
            d->patterns[k] = d->pattern_text + at;
            d->pattern_second[k] = second == '*' || second == '?' ? 0 : (unsigned char)second;
            at += n;
        }
    }
}

int eg_fields_equal(const eg_field_t *f, size_t n, const void *a, const void *b)
{
    eg_buf_t diff = {0};
    size_t changed = eg_fields_changes(f, n, a, b, &diff);
    eg_buf_free(&diff);
    return changed == 0;
}

int eg_dist_equal(const eg_dist_t *a, const eg_dist_t *b)
{
    if (!eg_fields_equal(eg_dist_fields, eg_dist_nfields, &a->info, &b->info) ||
        a->n_origins != b->n_origins || a->n_behaviors != b->n_behaviors)
        return 0;
    for (size_t i = 0; i < a->n_origins; i++)
        if (!eg_fields_equal(eg_origin_fields, eg_origin_nfields, &a->origins[i], &b->origins[i]))
            return 0;
    for (size_t i = 0; i < a->n_behaviors; i++)
        if (!eg_fields_equal(eg_behavior_fields, eg_behavior_nfields, &a->behaviors[i],
                          &b->behaviors[i]))
            return 0;
    return 1;
}

void eg_dist_clear(eg_dist_t *d)
{
    free(d->origins);
    free(d->behaviors);
    free(d->patterns);
    free(d->pattern_text);
    free(d->pattern_second);
    memset(d, 0, sizeof(*d));
}

void eg_config_free(eg_config_t *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_dists; i++)
        eg_dist_clear(&c->dists[i]);
    free(c->dists);
    free(c);
}

/* True when the comma-separated list holds host (case-insensitively). */
static int alias_list_has(const char *list, const char *host, size_t hostlen)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == hostlen && strncasecmp(p, host, n) == 0)
            return 1;
        /* "*.example.com" covers one or more labels in front of example.com */
        if (n > 2 && p[0] == '*' && p[1] == '.' && hostlen > n - 1 &&
            strncasecmp(host + hostlen - (n - 1), p + 1, n - 1) == 0)
            return 1;
        p += n + (comma ? 1 : 0);
    }
    return 0;
}

const eg_dist_t *eg_config_find_dist(const eg_config_t *c, const char *host, size_t hostlen)
{
    const eg_dist_t *fallback = NULL;
    for (size_t i = 0; i < c->n_dists; i++) {
        const eg_dist_t *d = &c->dists[i];
        if (hostlen && alias_list_has(d->info.aliases, host, hostlen))
            return d;
        if (strcmp(d->info.id, EG_DEFAULT_DIST) == 0)
            fallback = d;
    }
    return fallback;
}

const eg_origin_t *eg_dist_find_origin(const eg_dist_t *d, const char *id)
{
    for (size_t i = 0; i < d->n_origins; i++)
        if (strcmp(d->origins[i].id, id) == 0)
            return &d->origins[i];
    return NULL;
}
