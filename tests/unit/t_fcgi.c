/* FastCGI records: what we encode decodes back, lengths and padding, bad input refused. */
#include "edgegate/fcgi.h"
#include "tap.h"

int main(void)
{
    eg_buf_t b = {0}, payload = {0};
    eg_fcgi_record_t rec;
    char big[300];
    size_t pos = 0, nl, vl;
    const uint8_t *n, *v;

    eg_fcgi_begin_request(&b, 1, EG_FCGI_RESPONDER, 1);
    is_int(b.len, 16, "BEGIN_REQUEST is 16 bytes");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), 1, "it parses");
    is_int(rec.type, EG_FCGI_BEGIN_REQUEST, "type");
    is_int(rec.request_id, 1, "request id");
    is_int(rec.content[2], 1, "keep-conn flag");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, 7, &rec), 0, "a short header needs more");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, 12, &rec), 0, "a short body needs more");
    b.data[0] = 2;
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), -1, "version 2 is refused");

    memset(big, 'x', sizeof(big));
    eg_fcgi_pair(&payload, "REQUEST_METHOD", 14, "GET", 3);
    eg_fcgi_pair(&payload, "LONG", 4, big, sizeof(big));
    is_int(payload.len, 2 + 14 + 3 + 1 + 4 + 4 + 300, "pairs use 1- and 4-byte lengths");
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, payload.len, &pos, &n, &nl, &v, &vl), 1,
           "first pair");
    ok(nl == 14 && !memcmp(n, "REQUEST_METHOD", 14) && vl == 3 && !memcmp(v, "GET", 3),
       "first pair's name and value");
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, payload.len, &pos, &n, &nl, &v, &vl), 1,
           "second pair");
    is_int(vl, 300, "long value length");
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, payload.len, &pos, &n, &nl, &v, &vl), 0,
           "end of pairs");
    pos = 0;
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, 10, &pos, &n, &nl, &v, &vl), -1,
           "a truncated pair is refused");

    b.len = 0;
    eg_fcgi_stream(&b, EG_FCGI_STDOUT, 1, "hello", 5);
    is_int(b.len, 8 + 5 + 3, "records are padded to 8 bytes");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), 1, "padded record parses");
    is_int(rec.record_len, 16, "record length includes padding");
    b.len = 0;
    {
        static char huge[70000];
        eg_fcgi_stream(&b, EG_FCGI_STDIN, 1, huge, sizeof(huge));
        is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), 1, "split stream parses");
        is_int(rec.content_len, 65535, "first record holds 65535 bytes");
    }
    b.len = 0;
    eg_fcgi_stream(&b, EG_FCGI_PARAMS, 1, NULL, 0);
    is_int(b.len, 8, "an empty record ends a stream");
    eg_buf_free(&b);
    eg_buf_free(&payload);
    return done();
}
