/* Whether an origin's response may be stored, and for how long: RFC 9111's freshness and age
 * arithmetic (Cache-Control, Surrogate-Control, Expires, Date, Age), then CloudFront's TTL
 * rules on top (minimum, default and maximum TTL; error caching). The front calls it on every
 * response it may store and on every 304 that refreshes a stored one; pure, no clock inside. */
#ifndef EDGEGATE_FRESHNESS_H
#define EDGEGATE_FRESHNESS_H

#include <time.h>

#include "edgegate/http.h"

/* The largest delta-seconds edgegate represents (RFC 9111 1.2.2). */
#define EG_FRESH_INFINITY 2147483648L

/* The surrogate target edgegate answers to in Surrogate-Control ("max-age=60;edgegate") and
 * announces in Surrogate-Capability. */
#define EG_FRESH_TARGET "edgegate"

typedef struct {
    int min_ttl, default_ttl, max_ttl; /* the behavior's TTLs (CloudFront), seconds */
    int error_min_ttl;    /* the distribution's error caching minimum TTL (CloudFront), seconds */
    int authorized;       /* the request carried Authorization to the origin (RFC 9111 3.5) */
    int unkeyed;          /* the behavior forwards viewer fields it does not key (origin request
                           * policy): no-store, no-cache and private hold for every status then */
    time_t request_time;  /* wall clock when the request was sent to the origin */
    time_t response_time; /* wall clock when the response head arrived */
} eg_fresh_policy_t;

typedef struct {
    long ttl;       /* seconds it stays fresh from response_time on; <= 0: stale at once */
    long age;       /* its corrected initial age (RFC 9111 4.2.3), seconds */
    long swr;       /* stale-while-revalidate window after it goes stale, seconds (0: none) */
    long sie;       /* stale-if-error window after it goes stale, seconds; -1: none given */
    int revalidate; /* never served stale: must-revalidate, proxy-revalidate, s-maxage */
} eg_fresh_t;

/* 1 when h may be stored (f says for how long, and how it ages), 0 when not: no-store
 * (Cache-Control or Surrogate-Control), private (whatever Surrogate-Control says), Set-Cookie, an
 * Authorization the response does not allow to share, a status not stored, or stale at once without
 * a validator to revalidate it with. Vary is the caller's (it knows which request headers are
 * forwarded). */
int eg_fresh_judge(const eg_http_head_t *h, const eg_fresh_policy_t *p, eg_fresh_t *f);

/* An HTTP-date in any of the three forms recipients must accept (RFC 9110 5.6.7), or -1. */
time_t eg_fresh_parse_date(const char *s, size_t len);

/* 1 when any Cache-Control element of h is the directive name (bare or with a value). */
int eg_fresh_cc_has(const eg_http_head_t *h, const char *name);

#endif
