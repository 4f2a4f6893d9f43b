/* CGI/1.1 (RFC 3875) for the admin console's FastCGI exchange: the meta-variables the front
 * sends a worker for one request, and the worker's answer checked and cut into what is
 * relayed. Pure: the admin listener (front_admin.c) calls it; tests/unit/t_cgi.c tests it. */
#ifndef EDGEGATE_CGI_H
#define EDGEGATE_CGI_H

#include <stddef.h>

#include "edgegate/http.h"
#include "edgegate/policy_client.h"

typedef struct {
    const char *name, *value; /* borrowed */
} eg_cgi_field_t;

/* One request as the admin listener received it; every pointer borrowed. */
typedef struct {
    const char *method;      /* GET, HEAD or POST */
    const char *target;      /* the request-target as received (eg_cgi_target_check passed) */
    const char *version;     /* HTTP/1.0 or HTTP/1.1 */
    const char *server_name; /* the listener's address */
    int server_port;         /* the listener's port */
    const char *remote_addr;
    int remote_port;
    int https;                    /* the listener is HTTPS: HTTPS=on */
    const eg_cgi_field_t *fields; /* the header fields, in the order received */
    size_t n_fields;
    int has_body;    /* a body follows as STDIN: CONTENT_LENGTH is sent */
    size_t body_len; /* its length */
} eg_cgi_request_t;

typedef struct {
    eg_param_t *v; /* owned; names and values point into store */
    size_t n;
    char *store; /* owned */
} eg_cgi_params_t;

/* The longest HTTP_ variable name made from a field name; longer fields are not passed. */
#define EG_CGI_NAME_MAX 128

/* 0 when target is origin-form (RFC 9112 3.2.1): '/' first, then no space or control byte;
 * else 400 with why. Absolute-form, authority-form and '*' are not served here. */
int eg_cgi_target_check(const char *target, const char **why);

/* The variable for a header field: "HTTP_" and the name upper-cased, '-' as '_'. 1 when
 * written to out; 0 when the field is not passed: a name holding '_' (a worker could not
 * tell "X_User" from "X-User", which a proxy in front may have vetted), Proxy ("httpoxy":
 * HTTP_PROXY is read as a proxy setting), Content-Type and Content-Length (sent as
 * CONTENT_TYPE and CONTENT_LENGTH), the hop-by-hop fields, and names longer than
 * EG_CGI_NAME_MAX - 6. */
int eg_cgi_env_name(const char *field, char out[EG_CGI_NAME_MAX]);

/* The meta-variables for r, in out (eg_cgi_params_free frees them): GATEWAY_INTERFACE,
 * SERVER_SOFTWARE, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, REQUEST_METHOD, REQUEST_URI
 * (the target as received), REQUEST_SCHEME, SCRIPT_NAME (""), PATH_INFO (the target's path as
 * received, before '?': not percent-decoded), QUERY_STRING, CONTENT_TYPE (when the request
 * has one), CONTENT_LENGTH (when it has a body), REMOTE_ADDR, REMOTE_PORT, HTTPS (on, over
 * TLS only), then an HTTP_ variable per field name (eg_cgi_env_name), fields of one name
 * joined with ", " in the order received ("; " for Cookie). */
void eg_cgi_params_build(const eg_cgi_request_t *r, eg_cgi_params_t *out);
void eg_cgi_params_free(eg_cgi_params_t *p);

/* A worker's answer, cut for the viewer. */
typedef struct {
    int status;          /* Status, else 302 with a Location, else 200 */
    eg_http_head_t head; /* the fields to relay: slices of the answer (borrowed) */
    const char *body;    /* borrowed from the answer */
    size_t body_len;     /* 0 for 204 and 304 */
} eg_cgi_response_t;

/* 0 with r filled, or 502 with why when the answer is not a CGI response to relay: no whole
 * head, a malformed field (eg_http_parse_cgi_head: obs-fold, a name that is not a token, a
 * control byte), a Status outside 200-599, two Status or two Location fields, or a
 * Content-Length that is not the body's length (a HEAD's answer may leave its body out). The
 * hop-by-hop fields (and those Connection names), Status, Content-Length and Date are left
 * out of r->head: the listener frames and dates the response itself. */
int eg_cgi_response_parse(const char *answer, size_t len, int head_request, eg_cgi_response_t *r,
                          const char **why);

#endif
