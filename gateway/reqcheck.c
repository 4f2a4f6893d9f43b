/* RFC 9112's refusals for a viewer's request head (see reqcheck.h). Each rule is one test
 * here, and the first one broken decides the answer, so a request is refused the same way
 * whatever order its fields came in. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "edgegate/http.h"
#include "edgegate/reqcheck.h"

static void refuse(eg_reqcheck_t *r, int status, const char *reason)
{
    if (r->status == 0) {
        r->status = status;
        r->reason = reason;
    }
}

void eg_reqcheck_init(eg_reqcheck_t *r, const char *version)
{
    memset(r, 0, sizeof(*r));
    r->http11 = version && strcmp(version, "HTTP/1.1") == 0;
    if (version == NULL || (strcmp(version, "HTTP/1.1") != 0 && strcmp(version, "HTTP/1.0") != 0))
        refuse(r, 505, "only HTTP/1.0 and HTTP/1.1 are served");
}

static int is_tchar(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Transfer-Encoding: a list of codings, chunked last and only once (RFC 9112 §6.1). */
static void transfer_encoding(eg_reqcheck_t *r, const char *v)
{
    const char *p = v;
    int last_chunked = 0, chunked_seen = 0;
    while (*p) {
        const char *e = p, *s;
        size_t n;
        while (*e && *e != ',')
            e++;
        s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        n = (size_t)(e - s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n) {
            int is_chunked = n == 7 && strncasecmp(s, "chunked", 7) == 0;
            if (chunked_seen && is_chunked) {
                refuse(r, 400, "Transfer-Encoding applies chunked twice");
                return;
            }
            chunked_seen |= is_chunked;
            last_chunked = is_chunked;
        }
        p = *e ? e + 1 : e;
    }
    /* libmicrohttpd 0.9.75 decodes chunked only when it is the whole value: any other
     * coding before it would leave the body unframed, so only "chunked" alone is served */
    if (last_chunked && chunked_seen == 1 && strcspn(v, ",") == strlen(v))
        r->te_chunked = 1;
    else
        r->te_other = 1;
}

void eg_reqcheck_field(eg_reqcheck_t *r, const char *name, const char *value)
{
    if (name == NULL || *name == '\0') {
        refuse(r, 400, "a header field without a name");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!is_tchar(*p)) {
            refuse(r, 400, "a header field name holds a character a token cannot");
            return;
        }
    if (value == NULL)
        value = "";
    r->head_bytes += strlen(name) + strlen(value) + 4; /* ": " and CRLF */
    if (r->head_bytes > EG_REQCHECK_HEAD_MAX)
        refuse(r, 431, "the request's header fields are larger than 20 KiB");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            refuse(r, 400, "a header field value holds a control character (CR, LF, NUL...)");
            return;
        }
    if (strcasecmp(name, "Host") == 0) {
        if (++r->n_host > 1)
            refuse(r, 400, "more than one Host header");
        r->host = value;
    } else if (strcasecmp(name, "Content-Length") == 0) {
        unsigned long long v = 0;
        const char *p = value;
        if (++r->n_cl > 1) {
            refuse(r, 400, "more than one Content-Length header");
            return;
        }
        if (*p == '\0') {
            refuse(r, 400, "Content-Length is not a number");
            return;
        }
        for (; *p; p++) {
            if (!isdigit((unsigned char)*p) || v > (~0ULL - 9) / 10) {
                refuse(r, 400, "Content-Length is not a number");
                return;
            }
            v = v * 10 + (unsigned)(*p - '0');
        }
        r->content_length = v;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        if (++r->n_te > 1) {
            refuse(r, 400, "more than one Transfer-Encoding header");
            return;
        }
        transfer_encoding(r, value);
    }
}

void eg_reqcheck_target(eg_reqcheck_t *r, size_t len)
{
    r->head_bytes += len;
    if (r->head_bytes > EG_REQCHECK_HEAD_MAX)
        refuse(r, 431, "the request's header fields are larger than 20 KiB");
}

int eg_reqcheck_end(eg_reqcheck_t *r)
{
    if (r->status == 0 && r->http11 && r->n_host == 0)
        refuse(r, 400, "an HTTP/1.1 request without a Host header");
    if (r->status == 0 && r->n_host == 1 && *r->host == '\0')
        refuse(r, 400, "an empty Host header");
    if (r->status == 0 && r->n_te) {
        if (r->n_cl)
            refuse(r, 400, "Content-Length together with Transfer-Encoding");
        else if (!r->http11)
            refuse(r, 400, "Transfer-Encoding in an HTTP/1.0 request");
        else if (r->te_other)
            refuse(r, 501, "a transfer coding other than chunked");
    }
    if (r->status)
        return r->status;
    if (r->n_te)
        r->body = EG_BODY_CHUNKED;
    else if (r->n_cl && r->content_length > 0)
        r->body = EG_BODY_LENGTH;
    else
        r->body = EG_BODY_NONE;
    return 0;
}
