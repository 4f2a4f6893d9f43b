/* The FastCGI record codec the front uses to talk to policy workers (FastCGI 1.0, one
 * request at a time per connection, FCGI_KEEP_CONN). Encoding appends to an eg_buf_t;
 * decoding reads one record at a time out of a byte buffer. No I/O here. */
#ifndef EDGEGATE_FCGI_H
#define EDGEGATE_FCGI_H

#include <stddef.h>
#include <stdint.h>

#include "edgegate/buf.h"

enum {
    EG_FCGI_BEGIN_REQUEST = 1,
    EG_FCGI_ABORT_REQUEST = 2,
    EG_FCGI_END_REQUEST = 3,
    EG_FCGI_PARAMS = 4,
    EG_FCGI_STDIN = 5,
    EG_FCGI_STDOUT = 6,
    EG_FCGI_STDERR = 7,
    EG_FCGI_DATA = 8,
    EG_FCGI_GET_VALUES = 9,
    EG_FCGI_GET_VALUES_RESULT = 10,
    EG_FCGI_UNKNOWN_TYPE = 11,
};
enum { EG_FCGI_RESPONDER = 1, EG_FCGI_AUTHORIZER = 2, EG_FCGI_FILTER = 3 };
#define EG_FCGI_HEADER_LEN 8

typedef struct {
    uint8_t type;
    uint16_t request_id;
    const uint8_t *content; /* borrowed from the decoder's input */
    uint16_t content_len;
    size_t record_len; /* header + content + padding */
} eg_fcgi_record_t;

void eg_fcgi_begin_request(eg_buf_t *out, uint16_t id, uint16_t role, int keep_conn);
/* Appends one name-value pair to a PARAMS payload (not yet framed). */
void eg_fcgi_pair(eg_buf_t *payload, const char *name, size_t nlen, const char *value,
                  size_t vlen);
/* Frames data as records of type (split at 65535, padded to 8); len 0 writes the empty record
 * that ends a stream. */
void eg_fcgi_stream(eg_buf_t *out, uint8_t type, uint16_t id, const void *data, size_t len);

/* 1 = a whole record at buf (rec filled), 0 = need more bytes, -1 = not FastCGI. */
int eg_fcgi_record_parse(const uint8_t *buf, size_t len, eg_fcgi_record_t *rec);
/* Reads the next name-value pair of a PARAMS payload at *pos; 1 = got one, 0 = end,
 * -1 = malformed. */
int eg_fcgi_pair_next(const uint8_t *p, size_t len, size_t *pos, const uint8_t **name,
                      size_t *nlen, const uint8_t **value, size_t *vlen);

#endif
