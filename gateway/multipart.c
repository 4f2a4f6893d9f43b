/* multipart/form-data (RFC 7578 over RFC 2046's multipart): the console's file upload. Each
 * part becomes a name = value pair, as a urlencoded form's would, so the CSRF token and the
 * other fields read the same either way. Strict: anything not in the grammar is refused. */
#include <ctype.h>
#include <strings.h>

#include "edgegate/web.h"

#define BOUNDARY_MAX 70

/* The boundary parameter of a Content-Type, unquoted, checked against RFC 2046's bchars. */
static int boundary_of(const char *ctype, char *out, size_t outlen)
{
    const char *p;
    size_t n = 0;
    if (ctype == NULL || strncasecmp(ctype, "multipart/form-data", 19) != 0)
        return -1;
    p = ctype + 19;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ';')
            return -1;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "boundary=", 9) == 0)
            break;
        while (*p && *p != ';') /* another parameter: skip it */
            p++;
        if (*p == '\0')
            return -1;
    }
    p += 9;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (n + 1 < outlen)
                out[n++] = *p;
            else
                return -1;
        if (*p != '"')
            return -1;
    } else {
        for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++)
            if (n + 1 < outlen)
                out[n++] = *p;
            else
                return -1;
    }
    out[n] = '\0';
    if (n == 0 || n > BOUNDARY_MAX || out[n - 1] == ' ')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)out[i]) && strchr("'()+_,-./:=? ", out[i]) == NULL)
            return -1;
    return 0;
}

/* The bytes s[0..n) hold needle (m bytes) first at: its offset, or n when not. */
static size_t find(const char *s, size_t n, const char *needle, size_t m)
{
    if (m == 0 || n < m)
        return n;
    for (size_t i = 0; i + m <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, m) == 0)
            return i;
    return n;
}

/* The name="..." of a Content-Disposition: form-data value; -1 when it is something else. */
static int disposition_name(const char *v, size_t n, char **name)
{
    const char *end = v + n, *p;
    if (n < 9 || strncasecmp(v, "form-data", 9) != 0)
        return -1;
    for (p = v + 9; p < end;) {
        const char *key;
        size_t klen;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end)
            break;
        if (*p != ';')
            return -1;
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        key = p;
        while (p < end && *p != '=' && *p != ';')
            p++;
        klen = (size_t)(p - key);
        if (p == end || *p != '=')
            return -1;
        p++;
        if (p < end && *p == '"') {
            const char *q = ++p;
            while (p < end && *p != '"')
                p++;
            if (p == end)
                return -1;
            if (klen == 4 && strncasecmp(key, "name", 4) == 0) {
                if (*name)
                    return -1; /* two names */
                *name = eg_strndup(q, (size_t)(p - q));
            }
            p++;
        } else {
            const char *q = p;
            while (p < end && *p != ';' && *p != ' ' && *p != '\t')
                p++;
            if (klen == 4 && strncasecmp(key, "name", 4) == 0) {
                if (*name)
                    return -1;
                *name = eg_strndup(q, (size_t)(p - q));
            }
        }
    }
    return *name && **name ? 0 : -1;
}

/* A part's head (header lines, each ending CRLF, without the blank line): its name. */
static int part_head(const char *h, size_t n, char **name)
{
    size_t at = 0;
    *name = NULL;
    while (at < n) {
        size_t eol = find(h + at, n - at, "\r\n", 2), colon;
        const char *line = h + at;
        /* the last line's CRLF is the blank line's: find gives n - at for it */
        for (colon = 0; colon < eol && line[colon] != ':'; colon++)
            if (!isalnum((unsigned char)line[colon]) && line[colon] != '-')
                goto bad;
        if (colon == 0 || colon == eol)
            goto bad;
        if (colon == 19 && strncasecmp(line, "Content-Disposition", 19) == 0) {
            const char *v = line + colon + 1;
            size_t vlen = eol - colon - 1;
            while (vlen && (*v == ' ' || *v == '\t')) {
                v++;
                vlen--;
            }
            if (*name || disposition_name(v, vlen, name) < 0)
                goto bad;
        }
        at += eol + 2;
    }
    return *name ? 0 : -1;
bad:
    free(*name);
    *name = NULL;
    return -1;
}

int eg_web_multipart_parse(const char *ctype, const char *body, size_t len, size_t max,
                           eg_web_kvs_t *out)
{
    char boundary[BOUNDARY_MAX + 8], delim[BOUNDARY_MAX + 8];
    size_t dlen, at;
    eg_web_kvs_t kv = {0};

    memset(out, 0, sizeof(*out));
    if (boundary_of(ctype, boundary, sizeof(boundary)) < 0)
        return -1;
    /* the first delimiter: "--boundary" at the start or after a preamble's CRLF */
    dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        at = dlen - 2;
    } else {
        at = find(body, len, delim, dlen);
        if (at == len)
            return -1;
        at += dlen;
    }
    for (;;) {
        size_t head_end, next;
        char *name = NULL, *value;
        /* after a delimiter: "--" ends the body, CRLF starts a part (no padding allowed) */
        if (len - at >= 2 && body[at] == '-' && body[at + 1] == '-')
            break;
        if (len - at < 2 || body[at] != '\r' || body[at + 1] != '\n')
            goto fail;
        at += 2;
        head_end = find(body + at, len - at, "\r\n\r\n", 4);
        if (head_end == len - at || part_head(body + at, head_end, &name) < 0)
            goto fail;
        at += head_end + 4;
        next = find(body + at, len - at, delim, dlen);
        if (next == len - at || memchr(body + at, '\0', next) != NULL || kv.n == max) {
            free(name);
            goto fail;
        }
        value = eg_strndup(body + at, next);
        eg_web_kvs_add(&kv, name, value);
        at += next + dlen;
    }
    *out = kv;
    return 0;
fail:
    eg_web_kvs_free(&kv);
    return -1;
}
