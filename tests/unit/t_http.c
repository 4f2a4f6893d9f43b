/* Response and CGI head parsing, the chunked decoder, header helpers. */
#include "edgegate/http.h"
#include "tap.h"

static eg_http_head_t h;

static int chunked(const char *in, size_t step, char *out, size_t *outlen)
{
    eg_chunked_t c = {0};
    char buf[256];
    size_t len = strlen(in), o = 0;
    int r = 0;
    for (size_t i = 0; i < len; i += step) {
        size_t n = len - i < step ? len - i : step, got = 0;
        memcpy(buf, in + i, n);
        r = eg_chunked_decode(&c, buf, n, &got);
        if (r < 0)
            return -1;
        memcpy(out + o, buf, got);
        o += got;
    }
    out[o] = '\0';
    *outlen = o;
    return r;
}

int main(void)
{
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A:  spaced  \r\n\r\nbody";
    char out[256];
    size_t olen;

    is_int(eg_http_parse_response_head(resp, strlen(resp), &h), 1, "a full head parses");
    is_int(h.status, 200, "status");
    is_int(h.minor_version, 1, "HTTP/1.1");
    is_int(h.n_headers, 2, "two headers");
    is_int(h.head_len, strlen(resp) - 4, "head length stops before the body");
    ok(eg_http_find(&h, "x-a") && eg_http_find(&h, "x-a")->value_len == 6,
       "find is case-insensitive and values are trimmed");
    is_int(eg_http_parse_response_head(resp, 20, &h), 0, "a partial head needs more");
    is_int(eg_http_parse_response_head("HTTP/1.0 404 Not Found\n\n", 24, &h), 1, "bare LF ok");
    is_int(h.status, 404, "status 404");
    is_int(eg_http_parse_response_head("SSH-2.0-OpenSSH\r\n\r\n", 19, &h), -1, "garbage refused");
    is_int(eg_http_parse_response_head("HTTP/1.1 99 X\r\n\r\n", 17, &h), -1, "status 99 refused");
    is_int(eg_http_parse_response_head("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", 34, &h), -1,
           "space in a header name refused");
    is_int(eg_http_parse_response_head("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 28, &h), -1,
           "obsolete folding refused");

    is_int(eg_http_parse_cgi_head("Status: 301 Moved\r\nLocation: /x\r\n\r\n", 36, &h), 1,
           "CGI head parses");
    is_int(h.status, 301, "CGI Status header");
    is_int(eg_http_parse_cgi_head("Location: /x\r\n\r\n", 16, &h), 1, "CGI Location only");
    is_int(h.status, 302, "Location alone means 302");
    is_int(eg_http_parse_cgi_head("Content-Type: a\r\n\r\n", 19, &h), 1, "CGI plain");
    is_int(h.status, 200, "no Status means 200");
    is_int(eg_http_parse_cgi_head("\r\n", 2, &h), -1, "an empty CGI head is refused");
    is_int(eg_http_parse_cgi_head("Status: abc\r\n\r\n", 15, &h), -1, "bad Status refused");

    ok(eg_http_has_token("keep-alive, Close", 17, "close"), "token found in a list");
    ok(!eg_http_has_token("closed", 6, "close"), "no partial token match");
    ok(eg_http_is_hop_by_hop("transfer-encoding", 17), "Transfer-Encoding is hop-by-hop");
    ok(!eg_http_is_hop_by_hop("Content-Type", 12), "Content-Type is end-to-end");

    for (size_t step = 1; step <= 64; step *= 4) {
        is_int(chunked("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n", step, out,
                       &olen),
               1, "chunked body completes (step %zu)", step);
        is_str(out, "hello world", "chunked body decodes (step %zu)", step);
    }
    is_int(chunked("0\r\n\r\n", 1, out, &olen), 1, "empty chunked body byte by byte");
    is_int(chunked("zz\r\n", 4, out, &olen), -1, "bad chunk size refused");
    is_int(chunked("3\r\nabcX\r\n", 9, out, &olen), -1, "missing CRLF after data refused");
    is_int(chunked("ffffffffffffffffff\r\n", 20, out, &olen), -1, "oversized chunk refused");
    is_int(chunked("1\r\na\r\n0\r\n\r\nEXTRA", 17, out, &olen), -1, "bytes after the end");
    return done();
}
