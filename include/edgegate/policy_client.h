/* The front's side of the FastCGI exchange with policy workers: spawning and supervising
 * edgegate-policy processes (one Unix socket each), a pool of kept-alive connections (one per
 * worker, so a kept connection never starves another), and the request/answer exchange,
 * read by one thread for all (see policy_client.c).
 * Called by the front for every request whose route it does not remember. */
#ifndef EDGEGATE_POLICY_CLIENT_H
#define EDGEGATE_POLICY_CLIENT_H

#include <stddef.h>

#include "edgegate/route.h"

typedef struct {
    const char *worker_bin;    /* edgegate-policy to spawn; borrowed */
    const char *db_path;       /* passed to spawned workers; borrowed */
    const char *run_dir;       /* where spawned workers' sockets live; borrowed */
    const char *socket_path;   /* external workers instead of spawning; borrowed */
    int workers;               /* spawned workers, or connections to socket_path */
    int timeout_ms;            /* for one round trip */
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
/* Pids of the running spawned workers (for tests and logs); returns the count. */
size_t eg_policy_pids(eg_policy_pool_t *p, int *pids, size_t max);

#endif
