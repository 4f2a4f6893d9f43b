/* Counts per key with a bound: how many jobs each viewer address holds, so that one address
 * cannot take every job thread (slow uploads, a stalled origin it chose) and leave the
 * others nothing but 503. */
#ifndef EDGEGATE_QUOTA_H
#define EDGEGATE_QUOTA_H

typedef struct eg_quota eg_quota_t;

/* limit < 1: no bound (take always succeeds, nothing is counted). */
eg_quota_t *eg_quota_new(int limit);
/* 0 when key holds fewer than the limit (its count goes up), -1 when it holds them all. */
int eg_quota_take(eg_quota_t *q, const char *key);
/* Gives back one that take counted. */
void eg_quota_give(eg_quota_t *q, const char *key);
/* What key holds now. */
int eg_quota_held(eg_quota_t *q, const char *key);
void eg_quota_free(eg_quota_t *q);

#endif
