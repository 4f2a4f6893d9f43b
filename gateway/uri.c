/* Request-target normalization (see uri.h for the rules). One pass decodes and checks the
 * escapes into a scratch path; a second removes dot segments and merges slashes, so
 * "%2e%2e" is treated exactly as "..". The result never holds "//", "/./", "/../" or an
 * escape of an unreserved character, and normalizing it again changes nothing. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "edgegate/buf.h"
#include "edgegate/common.h"
#include "edgegate/uri.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* The sub-delims, ':' and '@': a path may hold them as they are, and Apache, nginx and
 * lighttpd decode their escapes before they look for the file, so "/sec%24ret" is the
 * object "/sec$ret" is; decoded, a pattern naming "$" meets both spellings. */
static int is_sub_delim(unsigned char c)
{
    return c != 0 && strchr("!$&'()*+,;=:@", c) != NULL;
}

/* Characters RFC 3986 allows in a path segment as they are (pchar less '%'), plus '/'. */
static int is_path_char(unsigned char c)
{
    return is_unreserved(c) || strchr("!$&'()*+,;=:@/", c) != NULL;
}

static const char HEX[] = "0123456789ABCDEF";

/* Decodes escapes of unreserved characters, upper-cases the others and escapes bytes a path
 * may not hold as they are. Writes at most 3 * len bytes to out. */
static int decode_escapes(const char *in, size_t len, int glob, char *out, size_t *outlen,
                          const char **reason)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int hi, lo, v;
            if (i + 2 >= len) {
                *reason = "a '%' in the path is not followed by two hex digits";
                return -1;
            }
            hi = hexval((unsigned char)in[i + 1]);
            lo = hi < 0 ? -1 : hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0) {
                *reason = "a '%' in the path is not followed by two hex digits";
                return -1;
            }
            v = hi * 16 + lo;
            if (v == '/' || v == '\\') {
                *reason = "an encoded slash or backslash (%2F, %5C) in the path is ambiguous";
                return -1;
            }
            if (v < 0x20 || v == 0x7f) {
                *reason = "an encoded control character or NUL in the path";
                return -1;
            }
            /* in a pattern '*' is a wildcard: its escape stays one (and egctl refuses it) */
            if (is_unreserved((unsigned char)v) || (is_sub_delim((unsigned char)v) &&
                                                     !(glob && v == '*'))) {
                out[o++] = (char)v;
            } else {
                out[o++] = '%';
                out[o++] = HEX[v >> 4];
                out[o++] = HEX[v & 15];
            }
            i += 2;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            *reason = "a control character or NUL in the request target";
            return -1;
        }
        if (c == ' ') {
            *reason = "a space in the request target";
            return -1;
        }
        if (c == '\\') {
            *reason = "a backslash in the path is ambiguous";
            return -1;
        }
        if (c == '#') {
            *reason = "a fragment ('#') in the request target";
            return -1;
        }
        if (is_path_char(c) || (glob && c == '?')) {
            out[o++] = (char)c;
        } else { /* '"', '<', '>', '^', '`', '{', '|', '}' and bytes above 0x7f */
            out[o++] = '%';
            out[o++] = HEX[c >> 4];
            out[o++] = HEX[c & 15];
        }
    }
    *outlen = o;
    return 0;
}

/* RFC 3986 §5.2.4 over a path that starts with '/', with empty segments dropped (repeated
 * slashes merged, as Apache, nginx and lighttpd map them). In place; returns the new length
 * or -1 when ".." would climb above the root. */
static long remove_dots(char *p, size_t len)
{
    size_t o = 0, i = 0;
    while (i < len) {
        size_t s = i + 1, e = s; /* the segment after the slash at i */
        while (e < len && p[e] != '/')
            e++;
        if (e == s || (e - s == 1 && p[s] == '.')) {
            /* empty or "." segment: dropped; a trailing one leaves the slash */
            if (e == len) {
                p[o++] = '/';
            }
        } else if (e - s == 2 && p[s] == '.' && p[s + 1] == '.') {
            if (o == 0)
                return -1;
            while (o > 0 && p[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* the slash before the removed segment */
            if (e == len)
                p[o++] = '/';
        } else {
            /* the output never outruns the input, so moving in place is safe */
            p[o++] = '/';
            memmove(p + o, p + s, e - s);
            o += e - s;
        }
        i = e;
    }
    if (o == 0)
        p[o++] = '/';
    return (long)o;
}

int eg_uri_normalize_path(const char *in, size_t len, int glob, char *out, size_t outlen,
                          const char **reason)
{
    char *tmp;
    size_t n = 0;
    long m;
    *reason = NULL;
    if (len == 0 || in[0] != '/') {
        *reason = "the path does not start with '/'";
        return -1;
    }
    if (len > EG_URI_MAX) {
        *reason = "the path is too long";
        return -1;
    }
    tmp = eg_malloc(3 * len + 1);
    if (decode_escapes(in, len, glob, tmp, &n, reason) < 0)
        goto fail;
    m = remove_dots(tmp, n);
    if (m < 0) {
        *reason = "the path climbs above the root ('..')";
        goto fail;
    }
    if ((size_t)m + 1 > outlen) {
        *reason = "the path is too long";
        goto fail;
    }
    memcpy(out, tmp, (size_t)m);
    out[m] = '\0';
    free(tmp);
    return 0;
fail:
    free(tmp);
    return -1;
}

static int query_ok(const char *q, size_t len, const char **reason)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c < 0x20 || c == 0x7f) {
            *reason = "a control character or NUL in the query string";
            return 0;
        }
        if (c == ' ' || c == '#') {
            *reason = "a space or '#' in the query string";
            return 0;
        }
    }
    return 1;
}

/* The host of an authority without a final dot, and its port unless it is 80 or 443 (the
 * cache keys neither port nor scheme: "localhost:80", "localhost." and "LOCALHOST" name the
 * objects "localhost" does). */
static void authority_norm(const char *a, const char **host, size_t *hlen, const char **port)
{
    const char *colon = a[0] == '[' ? strstr(a, "]:") : strrchr(a, ':');
    size_t n;
    if (colon && a[0] == '[')
        colon++;
    n = colon ? (size_t)(colon - a) : strlen(a);
    *port = colon ? colon + 1 : "";
    if (strcmp(*port, "80") == 0 || strcmp(*port, "443") == 0)
        *port = "";
    if (n > 1 && a[n - 1] == '.')
        n--;
    *host = a;
    *hlen = n;
}

static int same_authority(const char *a, const char *b)
{
    const char *ha, *hb, *pa, *pb;
    size_t la, lb;
    authority_norm(a, &ha, &la, &pa);
    authority_norm(b, &hb, &lb, &pb);
    return la == lb && strncasecmp(ha, hb, la) == 0 && strcmp(pa, pb) == 0;
}

/* Splits "http://host:port/path?q" into authority and the origin-form rest. */
static int absolute_form(const char *t, size_t len, eg_uri_t *u, const char **rest,
                         size_t *rest_len, const char **reason)
{
    size_t skip, a;
    if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
        skip = 7;
    else if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
        skip = 8;
    else {
        *reason = "the request target is neither a path nor an http(s) URL";
        return -1;
    }
    for (a = skip; a < len && t[a] != '/' && t[a] != '?'; a++) {
        unsigned char c = (unsigned char)t[a];
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':' || c == '[' ||
              c == ']')) {
            *reason = "the URL's authority is not host[:port]";
            return -1;
        }
    }
    if (a == skip || a - skip >= sizeof(u->authority)) {
        *reason = "the URL's authority is not host[:port]";
        return -1;
    }
    for (size_t i = skip; i < a; i++)
        u->authority[i - skip] = (char)tolower((unsigned char)t[i]);
    u->authority[a - skip] = '\0';
    *rest = t + a;
    *rest_len = len - a;
    return 0;
}

int eg_uri_parse(const char *target, size_t len, const char *method, eg_uri_t *u,
                 const char **reason)
{
    const char *p = target, *q;
    size_t plen = len;
    char *path = NULL;
    memset(u, 0, sizeof(*u));
    *reason = NULL;
    if (memchr(target, '\0', len)) {
        *reason = "a NUL in the request target";
        return 400;
    }
    if (len > EG_URI_MAX) {
        *reason = "the request target is too long";
        return 414;
    }
    if (len == 1 && target[0] == '*') {
        if (strcmp(method, "OPTIONS") != 0) {
            *reason = "'*' is a request target for OPTIONS only";
            return 400;
        }
        u->asterisk = 1;
        u->path = eg_strdup("*");
        u->path_len = 1;
        return 0;
    }
    if (len == 0) {
        *reason = "an empty request target";
        return 400;
    }
    if (target[0] != '/') {
        if (absolute_form(target, len, u, &p, &plen, reason) < 0)
            return 400;
        if (plen == 0) {
            p = "/";
            plen = 1;
        } else if (p[0] == '?') {
            /* "http://h?q": the path is "/" */
            q = p;
            goto with_query_root;
        }
    }
    q = memchr(p, '?', plen);
    path = eg_malloc(3 * plen + 2);
    if (eg_uri_normalize_path(p, q ? (size_t)(q - p) : plen, 0, path, 3 * plen + 2, reason) < 0)
        goto fail;
    u->path = path;
    u->path_len = strlen(path);
    if (q) {
        size_t ql = plen - (size_t)(q - p) - 1;
        if (!query_ok(q + 1, ql, reason))
            goto fail;
        u->query = eg_strndup(q + 1, ql);
    }
    if (u->path_len + (u->query ? strlen(u->query) + 1 : 0) > EG_URI_MAX) {
        *reason = "the request target is too long";
        eg_uri_free(u);
        return 414;
    }
    return 0;
with_query_root:
    if (!query_ok(q + 1, plen - 1, reason))
        goto fail;
    u->path = eg_strdup("/");
    u->path_len = 1;
    u->query = eg_strndup(q + 1, plen - 1);
    return 0;
fail:
    free(path);
    u->path = NULL;
    eg_uri_free(u);
    return 400;
}

void eg_uri_free(eg_uri_t *u)
{
    free(u->path);
    free(u->query);
    memset(u, 0, sizeof(*u));
}

/* The length of a reference's scheme (RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" /
 * "." ) before ':'), 0 when it has none: a relative reference. */
static size_t scheme_len(const char *s, size_t len)
{
    size_t i = 1;
    if (len == 0 || !isalpha((unsigned char)s[0]))
        return 0;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    return i < len && s[i] == ':' ? i : 0;
}

int eg_uri_resolve(const char *ref, size_t len, const char *host, const eg_uri_t *base,
                   eg_uri_t *u, const char **reason)
{
    const char *hash = memchr(ref, '#', len);
    size_t sl;
    eg_buf_t t = {0};
    int st;
    memset(u, 0, sizeof(*u));
    if (base->path == NULL || base->path[0] != '/') {
        *reason = "the request target is not a path";
        return -1;
    }
    if (hash) /* the fragment names a part of the resource, not another one */
        len = (size_t)(hash - ref);
    sl = scheme_len(ref, len);
    if (sl) { /* absolute: http(s) with an authority, which eg_uri_parse takes as it is */
        if (!((sl == 4 && strncasecmp(ref, "http", 4) == 0) ||
              (sl == 5 && strncasecmp(ref, "https", 5) == 0)) ||
            len < sl + 3 || memcmp(ref + sl + 1, "//", 2) != 0) {
            *reason = "not an http or https URL with an authority";
            return -1;
        }
        eg_buf_add(&t, ref, len);
    } else if (len >= 2 && ref[0] == '/' && ref[1] == '/') {
        eg_buf_adds(&t, "http:"); /* a network-path reference; the scheme keys nothing */
        eg_buf_add(&t, ref, len);
    } else if (len > 0 && ref[0] == '/') {
        eg_buf_add(&t, ref, len);
    } else if (len == 0 || ref[0] == '?') { /* the base's path, and its query unless replaced */
        eg_buf_adds(&t, base->path);
        if (len > 0)
            eg_buf_add(&t, ref, len);
        else if (base->query)
            eg_buf_printf(&t, "?%s", base->query);
    } else { /* a relative path, after the base's last '/' (path[0] is one) */
        size_t dir = strlen(base->path);
        while (dir > 1 && base->path[dir - 1] != '/')
            dir--;
        eg_buf_add(&t, base->path, dir);
        eg_buf_add(&t, ref, len);
    }
    st = eg_uri_parse(t.data, t.len, "GET", u, reason);
    eg_buf_free(&t);
    if (st != 0)
        return -1;
    if (u->authority[0] && (host == NULL || !same_authority(u->authority, host))) {
        *reason = "another host than the request's";
        eg_uri_free(u);
        return -1;
    }
    return 0;
}
