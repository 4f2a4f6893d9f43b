/* What of a viewer's request reaches the origin, and what of it keys the cache: CloudFront's
 * cache policy (headers and cookies that are keyed and forwarded) and origin request policy
 * (forwarded, not keyed), with its safe defaults: nothing extra, no cookies, Authorization
 * only ever keyed. The front calls these for each viewer field while it builds the origin
 * request and the cache key; they are pure so the rules have unit tests of their own. */
#ifndef EDGEGATE_FWD_H
#define EDGEGATE_FWD_H

#include "edgegate/buf.h"
#include "edgegate/route.h"

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

/* What edgegate adds to Via, toward the origin and toward the viewer. */
#define EG_VIA "1.1 edgegate"

/* One header field as the viewer sent it. */
typedef struct {
    const char *name, *value;
} eg_fwd_field_t;

/* What the origin request and the cache key are built from, besides the route. */
typedef struct {
    const char *method;
    const char *path;  /* normalized (uri.c) */
    const char *query; /* NULL when none */
    const char *host;  /* the viewer's Host (or absolute-form authority); NULL when none */
    const char *client_ip;
    int https; /* the viewer's scheme */
    const eg_fwd_field_t *fields; /* the viewer's header fields, in the order sent */
    size_t n_fields;
} eg_fwd_viewer_t;

/* The first field named name (case-insensitive), or NULL. */
const char *eg_fwd_field(const eg_fwd_viewer_t *v, const char *name);

/* The head of the request to the origin: the route's origin path before the normalized
 * target (with the query when the behavior forwards it), Host as the behavior says, only the
 * fields the policies name or HTTP needs, the cookies the policies forward, X-Forwarded-For,
 * X-Forwarded-Proto and Via, and the body's framing (body: 0 none, else chunked or
 * body_len). for_cache: filling the cache, so the viewer's conditionals stay behind. */
void eg_fwd_head(eg_buf_t *b, const eg_route_t *r, const eg_fwd_viewer_t *v, int for_cache,
                 int body, int chunked, unsigned long long body_len);

/* The cache key: "dist\npath[?query]" (what invalidations match), then all else that reaches
 * the origin and may change its answer: the method's class (HEAD shares GET's), the
 * forwarded Host, the normalized Accept-Encoding, the keyed headers and cookies. */
void eg_fwd_cache_key(eg_buf_t *k, const eg_route_t *r, const eg_fwd_viewer_t *v);

/* The request fields a response's Vary names besides Accept-Encoding (which the key holds),
 * lowercase and joined by ',', into names: 1 when there are some, 0 when none, -1 when the
 * response must not be stored: Vary "*", or a field the origin never got from the viewer
 * (not forwarded by the behavior's policies, or written by the front itself). */
int eg_fwd_vary_names(const eg_http_head_t *resp, const eg_route_t *r, eg_buf_t *names);

/* The same for a list of field names already read from Vary (raw: comma-separated), under
 * r's policies as they are now: what a stored object's Vary means after a change. */
int eg_fwd_vary_policy(const eg_route_t *r, const char *raw, eg_buf_t *names);

/* Appends to k what the viewer sent in each of names (from eg_fwd_vary_names): the variant
 * part of a key whose first part is eg_fwd_cache_key's. Each line's value exactly as the
 * origin got it (the parser trims only the whitespace around it), lines in order: "1, 2"
 * and "1" + "2" are two variants, as an origin may read them differently. */
void eg_fwd_vary_key(eg_buf_t *k, const eg_fwd_viewer_t *v, const char *names);

#endif
