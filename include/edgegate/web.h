/* The console's side of HTTP, without I/O: form and query decoding
 * (application/x-www-form-urlencoded), cookies, and an HTML writer whose format escapes
 * every value it prints unless told otherwise. edgegate-admin (admin/) builds its pages with
 * it; the fuzz target fuzz_web drives the decoders and the writer. */
#ifndef EDGEGATE_WEB_H
#define EDGEGATE_WEB_H

#include <stddef.h>

#include "edgegate/buf.h"

typedef struct {
    char *name; /* owned, decoded, NUL-terminated (a NUL byte in the input ends it) */
    char *value;
} eg_web_kv_t;

typedef struct {
    eg_web_kv_t *v; /* owned */
    size_t n;
} eg_web_kvs_t;

/* Decodes "a=1&b=x+y%21": '+' is a space, %XX a byte; a pair without '=' has the value "".
 * -1 (and nothing kept) when a %-escape is malformed, a decoded value holds a NUL byte, or
 * there are more than max pairs. */
int eg_web_form_parse(const char *s, size_t len, size_t max, eg_web_kvs_t *out);
void eg_web_kvs_free(eg_web_kvs_t *kv);
/* Appends the pair; name and value (malloc'd) become the list's. */
void eg_web_kvs_add(eg_web_kvs_t *kv, char *name, char *value);
/* Decodes a multipart/form-data body (the console's file upload; gateway/multipart.c): each
 * part's name (Content-Disposition: form-data; name="...") and its bytes as the value, so its
 * fields read as a urlencoded form's. content_type must name a boundary (1 to 70 of RFC
 * 2046's characters). -1 (and nothing kept) when anything is malformed: no boundary, a part
 * without a name, no closing delimiter, a NUL byte in a value, more than max parts. */
int eg_web_multipart_parse(const char *content_type, const char *body, size_t len, size_t max,
                           eg_web_kvs_t *out);
/* The first value of name, or NULL. */
const char *eg_web_get(const eg_web_kvs_t *kv, const char *name);
/* The value of cookie name in a Cookie header ("a=1; b=2"), copied into out; 1 found, 0 not
 * (or too long for out). */
int eg_web_cookie(const char *header, const char *name, char *out, size_t outlen);

/* Appends s with & < > " ' escaped, and control characters other than tab and newline
 * dropped. */
void eg_web_esc(eg_buf_t *b, const char *s);
/* Appends s percent-encoded for a URL query or path segment (unreserved bytes stay). */
void eg_web_urlenc(eg_buf_t *b, const char *s);
/* HTML printf: %s a string, HTML-escaped (NULL prints nothing); %u a string, URL-encoded;
 * %r a string as it is (only for markup the caller wrote); %d int; %D long long; %%. */
void eg_web_printf(eg_buf_t *b, const char *fmt, ...);

#endif
