/* Signing in and out. Passwords are checked with auth.c (scrypt); a session is a random token
 * in an HttpOnly, SameSite=Strict cookie, stored in the database only as its digest, with
 * its own CSRF token; failed sign-ins slow further ones for that user name from that address,
 * and every one from that address (db/, shared by every console worker), so someone
 * elsewhere cannot keep an operator out. */
#include <arpa/inet.h>

#include "edgegate/admin.h"
#include "edgegate/auth.h"
#include "edgegate/common.h"

/* Equal strings, in a time that does not depend on where they differ. */
static int same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0 && la > 0;
}

static void cookie(eg_admin_t *a, const char *name, const char *value, long long max_age)
{
    eg_buf_printf(&a->head,
                  "Set-Cookie: %s=%s; Path=%s/; Max-Age=%lld; HttpOnly; "
                  "SameSite=Strict%s\r\n",
                  name, value, a->base, max_age, a->https ? "; Secure" : "");
}

/* Whether s is a token as eg_auth_token makes them. */
static int token_shaped(const char *s)
{
    size_t n = strlen(s);
    if (n != EG_AUTH_TOKEN_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

/* The address sign-in failures are counted by: an IPv4 address, or the /64 an IPv6 one is in
 * (one host holds a whole /64). */
static void address_key(const char *remote, char *out, size_t len)
{
    struct in6_addr a6;
    if (strchr(remote, ':') && inet_pton(AF_INET6, remote, &a6) == 1) {
        char text[INET6_ADDRSTRLEN];
        memset(a6.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &a6, text, sizeof(text));
        snprintf(out, len, "%s/64", text);
        return;
    }
    snprintf(out, len, "%s", remote);
}

static void form(eg_admin_t *a, int status, const char *user, const char *error)
{
    char token[EG_AUTH_TOKEN_LEN + 8];
    a->status = status;
    /* The browser's sign-in token is kept while it has one: each GET of this page replacing
     * it would make every sign-in form shown before it fail, and browsers fetch /favicon.ico
     * after the page, which (not signed in) is redirected here. */
    if (!eg_web_cookie(a->cookie, EG_ADMIN_PRESIGN_COOKIE, token, sizeof(token)) ||
        !token_shaped(token)) {
        if (eg_auth_token(token, sizeof(token)) < 0) {
            eg_admin_fail(a, 500, "Sign in", "No randomness is available for a sign-in token.");
            return;
        }
    }
    cookie(a, EG_ADMIN_PRESIGN_COOKIE, token, 3600);
    eg_admin_page_begin(a, "Sign in", NULL, EG_TAB_NONE);
    if (strcmp(eg_web_get(&a->query, "msg") ? eg_web_get(&a->query, "msg") : "", "signed-out") ==
        0) {
        /* the pages seen while signed in leave the browser's memory too: its back-forward
         * cache may keep even no-store pages and show them on Back (see admin_route.c for
         * what Chromium needs over plain HTTP) */
        eg_buf_adds(&a->head, "Clear-Site-Data: \"cache\"\r\n");
        eg_buf_adds(&a->body, "<p class=\"alert ok\" role=\"status\">You are signed out.</p>\n");
    }
    if (error)
        eg_web_printf(&a->body,
                      "<p class=\"alert error\" role=\"alert\" id=\"signin-error\">"
                      "%s</p>\n",
                      error);
    eg_web_printf(&a->body,
                  "<form method=\"post\" action=\"%s/signin\" class=\"card narrow\">\n"
                  "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n"
                  "<div class=\"field\">\n<label for=\"f-user\">User name</label>\n"
                  "<input type=\"text\" id=\"f-user\" name=\"user\" value=\"%s\" "
                  "autocomplete=\"username\" required autofocus maxlength=\"63\">\n</div>\n"
                  "<div class=\"field\">\n<label for=\"f-password\">Password</label>\n"
                  "<input type=\"password\" id=\"f-password\" name=\"password\" "
                  "autocomplete=\"current-password\" required maxlength=\"1024\">\n</div>\n"
                  "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Sign in"
                  "</button></div>\n</form>\n"
                  "<p class=\"hint\">Accounts are made on the gateway's host with "
                  "<code>egctl user add NAME</code>.</p>\n",
                  a->base, token, user ? user : "");
    eg_admin_page_end(a);
}

void eg_admin_signin(eg_admin_t *a)
{
    char presign[EG_AUTH_TOKEN_LEN + 8], hash[EG_HASH_MAX], err[512], addr[64],
        ukey[EG_USER_MAX + 80], ikey[80], token[EG_AUTH_TOKEN_LEN + 1], csrf[EG_AUTH_TOKEN_LEN + 1],
        digest[65];
    const char *user, *password, *given, *keys[] = {ukey, ikey};
    int wait = 0, found, ok;

    if (strcmp(a->method, "POST") != 0) {
        if (eg_admin_session(a)) {
            eg_admin_redirect(a, "/distributions");
            return;
        }
        form(a, 200, NULL, NULL);
        return;
    }
    given = eg_web_get(&a->form, "csrf");
    if (given == NULL ||
        !eg_web_cookie(a->cookie, EG_ADMIN_PRESIGN_COOKIE, presign, sizeof(presign)) ||
        !same(given, presign)) {
        form(a, 403, NULL,
             "The sign-in form had expired or did not come from this console. "
             "Please sign in again.");
        return;
    }
    user = eg_web_get(&a->form, "user");
    password = eg_web_get(&a->form, "password");
    if (user == NULL || password == NULL || *user == '\0' || strlen(user) >= EG_USER_MAX) {
        form(a, 400, user && strlen(user) < EG_USER_MAX ? user : NULL,
             "Enter your user name and password.");
        return;
    }
    address_key(a->remote_addr, addr, sizeof(addr));
    snprintf(ukey, sizeof(ukey), "user:%s@%s", user, addr);
    snprintf(ikey, sizeof(ikey), "ip:%s", addr);
    /* checked and counted at once, before scrypt runs: attempts in parallel wait their turn */
    if (eg_db_login_attempt(a->db, keys, 2, a->now, &wait, err, sizeof(err)) < 0) {
        eg_admin_fail(a, 500, "Sign in", err);
        return;
    }
    if (wait) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Too many failed sign-ins. Wait %d seconds, then try again.",
                 wait);
        eg_buf_printf(&a->head, "Retry-After: %d\r\n", wait);
        form(a, 429, user, msg);
        return;
    }
    found = eg_db_user_get(a->db, user, hash, sizeof(hash), err, sizeof(err));
    if (found < 0) {
        eg_admin_fail(a, 500, "Sign in", err);
        return;
    }
    if (found)
        ok = eg_auth_verify(password, hash) == 1;
    else {
        eg_auth_verify_dummy(password); /* as long as for a known user */
        ok = 0;
    }
    if (!ok) { /* already counted */
        eg_log_warn("failed sign-in for '%s' from %s", user, a->remote_addr);
        form(a, 403, user, "The user name or password is not right.");
        return;
    }
    if (eg_db_login_succeeded(a->db, ukey, err, sizeof(err)) < 0 ||
        eg_db_login_succeeded(a->db, ikey, err, sizeof(err)) < 0)
        eg_log_warn("sign-in throttle: %s", err);
    if (eg_auth_token(token, sizeof(token)) < 0 || eg_auth_token(csrf, sizeof(csrf)) < 0) {
        eg_admin_fail(a, 500, "Sign in", "No randomness is available for a session.");
        return;
    }
    eg_auth_token_digest(token, digest);
    if (eg_db_session_create(a->db, digest, user, csrf, a->now + EG_ADMIN_SESSION_TTL, err,
                             sizeof(err)) < 0) {
        eg_admin_fail(a, 500, "Sign in", err);
        return;
    }
    cookie(a, EG_ADMIN_SESSION_COOKIE, token, EG_ADMIN_SESSION_TTL);
    cookie(a, EG_ADMIN_PRESIGN_COOKIE, "", 0);
    eg_admin_redirect(a, "/distributions");
}

int eg_admin_session(eg_admin_t *a)
{
    char token[EG_AUTH_TOKEN_LEN + 8], err[512];
    int r;
    if (!eg_web_cookie(a->cookie, EG_ADMIN_SESSION_COOKIE, token, sizeof(token)) ||
        strlen(token) != EG_AUTH_TOKEN_LEN)
        return 0;
    eg_auth_token_digest(token, a->digest);
    r = eg_db_session_get(a->db, a->digest, a->now, a->user, a->csrf, err, sizeof(err));
    if (r < 0)
        eg_log_warn("reading a session: %s", err);
    if (r != 1) {
        a->user[0] = a->csrf[0] = '\0';
        return 0;
    }
    return 1;
}

void eg_admin_signout(eg_admin_t *a)
{
    char err[512];
    if (eg_db_session_rm(a->db, a->digest, err, sizeof(err)) < 0)
        eg_log_warn("ending a session: %s", err);
    cookie(a, EG_ADMIN_SESSION_COOKIE, "", 0);
    a->user[0] = '\0';
    eg_admin_redirect(a, "/signin?msg=signed-out");
}

int eg_admin_csrf_ok(eg_admin_t *a)
{
    const char *given = eg_web_get(&a->form, "csrf");
    return given != NULL && a->csrf[0] && same(given, a->csrf);
}
