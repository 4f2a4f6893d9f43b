/* The policy decision: which distribution and cache behavior a viewer request falls under,
 * what the viewer protocol policy answers (301/307/403), and otherwise which origin to ask
 * and how. Pure functions over an eg_config_t; the policy worker (edgegate-policy) calls them
 * for every FastCGI request and writes the answer with eg_policy_write_answer, whose
 * X-Eg-* headers the front reads back with eg_route_parse (route.h). */
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
} eg_policy_decision_t;

void eg_policy_decide(const eg_config_t *c, const eg_policy_req_t *r, eg_policy_decision_t *d);
/* The https:// URL a redirect points at; -1 when it does not fit. */
int eg_policy_location(const eg_policy_req_t *r, char *buf, size_t len);
/* The host name part of a Host header ("a.b:8080" -> "a.b", "[::1]:80" -> "[::1]"); 0 when
 * the header is not a host name. */
size_t eg_policy_host_name(const char *host, const char **name);
/* Writes the CGI answer (Status, headers, body) the worker sends back over FastCGI. */
void eg_policy_write_answer(eg_buf_t *out, long long config_version, const eg_policy_req_t *r,
                            const eg_policy_decision_t *d);

#endif
