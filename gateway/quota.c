/* Per-key counts (see quota.h): a hash table of the keys that hold something, under one
 * mutex; a key is forgotten when its count is back to 0. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/common.h"
#include "edgegate/quota.h"

#define QUOTA_BUCKETS 256
#define QUOTA_KEY_MAX 64

typedef struct entry {
    struct entry *next;
    int count;
    char key[QUOTA_KEY_MAX];
} entry_t;

struct eg_quota {
    pthread_mutex_t lock;
    int limit;
    entry_t *buckets[QUOTA_BUCKETS];
};

static unsigned bucket(const char *key)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % QUOTA_BUCKETS;
}

/* The entry for key, or where it would be linked; under the lock. */
static entry_t **find(eg_quota_t *q, const char *key)
{
    entry_t **e = &q->buckets[bucket(key)];
    while (*e && strncmp((*e)->key, key, QUOTA_KEY_MAX - 1) != 0)
        e = &(*e)->next;
    return e;
}

eg_quota_t *eg_quota_new(int limit)
{
    eg_quota_t *q = eg_calloc(1, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    q->limit = limit;
    return q;
}

int eg_quota_take(eg_quota_t *q, const char *key)
{
    entry_t **e;
    int rc = 0;
    if (q->limit < 1)
        return 0;
    pthread_mutex_lock(&q->lock);
    e = find(q, key);
    if (*e == NULL) {
        *e = eg_calloc(1, sizeof(**e));
        snprintf((*e)->key, sizeof((*e)->key), "%s", key);
    }
    if ((*e)->count >= q->limit)
        rc = -1;
    else
        (*e)->count++;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void eg_quota_give(eg_quota_t *q, const char *key)
{
    entry_t **e, *gone;
    if (q->limit < 1)
        return;
    pthread_mutex_lock(&q->lock);
    e = find(q, key);
    if (*e && --(*e)->count <= 0) {
        gone = *e;
        *e = gone->next;
        free(gone);
    }
    pthread_mutex_unlock(&q->lock);
}

int eg_quota_held(eg_quota_t *q, const char *key)
{
    entry_t **e;
    int n;
    pthread_mutex_lock(&q->lock);
    e = find(q, key);
    n = *e ? (*e)->count : 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void eg_quota_free(eg_quota_t *q)
{
    if (q == NULL)
        return;
    for (int i = 0; i < QUOTA_BUCKETS; i++)
        while (q->buckets[i]) {
            entry_t *e = q->buckets[i];
            q->buckets[i] = e->next;
            free(e);
        }
    pthread_mutex_destroy(&q->lock);
    free(q);
}
