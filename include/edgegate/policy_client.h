/* The front's side of the FastCGI exchange with its workers: spawning and supervising worker
 * processes (one Unix socket each), a pool of kept-alive connections (one per worker, so a
 * kept connection never starves another), and the request/answer exchange, read by one
 * thread for all (see policy_client.c). The front keeps two pools: edgegate-policy workers,
 * asked for every request whose route it does not remember, and the admin console's workers,
 * to which the admin listener (front_admin.c) hands whole requests. */
#ifndef EDGEGATE_POLICY_CLIENT_H
#define EDGEGATE_POLICY_CLIENT_H

#include <stddef.h>

#include "edgegate/buf.h"
#include "edgegate/route.h"

/* What a policy answer may hold, the default of max_answer */
#define EG_POLICY_MAX_ANSWER (256 * 1024)

typedef struct {
    const char *name;          /* "policy" (NULL) or "admin": sockets' prefix, log label; borrowed */
    const char *worker_bin;    /* the worker program to spawn; borrowed */
    const char *db_path;       /* passed to spawned workers; borrowed */
    const char *run_dir;       /* where spawned workers' sockets live (NAME-K.sock); borrowed */
    const char *socket_path;   /* external workers instead of spawning; borrowed */
    int workers;               /* spawned workers, or connections to socket_path */
    int timeout_ms;            /* for one round trip, from the question to the whole answer */
    int queue_ms;              /* how long of that a question may wait for a free worker (0: all) */
    size_t max_answer;         /* STDOUT bytes one answer may hold (0: EG_POLICY_MAX_ANSWER) */
} eg_policy_opts_t;

typedef struct eg_policy_pool eg_policy_pool_t;

typedef struct {
    const char *name; /* borrowed */
    const char *value;
} eg_param_t;

int eg_policy_pool_start(const eg_policy_opts_t *o, eg_policy_pool_t **out, char *err,
                         size_t errlen);
void eg_policy_pool_stop(eg_policy_pool_t *p);
/* Called once per question, from the pool's reader thread (or from eg_policy_ask_async itself
 * when the pool is stopping): a route to keep (a reference), or NULL and why (the viewer gets
 * 502). */
typedef void (*eg_policy_done_fn)(void *arg, eg_route_t *route, const char *err);
/* Asks a worker without waiting: written at once to an idle kept connection, else queued
 * until a worker is free (up to the timeout). */
void eg_policy_ask_async(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                         eg_policy_done_fn fn, void *arg);
/* Asks a worker and waits; 0 with a route, -1 with the reason (the viewer gets 502). */
int eg_policy_ask(eg_policy_pool_t *p, const eg_param_t *params, size_t n, eg_route_t **out,
                  char *err, size_t errlen);
/* Called once per exchange, like eg_policy_done_fn: the worker's STDOUT bytes (the callee may
 * take them, leaving *answer empty), or answer NULL with why, and busy set when the question
 * never reached a worker (none was free in time, or the pool is stopping). */
typedef void (*eg_policy_raw_fn)(void *arg, eg_buf_t *answer, int busy, const char *err);
/* One FastCGI RESPONDER exchange: params and the request body as STDIN (both may be empty),
 * queued as eg_policy_ask_async does; the answer is handed over unparsed. A question that
 * reached a worker is never sent twice (a POST is not idempotent): only one whose first byte
 * the kernel refused on a kept connection is asked again on a new one. */
void eg_policy_exchange_async(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                              const void *stdin_data, size_t stdin_len, eg_policy_raw_fn fn,
                              void *arg);
/* The same, waiting: 0 with the worker's STDOUT in *answer (owned by the caller), -1 when the
 * worker failed (closed, hung past the timeout, answered garbage or too much), -2 when no
 * worker was free in time or the pool is stopping; err says why. */
int eg_policy_exchange(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                       const void *stdin_data, size_t stdin_len, eg_buf_t *answer, char *err,
                       size_t errlen);
/* Pids of the running spawned workers (for tests and logs); returns the count. */
size_t eg_policy_pids(eg_policy_pool_t *p, int *pids, size_t max);

#endif
