/* FastCGI records, as the 1.0 specification lays them out. */
#include "edgegate/fcgi.h"

static void header(eg_buf_t *out, uint8_t type, uint16_t id, uint16_t clen, uint8_t pad)
{
    uint8_t h[EG_FCGI_HEADER_LEN] = {1,
                                     type,
                                     (uint8_t)(id >> 8),
                                     (uint8_t)id,
                                     (uint8_t)(clen >> 8),
                                     (uint8_t)clen,
                                     pad,
                                     0};
    eg_buf_add(out, h, sizeof(h));
}

void eg_fcgi_begin_request(eg_buf_t *out, uint16_t id, uint16_t role, int keep_conn)
{
    uint8_t body[8] = {(uint8_t)(role >> 8), (uint8_t)role, keep_conn ? 1 : 0, 0, 0, 0, 0, 0};
    header(out, EG_FCGI_BEGIN_REQUEST, id, sizeof(body), 0);
    eg_buf_add(out, body, sizeof(body));
}

static void put_len(eg_buf_t *b, size_t n)
{
    if (n < 128) {
        uint8_t c = (uint8_t)n;
        eg_buf_add(b, &c, 1);
    } else {
        uint8_t c[4] = {(uint8_t)(0x80 | ((n >> 24) & 0x7f)), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                        (uint8_t)n};
        eg_buf_add(b, c, 4);
    }
}

void eg_fcgi_pair(eg_buf_t *payload, const char *name, size_t nlen, const char *value,
                  size_t vlen)
{
    put_len(payload, nlen);
    put_len(payload, vlen);
    eg_buf_add(payload, name, nlen);
    eg_buf_add(payload, value, vlen);
}

void eg_fcgi_stream(eg_buf_t *out, uint8_t type, uint16_t id, const void *data, size_t len)
{
    static const uint8_t zeros[8];
    const uint8_t *p = data;
    if (len == 0) {
        header(out, type, id, 0, 0);
        return;
    }
    while (len > 0) {
        uint16_t n = len > 65535 ? 65535 : (uint16_t)len;
        uint8_t pad = (uint8_t)((8 - (n % 8)) % 8);
        header(out, type, id, n, pad);
        eg_buf_add(out, p, n);
        eg_buf_add(out, zeros, pad);
        p += n;
        len -= n;
    }
}

int eg_fcgi_record_parse(const uint8_t *buf, size_t len, eg_fcgi_record_t *rec)
{
    size_t total;
    if (len < EG_FCGI_HEADER_LEN)
        return len > 0 && buf[0] != 1 ? -1 : 0;
    if (buf[0] != 1 || buf[1] == 0 || buf[1] > EG_FCGI_UNKNOWN_TYPE)
        return -1;
    rec->type = buf[1];
    rec->request_id = (uint16_t)(buf[2] << 8 | buf[3]);
    rec->content_len = (uint16_t)(buf[4] << 8 | buf[5]);
    total = EG_FCGI_HEADER_LEN + (size_t)rec->content_len + buf[6];
    if (len < total)
        return 0;
    rec->content = buf + EG_FCGI_HEADER_LEN;
    rec->record_len = total;
    return 1;
}

static int get_len(const uint8_t *p, size_t len, size_t *pos, size_t *out)
{
    if (*pos >= len)
        return -1;
    if (p[*pos] < 128) {
        *out = p[(*pos)++];
        return 0;
    }
    if (len - *pos < 4)
        return -1;
    *out = ((size_t)(p[*pos] & 0x7f) << 24) | ((size_t)p[*pos + 1] << 16) |
           ((size_t)p[*pos + 2] << 8) | p[*pos + 3];
    *pos += 4;
    return 0;
}

int eg_fcgi_pair_next(const uint8_t *p, size_t len, size_t *pos, const uint8_t **name,
                      size_t *nlen, const uint8_t **value, size_t *vlen)
{
    if (*pos == len)
        return 0;
    if (get_len(p, len, pos, nlen) < 0 || get_len(p, len, pos, vlen) < 0)
        return -1;
    if (*nlen > len - *pos || *vlen > len - *pos - *nlen)
        return -1;
    *name = p + *pos;
    *value = p + *pos + *nlen;
    *pos += *nlen + *vlen;
    return 1;
}
