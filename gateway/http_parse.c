/* Head parsers: strict enough to refuse garbage, lenient on what origins really send
 * (bare LF line ends, spaces around values). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "edgegate/http.h"

static int is_tchar(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Finds the end of the line starting at p; returns the length of the content and sets *next.
 * -1 when no line end is within buf. */
static long line_end(const char *p, const char *end, const char **next)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    long n;
    if (nl == NULL)
        return -1;
    n = nl - p;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    *next = nl + 1;
    return n;
}

/* Parses header lines from p until the blank line. */
static int parse_headers(const char *p, const char *end, eg_http_head_t *h, const char *base)
{
    for (;;) {
        const char *next;
        long n = line_end(p, end, &next);
        const char *colon, *v, *ve;
        eg_header_t *hd;
        if (n < 0)
            return 0;
        if (n == 0) {
            h->head_len = (size_t)(next - base);
            return 1;
        }
        if (*p == ' ' || *p == '\t')
            return -1; /* obsolete line folding: refuse rather than guess */
        colon = memchr(p, ':', (size_t)n);
        if (colon == NULL || colon == p)
            return -1;
        for (const char *q = p; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                return -1;
        v = colon + 1;
        ve = p + n;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const char *q = v; q < ve; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                return -1;
        if (h->n_headers == EG_HTTP_MAX_HEADERS)
            return -1;
        hd = &h->headers[h->n_headers++];
        hd->name = p;
        hd->name_len = (size_t)(colon - p);
        hd->value = v;
        hd->value_len = (size_t)(ve - v);
        p = next;
    }
}

static int parse_status(const char *s, size_t n)
{
    if (n < 3 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]) || (n > 3 && s[3] != ' '))
        return -1;
    return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

int eg_http_parse_response_head(const char *buf, size_t len, eg_http_head_t *h)
{
    const char *end = buf + len, *next;
    long n;
    memset(h, 0, offsetof(eg_http_head_t, headers));
    h->n_headers = 0;
    h->head_len = 0;
    n = line_end(buf, end, &next);
    if (n < 0)
        return len > 8 && memcmp(buf, "HTTP/1.", len < 7 ? len : 7) != 0 ? -1 : 0;
    if (n < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)buf[7]) ||
        buf[8] != ' ')
        return -1;
    h->minor_version = buf[7] - '0';
    h->status = parse_status(buf + 9, (size_t)n - 9);
    if (h->status < 100 || h->status > 599)
        return -1;
    return parse_headers(next, end, h, buf);
}

int eg_http_parse_cgi_head(const char *buf, size_t len, eg_http_head_t *h)
{
    const eg_header_t *st;
    int rc;
    memset(h, 0, offsetof(eg_http_head_t, headers));
    h->n_headers = 0;
    h->head_len = 0;
    h->minor_version = -1;
    rc = parse_headers(buf, buf + len, h, buf);
    if (rc <= 0)
        return rc;
    if (h->n_headers == 0)
        return -1; /* a CGI head says at least something */
    st = eg_http_find(h, "Status");
    if (st) {
        h->status = parse_status(st->value, st->value_len);
        if (h->status < 100 || h->status > 599)
            return -1;
    } else {
        h->status = eg_http_find(h, "Location") ? 302 : 200;
    }
    return 1;
}

const eg_header_t *eg_http_find(const eg_http_head_t *h, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < h->n_headers; i++)
        if (h->headers[i].name_len == n && strncasecmp(h->headers[i].name, name, n) == 0)
            return &h->headers[i];
    return NULL;
}

int eg_http_has_token(const char *value, size_t len, const char *token)
{
    size_t tl = strlen(token);
    const char *p = value, *end = value + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - p) == tl && strncasecmp(p, token, tl) == 0)
            return 1;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

const char *eg_http_reason(int status)
{
    switch (status) {
    case 301: return "Moved Permanently";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 414: return "URI Too Long";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

int eg_http_is_hop_by_hop(const char *name, size_t len)
{
    static const char *const hop[] = {"Connection", "Keep-Alive",       "Proxy-Authenticate",
                                      "Proxy-Authorization", "TE",       "Trailer",
                                      "Transfer-Encoding",   "Upgrade",  "Proxy-Connection"};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (strlen(hop[i]) == len && strncasecmp(hop[i], name, len) == 0)
            return 1;
    return 0;
}

/* States of the chunked decoder. */
enum { CK_SIZE, CK_EXT, CK_SIZE_LF, CK_DATA, CK_DATA_CR, CK_DATA_LF, CK_TRAILER_START,
       CK_TRAILER_LINE, CK_TRAILER_LF, CK_END_LF };

int eg_chunked_decode(eg_chunked_t *c, char *buf, size_t in_len, size_t *out_len)
{
    size_t i = 0, o = 0;

    while (i < in_len && !c->done) {
        unsigned char ch = (unsigned char)buf[i];
        switch (c->state) {
        case CK_SIZE:
            if (isxdigit(ch)) {
                if (c->remaining >> 59)
                    return -1; /* would overflow */
                c->remaining = c->remaining * 16 +
                               (uint64_t)(isdigit(ch) ? ch - '0' : (tolower(ch) - 'a' + 10));
                c->digits = 1;
                i++;
            } else if (ch == ';' || ch == ' ' || ch == '\t') {
                if (!c->digits)
                    return -1;
                c->state = CK_EXT;
                i++;
            } else if (ch == '\r' || ch == '\n') {
                if (!c->digits)
                    return -1;
                c->state = ch == '\r' ? CK_SIZE_LF : (c->remaining ? CK_DATA : CK_TRAILER_START);
                i++;
            } else {
                return -1;
            }
            break;
        case CK_EXT:
            if (ch == '\n')
                c->state = c->remaining ? CK_DATA : CK_TRAILER_START;
            else if (ch == '\r')
                c->state = CK_SIZE_LF;
            i++;
            break;
        case CK_SIZE_LF:
            if (ch != '\n')
                return -1;
            c->state = c->remaining ? CK_DATA : CK_TRAILER_START;
            i++;
            break;
        case CK_DATA: {
            size_t n = in_len - i;
            if (n > c->remaining)
                n = (size_t)c->remaining;
            memmove(buf + o, buf + i, n);
            o += n;
            i += n;
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = CK_DATA_CR;
            break;
        }
        case CK_DATA_CR:
            if (ch == '\r')
                c->state = CK_DATA_LF;
            else if (ch == '\n') {
                c->state = CK_SIZE;
                c->digits = 0;
            } else
                return -1;
            i++;
            break;
        case CK_DATA_LF:
            if (ch != '\n')
                return -1;
            c->state = CK_SIZE;
            c->digits = 0;
            i++;
            break;
        case CK_TRAILER_START:
            if (ch == '\r')
                c->state = CK_END_LF;
            else if (ch == '\n')
                c->done = 1;
            else
                c->state = CK_TRAILER_LINE;
            i++;
            break;
        case CK_TRAILER_LINE:
            if (ch == '\n')
                c->state = CK_TRAILER_START;
            else if (ch == '\r')
                c->state = CK_TRAILER_LF;
            i++;
            break;
        case CK_TRAILER_LF:
            if (ch != '\n')
                return -1;
            c->state = CK_TRAILER_START;
            i++;
            break;
        case CK_END_LF:
            if (ch != '\n')
                return -1;
            c->done = 1;
            i++;
            break;
        default:
            return -1;
        }
    }
    *out_len = o;
    if (c->done && i < in_len)
        return -1; /* bytes after the last chunk: the caller handles pipelining, we do not */
    return c->done ? 1 : 0;
}
