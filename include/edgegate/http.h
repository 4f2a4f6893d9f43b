/* Parsers for the heads edgegate reads: HTTP/1.x responses from origins and CGI responses
 * from policy workers, plus the chunked body decoder. The origin client and the FastCGI
 * client call them; each has a fuzz target in tests/fuzz. Headers are slices into the
 * caller's buffer (borrowed, never owned). */
#ifndef EDGEGATE_HTTP_H
#define EDGEGATE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EG_HTTP_MAX_HEADERS 100

typedef struct {
    const char *name; /* borrowed */
    size_t name_len;
    const char *value; /* borrowed, trimmed */
    size_t value_len;
} eg_header_t;

typedef struct {
    int status;
    int minor_version; /* HTTP/1.x; -1 for CGI heads */
    const char *why;   /* static text: why the head was refused (after -1), for logs */
    eg_header_t headers[EG_HTTP_MAX_HEADERS];
    size_t n_headers;
    size_t head_len; /* bytes of the head including the blank line */
} eg_http_head_t;

/* 1 = complete head parsed, 0 = need more bytes, -1 = not a valid head (h->why says why):
 * obs-fold, control bytes (bare CR, NUL, DEL) in the status line or a field, a field name that
 * is not a token (so no whitespace before the colon), more than EG_HTTP_MAX_HEADERS fields. */
int eg_http_parse_response_head(const char *buf, size_t len, eg_http_head_t *h);
/* CGI: "Status: 301 ..." optional (200 when absent, 302 with only Location). */
int eg_http_parse_cgi_head(const char *buf, size_t len, eg_http_head_t *h);

const eg_header_t *eg_http_find(const eg_http_head_t *h, const char *name);
/* 1 when the comma-separated header value holds token (case-insensitive). */
int eg_http_has_token(const char *value, size_t len, const char *token);
/* The reason phrase for the statuses edgegate itself answers with ("Error" otherwise). */
const char *eg_http_reason(int status);
/* Hop-by-hop headers a proxy must not forward. */
int eg_http_is_hop_by_hop(const char *name, size_t len);
/* 1 when the field is hop-by-hop in message h: one of the fixed names above, or a name listed
 * in any of h's Connection fields (RFC 9110 section 7.6.1). */
int eg_http_is_hop_field(const eg_http_head_t *h, const char *name, size_t len);
/* Removes h's hop-by-hop fields (as eg_http_is_hop_field decides) in place, keeping order:
 * what is left may be stored and forwarded. */
void eg_http_drop_hop_fields(eg_http_head_t *h);

/* How a response's body is delimited (RFC 9112 section 6.3). */
enum { EG_HTTP_BODY_NONE, EG_HTTP_BODY_LENGTH, EG_HTTP_BODY_CHUNKED, EG_HTTP_BODY_CLOSE };

typedef struct {
    int mode;                 /* EG_HTTP_BODY_* */
    long long content_length; /* -1 when absent; kept for bodyless responses (HEAD's length) */
} eg_http_framing_t;

/* Decides how the body of response h is delimited; bodyless is 1 for an answer to HEAD and
 * for 204/304. Strict, as a cache must be: returns 0, or 502 with *why when the framing is
 * invalid or ambiguous: Content-Length fields (or list members) with different values or not
 * all digits, Content-Length with Transfer-Encoding, Transfer-Encoding in HTTP/1.0, or a
 * transfer coding other than a single chunked (edgegate decodes no other, and a body read to
 * the close when it is not last is exactly what response splitting relies on). */
int eg_http_response_framing(const eg_http_head_t *h, int bodyless, eg_http_framing_t *fr,
                             const char **why);

/* Chunked transfer-coding decoder; feed it what the origin sent. */
typedef struct {
    int state;
    uint64_t remaining; /* of the current chunk */
    int digits;         /* size digits seen on the current size line */
    int done;
    const char *why; /* static text: why the input was refused (after -1), for logs */
} eg_chunked_t;

/* Decodes in place: consumes all in_len bytes and leaves *out_len decoded bytes at buf.
 * Returns 1 when the last chunk and trailers were read, 0 for more, -1 when the input is not
 * chunked coding (or has bytes after its end). Strict: a size line is hex digits, optional
 * whitespace, then extensions after ';' or the line end; no control bytes in extensions;
 * trailer lines are fields (name ':' value) without obs-fold. Bare LF ends lines (RFC 9112
 * section 2.2 allows it); a bare CR does not. */
int eg_chunked_decode(eg_chunked_t *c, char *buf, size_t in_len, size_t *out_len);

#endif
