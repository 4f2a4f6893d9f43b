/* To the origin and back: the origin request (fwd.c builds its head), the exchange with one
 * retry on a pooled connection the origin closed, the response head's rules, and both bodies.
 * A request body is buffered by the event thread and sent by the upload job, so that an
 * origin that reads slowly (or never) holds that job and that viewer only. A response body
 * is read by the job that got its head (now the pump) into a bounded buffer that
 * libmicrohttpd's content reader drains, the connection sleeping while the buffer is empty. */
#include <strings.h>

#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "edgegate/front_req.h"

#define STREAM_HIGH_WATER (256 * 1024) /* bytes the pump reads ahead of the viewer */
#define UPLOAD_HIGH_WATER (256 * 1024) /* body bytes held for the origin before reading stops */

void eg_proxy_target(eg_req_t *rq)
{
    const eg_route_t *r = rq->route;
    const char *vhost = rq->host;
    memset(&rq->target, 0, sizeof(rq->target));
    rq->target.domain = r->domain;
    rq->target.port = r->port;
    rq->target.https = r->https;
    rq->target.ssl_protocols = r->ssl_protocols;
    rq->target.connect_timeout_ms = (r->read_timeout < 10 ? r->read_timeout : 10) * 1000;
    rq->target.keepalive_timeout = r->keepalive_timeout;
    if (r->forward_host && vhost) {
        /* the certificate may name the forwarded Host instead of the origin domain */
        size_t n = strcspn(vhost[0] == '[' ? vhost + 1 : vhost, vhost[0] == '[' ? "]" : ":");
        snprintf(rq->alt_name, sizeof(rq->alt_name), "%.*s", (int)n,
                 vhost[0] == '[' ? vhost + 1 : vhost);
        rq->target.alt_name = rq->alt_name;
    }
}

/* Starts the exchange; a pooled connection the origin closed meanwhile is retried once on a
 * fresh one, but only for idempotent requests without a body. */
int eg_proxy_start(eg_req_t *rq, int retryable, int *status, char *err, size_t errlen)
{
    int timeout_ms = rq->route->read_timeout * 1000;
    if (rq->fetch == NULL)
        rq->fetch = eg_calloc(1, sizeof(*rq->fetch));
    if (eg_fetch_start(rq->fetch, rq->f->origins, &rq->target, rq->head.data, rq->head.len,
                       timeout_ms, status, err, errlen) == 0) {
        rq->fetch->log_id = rq->id;
        return 0;
    }
    if (retryable && eg_fetch_reused(rq->fetch)) {
        eg_fetch_end(rq->fetch);
        rq->target.fresh = 1;
        if (eg_fetch_start(rq->fetch, rq->f->origins, &rq->target, rq->head.data, rq->head.len,
                           timeout_ms, status, err, errlen) == 0) {
            rq->fetch->log_id = rq->id;
            return 0;
        }
    }
    eg_fetch_end(rq->fetch);
    return -1;
}

/* Reads the origin's response head, retrying once on a fresh connection when a pooled one
 * turns out to have been closed by the origin (idempotent requests only). */
int eg_proxy_read_head(eg_req_t *rq, int retryable, int *status, char *err, size_t errlen)
{
    int closed = 0;
    if (eg_fetch_read_head(rq->fetch, rq->method, status, &closed, err, errlen) == 0)
        return 0;
    if (closed && retryable && eg_fetch_reused(rq->fetch)) {
        eg_fetch_end(rq->fetch);
        memset(rq->fetch, 0, sizeof(*rq->fetch));
        rq->target.fresh = 1;
        if (eg_proxy_start(rq, 0, status, err, errlen) == 0 &&
            eg_fetch_read_head(rq->fetch, rq->method, status, &closed, err, errlen) == 0)
            return 0;
    }
    return -1;
}

/* Copies up to max unread bytes of b from *pos on, and moves *pos past them. */
static ssize_t take(const eg_buf_t *b, size_t *pos, char *dst, size_t max)
{
    size_t n = b->len - *pos;
    if (n > max)
        n = max;
    memcpy(dst, b->data + *pos, n);
    *pos += n;
    return (ssize_t)n;
}

/* Drains what the pump read; when nothing is there yet the connection sleeps until the pump
 * resumes it. */
static ssize_t body_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    eg_req_t *rq = cls;
    ssize_t n = 0;
    pthread_mutex_lock(&rq->lock);
    if (rq->prefix_pos < rq->prefix.len) {
        n = take(&rq->prefix, &rq->prefix_pos, buf, max);
    } else if (rq->spos < rq->sbuf.len) {
        n = take(&rq->sbuf, &rq->spos, buf, max);
        pthread_cond_signal(&rq->room);
    } else if (rq->s_eof) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else if (rq->s_err) {
        eg_log_error("request %s: origin %s: body broke off after %llu bytes%s", rq->id,
                     rq->route->domain, (unsigned long long)pos,
                     rq->ranged ? " of the range" : "");
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else {
        rq->reader_waiting = 1;
        MHD_suspend_connection(rq->conn);
    }
    pthread_mutex_unlock(&rq->lock);
    return n;
}

/* Reads the origin's body ahead of the viewer, at most STREAM_HIGH_WATER bytes; runs in the
 * job that queued the response, after the connection was resumed. */
void eg_proxy_pump(eg_req_t *rq)
{
    char buf[64 * 1024];
    for (;;) {
        ssize_t n;
        int wake;
        pthread_mutex_lock(&rq->lock);
        while (!rq->closed && rq->sbuf.len - rq->spos >= STREAM_HIGH_WATER)
            pthread_cond_wait(&rq->room, &rq->lock);
        if (rq->spos > 0) { /* drop what the viewer has had */
            memmove(rq->sbuf.data, rq->sbuf.data + rq->spos, rq->sbuf.len - rq->spos);
            rq->sbuf.len -= rq->spos;
            rq->spos = 0;
        }
        if (rq->closed) {
            pthread_mutex_unlock(&rq->lock);
            return;
        }
        pthread_mutex_unlock(&rq->lock);
        n = eg_fetch_read_body(rq->fetch, buf, sizeof(buf));
        pthread_mutex_lock(&rq->lock);
        if (n > 0 && rq->ranged) { /* only the range passes; the rest of the body is dropped */
            size_t skip = rq->r_skip < (size_t)n ? (size_t)rq->r_skip : (size_t)n;
            size_t pass = (size_t)n - skip;
            if (pass > rq->r_left)
                pass = (size_t)rq->r_left;
            rq->r_skip -= skip;
            rq->r_left -= pass;
            eg_buf_add(&rq->sbuf, buf + skip, pass);
            if (rq->r_left == 0) { /* the connection closes: its body was not all read */
                rq->s_eof = 1;
                n = 0;
            }
        } else if (n > 0)
            eg_buf_add(&rq->sbuf, buf, (size_t)n);
        else if (n == 0)
            rq->s_eof = 1;
        else
            rq->s_err = 1;
        wake = rq->reader_waiting && !rq->closed;
        rq->reader_waiting = 0;
        pthread_mutex_unlock(&rq->lock);
        if (wake)
            MHD_resume_connection(rq->conn);
        if (n <= 0)
            return;
    }
}

static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void add_origin_headers(struct MHD_Response *resp, const eg_http_head_t *h)
{
    const eg_header_t *conn_hdr = eg_http_find(h, "Connection");
    for (size_t i = 0; i < h->n_headers; i++) {
        const eg_header_t *hd = &h->headers[i];
        char name[256], *value;
        if (hd->name_len >= sizeof(name) || eg_http_is_hop_by_hop(hd->name, hd->name_len) ||
            (hd->name_len == 14 && strncasecmp(hd->name, "Content-Length", 14) == 0) ||
            (hd->name_len == 3 && strncasecmp(hd->name, "Via", 3) == 0) ||
            (hd->name_len == 7 && strncasecmp(hd->name, "X-Cache", 7) == 0) ||
            /* edgegate is the surrogate it speaks to, stored or not (freshness.h) */
            (hd->name_len == 17 && strncasecmp(hd->name, "Surrogate-Control", 17) == 0))
            continue;
        memcpy(name, hd->name, hd->name_len);
        name[hd->name_len] = '\0';
        if (conn_hdr && eg_http_has_token(conn_hdr->value, conn_hdr->value_len, name))
            continue;
        value = eg_strndup(hd->value, hd->value_len);
        MHD_add_response_header(resp, name, value);
        free(value);
    }
}

/* RFC 9111 section 4.4: an unsafe method the origin did not refuse (2xx, 3xx) may have
 * changed the target's resource and those its Location and Content-Location name: what the
 * cache holds for them goes, every variant, when they are on the request's host (another
 * host's objects are not for this request to remove). */
static void invalidate_after(eg_req_t *rq)
{
    static const char *const safe[] = {"GET", "HEAD", "OPTIONS", "TRACE"};
    static const char *const named[] = {"Location", "Content-Location"};
    const eg_http_head_t *h = &rq->fetch->h;
    size_t n;
    for (size_t i = 0; i < EG_ARRAY_LEN(safe); i++)
        if (strcmp(rq->method, safe[i]) == 0)
            return;
    if (h->status < 200 || h->status >= 400)
        return;
    n = eg_cache_invalidate_uri(rq->f->cache, rq->route->dist, rq->u.path, rq->u.query);
    for (size_t i = 0; i < EG_ARRAY_LEN(named); i++) {
        const eg_header_t *hd = eg_http_find(h, named[i]);
        const char *why;
        eg_uri_t u;
        if (hd == NULL || eg_uri_resolve(hd->value, hd->value_len, rq->host, &rq->u, &u, &why) < 0)
            continue; /* another host's, or not a URI: nothing of this cache's */
        n += eg_cache_invalidate_uri(rq->f->cache, rq->route->dist, u.path, u.query);
        eg_uri_free(&u);
    }
    if (n)
        eg_log_info("request %s: %s answered %d: %zu cached object%s invalidated", rq->id,
                    rq->method, h->status, n, n == 1 ? "" : "s");
}

/* The response whose body streams from the origin (after rq->prefix); in a job. Every
 * origin answer to a method the cache does not keep passes here. */
enum MHD_Result eg_proxy_stream(eg_req_t *rq)
{
    eg_fetch_t *fx = rq->fetch;
    const eg_header_t *via = eg_http_find(&fx->h, "Via");
    struct MHD_Response *resp;
    int head = strcmp(rq->method, "HEAD") == 0;
    invalidate_after(rq);
    if (rq->ranged == EG_RANGE_UNSATISFIABLE) {
        resp = MHD_create_response_from_callback(0, 1024, no_body, rq, NULL);
        eg_fetch_end(fx); /* its body is not read: the connection closes */
    } else if (rq->ranged == EG_RANGE_SINGLE) { /* the pump passes the range alone */
        rq->stream = 1;
        resp = MHD_create_response_from_callback(rq->r_left, 64 * 1024, body_reader, rq, NULL);
    } else if (head || (fx->done && rq->prefix.len == 0)) {
        /* a HEAD answer's length is the GET's: the origin's Content-Length, or unknown */
        /* a 304 says the 200's length when the origin did (RFC 9110 8.6), else 0 */
        uint64_t size = 0;
        if (fx->h.status != 204 && fx->content_length >= 0)
            size = (uint64_t)fx->content_length;
        else if (fx->h.status != 204 && fx->h.status != 304 && head)
            size = MHD_SIZE_UNKNOWN;
        resp = MHD_create_response_from_callback(size, 1024, no_body, rq, NULL);
        /* libmicrohttpd 0.9.75 frames an unknown length as chunked and then writes the last
         * chunk ("0\r\n\r\n") even after a HEAD answer's head: bytes the viewer reads as the
         * next response. Not chunked, an unknown length is said by closing: no length is
         * made up, no byte follows the head, and the viewer reconnects (1.0.0 has
         * MHD_RF_HEAD_ONLY_RESPONSE; 0.9.75 always adds Content-Length to a known size). */
        if (resp && size == MHD_SIZE_UNKNOWN)
            MHD_set_response_options(resp, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    } else if (fx->done) { /* all of it is in rq->prefix */
        rq->s_eof = 1;
        resp = MHD_create_response_from_callback(rq->prefix.len, 64 * 1024, body_reader, rq,
                                                 NULL);
    } else {
        rq->stream = 1; /* this job goes on as the pump */
        resp = MHD_create_response_from_callback(
            fx->content_length >= 0 ? (uint64_t)fx->content_length : MHD_SIZE_UNKNOWN,
            64 * 1024, body_reader, rq, NULL);
    }
    if (resp == NULL) {
        rq->stream = 0;
        return MHD_NO;
    }
    add_origin_headers(resp, &fx->h);
    if (rq->ranged)
        MHD_add_response_header(resp, "Content-Range", rq->range_cr);
    eg_deliver_via(resp, via ? via->value : NULL, via ? via->value_len : 0);
    eg_deliver_common(rq, resp, "Miss from edgegate");
    return eg_deliver_queue(rq, rq->ranged ? rq->ranged : fx->h.status, resp);
}

/* Reads the origin's head and queues the response that streams its body. */
static enum MHD_Result relay(eg_req_t *rq, int retryable)
{
    char err[512];
    int status = 502;
    if (eg_proxy_read_head(rq, retryable, &status, err, sizeof(err)) < 0) {
        eg_log_error("request %s: %s", rq->id, err);
        return eg_deliver_error(rq, status);
    }
    return eg_proxy_stream(rq);
}

/* A request without a body, past the cache: to the origin and back. */
enum MHD_Result eg_proxy_forward(eg_req_t *rq, int retryable)
{
    char err[512];
    int status = 502;
    eg_fwd_viewer_t v;
    eg_req_viewer(rq, &v);
    /* "Content-Length: 0" is a body, if an empty one: an origin may want it said (a POST
     * without a length may get 411) */
    eg_fwd_head(&rq->head, rq->route, &v, 0, eg_req_header(rq, "Content-Length") != NULL, 0, 0);
    if (eg_proxy_start(rq, retryable, &status, err, sizeof(err)) < 0) {
        eg_log_error("request %s: %s", rq->id, err);
        return eg_deliver_error(rq, status);
    }
    return relay(rq, retryable);
}

/* --- request bodies ----------------------------------------------------------------------- */

void eg_proxy_upload_data(eg_req_t *rq, const char *data, size_t len)
{
    pthread_mutex_lock(&rq->lock);
    rq->received += len;
    rq->opened = 0; /* data: past the empty call that follows the job's resume */
    eg_buf_add(&rq->ubuf, data, len);
    pthread_cond_signal(&rq->room);
    /* libmicrohttpd may call again with what it already read, suspended or not: that stays
     * within its read buffer */
    if (rq->ubuf.len >= UPLOAD_HIGH_WATER && !rq->u_suspended) {
        rq->u_suspended = 1;
        MHD_suspend_connection(rq->conn);
    }
    pthread_mutex_unlock(&rq->lock);
}

void eg_proxy_upload_end(eg_req_t *rq)
{
    pthread_mutex_lock(&rq->lock);
    rq->u_eof = 1;
    rq->state = RQ_JOB; /* the job's answer goes to rq->ready, then it resumes */
    MHD_suspend_connection(rq->conn);
    pthread_cond_signal(&rq->room);
    pthread_mutex_unlock(&rq->lock);
}

/* Sends the body as it comes, until it ended (0) or the viewer left (-1). A failure to send
 * is kept in *fail (and its errno in *fail_errno) and the rest is read and dropped, so the
 * viewer is answered. */
static int send_body(eg_req_t *rq, int *fail, int *fail_errno)
{
    eg_buf_t chunk = {0};
    int ended = 0, gone = 0;
    while (!ended && !gone) {
        int wake = 0;
        eg_buf_t t;
        pthread_mutex_lock(&rq->lock);
        while (rq->ubuf.len == 0 && !rq->u_eof && !rq->closed)
            pthread_cond_wait(&rq->room, &rq->lock);
        t = chunk; /* take what came; hand back an empty buffer to fill */
        chunk = rq->ubuf;
        rq->ubuf = t;
        rq->ubuf.len = 0;
        ended = rq->u_eof;
        gone = rq->closed;
        if (rq->u_suspended && !ended && !gone) {
            rq->u_suspended = 0;
            wake = 1;
        }
        pthread_mutex_unlock(&rq->lock);
        if (wake)
            MHD_resume_connection(rq->conn);
        if (chunk.len && !*fail && eg_fetch_send_body(rq->fetch, chunk.data, chunk.len) < 0) {
            *fail_errno = errno;
            *fail = errno == ETIMEDOUT ? 504 : 502;
            eg_log_error("request %s: origin %s: sending the request body: %s", rq->id,
                         rq->route->domain, strerror(errno));
        }
        chunk.len = 0;
    }
    eg_buf_free(&chunk);
    return gone && !ended ? -1 : 0;
}

void eg_proxy_upload(eg_req_t *rq)
{
    char err[512];
    int status = 502, fail = 0, fail_errno = 0;
    eg_fwd_viewer_t v;
    eg_proxy_target(rq); /* the route is a forward: a job runs only then */
    eg_req_viewer(rq, &v);
    eg_fwd_head(&rq->head, rq->route, &v, 0, 1, rq->chunked, rq->body_len);
    if (eg_proxy_start(rq, 0, &status, err, sizeof(err)) < 0) {
        eg_log_error("request %s: %s", rq->id, err);
        fail = status;
    } else {
        rq->fetch->body_chunked_out = rq->chunked;
    }
    /* the body may come now: the event thread buffers it, this job sends it */
    pthread_mutex_lock(&rq->lock);
    rq->opened = 1;
    rq->state = RQ_UPLOAD;
    pthread_mutex_unlock(&rq->lock);
    MHD_resume_connection(rq->conn);
    if (send_body(rq, &fail, &fail_errno) < 0)
        return; /* the viewer left mid-body: nobody to answer, nothing to resume */
    /* eg_proxy_upload_end has suspended the connection and made this a job again */
    if (!fail && eg_fetch_end_body(rq->fetch) < 0) {
        fail_errno = errno;
        fail = errno == ETIMEDOUT ? 504 : 502;
        eg_log_error("request %s: origin %s: ending the request body", rq->id,
                     rq->route->domain);
    }
    /* An origin may answer before it has read the body (413, 401...) and close: its answer
     * came before the reset, and is the viewer's rather than a 502. */
    if (fail && (fail_errno == ECONNRESET || fail_errno == EPIPE) &&
        eg_proxy_read_head(rq, 0, &status, err, sizeof(err)) == 0) {
        eg_log_info("request %s: origin %s answered %d before reading the whole body", rq->id,
                    rq->route->domain, rq->fetch->h.status);
        fail = 0;
    }
    if (fail) {
        eg_deliver_error(rq, fail);
        return;
    }
    if (fail_errno)
        eg_proxy_stream(rq);
    else
        relay(rq, 0);
}
