/* The request target, normalized before anything looks at it: behaviors are matched on, the
 * cache is keyed on, invalidations match and origins receive the same normalized path, so
 * a path spelled another way cannot slip past a behavior. The front calls eg_uri_parse for
 * every request; egctl normalizes patterns and invalidation paths with eg_uri_normalize_path.
 * Rules (RFC 3986 §6.2.2, as CloudFront, and as the origins serve files): escapes of
 * unreserved characters, sub-delims, ':' and '@' decoded, other escapes upper case, dot segments removed (encoded ones too), repeated slashes merged; refused: %2F, %5C,
 * %00 and other control escapes, a bad escape, '\', control bytes, '..' above the root. */
#ifndef EDGEGATE_URI_H
#define EDGEGATE_URI_H

#include <stddef.h>

#define EG_URI_MAX 8192 /* longest normalized target kept (path and query) */

typedef struct {
    char *path;         /* normalized, starts with '/'; owned */
    size_t path_len;
    char *query;        /* as sent, without '?'; NULL when the target has none; owned */
    char authority[256]; /* absolute-form's host[:port], lower case; "" otherwise */
    int asterisk;       /* the target was "*" (OPTIONS only); path is then "*" */
} eg_uri_t;

/* Parses a request target (origin-form, absolute-form with http/https, or "*" for OPTIONS).
 * Returns 0, or the status to refuse with (400, 414) with a one-line reason; u is then
 * empty and needs no eg_uri_free. */
int eg_uri_parse(const char *target, size_t len, const char *method, eg_uri_t *u,
                 const char **reason);
void eg_uri_free(eg_uri_t *u);

/* A URI reference from a response's Location or Content-Location (RFC 9111 section 4.4),
 * resolved against the request's normalized target base (RFC 3986 section 5.2, the fragment
 * dropped) and normalized as a request target is, into u (eg_uri_free it). -1 with the reason
 * when it names another host (an absolute or network-path reference whose authority is not
 * host, case aside; host NULL matches none), a scheme other than http and https, or fails
 * eg_uri_parse (u is then empty). */
int eg_uri_resolve(const char *ref, size_t len, const char *host, const eg_uri_t *base,
                   eg_uri_t *u, const char **reason);

/* Normalizes a path (no query) into out. glob = 1 for path patterns: '*' and '?' are
 * ordinary characters then (and '?' does not start a query). 0, or -1 with the reason. */
int eg_uri_normalize_path(const char *in, size_t len, int glob, char *out, size_t outlen,
                          const char **reason);

#endif
