/* What of a viewer's request reaches the origin, and what of it keys the cache: CloudFront's
 * cache policy (headers and cookies that are keyed and forwarded) and origin request policy
 * (forwarded, not keyed), with its safe defaults: nothing extra, no cookies, Authorization
 * only ever keyed. The front calls these for each viewer field while it builds the origin
 * request and the cache key; they are pure so the rules have unit tests of their own. */
#ifndef EDGEGATE_FWD_H
#define EDGEGATE_FWD_H

#include "edgegate/buf.h"

typedef struct {
    const char *cache_headers;  /* "" / "none", or comma-separated names: keyed + forwarded */
    const char *cache_cookies;  /* "none", "all" or comma-separated names */
    const char *origin_headers; /* "none", "all-viewer" or names: forwarded, not keyed */
    const char *origin_cookies; /* "none", "all" or names */
} eg_fwd_policy_t;

typedef enum {
    EG_FWD_DROP = 0, /* not sent to the origin */
    EG_FWD_PASS,     /* sent, not part of the key (HTTP's own fields, origin request policy) */
    EG_FWD_KEY,      /* sent and part of the cache key */
    EG_FWD_SPECIAL,  /* the front writes it itself (Host, framing, Cookie, Accept-Encoding...) */
} eg_fwd_class_t;

/* How a viewer header is treated. Conditional and range fields and a body's type pass
 * always (the cache drops the conditionals itself when it fills). */
eg_fwd_class_t eg_fwd_header(const eg_fwd_policy_t *p, const char *name);

/* 1 for the conditional and range fields (If-*, Range): a cache filling an entry drops the
 * viewer's, as it answers them itself. */
int eg_fwd_conditional(const char *name);

/* Splits a viewer's Cookie value: the cookies to send go to fwd ("a=1; b=2"), the keyed ones
 * to key (in the policy's order for a name list, as sent for "all"). */
void eg_fwd_cookies(const eg_fwd_policy_t *p, const char *cookie, eg_buf_t *fwd, eg_buf_t *key);

/* Accept-Encoding normalized as CloudFront does: "br,gzip", "gzip", "br" or "" (identity),
 * honouring q=0. */
const char *eg_fwd_accept_encoding(const char *value);

#endif
