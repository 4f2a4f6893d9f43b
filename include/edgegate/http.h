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
    eg_header_t headers[EG_HTTP_MAX_HEADERS];
    size_t n_headers;
    size_t head_len; /* bytes of the head including the blank line */
} eg_http_head_t;

/* 1 = complete head parsed, 0 = need more bytes, -1 = not a valid head. */
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

/* Chunked transfer-coding decoder; feed it what the origin sent. */
typedef struct {
    int state;
    uint64_t remaining; /* of the current chunk */
    int digits;         /* size digits seen on the current size line */
    int done;
} eg_chunked_t;

/* Decodes in place: consumes all in_len bytes and leaves *out_len decoded bytes at buf.
 * Returns 1 when the last chunk and trailers were read, 0 for more, -1 when the input is not
 * chunked coding (or has bytes after its end). */
int eg_chunked_decode(eg_chunked_t *c, char *buf, size_t in_len, size_t *out_len);

#endif
