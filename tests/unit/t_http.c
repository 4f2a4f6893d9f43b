/* Response and CGI head parsing, the chunked decoder, header helpers, response framing; and
 * the origin client's framing over a real socket on 127.0.0.1 (fetch.c and origin.c are
 * included to run them without the rest of the front). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include "../../gateway/origin.c"
#include "../../gateway/fetch.c"
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

static int head_is(const char *s)
{
    return eg_http_parse_response_head(s, strlen(s), &h);
}

/* Framing of a head, or -1 when the head does not parse; *why when refused. */
static int framing(const char *s, int bodyless, eg_http_framing_t *fr, const char **why)
{
    *why = NULL;
    if (head_is(s) != 1)
        return -1;
    return eg_http_response_framing(&h, bodyless, fr, why);
}

/* A scripted origin: a listening socket the test accepts on and answers with exact bytes. */
static int lfd = -1, lport;
static eg_origin_pool_t *pool;
static eg_fetch_t f;
static char err[512];

static int listen_local(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 8) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
        return -1;
    lport = ntohs(a.sin_port);
    return 0;
}

/* Starts an exchange, lets the origin answer resp and close, and reads the response head.
 * Returns eg_fetch_read_head's result (-2 when the exchange could not start). */
static int exchange(const char *method, const char *resp, int *status)
{
    size_t len = strlen(resp);
    eg_origin_target_t t = {.domain = "127.0.0.1",
                            .port = lport,
                            .connect_timeout_ms = 2000,
                            .keepalive_timeout = 5,
                            .fresh = 1};
    char req[128];
    int n = snprintf(req, sizeof(req), "%s / HTTP/1.1\r\nHost: t\r\n\r\n", method), s, closed;
    char drain[1024];
    eg_fetch_end(&f);
    *status = 0;
    err[0] = '\0';
    if (eg_fetch_start(&f, pool, &t, req, (size_t)n, 2000, status, err, sizeof(err)) < 0)
        return -2;
    s = accept(lfd, NULL, NULL);
    if (s < 0)
        return -2;
    if (recv(s, drain, sizeof(drain), 0) <= 0 || send(s, resp, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(s);
        return -2;
    }
    close(s); /* every answer here ends with the origin closing: read-to-close ends there */
    return eg_fetch_read_head(&f, method, status, &closed, err, sizeof(err));
}

/* The whole body into out (NUL-terminated); its length, or -1 when reading failed. */
static ssize_t body_all(char *out, size_t max)
{
    size_t o = 0;
    for (;;) {
        ssize_t n = eg_fetch_read_body(&f, out + o, max - 1 - o);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        o += (size_t)n;
    }
    out[o] = '\0';
    return (ssize_t)o;
}

#define REFUSED(resp, what, word)                                                                  \
    do {                                                                                           \
        int st_;                                                                                   \
        is_int(exchange("GET", resp, &st_), -1, "fetch refuses %s", what);                         \
        is_int(st_, 502, "%s is a 502", what);                                                     \
        if (!ok(strstr(err, word) != NULL, "the error says why (%s)", word))                       \
            printf("#   err: %s\n", err);                                                          \
        ok(!f.done, "%s is never done (never stored)", what);                                      \
    } while (0)

static void fetch_tests(void)
{
    eg_origin_pool_opts_t po = {0};
    char body[256];
    int st;

    if (!ok(listen_local() == 0 && eg_origin_pool_new(&po, &pool, err, sizeof(err)) == 0,
            "a scripted origin on 127.0.0.1"))
        return;

    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "two different Content-Length fields", "differ");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!",
            "a Content-Length list with different values", "differ");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello", "Content-Length 5x", "decimal");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello", "Content-Length -5", "decimal");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", "Content-Length +5", "decimal");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nhello", "an empty Content-Length", "empty");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nx",
            "an overflowing Content-Length", "too large");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n0\r\n\r\n",
            "Content-Length with Transfer-Encoding", "both");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
            "5\r\nhello\r\n0\r\n\r\n",
            "Transfer-Encoding with Content-Length", "both");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx", "Transfer-Encoding gzip",
            "chunked");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxx",
            "a final coding other than chunked", "chunked");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "a coding under chunked it cannot decode", "chunked");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
            "\r\n0\r\n\r\n",
            "chunked applied twice", "chunked");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nxx",
            "Transfer-Encoding identity", "chunked");
    REFUSED("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "Transfer-Encoding in HTTP/1.0", "HTTP/1.0");
    REFUSED("HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nContent-Length: 0\r\n\r\n", "an obs-folded head",
            "folding");
    REFUSED("HTTP/1.1 200 OK\r\nX-A: b\rX-B: c\r\nContent-Length: 0\r\n\r\n",
            "a bare CR in a field", "control");
    REFUSED("HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n", "a bare CR in the status line",
            "status line");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", "whitespace before a colon", "token");

    /* a HEAD answer has no body, but its Content-Length becomes the viewer's */
    is_int(
        exchange("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n", &st),
        -1, "HEAD with two Content-Length values refused");
    is_int(exchange("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", &st), 0,
           "HEAD with a Content-Length");
    ok(f.done && f.content_length == 7, "HEAD: done at once, length kept for the viewer");

    is_int(exchange("GET",
                    "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n"
                    "\r\nhello",
                    &st),
           0, "identical Content-Length values are one");
    ok(body_all(body, sizeof(body)) == 5 && strcmp(body, "hello") == 0 && f.done,
       "and frame the body");

    is_int(exchange("GET", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", &st), 0,
           "a body shorter than its Content-Length: the head is fine");
    is_int(body_all(body, sizeof(body)), -1, "reading it fails at the close");
    ok(!f.done, "it is not done (never stored)");
    is_int(eg_fetch_read_body(&f, body, sizeof(body)), -1, "and keeps failing");

    is_int(exchange("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", &st), 0,
           "bytes past the Content-Length");
    ok(body_all(body, sizeof(body)) == 2 && strcmp(body, "ok") == 0 && f.done,
       "are not part of the body");
    ok(!f.keep_alive, "and the connection is not reused after them");

    is_int(exchange("GET",
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\nzz\r\n",
                    &st),
           0, "bad chunked coding: the head is fine");
    is_int(body_all(body, sizeof(body)), -1, "bad chunked coding fails the body");
    ok(!f.done, "bad chunked coding is never done");

    is_int(exchange("GET",
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n",
                    &st),
           0, "chunked without its last chunk");
    is_int(body_all(body, sizeof(body)), -1, "fails at the close");
    ok(!f.done, "and is never done");

    is_int(exchange("GET",
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
                    &st),
           0, "a good chunked body");
    ok(body_all(body, sizeof(body)) == 5 && strcmp(body, "hello") == 0 && f.done,
       "decodes and is done");

    is_int(exchange("GET", "HTTP/1.1 200 OK\r\n\r\nall of it", &st), 0,
           "a body read to the close (plain HTTP)");
    ok(body_all(body, sizeof(body)) == 9 && strcmp(body, "all of it") == 0 && f.done,
       "ends cleanly at the close over plain HTTP");

    {
        const char *r = "HTTP/1.1 200 OK\r\nConnection: X-Secret\r\nX-Secret: s\r\n"
                        "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                        "Upgrade: h2c\r\nTrailer: X-T\r\nTE: trailers\r\n"
                        "Proxy-Authenticate: Basic\r\nconnection: x-two\r\nX-Two: 2\r\n"
                        "X-Kept: k\r\nContent-Length: 0\r\n\r\n";
        static const char *const gone[] = {
            "Connection", "X-Secret", "Keep-Alive", "Proxy-Connection",
            "Upgrade",    "Trailer",  "TE",         "Proxy-Authenticate",
            "X-Two"};
        int left = 0;
        is_int(exchange("GET", r, &st), 0, "a head with hop-by-hop fields");
        for (size_t i = 0; i < EG_ARRAY_LEN(gone); i++)
            if (eg_http_find(&f.h, gone[i])) {
                printf("#   %s is still there\n", gone[i]);
                left++;
            }
        is_int(left, 0, "hop-by-hop fields and those Connection names are gone from the head");
        ok(eg_http_find(&f.h, "X-Kept") != NULL, "end-to-end fields stay");
    }
    eg_fetch_end(&f);
    eg_origin_pool_free(pool);
    close(lfd);
}

int main(void)
{
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A:  spaced  \r\n\r\nbody";
    char out[256];
    size_t olen;

    alarm(60); /* a test that hangs on a socket fails instead */

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
        is_int(
            chunked("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n", step, out, &olen),
            1, "chunked body completes (step %zu)", step);
        is_str(out, "hello world", "chunked body decodes (step %zu)", step);
    }
    is_int(chunked("0\r\n\r\n", 1, out, &olen), 1, "empty chunked body byte by byte");
    is_int(chunked("zz\r\n", 4, out, &olen), -1, "bad chunk size refused");
    is_int(chunked("3\r\nabcX\r\n", 9, out, &olen), -1, "missing CRLF after data refused");
    is_int(chunked("ffffffffffffffffff\r\n", 20, out, &olen), -1, "oversized chunk refused");
    is_int(chunked("1\r\na\r\n0\r\n\r\nEXTRA", 17, out, &olen), -1, "bytes after the end");
    is_int(chunked("5 \t;a=b\r\nhello\r\n0\r\n\r\n", 3, out, &olen), 1,
           "whitespace before an extension");
    is_int(chunked("5\nhello\n0\n\n", 2, out, &olen), 1, "bare LF line ends");
    is_str(out, "hello", "bare LF line ends decode");
    is_int(chunked("5 x\r\nhello\r\n0\r\n\r\n", 1, out, &olen), -1,
           "garbage after a chunk size refused");
    is_int(chunked("5;a\x01\r\nhello\r\n0\r\n\r\n", 1, out, &olen), -1,
           "a control byte in an extension refused");
    is_int(chunked("5;a\rb\r\nhello\r\n0\r\n\r\n", 1, out, &olen), -1,
           "a bare CR in an extension refused");
    is_int(chunked("5\rhello\r\n0\r\n\r\n", 1, out, &olen), -1, "a bare CR after the size");
    is_int(chunked("0\r\nA: b\r\n c\r\n\r\n", 1, out, &olen), -1, "folded trailers refused");
    is_int(chunked("0\r\nno colon\r\n\r\n", 1, out, &olen), -1, "a trailer not a field");
    is_int(chunked("0\r\nA: b\x7f\r\n\r\n", 1, out, &olen), -1, "DEL in a trailer refused");
    is_int(chunked(";x\r\n", 1, out, &olen), -1, "an extension without a size refused");
    {
        eg_chunked_t c = {0};
        char b[] = "zz\r\n";
        size_t got;
        ok(eg_chunked_decode(&c, b, 4, &got) == -1 && c.why && strstr(c.why, "size"),
           "a refusal says why (%s)", c.why ? c.why : "nothing");
    }

    /* control bytes and bad names in response heads */
    is_int(eg_http_parse_response_head("HTTP/1.1 200 OK\r\nA\0B: x\r\n\r\n", 27, &h), -1,
           "NUL in a field name refused");
    is_int(eg_http_parse_response_head("HTTP/1.1 200 OK\r\nA: x\0y\r\n\r\n", 26, &h), -1,
           "NUL in a field value refused");
    is_int(head_is("HTTP/1.1 200 OK\r\nA: x\x7fy\r\n\r\n"), -1, "DEL in a field value refused");
    is_int(head_is("HTTP/1.1 200 OK\r\nA: x\ry\r\n\r\n"), -1, "a bare CR in a value refused");
    ok(h.why && strstr(h.why, "control"), "and why (%s)", h.why ? h.why : "nothing");
    is_int(head_is("HTTP/1.1 200 O\x01K\r\n\r\n"), -1, "a control byte in the reason refused");
    is_int(head_is("HTTP/1.1 200 OK\r\n\tA: b\r\n\r\n"), -1,
           "whitespace before the first field refused");
    is_int(head_is("HTTP/1.1 200 OK\r\nA: tab\there\r\n\r\n"), 1, "HTAB in a value is fine");
    is_int(eg_http_parse_cgi_head("Status: 200\r\nX: a\x01\r\n\r\n", 21, &h), -1,
           "CGI heads refuse control bytes too");
    is_int(eg_http_parse_cgi_head("Status: 404 Not Found\r\nX-Eg-Action: final\r\n\r\n", 46, &h), 1,
           "CGI heads still parse");

    /* hop-by-hop fields of one message */
    head_is("HTTP/1.1 200 OK\r\nConnection: close, X-A\r\nX-A: 1\r\nConnection: x-b\r\n"
            "X-B: 2\r\nX-C: 3\r\nKeep-Alive: t\r\n\r\n");
    ok(eg_http_is_hop_field(&h, "x-a", 3) && eg_http_is_hop_field(&h, "X-B", 3),
       "fields any Connection names are hop-by-hop");
    ok(!eg_http_is_hop_field(&h, "X-C", 3) && !eg_http_is_hop_field(&h, "X", 1),
       "others are not (no partial match)");
    eg_http_drop_hop_fields(&h);
    ok(h.n_headers == 1 && eg_http_find(&h, "X-C"), "dropping leaves only end-to-end fields");

    /* framing (RFC 9112 section 6.3) */
    {
        eg_http_framing_t fr;
        const char *why;
        ok(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, &fr, &why) == 0 &&
               fr.mode == EG_HTTP_BODY_LENGTH && fr.content_length == 5,
           "Content-Length frames the body");
        ok(framing("HTTP/1.1 200 OK\r\nContent-Length: 005\r\nContent-Length: 5 , 5\r\n\r\n", 0,
                   &fr, &why) == 0 &&
               fr.content_length == 5,
           "the same length repeated is one length");
        ok(framing("HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n", 0, &fr, &why) == 502,
           "an empty list member refused");
        ok(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", 0, &fr, &why) == 0 &&
               fr.mode == EG_HTTP_BODY_CHUNKED,
           "chunked (any case)");
        ok(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 0, &fr, &why) ==
               502,
           "chunked with parameters refused");
        ok(framing("HTTP/1.1 200 OK\r\n\r\n", 0, &fr, &why) == 0 && fr.mode == EG_HTTP_BODY_CLOSE,
           "neither: read to the close");
        ok(framing("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 1, &fr,
                   &why) == 0 &&
               fr.mode == EG_HTTP_BODY_NONE,
           "a 304 has no body whatever it says");
        ok(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 1,
                   &fr, &why) == 502,
           "but conflicting lengths are refused on it too");
        ok(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: ,chunked,\r\n\r\n", 0, &fr, &why) == 0,
           "empty list members do not count as codings");
    }

    fetch_tests();
    return done();
}
