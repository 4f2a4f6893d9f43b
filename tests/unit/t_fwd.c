/* What reaches the origin and what keys the cache (CloudFront's cache and origin request
 * policies, with its defaults). */
#include "edgegate/fwd.h"
#include "tap.h"

static void cookies(const eg_fwd_policy_t *p, const char *in, const char *fwd, const char *key,
                    const char *name)
{
    eg_buf_t f = {0}, k = {0};
    eg_fwd_cookies(p, in, &f, &k);
    is_str(f.data ? f.data : "", fwd, "%s: forwarded '%s'", name, fwd);
    is_str(k.data ? k.data : "", key, "%s: keyed '%s'", name, key);
    eg_buf_free(&f);
    eg_buf_free(&k);
}

int main(void)
{
    eg_fwd_policy_t none = {0};
    eg_fwd_policy_t p = {"Authorization,X-Tenant", "sid", "X-Trace", "lang"};
    eg_fwd_policy_t all = {"", "all", "all-viewer", "none"};

    /* defaults: nothing extra */
    is_int(eg_fwd_header(&none, "Authorization"), EG_FWD_DROP, "Authorization is dropped by default");
    is_int(eg_fwd_header(&none, "User-Agent"), EG_FWD_DROP, "User-Agent is dropped by default");
    is_int(eg_fwd_header(&none, "X-Custom"), EG_FWD_DROP, "other headers are dropped by default");
    is_int(eg_fwd_header(&none, "If-None-Match"), EG_FWD_PASS, "conditionals always pass");
    is_int(eg_fwd_header(&none, "range"), EG_FWD_PASS, "Range always passes");
    is_int(eg_fwd_header(&none, "Content-Type"), EG_FWD_PASS, "a body's type always passes");
    is_int(eg_fwd_header(&none, "Host"), EG_FWD_SPECIAL, "Host is the front's");
    is_int(eg_fwd_header(&none, "Cookie"), EG_FWD_SPECIAL, "Cookie is filtered apart");
    is_int(eg_fwd_header(&none, "Accept-Encoding"), EG_FWD_SPECIAL, "Accept-Encoding is normalized");
    is_int(eg_fwd_header(&none, "Connection"), EG_FWD_DROP, "hop-by-hop fields never pass");
    is_int(eg_fwd_header(&none, "Proxy-Authorization"), EG_FWD_DROP, "Proxy-Authorization never passes");
    /* policies */
    is_int(eg_fwd_header(&p, "authorization"), EG_FWD_KEY, "Authorization in the cache policy is keyed");
    is_int(eg_fwd_header(&p, "X-Tenant"), EG_FWD_KEY, "a cache-policy header is keyed");
    is_int(eg_fwd_header(&p, "X-Trace"), EG_FWD_PASS, "an origin-policy header passes unkeyed");
    is_int(eg_fwd_header(&p, "X-Other"), EG_FWD_DROP, "an unnamed header is dropped");
    is_int(eg_fwd_header(&all, "X-Other"), EG_FWD_PASS, "all-viewer passes any header");
    is_int(eg_fwd_header(&all, "Authorization"), EG_FWD_DROP, "all-viewer leaves Authorization out");
    {
        eg_fwd_policy_t bad = {"", "none", "Authorization", "none"};
        is_int(eg_fwd_header(&bad, "Authorization"), EG_FWD_DROP,
               "Authorization never passes unkeyed, even when an origin policy names it");
    }
    {
        eg_fwd_policy_t words = {"none", "none", "none", "none"};
        is_int(eg_fwd_header(&words, "None"), EG_FWD_DROP, "the word none is not a header name");
        words.origin_headers = "all";
        is_int(eg_fwd_header(&words, "All"), EG_FWD_DROP, "the word all is not a header name");
    }
    /* cookies */
    cookies(&none, "sid=1; lang=en", "", "", "no cookie policy");
    {
        eg_fwd_policy_t words = {"none", "none", "none", "none"};
        cookies(&words, "none=1; sid=2", "", "", "the word none is not a cookie name");
    }
    cookies(&p, "a=1; sid=abc; lang=en", "sid=abc; lang=en", "sid=abc", "sid keyed, lang passed");
    cookies(&p, "lang=en; sid=x", "lang=en; sid=x", "sid=x", "order as sent is forwarded");
    cookies(&p, "lang=en", "lang=en", "\1sid", "an absent keyed cookie keys as absent");
    cookies(&p, "sid; lang=en", "sid; lang=en", "sid",
            "a bare name is forwarded and keyed as sent, not as absent");
    cookies(&p, "sidx=1; SID=2", "", "\1sid", "cookie names match exactly");
    cookies(&p, "sid=A; sid=B", "sid=A; sid=B", "sid=A; sid=B",
            "a repeated keyed cookie keys every value it forwards");
    {
        eg_fwd_policy_t upper = {"", "ALL", "none", "None"};
        cookies(&upper, "ALL=1; x=2", "ALL=1", "ALL=1",
                "ALL is a cookie name (egctl stores the words in lower case)");
    }
    cookies(&all, "b=2; a=1", "b=2; a=1", "b=2; a=1", "all cookies keyed");
    {
        eg_fwd_policy_t o = {"", "none", "none", "all"};
        cookies(&o, "b=2;a=1", "b=2; a=1", "", "all cookies forwarded unkeyed");
    }
    ok(eg_fwd_conditional("if-none-match") && eg_fwd_conditional("Range") &&
           eg_fwd_conditional("If-Unmodified-Since") && !eg_fwd_conditional("Content-Type") &&
           !eg_fwd_conditional("If"),
       "the conditional and range fields are told apart from a body's description");
    /* Accept-Encoding */
    is_str(eg_fwd_accept_encoding(NULL), "", "no Accept-Encoding: identity");
    is_str(eg_fwd_accept_encoding("gzip, deflate, br"), "br,gzip", "gzip, deflate, br");
    is_str(eg_fwd_accept_encoding("br, gzip"), "br,gzip", "br, gzip keys the same");
    is_str(eg_fwd_accept_encoding("gzip"), "gzip", "gzip");
    is_str(eg_fwd_accept_encoding("deflate"), "", "deflate alone: identity");
    is_str(eg_fwd_accept_encoding("gzip;q=0, br"), "br", "q=0 refuses a coding");
    is_str(eg_fwd_accept_encoding("GZIP ; q=0.5"), "gzip", "any case, with a weight");
    is_str(eg_fwd_accept_encoding("*"), "br,gzip", "* accepts both");
    is_str(eg_fwd_accept_encoding("*, br;q=0"), "gzip", "* less br");
    return done();
}
