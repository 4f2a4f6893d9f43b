/* The admin console's listener: a libmicrohttpd daemon of its own (a thread per connection, at
 * most EG_ADMIN_MAX_CONNECTIONS), and a pool of FastCGI workers of its own ("admin-K.sock"),
 * so nothing here shares the viewers' listeners, event or job threads, or policy workers. A
 * request is checked (RFC 9112 as for viewers, then GET, HEAD or POST, origin-form, a body of
 * 2 MiB at most), its body collected, then handed whole to a worker in one RESPONDER exchange
 * (cgi.c builds the variables) and the worker's CGI answer relayed (cgi.c checks it). The
 * connection's thread waits for the worker: that is what it is for. */
#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <strings.h>

#include "edgegate/cgi.h"
#include "edgegate/common.h"
#include "edgegate/front.h"
#include "edgegate/io.h"
#include "edgegate/reqcheck.h"

/* A request body is collected whole before a worker sees it. */
#define ADMIN_BODY_MAX (2 * 1024 * 1024)
/* What one answer may hold (a page, an export). */
#define ADMIN_ANSWER_MAX (4 * 1024 * 1024)
/* libmicrohttpd's idle timeout on an admin connection, seconds. */
#define ADMIN_IDLE_TIMEOUT 30

typedef enum {
    ADM_NEW,       /* the head is in: the first call checks it */
    ADM_BODY,      /* the body arrives; the call after its end asks the worker */
    ADM_READY,     /* no body: the next call asks the worker (0.9.75 closes a connection whose
                    * response is queued in the first call) */
    ADM_TOO_LARGE, /* a chunked body past ADMIN_BODY_MAX: the rest is dropped, then 413 */
    ADM_DONE,      /* a response is queued */
} adm_state_t;

typedef struct {
    eg_listener_t *l; /* borrowed */
    char *target;     /* the request-target as received; owned */
    adm_state_t state;
    int has_body;
    eg_buf_t body;
    size_t dropped; /* ADM_TOO_LARGE: body bytes read past the bound and dropped */
} adm_req_t;

/* --- answers of its own ------------------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    default:
        return eg_http_reason(status);
    }
}

/* edgegate is stopping: a connection is not kept after its answer, or a client could keep
 * the drain going to its bound. */
static int stopping(const adm_req_t *rq)
{
    return __atomic_load_n(&rq->l->front->stop, __ATOMIC_ACQUIRE);
}

/* A short text page; close when the request's framing is in doubt or its body is unread. */
static enum MHD_Result answer_error(struct MHD_Connection *c, adm_req_t *rq, int status, int close)
{
    char page[160];
    struct MHD_Response *resp;
    enum MHD_Result ret;
    int n = snprintf(page, sizeof(page), "%d %s\n", status, reason(status));
    resp = MHD_create_response_from_buffer((size_t)n, page, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* as the console's own pages (admin/admin_main.c) */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    if (status == 405)
        MHD_add_response_header(resp, "Allow", "GET, HEAD, POST");
    if (status == 503)
        MHD_add_response_header(resp, "Retry-After", "2");
    if (close || stopping(rq))
        MHD_add_response_header(resp, "Connection", "close");
    ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    rq->state = ADM_DONE;
    return ret;
}

/* Every refusal of a request goes through here, so its reason is logged once; a target that
 * is not origin-form may hold bytes that do not belong in a log. */
static enum MHD_Result __attribute__((cold))
refuse(struct MHD_Connection *c, adm_req_t *rq, int status, const char *why)
{
    const char *bad;
    eg_log_info("admin request %.200s: refused with %d: %s",
                eg_cgi_target_check(rq->target, &bad) == 0 ? rq->target : "(a malformed target)",
                status, why);
    return answer_error(c, rq, status, 1);
}

/* --- the request's head ------------------------------------------------------------------- */

typedef struct {
    eg_reqcheck_t chk;
    eg_cgi_field_t *fields; /* owned array; libmicrohttpd's strings */
    size_t n, cap;
} fields_t;

static enum MHD_Result take_field(void *cls, enum MHD_ValueKind kind, const char *name,
                                  const char *value)
{
    fields_t *x = cls;
    if (value && !eg_front_field_in_place(name, value) && x->chk.status == 0) {
        x->chk.status = 400;
        x->chk.reason = "a header field is folded over several lines (obs-fold)";
    }
    eg_reqcheck_field(&x->chk, name, value);
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 16;
        x->fields = eg_realloc(x->fields, x->cap * sizeof(*x->fields));
    }
    x->fields[x->n++] = (eg_cgi_field_t){name, value ? value : ""};
    return MHD_YES;
}

/* The first call: 0 to go on, else the status the head is refused with (and why). */
static int check_head(adm_req_t *rq, struct MHD_Connection *c, const char *url, const char *method,
                      const char *version, const char **why)
{
    fields_t x = {.n = 0};
    int status;
    eg_reqcheck_init(&x.chk, version);
    eg_reqcheck_target(&x.chk, strlen(rq->target));
    MHD_get_connection_values(c, MHD_HEADER_KIND, take_field, &x);
    free(x.fields);
    if ((status = eg_reqcheck_end(&x.chk)) != 0) {
        *why = x.chk.reason;
        return status;
    }
    /* libmicrohttpd ends the target where a NUL was sent, and finds the version from the
     * line's end: a target shorter than the gap before the version held a NUL */
    if (url + strlen(rq->target) + 1 != version) {
        *why = "a NUL in the request target";
        return 400;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "POST") != 0) {
        *why = "a method other than GET, HEAD and POST";
        return 405;
    }
    if ((status = eg_cgi_target_check(rq->target, why)) != 0)
        return status;
    rq->has_body = x.chk.body != EG_BODY_NONE;
    if (rq->has_body && strcmp(method, "POST") != 0) {
        *why = "a GET or HEAD request with a body";
        return 400;
    }
    if (x.chk.body == EG_BODY_LENGTH && x.chk.content_length > ADMIN_BODY_MAX) {
        *why = "a Content-Length past 2 MiB";
        return 413;
    }
    return 0;
}

/* --- the exchange ------------------------------------------------------------------------- */

static void free_answer(void *cls)
{
    free(cls);
}

/* The worker's answer (taken: freed with the response) relayed, or a 502. */
static enum MHD_Result relay(struct MHD_Connection *c, adm_req_t *rq, eg_buf_t *answer,
                             int head_request)
{
    eg_cgi_response_t r;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    eg_buf_t line = {0};
    const char *why = NULL;
    char *data = answer->data;
    if (eg_cgi_response_parse(data, answer->len, head_request, &r, &why) != 0) {
        eg_log_error("admin request %.200s: 502: the worker's answer: %s", rq->target, why);
        eg_buf_free(answer);
        return answer_error(c, rq, 502, 0);
    }
    memset(answer, 0, sizeof(*answer)); /* data belongs to the response now */
    resp = MHD_create_response_from_buffer_with_free_callback_cls(
        r.body_len, data + (r.body - data), free_answer, data);
    if (resp == NULL) {
        free(data);
        return MHD_NO;
    }
    for (size_t i = 0; i < r.head.n_headers; i++) {
        const eg_header_t *h = &r.head.headers[i];
        line.len = 0;
        eg_buf_add(&line, h->name, h->name_len);
        eg_buf_add(&line, "", 1);
        eg_buf_add(&line, h->value, h->value_len);
        if (MHD_add_response_header(resp, line.data, line.data + h->name_len + 1) != MHD_YES) {
            eg_log_error("admin request %.200s: 502: the worker's field %.*s was refused",
                         rq->target, (int)h->name_len, h->name);
            eg_buf_free(&line);
            MHD_destroy_response(resp);
            return answer_error(c, rq, 502, 0);
        }
    }
    eg_buf_free(&line);
    if (stopping(rq))
        MHD_add_response_header(resp, "Connection", "close");
    ret = MHD_queue_response(c, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    rq->state = ADM_DONE;
    return ret;
}

/* The client's address and port, for REMOTE_ADDR and REMOTE_PORT. */
static void client(struct MHD_Connection *c, char *addr, size_t size, int *port)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    snprintf(addr, size, "unknown");
    *port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, addr, (socklen_t)size);
        *port = ntohs(s4->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, addr, (socklen_t)size);
        *port = ntohs(s6->sin6_port);
    }
}

static enum MHD_Result ask_worker(struct MHD_Connection *c, adm_req_t *rq, const char *method,
                                  const char *version)
{
    eg_front_t *f = rq->l->front;
    fields_t x = {.n = 0};
    eg_cgi_request_t cr = {0};
    eg_cgi_params_t params;
    eg_buf_t answer = {0};
    char addr[INET6_ADDRSTRLEN + 1], err[512];
    int rc;

    MHD_get_connection_values(c, MHD_HEADER_KIND, take_field, &x);
    client(c, addr, sizeof(addr), &cr.remote_port);
    cr.method = method;
    cr.target = rq->target;
    cr.version = version;
    cr.server_name = rq->l->addr;
    cr.server_port = rq->l->port;
    cr.remote_addr = addr;
    cr.https = rq->l->https;
    cr.fields = x.fields;
    cr.n_fields = x.n;
    cr.has_body = strcmp(method, "POST") == 0;
    cr.body_len = rq->body.len;
    eg_cgi_params_build(&cr, &params);
    free(x.fields);
    rc = eg_policy_exchange(f->admin_pool, params.v, params.n, rq->body.data, rq->body.len, &answer,
                            err, sizeof(err));
    eg_cgi_params_free(&params);
    eg_buf_free(&rq->body);
    if (rc == -2) {
        eg_log_warn("admin request %.200s: 503: %s", rq->target, err);
        return answer_error(c, rq, 503, 0);
    }
    if (rc < 0) {
        eg_log_error("admin request %.200s: 502: %s", rq->target, err);
        return answer_error(c, rq, 502, 0);
    }
    return relay(c, rq, &answer, strcmp(method, "HEAD") == 0);
}

/* --- libmicrohttpd's callbacks ------------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    adm_req_t *rq = *con_cls;
    const char *why = NULL;
    int status;
    if (rq == NULL) /* libmicrohttpd always calls the URI logger first */
        return MHD_NO;
    switch (rq->state) {
    case ADM_NEW:
        if ((status = check_head(rq, c, url, method, version, &why)) != 0)
            return refuse(c, rq, status, why);
        rq->state = rq->has_body ? ADM_BODY : ADM_READY;
        return MHD_YES; /* libmicrohttpd sends 100 Continue when it was asked for */
    case ADM_BODY:
        if (*upload_size == 0)
            return ask_worker(c, rq, method, version);
        if (rq->body.len + *upload_size > ADMIN_BODY_MAX) {
            /* chunked, so not refused from its head: 0.9.75 takes no response while a body
             * is read, so the connection is closed without one */
            /* chunked, so not refused from its head: 0.9.75 takes no response while a body
             * is read, so the rest is read and dropped for the 413, up to as much again */
            eg_buf_free(&rq->body);
            rq->state = ADM_TOO_LARGE;
            rq->dropped = *upload_size;
            *upload_size = 0;
            return MHD_YES;
        }
        eg_buf_add(&rq->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    case ADM_TOO_LARGE:
        if (*upload_size == 0)
            return refuse(c, rq, 413, "a chunked body past 2 MiB");
        rq->dropped += *upload_size;
        *upload_size = 0;
        if (rq->dropped <= ADMIN_BODY_MAX)
            return MHD_YES;
        eg_log_info("admin request %.200s: refused: a chunked body past 4 MiB; closing",
                    rq->target);
        rq->state = ADM_DONE;
        return MHD_NO;
    case ADM_READY:
        return ask_worker(c, rq, method, version);
    case ADM_DONE:
        *upload_size = 0;
        return MHD_YES;
    }
    return MHD_NO;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    adm_req_t *rq = eg_calloc(1, sizeof(*rq));
    rq->l = cls;
    __atomic_add_fetch(&rq->l->front->admin_requests, 1, __ATOMIC_SEQ_CST);
    rq->target = eg_strdup(uri);
    rq->state = ADM_NEW;
    return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    adm_req_t *rq = *con_cls;
    if (rq == NULL)
        return;
    eg_buf_free(&rq->body);
    free(rq->target);
    __atomic_sub_fetch(&rq->l->front->admin_requests, 1, __ATOMIC_SEQ_CST);
    free(rq);
    *con_cls = NULL;
}

/* The target stays as the client sent it: REQUEST_URI and PATH_INFO are the raw ones. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static void __attribute__((format(printf, 2, 0))) mhd_log(void *cls, const char *fm, va_list ap)
{
    char msg[512];
    size_t len;
    vsnprintf(msg, sizeof(msg), fm, ap);
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    eg_log_warn("admin listener: %s", msg);
}

/* --- start and stop ----------------------------------------------------------------------- */

static int admin_listen(eg_front_t *f, char *err, size_t errlen)
{
    eg_listener_t *l = &f->admin;
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *di;
    l->front = f;
    l->https = f->opt.admin_tls;
    if (eg_front_addr_parse(f->opt.admin, &ss, &l->port, l->addr, sizeof(l->addr)) < 0) {
        eg_errf(err, errlen, "--admin %s: not ADDR:PORT (e.g. 127.0.0.1:8082 or [::1]:8082)",
                f->opt.admin);
        return -1;
    }
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    {
        struct MHD_OptionItem ops[] = {
            {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, l},
            {MHD_OPTION_SOCK_ADDR, 0, &ss},
            {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, l},
            {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, l},
            {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)no_unescape, l},
            {MHD_OPTION_CONNECTION_LIMIT, EG_ADMIN_MAX_CONNECTIONS, NULL},
            {MHD_OPTION_PER_IP_CONNECTION_LIMIT, EG_ADMIN_MAX_CONNECTIONS_PER_IP, NULL},
            {MHD_OPTION_CONNECTION_TIMEOUT, ADMIN_IDLE_TIMEOUT, NULL},
            {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
            {MHD_OPTION_STRICT_FOR_CLIENT, 0, NULL}, /* as the viewers', for the same reason */
            {MHD_OPTION_END, 0, NULL},               /* HTTPS options go here */
            {MHD_OPTION_END, 0, NULL},
            {MHD_OPTION_END, 0, NULL},
            {MHD_OPTION_END, 0, NULL},
        };
        size_t n = EG_ARRAY_LEN(ops) - 4;
        if (l->https) {
            eg_front_tls_options(f, ops, &n, f->opt.admin_priorities);
            flags |= MHD_USE_TLS;
        }
        assert(n < EG_ARRAY_LEN(ops) && ops[EG_ARRAY_LEN(ops) - 1].option == MHD_OPTION_END);
        l->mhd = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, on_request, l,
                                  MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    }
    if (l->mhd == NULL) {
        eg_errf(err, errlen,
                "cannot listen on %s for the admin console (address in use, or "
                "bad certificate?)",
                f->opt.admin);
        return -1;
    }
    di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
    if (di && di->port)
        l->port = di->port;
    return 0;
}

int eg_front_admin_start(eg_front_t *f, char *err, size_t errlen)
{
    eg_policy_opts_t po;
    char why[512];
    memset(&po, 0, sizeof(po));
    po.name = "admin";
    po.worker_bin = f->opt.admin_bin;
    po.db_path = f->opt.db;
    po.run_dir = f->run_dir;
    po.workers = f->opt.admin_workers;
    po.timeout_ms = f->opt.admin_timeout * 1000;
    po.queue_ms = po.timeout_ms / 2;
    po.max_answer = ADMIN_ANSWER_MAX;
    if (eg_policy_pool_start(&po, &f->admin_pool, why, sizeof(why)) < 0) {
        f->admin_pool = NULL;
        eg_errf(err, errlen, "the admin console: %s", why);
        return -1;
    }
    if (admin_listen(f, err, errlen) < 0) {
        eg_policy_pool_stop(f->admin_pool);
        f->admin_pool = NULL;
        return -1;
    }
    return 0;
}

void eg_front_admin_stop(eg_front_t *f)
{
    /* eg_front_unlisten stopped the accepting: the requests in flight are answered (their
     * worker answers or times out) and sent before libmicrohttpd's stop cuts the connections;
     * a second more for the sending */
    long long give_up = eg_now_ms() + f->opt.admin_timeout * 1000LL + 1000;
    int busy = f->admin.mhd ? __atomic_load_n(&f->admin_requests, __ATOMIC_SEQ_CST) : 0;
    if (busy > 0)
        eg_log_info("waiting for %d admin request%s in flight", busy, busy == 1 ? "" : "s");
    while (busy > 0 && eg_now_ms() < give_up) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        busy = __atomic_load_n(&f->admin_requests, __ATOMIC_SEQ_CST);
    }
    /* its connection threads end once their worker answered or timed out: only then may the
     * pool go */
    if (f->admin.mhd)
        MHD_stop_daemon(f->admin.mhd);
    f->admin.mhd = NULL;
    eg_policy_pool_stop(f->admin_pool);
    f->admin_pool = NULL;
}
