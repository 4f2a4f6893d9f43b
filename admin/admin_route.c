/* Which page answers a request: the stylesheet and the sign-in page for anyone; every other
 * page only with a session, and every POST only with the session's CSRF token. */
#include <arpa/inet.h>
#include <strings.h>

#include "edgegate/admin.h"
#include "edgegate/common.h"

#define MAX_SEGS 6

/* Splits "/a/b/c" into at most MAX_SEGS segments of [A-Za-z0-9._-] (ids never hold more);
 * -1 when the path holds anything else. */
static int split(const char *path, char segs[MAX_SEGS][EG_ID_MAX], int *n)
{
    const char *p = path;
    *n = 0;
    if (*p != '/')
        return -1;
    while (*p == '/') {
        size_t len = 0;
        p++;
        if (*p == '\0')
            break; /* a trailing slash */
        if (*n == MAX_SEGS)
            return -1;
        while (p[len] && p[len] != '/') {
            char c = p[len];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-'))
                return -1;
            len++;
        }
        if (len == 0 || len >= EG_ID_MAX || (len <= 2 && p[0] == '.' && p[len - 1] == '.'))
            return -1;
        memcpy(segs[*n], p, len);
        segs[*n][len] = '\0';
        (*n)++;
        p += len;
    }
    return *p == '\0' ? 0 : -1;
}

static int is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static void not_found(eg_admin_t *a)
{
    eg_admin_fail(a, 404, "Not found", "There is no such page in the console.");
}

/* Whether a host name (a Host field without its port, or SERVER_NAME) is this machine's
 * loopback: localhost, 127.0.0.0/8 or ::1. */
static int loopback(const char *h, size_t n)
{
    char buf[64];
    if (n >= sizeof(buf))
        return 0;
    memcpy(buf, h, n);
    buf[n] = '\0';
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return strcasecmp(buf, "localhost") == 0 || strcmp(buf, "[::1]") == 0 ||
           strcmp(buf, "::1") == 0;
}

/* A console that listens on loopback answers only requests that name loopback in Host: a
 * page of another site that has its name resolve to 127.0.0.1 (DNS rebinding) cannot drive
 * it, not even its sign-in. */
static int host_ok(const eg_admin_t *a)
{
    const char *h = a->host, *end;
    if (a->server_name == NULL || !loopback(a->server_name, strlen(a->server_name)))
        return 1;
    if (h == NULL)
        return 0;
    end = h[0] == '[' ? strchr(h, ']') : strchr(h, ':');
    if (h[0] == '[' && end)
        end++;
    return loopback(h, end ? (size_t)(end - h) : strlen(h));
}

void eg_admin_handle(eg_admin_t *a)
{
    char s[MAX_SEGS][EG_ID_MAX], actor[EG_USER_MAX + 8];
    int n, get = is(a->method, "GET") || is(a->method, "HEAD"), post = is(a->method, "POST");

    if (!get && !post) {
        eg_buf_adds(&a->head, "Allow: GET, HEAD, POST\r\n");
        eg_admin_fail(a, 405, "Method not allowed", "The console answers GET and POST only.");
        return;
    }
    if (!host_ok(a)) {
        eg_admin_fail(a, 421, "Misdirected request",
                      "This console listens on the loopback address and answers only requests "
                      "for localhost or 127.0.0.1.");
        return;
    }
    if (split(a->path, s, &n) < 0) {
        not_found(a);
        return;
    }
    if (n == 2 && is(s[0], "static") && is(s[1], "style.css") && get) {
        eg_buf_adds(&a->head, "Content-Type: text/css; charset=utf-8\r\n"
                              "Cache-Control: max-age=300\r\n");
        eg_buf_adds(&a->body, eg_admin_css);
        return;
    }
    if (n == 1 && is(s[0], "signin")) {
        eg_admin_signin(a);
        return;
    }
    if (!eg_admin_session(a)) {
        /* GETs go to the sign-in page, /favicon.ico too: browsers ask for it after every
         * page, and its answer re-setting the sign-in cookie after a sign-out's page is shown
         * is what makes Chromium drop the signed-in pages from its back-forward cache (it
         * keeps even no-store pages, and drops them on a cookie change; Clear-Site-Data on
         * that page is the standard way, which it does not honour over plain HTTP) */
        if (get)
            eg_admin_redirect(a, "/signin");
        else
            eg_admin_fail(a, 403, "Sign in first",
                          "Your session has ended or you are not signed in. Sign in again; "
                          "nothing was changed.");
        return;
    }
    if (post && !eg_admin_csrf_ok(a)) {
        eg_admin_fail(a, 403, "Request refused",
                      "This form did not carry the console's security token (it may be from "
                      "another site, or from before you last signed in). Nothing was "
                      "changed; reload the page and try again.");
        return;
    }
    snprintf(actor, sizeof(actor), "admin:%s", a->user);
    eg_db_set_actor(a->db, actor);
    if (n == 0) {
        eg_admin_redirect(a, "/distributions");
        return;
    }
    if (n == 1 && is(s[0], "signout") && post) {
        eg_admin_signout(a);
        return;
    }
    if (!is(s[0], "distributions")) {
        not_found(a);
        return;
    }
    if (n == 1) {
        eg_admin_dists(a);
    } else if (n == 2 && is(s[1], "new")) {
        eg_admin_dist_new(a);
    } else if (n == 2 || (n == 3 && is(s[2], "general"))) {
        eg_admin_general(a, s[1]); /* a distribution called "new": .../new/general */
    } else if (n == 3 && (is(s[2], "export.xml") || is(s[2], "export.json")) && get) {
        eg_admin_export(a, s[1], is(s[2], "export.xml") ? 0 : 1);
    } else if ((n == 3 && is(s[2], "import")) ||
               (n == 4 && is(s[2], "import") && is(s[3], "apply"))) {
        eg_admin_import(a, s[1], n == 4);
    } else if (n == 3 && (is(s[2], "enable") || is(s[2], "delete"))) {
        eg_admin_dist_action(a, s[1], s[2]);
    } else if (is(s[2], "origins") && n == 3) {
        eg_admin_origins(a, s[1], NULL, NULL);
    } else if (is(s[2], "origins") && n == 4 && is(s[3], "new")) {
        eg_admin_origins(a, s[1], NULL, "new");
    } else if (is(s[2], "origins") && n == 5 && (is(s[4], "edit") || is(s[4], "delete"))) {
        eg_admin_origins(a, s[1], s[3], s[4]);
    } else if (is(s[2], "behaviors") && n == 3) {
        eg_admin_behaviors(a, s[1], NULL);
    } else if (is(s[2], "behaviors") && n == 4 &&
               (is(s[3], "new") || is(s[3], "edit") || is(s[3], "delete"))) {
        eg_admin_behaviors(a, s[1], s[3]);
    } else if (is(s[2], "invalidations") && n == 3) {
        eg_admin_invalidations(a, s[1], NULL);
    } else if (is(s[2], "invalidations") && n == 4 && is(s[3], "all")) {
        eg_admin_invalidations(a, s[1], "all");
    } else {
        not_found(a);
    }
}
