/* CGI/1.1 meta-variables out, CGI responses in (see cgi.h). What a worker is told comes from
 * the request as received, never normalized: the console is its own application, and its
 * worker sees what a CGI program under Apache or lighttpd would. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "edgegate/buf.h"
#include "edgegate/cgi.h"

int eg_cgi_target_check(const char *target, const char **why)
{
    if (target == NULL || target[0] != '/') {
        *why = "the request target is not origin-form (a path starting with '/')";
        return 400;
    }
    for (const unsigned char *p = (const unsigned char *)target; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) {
            *why = "a space or control byte in the request target";
            return 400;
        }
    return 0;
}

int eg_cgi_env_name(const char *field, char out[EG_CGI_NAME_MAX])
{
    size_t n = strlen(field);
    if (n == 0 || n > EG_CGI_NAME_MAX - 6 || strchr(field, '_') ||
        strcasecmp(field, "Proxy") == 0 || strcasecmp(field, "Content-Type") == 0 ||
        strcasecmp(field, "Content-Length") == 0 || eg_http_is_hop_by_hop(field, n))
        return 0;
    memcpy(out, "HTTP_", 5);
    for (size_t i = 0; i < n; i++)
        out[5 + i] = field[i] == '-' ? '_' : (char)toupper((unsigned char)field[i]);
    out[5 + n] = '\0';
    return 1;
}

/* Where a variable's name and value start in the store: offsets, as the store moves while
 * it grows. */
typedef struct {
    size_t name, value;
} slot_t;

static void put(eg_buf_t *b, slot_t *s, size_t *n, const char *name, const char *value)
{
    s[*n].name = b->len;
    eg_buf_add(b, name, strlen(name) + 1);
    s[*n].value = b->len;
    eg_buf_add(b, value, strlen(value) + 1);
    (*n)++;
}

/* The HTTP_ variables: one per name, the values of every field with that name joined. */
static void put_fields(const eg_cgi_request_t *r, eg_buf_t *b, slot_t *s, size_t *n)
{
    char(*names)[EG_CGI_NAME_MAX] = eg_calloc(r->n_fields ? r->n_fields : 1, sizeof(*names));
    for (size_t i = 0; i < r->n_fields; i++)
        if (!eg_cgi_env_name(r->fields[i].name, names[i]))
            names[i][0] = '\0';
    for (size_t i = 0; i < r->n_fields; i++) {
        const char *sep = strcmp(names[i], "HTTP_COOKIE") == 0 ? "; " : ", ";
        size_t j;
        if (names[i][0] == '\0')
            continue;
        for (j = 0; j < i && strcmp(names[j], names[i]) != 0; j++)
            ;
        if (j < i) /* joined into the first field of that name already */
            continue;
        s[*n].name = b->len;
        eg_buf_add(b, names[i], strlen(names[i]) + 1);
        s[*n].value = b->len;
        for (j = i; j < r->n_fields; j++) {
            if (strcmp(names[j], names[i]) != 0)
                continue;
            if (j > i)
                eg_buf_adds(b, sep);
            eg_buf_adds(b, r->fields[j].value ? r->fields[j].value : "");
        }
        eg_buf_add(b, "", 1);
        (*n)++;
    }
    free(names);
}

void eg_cgi_params_build(const eg_cgi_request_t *r, eg_cgi_params_t *out)
{
    eg_buf_t b = {0};
    slot_t *s = eg_calloc(24 + r->n_fields, sizeof(*s));
    const char *q = strchr(r->target, '?');
    const char *ctype = NULL;
    char num[32];
    size_t n = 0;

    for (size_t i = 0; i < r->n_fields && ctype == NULL; i++)
        if (strcasecmp(r->fields[i].name, "Content-Type") == 0)
            ctype = r->fields[i].value;
    put(&b, s, &n, "GATEWAY_INTERFACE", "CGI/1.1");
    put(&b, s, &n, "SERVER_SOFTWARE", "edgegate/" PACKAGE_VERSION);
    put(&b, s, &n, "SERVER_NAME", r->server_name);
    snprintf(num, sizeof(num), "%d", r->server_port);
    put(&b, s, &n, "SERVER_PORT", num);
    put(&b, s, &n, "SERVER_PROTOCOL", r->version);
    put(&b, s, &n, "REQUEST_METHOD", r->method);
    put(&b, s, &n, "REQUEST_URI", r->target);
    put(&b, s, &n, "REQUEST_SCHEME", r->https ? "https" : "http");
    put(&b, s, &n, "SCRIPT_NAME", "");
    /* PATH_INFO as received: RFC 3875 4.1.5 would decode it, but then "%2F" and "/" are one
     * and a worker cannot route on segments; the worker decodes what it needs */
    s[n].name = b.len;
    eg_buf_add(&b, "PATH_INFO", sizeof("PATH_INFO"));
    s[n].value = b.len;
    eg_buf_add(&b, r->target, q ? (size_t)(q - r->target) : strlen(r->target));
    eg_buf_add(&b, "", 1);
    n++;
    put(&b, s, &n, "QUERY_STRING", q ? q + 1 : "");
    if (ctype)
        put(&b, s, &n, "CONTENT_TYPE", ctype);
    if (r->has_body) {
        snprintf(num, sizeof(num), "%zu", r->body_len);
        put(&b, s, &n, "CONTENT_LENGTH", num);
    }
    put(&b, s, &n, "REMOTE_ADDR", r->remote_addr);
    snprintf(num, sizeof(num), "%d", r->remote_port);
    put(&b, s, &n, "REMOTE_PORT", num);
    if (r->https)
        put(&b, s, &n, "HTTPS", "on");
    put_fields(r, &b, s, &n);

    out->store = b.data;
    out->n = n;
    out->v = eg_calloc(n, sizeof(*out->v));
    for (size_t i = 0; i < n; i++)
        out->v[i] = (eg_param_t){b.data + s[i].name, b.data + s[i].value};
    free(s);
}

void eg_cgi_params_free(eg_cgi_params_t *p)
{
    free(p->v);
    free(p->store);
    memset(p, 0, sizeof(*p));
}

static size_t count(const eg_http_head_t *h, const char *name)
{
    size_t n = 0, len = strlen(name);
    for (size_t i = 0; i < h->n_headers; i++)
        n += h->headers[i].name_len == len && strncasecmp(h->headers[i].name, name, len) == 0;
    return n;
}

/* Every refusal of an answer goes through here. */
static int __attribute__((cold)) refuse(const char **why, const char *reason)
{
    *why = reason;
    return 502;
}

int eg_cgi_response_parse(const char *answer, size_t len, int head_request, eg_cgi_response_t *r,
                          const char **why)
{
    eg_http_head_t *h = &r->head;
    const eg_header_t *cl;
    size_t o = 0;
    int rc = eg_http_parse_cgi_head(answer ? answer : "", len, h);
    if (rc == 0)
        return refuse(why, "the answer ends before its head does");
    if (rc < 0)
        return refuse(why, h->why);
    r->status = h->status;
    if (r->status < 200)
        return refuse(why, "an interim (1xx) Status as the answer");
    if (count(h, "Status") > 1 || count(h, "Location") > 1)
        return refuse(why, "two Status or two Location fields");
    r->body = answer + h->head_len;
    r->body_len = len - h->head_len;
    if ((cl = eg_http_find(h, "Content-Length")) != NULL) {
        unsigned long long v = 0;
        if (count(h, "Content-Length") > 1 || cl->value_len == 0 || cl->value_len > 18)
            return refuse(why, "a Content-Length that is not one decimal number");
        for (size_t i = 0; i < cl->value_len; i++) {
            if (!isdigit((unsigned char)cl->value[i]))
                return refuse(why, "a Content-Length that is not one decimal number");
            v = v * 10 + (unsigned)(cl->value[i] - '0');
        }
        if (v != r->body_len && !(head_request && r->body_len == 0))
            return refuse(why, "a Content-Length that is not the body's length");
    }
    if (r->status == 204 || r->status == 304)
        r->body_len = 0;
    eg_http_drop_hop_fields(h);
    for (size_t i = 0; i < h->n_headers; i++) {
        const eg_header_t *f = &h->headers[i];
        if ((f->name_len == 6 && strncasecmp(f->name, "Status", 6) == 0) ||
            (f->name_len == 14 && strncasecmp(f->name, "Content-Length", 14) == 0) ||
            (f->name_len == 4 && strncasecmp(f->name, "Date", 4) == 0))
            continue;
        h->headers[o++] = *f;
    }
    h->n_headers = o;
    return 0;
}
