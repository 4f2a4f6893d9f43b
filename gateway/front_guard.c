/* The connection guard: the open connections of both listeners, the thread that enforces
 * --header-timeout (libmicrohttpd 0.9.75 has no deadline for a whole request head; every
 * byte resets its idle timeout) and wakes what libmicrohttpd lost track of after a flood,
 * and the counts of what it and libmicrohttpd refused, logged a line a second at most. */
#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
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

void eg_front_guard_note(eg_listener_t *l, eg_guard_note_t what)
{
    guard_counts_t *n = &l->front->guard->counts[l->https];
    switch (what) {
    case EG_GUARD_REFUSED:
        /* the guard notes who holds the listener now, while they still do */
        if (__atomic_add_fetch(&n->refused, 1, __ATOMIC_RELAXED) == 1)
            pthread_cond_signal(&l->front->guard->wake);
        break;
    case EG_GUARD_NO_FDS:
        __atomic_add_fetch(&n->no_fds, 1, __ATOMIC_RELAXED);
        break;
    case EG_GUARD_ABORTED:
        __atomic_add_fetch(&n->aborted, 1, __ATOMIC_RELAXED);
        break;
    }
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
void eg_front_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
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

void eg_front_guard_head(eg_listener_t *l, struct MHD_Connection *c, int in_head)
{
    conn_t *k = conn_of(c);
    /* only the connection's event thread writes in_head: reading it here needs no lock */
    if (k && k->in_head != in_head)
        conn_set_head(l->front->guard, k, in_head);
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
