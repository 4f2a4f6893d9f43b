/* The viewer listeners: libmicrohttpd daemons for HTTP and HTTPS, their options (strictness,
 * limits, timeouts, TLS) and the connection guard that enforces what libmicrohttpd 0.9.75
 * cannot: a deadline for the whole request head. front_main.c starts and stops them. */
#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "edgegate/common.h"
#include "edgegate/front.h"

/* How often the guard looks at the open connections: the header deadline is kept to within
 * this, and a connection libmicrohttpd lost is woken within it ... */
#define GUARD_TICK_MS 500
/* ... and sooner while it finds connections to wake: a listener full of them takes one
 * tick per --max-connections of them (see guard_pass). */
#define GUARD_BUSY_TICK_MS 20
/* How often it logs what it and libmicrohttpd counted. */
#define GUARD_REPORT_MS 1000

/* One open connection, from libmicrohttpd's "started" to its "closed" notice. Linked in the
 * guard's list under g->lock; in_head and head_since are written by the listener's event
 * thread under g->lock, read by the guard under it. */
typedef struct conn {
    struct conn *prev, *next;
    eg_listener_t *l; /* borrowed */
    int fd; /* libmicrohttpd's; open while the record is linked (it is closed after "closed") */
    int in_head; /* waiting for a request head: from accept, and again after each response */
    long long head_since; /* ms, monotonic */
    int shut; /* -1, or how the guard shut the socket down (SHUT_RD, SHUT_RDWR) */
    int gone_seen; /* passes in a row that saw the viewer's FIN with the head pending */
    char addr[INET6_ADDRSTRLEN];
} conn_t;

typedef struct eg_front_guard eg_front_guard_t;

typedef struct {
    unsigned long refused; /* libmicrohttpd's "reached connection limit" (atomic) */
    unsigned long no_fds; /* accept() failed for want of descriptors (atomic) */
    unsigned long aborted; /* viewers that closed before their head was whole (atomic) */
} guard_counts_t;

struct eg_front_guard {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the stop, or a first refusal */
    pthread_t thread;
    int stop; /* under lock */
    conn_t *conns; /* every open connection of both listeners, under lock */
    guard_counts_t counts[2]; /* by eg_listener_t.https */
    int full[2]; /* the guard's: the listener was at --max-connections at its last report */
    const eg_front_opts_t *opt; /* borrowed */
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *listener_name(const eg_listener_t *l)
{
    return l->https ? "HTTPS" : "HTTP";
}

/* The target stays as the viewer sent it: the front normalizes it itself (uri.c). */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static int parse_addr(const char *spec, struct sockaddr_storage *ss, int *port, char *host,
                      size_t hostlen)
{
    const char *colon;
    char *end;
    long p;
    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (close == NULL || close[1] != ':' || (size_t)(close - spec) >= hostlen)
            return -1;
        snprintf(host, hostlen, "%.*s", (int)(close - spec - 1), spec + 1);
        s6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            return -1;
        colon = close + 1;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        colon = strrchr(spec, ':');
        if (colon == NULL || (size_t)(colon - spec) >= hostlen)
            return -1;
        snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
        s4->sin_family = AF_INET;
        if (strcmp(host, "localhost") == 0)
            snprintf(host, hostlen, "127.0.0.1");
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            return -1;
    }
    p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
    return 0;
}

/* libmicrohttpd's messages, through eg_log. A flood makes libmicrohttpd say the same thing
 * once per connection (a refusal at the limits, a viewer gone mid-head); those are counted
 * and the guard logs one line a tick for them, so that a flood cannot also flood the log. */
static void __attribute__((format(printf, 2, 0))) mhd_log(void *cls, const char *fm, va_list ap)
{
    eg_listener_t *l = cls;
    guard_counts_t *n = &l->front->guard->counts[l->https];
    char msg[512];
    size_t len;
    if (strncmp(fm, "Server reached connection limit", 31) == 0) {
        /* the guard notes who holds the listener now, while they still do */
        if (__atomic_add_fetch(&n->refused, 1, __ATOMIC_RELAXED) == 1)
            pthread_cond_signal(&l->front->guard->wake);
        return;
    }
    if (strncmp(fm, "Hit process or system resource limit", 36) == 0) {
        __atomic_add_fetch(&n->no_fds, 1, __ATOMIC_RELAXED);
        return;
    }
    /* the second is what libmicrohttpd says of a connection the guard shut down */
    if (strncmp(fm, "Connection was closed by remote side with incomplete request", 60) == 0 ||
        strncmp(fm, "Connection socket is closed when reading request", 48) == 0) {
        __atomic_add_fetch(&n->aborted, 1, __ATOMIC_RELAXED);
        return;
    }
    vsnprintf(msg, sizeof(msg), fm, ap);
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    eg_log_warn("%s listener: %s", listener_name(l), msg);
}

static void conn_set_head(eg_front_guard_t *g, conn_t *k, int in_head)
{
    pthread_mutex_lock(&g->lock);
    k->in_head = in_head;
    k->head_since = mono_ms();
    k->gone_seen = 0;
    pthread_mutex_unlock(&g->lock);
}

static conn_t *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* libmicrohttpd's connection notices, on the listener's event thread: "started" comes after
 * accept and the limits, "closed" before the socket is closed, which is what lets the guard
 * use the descriptor while it holds g->lock. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    eg_listener_t *l = cls;
    eg_front_guard_t *g = l->front->guard;
    conn_t *k;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *sa =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        k = eg_calloc(1, sizeof(*k));
        k->l = l;
        k->fd = fd ? fd->connect_fd : -1;
        k->in_head = 1;
        k->head_since = mono_ms();
        k->shut = -1;
        snprintf(k->addr, sizeof(k->addr), "?");
        if (sa && sa->client_addr && sa->client_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)sa->client_addr)->sin_addr, k->addr,
                      sizeof(k->addr));
        else if (sa && sa->client_addr && sa->client_addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa->client_addr)->sin6_addr, k->addr,
                      sizeof(k->addr));
        pthread_mutex_lock(&g->lock);
        k->next = g->conns;
        if (g->conns)
            g->conns->prev = k;
        g->conns = k;
        pthread_mutex_unlock(&g->lock);
        *socket_context = k;
        return;
    }
    k = *socket_context;
    if (k == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    if (k->prev)
        k->prev->next = k->next;
    else
        g->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    pthread_mutex_unlock(&g->lock);
    free(k);
    *socket_context = NULL;
}

/* libmicrohttpd calls the handler once the whole head is in: the head deadline ends there. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    eg_listener_t *l = cls;
    conn_t *k = conn_of(c);
    if (k && k->in_head) /* only this thread writes it */
        conn_set_head(l->front->guard, k, 0);
    return eg_front_handle(cls, c, url, method, version, upload_data, upload_size, con_cls);
}

/* After a response the connection waits for the next head, under the same deadline. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    eg_listener_t *l = cls;
    conn_t *k = conn_of(c);
    eg_front_completed(cls, c, con_cls, toe);
    if (k && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        conn_set_head(l->front->guard, k, 1);
}

/* What one pass did on one listener, for its log lines. */
typedef struct {
    unsigned long late, gone;
    char late_addr[INET6_ADDRSTRLEN];
    /* while refusals come: the most connections seen open and from one address */
    int open, most;
    char most_addr[INET6_ADDRSTRLEN];
} pass_counts_t;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The listener's open connections and the address that holds most of them; under g->lock. */
static int busiest(eg_front_guard_t *g, int https, char *addr, size_t addrlen, int *most)
{
    size_t n = 0, cap = 64, run = 0;
    const char **v = eg_malloc(cap * sizeof(*v));
    conn_t *k;
    *most = 0;
    snprintf(addr, addrlen, "-");
    for (k = g->conns; k; k = k->next) {
        if (k->l->https != https)
            continue;
        if (n == cap)
            v = eg_realloc(v, (cap *= 2) * sizeof(*v));
        v[n++] = k->addr;
    }
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++) {
        run = i > 0 && strcmp(v[i], v[i - 1]) == 0 ? run + 1 : 1;
        if ((int)run > *most) {
            *most = (int)run;
            snprintf(addr, addrlen, "%s", v[i]);
        }
    }
    free(v);
    return (int)n;
}

/* One look at every connection (under g->lock). A head past --header-timeout is ended by
 * shutting its socket down: libmicrohttpd, waiting in epoll, sees the hang-up and closes the
 * connection itself (it cannot be asked to from another thread).
 *
 * The same look wakes the connections libmicrohttpd 0.9.75 loses. When a viewer's last bytes
 * and its FIN are both in the socket when libmicrohttpd reads, the read returns fewer bytes
 * than asked, libmicrohttpd takes that to mean "nothing more to read" and clears its readable
 * flag, and edge-triggered epoll never reports the FIN again: the connection waits for the
 * idle timeout and counts against --max-connections meanwhile. After a flood of unfinished
 * heads is closed, every connection accepted from the backlog is such a one, so the listener
 * stays full of them. shutdown(SHUT_RD) makes a new edge; Linux still hands over the bytes
 * already queued before the end of file, so a viewer that did send a whole head before its
 * FIN is served as it would have been. Returns how many connections had a FIN pending. */
static unsigned long guard_pass(eg_front_guard_t *g, pass_counts_t out[2])
{
    long long now = mono_ms(), deadline = (long long)g->opt->header_timeout * 1000;
    unsigned long busy = 0;
    for (int https = 0; https < 2; https++) {
        /* who holds the listener while it refuses, before the flood lets go */
        char addr[INET6_ADDRSTRLEN];
        int most, open;
        if (__atomic_load_n(&g->counts[https].refused, __ATOMIC_RELAXED) == 0)
            continue;
        open = busiest(g, https, addr, sizeof(addr), &most);
        if (open > out[https].open)
            out[https].open = open;
        if (most > out[https].most) {
            out[https].most = most;
            snprintf(out[https].most_addr, sizeof(out[https].most_addr), "%s", addr);
        }
    }
    for (conn_t *k = g->conns; k; k = k->next) {
        pass_counts_t *o = &out[k->l->https];
        struct pollfd p;
        if (k->shut == SHUT_RDWR || !k->in_head || k->fd < 0)
            continue;
        if (now - k->head_since >= deadline) {
            if (o->late++ == 0)
                snprintf(o->late_addr, sizeof(o->late_addr), "%s", k->addr);
            k->shut = SHUT_RDWR;
            if (shutdown(k->fd, SHUT_RDWR) < 0 && errno != ENOTCONN)
                eg_log_warn("%s listener: shutdown: %s", listener_name(k->l), strerror(errno));
            continue;
        }
        p.fd = k->fd;
        p.events = POLLRDHUP;
        p.revents = 0;
        if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            k->gone_seen = 0;
            continue;
        }
        busy++;
        /* Not at the first sight: a connection just accepted has a FIN that libmicrohttpd
         * has not read yet, and a wake before its short read would be lost. Again at every
         * pass after, for the same reason: the wake costs nothing. */
        if (!k->gone_seen++)
            continue;
        if (k->shut != SHUT_RD)
            o->gone++;
        k->shut = SHUT_RD;
        if (shutdown(k->fd, SHUT_RD) < 0 && errno != ENOTCONN)
            eg_log_warn("%s listener: shutdown: %s", listener_name(k->l), strerror(errno));
    }
    return busy;
}

static void guard_report(eg_front_guard_t *g, const pass_counts_t out[2])
{
    for (int https = 0; https < 2; https++) {
        const char *name = https ? "HTTPS" : "HTTP";
        guard_counts_t *n = &g->counts[https];
        unsigned long refused = __atomic_exchange_n(&n->refused, 0, __ATOMIC_RELAXED);
        unsigned long no_fds = __atomic_exchange_n(&n->no_fds, 0, __ATOMIC_RELAXED);
        unsigned long aborted = __atomic_exchange_n(&n->aborted, 0, __ATOMIC_RELAXED);
        if (out[https].late)
            eg_log_warn("%s listener: closed %lu connection%s whose request head was not "
                        "complete within %d s (--header-timeout), from %s and others",
                        name, out[https].late, out[https].late == 1 ? "" : "s",
                        g->opt->header_timeout, out[https].late_addr);
        if (out[https].gone)
            eg_log_info("%s listener: closed %lu connection%s the viewer had left with its "
                        "request head incomplete", name, out[https].gone,
                        out[https].gone == 1 ? "" : "s");
        if (aborted)
            eg_log_info("%s listener: %lu viewer%s closed the connection before the request "
                        "head was complete", name, aborted, aborted == 1 ? "" : "s");
        if (no_fds)
            eg_log_error("%s listener: out of file descriptors %lu time%s; accepting stops "
                         "until a connection closes (lower --max-connections)", name, no_fds,
                         no_fds == 1 ? "" : "s");
        {
            /* at --max-connections libmicrohttpd stops accepting: viewers wait in the
             * kernel's backlog and nothing is refused, so the guard says it */
            int open = 0;
            pthread_mutex_lock(&g->lock);
            for (conn_t *k = g->conns; k; k = k->next)
                open += k->l->https == https;
            pthread_mutex_unlock(&g->lock);
            if (open >= g->opt->max_connections && !g->full[https])
                eg_log_warn("%s listener is full: %d connections open (--max-connections "
                            "%d); new ones wait in the listen backlog",
                            name, open, g->opt->max_connections);
            else if (open < g->opt->max_connections && g->full[https])
                eg_log_info("%s listener accepts again: %d connections open", name, open);
            g->full[https] = open >= g->opt->max_connections;
        }
        if (refused)
            eg_log_warn("%s listener: refused %lu connection%s at the connection limits: "
                        "%d open (--max-connections %d), %d of them from %s "
                        "(--max-connections-per-ip %d)",
                        name, refused, refused == 1 ? "" : "s", out[https].open,
                        g->opt->max_connections, out[https].most,
                        out[https].most ? out[https].most_addr : "-",
                        g->opt->max_connections_per_ip);
    }
}

static void *guard_main(void *arg)
{
    eg_front_guard_t *g = arg;
    long tick = GUARD_TICK_MS;
    long long reported = mono_ms();
    pass_counts_t out[2]; /* since the last report */
    memset(out, 0, sizeof(out));
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += tick * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        if (g->stop)
            break;
        tick = guard_pass(g, out) ? GUARD_BUSY_TICK_MS : GUARD_TICK_MS;
        if (mono_ms() - reported < GUARD_REPORT_MS)
            continue; /* a flood gets a few lines a second, not one a connection */
        pthread_mutex_unlock(&g->lock);
        guard_report(g, out);
        memset(out, 0, sizeof(out));
        reported = mono_ms();
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int eg_front_guard_start(eg_front_t *f, char *err, size_t errlen)
{
    eg_front_guard_t *g = eg_calloc(1, sizeof(*g));
    pthread_condattr_t ca;
    int e, have_ca = 0, have_cond = 0;
    g->opt = &f->opt;
    pthread_mutex_init(&g->lock, NULL);
    /* the tick is measured on the monotonic clock, as the deadlines are */
    if ((e = pthread_condattr_init(&ca)) != 0)
        goto fail;
    have_ca = 1;
    if ((e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
        (e = pthread_cond_init(&g->wake, &ca)) != 0)
        goto fail;
    have_cond = 1;
    if ((e = pthread_create(&g->thread, NULL, guard_main, g)) != 0)
        goto fail;
    pthread_condattr_destroy(&ca);
    f->guard = g;
    return 0;
fail:
    eg_errf(err, errlen, "cannot start the connection guard: %s", strerror(e));
    if (have_cond)
        pthread_cond_destroy(&g->wake);
    if (have_ca)
        pthread_condattr_destroy(&ca);
    pthread_mutex_destroy(&g->lock);
    free(g);
    return -1;
}

void eg_front_guard_stop(eg_front_t *f)
{
    eg_front_guard_t *g = f->guard;
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    /* the listeners have ended: libmicrohttpd said "closed" for every connection */
    assert(g->conns == NULL);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
    f->guard = NULL;
}

int eg_front_listen(eg_front_t *f, eg_listener_t *l, char *err, size_t errlen)
{
    const char *spec = l->https ? f->opt.https : f->opt.http;
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    unsigned threads = (unsigned)f->opt.threads;
    const union MHD_DaemonInfo *di;

    l->front = f;
    assert(f->guard != NULL); /* eg_front_guard_start first: the callbacks use it */
    if (f->opt.max_connections < f->opt.threads) {
        /* libmicrohttpd splits the limit between the event threads */
        eg_errf(err, errlen, "--max-connections %d is less than --threads %d",
                f->opt.max_connections, f->opt.threads);
        return -1;
    }
    if (parse_addr(spec, &ss, &l->port, l->addr, sizeof(l->addr)) < 0) {
        eg_errf(err, errlen, "--%s %s: not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)",
                l->https ? "https" : "http", spec);
        return -1;
    }
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    {
        /* Not libmicrohttpd's strict mode: 0.9.75 sends the head of its own 400 twice, so
         * the front refuses what RFC 9112 refuses itself (reqcheck.c, front_request.c) with a
         * well-formed answer. Only an unparsable Content-Length is still libmicrohttpd's. */
        struct MHD_OptionItem ops[] = {
            /* first, as libmicrohttpd asks, so that every message of its goes through */
            {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, l},
            {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
            {MHD_OPTION_SOCK_ADDR, 0, &ss},
            {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)eg_front_uri_logger, l},
            {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, l},
            {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, l},
            {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)no_unescape, l},
            /* libmicrohttpd's own default is FD_SETSIZE - 4 (1020), split between the
             * threads; the per-address count is shared by them */
            {MHD_OPTION_CONNECTION_LIMIT, f->opt.max_connections, NULL},
            {MHD_OPTION_PER_IP_CONNECTION_LIMIT, f->opt.max_connections_per_ip, NULL},
            /* an idle timeout: every byte either way restarts it, so it bounds silence, not
             * a slow head; the guard holds heads to --header-timeout */
            {MHD_OPTION_CONNECTION_TIMEOUT, f->opt.idle_timeout, NULL},
            /* room for CloudFront's 20 KiB of request line and headers, which libmicrohttpd
             * holds several times over (read buffer, field records, parsed cookies); the
             * front refuses heads above EG_REQCHECK_HEAD_MAX itself, with a proper 431 */
            {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
            {MHD_OPTION_STRICT_FOR_CLIENT, 0, NULL},
            {MHD_OPTION_END, 0, NULL}, /* HTTPS options go here */
            {MHD_OPTION_END, 0, NULL},
            {MHD_OPTION_END, 0, NULL},
            {MHD_OPTION_END, 0, NULL},
        };
        size_t n = EG_ARRAY_LEN(ops) - 4;
        if (l->https) {
            ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, f->key_pem};
            ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, f->cert_pem};
            /* the viewer security policy replaces GnuTLS's defaults, which still offer
             * TLS 1.0/1.1 and CBC suites (BEAST, LUCKY13). Renegotiation stays refused under
             * every policy: libmicrohttpd takes GnuTLS's GNUTLS_E_REHANDSHAKE as a hard
             * error and closes the connection. */
            ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                               (void *)f->opt.viewer_priorities};
            flags |= MHD_USE_TLS;
        }
        assert(n < EG_ARRAY_LEN(ops) && ops[EG_ARRAY_LEN(ops) - 1].option == MHD_OPTION_END);
        l->mhd = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, on_request, l,
                                  MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    }
    if (l->mhd == NULL) {
        eg_errf(err, errlen, "cannot listen on %s for %s (address in use, or bad certificate?)",
                spec, l->https ? "HTTPS" : "HTTP");
        return -1;
    }
    di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
    if (di && di->port)
        l->port = di->port;
    return 0;
}

void eg_front_unlisten(eg_listener_t *l)
{
    if (l->mhd)
        MHD_quiesce_daemon(l->mhd);
}

