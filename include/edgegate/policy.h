/* The policy decision: which distribution and cache behavior a viewer request falls under,
 * what the viewer protocol policy answers (301/307/403), and otherwise which origin to ask
 * and how. Pure functions over an eg_config_t; the policy worker (edgegate-policy) calls them
 * for every FastCGI request and writes the answer with eg_policy_write_answer, whose
 * X-Eg-* headers the front reads back with eg_route_parse (route.h); the decision table
 * (decision.h) drives both. */
#ifndef EDGEGATE_POLICY_H
#define EDGEGATE_POLICY_H

#include <stddef.h>

#include "edgegate/buf.h"
#include "edgegate/config.h"

typedef struct {
    const char *method;      /* borrowed */
    int http10;              /* the viewer spoke HTTP/1.0 (or older) */
    int https;               /* the viewer used HTTPS */
    const char *host;        /* Host header as sent, may carry a port; may be NULL */
    const char *server_name; /* the address the viewer reached, when Host is absent */
    const char *path;        /* raw path, never the query; borrowed */
    size_t path_len;
    const char *query; /* raw query without '?', NULL when none */
    int public_https_port;
} eg_policy_req_t;

typedef struct {
    int status;         /* 0 = forward to the origin, else the final status */
    const char *reason; /* why, for logs and the error page */
    const eg_dist_t *dist;
    const eg_behavior_t *behavior;
    const eg_origin_t *origin;
    int origin_https;
    int origin_port;
    int https_link; /* a refusal for HTTP only: the error page links to the https:// URL */
} eg_policy_decision_t;

void eg_policy_decide(const eg_config_t *c, const eg_policy_req_t *r, eg_policy_decision_t *d);
/* The https:// URL a redirect points at; -1 when it does not fit. Always a valid header
 * value: the host is checked, and in the path and query every byte below 0x21 or above 0x7e
 * and " < > \ ^ ` { | } # is percent-encoded (whatever the worker was given). */
int eg_policy_location(const eg_policy_req_t *r, char *buf, size_t len);
/* The host name part of a Host header ("a.b:8080" -> "a.b", "[::1]:80" -> "[::1]"); 0 when
 * the header is not a host name. */
size_t eg_policy_host_name(const char *host, const char **name);
/* The worker's whole answer to one request: target (REQUEST_URI as received, len bytes) is
 * parsed and normalized first with eg_uri_parse, and refused with a page when it is not
 * valid (the front sends it normalized; a web server running the worker may not), else the
 * decision is made on the normalized path. r->path, r->path_len and r->query are set while
 * the call runs and cleared after. Returns 0, or the refusal status with *why saying why. */
int eg_policy_answer(const eg_config_t *c, eg_policy_req_t *r, const char *target, size_t len,
                     eg_buf_t *out, const char **why);
/* Writes the CGI answer (Status, headers, body) the worker sends back over FastCGI: a
 * redirect, a final status with a small HTML page (text/html; charset=utf-8), or the forward
 * headers. A decision with only status and reason set (no distribution) answers that status,
 * as the worker does for a request target it refuses. */
void eg_policy_write_answer(eg_buf_t *out, long long config_version, const eg_policy_req_t *r,
                            const eg_policy_decision_t *d);

#endif
