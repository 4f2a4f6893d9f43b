/* A bounded pool of threads for work that may wait (policy decisions, origin fetches, cache
 * fills, request bodies going to the origin, responses streaming from it). Threads are made
 * when work needs one and no idle thread is there, up to the bound, and then kept: no thread
 * is created per request once the pool is warm. There is no queue: work that finds every
 * thread busy is refused at once, so the caller can answer 503 instead of letting requests
 * pile up behind a stalled origin. */
#ifndef EDGEGATE_POOL_H
#define EDGEGATE_POOL_H

typedef struct eg_pool eg_pool_t;

typedef void (*eg_pool_fn)(void *arg);

/* NULL when max_threads < 1. */
eg_pool_t *eg_pool_new(int max_threads);
/* Runs fn(arg) on an idle thread (or a new one while under the bound): 0, or -1 with errno
 * EBUSY when every thread is busy, EAGAIN when no thread could be created, ECANCELED once
 * eg_pool_free has begun. */
int eg_pool_run(eg_pool_t *p, eg_pool_fn fn, void *arg);
typedef struct {
    int threads;                /* made so far */
    int busy;                   /* running work now */
    unsigned long long refused; /* times work found every thread busy */
} eg_pool_stats_t;

void eg_pool_stats(eg_pool_t *p, eg_pool_stats_t *st);
/* Waits for running work to end, then ends the threads and frees the pool. */
void eg_pool_free(eg_pool_t *p);

#endif
