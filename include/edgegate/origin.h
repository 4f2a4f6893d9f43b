/* Connections to origins: DNS (with --resolve overrides), connect with a timeout, TLS with
 * CloudFront's certificate rules (trusted chain, sent in order, name matching the origin
 * domain or the forwarded Host, no renegotiation), and a keep-alive pool per origin.
 * The HTTP exchange over these connections lives in fetch.h. */
#ifndef EDGEGATE_ORIGIN_H
#define EDGEGATE_ORIGIN_H

#include <stddef.h>
#include <sys/types.h>

typedef struct eg_origin_pool eg_origin_pool_t;
typedef struct eg_origin_conn eg_origin_conn_t;

typedef struct {
    const char *ca_file;  /* trust store instead of the system's; borrowed */
    char **resolve;       /* "host:addr" overrides; borrowed */
    size_t n_resolve;
} eg_origin_pool_opts_t;

/* What to connect to; all borrowed. */
typedef struct {
    const char *domain;
    int port;
    int https;
    int ssl_protocols;       /* EG_SSL_* bits */
    const char *alt_name;    /* forwarded Host name the certificate may match instead, or NULL */
    int connect_timeout_ms;
    int keepalive_timeout;   /* seconds an idle connection is kept */
    int fresh;               /* skip the pool: a retry after a pooled connection failed */
} eg_origin_target_t;

int eg_origin_pool_new(const eg_origin_pool_opts_t *o, eg_origin_pool_t **out, char *err,
                       size_t errlen);
void eg_origin_pool_free(eg_origin_pool_t *p);

/* Checks that this OpenSSL can offer at least one of the protocols in mask (and all of them
 * it is asked for); -1 with the reason. egctl calls it at configuration time. */
int eg_origin_tls_check_protocols(int mask, char *err, size_t errlen);

/* A pooled connection when one is idle and alive, else a new one. On failure returns NULL
 * with *status 502 (refused, DNS, TLS/certificate) or 504 (timed out) and the reason. */
eg_origin_conn_t *eg_origin_get(eg_origin_pool_t *p, const eg_origin_target_t *t, int *status,
                                char *err, size_t errlen);
/* 1 when the connection came from the pool (it may have been closed under us). */
int eg_origin_conn_reused(const eg_origin_conn_t *c);
/* Writes everything or fails; -1 with errno (ETIMEDOUT on timeout). */
int eg_origin_write(eg_origin_conn_t *c, const void *buf, size_t len, int timeout_ms);
/* Reads some bytes; 0 at EOF, -1 with errno (ETIMEDOUT on timeout). Over TLS an EOF without
 * close_notify is also 0, and eg_origin_eof_truncated tells it apart. */
ssize_t eg_origin_read(eg_origin_conn_t *c, void *buf, size_t len, int timeout_ms);
/* 1 when the EOF eg_origin_read reported was a TLS connection closed without close_notify:
 * whatever was being read to the close may have been cut short. Never for plain HTTP. */
int eg_origin_eof_truncated(const eg_origin_conn_t *c);
/* Back to the pool when reusable, else closed. */
void eg_origin_put(eg_origin_pool_t *p, eg_origin_conn_t *c, int reusable);

#endif
