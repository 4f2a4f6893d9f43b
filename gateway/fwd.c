/* The forwarding and keying rules (see fwd.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edgegate/fwd.h"
#include "edgegate/http.h"

/* Fields HTTP itself needs to mean the same thing at the origin: conditionals and ranges
 * (RFC 9110 §13, §14), then a request body's own description. */
static const char *const always[] = {
    "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range",
    "Range",    "Content-Type",  "Content-Encoding",  "Content-Language",
};
#define N_CONDITIONAL 6 /* the first entries of always[] */

int eg_fwd_conditional(const char *name)
{
    for (size_t i = 0; i < N_CONDITIONAL; i++)
        if (strcasecmp(name, always[i]) == 0)
            return 1;
    return 0;
}

/* Written by the front itself, whatever a policy says. */
static const char *const special[] = {
    "Host", "Content-Length", "Transfer-Encoding", "Expect", "Cookie", "Accept-Encoding",
    "X-Forwarded-For", "X-Forwarded-Proto", "Via", "Forwarded", "Surrogate-Capability",
};

/* The words are spelled exactly as egctl stores them: "ALL" is a name, not a word. */
static int is_word(const char *v, const char *word)
{
    return v && strcmp(v, word) == 0;
}

/* A name list; the words none/all/all-viewer are not names. */
static int in_list(const char *list, const char *name)
{
    return list && *list && !is_word(list, "none") && !is_word(list, "all") &&
           !is_word(list, "all-viewer") && eg_http_has_token(list, strlen(list), name);
}

eg_fwd_class_t eg_fwd_header(const eg_fwd_policy_t *p, const char *name)
{
    size_t n = strlen(name);
    if (eg_http_is_hop_by_hop(name, n))
        return EG_FWD_DROP;
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
        if (strcasecmp(name, special[i]) == 0)
            return EG_FWD_SPECIAL;
    if (in_list(p->cache_headers, name))
        return EG_FWD_KEY;
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        if (strcasecmp(name, always[i]) == 0)
            return EG_FWD_PASS;
    /* Authorization reaches the origin only through the cache policy: then it is keyed, so
     * the cache never answers one viewer's authorized request for another. */
    if (strcasecmp(name, "Authorization") == 0)
        return EG_FWD_DROP;
    if (is_word(p->origin_headers, "all-viewer") || in_list(p->origin_headers, name))
        return EG_FWD_PASS;
    return EG_FWD_DROP;
}

/* Cookie names are matched exactly (case-sensitive), as CloudFront does. */
static int cookie_named(const char *list, const char *name, size_t n)
{
    const char *p = list;
    if (list == NULL)
        return 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

static void add_cookie(eg_buf_t *b, const char *c, size_t n)
{
    if (b->len)
        eg_buf_adds(b, "; ");
    eg_buf_add(b, c, n);
}

void eg_fwd_cookies(const eg_fwd_policy_t *p, const char *cookie, eg_buf_t *fwd, eg_buf_t *key)
{
    int key_all = is_word(p->cache_cookies, "all");
    int key_none = p->cache_cookies == NULL || *p->cache_cookies == '\0' ||
                   is_word(p->cache_cookies, "none");
    int pass_all = is_word(p->origin_cookies, "all");
    int pass_none = p->origin_cookies == NULL || *p->origin_cookies == '\0' ||
                    is_word(p->origin_cookies, "none");
    const char *c;
    if (key_none && pass_none)
        return;
    if (cookie == NULL) /* no Cookie field: every keyed cookie is absent, as without it */
        cookie = "";
    c = cookie;
    while (*c) {
        const char *e = strchr(c, ';'), *eq;
        size_t len, nlen;
        while (*c == ' ' || *c == '\t')
            c++;
        e = strchr(c, ';');
        len = e ? (size_t)(e - c) : strlen(c);
        while (len && (c[len - 1] == ' ' || c[len - 1] == '\t'))
            len--;
        eq = memchr(c, '=', len);
        nlen = eq ? (size_t)(eq - c) : len;
        if (len) {
            int keyed = !key_none && (key_all || cookie_named(p->cache_cookies, c, nlen));
            int passed = keyed || (!pass_none && (pass_all || cookie_named(p->origin_cookies, c,
                                                                             nlen)));
            if (passed)
                add_cookie(fwd, c, len);
            if (keyed && key_all)
                add_cookie(key, c, len);
        }
        if (e == NULL)
            break;
        c = e + 1;
    }
    if (!key_none && !key_all) {
        /* keyed in the policy's order, so the order the viewer sent them in does not matter;
         * every occurrence of a name is keyed (an origin may read the last of them), a bare
         * "name" as sent (it is forwarded: an origin may read it as an empty value), and an
         * absent cookie keys as absent ("\1name", no byte a cookie holds) */
        const char *l = p->cache_cookies;
        while (*l) {
            const char *e = strchr(l, ',');
            size_t n = e ? (size_t)(e - l) : strlen(l);
            int found = 0;
            for (const char *s = cookie; *s;) {
                const char *se;
                size_t slen;
                while (*s == ' ' || *s == '\t')
                    s++;
                se = strchr(s, ';');
                slen = se ? (size_t)(se - s) : strlen(s);
                while (slen && (s[slen - 1] == ' ' || s[slen - 1] == '\t'))
                    slen--;
                if (slen >= n && strncmp(s, l, n) == 0 && (slen == n || s[n] == '=')) {
                    add_cookie(key, s, slen);
                    found = 1;
                }
                if (se == NULL)
                    break;
                s = se + 1;
            }
            if (!found) {
                add_cookie(key, "\1", 1);
                eg_buf_add(key, l, n);
            }
            if (e == NULL)
                break;
            l = e + 1;
        }
    }
}

/* q of one Accept-Encoding element: 0 when "q=0", 1 otherwise. */
static int accepted(const char *params, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
            double q = strtod(params + i + 2, NULL);
            return q > 0.0;
        }
    return 1;
}

const char *eg_fwd_accept_encoding(const char *value)
{
    int gzip = -1, br = -1, star = -1;
    const char *p = value;
    if (value == NULL)
        return "";
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p), tl;
        const char *semi;
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        semi = memchr(p, ';', len);
        tl = semi ? (size_t)(semi - p) : len;
        while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
            tl--;
        if (tl == 4 && strncasecmp(p, "gzip", 4) == 0)
            gzip = accepted(p + tl, len - tl);
        else if (tl == 2 && strncasecmp(p, "br", 2) == 0)
            br = accepted(p + tl, len - tl);
        else if (tl == 1 && *p == '*')
            star = accepted(p + tl, len - tl);
        if (e == NULL)
            break;
        p = e + 1;
    }
    if (gzip < 0)
        gzip = star > 0;
    if (br < 0)
        br = star > 0;
    return gzip && br ? "br,gzip" : gzip ? "gzip" : br ? "br" : "";
}
