/* Origin connections: plumbing (DNS, connect, timeouts, pool) and TLS policy in one place,
 * like lighttpd's gw_backend. Certificate rules follow CloudFront (shared/seeds/003): the
 * chain must lead to a trusted CA, arrive in order, and name the origin domain or the
 * forwarded Host; any failure drops the connection. Verification cannot be turned off. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <strings.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/io.h"
#include "edgegate/origin.h"

#define POOL_MAX_IDLE 512

struct eg_origin_conn {
    struct eg_origin_conn *next; /* in the idle list */
    int fd;
    SSL *ssl; /* owned; NULL for plain HTTP */
    char key[EG_NAME_MAX * 2 + 64];
    time_t idle_since;
    int keepalive_timeout;
    int reused;
    int truncated; /* the last read met a TLS EOF without close_notify */
};

struct eg_origin_pool {
    eg_origin_pool_opts_t o;
    pthread_mutex_t lock;
    eg_origin_conn_t *idle; /* most recently used first */
    size_t n_idle;
    SSL_CTX *ctx[16]; /* by EG_SSL_* mask, made on first use */
};

/* --- TLS contexts ----------------------------------------------------------------------- */

static int proto_version(int bit)
{
    switch (bit) {
    case EG_SSL_SSLV3:
        return SSL3_VERSION;
    case EG_SSL_TLSV1:
        return TLS1_VERSION;
    case EG_SSL_TLSV1_1:
        return TLS1_1_VERSION;
    default:
        return TLS1_2_VERSION;
    }
}

static SSL_CTX *make_ctx(eg_origin_pool_t *p, int mask, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int lo = 0, hi = 0;
    /* not SSL_OP_IGNORE_UNEXPECTED_EOF: it makes a TCP close look like close_notify, and a
     * body read to the close must tell a truncation from its end (eg_origin_read) */
    long opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;

    if (ctx == NULL)
        goto fail_ssl;
    for (int bit = EG_SSL_SSLV3; bit <= EG_SSL_TLSV1_2; bit <<= 1)
        if (mask & bit) {
            if (lo == 0)
                lo = proto_version(bit);
            hi = proto_version(bit);
        }
    if (hi == TLS1_2_VERSION)
        hi = TLS1_3_VERSION; /* TLSv1.3 whenever TLSv1.2 is allowed and both sides can */
    /* a gap in the set (TLSv1 and TLSv1.2 without TLSv1.1) */
    if (!(mask & EG_SSL_TLSV1_1) && lo < TLS1_1_VERSION && hi > TLS1_1_VERSION)
        opts |= SSL_OP_NO_TLSv1_1;
    if (!(mask & EG_SSL_TLSV1) && lo < TLS1_VERSION && hi > TLS1_VERSION)
        opts |= SSL_OP_NO_TLSv1;
    SSL_CTX_set_options(ctx, (uint64_t)opts);
    if (!SSL_CTX_set_min_proto_version(ctx, lo) || !SSL_CTX_set_max_proto_version(ctx, hi))
        goto fail_ssl;
    if (lo < TLS1_2_VERSION)
        SSL_CTX_set_security_level(ctx, 0); /* the operator asked for old protocols */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (p->o.ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, p->o.ca_file, NULL) != 1) {
            eg_errf(err, errlen, "cannot load origin CA file %s", p->o.ca_file);
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        goto fail_ssl;
    }
    return ctx;
fail_ssl:
    eg_errf(err, errlen, "TLS setup: %s", ERR_reason_error_string(ERR_get_error()));
    SSL_CTX_free(ctx);
    return NULL;
}

int eg_origin_pool_new(const eg_origin_pool_opts_t *o, eg_origin_pool_t **out, char *err,
                       size_t errlen)
{
    eg_origin_pool_t *p = eg_calloc(1, sizeof(*p));
    SSL_CTX *probe;
    p->o = *o;
    pthread_mutex_init(&p->lock, NULL);
    /* fail at start, not at the first request, when the CA file is unusable */
    probe = make_ctx(p, EG_SSL_TLSV1_2, err, errlen);
    if (probe == NULL) {
        eg_origin_pool_free(p);
        return -1;
    }
    p->ctx[EG_SSL_TLSV1_2] = probe;
    *out = p;
    return 0;
}

static void conn_close(eg_origin_conn_t *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

void eg_origin_pool_free(eg_origin_pool_t *p)
{
    if (p == NULL)
        return;
    while (p->idle) {
        eg_origin_conn_t *c = p->idle;
        p->idle = c->next;
        conn_close(c);
    }
    for (size_t i = 0; i < EG_ARRAY_LEN(p->ctx); i++)
        SSL_CTX_free(p->ctx[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* --- connecting --------------------------------------------------------------------------- */

static const char *resolve_override(eg_origin_pool_t *p, const char *domain)
{
    size_t dl = strlen(domain);
    for (size_t i = 0; i < p->o.n_resolve; i++) {
        const char *r = p->o.resolve[i];
        if (strncasecmp(r, domain, dl) == 0 && r[dl] == ':')
            return r + dl + 1;
    }
    return domain;
}

static int tcp_connect(eg_origin_pool_t *p, const eg_origin_target_t *t, long long deadline,
                       int *status, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[16];
    const char *host = resolve_override(p, t->domain);
    int fd = -1, rc, last_errno = 0;

    snprintf(port, sizeof(port), "%d", t->port);
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        *status = 502;
        eg_errf(err, errlen, "origin %s: cannot resolve: %s", t->domain, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int one = 1;
        socklen_t len = sizeof(last_errno);
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            if (eg_wait_fd(fd, POLLOUT, deadline) == 0 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &last_errno, &len) == 0 && last_errno == 0)
                break;
            if (errno == ETIMEDOUT && last_errno == 0)
                last_errno = ETIMEDOUT;
        } else {
            last_errno = errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        *status = last_errno == ETIMEDOUT ? 504 : 502;
        eg_errf(err, errlen, "origin %s:%d: cannot connect: %s", t->domain, t->port,
                strerror(last_errno ? last_errno : ECONNREFUSED));
    }
    return fd;
}

/* The chain must be sent leaf first, each certificate issued by the next one. OpenSSL
 * builds a path from any order, so this is checked on what the origin actually sent. */
static int chain_in_order(SSL *ssl, const char *domain, char *err, size_t errlen)
{
    STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
    int n = sk ? sk_X509_num(sk) : 0;
    if (n == 0) {
        eg_errf(err, errlen, "origin %s sent no certificate", domain);
        return -1;
    }
    for (int i = 0; i + 1 < n; i++)
        if (X509_check_issued(sk_X509_value(sk, i + 1), sk_X509_value(sk, i)) != X509_V_OK) {
            eg_errf(err, errlen,
                    "origin %s: certificate rejected: chain sent in the wrong order (certificate "
                    "%d is not the issuer of certificate %d)",
                    domain, i + 1, i);
            return -1;
        }
    return 0;
}

static int is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int tls_handshake(eg_origin_pool_t *p, eg_origin_conn_t *c, const eg_origin_target_t *t,
                         long long deadline, char *err, size_t errlen)
{
    SSL_CTX *ctx;
    X509_VERIFY_PARAM *vp;
    const char *sni = t->alt_name && *t->alt_name ? t->alt_name : t->domain;
    int mask = t->ssl_protocols & 15;

    if (eg_origin_tls_check_protocols(mask, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&p->lock);
    if (p->ctx[mask] == NULL)
        p->ctx[mask] = make_ctx(p, mask, err, errlen);
    ctx = p->ctx[mask];
    pthread_mutex_unlock(&p->lock);
    if (ctx == NULL)
        return -1;
    c->ssl = SSL_new(ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
        eg_errf(err, errlen, "TLS: cannot create a session");
        return -1;
    }
    if (!is_ip(sni))
        SSL_set_tlsext_host_name(c->ssl, sni);
    vp = SSL_get0_param(c->ssl);
    if (t->alt_name && *t->alt_name && !is_ip(t->alt_name)) {
        /* the request is for the forwarded Host: the certificate may name it or the origin
         * domain. OpenSSL ANDs an address check with the name checks, so an origin given as an
         * address adds no check of its own here. */
        X509_VERIFY_PARAM_set1_host(vp, t->alt_name, 0);
        if (!is_ip(t->domain))
            X509_VERIFY_PARAM_add1_host(vp, t->domain, 0);
    } else if (is_ip(t->domain)) {
        X509_VERIFY_PARAM_set1_ip_asc(vp, t->domain);
    } else {
        X509_VERIFY_PARAM_set1_host(vp, t->domain, 0);
    }
    for (;;) {
        int r = SSL_connect(c->ssl), e;
        if (r == 1)
            break;
        e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (eg_wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) < 0) {
                eg_errf(err, errlen, "origin %s: TLS handshake timed out", t->domain);
                return -2;
            }
            continue;
        }
        {
            long vr = SSL_get_verify_result(c->ssl);
            unsigned long ee = ERR_get_error();
            if (vr != X509_V_OK)
                eg_errf(err, errlen, "origin %s: certificate rejected: %s", t->domain,
                        X509_verify_cert_error_string(vr));
            else
                eg_errf(err, errlen, "origin %s: TLS handshake failed: %s", t->domain,
                        ee ? ERR_reason_error_string(ee) : "connection closed");
            ERR_clear_error();
        }
        return -1;
    }
    if (SSL_get_verify_result(c->ssl) != X509_V_OK) { /* cannot happen with VERIFY_PEER */
        eg_errf(err, errlen, "origin %s: certificate not verified", t->domain);
        return -1;
    }
    return chain_in_order(c->ssl, t->domain, err, errlen);
}

static void conn_key(const eg_origin_target_t *t, char *buf, size_t len)
{
    snprintf(buf, len, "%s|%s|%d|%d|%s", t->https ? "https" : "http", t->domain, t->port,
             t->https ? t->ssl_protocols : 0, t->https && t->alt_name ? t->alt_name : "");
}

/* An idle connection is usable when nothing is waiting to be read: data or EOF there means
 * the origin closed it or broke the protocol. */
static int idle_alive(eg_origin_conn_t *c)
{
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    return poll(&pfd, 1, 0) == 0;
}

eg_origin_conn_t *eg_origin_get(eg_origin_pool_t *p, const eg_origin_target_t *t, int *status,
                                char *err, size_t errlen)
{
    char key[sizeof(((eg_origin_conn_t *)0)->key)];
    eg_origin_conn_t *c, **pp, *stale = NULL;
    time_t now = time(NULL);
    long long deadline = eg_now_ms() + t->connect_timeout_ms;
    int r;

    conn_key(t, key, sizeof(key));
    pthread_mutex_lock(&p->lock);
    c = NULL;
    for (pp = &p->idle; !t->fresh && (c = *pp) != NULL;) {
        if (now - c->idle_since >= c->keepalive_timeout) {
            *pp = c->next; /* expired: collect and close outside the lock */
            c->next = stale;
            stale = c;
            p->n_idle--;
            continue;
        }
        if (strcmp(c->key, key) == 0) {
            *pp = c->next;
            p->n_idle--;
            if (idle_alive(c))
                break;
            c->next = stale;
            stale = c;
            c = NULL;
            continue;
        }
        pp = &c->next;
    }
    pthread_mutex_unlock(&p->lock);
    while (stale) {
        eg_origin_conn_t *n = stale->next;
        conn_close(stale);
        stale = n;
    }
    if (c) {
        c->reused = 1;
        c->next = NULL;
        return c;
    }

    c = eg_calloc(1, sizeof(*c));
    c->fd = -1;
    snprintf(c->key, sizeof(c->key), "%s", key);
    c->keepalive_timeout = t->keepalive_timeout > 0 ? t->keepalive_timeout : 5;
    c->fd = tcp_connect(p, t, deadline, status, err, errlen);
    if (c->fd < 0)
        goto fail;
    if (t->https && (r = tls_handshake(p, c, t, deadline, err, errlen)) < 0) {
        *status = r == -2 ? 504 : 502;
        goto fail;
    }
    return c;
fail:
    conn_close(c);
    return NULL;
}

int eg_origin_conn_reused(const eg_origin_conn_t *c)
{
    return c->reused;
}

int eg_origin_write(eg_origin_conn_t *c, const void *buf, size_t len, int timeout_ms)
{
    const char *p = buf;
    long long deadline = eg_now_ms() + timeout_ms;
    while (len > 0) {
        if (c->ssl) {
            size_t n = 0;
            int r = SSL_write_ex(c->ssl, p, len, &n), e;
            if (r == 1) {
                p += n;
                len -= n;
                continue;
            }
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                if (eg_wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) < 0)
                    return -1;
                continue;
            }
            ERR_clear_error();
            errno = EPIPE;
            return -1;
        } else {
            ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
            if (n > 0) {
                p += n;
                len -= (size_t)n;
            } else if (n < 0 && errno == EAGAIN) {
                if (eg_wait_fd(c->fd, POLLOUT, deadline) < 0)
                    return -1;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                return -1;
            }
        }
    }
    return 0;
}

/* The peer closed TCP without close_notify. OpenSSL 3 reports it as an SSL error with its own
 * reason; 1.1.1 as SSL_ERROR_SYSCALL with nothing queued and errno 0. */
static int tls_eof_unexpected(int e)
{
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
    if (e == SSL_ERROR_SSL &&
        ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return 1;
#endif
    return e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0;
}

ssize_t eg_origin_read(eg_origin_conn_t *c, void *buf, size_t len, int timeout_ms)
{
    long long deadline = eg_now_ms() + timeout_ms;
    for (;;) {
        if (c->ssl) {
            size_t n = 0;
            int r, e;
            errno = 0; /* SSL_ERROR_SYSCALL with errno 0 is how a TCP EOF shows */
            r = SSL_read_ex(c->ssl, buf, len, &n);
            if (r == 1)
                return (ssize_t)n;
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0; /* close_notify: the origin meant to end here */
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (eg_wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) < 0)
                    return -1;
                continue;
            }
            if (tls_eof_unexpected(e)) {
                /* still an end of stream for callers that only need one (a head never
                 * started); a body read to the close asks eg_origin_eof_truncated */
                ERR_clear_error();
                c->truncated = 1;
                return 0;
            }
            ERR_clear_error();
            errno = ECONNRESET; /* includes a refused renegotiation */
            return -1;
        } else {
            ssize_t n = recv(c->fd, buf, len, 0);
            if (n >= 0)
                return n;
            if (errno == EAGAIN) {
                if (eg_wait_fd(c->fd, POLLIN, deadline) < 0)
                    return -1;
                continue;
            }
            if (errno != EINTR)
                return -1;
        }
    }
}

int eg_origin_eof_truncated(const eg_origin_conn_t *c)
{
    return c->truncated;
}

void eg_origin_put(eg_origin_pool_t *p, eg_origin_conn_t *c, int reusable)
{
    eg_origin_conn_t *evict = NULL;
    if (c == NULL)
        return;
    if (!reusable) {
        conn_close(c);
        return;
    }
    c->idle_since = time(NULL);
    c->reused = 0;
    pthread_mutex_lock(&p->lock);
    c->next = p->idle;
    p->idle = c;
    if (++p->n_idle > POOL_MAX_IDLE) {
        /* drop the least recently used, at the tail */
        eg_origin_conn_t **pp = &p->idle;
        while ((*pp)->next)
            pp = &(*pp)->next;
        evict = *pp;
        *pp = NULL;
        p->n_idle--;
    }
    pthread_mutex_unlock(&p->lock);
    conn_close(evict);
}
