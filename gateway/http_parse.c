/* Head parsers: strict where a proxy and its origin could disagree about a message (fields,
 * framing, control bytes), lenient where they cannot (bare LF line ends, spaces around
 * values). */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "edgegate/http.h"

static int is_tchar(unsigned char c)
{
    /* strchr finds the terminator too: NUL must be refused before asking it */
    return c != 0 && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A control byte no field value, reason phrase or chunk extension may hold (HTAB may). */
static int is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Every refusal of a head goes through here, so the caller can log why. */
static int __attribute__((cold)) refuse(eg_http_head_t *h, const char *why)
{
    h->why = why;
    return -1;
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
            return refuse(h, "obsolete line folding"); /* refuse rather than guess */
        colon = memchr(p, ':', (size_t)n);
        if (colon == NULL || colon == p)
            return refuse(h, "a header line without a field name and colon");
        for (const char *q = p; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                return refuse(h, "a field name that is not a token");
        v = colon + 1;
        ve = p + n;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const char *q = v; q < ve; q++)
            if (is_ctl((unsigned char)*q))
                return refuse(h, "a control byte in a field value");
        if (h->n_headers == EG_HTTP_MAX_HEADERS)
            return refuse(h, "too many header fields");
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
        return len > 8 && memcmp(buf, "HTTP/1.", len < 7 ? len : 7) != 0
                   ? refuse(h, "not an HTTP/1.x status line")
                   : 0;
    if (n < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)buf[7]) ||
        buf[8] != ' ')
        return refuse(h, "not an HTTP/1.x status line");
    h->minor_version = buf[7] - '0';
    h->status = parse_status(buf + 9, (size_t)n - 9);
    if (h->status < 100 || h->status > 599)
        return refuse(h, "a status code outside 100-599");
    /* the reason phrase is free text, but a bare CR or NUL there splits or hides lines */
    for (const char *q = buf + 12; q < buf + n; q++)
        if (is_ctl((unsigned char)*q))
            return refuse(h, "a control byte in the status line");
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
        return refuse(h, "an empty CGI head"); /* a CGI head says at least something */
    st = eg_http_find(h, "Status");
    if (st) {
        h->status = parse_status(st->value, st->value_len);
        if (h->status < 100 || h->status > 599)
            return refuse(h, "an invalid CGI Status");
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

static int name_is(const eg_header_t *hd, const char *name)
{
    size_t n = strlen(name);
    return hd->name_len == n && strncasecmp(hd->name, name, n) == 0;
}

/* Steps through a comma-separated list: sets [*s, *e) to the next member with its optional
 * whitespace trimmed (possibly empty) and returns 1, or 0 when the list is over (*p NULL). */
static int list_next(const char **p, const char *end, const char **s, const char **e)
{
    const char *comma;
    if (*p == NULL)
        return 0;
    comma = memchr(*p, ',', (size_t)(end - *p));
    *s = *p;
    *e = comma ? comma : end;
    *p = comma ? comma + 1 : NULL;
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
    return 1;
}

static int has_token_n(const char *value, size_t len, const char *token, size_t tl)
{
    const char *p = value, *s, *e;
    while (list_next(&p, value + len, &s, &e))
        if ((size_t)(e - s) == tl && tl > 0 && strncasecmp(s, token, tl) == 0)
            return 1;
    return 0;
}

int eg_http_has_token(const char *value, size_t len, const char *token)
{
    return has_token_n(value, len, token, strlen(token));
}

const char *eg_http_reason(int status)
{
    switch (status) {
    case 301: return "Moved Permanently";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
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

int eg_http_is_hop_field(const eg_http_head_t *h, const char *name, size_t len)
{
    if (eg_http_is_hop_by_hop(name, len))
        return 1;
    /* every Connection field counts, not only the first: a list may be split over several */
    for (size_t i = 0; i < h->n_headers; i++)
        if (name_is(&h->headers[i], "Connection") &&
            has_token_n(h->headers[i].value, h->headers[i].value_len, name, len))
            return 1;
    return 0;
}

void eg_http_drop_hop_fields(eg_http_head_t *h)
{
    unsigned char hop[EG_HTTP_MAX_HEADERS];
    size_t o = 0;
    /* decide for all fields first: the Connection fields that name the others go too */
    for (size_t i = 0; i < h->n_headers; i++)
        hop[i] = (unsigned char)eg_http_is_hop_field(h, h->headers[i].name, h->headers[i].name_len);
    for (size_t i = 0; i < h->n_headers; i++)
        if (!hop[i])
            h->headers[o++] = h->headers[i];
    h->n_headers = o;
}

/* Folds one Content-Length field (a single value or a list of them) into *cl; -1 when a member
 * is not 1*DIGIT, overflows, or differs from what was seen before. */
static int fold_length(const eg_header_t *hd, long long *cl, const char **why)
{
    const char *p = hd->value, *end = hd->value + hd->value_len, *s, *e;
    while (list_next(&p, end, &s, &e)) {
        long long v = 0;
        if (s == e) {
            *why = "an empty Content-Length";
            return -1;
        }
        for (const char *q = s; q < e; q++) {
            if (*q < '0' || *q > '9') {
                *why = "a Content-Length that is not a decimal number";
                return -1;
            }
            if (v > (LLONG_MAX - (*q - '0')) / 10) {
                *why = "a Content-Length too large to hold";
                return -1;
            }
            v = v * 10 + (*q - '0');
        }
        /* repeated identical values are one length (RFC 9110 section 8.6); different ones
         * mean two parties would cut the stream in different places */
        if (*cl >= 0 && *cl != v) {
            *why = "Content-Length values that differ";
            return -1;
        }
        *cl = v;
    }
    return 0;
}

int eg_http_response_framing(const eg_http_head_t *h, int bodyless, eg_http_framing_t *fr,
                             const char **why)
{
    long long cl = -1;
    size_t codings = 0;
    int chunked = 0, te = 0;

    fr->mode = EG_HTTP_BODY_NONE;
    fr->content_length = -1;
    for (size_t i = 0; i < h->n_headers; i++) {
        const eg_header_t *hd = &h->headers[i];
        if (name_is(hd, "Content-Length")) {
            if (fold_length(hd, &cl, why) < 0)
                return 502;
        } else if (name_is(hd, "Transfer-Encoding")) {
            const char *p = hd->value, *end = hd->value + hd->value_len, *s, *e;
            te = 1;
            /* the codings of all fields form one list; empty members do not count */
            while (list_next(&p, end, &s, &e)) {
                if (s == e)
                    continue;
                codings++;
                chunked = (size_t)(e - s) == 7 && strncasecmp(s, "chunked", 7) == 0;
            }
        }
    }
    if (te && cl >= 0) {
        *why = "both Content-Length and Transfer-Encoding";
        return 502;
    }
    if (te && h->minor_version == 0) {
        *why = "Transfer-Encoding in an HTTP/1.0 response"; /* RFC 9112 section 6.1 */
        return 502;
    }
    if (te && (codings != 1 || !chunked)) {
        *why = "a transfer coding other than a single chunked";
        return 502;
    }
    fr->content_length = cl;
    if (bodyless)
        fr->mode = EG_HTTP_BODY_NONE;
    else if (te)
        fr->mode = EG_HTTP_BODY_CHUNKED;
    else if (cl >= 0)
        fr->mode = EG_HTTP_BODY_LENGTH;
    else
        fr->mode = EG_HTTP_BODY_CLOSE;
    return 0;
}

/* Every refusal of chunked input goes through here, so the caller can log why. */
static int __attribute__((cold)) ck_refuse(eg_chunked_t *c, const char *why)
{
    c->why = why;
    return -1;
}

/* States of the chunked decoder. */
enum { CK_SIZE, CK_SIZE_WS, CK_EXT, CK_SIZE_LF, CK_DATA, CK_DATA_CR, CK_DATA_LF,
       CK_TRAILER_START, CK_TRAILER_NAME, CK_TRAILER_VALUE, CK_TRAILER_LF, CK_END_LF };

int eg_chunked_decode(eg_chunked_t *c, char *buf, size_t in_len, size_t *out_len)
{
    size_t i = 0, o = 0;

    *out_len = 0;
    while (i < in_len && !c->done) {
        unsigned char ch = (unsigned char)buf[i];
        switch (c->state) {
        case CK_SIZE:
            if (isxdigit(ch)) {
                if (c->remaining >> 59)
                    return ck_refuse(c, "a chunk size too large to hold");
                c->remaining = c->remaining * 16 +
                               (uint64_t)(isdigit(ch) ? ch - '0' : (tolower(ch) - 'a' + 10));
                c->digits = 1;
                i++;
                break;
            }
            if (!c->digits)
                return ck_refuse(c, "a chunk size line without a hex size");
            c->state = CK_SIZE_WS; /* and look at ch again there */
            break;
        case CK_SIZE_WS: /* after the size: whitespace, then extensions or the line end */
            if (ch == ' ' || ch == '\t')
                ;
            else if (ch == ';')
                c->state = CK_EXT;
            else if (ch == '\r')
                c->state = CK_SIZE_LF;
            else if (ch == '\n')
                c->state = c->remaining ? CK_DATA : CK_TRAILER_START;
            else
                return ck_refuse(c, "garbage after a chunk size");
            i++;
            break;
        case CK_EXT: /* extensions are ignored, but not control bytes that hide a line end */
            if (ch == '\n')
                c->state = c->remaining ? CK_DATA : CK_TRAILER_START;
            else if (ch == '\r')
                c->state = CK_SIZE_LF;
            else if (is_ctl(ch))
                return ck_refuse(c, "a control byte in a chunk extension");
            i++;
            break;
        case CK_SIZE_LF:
            if (ch != '\n')
                return ck_refuse(c, "a bare CR in a chunk size line");
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
                return ck_refuse(c, "chunk data longer than its size");
            i++;
            break;
        case CK_DATA_LF:
            if (ch != '\n')
                return ck_refuse(c, "a bare CR after chunk data");
            c->state = CK_SIZE;
            c->digits = 0;
            i++;
            break;
        case CK_TRAILER_START:
            if (ch == '\r')
                c->state = CK_END_LF;
            else if (ch == '\n')
                c->done = 1;
            else if (is_tchar(ch))
                c->state = CK_TRAILER_NAME;
            else
                return ck_refuse(c, ch == ' ' || ch == '\t' ? "obsolete line folding in trailers"
                                                            : "a trailer line that is not a field");
            i++;
            break;
        case CK_TRAILER_NAME:
            if (ch == ':')
                c->state = CK_TRAILER_VALUE;
            else if (!is_tchar(ch))
                return ck_refuse(c, "a trailer field name that is not a token");
            i++;
            break;
        case CK_TRAILER_VALUE:
            if (ch == '\n')
                c->state = CK_TRAILER_START;
            else if (ch == '\r')
                c->state = CK_TRAILER_LF;
            else if (is_ctl(ch))
                return ck_refuse(c, "a control byte in a trailer field");
            i++;
            break;
        case CK_TRAILER_LF:
            if (ch != '\n')
                return ck_refuse(c, "a bare CR in a trailer field");
            c->state = CK_TRAILER_START;
            i++;
            break;
        case CK_END_LF:
            if (ch != '\n')
                return ck_refuse(c, "a bare CR after the last chunk");
            c->done = 1;
            i++;
            break;
        default:
            return ck_refuse(c, "decoder state lost");
        }
    }
    *out_len = o;
    if (c->done && i < in_len) /* the caller handles pipelining, we do not */
        return ck_refuse(c, "bytes after the last chunk");
    return c->done ? 1 : 0;
}
