/* The viewer listeners: libmicrohttpd daemons for HTTP and HTTPS and their options
 * (strictness, limits, timeouts, TLS), with the connection guard (front_guard.c) told of
 * every connection and head. front_main.c starts and stops them. */
#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <unistd.h>

#include "edgegate/common.h"
#include "edgegate/front.h"

static const char *listener_name(const eg_listener_t *l)
{
    return l->https ? "HTTPS" : "HTTP";
}
/* The target stays as the viewer sent it: the front normalizes it itself (uri.c). */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

int eg_front_addr_parse(const char *spec, struct sockaddr_storage *ss, int *port, char *host,
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
    char msg[512];
    size_t len;
    if (strncmp(fm, "Server reached connection limit", 31) == 0) {
        eg_front_guard_note(l, EG_GUARD_REFUSED);
        return;
    }
    if (strncmp(fm, "Hit process or system resource limit", 36) == 0) {
        eg_front_guard_note(l, EG_GUARD_NO_FDS);
        return;
    }
    /* the second is what libmicrohttpd says of a connection the guard shut down */
    if (strncmp(fm, "Connection was closed by remote side with incomplete request", 60) == 0 ||
        strncmp(fm, "Connection socket is closed when reading request", 48) == 0) {
        eg_front_guard_note(l, EG_GUARD_ABORTED);
        return;
    }
    vsnprintf(msg, sizeof(msg), fm, ap);
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    eg_log_warn("%s listener: %s", listener_name(l), msg);
}

/* libmicrohttpd calls the handler once the whole head is in: the head deadline ends there. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    eg_front_guard_head(cls, c, 0);
    return eg_front_handle(cls, c, url, method, version, upload_data, upload_size, con_cls);
}

/* After a response the connection waits for the next head, under the same deadline. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    eg_front_completed(cls, c, con_cls, toe);
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        eg_front_guard_head(cls, c, 1);
}

void eg_front_tls_options(const eg_front_t *f, struct MHD_OptionItem *ops, size_t *n,
                          const char *priorities)
{
    ops[(*n)++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, f->key_pem};
    ops[(*n)++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, f->cert_pem};
    ops[(*n)++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)priorities};
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
    if (eg_front_addr_parse(spec, &ss, &l->port, l->addr, sizeof(l->addr)) < 0) {
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
            {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)eg_front_guard_notify, l},
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
            /* the viewer security policy replaces GnuTLS's defaults, which still offer
             * TLS 1.0/1.1 and CBC suites (BEAST, LUCKY13). Renegotiation stays refused under
             * every policy: libmicrohttpd takes GnuTLS's GNUTLS_E_REHANDSHAKE as a hard
             * error and closes the connection. */
            eg_front_tls_options(f, ops, &n, f->opt.viewer_priorities);
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
    /* libmicrohttpd stops accepting and hands the listening socket over: closed, so that the
     * kernel refuses new connections instead of holding them in the backlog, unanswered,
     * until the drain is over */
    MHD_socket s = l->mhd ? MHD_quiesce_daemon(l->mhd) : MHD_INVALID_SOCKET;
    if (s != MHD_INVALID_SOCKET)
        close(s);
}

