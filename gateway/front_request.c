/* Serving one viewer request: its lifecycle from libmicrohttpd's first call to its "completed"
 * notice, as the states of eg_rq_state_t (front_req.h), and the jobs that may wait.
 * libmicrohttpd runs a few event threads (epoll). What never blocks is answered there:
 * refusals, remembered finals (redirects, refusals) and fresh cache hits. Everything that may
 * wait runs while the connection is suspended: a decision is asked of a worker without a
 * thread (the policy client's reader thread takes the answer and answers finals itself), and
 * what waits on an origin runs as a job in the bounded pool (pool.c). The answer is left in
 * the request, the connection resumed, and the next call queues it. A full pool is a 503,
 * never a new thread. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include "edgegate/common.h"
#include "edgegate/front_req.h"
#include "edgegate/io.h"
#include "edgegate/pool.h"
#include "edgegate/quota.h"
#include "edgegate/reqcheck.h"

void eg_req_ref(eg_req_t *rq)
{
    __atomic_add_fetch(&rq->refs, 1, __ATOMIC_RELAXED);
}

void eg_req_unref(eg_req_t *rq)
{
    eg_front_t *f = rq->f;
    int counted = rq->counted;
    if (__atomic_sub_fetch(&rq->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (rq->fetch) {
        eg_fetch_end(rq->fetch); /* its connection goes back to the origin pool */
        free(rq->fetch);
    }
    if (rq->ready)
        MHD_destroy_response(rq->ready);
    eg_route_unref(rq->route);
    eg_buf_free(&rq->head);
    eg_buf_free(&rq->prefix);
    eg_buf_free(&rq->sbuf);
    eg_buf_free(&rq->ubuf);
    eg_buf_free(&rq->rkey);
    eg_buf_free(&rq->ckey);
    pthread_mutex_destroy(&rq->lock);
    pthread_cond_destroy(&rq->room);
    free(rq->uri);
    eg_uri_free(&rq->u);
    free(rq->fields);
    free(rq);
    if (counted) /* only now may a stop free the pools this request used */
        eg_front_release(f);
}

const char *eg_req_header(const eg_req_t *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_fields; i++)
        if (strcasecmp(rq->fields[i].name, name) == 0)
            return rq->fields[i].value;
    return NULL;
}

static const char *client_ip(eg_req_t *rq)
{
    const union MHD_ConnectionInfo *ci;
    const struct sockaddr *sa;
    if (rq->client_ip[0])
        return rq->client_ip;
    snprintf(rq->client_ip, sizeof(rq->client_ip), "unknown");
    ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || (sa = ci->client_addr) == NULL)
        return rq->client_ip;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, rq->client_ip,
                  sizeof(rq->client_ip));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, rq->client_ip,
                  sizeof(rq->client_ip));
    return rq->client_ip;
}

void eg_req_viewer(const eg_req_t *rq, eg_fwd_viewer_t *v)
{
    memset(v, 0, sizeof(*v));
    v->method = rq->method;
    v->path = rq->u.path;
    v->query = rq->u.query;
    v->host = rq->host;
    v->client_ip = client_ip((eg_req_t *)rq);
    v->https = rq->l->https;
    v->fields = rq->fields;
    v->n_fields = rq->n_fields;
}

/* --- the route ---------------------------------------------------------------------------- */

/* What the front remembers for this request, or NULL. The key is everything the worker
 * decides from, and nothing else: not the query string, which no decision depends on (a
 * redirect's Location is composed per request). */
static eg_route_t *remembered(eg_req_t *rq)
{
    eg_front_t *f = rq->f;
    int http10 = strcmp(rq->version, MHD_HTTP_VERSION_1_1) != 0 &&
                 strcmp(rq->version, "HTTP/2") != 0;
    if (rq->rkey.len == 0) { /* "METHOD http10 https host path", on every request: no printf */
        eg_buf_t *k = &rq->rkey;
        const char flags[6] = {' ', (char)('0' + http10), ' ', (char)('0' + rq->l->https), ' '};
        eg_buf_adds(k, rq->method);
        eg_buf_add(k, flags, 5);
        eg_buf_adds(k, rq->host ? rq->host : "");
        eg_buf_add(k, " ", 1);
        eg_buf_add(k, rq->u.path, rq->u.path_len);
    }
    if (f->opt.route_cache <= 0)
        return NULL;
    return eg_route_cache_get(f->routes, rq->rkey.data, rq->rkey.len);
}

/* The worker's answer is remembered, unless it may be about this request's query, which the
 * key leaves out: a 414, or the worker's own 400 for a target. */
static void remember(eg_req_t *rq, eg_route_t *r)
{
    if (rq->f->opt.route_cache > 0 && r->status != 414 && r->status != 400)
        eg_route_cache_put(rq->f->routes, rq->rkey.data, rq->rkey.len, r);
}

/* The CGI variables a worker decides from. */
typedef struct {
    eg_param_t v[16];
    size_t n;
    eg_buf_t target; /* the normalized target: the path the origin will get */
    char hport[16], sport[16];
} question_t;

static void question(eg_req_t *rq, question_t *q)
{
    eg_front_t *f = rq->f;
    size_t n = 0;
    memset(&q->target, 0, sizeof(q->target));
    eg_buf_printf(&q->target, "%s%s%s", rq->u.path, rq->u.query ? "?" : "",
                  rq->u.query ? rq->u.query : "");
    snprintf(q->hport, sizeof(q->hport), "%d", f->opt.public_https_port);
    snprintf(q->sport, sizeof(q->sport), "%d", rq->l->port);
    q->v[n++] = (eg_param_t){"GATEWAY_INTERFACE", "CGI/1.1"};
    q->v[n++] = (eg_param_t){"REQUEST_METHOD", rq->method};
    q->v[n++] = (eg_param_t){"SERVER_PROTOCOL", rq->version};
    q->v[n++] = (eg_param_t){"REQUEST_SCHEME", rq->l->https ? "https" : "http"};
    q->v[n++] = (eg_param_t){"HTTPS", rq->l->https ? "on" : "off"};
    q->v[n++] = (eg_param_t){"REQUEST_URI", q->target.data};
    q->v[n++] = (eg_param_t){"QUERY_STRING", rq->u.query ? rq->u.query : ""};
    q->v[n++] = (eg_param_t){"SERVER_NAME", rq->l->addr};
    q->v[n++] = (eg_param_t){"SERVER_PORT", q->sport};
    q->v[n++] = (eg_param_t){"REMOTE_ADDR", client_ip(rq)};
    q->v[n++] = (eg_param_t){"EG_HTTPS_PORT", q->hport};
    if (rq->host)
        q->v[n++] = (eg_param_t){"HTTP_HOST", rq->host};
    q->n = n;
}

/* --- jobs: what may wait, while the connection is suspended --------------------------------- */

/* The job's answer is in rq->ready: the next call queues it. */
static void job_end(eg_req_t *rq)
{
    int resume;
    pthread_mutex_lock(&rq->lock);
    /* suspended unless an upload's viewer left mid-body (then completed() has run) */
    resume = rq->state == RQ_JOB;
    if (resume)
        rq->state = RQ_READY;
    pthread_mutex_unlock(&rq->lock);
    if (resume) {
        /* While stopping, a viewer's connection is not kept after its answer: one busy
         * keep-alive connection would otherwise keep the drain going to its bound. */
        if (rq->ready && __atomic_load_n(&rq->f->stop, __ATOMIC_ACQUIRE))
            MHD_add_response_header(rq->ready, MHD_HTTP_HEADER_CONNECTION, "close");
        MHD_resume_connection(rq->conn);
        if (rq->stream)
            eg_proxy_pump(rq);
    }
    if (rq->quota_taken) {
        rq->quota_taken = 0;
        eg_quota_give(rq->f->job_quota, client_ip(rq));
    }
    eg_req_unref(rq); /* may be the last: eg_fetch_end then gives its connection back */
}

static void job_main(void *arg)
{
    eg_req_t *rq = arg;
    rq->job(rq);
    job_end(rq);
}

/* A full pool (or an address at its bound) is logged once a second at most. */
#define POOL_FULL_LOG_MS 1000

static void log_busy(eg_req_t *rq, int per_ip)
{
    eg_front_t *f = rq->f;
    long long now = eg_now_ms(), last = __atomic_load_n(&f->pool_full_logged, __ATOMIC_RELAXED);
    eg_pool_stats_t st;
    if (now - last < POOL_FULL_LOG_MS ||
        !__atomic_compare_exchange_n(&f->pool_full_logged, &last, now, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return;
    eg_pool_stats(f->pool, &st);
    if (per_ip)
        eg_log_warn("request %s: 503: %s holds %d job threads (--max-jobs-per-ip)", rq->id,
                    client_ip(rq), f->opt.max_jobs_per_ip);
    else
        eg_log_warn("request %s: 503: all %d job threads are busy (--job-threads); %llu "
                    "requests refused so far",
                    rq->id, f->opt.job_threads, st.refused);
}

/* rq->job in the pool; 0, or -1 with the 503 left in rq->ready. */
static int pool_run(eg_req_t *rq)
{
    eg_front_t *f = rq->f;
    int e;
    if (eg_quota_take(f->job_quota, client_ip(rq)) < 0) {
        log_busy(rq, 1);
        eg_deliver_error(rq, 503);
        return -1;
    }
    rq->quota_taken = 1;
    if (eg_pool_run(f->pool, job_main, rq) == 0)
        return 0;
    e = errno;
    rq->quota_taken = 0;
    eg_quota_give(f->job_quota, client_ip(rq));
    if (e == EBUSY)
        log_busy(rq, 0);
    else
        eg_log_error("request %s: 503: cannot start a job: %s", rq->id, strerror(e));
    eg_deliver_error(rq, 503);
    return -1;
}

/* The worker's answer, on the policy client's reader thread: a final is answered from here,
 * a forward goes on in the pool. */
static void decided(void *arg, eg_route_t *r, const char *err)
{
    eg_req_t *rq = arg;
    rq->route = r;
    if (r == NULL) {
        eg_log_error("request %s: %s", rq->id, err);
        eg_deliver_error(rq, 502);
    } else {
        enum MHD_Result ret;
        remember(rq, r);
        if (r->status)
            eg_deliver_final(rq, r);
        else if (!rq->body && (r->cached_methods & eg_method_bit(rq->method)) &&
                 eg_deliver_hit(rq, &ret))
            ; /* a fresh hit needs no job: answered even while the pool is full */
        else if (pool_run(rq) == 0)
            return;
    }
    job_end(rq);
}

/* f->jobs once eg_front_stop has closed it: an increment stays negative, and nothing starts
 * any more. */
#define JOBS_CLOSED (-(1 << 30))

int eg_front_hold(eg_front_t *f)
{
    /* one atomic step against eg_front_stop's 0 -> JOBS_CLOSED: either the stop sees this
     * counted and waits for it, or this sees the stop and starts nothing */
    if (__atomic_add_fetch(&f->jobs, 1, __ATOMIC_SEQ_CST) <= 0) {
        __atomic_sub_fetch(&f->jobs, 1, __ATOMIC_RELEASE);
        return -1;
    }
    return 0;
}

void eg_front_release(eg_front_t *f)
{
    __atomic_sub_fetch(&f->jobs, 1, __ATOMIC_RELEASE);
}

enum MHD_Result eg_req_run_job(eg_req_t *rq, void (*fn)(eg_req_t *))
{
    eg_front_t *f = rq->f;
    if (!rq->counted) {
        if (eg_front_hold(f) < 0) {
            eg_log_info("request %s: edgegate is stopping; not started", rq->id);
            return eg_deliver_error(rq, 503);
        }
        rq->counted = 1;
    }
    rq->job = fn;
    rq->state = RQ_JOB;
    eg_req_ref(rq); /* the job's, dropped in job_end */
    MHD_suspend_connection(rq->conn);
    if (rq->route == NULL) { /* a decision first: the worker answers the reader thread */
        question_t q;
        question(rq, &q);
        eg_policy_ask_async(f->policy, q.v, q.n, decided, rq);
        eg_buf_free(&q.target);
    } else if (pool_run(rq) < 0) {
        job_end(rq); /* resumed: the next call queues the 503 */
    }
    return MHD_YES;
}

/* A request without a body, its route a forward (a job runs only then): cache or origin. */
static void job_forward(eg_req_t *rq)
{
    eg_proxy_target(rq);
    if (rq->route->cached_methods & eg_method_bit(rq->method)) {
        eg_deliver_cached(rq);
        return;
    }
    eg_proxy_forward(rq, strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0);
}

/* What the event thread may answer at once: remembered finals and fresh cache hits. */
static int answer_fast(eg_req_t *rq, enum MHD_Result *ret)
{
    rq->route = remembered(rq);
    if (rq->route == NULL)
        return 0;
    if (rq->route->status) {
        *ret = eg_deliver_final(rq, rq->route);
        return 1;
    }
    if (rq->body || !(rq->route->cached_methods & eg_method_bit(rq->method)))
        return 0;
    return eg_deliver_hit(rq, ret);
}

/* --- the first call: RFC 9112's refusals and the target's normalization --------------------- */

/* libmicrohttpd 0.9.75 keeps each field where it read it: "name\0" where the colon was,
 * optional whitespace, then the value. A folded line (obs-fold) is joined onto the *name*
 * in a new place, which this catches; RFC 9112 §5.2 lets a server refuse obs-fold. */
int eg_front_field_in_place(const char *name, const char *value)
{
    const char *p = name + strlen(name) + 1;
    if (value < p || value - p > 4096)
        return 0;
    for (; p < value; p++)
        if (*p != ' ' && *p != '\t')
            return 0;
    return 1;
}

typedef struct {
    eg_reqcheck_t chk;
    eg_req_t *rq;
} check_ctx_t;

/* Checks each field and keeps it for the origin request and the cache key. */
static enum MHD_Result check_field(void *cls, enum MHD_ValueKind kind, const char *name,
                                   const char *value)
{
    check_ctx_t *x = cls;
    eg_req_t *rq = x->rq;
    if (value && !eg_front_field_in_place(name, value) && x->chk.status == 0) {
        x->chk.status = 400;
        x->chk.reason = "a header field is folded over several lines (obs-fold)";
    }
    eg_reqcheck_field(&x->chk, name, value);
    if (value == NULL)
        return MHD_YES;
    if (rq->n_fields == rq->cap_fields) {
        rq->cap_fields = rq->cap_fields ? 2 * rq->cap_fields : 16;
        rq->fields = eg_realloc(rq->fields, rq->cap_fields * sizeof(*rq->fields));
    }
    rq->fields[rq->n_fields++] = (eg_fwd_field_t){name, value};
    return MHD_YES;
}

/* 0, or the status to refuse with, before a worker or an origin sees anything. */
static int check_request(eg_req_t *rq, const char *url, const char *version,
                         const char **reason)
{
    check_ctx_t x = {.rq = rq};
    int status;
    eg_reqcheck_init(&x.chk, rq->version);
    eg_reqcheck_target(&x.chk, strlen(rq->uri));
    MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, check_field, &x);
    status = eg_reqcheck_end(&x.chk);
    if (status) {
        *reason = x.chk.reason;
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
    rq->host = rq->u.authority[0] ? rq->u.authority : eg_req_header(rq, "Host");
    rq->body = x.chk.body != EG_BODY_NONE;
    rq->chunked = x.chk.body == EG_BODY_CHUNKED;
    rq->body_len = x.chk.content_length;
    /* as CloudFront: a GET body has no meaning (RFC 9110 9.3.1), and an origin that ignores
     * its framing would read it as the next request */
    if (rq->body && (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0)) {
        *reason = "a GET or HEAD request with a body";
        return 403;
    }
    return 0;
}

/* snprintf(dst, size, "%s", src) without printf's cost, on every request. */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static enum MHD_Result first_call(eg_req_t *rq, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version)
{
    const char *reason = NULL;
    enum MHD_Result ret;
    int status;
    rq->conn = c;
    copy_str(rq->method, sizeof(rq->method), method);
    copy_str(rq->version, sizeof(rq->version), version);
    status = check_request(rq, url, version, &reason);
    if (status) { /* refused before any worker or origin sees it; the connection closes */
        eg_log_info("request %s: refused with %d: %s", rq->id, status, reason);
        rq->state = RQ_REFUSED;
        return eg_deliver_error(rq, status);
    }
    if (rq->u.asterisk)
        return eg_deliver_options_asterisk(rq);
    if (!rq->body) {
        rq->state = RQ_ANSWER;
        return MHD_YES;
    }
    if (answer_fast(rq, &ret))
        return ret; /* a final answer: the unread body closes the connection */
    return eg_req_run_job(rq, eg_proxy_upload);
}

/* An empty call while the body arrives: the one that follows the upload job's resume, or the
 * body's end. */
static void body_call(eg_req_t *rq)
{
    int more;
    pthread_mutex_lock(&rq->lock);
    /* the body has ended only when all of a declared length came, or (chunked) on an empty
     * call that is not the one after the resume */
    more = rq->chunked ? rq->opened : rq->received < rq->body_len;
    rq->opened = 0;
    pthread_mutex_unlock(&rq->lock);
    if (!more)
        eg_proxy_upload_end(rq);
}

enum MHD_Result eg_front_handle(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version,
                                const char *upload_data, size_t *upload_size, void **con_cls)
{
    eg_req_t *rq = *con_cls;
    enum MHD_Result ret;
    struct MHD_Response *resp;

    if (rq == NULL) /* libmicrohttpd always calls the URI logger first */
        return MHD_NO;
    switch (rq->state) {
    case RQ_NEW:
        return first_call(rq, c, url, method, version);
    case RQ_ANSWER:
        if (answer_fast(rq, &ret))
            return ret;
        return eg_req_run_job(rq, job_forward);
    case RQ_UPLOAD:
        if (*upload_size) {
            eg_proxy_upload_data(rq, upload_data, *upload_size);
            *upload_size = 0;
        } else {
            body_call(rq);
        }
        return MHD_YES;
    case RQ_READY: /* a job left its answer */
        resp = rq->ready;
        rq->ready = NULL;
        rq->state = RQ_DONE;
        *upload_size = 0; /* a final answer to a request whose body is not wanted */
        if (resp == NULL)
            return MHD_NO; /* the job could not make one: close */
        ret = MHD_queue_response(c, (unsigned)rq->ready_status, resp);
        MHD_destroy_response(resp);
        return ret;
    case RQ_JOB:
    case RQ_DONE:
    case RQ_REFUSED: /* a response is queued or coming; nothing more is read */
        *upload_size = 0;
        return MHD_YES;
    }
    return MHD_NO;
}

void *eg_front_uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
    eg_listener_t *l = cls;
    eg_req_t *rq = eg_calloc(1, sizeof(*rq));
    unsigned long long n = __atomic_add_fetch(&l->front->requests, 1, __ATOMIC_RELAXED);
    rq->refs = 1; /* libmicrohttpd's, dropped in completed() */
    rq->state = RQ_NEW;
    pthread_mutex_init(&rq->lock, NULL);
    pthread_cond_init(&rq->room, NULL);
    rq->f = l->front;
    rq->l = l;
    rq->uri = eg_strdup(uri);
    /* "%012llx%08llx" of the boot id's low 48 bits and the count, without printf */
    if (n >> 32) { /* past four billion requests: as many digits as it takes */
        snprintf(rq->id, sizeof(rq->id), "%012llx%08llx", l->front->boot_id & 0xffffffffffffULL,
                 n);
    } else {
        static const char hex[] = "0123456789abcdef";
        unsigned long long b = l->front->boot_id;
        for (int i = 11; i >= 0; i--, b >>= 4)
            rq->id[i] = hex[b & 15];
        for (int i = 19; i >= 12; i--, n >>= 4)
            rq->id[i] = hex[n & 15];
        rq->id[20] = '\0';
    }
    return rq;
}

void eg_front_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    eg_req_t *rq = *con_cls;
    if (rq == NULL)
        return;
    pthread_mutex_lock(&rq->lock);
    rq->closed = 1; /* a pump still reading stops; an upload job stops waiting for data */
    pthread_cond_signal(&rq->room);
    pthread_mutex_unlock(&rq->lock);
    eg_req_unref(rq);
    *con_cls = NULL;
}

/* How long requests in flight may take to finish once edgegate is told to stop. */
#define DRAIN_MS 10000

/* Stopping a daemon with suspended connections is not allowed, and jobs use the origin and
 * policy pools that main() frees next: so wait until no request that started a job is left
 * (each holds one of f->jobs until it is freed, after its answer was sent or its viewer
 * left), and close f->jobs (0 -> JOBS_CLOSED in one step) so that none starts after. Until
 * then requests in flight drain, and new ones on kept connections are still served (their
 * connections close after the answer), for DRAIN_MS at most: an origin's read timeout (30 s
 * by default) is longer. */
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
    if (f->http.mhd)
        MHD_stop_daemon(f->http.mhd);
    if (f->https.mhd)
        MHD_stop_daemon(f->https.mhd);
    f->http.mhd = f->https.mhd = NULL;
    eg_pool_free(f->pool); /* its threads are idle: every request that used one is freed */
    f->pool = NULL;
    return 0;
}
