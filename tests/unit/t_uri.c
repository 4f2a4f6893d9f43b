/* Request-target normalization: the table of the rules, the refusals, and a property test
 * (random targets: whatever is accepted is normalized and normalizing again changes nothing). */
#include <stdlib.h>

#include "edgegate/uri.h"
#include "tap.h"

void eg_fuzz_uri_check(const char *path, size_t n);

static void norm(const char *target, const char *want_path, const char *want_query)
{
    eg_uri_t u;
    const char *why = NULL;
    int st = eg_uri_parse(target, strlen(target), "GET", &u, &why);
    if (!ok(st == 0, "'%s' is accepted", target)) {
        printf("#   refused %d: %s\n", st, why);
        return;
    }
    is_str(u.path, want_path, "'%s' -> path '%s'", target, want_path);
    if (want_query)
        is_str(u.query, want_query, "'%s' -> query '%s'", target, want_query);
    else
        ok(u.query == NULL, "'%s' has no query", target);
    eg_uri_free(&u);
}

static void refused(const char *target, size_t len, const char *method, int want)
{
    eg_uri_t u;
    const char *why = NULL;
    int st = eg_uri_parse(target, len, method, &u, &why);
    ok(st == want && why != NULL, "'%.*s' (%s) is refused with %d (%s)", (int)len, target, method,
       want, why ? why : "no reason");
    if (st == 0)
        eg_uri_free(&u);
}

/* A Location or Content-Location resolved against the request target base on host "h". */
static void resolves(const char *base_target, const char *ref, const char *want_path,
                     const char *want_query)
{
    eg_uri_t base, u;
    const char *why = NULL;
    if (eg_uri_parse(base_target, strlen(base_target), "POST", &base, &why) != 0) {
        ok(0, "base '%s' is accepted", base_target);
        return;
    }
    if (!want_path) {
        ok(eg_uri_resolve(ref, strlen(ref), "h", &base, &u, &why) < 0 && why != NULL &&
               u.path == NULL,
           "'%s' against '%s' names nothing of this host (%s)", ref, base_target,
           why ? why : "no reason");
    } else if (ok(eg_uri_resolve(ref, strlen(ref), "h", &base, &u, &why) == 0,
                  "'%s' against '%s' is resolved", ref, base_target)) {
        is_str(u.path, want_path, "'%s' against '%s' -> path '%s'", ref, base_target, want_path);
        if (want_query)
            is_str(u.query, want_query, "'%s' against '%s' -> query '%s'", ref, base_target,
                   want_query);
        else
            ok(u.query == NULL, "'%s' against '%s' has no query", ref, base_target);
        eg_uri_free(&u);
    } else {
        printf("#   refused: %s\n", why);
    }
    eg_uri_free(&base);
}

/* A deterministic generator for the property test. */
static unsigned long long rng = 88172645463325252ULL;
static unsigned next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)rng;
}

int main(void)
{
    /* the shapes that slipped past https-only */
    norm("//account/", "/account/", NULL);
    norm("/%61ccount/", "/account/", NULL);
    norm("/x/../account/", "/account/", NULL);
    norm("/x/%2e%2e/account/", "/account/", NULL);
    norm("/x/%2E%2e/account/", "/account/", NULL);
    norm("/./account/", "/account/", NULL);
    norm("/account/./", "/account/", NULL);
    norm("/account/.", "/account/", NULL);
    norm("/a/b/..", "/a/", NULL);
    norm("/a/b/../", "/a/", NULL);
    norm("/a/./b//c/", "/a/b/c/", NULL);
    norm("///", "/", NULL);
    norm("/", "/", NULL);
    norm("/..a/.b/...", "/..a/.b/...", NULL); /* not dot segments */
    /* escapes */
    norm("/%7e%41%2d%5f%2E%30", "/~A-_.0", NULL);
    norm("/a%3ab%c3%a9", "/a:b%C3%A9", NULL);
    /* what a pattern may name is decoded, so an escape cannot slip past it */
    norm("/sec%24ret/%40%2B%26%27%3D%2C%3B%21%28%29%2A", "/sec$ret/@+&'=,;!()*", NULL);
    norm("/a%3F%23%25%22b", "/a%3F%23%25%22b", NULL); /* these stay escaped */
    norm("/%25", "/%25", NULL);
    norm("/\xc3\xa9", "/%C3%A9", NULL);
    norm("/a\"b<c>", "/a%22b%3Cc%3E", NULL);
    norm("/a%20b", "/a%20b", NULL);
    /* queries stay as sent */
    norm("/a?x=%2F&y=../z", "/a", "x=%2F&y=../z");
    norm("/a/../b?", "/b", "");
    /* absolute-form goes on in origin-form */
    norm("http://Example.COM:8080/a//b?q", "/a/b", "q");
    norm("https://h", "/", NULL);
    norm("HTTP://h?x", "/", "x");
    {
        eg_uri_t u;
        const char *why;
        eg_uri_parse("http://Example.COM:8080/a", 25, "GET", &u, &why);
        is_str(u.authority, "example.com:8080", "absolute-form's authority is kept, lower case");
        eg_uri_free(&u);
        eg_uri_parse("/a", 2, "GET", &u, &why);
        is_str(u.authority, "", "origin-form has no authority");
        eg_uri_free(&u);
        ok(eg_uri_parse("*", 1, "OPTIONS", &u, &why) == 0 && u.asterisk, "OPTIONS * is accepted");
        eg_uri_free(&u);
    }
    /* response URIs (RFC 9111 4.4): resolved (RFC 3986 5.2) and normalized as targets are */
    resolves("/a/b?q", "/c/./d", "/c/d", NULL);
    resolves("/a/b?q", "/a/%62", "/a/b", NULL);
    resolves("/a/b?q", "/x?y=1#frag", "/x", "y=1");
    resolves("/a/b?q", "c", "/a/c", NULL);
    resolves("/a/b?q", "./c/../d?z", "/a/d", "z");
    resolves("/a/b?q", "../c", "/c", NULL);
    resolves("/a/b/?q", "c", "/a/b/c", NULL);
    resolves("/b?q", "c", "/c", NULL);
    resolves("/a/b?q", "?r", "/a/b", "r");
    resolves("/a/b?q", "", "/a/b", "q");
    resolves("/a/b?q", "#top", "/a/b", "q");
    resolves("/a/b", "", "/a/b", NULL);
    resolves("/a/b?q", "http://h/c//d", "/c/d", NULL);
    resolves("/a/b?q", "HTTPS://H?x", "/", "x");
    resolves("/a/b?q", "//h/c", "/c", NULL);
    resolves("/a/b?q", "http://other/c", NULL, NULL);  /* another host's */
    resolves("/a/b?q", "//other/c", NULL, NULL);
    resolves("/a/b?q", "http://h:8080/c", NULL, NULL); /* another authority */
    resolves("/a/b?q", "http://h:80/c", "/c", NULL);    /* the default ports key nothing */
    resolves("/a/b?q", "https://h:443/c", "/c", NULL);
    resolves("/a/b?q", "http://h./c", "/c", NULL);      /* nor a final dot */
    resolves("/a/b?q", "http://H.:80/c", "/c", NULL);
    resolves("/a/b?q", "http://u@h/c", NULL, NULL);
    resolves("/a/b?q", "ftp://h/c", NULL, NULL);       /* another scheme */
    resolves("/a/b?q", "http:/c", NULL, NULL);
    resolves("/a/b?q", "mailto:a@h", NULL, NULL);
    resolves("/a/b?q", "/c%2Fd", NULL, NULL);          /* fails normalization */
    resolves("/a/b?q", "/../c", NULL, NULL);
    resolves("/a/b?q", "../../c", NULL, NULL);
    resolves("/a/b?q", "/c d", NULL, NULL);
    {
        eg_uri_t base, u;
        const char *why;
        eg_uri_parse("/a", 2, "POST", &base, &why);
        ok(eg_uri_resolve("http://h/c", 10, NULL, &base, &u, &why) < 0,
           "no Host: an absolute URI names nothing of it");
        ok(eg_uri_resolve("/c", 2, NULL, &base, &u, &why) == 0, "a path still names one");
        eg_uri_free(&u);
        ok(eg_uri_resolve("http://h/c", 10, "h:80", &base, &u, &why) == 0,
           "Host h:80 is h's authority");
        eg_uri_free(&u);
        ok(eg_uri_resolve("http://h:8080/c", 15, "h:8080", &base, &u, &why) == 0,
           "the same other port is the same authority");
        eg_uri_free(&u);
        ok(eg_uri_resolve("http://h:8081/c", 15, "h:8080", &base, &u, &why) < 0,
           "another port is another authority");
        eg_uri_free(&base);
    }
    /* refusals */
    refused("/account%2Fpage", 15, "GET", 400);
    refused("/account%2fpage", 15, "GET", 400);
    refused("/a%5Cb", 6, "GET", 400);
    refused("/a\\b", 4, "GET", 400);
    refused("/a%00b", 6, "GET", 400);
    refused("/a%0ab", 6, "GET", 400);
    refused("/a%7Fb", 6, "GET", 400);
    refused("/a\0b", 4, "GET", 400);
    refused("/r/a\x0bx", 7, "GET", 400);
    refused("/a b", 4, "GET", 400);
    refused("/a#f", 4, "GET", 400);
    refused("/a?b\x01", 5, "GET", 400);
    refused("/../x", 5, "GET", 400);
    refused("/a/../../x", 10, "GET", 400);
    refused("/%2e%2e/x", 9, "GET", 400);
    refused("/a%zz", 5, "GET", 400);
    refused("/a%4", 4, "GET", 400);
    refused("/a%", 3, "GET", 400);
    refused("account/", 8, "GET", 400);
    refused("", 0, "GET", 400);
    refused("*", 1, "GET", 400);
    refused("ftp://h/a", 9, "GET", 400);
    refused("http://", 7, "GET", 400);
    refused("http://us er@h/", 15, "GET", 400);
    refused("http://user@h/", 14, "GET", 400);
    {
        char *big = malloc(EG_URI_MAX + 10);
        memset(big, 'a', EG_URI_MAX + 9);
        big[0] = '/';
        refused(big, EG_URI_MAX + 9, "GET", 414);
        free(big);
    }
    /* patterns: '*' and '?' are ordinary, dots and slashes normalized */
    {
        char out[64];
        const char *why;
        ok(eg_uri_normalize_path("/a//b/../*.j?g", 14, 1, out, sizeof(out), &why) == 0 &&
               strcmp(out, "/a/*.j?g") == 0,
           "a pattern is normalized with its wildcards kept ('%s')", out);
        ok(eg_uri_normalize_path("/a", 2, 0, out, 2, &why) < 0 && why, "a short buffer is refused");
    }
    /* property: random targets over a hostile alphabet */
    {
        static const char alpha[] = "/./..%2e%2E%2f%41%7e%zz%3a%c3ab?~-_\\\x01 #";
        int accepted = 0, stable = 1;
        for (int i = 0; i < 20000; i++) {
            char t[64];
            size_t n = 1 + next() % 40;
            eg_uri_t u;
            const char *why;
            t[0] = '/';
            for (size_t j = 1; j < n; j++)
                t[j] = alpha[next() % (sizeof(alpha) - 1)];
            if (eg_uri_parse(t, n, "GET", &u, &why) == 0) {
                accepted++;
                eg_fuzz_uri_check(u.path, u.path_len); /* aborts on a broken property */
                eg_uri_free(&u);
            } else if (why == NULL) {
                stable = 0;
            }
        }
        ok(accepted > 1000 && stable,
           "20000 random targets: %d accepted, all normalized and idempotent, refusals say why",
           accepted);
    }
    return done();
}
