/* The bounded thread pool (see pool.h). Each thread has a slot of its own: work is handed to
 * one idle thread directly and that thread alone is woken. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "edgegate/common.h"
#include "edgegate/pool.h"

typedef struct slot {
    struct slot *next_idle;
    eg_pool_t *pool;
    pthread_cond_t wake;
    eg_pool_fn fn; /* the work handed over; NULL while idle */
    void *arg;
} slot_t;

struct eg_pool {
    pthread_mutex_t lock;
    pthread_cond_t done; /* a thread became idle or ended: eg_pool_free waits on it */
    int max, n_threads, n_busy, stopping;
    unsigned long long refused;
    slot_t *idle; /* threads waiting for work */
    slot_t **all; /* every slot, for eg_pool_free; max entries */
    pthread_t *tids;
};

static void *pool_thread(void *v)
{
    slot_t *s = v;
    eg_pool_t *p = s->pool;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (s->fn == NULL && !p->stopping)
            pthread_cond_wait(&s->wake, &p->lock);
        if (s->fn == NULL) /* stopping, and nothing handed over */
            break;
        pthread_mutex_unlock(&p->lock);
        s->fn(s->arg);
        pthread_mutex_lock(&p->lock);
        s->fn = NULL;
        s->arg = NULL;
        p->n_busy--;
        s->next_idle = p->idle;
        p->idle = s;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

eg_pool_t *eg_pool_new(int max_threads)
{
    eg_pool_t *p;
    if (max_threads < 1)
        return NULL;
    p = eg_calloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->done, NULL);
    p->max = max_threads;
    p->all = eg_calloc((size_t)max_threads, sizeof(*p->all));
    p->tids = eg_calloc((size_t)max_threads, sizeof(*p->tids));
    return p;
}

/* A new thread, handed fn at once; called with the lock held. */
static int pool_grow(eg_pool_t *p, eg_pool_fn fn, void *arg)
{
    slot_t *s = eg_calloc(1, sizeof(*s));
    pthread_attr_t a;
    int rc;
    s->pool = p;
    s->fn = fn;
    s->arg = arg;
    pthread_cond_init(&s->wake, NULL);
    pthread_attr_init(&a);
    /* work keeps its buffers on the heap or in 64 KiB arrays: 512 KiB leaves room for
     * OpenSSL and the sanitizers, and a thousand threads reserve 512 MiB, not 8 GiB */
    pthread_attr_setstacksize(&a, 512 * 1024);
    rc = pthread_create(&p->tids[p->n_threads], &a, pool_thread, s);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        pthread_cond_destroy(&s->wake);
        free(s);
        errno = EAGAIN;
        return -1;
    }
    p->all[p->n_threads++] = s;
    p->n_busy++;
    return 0;
}

int eg_pool_run(eg_pool_t *p, eg_pool_fn fn, void *arg)
{
    slot_t *s;
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        errno = ECANCELED;
        rc = -1;
    } else if ((s = p->idle) != NULL) {
        p->idle = s->next_idle;
        s->next_idle = NULL;
        s->fn = fn;
        s->arg = arg;
        p->n_busy++;
        pthread_cond_signal(&s->wake);
    } else if (p->n_threads < p->max) {
        rc = pool_grow(p, fn, arg);
    } else {
        p->refused++;
        errno = EBUSY;
        rc = -1;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void eg_pool_stats(eg_pool_t *p, eg_pool_stats_t *st)
{
    pthread_mutex_lock(&p->lock);
    st->threads = p->n_threads;
    st->busy = p->n_busy;
    st->refused = p->refused;
    pthread_mutex_unlock(&p->lock);
}

void eg_pool_free(eg_pool_t *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    while (p->n_busy > 0)
        pthread_cond_wait(&p->done, &p->lock);
    for (int i = 0; i < p->n_threads; i++)
        pthread_cond_signal(&p->all[i]->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads; i++) {
        pthread_join(p->tids[i], NULL);
        pthread_cond_destroy(&p->all[i]->wake);
        free(p->all[i]);
    }
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->all);
    free(p->tids);
    free(p);
}
