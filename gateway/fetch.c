/* HTTP/1.1 framing towards origins. Strict on what comes back (RFC 9112 section 6.3): a
 * response whose length two parties could read differently is refused, and a body is "done"
 * (storable) only when its framing said it ended, so nothing short or spliced is cached. */
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/fetch.h"

int eg_fetch_start(eg_fetch_t *f, eg_origin_pool_t *pool, const eg_origin_target_t *t,
                   const char *head, size_t head_len, int read_timeout_ms, int *status, char *err,
                   size_t errlen)
{
    memset(f, 0, offsetof(eg_fetch_t, head)); /* a retry reuses f: nothing of the last try */
    f->pool = pool;
    f->domain = t->domain;
    f->read_timeout_ms = read_timeout_ms;
    f->content_length = -1;
    f->conn = eg_origin_get(pool, t, status, err, errlen);
    if (f->conn == NULL)
        return -1;
    if (eg_origin_write(f->conn, head, head_len, read_timeout_ms) < 0) {
        *status = errno == ETIMEDOUT ? 504 : 502;
        eg_errf(err, errlen, "origin %s: sending the request: %s", t->domain, strerror(errno));
        return -1;
    }
    return 0;
}

int eg_fetch_reused(const eg_fetch_t *f)
{
    return f->conn && eg_origin_conn_reused(f->conn);
}

int eg_fetch_send_body(eg_fetch_t *f, const char *buf, size_t len)
{
    char size[24];
    int n;
    if (len == 0)
        return 0;
    if (f->body_chunked_out) {
        n = snprintf(size, sizeof(size), "%zx\r\n", len);
        if (eg_origin_write(f->conn, size, (size_t)n, f->read_timeout_ms) < 0)
            return -1;
    }
    if (eg_origin_write(f->conn, buf, len, f->read_timeout_ms) < 0)
        return -1;
    if (f->body_chunked_out && eg_origin_write(f->conn, "\r\n", 2, f->read_timeout_ms) < 0)
        return -1;
    return 0;
}

int eg_fetch_end_body(eg_fetch_t *f)
{
    if (f->body_chunked_out)
        return eg_origin_write(f->conn, "0\r\n\r\n", 5, f->read_timeout_ms);
    return 0;
}

int eg_fetch_read_head(eg_fetch_t *f, const char *method, int *status, int *closed, char *err,
                       size_t errlen)
{
    eg_http_framing_t fr;
    const char *why = NULL;
    int r = 0, bodyless, close_seen = 0;
    *closed = 0;
    for (;;) {
        ssize_t n;
        if (f->have > 0) {
            r = eg_http_parse_response_head(f->head, f->have, &f->h);
            if (r == 1 && f->h.status >= 100 && f->h.status < 200 && f->h.status != 101) {
                /* interim response: drop it and read on */
                memmove(f->head, f->head + f->h.head_len, f->have - f->h.head_len);
                f->have -= f->h.head_len;
                continue;
            }
            if (r != 0)
                break;
        }
        if (f->have == sizeof(f->head)) {
            *status = 502;
            eg_errf(err, errlen, "origin %s: response head is larger than %d bytes", f->domain,
                    EG_FETCH_HEAD_MAX);
            return -1;
        }
        n = eg_origin_read(f->conn, f->head + f->have, sizeof(f->head) - f->have,
                           f->read_timeout_ms);
        if (n <= 0) {
            if (n < 0 && errno == ETIMEDOUT) {
                *status = 504;
                eg_errf(err, errlen, "origin %s did not answer within %d s", f->domain,
                        f->read_timeout_ms / 1000);
            } else {
                *status = 502;
                *closed = f->have == 0;
                eg_errf(err, errlen, "origin %s closed the connection %s", f->domain,
                        f->have ? "in the middle of its response head" : "without answering");
            }
            return -1;
        }
        f->have += (size_t)n;
    }
    if (r < 0 || f->h.status == 101) {
        *status = 502;
        eg_errf(err, errlen, "origin %s sent an invalid HTTP response head: %s", f->domain,
                r < 0 && f->h.why ? f->h.why : "an upgrade nobody asked for");
        return -1;
    }
    f->pos = f->h.head_len;
    bodyless = strcmp(method, "HEAD") == 0 || f->h.status == 204 || f->h.status == 304;
    if (eg_http_response_framing(&f->h, bodyless, &fr, &why) != 0) {
        /* nothing of it is used: not stored, not passed on, the connection not reused */
        *status = 502;
        eg_errf(err, errlen, "origin %s sent a response with invalid framing: %s", f->domain, why);
        return -1;
    }
    f->keep_alive = f->h.minor_version >= 1;
    for (size_t i = 0; i < f->h.n_headers; i++) { /* every Connection field, not the first */
        const eg_header_t *hd = &f->h.headers[i];
        if (hd->name_len != 10 || strncasecmp(hd->name, "Connection", 10) != 0)
            continue;
        if (eg_http_has_token(hd->value, hd->value_len, "close"))
            close_seen = 1;
        if (eg_http_has_token(hd->value, hd->value_len, "keep-alive"))
            f->keep_alive = 1;
    }
    if (close_seen) /* close wins, whatever else is listed */
        f->keep_alive = 0;
    f->mode = fr.mode;
    f->content_length = fr.content_length;
    if (f->mode == EG_HTTP_BODY_LENGTH)
        f->remaining = (unsigned long long)f->content_length;
    else if (f->mode == EG_HTTP_BODY_CLOSE)
        f->keep_alive = 0;
    if (f->mode == EG_HTTP_BODY_NONE || (f->mode == EG_HTTP_BODY_LENGTH && f->remaining == 0))
        f->done = 1;
    /* what the front stores and forwards is end-to-end only (RFC 9110 section 7.6.1) */
    eg_http_drop_hop_fields(&f->h);
    return 0;
}

/* Every body failure goes through here: it is logged with its reason, and it sticks. */
static ssize_t __attribute__((cold)) body_fail(eg_fetch_t *f, int e, const char *why)
{
    if (!f->failed)
        eg_log_warn("%s%s%sorigin %s: response body refused: %s", f->log_id ? "request " : "",
                    f->log_id ? f->log_id : "", f->log_id ? ": " : "", f->domain, why);
    f->failed = 1;
    f->done = 0;
    f->keep_alive = 0;
    errno = e;
    return -1;
}

ssize_t eg_fetch_read_body(eg_fetch_t *f, char *buf, size_t max)
{
    if (f->failed) {
        errno = EPROTO;
        return -1;
    }
    for (;;) {
        ssize_t n;
        size_t out = 0;
        if (f->done || max == 0)
            return 0;
        if (f->pos < f->have) {
            n = (ssize_t)(f->have - f->pos);
            if ((size_t)n > max)
                n = (ssize_t)max;
            memcpy(buf, f->head + f->pos, (size_t)n);
            f->pos += (size_t)n;
        } else {
            n = eg_origin_read(f->conn, buf, max, f->read_timeout_ms);
            if (n < 0)
                return body_fail(f, errno, errno == ETIMEDOUT ? "timed out" : "reading failed");
            if (n == 0) {
                if (f->mode != EG_HTTP_BODY_CLOSE)
                    return body_fail(f, ECONNRESET,
                                     f->mode == EG_HTTP_BODY_LENGTH
                                         ? "closed before its Content-Length"
                                         : "closed before the last chunk");
                /* over TLS only close_notify proves the body ended where the origin meant
                 * it to; a bare TCP close may be an attacker's or a crash (RFC 9112 9.8) */
                if (eg_origin_eof_truncated(f->conn))
                    return body_fail(f, EPROTO, "TLS closed without close_notify: truncated");
                f->done = 1;
                return 0;
            }
        }
        switch (f->mode) {
        case EG_HTTP_BODY_LENGTH:
            if ((unsigned long long)n > f->remaining) {
                /* bytes past the declared length (RFC 9112 section 6.3 allows discarding
                 * them); they are not the start of another response: never reuse this */
                n = (ssize_t)f->remaining;
                f->keep_alive = 0;
            }
            f->remaining -= (unsigned long long)n;
            if (f->remaining == 0)
                f->done = 1;
            return n;
        case EG_HTTP_BODY_CHUNKED: {
            int r = eg_chunked_decode(&f->ck, buf, (size_t)n, &out);
            if (r < 0)
                return body_fail(f, EPROTO, f->ck.why ? f->ck.why : "bad chunked coding");
            if (r == 1)
                f->done = 1;
            if (out > 0)
                return (ssize_t)out;
            continue; /* only framing bytes this time */
        }
        default:
            return n;
        }
    }
}

void eg_fetch_end(eg_fetch_t *f)
{
    if (f->conn == NULL)
        return;
    eg_origin_put(f->pool, f->conn, f->done && f->keep_alive && f->pos >= f->have);
    f->conn = NULL;
}
