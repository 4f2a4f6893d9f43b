/* The front: libmicrohttpd listeners for viewers (HTTP and HTTPS), asking policy workers for
 * routes, fetching from origins and answering. eg_front_t is the daemon struct: the one place
 * that holds mutable state shared between requests. front_main.c builds it from the options
 * table; front_request.c, front_proxy.c and front_deliver.c serve requests; front_watch.c follows
 * the database; front_admin.c serves the admin console on a listener of its own. */
#ifndef EDGEGATE_FRONT_H
#define EDGEGATE_FRONT_H

#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>

#include "edgegate/db.h"
#include "edgegate/origin.h"
#include "edgegate/policy_client.h"
#include "edgegate/route.h"

struct MHD_Daemon;
struct eg_cache;
struct eg_front_guard;
struct eg_pool;

typedef struct {
    char *db;
    char *http;  /* ADDR:PORT, or "off" */
    char *https; /* ADDR:PORT, or "off" */
    char *cert, *key;
    char *origin_ca;
    int workers;
    char *policy_socket;
    char *policy_bin;
    int policy_timeout;
    int public_https_port;
    char **resolve; /* "host:addr" entries; owned */
    size_t n_resolve;
    long long cache_size;
    char *run_dir;
    int route_cache;
    int threads;
    int job_threads; /* the bound of the job pool (pool.c) */
    int max_jobs_per_ip; /* jobs one viewer address may hold at once; 0: no bound */
    /* --viewer-security-policy: CloudFront's policy name and the GnuTLS priority string it
     * maps to; both borrowed from front_opts.c's static table */
    const char *viewer_policy;
    const char *viewer_priorities;
    /* connection limits, per listener (front_listen.c) */
    int max_connections;        /* libmicrohttpd's MHD_OPTION_CONNECTION_LIMIT */
    int max_connections_per_ip; /* 0: no limit */
    int header_timeout;         /* seconds from accept (or the last response) to a whole head */
    int idle_timeout;           /* seconds without a byte either way */
    /* the admin console's listener and workers (front_admin.c) */
    char *admin;     /* ADDR:PORT, or "off" */
    int admin_workers;
    char *admin_bin; /* the worker program; NULL until front_main.c finds the default */
    int admin_tls;   /* HTTPS with --cert and --key */
    int admin_timeout; /* seconds for a worker's answer */
    /* GnuTLS priorities of the admin listener: TLSv1.2_2021's whatever the viewers get;
     * borrowed from front_opts.c's static table */
    const char *admin_priorities;
} eg_front_opts_t;

typedef struct eg_listener {
    struct eg_front *front; /* borrowed */
    int https;
    int port;
    char addr[64];
    struct MHD_Daemon *mhd;
} eg_listener_t;

typedef struct eg_front {
    eg_front_opts_t opt;
    eg_listener_t http, https;
    char *cert_pem, *key_pem; /* owned, for libmicrohttpd */
    eg_policy_pool_t *policy;
    eg_route_cache_t *routes;
    eg_origin_pool_t *origins;
    struct eg_cache *cache;
    eg_db_t *db; /* the watcher's connection */
    pthread_t watcher;
    int stop; /* atomic */
    unsigned long long boot_id;
    unsigned long long requests; /* atomic counter for request ids */
    int jobs; /* atomic: requests that started a job and are not freed yet */
    int refreshes; /* atomic: background refreshes running (front_refresh.c) */
    struct eg_pool *pool; /* the job threads; owned */
    struct eg_quota *job_quota; /* jobs held per viewer address (quota.c); owned */
    long long pool_full_logged; /* atomic: ms (monotonic) a full pool was last logged */
    char run_dir[256];
    int own_run_dir;
    /* front_guard.c: the open connections, the thread that enforces --header-timeout and
     * closes what libmicrohttpd lost track of, and the refusal counters; owned */
    struct eg_front_guard *guard;
    /* front_admin.c: the admin console's listener (thread per connection) and its workers,
     * shared with nothing the viewers use; mhd NULL and admin_pool NULL when --admin off */
    eg_listener_t admin;
    eg_policy_pool_t *admin_pool; /* owned */
    int admin_requests;           /* atomic: admin requests from their head to their end */
} eg_front_t;

/* The admin listener's bounds (front_admin.c): connections at once, and from one address. */
#define EG_ADMIN_MAX_CONNECTIONS 32
#define EG_ADMIN_MAX_CONNECTIONS_PER_IP 16

/* Parses argv into o; 0 to go on, 1 when --help/--version was answered, -1 on bad input. */
int eg_front_opts_parse(eg_front_opts_t *o, int argc, char **argv);
void eg_front_opts_free(eg_front_opts_t *o);

/* The connection guard (front_guard.c): started before the listeners, stopped after
 * eg_front_stop has ended them. */
int eg_front_guard_start(eg_front_t *f, char *err, size_t errlen);
void eg_front_guard_stop(eg_front_t *f);
int eg_front_listen(eg_front_t *f, eg_listener_t *l, char *err, size_t errlen);
/* ADDR:PORT or [ADDR6]:PORT ("localhost" is 127.0.0.1) into ss, port and host; -1 when it is
 * not that. */
int eg_front_addr_parse(const char *spec, struct sockaddr_storage *ss, int *port, char *host,
                        size_t hostlen);
/* The admin console (front_admin.c): its workers and its listener, after the viewers'; stopped
 * after eg_front_stop, once the admin requests in flight are answered (--admin-timeout at
 * most). eg_front_unlisten(&f->admin) stops it accepting. */
int eg_front_admin_start(eg_front_t *f, char *err, size_t errlen);
void eg_front_admin_stop(eg_front_t *f);
/* 1 when libmicrohttpd 0.9.75 kept field name/value where it read them (not joined from
 * folded lines, obs-fold); front_request.c. */
int eg_front_field_in_place(const char *name, const char *value);
/* Stops accepting; eg_front_stop then ends the listeners once running requests let go. */
void eg_front_unlisten(eg_listener_t *l);
/* -1 when requests still run: then shared state must be left as it is. */
int eg_front_stop(eg_front_t *f);

#ifdef MHD_VERSION
/* front_listen.c: the three HTTPS options of a listener (the front's key and certificate,
 * the GnuTLS priorities) at ops[*n], which must have room for them. */
void eg_front_tls_options(const eg_front_t *f, struct MHD_OptionItem *ops, size_t *n,
                          const char *priorities);
/* front_request.c: libmicrohttpd's callbacks, for front_listen.c */
enum MHD_Result eg_front_handle(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version,
                                const char *upload_data, size_t *upload_size, void **con_cls);
void *eg_front_uri_logger(void *cls, const char *uri, struct MHD_Connection *c);
void eg_front_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe);
/* front_guard.c: libmicrohttpd's connection notices; a connection that starts (1) or ends (0)
 * waiting for a request head; what libmicrohttpd said it refused. */
void eg_front_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                           enum MHD_ConnectionNotificationCode code);
void eg_front_guard_head(eg_listener_t *l, struct MHD_Connection *c, int in_head);
typedef enum { EG_GUARD_REFUSED, EG_GUARD_NO_FDS, EG_GUARD_ABORTED } eg_guard_note_t;
void eg_front_guard_note(eg_listener_t *l, eg_guard_note_t what);
#endif

int eg_front_watch_start(eg_front_t *f, char *err, size_t errlen);
void eg_front_watch_stop(eg_front_t *f);

#endif
