/* RFC 9112's refusals for viewer heads. */
#include "edgegate/reqcheck.h"
#include "tap.h"

/* fields: "name", "value", ..., NULL */
static int run(const char *version, eg_reqcheck_t *r, const char *const *fields)
{
    eg_reqcheck_init(r, version);
    for (size_t i = 0; fields[i]; i += 2)
        eg_reqcheck_field(r, fields[i], fields[i + 1]);
    return eg_reqcheck_end(r);
}

#define CHECK(version, want, name, ...)                                                            \
    do {                                                                                           \
        static const char *const f_[] = {__VA_ARGS__, NULL};                                       \
        eg_reqcheck_t r_;                                                                          \
        int st_ = run(version, &r_, f_);                                                           \
        if (!ok(st_ == want, "%s: %d", name, want))                                                \
            printf("#   got %d (%s)\n", st_, r_.reason ? r_.reason : "");                         \
    } while (0)

int main(void)
{
    eg_reqcheck_t r;
    CHECK("HTTP/1.1", 0, "a plain GET", "Host", "a", "Accept", "*/*");
    CHECK("HTTP/1.0", 0, "HTTP/1.0 without Host", "Accept", "*/*");
    CHECK("HTTP/1.1", 400, "HTTP/1.1 without Host", "Accept", "*/*");
    CHECK("HTTP/1.1", 400, "two Hosts", "Host", "a", "Host", "b");
    CHECK("HTTP/1.1", 400, "two equal Hosts", "Host", "a", "Host", "a");
    CHECK("HTTP/1.1", 400, "an empty Host", "Host", "");
    CHECK("HTTP/1.1", 400, "two Content-Lengths", "Host", "a", "Content-Length", "5",
          "Content-Length", "30");
    CHECK("HTTP/1.1", 400, "two equal Content-Lengths", "Host", "a", "Content-Length", "5",
          "Content-Length", "5");
    CHECK("HTTP/1.1", 400, "Content-Length abc", "Host", "a", "Content-Length", "abc");
    CHECK("HTTP/1.1", 400, "Content-Length -1", "Host", "a", "Content-Length", "-1");
    CHECK("HTTP/1.1", 400, "Content-Length +5", "Host", "a", "Content-Length", "+5");
    CHECK("HTTP/1.1", 400, "Content-Length 5, 5", "Host", "a", "Content-Length", "5, 5");
    CHECK("HTTP/1.1", 400, "Content-Length empty", "Host", "a", "Content-Length", "");
    CHECK("HTTP/1.1", 400, "Content-Length overflowing", "Host", "a", "Content-Length",
          "99999999999999999999999");
    CHECK("HTTP/1.1", 400, "Content-Length with Transfer-Encoding", "Host", "a",
          "Content-Length", "3", "Transfer-Encoding", "chunked");
    CHECK("HTTP/1.1", 501, "Transfer-Encoding xchunked", "Host", "a", "Transfer-Encoding",
          "xchunked");
    CHECK("HTTP/1.1", 501, "Transfer-Encoding chunked, gzip", "Host", "a", "Transfer-Encoding",
          "chunked, gzip");
    CHECK("HTTP/1.1", 400, "Transfer-Encoding chunked twice", "Host", "a", "Transfer-Encoding",
          "chunked, chunked");
    CHECK("HTTP/1.1", 501, "Transfer-Encoding gzip, chunked", "Host", "a", "Transfer-Encoding",
          "gzip, chunked");
    CHECK("HTTP/1.1", 501, "Transfer-Encoding identity, chunked", "Host", "a",
          "Transfer-Encoding", "identity, chunked");
    CHECK("HTTP/1.1", 501, "Transfer-Encoding ,chunked", "Host", "a", "Transfer-Encoding",
          ",chunked");
    CHECK("HTTP/1.1", 0, "Transfer-Encoding \" chunked \"", "Host", "a", "Transfer-Encoding",
          " chunked ");
    CHECK("HTTP/1.1", 400, "two Transfer-Encoding fields", "Host", "a", "Transfer-Encoding",
          "chunked", "Transfer-Encoding", "chunked");
    CHECK("HTTP/1.0", 400, "Transfer-Encoding over HTTP/1.0", "Transfer-Encoding", "chunked");
    CHECK("HTTP/1.1", 400, "a space in a field name", "Host", "a", "Transfer-Encoding ",
          "chunked");
    CHECK("HTTP/1.1", 400, "an empty field name", "Host", "a", "", "x");
    CHECK("HTTP/1.1", 400, "a bare CR in a value", "Host", "a", "X-A", "a\rb");
    CHECK("HTTP/1.1", 400, "a control byte in a value", "Host", "a", "X-A", "a\x0b");
    CHECK("HTTP/1.1", 400, "DEL in a value", "Host", "a", "X-A", "a\x7f");
    CHECK("HTTP/1.1", 400, "a control byte in Host", "Host", "a\x01");
    CHECK("HTTP/1.1", 0, "a tab in a value", "Host", "a", "X-A", "a\tb");
    CHECK("HTTP/1.1", 0, "bytes above 0x7f in a value", "Host", "a", "X-A", "caf\xc3\xa9");
    CHECK("HTTP/2", 505, "HTTP/2 in an HTTP/1 head", "Host", "a");
    CHECK("HTTP/1.1", 0, "Transfer-Encoding Chunked (any case)", "Host", "a",
          "transfer-encoding", "Chunked");
    {
        static char big[EG_REQCHECK_HEAD_MAX];
        const char *f[] = {"Host", "a", "Cookie", big, NULL};
        memset(big, 'c', sizeof(big) - 1);
        ok(run("HTTP/1.1", &r, f) == 431, "header fields above 20 KiB: 431");
        big[EG_REQCHECK_HEAD_MAX - 200] = '\0';
        ok(run("HTTP/1.1", &r, f) == 0, "header fields just under 20 KiB pass");
        eg_reqcheck_init(&r, "HTTP/1.1");
        eg_reqcheck_target(&r, EG_REQCHECK_HEAD_MAX + 1);
        eg_reqcheck_field(&r, "Host", "a");
        ok(eg_reqcheck_end(&r) == 431, "a target that alone passes 20 KiB: 431");
    }
    {
        static const char *const f[] = {"Host", "a", "Content-Length", "42", NULL};
        ok(run("HTTP/1.1", &r, f) == 0 && r.body == EG_BODY_LENGTH && r.content_length == 42,
           "Content-Length 42 frames a body of 42 bytes");
    }
    {
        static const char *const f[] = {"Host", "a", "Content-Length", "0", NULL};
        ok(run("HTTP/1.1", &r, f) == 0 && r.body == EG_BODY_NONE, "Content-Length 0: no body");
    }
    {
        static const char *const f[] = {"Host", "a", "Transfer-Encoding", "chunked", NULL};
        ok(run("HTTP/1.1", &r, f) == 0 && r.body == EG_BODY_CHUNKED, "chunked frames the body");
    }
    {
        static const char *const f[] = {"Host", "a", "Host", "b", "X", "\x01", NULL};
        run("HTTP/1.1", &r, f);
        is_str(r.reason, "more than one Host header", "the first refusal is the one reported");
    }
    return done();
}
