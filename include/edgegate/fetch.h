/* One HTTP/1.1 exchange with an origin over an eg_origin_conn_t: send the request head and
 * body (streamed, Content-Length or chunked), read and parse the response head, then read the
 * body by its framing (length, chunked, until close, none). Called by the front. */
#ifndef EDGEGATE_FETCH_H
#define EDGEGATE_FETCH_H

#include <stddef.h>
#include <sys/types.h>

#include "edgegate/http.h"
#include "edgegate/origin.h"

#define EG_FETCH_HEAD_MAX 65536

typedef struct {
    eg_origin_pool_t *pool;  /* borrowed */
    eg_origin_conn_t *conn;  /* owned until eg_fetch_end */
    const char *domain;      /* borrowed from the target, for error texts */
    const char *log_id;      /* borrowed: the request's id for log lines, set by the caller
                              * after eg_fetch_start; NULL for none */
    int read_timeout_ms;
    int head_only;           /* HEAD request, or 1xx/204/304: no body follows */
    int body_chunked_out;    /* request body is sent chunked */
    /* response */
    size_t have;             /* bytes in head[] */
    size_t pos;              /* body bytes in head[] from here on are unread */
    eg_http_head_t h;        /* hop-by-hop fields already removed (see eg_fetch_read_head) */
    int mode;                /* body framing, EG_HTTP_BODY_* */
    unsigned long long remaining;
    long long content_length; /* -1 unknown */
    eg_chunked_t ck;
    int keep_alive;
    int done;                /* the whole body was read, cleanly framed: it may be stored */
    int failed;              /* the body broke (short, bad chunked, truncated TLS): never done */
    char head[EG_FETCH_HEAD_MAX]; /* last: eg_fetch_start clears everything before it */
} eg_fetch_t;

/* Opens the connection and sends the head; on failure *status is 502/504. */
int eg_fetch_start(eg_fetch_t *f, eg_origin_pool_t *pool, const eg_origin_target_t *t,
                   const char *head, size_t head_len, int read_timeout_ms, int *status, char *err,
                   size_t errlen);
/* 1 when the connection came from the pool. */
int eg_fetch_reused(const eg_fetch_t *f);
int eg_fetch_send_body(eg_fetch_t *f, const char *buf, size_t len);
int eg_fetch_end_body(eg_fetch_t *f);
/* Reads the response head; *status 502/504 on failure. request_method decides whether a body
 * follows. Returns 0, or -1 (with *closed set when the origin closed before a single byte:
 * a reused connection the origin had dropped). Invalid or ambiguous framing (see
 * eg_http_response_framing) and invalid heads are 502. On success f->h holds only end-to-end
 * fields: the hop-by-hop ones and those the origin's Connection names are gone, so neither
 * the cache nor a viewer sees them. */
int eg_fetch_read_head(eg_fetch_t *f, const char *request_method, int *status, int *closed,
                       char *err, size_t errlen);
/* Reads body bytes; 0 at the end, -1 on failure (and on every later call): a body shorter
 * than its Content-Length, bad chunked coding, a read-to-close body over TLS that ended
 * without close_notify (truncated), a timeout. f->done is set only at a clean end. */
ssize_t eg_fetch_read_body(eg_fetch_t *f, char *buf, size_t max);
/* Returns the connection to the pool if the exchange finished cleanly, else closes it. */
void eg_fetch_end(eg_fetch_t *f);

#endif
