/* Serving one viewer request: ask for the route (remembered or from a policy worker), answer
 * finals, or forward to the origin with the body streamed both ways.
 * libmicrohttpd runs a few event threads (epoll). What never blocks is answered there:
 * remembered finals (redirects, refusals) and fresh cache hits. Everything that may wait on a
 * worker or an origin runs in a job thread while the connection is suspended; the job leaves
 * the response in the request and resumes the connection, and the next call queues it.
 * A body streamed from the origin is read by a pump thread into a bounded buffer that the
 * content reader drains, suspending the connection while the buffer is empty. */
#include <pthread.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <ctype.h>
#include <strings.h>

#include "edgegate/buf.h"
#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "edgegate/fetch.h"
#include "edgegate/front.h"
#include "edgegate/fwd.h"
#include "edgegate/policy.h"
#include "edgegate/reqcheck.h"
#include "edgegate/uri.h"

#define VIA "1.1 edgegate"
#define STREAM_HIGH_WATER (256 * 1024) /* bytes the pump reads ahead of the viewer */

typedef struct req {
    int refs;         /* atomic: libmicrohttpd's, a job's, the pump's */
    struct MHD_Connection *conn; /* borrowed; valid until completed() */
    eg_front_t *f;    /* borrowed */
    eg_listener_t *l; /* borrowed */
    char *uri;        /* raw request-target as sent; owned */
    eg_uri_t u;       /* the target normalized: what is matched, keyed and forwarded */
    const char *host; /* absolute-form's authority, else the Host header; borrowed or NULL */
    char id[40];
    int started;
    eg_route_t *route; /* owned reference */
    eg_fetch_t *fetch; /* owned */
    eg_origin_target_t target;
    char alt_name[EG_NAME_MAX]; /* forwarded Host name, for the certificate check */
    eg_buf_t head; /* origin request head, kept for a retry */
    eg_buf_t prefix; /* body bytes read before streaming began (sent first) */
    size_t prefix_pos;
    int body; /* the viewer sends a body */
    unsigned long long received; /* body bytes seen so far */
    int opened;                  /* job_open_upload ran: one empty call follows the resume */
    int refused;                 /* answered with a refusal: nothing more is read */
    int chunked;
    unsigned long long body_len;
    int fail_status;
    char fail_reason[512];
    char method[16];
    char version[16];
    /* job: runs while the connection is suspended, leaves its answer here */
    void (*job)(struct req *);
    int in_job;
    struct MHD_Response *ready; /* owned until queued */
    int ready_status;
    /* streaming from the origin: the pump fills sbuf, the content reader drains it */
    pthread_mutex_t lock;
    pthread_cond_t room;
    eg_buf_t sbuf;
    size_t spos;
    int s_eof, s_err, reader_waiting, closed;
} req_t;

static void req_ref(req_t *rq)
{
    __atomic_add_fetch(&rq->refs, 1, __ATOMIC_RELAXED);
}

static void req_unref(req_t *rq)
{
    if (__atomic_sub_fetch(&rq->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (rq->fetch) {
        eg_fetch_end(rq->fetch);
        free(rq->fetch);
    }
    if (rq->ready)
        MHD_destroy_response(rq->ready);
    eg_route_unref(rq->route);
    eg_buf_free(&rq->head);
    eg_buf_free(&rq->prefix);
    eg_buf_free(&rq->sbuf);
    pthread_mutex_destroy(&rq->lock);
    pthread_cond_destroy(&rq->room);
    free(rq->uri);
    eg_uri_free(&rq->u);
    free(rq);
}

/* --- small helpers ---------------------------------------------------------------------- */

static void add_common(req_t *rq, struct MHD_Response *resp, const char *xcache)
{
    MHD_add_response_header(resp, "X-Edgegate-Id", rq->id);
    if (xcache)
        MHD_add_response_header(resp, "X-Cache", xcache);
}

/* In a job the response waits in the request until the connection is resumed. */
static enum MHD_Result queue(req_t *rq, struct MHD_Connection *c, int status,
                             struct MHD_Response *resp)
{
    enum MHD_Result r;
    if (rq->in_job) {
        rq->ready = resp;
        rq->ready_status = status;
        return MHD_YES;
    }
    r = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* What the public is told for each status; the details (origin address, TLS failure...)
 * stay in the log under the request id, as CloudFront's error pages do. */
static const char *public_sentence(int status)
{
    switch (status) {
    case 400: return "The request could not be understood: it is not a well-formed HTTP request.";
    case 403: return "This request is not allowed: a GET or HEAD request cannot carry a body.";
    case 414: return "The request target is too long.";
    case 431: return "The request's header fields are too large.";
    case 501: return "The request uses a transfer coding this server does not implement.";
    case 503: return "The server is too busy to answer now. Try again later.";
    case 504: return "The origin server did not answer in time.";
    default: return "We can't connect to the server for this site right now.";
    }
}

/* The HTML error page edgegate itself generates (refusals, origin and worker failures). The
 * details are the caller's to log, under the request id the page shows. */
static enum MHD_Result error_page(req_t *rq, struct MHD_Connection *c, int status)
{
    eg_buf_t b = {0};
    struct MHD_Response *resp;
    eg_buf_printf(&b,
                  "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%d %s</title>"
                  "</head>\n<body><h1>%d ERROR</h1>\n<h2>The request could not be satisfied."
                  "</h2>\n<p>%s</p>\n<hr><p>Generated by edgegate. Request ID: %s</p>\n"
                  "</body></html>\n",
                  status, eg_http_reason(status), status, public_sentence(status), rq->id);
    resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
    eg_buf_free(&b);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Via", VIA);
    if (rq->refused) /* the head was refused: its body, if any, is never read */
        MHD_add_response_header(resp, "Connection", "close"); /* framing is in doubt */
    add_common(rq, resp, "Error from edgegate");
    return queue(rq, c, status, resp);
}

/* A remembered redirect serves requests that differ in their query string (the route cache
 * is keyed without it): the Location is composed again for this request, by the function
 * the worker composed it with. NULL when it would be too long. */
static char *redirect_location(req_t *rq)
{
    eg_policy_req_t pr = {0};
    size_t len = 3 * (rq->u.path_len + (rq->u.query ? strlen(rq->u.query) + 1 : 0)) + 512;
    char *loc = eg_malloc(len);
    pr.host = rq->host;
    pr.server_name = rq->l->addr;
    pr.path = rq->u.path;
    pr.path_len = rq->u.path_len;
    pr.query = rq->u.query;
    pr.public_https_port = rq->f->opt.public_https_port;
    if (eg_policy_location(&pr, loc, len) < 0 || strlen(loc) > EG_URI_MAX) {
        free(loc);
        return NULL;
    }
    return loc;
}

static enum MHD_Result final_response(req_t *rq, struct MHD_Connection *c, const eg_route_t *r)
{
    struct MHD_Response *resp;
    char *loc = NULL;
    int redirect = r->status == 301 || r->status == 307;
    if (redirect && (loc = redirect_location(rq)) == NULL) {
        eg_log_info("request %s: refused with 414: the redirect's Location would be too long",
                    rq->id);
        return error_page(rq, c, 414);
    }
    resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        free(loc);
        return MHD_NO;
    }
    for (size_t i = 0; i < r->n_headers; i++)
        if (!(redirect && strcasecmp(r->headers[i].name, "Location") == 0))
            MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    if (loc)
        MHD_add_response_header(resp, "Location", loc);
    free(loc);
    MHD_add_response_header(resp, "Via", VIA);
    add_common(rq, resp,
               r->status >= 300 && r->status < 400 ? "Redirect from edgegate"
                                                     : "Error from edgegate");
    return queue(rq, c, r->status, resp);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void client_ip(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, len, "unknown");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, buf,
                  (socklen_t)len);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, buf,
                  (socklen_t)len);
}

/* --- the route ---------------------------------------------------------------------------- */

/* may_ask = 0: only what the front remembers (never blocks). */
static eg_route_t *get_route(req_t *rq, struct MHD_Connection *c, const char *method,
                             const char *version, int may_ask, char *err, size_t errlen)
{
    eg_front_t *f = rq->f;
    const char *host = rq->host;
    int http10 = strcmp(version, MHD_HTTP_VERSION_1_1) != 0 && strcmp(version, "HTTP/2") != 0;
    eg_buf_t key = {0};
    eg_route_t *r = NULL;
    char port[16], hport[16], ip[64], sport[16];

    /* everything the worker decides from, and nothing else: not the query string, which no
     * decision depends on (a redirect's Location is composed per request) */
    eg_buf_printf(&key, "%s %d %d %s %s", method, http10, rq->l->https, host ? host : "",
                  rq->u.path);
    if (f->opt.route_cache > 0)
        r = eg_route_cache_get(f->routes, key.data, key.len);
    if (r == NULL && may_ask) {
        eg_param_t params[16];
        eg_buf_t target = {0}; /* the normalized target: the path the origin will get */
        size_t n = 0;
        eg_buf_printf(&target, "%s%s%s", rq->u.path, rq->u.query ? "?" : "",
                      rq->u.query ? rq->u.query : "");
        client_ip(c, ip, sizeof(ip));
        snprintf(port, sizeof(port), "%d", rq->l->port);
        snprintf(hport, sizeof(hport), "%d", f->opt.public_https_port);
        snprintf(sport, sizeof(sport), "%d", rq->l->port);
        params[n++] = (eg_param_t){"GATEWAY_INTERFACE", "CGI/1.1"};
        params[n++] = (eg_param_t){"REQUEST_METHOD", method};
        params[n++] = (eg_param_t){"SERVER_PROTOCOL", version};
        params[n++] = (eg_param_t){"REQUEST_SCHEME", rq->l->https ? "https" : "http"};
        params[n++] = (eg_param_t){"HTTPS", rq->l->https ? "on" : "off"};
        params[n++] = (eg_param_t){"REQUEST_URI", target.data};
        params[n++] = (eg_param_t){"QUERY_STRING", rq->u.query ? rq->u.query : ""};
        params[n++] = (eg_param_t){"SERVER_NAME", rq->l->addr};
        params[n++] = (eg_param_t){"SERVER_PORT", sport};
        params[n++] = (eg_param_t){"REMOTE_ADDR", ip};
        params[n++] = (eg_param_t){"EG_HTTPS_PORT", hport};
        if (host)
            params[n++] = (eg_param_t){"HTTP_HOST", host};
        if (eg_policy_ask(f->policy, params, n, &r, err, errlen) < 0) {
            eg_log_error("request %s: %s", rq->id, err);
            r = NULL;
        } else if (f->opt.route_cache > 0 && r->status != 414 && r->status != 400) {
            /* a 414 (or the worker's own 400 for a target) may be about this request's
             * query, which the key leaves out */
            eg_route_cache_put(f->routes, key.data, key.len, r);
        }
        eg_buf_free(&target);
    }
    eg_buf_free(&key);
    return r;
}

/* --- forwarding ----------------------------------------------------------------------------- */

/* The behavior's cache and origin request policies, as the worker named them. */
static void route_fwd(const eg_route_t *r, eg_fwd_policy_t *p)
{
    p->cache_headers = r->cache_headers;
    p->cache_cookies = r->cache_cookies;
    p->origin_headers = r->origin_headers;
    p->origin_cookies = r->origin_cookies;
}

typedef struct {
    eg_buf_t *b;
    const char *conn_tokens; /* the viewer's Connection header: more hop-by-hop names */
    int for_cache;           /* drop the viewer's conditionals: the cache answers them */
    eg_fwd_policy_t pol;
} hdr_ctx_t;

/* Only what a policy names, or HTTP itself needs, reaches the origin. */
static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                   const char *value)
{
    hdr_ctx_t *h = cls;
    eg_fwd_class_t cl;
    if (value == NULL)
        return MHD_YES;
    cl = eg_fwd_header(&h->pol, name);
    if (cl == EG_FWD_DROP || cl == EG_FWD_SPECIAL)
        return MHD_YES;
    if (h->conn_tokens && eg_http_has_token(h->conn_tokens, strlen(h->conn_tokens), name))
        return MHD_YES;
    if (h->for_cache && eg_fwd_conditional(name))
        return MHD_YES;
    eg_buf_printf(h->b, "%s: %s\r\n", name, value);
    return MHD_YES;
}

/* Several Cookie fields are one list (RFC 6265 §5.4 sends one; be safe with more). */
static enum MHD_Result join_cookies(void *cls, enum MHD_ValueKind kind, const char *name,
                                    const char *value)
{
    eg_buf_t *b = cls;
    if (value && strcasecmp(name, "Cookie") == 0) {
        if (b->len)
            eg_buf_adds(b, "; ");
        eg_buf_adds(b, value);
    }
    return MHD_YES;
}

/* The cookies the policies forward (fwd) and key (key). */
static void viewer_cookies(struct MHD_Connection *c, const eg_fwd_policy_t *p, eg_buf_t *fwd,
                           eg_buf_t *key)
{
    eg_buf_t all = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, join_cookies, &all);
    if (all.len)
        eg_fwd_cookies(p, all.data, fwd, key);
    eg_buf_free(&all);
}

static void build_head(req_t *rq, struct MHD_Connection *c, const char *method, int body,
                       int chunked, unsigned long long body_len, int for_cache)
{
    const eg_route_t *r = rq->route;
    const char *q = rq->u.query;
    const char *xff = header(c, "X-Forwarded-For");
    const char *via = header(c, "Via");
    const char *ae = eg_fwd_accept_encoding(header(c, "Accept-Encoding"));
    hdr_ctx_t hc = {&rq->head, header(c, "Connection"), for_cache, {0}};
    eg_buf_t cookies = {0}, unused = {0};
    char ip[64];
    eg_buf_t *b = &rq->head;

    route_fwd(r, &hc.pol);
    b->len = 0;
    eg_buf_printf(b, "%s %s%s%s%s HTTP/1.1\r\n", method, r->origin_path, rq->u.path,
                  r->forward_query && q && q[0] ? "?" : "",
                  r->forward_query && q && q[0] ? q : "");
    if (r->forward_host && rq->host)
        eg_buf_printf(b, "Host: %s\r\n", rq->host);
    else if (r->port == (r->https ? 443 : 80))
        eg_buf_printf(b, "Host: %s\r\n", r->domain);
    else
        eg_buf_printf(b, "Host: %s:%d\r\n", r->domain, r->port);
    MHD_get_connection_values(c, MHD_HEADER_KIND, copy_header, &hc);
    viewer_cookies(c, &hc.pol, &cookies, &unused);
    if (cookies.len)
        eg_buf_printf(b, "Cookie: %s\r\n", cookies.data);
    eg_buf_free(&cookies);
    eg_buf_free(&unused);
    if (*ae) /* normalized, as the cache key holds it */
        eg_buf_printf(b, "Accept-Encoding: %s\r\n", strcmp(ae, "br,gzip") ? ae : "br, gzip");
    if (eg_fwd_header(&hc.pol, "User-Agent") == EG_FWD_DROP)
        eg_buf_adds(b, "User-Agent: edgegate\r\n");
    client_ip(c, ip, sizeof(ip));
    eg_buf_printf(b, "X-Forwarded-For: %s%s%s\r\n", xff ? xff : "", xff ? ", " : "", ip);
    eg_buf_printf(b, "X-Forwarded-Proto: %s\r\n", rq->l->https ? "https" : "http");
    eg_buf_printf(b, "Via: %s%s%s\r\n", via ? via : "", via ? ", " : "", VIA);
    eg_buf_adds(b, "Connection: keep-alive\r\n");
    if (body && chunked)
        eg_buf_adds(b, "Transfer-Encoding: chunked\r\n");
    else if (body)
        eg_buf_printf(b, "Content-Length: %llu\r\n", body_len);
    eg_buf_adds(b, "\r\n");
}

static void set_target(req_t *rq, struct MHD_Connection *c)
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
static int start_fetch(req_t *rq, int retryable, int *status, char *err, size_t errlen)
{
    rq->fetch = eg_calloc(1, sizeof(*rq->fetch));
    if (eg_fetch_start(rq->fetch, rq->f->origins, &rq->target, rq->head.data, rq->head.len,
                       rq->route->read_timeout * 1000, status, err, errlen) == 0)
        return 0;
    if (retryable && eg_fetch_reused(rq->fetch)) {
        eg_fetch_end(rq->fetch);
        rq->target.fresh = 1;
        if (eg_fetch_start(rq->fetch, rq->f->origins, &rq->target, rq->head.data, rq->head.len,
                           rq->route->read_timeout * 1000, status, err, errlen) == 0)
            return 0;
    }
    eg_fetch_end(rq->fetch);
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
    req_t *rq = cls;
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
        eg_log_error("request %s: origin %s: body broke off after %llu bytes", rq->id,
                     rq->route->domain, (unsigned long long)pos);
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else {
        rq->reader_waiting = 1;
        MHD_suspend_connection(rq->conn);
    }
    pthread_mutex_unlock(&rq->lock);
    return n;
}

/* Reads the origin's body ahead of the viewer, at most STREAM_HIGH_WATER bytes. */
static void *pump(void *arg)
{
    req_t *rq = arg;
    eg_front_t *f = rq->f; /* rq may be gone by the time jobs is decremented */
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
            break;
        }
        pthread_mutex_unlock(&rq->lock);
        n = eg_fetch_read_body(rq->fetch, buf, sizeof(buf));
        pthread_mutex_lock(&rq->lock);
        if (n > 0)
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
            break;
    }
    /* What is buffered has yet to reach the viewer: until completed() says it did (or the
     * viewer left), the request is in flight and a stop waits for it. This thread is the only
     * one that waits on room. */
    pthread_mutex_lock(&rq->lock);
    while (!rq->closed)
        pthread_cond_wait(&rq->room, &rq->lock);
    pthread_mutex_unlock(&rq->lock);
    req_unref(rq); /* may be the last: eg_fetch_end then gives its connection to the pool */
    __atomic_sub_fetch(&f->jobs, 1, __ATOMIC_RELEASE); /* only now may the pool be freed */
    return NULL;
}

/* f->jobs once eg_front_stop has closed it: start_thread's increment stays negative, and
 * nothing starts any more. */
#define JOBS_CLOSED (-(1 << 30))

static int start_thread(req_t *rq, void *(*fn)(void *))
{
    pthread_t t;
    pthread_attr_t a;
    int rc;
    req_ref(rq);
    /* one atomic step against eg_front_stop's 0 -> JOBS_CLOSED: either the stop sees this
     * thread counted and waits for it, or this sees the stop and starts nothing */
    if (__atomic_add_fetch(&rq->f->jobs, 1, __ATOMIC_SEQ_CST) <= 0) {
        __atomic_sub_fetch(&rq->f->jobs, 1, __ATOMIC_RELEASE);
        req_unref(rq); /* not the last: the caller holds libmicrohttpd's */
        eg_log_info("request %s: edgegate is stopping; not started", rq->id);
        return -1;
    }
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&t, &a, fn, rq);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        __atomic_sub_fetch(&rq->f->jobs, 1, __ATOMIC_RELEASE);
        req_unref(rq);
        eg_log_error("request %s: cannot start a thread: %s", rq->id, strerror(rc));
        return -1;
    }
    return 0;
}

static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/* Reads the origin's response head, retrying once on a fresh connection when a pooled one
 * turns out to have been closed by the origin (idempotent requests only). */
static int read_head(req_t *rq, const char *method, int retryable, int *status, char *err,
                     size_t errlen)
{
    int closed = 0;
    if (eg_fetch_read_head(rq->fetch, method, status, &closed, err, errlen) == 0)
        return 0;
    if (closed && retryable && eg_fetch_reused(rq->fetch)) {
        eg_fetch_end(rq->fetch);
        free(rq->fetch);
        rq->fetch = NULL;
        rq->target.fresh = 1;
        if (start_fetch(rq, 0, status, err, errlen) == 0 &&
            eg_fetch_read_head(rq->fetch, method, status, &closed, err, errlen) == 0)
            return 0;
    }
    return -1;
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
            (hd->name_len == 7 && strncasecmp(hd->name, "X-Cache", 7) == 0))
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

static void add_via(struct MHD_Response *resp, const char *origin_via, size_t len)
{
    eg_buf_t b = {0};
    if (origin_via)
        eg_buf_printf(&b, "%.*s, %s", (int)len, origin_via, VIA);
    else
        eg_buf_adds(&b, VIA);
    MHD_add_response_header(resp, "Via", b.data);
    eg_buf_free(&b);
}

/* Queues the response whose body streams from the origin (after rq->prefix). */
static enum MHD_Result stream_response(req_t *rq, struct MHD_Connection *c, const char *method)
{
    eg_fetch_t *fx = rq->fetch;
    const eg_header_t *via = eg_http_find(&fx->h, "Via");
    struct MHD_Response *resp;
    if (strcmp(method, "HEAD") == 0 || (fx->done && rq->prefix.len == 0))
        resp = MHD_create_response_from_callback(
            fx->content_length >= 0 && fx->h.status != 204 && fx->h.status != 304
                ? (uint64_t)fx->content_length
                : 0,
            1024, no_body, rq, NULL);
    else if (fx->done) { /* all of it is in rq->prefix */
        rq->s_eof = 1;
        resp = MHD_create_response_from_callback(rq->prefix.len, 64 * 1024, body_reader, rq,
                                                 NULL);
    } else {
        if (start_thread(rq, pump) < 0)
            return error_page(rq, c, 500);
        resp = MHD_create_response_from_callback(
            fx->content_length >= 0 ? (uint64_t)fx->content_length : MHD_SIZE_UNKNOWN,
            64 * 1024, body_reader, rq, NULL);
    }
    if (resp == NULL)
        return MHD_NO;
    add_origin_headers(resp, &fx->h);
    add_via(resp, via ? via->value : NULL, via ? via->value_len : 0);
    add_common(rq, resp, "Miss from edgegate");
    return queue(rq, c, fx->h.status, resp);
}

/* Reads the origin's head and queues the response that streams its body. */
static enum MHD_Result relay(req_t *rq, struct MHD_Connection *c, const char *method,
                             int retryable)
{
    char err[512];
    int status = 502;
    if (read_head(rq, method, retryable, &status, err, sizeof(err)) < 0) {
        eg_log_error("request %s: %s", rq->id, err);
        return error_page(rq, c, status);
    }
    return stream_response(rq, c, method);
}

/* A request without a body, past the cache: to the origin and back. */
static enum MHD_Result forward_plain(req_t *rq, struct MHD_Connection *c, const char *method,
                                     int retryable)
{
    char err[512];
    int status = 502;
    build_head(rq, c, method, 0, 0, 0, 0);
    if (start_fetch(rq, retryable, &status, err, sizeof(err)) < 0) {
        eg_log_error("request %s: %s", rq->id, err);
        return error_page(rq, c, status);
    }
    return relay(rq, c, method, retryable);
}

/* --- the cache ------------------------------------------------------------------------------ */

typedef struct {
    eg_buf_t *k;
    const eg_fwd_policy_t *pol;
} key_ctx_t;

static enum MHD_Result key_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                  const char *value)
{
    key_ctx_t *kc = cls;
    if (value && eg_fwd_header(kc->pol, name) == EG_FWD_KEY) {
        eg_buf_adds(kc->k, "\nh:");
        for (const char *p = name; *p; p++)
            eg_buf_printf(kc->k, "%c", tolower((unsigned char)*p));
        eg_buf_printf(kc->k, "=%s", value);
    }
    return MHD_YES;
}

/* "dist\npath[?query]" (what invalidations match), then everything else that reaches the
 * origin and may change its answer: the method's class (GET and HEAD share an entry), the
 * forwarded Host, the normalized Accept-Encoding, and what the cache policy forwards. */
static void cache_key(req_t *rq, eg_buf_t *k)
{
    const char *q = rq->u.query;
    int with_query = rq->route->forward_query && q && q[0];
    eg_fwd_policy_t pol;
    key_ctx_t kc = {k, &pol};
    eg_buf_t cookies = {0}, keyed = {0};

    route_fwd(rq->route, &pol);
    eg_buf_printf(k, "%s\n%s%s%s", rq->route->dist, rq->u.path, with_query ? "?" : "",
                  with_query ? q : "");
    eg_buf_printf(k, "\nm:%s", strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method);
    if (rq->route->forward_host)
        eg_buf_printf(k, "\nhost:%s", rq->host ? rq->host : "");
    eg_buf_printf(k, "\nae:%s", eg_fwd_accept_encoding(header(rq->conn, "Accept-Encoding")));
    MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, key_header, &kc);
    viewer_cookies(rq->conn, &pol, &cookies, &keyed);
    if (keyed.len)
        eg_buf_printf(k, "\nc:%s", keyed.data);
    eg_buf_free(&cookies);
    eg_buf_free(&keyed);
}

static void obj_release(void *cls)
{
    eg_cache_obj_unref(cls);
}

/* The opaque part of an entity tag ("xyz" of W/"xyz"), or NULL when t is not one. */
static const char *etag_opaque(const char *t, size_t *len)
{
    const char *close;
    if (strncmp(t, "W/", 2) == 0)
        t += 2;
    if (*t != '"' || (close = strchr(t + 1, '"')) == NULL)
        return NULL;
    *len = (size_t)(close - t) + 1;
    return t;
}

/* If-None-Match's weak comparison (RFC 9110 13.1.2): "*", or a listed tag whose opaque part
 * is the same, octet for octet (entity tags are case-sensitive). */
static int etag_listed(const char *list, const char *etag)
{
    size_t want_len, len;
    const char *want = etag_opaque(etag, &want_len), *p = list;
    if (want == NULL)
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strcmp(p, "*") == 0)
        return 1;
    while (*p) {
        const char *t;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0' || (t = etag_opaque(p, &len)) == NULL)
            return 0; /* not a list of entity tags: no match */
        if (len == want_len && memcmp(t, want, len) == 0)
            return 1;
        p = t + len;
    }
    return 0;
}

/* The viewer's If-None-Match / If-Modified-Since, answered from the object. */
static int not_modified(struct MHD_Connection *c, const eg_cache_obj_t *o)
{
    const char *inm = header(c, "If-None-Match");
    const char *ims = header(c, "If-Modified-Since");
    if (o->status != 200)
        return 0;
    if (inm)
        return o->etag && etag_listed(inm, o->etag);
    return ims && o->last_modified && strcmp(ims, o->last_modified) == 0;
}

static enum MHD_Result serve_object(req_t *rq, struct MHD_Connection *c, const char *method,
                                    eg_cache_obj_t *o, const char *xcache, int hit)
{
    struct MHD_Response *resp;
    char age[32];
    int status = o->status;
    const char *origin_via = NULL;
    if (not_modified(c, o)) {
        status = 304;
        resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    } else if (strcmp(method, "HEAD") == 0) {
        resp = MHD_create_response_from_callback(o->body_len, 1024, no_body, rq, NULL);
    } else {
        eg_cache_obj_ref(o);
        resp = MHD_create_response_from_buffer_with_free_callback_cls(o->body_len, o->body,
                                                                       obj_release, o);
        if (resp == NULL)
            eg_cache_obj_unref(o);
    }
    if (resp == NULL)
        return MHD_NO;
    for (size_t i = 0; i < o->n_headers; i++) {
        if (strcasecmp(o->headers[i].name, "Via") == 0) {
            origin_via = o->headers[i].value;
            continue;
        }
        if (strcasecmp(o->headers[i].name, "X-Cache") == 0)
            continue;
        MHD_add_response_header(resp, o->headers[i].name, o->headers[i].value);
    }
    if (hit) {
        snprintf(age, sizeof(age), "%ld", eg_cache_obj_age(o));
        MHD_add_response_header(resp, "Age", age);
    }
    add_via(resp, origin_via, origin_via ? strlen(origin_via) : 0);
    add_common(rq, resp, xcache);
    return queue(rq, c, status, resp);
}

/* GET, HEAD (and OPTIONS when the behavior caches it): hits from the cache; misses fetched
 * once per key however many viewers ask at the same time; stale objects revalidated. */
static enum MHD_Result serve_cached(req_t *rq, struct MHD_Connection *c, const char *method)
{
    eg_front_t *f = rq->f;
    eg_buf_t key = {0};
    eg_cache_obj_t *o;
    eg_cache_flight_t *flight = NULL;
    enum MHD_Result ret;
    char err[512];
    int status = 502, ttl = 0, head = strcmp(method, "HEAD") == 0;
    size_t max_obj = eg_cache_max_object(f->cache);
    unsigned long long purges;

    cache_key(rq, &key);
    o = eg_cache_get(f->cache, key.data, key.len);
    if (o && eg_cache_obj_fresh(o)) {
        ret = serve_object(rq, c, method, o, "Hit from edgegate", 1);
        goto out;
    }
    if (head) { /* a HEAD answer has no body to store */
        eg_cache_obj_unref(o);
        eg_buf_free(&key);
        return forward_plain(rq, c, method, 1);
    }
    if (eg_cache_flight_begin(f->cache, key.data, key.len, (rq->route->read_timeout + 10) * 1000,
                              &flight) == 0) {
        eg_cache_obj_t *again = eg_cache_get(f->cache, key.data, key.len);
        if (again && eg_cache_obj_fresh(again)) {
            eg_cache_obj_unref(o);
            o = again;
            ret = serve_object(rq, c, method, o, "Hit from edgegate", 1);
            goto out;
        }
        eg_cache_obj_unref(again);
    }
    purges = eg_cache_purges(f->cache);
    build_head(rq, c, method, 0, 0, 0, 1);
    if (o) { /* stale: ask the origin whether it still holds */
        rq->head.len -= 2;
        if (o->etag)
            eg_buf_printf(&rq->head, "If-None-Match: %s\r\n", o->etag);
        if (o->last_modified)
            eg_buf_printf(&rq->head, "If-Modified-Since: %s\r\n", o->last_modified);
        eg_buf_adds(&rq->head, "\r\n");
    }
    if (start_fetch(rq, 1, &status, err, sizeof(err)) < 0 ||
        read_head(rq, method, 1, &status, err, sizeof(err)) < 0) {
        eg_log_error("request %s: %s", rq->id, err);
        ret = error_page(rq, c, status);
        goto out;
    }
    if (rq->fetch->h.status == 304 && o) {
        eg_http_head_t *h = &rq->fetch->h;
        int saved = h->status;
        h->status = o->status; /* the 304's own Cache-Control/Expires set the new TTL */
        if (!eg_cache_ttl(h, rq->route->min_ttl, rq->route->default_ttl, rq->route->max_ttl,
                          time(NULL), &ttl))
            ttl = 0;
        h->status = saved;
        eg_cache_obj_refresh(o, ttl);
        ret = serve_object(rq, c, method, o, "RefreshHit from edgegate", 1);
        goto out;
    }
    if (eg_cache_ttl(&rq->fetch->h, rq->route->min_ttl, rq->route->default_ttl,
                     rq->route->max_ttl, time(NULL), &ttl) &&
        (rq->fetch->content_length < 0 || (size_t)rq->fetch->content_length <= max_obj)) {
        /* read the whole object, unless it turns out too large to keep */
        char buf[65536];
        ssize_t n;
        while (rq->prefix.len <= max_obj &&
               (n = eg_fetch_read_body(rq->fetch, buf, sizeof(buf))) > 0)
            eg_buf_add(&rq->prefix, buf, (size_t)n);
        if (!rq->fetch->done && rq->prefix.len <= max_obj) {
            eg_log_error("request %s: origin %s: body broke off: %s", rq->id, rq->route->domain,
                         strerror(errno));
            ret = error_page(rq, c, 502);
            goto out;
        }
        if (rq->fetch->done) {
            eg_cache_obj_t *fresh = eg_cache_obj_new(key.data, key.len, &rq->fetch->h,
                                                     rq->prefix.data ? rq->prefix.data : "",
                                                     rq->prefix.len, ttl);
            /* an invalidation (or a deleted distribution) since the fetch began: served to
             * this viewer, never stored */
            eg_cache_put_unless_purged(f->cache, fresh, purges);
            eg_fetch_end(rq->fetch);
            eg_cache_obj_unref(o);
            o = fresh;
            ret = serve_object(rq, c, method, o, "Miss from edgegate", 0);
            goto out;
        }
    }
    eg_cache_flight_end(f->cache, flight); /* not stored: waiting viewers fetch their own */
    flight = NULL;
    ret = stream_response(rq, c, method);
out:
    eg_cache_flight_end(f->cache, flight);
    eg_cache_obj_unref(o);
    eg_buf_free(&key);
    return ret;
}

/* libmicrohttpd 0.9.75 keeps each field where it read it: "name\0" where the colon was,
 * optional whitespace, then the value. A folded line (obs-fold) is joined onto the *name*
 * in a new place, which this catches; RFC 9112 §5.2 lets a server refuse obs-fold. */
static int field_in_place(const char *name, const char *value)
{
    const char *p = name + strlen(name) + 1;
    if (value < p || value - p > 4096)
        return 0;
    for (; p < value; p++)
        if (*p != ' ' && *p != '\t')
            return 0;
    return 1;
}

static enum MHD_Result check_field(void *cls, enum MHD_ValueKind kind, const char *name,
                                   const char *value)
{
    eg_reqcheck_t *chk = cls;
    if (value && !field_in_place(name, value) && chk->status == 0) {
        chk->status = 400;
        chk->reason = "a header field is folded over several lines (obs-fold)";
    }
    eg_reqcheck_field(chk, name, value);
    return MHD_YES;
}

/* RFC 9112's refusals and the target's normalization, before a worker or an origin sees
 * anything: 0, or the status to refuse with. */
static int check_request(req_t *rq, struct MHD_Connection *c, const char *url,
                         const char *version, const char **reason)
{
    eg_reqcheck_t chk;
    int status;
    eg_reqcheck_init(&chk, rq->version);
    eg_reqcheck_target(&chk, strlen(rq->uri));
    MHD_get_connection_values(c, MHD_HEADER_KIND, check_field, &chk);
    status = eg_reqcheck_end(&chk);
    if (status) {
        *reason = chk.reason;
        return status;
    }
    /* libmicrohttpd ends the target where a NUL was sent, and finds the version from the
     * line's end: a target shorter than the gap before the version held a NUL */
    if (url + strlen(rq->uri) + 1 != version) {
        *reason = "a NUL in the request target";
        return 400;
    }
    status = eg_uri_parse(rq->uri, strlen(rq->uri), rq->method, &rq->u, reason);
    if (status)
        return status;
    /* absolute-form: the target's authority is the host (RFC 9112 §3.2.2) */
    rq->host = rq->u.authority[0] ? rq->u.authority : header(c, "Host");
    rq->body = chk.body != EG_BODY_NONE;
    rq->chunked = chk.body == EG_BODY_CHUNKED;
    rq->body_len = chk.content_length;
    /* as CloudFront: a GET body has no meaning (RFC 9110 9.3.1), and an origin that ignores
     * its framing would read it as the next request */
    if (rq->body && (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0)) {
        *reason = "a GET or HEAD request with a body";
        return 403;
    }
    return 0;
}

/* "OPTIONS *" asks about the server, not a resource: answered here. */
static enum MHD_Result options_asterisk(req_t *rq, struct MHD_Connection *c)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Allow", "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE");
    MHD_add_response_header(resp, "Via", VIA);
    add_common(rq, resp, NULL);
    return queue(rq, c, 200, resp);
}

/* --- libmicrohttpd callbacks ------------------------------------------------------------ */

/* --- jobs: what may block, run while the connection is suspended ------------------------- */

static void *job_main(void *arg)
{
    req_t *rq = arg;
    eg_front_t *f = rq->f; /* rq may be gone by the time jobs is decremented */
    int stopping, done;
    rq->in_job = 1;
    rq->job(rq);
    rq->in_job = 0;
    rq->job = NULL;
    /* While stopping, a viewer's connection is not kept after its answer: one busy keep-alive
     * connection would otherwise keep the drain going to its bound. */
    stopping = __atomic_load_n(&f->stop, __ATOMIC_ACQUIRE);
    if (stopping && rq->ready)
        MHD_add_response_header(rq->ready, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_resume_connection(rq->conn);
    /* While stopping, the request is in flight until libmicrohttpd has sent the answer this
     * job left (completed() sets closed): a stop that went on at once would cut it. Polled,
     * as room is the pump's condition, signalled to one waiter. */
    for (done = !stopping; !done;) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        pthread_mutex_lock(&rq->lock);
        done = rq->closed;
        pthread_mutex_unlock(&rq->lock);
        if (!done)
            nanosleep(&ts, NULL);
    }
    req_unref(rq); /* may be the last: eg_fetch_end then gives its connection to the pool */
    __atomic_sub_fetch(&f->jobs, 1, __ATOMIC_RELEASE); /* only now may the pool be freed */
    return NULL;
}

static enum MHD_Result run_job(req_t *rq, struct MHD_Connection *c, void (*fn)(req_t *))
{
    rq->job = fn;
    MHD_suspend_connection(c);
    if (start_thread(rq, job_main) < 0) {
        rq->job = NULL;
        MHD_resume_connection(c);
        return error_page(rq, c, 503);
    }
    return MHD_YES;
}

static int need_route(req_t *rq)
{
    char err[512];
    if (rq->route == NULL)
        rq->route = get_route(rq, rq->conn, rq->method, rq->version, 1, err, sizeof(err));
    if (rq->route == NULL) {
        error_page(rq, rq->conn, 502);
        return -1;
    }
    if (rq->route->status) {
        final_response(rq, rq->conn, rq->route);
        return -1;
    }
    return 0;
}

/* A request without a body: route, then cache or origin. */
static void job_forward(req_t *rq)
{
    struct MHD_Connection *c = rq->conn;
    const char *method = rq->method;
    int retryable = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (need_route(rq) < 0)
        return;
    set_target(rq, c);
    if (rq->route->cached_methods & eg_method_bit(method)) {
        serve_cached(rq, c, method);
        return;
    }
    forward_plain(rq, c, method, retryable);
}

/* A request with a body, before the body: route, connect, send the head. */
static void job_open_upload(req_t *rq)
{
    char err[512];
    int status = 502;
    if (need_route(rq) < 0)
        return;
    set_target(rq, rq->conn);
    build_head(rq, rq->conn, rq->method, 1, rq->chunked, rq->body_len, 0);
    if (start_fetch(rq, 0, &status, err, sizeof(err)) < 0) {
        rq->fail_status = status;
        snprintf(rq->fail_reason, sizeof(rq->fail_reason), "%s", err);
    } else {
        rq->fetch->body_chunked_out = rq->chunked;
    }
    rq->opened = 1;
}

/* After the body: the origin's answer. */
static void job_finish_upload(req_t *rq)
{
    if (!rq->fail_status && eg_fetch_end_body(rq->fetch) < 0) {
        rq->fail_status = errno == ETIMEDOUT ? 504 : 502;
        snprintf(rq->fail_reason, sizeof(rq->fail_reason), "origin %s: sending the request body",
                 rq->route->domain);
    }
    if (rq->fail_status) {
        eg_log_error("request %s: %s", rq->id, rq->fail_reason);
        error_page(rq, rq->conn, rq->fail_status);
        return;
    }
    relay(rq, rq->conn, rq->method, 0);
}

/* What the event thread may answer at once: remembered finals and fresh cache hits. */
static int answer_fast(req_t *rq, struct MHD_Connection *c, enum MHD_Result *ret)
{
    char err[64];
    eg_cache_obj_t *o;
    eg_buf_t key = {0};
    rq->route = get_route(rq, c, rq->method, rq->version, 0, err, sizeof(err));
    if (rq->route == NULL)
        return 0;
    if (rq->route->status) {
        *ret = final_response(rq, c, rq->route);
        return 1;
    }
    if (rq->body || !(rq->route->cached_methods & eg_method_bit(rq->method)))
        return 0;
    cache_key(rq, &key);
    o = eg_cache_get(rq->f->cache, key.data, key.len);
    eg_buf_free(&key);
    if (o == NULL || !eg_cache_obj_fresh(o)) {
        eg_cache_obj_unref(o);
        return 0;
    }
    *ret = serve_object(rq, c, rq->method, o, "Hit from edgegate", 1);
    eg_cache_obj_unref(o);
    return 1;
}

enum MHD_Result eg_front_handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    req_t *rq = *con_cls;
    enum MHD_Result ret;

    if (rq == NULL) /* libmicrohttpd always calls the URI logger first */
        return MHD_NO;
    if (rq->refused) { /* a refusal is queued; nothing of this request is read on */
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->ready) { /* a job left its answer */
        struct MHD_Response *resp = rq->ready;
        rq->ready = NULL;
        if (*upload_size)
            *upload_size = 0; /* a final answer to a request whose body we do not want */
        ret = MHD_queue_response(c, (unsigned)rq->ready_status, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (!rq->started) {
        /* libmicrohttpd 0.9.75 closes the connection when a response is queued in this first
         * call, so requests without a body are answered in the next one. */
        const char *reason = NULL;
        int status;
        rq->started = 1;
        rq->conn = c;
        snprintf(rq->method, sizeof(rq->method), "%s", method);
        snprintf(rq->version, sizeof(rq->version), "%s", version);
        status = check_request(rq, c, url, version, &reason);
        if (status) { /* refused before any worker or origin sees it; the connection closes */
            eg_log_info("request %s: refused with %d: %s", rq->id, status, reason);
            rq->refused = 1;
            return error_page(rq, c, status);
        }
        if (rq->u.asterisk)
            return options_asterisk(rq, c);
        if (!rq->body)
            return MHD_YES;
        if (answer_fast(rq, c, &ret))
            return ret; /* a final answer: the unread body closes the connection */
        return run_job(rq, c, job_open_upload);
    }
    if (*upload_size > 0) {
        rq->received += *upload_size;
        rq->opened = 0;
        if (!rq->fail_status && rq->fetch &&
            eg_fetch_send_body(rq->fetch, upload_data, *upload_size) < 0) {
            rq->fail_status = errno == ETIMEDOUT ? 504 : 502;
            snprintf(rq->fail_reason, sizeof(rq->fail_reason),
                     "origin %s: sending the request body: %s", rq->route->domain,
                     strerror(errno));
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->body) {
        /* libmicrohttpd calls once more, empty, right after a resume and before the body:
         * the body has ended only when all of a declared length came, or (chunked) on an
         * empty call that is not that one. */
        if (rq->chunked ? rq->opened : rq->received < rq->body_len) {
            rq->opened = 0;
            return MHD_YES;
        }
        return run_job(rq, c, job_finish_upload);
    }
    if (answer_fast(rq, c, &ret))
        return ret;
    return run_job(rq, c, job_forward);
}

void *eg_front_uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
    eg_listener_t *l = cls;
    req_t *rq = eg_calloc(1, sizeof(*rq));
    unsigned long long n = __atomic_add_fetch(&l->front->requests, 1, __ATOMIC_RELAXED);
    rq->refs = 1; /* libmicrohttpd's, dropped in completed() */
    pthread_mutex_init(&rq->lock, NULL);
    pthread_cond_init(&rq->room, NULL);
    rq->f = l->front;
    rq->l = l;
    rq->uri = eg_strdup(uri);
    snprintf(rq->id, sizeof(rq->id), "%012llx%08llx", l->front->boot_id & 0xffffffffffffULL, n);
    return rq;
}

void eg_front_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    req_t *rq = *con_cls;
    if (rq == NULL)
        return;
    pthread_mutex_lock(&rq->lock);
    rq->closed = 1; /* a pump still reading stops */
    pthread_cond_signal(&rq->room);
    pthread_mutex_unlock(&rq->lock);
    req_unref(rq);
    *con_cls = NULL;
}

/* How long requests in flight may take to finish once edgegate is told to stop. */
#define DRAIN_MS 10000

/* Stopping a daemon with suspended connections is not allowed, and jobs and pumps use the
 * origin and policy pools that main() frees next: so wait until none runs, and close f->jobs
 * (0 -> JOBS_CLOSED in one step) so that none starts after. Until then requests in flight
 * drain, and new ones on kept connections are still served (their connections close after
 * the answer), for DRAIN_MS at most: an origin's read timeout (30 s by default) is longer. */
int eg_front_stop(eg_front_t *f)
{
    struct timespec t0, now;
    int zero = 0, busy;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    __atomic_store_n(&f->stop, 1, __ATOMIC_SEQ_CST); /* the watcher ends too */
    busy = __atomic_load_n(&f->jobs, __ATOMIC_SEQ_CST);
    if (busy > 0)
        eg_log_info("waiting for %d request%s in flight (%d s at most)", busy, busy == 1 ? "" : "s",
                    DRAIN_MS / 1000);
    while (!__atomic_compare_exchange_n(&f->jobs, &zero, JOBS_CLOSED, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= DRAIN_MS) {
            eg_log_warn("%d request%s still in flight after %d s; leaving without them", zero,
                        zero == 1 ? "" : "s", DRAIN_MS / 1000);
            return -1;
        }
        zero = 0;
        nanosleep(&ts, NULL);
    }
    /* A job that ended just as the stop began did not wait for its answer to be sent (it saw
     * no stop); give libmicrohttpd a moment to send it. */
    if (busy > 0) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (f->http.mhd)
        MHD_stop_daemon(f->http.mhd);
    if (f->https.mhd)
        MHD_stop_daemon(f->https.mhd);
    f->http.mhd = f->https.mhd = NULL;
    return 0;
}
