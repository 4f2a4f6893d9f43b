/* The viewer request head, checked as RFC 9112 §§3.2, 5 and 6 say a server must before
 * anything is forwarded: one Host (required on HTTP/1.1), one valid Content-Length, no
 * Content-Length beside Transfer-Encoding, chunked as the only transfer coding, field names
 * that are tokens and values without control bytes. libmicrohttpd parses the head; the front
 * feeds each field it kept to eg_reqcheck_field, then asks eg_reqcheck_end. */
#ifndef EDGEGATE_REQCHECK_H
#define EDGEGATE_REQCHECK_H

#include <stddef.h>

typedef enum { EG_BODY_NONE = 0, EG_BODY_LENGTH, EG_BODY_CHUNKED } eg_body_kind_t;

/* Request line and header fields together, as CloudFront limits them. */
#define EG_REQCHECK_HEAD_MAX 20480

typedef struct {
    int http11;               /* HTTP/1.1 (Host required) */
    int n_host, n_cl, n_te;
    const char *host;         /* borrowed */
    unsigned long long content_length;
    int te_chunked;           /* Transfer-Encoding ends with chunked */
    int te_other;             /* a coding other than chunked is last */
    size_t head_bytes;        /* field names and values so far (eg_reqcheck_target adds the target) */
    int status;               /* first refusal: 400 / 431 / 501 / 505, 0 while fine */
    const char *reason;       /* static text */
    /* the result of eg_reqcheck_end */
    eg_body_kind_t body;
} eg_reqcheck_t;

void eg_reqcheck_init(eg_reqcheck_t *r, const char *version);
/* One field as received (name and value NUL-terminated, value may hold what
 * libmicrohttpd left in it). Remembers the first refusal. */
void eg_reqcheck_field(eg_reqcheck_t *r, const char *name, const char *value);
/* The request target's length, for the head's size. */
void eg_reqcheck_target(eg_reqcheck_t *r, size_t len);
/* 0 when the head may go on (r->body says how its body is framed), else the status to answer
 * and close with, r->reason saying why. */
int eg_reqcheck_end(eg_reqcheck_t *r);

#endif
