/* CGI/1.1 for the admin console: the variables a worker gets (RFC 3875 names, the target as
 * received, HTTP_ fields joined, the underscore and httpoxy shapes left out), and the answers
 * the listener relays or refuses. */
#include <stdio.h>
#include <stdlib.h>

#include "edgegate/cgi.h"
#include "tap.h"

static const char *var(const eg_cgi_params_t *p, const char *name)
{
    const char *found = NULL;
    int seen = 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].name, name) == 0) {
            found = p->v[i].value;
            seen++;
        }
    return seen == 1 ? found : seen > 1 ? "(twice)" : NULL;
}

static void targets(void)
{
    const char *why = NULL;
    is_int(eg_cgi_target_check("/", &why), 0, "'/' is origin-form");
    is_int(eg_cgi_target_check("/a/b?c=d&e", &why), 0, "a path and a query");
    is_int(eg_cgi_target_check("http://x/a", &why), 400, "absolute-form: 400");
    is_int(eg_cgi_target_check("*", &why), 400, "asterisk-form: 400");
    is_int(eg_cgi_target_check("example.com:443", &why), 400, "authority-form: 400");
    is_int(eg_cgi_target_check("", &why), 400, "empty: 400");
    is_int(eg_cgi_target_check("/a b", &why), 400, "a space: 400");
    is_int(eg_cgi_target_check("/a\tb", &why), 400, "a tab: 400");
    is_int(eg_cgi_target_check("/a\x7f", &why), 400, "DEL: 400");
}

static void names(void)
{
    char out[EG_CGI_NAME_MAX], longname[200];
    ok(eg_cgi_env_name("X-Forwarded-For", out) == 1 && strcmp(out, "HTTP_X_FORWARDED_FOR") == 0,
       "X-Forwarded-For -> HTTP_X_FORWARDED_FOR");
    ok(eg_cgi_env_name("host", out) == 1 && strcmp(out, "HTTP_HOST") == 0, "host -> HTTP_HOST");
    ok(eg_cgi_env_name("Cookie", out) == 1 && strcmp(out, "HTTP_COOKIE") == 0, "Cookie");
    ok(eg_cgi_env_name("Authorization", out) == 1, "Authorization is passed");
    is_int(eg_cgi_env_name("X_User", out), 0, "a name with '_' is not passed");
    is_int(eg_cgi_env_name("Proxy", out), 0, "Proxy is not passed (httpoxy)");
    is_int(eg_cgi_env_name("proxy", out), 0, "proxy, any case");
    ok(eg_cgi_env_name("Proxy-Foo", out) == 1, "Proxy-Foo is another name: passed");
    is_int(eg_cgi_env_name("Content-Type", out), 0, "Content-Type goes as CONTENT_TYPE");
    is_int(eg_cgi_env_name("content-length", out), 0, "Content-Length goes as CONTENT_LENGTH");
    is_int(eg_cgi_env_name("Connection", out), 0, "Connection is hop-by-hop");
    is_int(eg_cgi_env_name("Transfer-Encoding", out), 0, "Transfer-Encoding is hop-by-hop");
    is_int(eg_cgi_env_name("Proxy-Authorization", out), 0, "Proxy-Authorization is hop-by-hop");
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    is_int(eg_cgi_env_name(longname, out), 0, "a name too long is not passed");
    longname[EG_CGI_NAME_MAX - 6] = '\0';
    is_int(eg_cgi_env_name(longname, out), 1, "the longest name that fits");
}

static void params(void)
{
    static const eg_cgi_field_t fields[] = {
        {"Host", "127.0.0.1:8081"},
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"Content-Length", "7"},
        {"X-Tag", "a"},
        {"Cookie", "s=1"},
        {"x-tag", "b"},
        {"Cookie", "t=2"},
        {"X_Tag", "smuggled"},
        {"Proxy", "http://evil:3128/"},
        {"Connection", "keep-alive"},
        {"Accept", ""},
    };
    eg_cgi_request_t r = {.method = "POST",
                          .target = "/users/a%2Fb/edit?x=1&y=%20",
                          .version = "HTTP/1.1",
                          .server_name = "127.0.0.1",
                          .server_port = 8081,
                          .remote_addr = "127.0.0.2",
                          .remote_port = 40000,
                          .https = 0,
                          .fields = fields,
                          .n_fields = EG_ARRAY_LEN(fields),
                          .has_body = 1,
                          .body_len = 7};
    eg_cgi_params_t p;
    eg_cgi_params_build(&r, &p);
    is_str(var(&p, "GATEWAY_INTERFACE"), "CGI/1.1", "GATEWAY_INTERFACE");
    is_str(var(&p, "SERVER_SOFTWARE"), "edgegate/" PACKAGE_VERSION, "SERVER_SOFTWARE");
    is_str(var(&p, "SERVER_NAME"), "127.0.0.1", "SERVER_NAME is the listener's address");
    is_str(var(&p, "SERVER_PORT"), "8081", "SERVER_PORT");
    is_str(var(&p, "SERVER_PROTOCOL"), "HTTP/1.1", "SERVER_PROTOCOL");
    is_str(var(&p, "REQUEST_METHOD"), "POST", "REQUEST_METHOD");
    is_str(var(&p, "REQUEST_URI"), "/users/a%2Fb/edit?x=1&y=%20", "REQUEST_URI as received");
    is_str(var(&p, "REQUEST_SCHEME"), "http", "REQUEST_SCHEME");
    is_str(var(&p, "SCRIPT_NAME"), "", "SCRIPT_NAME is empty");
    is_str(var(&p, "PATH_INFO"), "/users/a%2Fb/edit", "PATH_INFO: the raw path, not decoded");
    is_str(var(&p, "QUERY_STRING"), "x=1&y=%20", "QUERY_STRING as received");
    is_str(var(&p, "CONTENT_TYPE"), "application/x-www-form-urlencoded", "CONTENT_TYPE");
    is_str(var(&p, "CONTENT_LENGTH"), "7", "CONTENT_LENGTH is the body's length");
    is_str(var(&p, "REMOTE_ADDR"), "127.0.0.2", "REMOTE_ADDR");
    is_str(var(&p, "REMOTE_PORT"), "40000", "REMOTE_PORT");
    ok(var(&p, "HTTPS") == NULL, "no HTTPS over plain HTTP");
    is_str(var(&p, "HTTP_HOST"), "127.0.0.1:8081", "HTTP_HOST");
    is_str(var(&p, "HTTP_X_TAG"), "a, b", "two fields of one name: one variable, joined");
    is_str(var(&p, "HTTP_COOKIE"), "s=1; t=2", "two Cookie fields joined with '; '");
    is_str(var(&p, "HTTP_ACCEPT"), "", "an empty field is passed empty");
    ok(var(&p, "HTTP_PROXY") == NULL, "no HTTP_PROXY (httpoxy)");
    ok(var(&p, "HTTP_CONTENT_TYPE") == NULL && var(&p, "HTTP_CONTENT_LENGTH") == NULL,
       "no HTTP_CONTENT_TYPE or HTTP_CONTENT_LENGTH");
    ok(var(&p, "HTTP_CONNECTION") == NULL, "no hop-by-hop field");
    for (size_t i = 0; i < p.n; i++)
        if (strcmp(p.v[i].value, "smuggled") == 0 || strstr(p.v[i].value, "smuggled"))
            ok(0, "X_Tag's value reached %s", p.v[i].name);
    ok(1, "X_Tag's value is in no variable");
    eg_cgi_params_free(&p);

    r.method = "GET";
    r.target = "/";
    r.has_body = 0;
    r.https = 1;
    r.n_fields = 1;
    eg_cgi_params_build(&r, &p);
    is_str(var(&p, "HTTPS"), "on", "HTTPS=on over TLS");
    is_str(var(&p, "REQUEST_SCHEME"), "https", "REQUEST_SCHEME https");
    is_str(var(&p, "PATH_INFO"), "/", "PATH_INFO /");
    is_str(var(&p, "QUERY_STRING"), "", "QUERY_STRING empty without '?'");
    ok(var(&p, "CONTENT_LENGTH") == NULL, "no CONTENT_LENGTH without a body");
    ok(var(&p, "CONTENT_TYPE") == NULL, "no CONTENT_TYPE without the field");
    eg_cgi_params_free(&p);
}

static int answer(const char *a, int head, eg_cgi_response_t *r, const char **why)
{
    *why = NULL;
    return eg_cgi_response_parse(a, strlen(a), head, r, why);
}

static const char *field(const eg_cgi_response_t *r, const char *name)
{
    static char buf[256];
    const eg_header_t *h = eg_http_find(&r->head, name);
    if (h == NULL)
        return NULL;
    snprintf(buf, sizeof(buf), "%.*s", (int)h->value_len, h->value);
    return buf;
}

static void answers(void)
{
    eg_cgi_response_t r;
    const char *why;
    size_t cookies = 0;

    is_int(answer("Content-Type: text/plain\r\n\r\nhello", 0, &r, &why), 0, "a plain answer");
    is_int(r.status, 200, "200 without Status");
    ok(r.body_len == 5 && memcmp(r.body, "hello", 5) == 0, "its body");
    is_str(field(&r, "Content-Type"), "text/plain", "Content-Type relayed");

    is_int(answer("Status: 303 See Other\nLocation: /next\nSet-Cookie: a=1; HttpOnly\n"
                  "Set-Cookie: b=2\n\n",
                  0, &r, &why),
           0, "a 303 with cookies (bare LF lines)");
    is_int(r.status, 303, "Status 303");
    is_str(field(&r, "Location"), "/next", "Location relayed");
    ok(field(&r, "Status") == NULL, "Status itself is not relayed");
    for (size_t i = 0; i < r.head.n_headers; i++)
        cookies += r.head.headers[i].name_len == 10 &&
                   strncasecmp(r.head.headers[i].name, "Set-Cookie", 10) == 0;
    is_int(cookies, 2, "both Set-Cookie fields relayed");

    is_int(answer("Location: /x\r\n\r\n", 0, &r, &why), 0, "Location alone");
    is_int(r.status, 302, "is a 302");

    is_int(answer("Content-Type: text/plain\r\nConnection: close, X-Private\r\n"
                  "Transfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\nX-Private: secret\r\n"
                  "Upgrade: h2c\r\nTrailer: X\r\nDate: Mon, 01 Jan 2001 00:00:00 GMT\r\n"
                  "Content-Length: 2\r\nX-Kept: yes\r\n\r\nok",
                  0, &r, &why),
           0, "an answer with hop-by-hop fields");
    is_int(r.head.n_headers, 2, "only Content-Type and X-Kept are left");
    is_str(field(&r, "X-Kept"), "yes", "X-Kept relayed");
    ok(field(&r, "Connection") == NULL && field(&r, "Transfer-Encoding") == NULL &&
           field(&r, "Keep-Alive") == NULL && field(&r, "X-Private") == NULL &&
           field(&r, "Upgrade") == NULL && field(&r, "Trailer") == NULL,
       "no hop-by-hop field, nor one Connection names");
    ok(field(&r, "Date") == NULL && field(&r, "Content-Length") == NULL,
       "Date and Content-Length are the listener's");

    is_int(answer("Status: 204\r\nContent-Type: text/plain\r\n\r\nignored", 0, &r, &why), 0,
           "a 204 with a body");
    is_int(r.body_len, 0, "its body is not sent");

    is_int(answer("Content-Length: 10\r\n\r\n", 1, &r, &why), 0,
           "a HEAD's answer may leave its body out");
    is_int(answer("Content-Length: 10\r\n\r\nabc", 0, &r, &why), 502,
           "a Content-Length that is not the body's: 502");
    is_int(answer("Content-Length: 3, 3\r\n\r\nabc", 0, &r, &why), 502, "a list: 502");
    is_int(answer("Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 0, &r, &why), 502,
           "two Content-Length fields: 502");
    is_int(answer("Content-Length: 3\r\n\r\nabc", 0, &r, &why), 0, "the right one: relayed");

    is_int(answer("Content-Type: text/plain\r\n", 0, &r, &why), 502, "no end of head: 502");
    ok(why != NULL, "why: %s", why ? why : "(none)");
    is_int(answer("", 0, &r, &why), 502, "nothing: 502");
    is_int(answer("\r\nbody", 0, &r, &why), 502, "an empty head: 502");
    is_int(answer("Bad Name: x\r\n\r\n", 0, &r, &why), 502, "a field name with a space: 502");
    is_int(answer("X-A : x\r\n\r\n", 0, &r, &why), 502, "whitespace before the colon: 502");
    is_int(answer("X-A: x\r\n folded\r\n\r\n", 0, &r, &why), 502, "obs-fold: 502");
    is_int(answer("X-A: a\rb\r\n\r\n", 0, &r, &why), 502, "a bare CR in a value: 502");
    is_int(answer("NoColon\r\n\r\n", 0, &r, &why), 502, "a line without a colon: 502");
    is_int(answer("Status: 700\r\n\r\n", 0, &r, &why), 502, "Status 700: 502");
    is_int(answer("Status: 101 Switching\r\n\r\n", 0, &r, &why), 502, "Status 101: 502");
    is_int(answer("Status: abc\r\n\r\n", 0, &r, &why), 502, "Status abc: 502");
    is_int(answer("Status: 200\r\nStatus: 302\r\n\r\n", 0, &r, &why), 502, "two Status: 502");
    is_int(answer("Location: /a\r\nLocation: /b\r\n\r\n", 0, &r, &why), 502, "two Location: 502");
    {
        const char a[] = "X-A: a\0b\r\n\r\n";
        is_int(eg_cgi_response_parse(a, sizeof(a) - 1, 0, &r, &why), 502, "a NUL in a value: 502");
    }
}

int main(void)
{
    targets();
    names();
    params();
    answers();
    return done();
}
