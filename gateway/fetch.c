/* HTTP/1.1 framing towards origins. */
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/fetch.h"

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_EOF };

int eg_fetch_start(eg_fetch_t *f, eg_origin_pool_t *pool, const eg_origin_target_t *t,
                   const char *head, size_t head_len, int read_timeout_ms, int *status, char *err,
                   size_t errlen)
{
    memset(f, 0, offsetof(eg_fetch_t, head));
    f->have = f->pos = 0;
    f->pool = pool;
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

static int parse_length(const eg_header_t *h, long long *out)
{
    long long v = 0;
    if (h->value_len == 0 || h->value_len > 18)
        return -1;
    for (size_t i = 0; i < h->value_len; i++) {
        if (h->value[i] < '0' || h->value[i] > '9')
            return -1;
        v = v * 10 + (h->value[i] - '0');
    }
    *out = v;
    return 0;
}

int eg_fetch_read_head(eg_fetch_t *f, const char *method, int *status, int *closed, char *err,
                       size_t errlen)
{
    const eg_header_t *te, *cl, *conn;
    int r = 0;
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
            eg_errf(err, errlen, "origin response head is larger than %d bytes",
                    EG_FETCH_HEAD_MAX);
            return -1;
        }
        n = eg_origin_read(f->conn, f->head + f->have, sizeof(f->head) - f->have,
                           f->read_timeout_ms);
        if (n <= 0) {
            if (n < 0 && errno == ETIMEDOUT) {
                *status = 504;
                eg_errf(err, errlen, "origin did not answer within %d s",
                        f->read_timeout_ms / 1000);
            } else {
                *status = 502;
                *closed = f->have == 0;
                eg_errf(err, errlen, "origin closed the connection %s",
                        f->have ? "in the middle of its response head" : "without answering");
            }
            return -1;
        }
        f->have += (size_t)n;
    }
    if (r < 0 || f->h.status == 101) {
        *status = 502;
        eg_errf(err, errlen, "origin sent an invalid HTTP response head");
        return -1;
    }
    f->pos = f->h.head_len;
    te = eg_http_find(&f->h, "Transfer-Encoding");
    cl = eg_http_find(&f->h, "Content-Length");
    conn = eg_http_find(&f->h, "Connection");
    f->keep_alive = f->h.minor_version >= 1;
    if (conn && eg_http_has_token(conn->value, conn->value_len, "close"))
        f->keep_alive = 0;
    if (conn && eg_http_has_token(conn->value, conn->value_len, "keep-alive"))
        f->keep_alive = 1;
    if (strcmp(method, "HEAD") == 0 || f->h.status == 204 || f->h.status == 304) {
        f->mode = BODY_NONE;
        if (cl)
            parse_length(cl, &f->content_length);
    } else if (te) {
        if (!eg_http_has_token(te->value, te->value_len, "chunked")) {
            *status = 502;
            eg_errf(err, errlen, "origin used a transfer coding other than chunked");
            return -1;
        }
        f->mode = BODY_CHUNKED;
    } else if (cl) {
        if (parse_length(cl, &f->content_length) < 0) {
            *status = 502;
            eg_errf(err, errlen, "origin sent an invalid Content-Length");
            return -1;
        }
        f->mode = BODY_LENGTH;
        f->remaining = (unsigned long long)f->content_length;
    } else {
        f->mode = BODY_EOF;
        f->keep_alive = 0;
    }
    if (f->mode == BODY_NONE || (f->mode == BODY_LENGTH && f->remaining == 0))
        f->done = 1;
    return 0;
}

ssize_t eg_fetch_read_body(eg_fetch_t *f, char *buf, size_t max)
{
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
                return -1;
            if (n == 0) {
                if (f->mode == BODY_EOF) {
                    f->done = 1;
                    return 0;
                }
                errno = ECONNRESET; /* the origin closed before the body's end */
                return -1;
            }
        }
        switch (f->mode) {
        case BODY_LENGTH:
            if ((unsigned long long)n > f->remaining)
                n = (ssize_t)f->remaining; /* ignore anything past the declared length */
            f->remaining -= (unsigned long long)n;
            if (f->remaining == 0)
                f->done = 1;
            return n;
        case BODY_CHUNKED: {
            int r = eg_chunked_decode(&f->ck, buf, (size_t)n, &out);
            if (r < 0) {
                errno = EPROTO;
                return -1;
            }
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
