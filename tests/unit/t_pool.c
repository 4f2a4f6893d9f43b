/* The bounded job pool: threads up to the bound, kept and reused, and a refusal (never a new
 * thread, never a wait) when every one is busy. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "edgegate/pool.h"
#include "tap.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int started, release, finished;
} gate_t;

static void held(void *arg)
{
    gate_t *g = arg;
    pthread_mutex_lock(&g->lock);
    g->started++;
    pthread_cond_broadcast(&g->cond);
    while (!g->release)
        pthread_cond_wait(&g->cond, &g->lock);
    g->finished++;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static void wait_for(gate_t *g, int *field, int n)
{
    pthread_mutex_lock(&g->lock);
    while (*field < n)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

int main(void)
{
    gate_t g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    eg_pool_t *p = eg_pool_new(4);
    eg_pool_stats_t st;
    int rc, e;

    ok(eg_pool_new(0) == NULL, "a pool needs a thread");
    eg_pool_stats(p, &st);
    ok(st.threads == 0, "no thread before there is work");
    for (int i = 0; i < 4; i++)
        is_int(eg_pool_run(p, held, &g), 0, "work %d of 4 starts", i + 1);
    wait_for(&g, &g.started, 4);
    eg_pool_stats(p, &st);
    is_int(st.threads, 4, "four threads for four waits");
    is_int(st.busy, 4, "all four busy");
    rc = eg_pool_run(p, held, &g);
    e = errno;
    ok(rc == -1 && e == EBUSY, "a fifth is refused at once with EBUSY (rc %d errno %d)", rc, e);
    eg_pool_stats(p, &st);
    is_int(st.threads, 4, "no thread past the bound");
    ok(st.refused == 1, "the refusal is counted");

    pthread_mutex_lock(&g.lock);
    g.release = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    wait_for(&g, &g.finished, 4);
    do { /* the threads go back to idle after the work returns */
        usleep(1000);
        eg_pool_stats(p, &st);
    } while (st.busy > 0);
    for (int i = 0; i < 4; i++)
        is_int(eg_pool_run(p, held, &g), 0, "work %d runs on a kept thread", i + 5);
    wait_for(&g, &g.finished, 8);
    eg_pool_stats(p, &st);
    is_int(st.threads, 4, "the threads were reused, none made");
    eg_pool_free(p);
    ok(g.finished == 8, "free waited for the work to end");
    return done();
}
