/* A behavior's forwarding and TTLs in CloudFront's words. Two shapes hold them:
 *  - the legacy ForwardedValues (QueryString, Cookies, Headers) with MinTTL, DefaultTTL and
 *    MaxTTL beside it: everything forwarded is also keyed, which is edgegate's --cache-*;
 *  - a cache policy (keyed and forwarded) plus an origin request policy (forwarded, not keyed:
 *    edgegate's --origin-*). In CloudFront those two are objects of their own that a behavior
 *    names by CachePolicyId/OriginRequestPolicyId; edgegate writes their configurations
 *    (CachePolicyConfig, OriginRequestPolicyConfig, CloudFront's shapes) inline in the
 *    behavior, and reads either form, and the ids of CloudFront's managed policies.
 * The viewer's Host (--forward-host) is the header "Host" among the cache policy's (or the
 * legacy Headers); an origin request policy forwarding all viewer headers (allViewer) forwards
 * Host too, and "allExcept Host" is edgegate's all-viewer without it. */
#include <strings.h>

#include "edgegate/common.h"
#include "conf_int.h"

/* --- names lists -------------------------------------------------------------------------- */

/* Adds {Quantity, Items} of the comma-separated names (skipping "Host" when skip_host) and,
 * when host, "Host" last. */
static void add_names(eg_cnode_t *parent, const char *wrapper, const char *list, int skip_host,
                      int host)
{
    eg_cnode_t *w = eg_cn_add(parent, wrapper, EG_CN_OBJECT), *items = NULL;
    long long n = 0;
    eg_cnode_t *q = eg_cn_add_int(w, "Quantity", 0);
    char *copy = eg_strdup(list ? list : "");
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (skip_host && strcasecmp(p, "Host") == 0)
            continue;
        if (items == NULL)
            items = eg_cn_add(w, "Items", EG_CN_LIST);
        eg_cn_add_str(items, "Name", p);
        n++;
    }
    if (host) {
        if (items == NULL)
            items = eg_cn_add(w, "Items", EG_CN_LIST);
        eg_cn_add_str(items, "Name", "Host");
        n++;
    }
    q->num = n;
    free(copy);
}

static int is_word(const char *list)
{
    return strcmp(list, "none") == 0 || strcmp(list, "all") == 0 ||
           strcmp(list, "all-viewer") == 0;
}

/* --- export ---------------------------------------------------------------------------------- */

static void export_legacy(const eg_behavior_t *b, eg_cnode_t *beh)
{
    eg_cnode_t *fv = eg_cn_add(beh, "ForwardedValues", EG_CN_OBJECT), *cookies;
    eg_cn_add_bool(fv, "QueryString", b->forward_query);
    cookies = eg_cn_add(fv, "Cookies", EG_CN_OBJECT);
    if (is_word(b->cache_cookies)) {
        eg_cn_add_str(cookies, "Forward", b->cache_cookies);
    } else {
        eg_cn_add_str(cookies, "Forward", "whitelist");
        add_names(cookies, "WhitelistedNames", b->cache_cookies, 0, 0);
    }
    add_names(fv, "Headers", is_word(b->cache_headers) ? "" : b->cache_headers, 0,
              b->forward_host);
    eg_cn_add_int(beh, "MinTTL", b->min_ttl);
    eg_cn_add_int(beh, "DefaultTTL", b->default_ttl);
    eg_cn_add_int(beh, "MaxTTL", b->max_ttl);
}

static void policy_name(eg_cnode_t *cfg, const char *dist_id, const char *prefix,
                        const char *kind)
{
    char name[200];
    eg_cn_add_str(cfg, "Comment", "");
    snprintf(name, sizeof(name), "%s-%s-%s", dist_id, prefix, kind);
    eg_cn_add_str(cfg, "Name", name);
}

static void export_policies(const eg_behavior_t *b, const char *dist_id, const char *prefix,
                            eg_cnode_t *beh)
{
    eg_cnode_t *cp = eg_cn_add(beh, "CachePolicyConfig", EG_CN_OBJECT), *params, *h, *c, *q;
    eg_cnode_t *orp;
    int all_viewer = strcmp(b->origin_headers, "all-viewer") == 0;

    policy_name(cp, dist_id, prefix, "cache");
    eg_cn_add_int(cp, "DefaultTTL", b->default_ttl);
    eg_cn_add_int(cp, "MaxTTL", b->max_ttl);
    eg_cn_add_int(cp, "MinTTL", b->min_ttl);
    params = eg_cn_add(cp, "ParametersInCacheKeyAndForwardedToOrigin", EG_CN_OBJECT);
    eg_cn_add_bool(params, "EnableAcceptEncodingGzip", 1);
    eg_cn_add_bool(params, "EnableAcceptEncodingBrotli", 1);
    h = eg_cn_add(params, "HeadersConfig", EG_CN_OBJECT);
    /* the viewer's Host goes with the cache policy unless all viewer headers go anyway */
    if (strcmp(b->cache_headers, "none") == 0 && !(b->forward_host && !all_viewer)) {
        eg_cn_add_str(h, "HeaderBehavior", "none");
    } else {
        eg_cn_add_str(h, "HeaderBehavior", "whitelist");
        add_names(h, "Headers", strcmp(b->cache_headers, "none") ? b->cache_headers : "", 0,
                  b->forward_host && !all_viewer);
    }
    c = eg_cn_add(params, "CookiesConfig", EG_CN_OBJECT);
    if (is_word(b->cache_cookies)) {
        eg_cn_add_str(c, "CookieBehavior", b->cache_cookies);
    } else {
        eg_cn_add_str(c, "CookieBehavior", "whitelist");
        add_names(c, "Cookies", b->cache_cookies, 0, 0);
    }
    q = eg_cn_add(params, "QueryStringsConfig", EG_CN_OBJECT);
    eg_cn_add_str(q, "QueryStringBehavior", b->forward_query ? "all" : "none");

    orp = eg_cn_add(beh, "OriginRequestPolicyConfig", EG_CN_OBJECT);
    policy_name(orp, dist_id, prefix, "origin-request");
    h = eg_cn_add(orp, "HeadersConfig", EG_CN_OBJECT);
    if (all_viewer && b->forward_host) {
        eg_cn_add_str(h, "HeaderBehavior", "allViewer");
    } else if (all_viewer) {
        eg_cn_add_str(h, "HeaderBehavior", "allExcept");
        add_names(h, "Headers", "", 0, 1);
    } else if (strcmp(b->origin_headers, "none") == 0) {
        eg_cn_add_str(h, "HeaderBehavior", "none");
    } else {
        eg_cn_add_str(h, "HeaderBehavior", "whitelist");
        add_names(h, "Headers", b->origin_headers, 0, 0);
    }
    c = eg_cn_add(orp, "CookiesConfig", EG_CN_OBJECT);
    if (is_word(b->origin_cookies)) {
        eg_cn_add_str(c, "CookieBehavior", b->origin_cookies);
    } else {
        eg_cn_add_str(c, "CookieBehavior", "whitelist");
        add_names(c, "Cookies", b->origin_cookies, 0, 0);
    }
    q = eg_cn_add(orp, "QueryStringsConfig", EG_CN_OBJECT);
    eg_cn_add_str(q, "QueryStringBehavior", "none");
}

void eg_conf_policy_export(const eg_behavior_t *b, const char *dist_id, const char *name_prefix,
                           eg_cnode_t *beh)
{
    if (strcmp(b->origin_headers, "none") == 0 && strcmp(b->origin_cookies, "none") == 0)
        export_legacy(b, beh);
    else
        export_policies(b, dist_id, name_prefix, beh);
}

/* --- import ----------------------------------------------------------------------------------- */

/* What a policy sets, as edgegate's fields spell it. */
typedef struct {
    int has_ttl;
    long min_ttl, default_ttl, max_ttl;
    char cache_headers[EG_NAME_LIST_MAX], cache_cookies[EG_NAME_LIST_MAX];
    char origin_headers[EG_NAME_LIST_MAX], origin_cookies[EG_NAME_LIST_MAX];
    int forward_host;
    int query_keyed;      /* the cache policy keys (and forwards) every query string */
    int query_forwarded;  /* the origin request policy forwards them (not keyed) */
} policy_t;

static void policy_init(policy_t *p)
{
    memset(p, 0, sizeof(*p));
    strcpy(p->cache_headers, "none");
    strcpy(p->cache_cookies, "none");
    strcpy(p->origin_headers, "none");
    strcpy(p->origin_cookies, "none");
}

/* CloudFront's managed policies by id (verified against CloudFront's developer guide). */
static const struct {
    const char *id, *name;
    int cache; /* 1: a cache policy, 0: an origin request policy */
    long min_ttl, default_ttl, max_ttl;
    const char *headers, *cookies; /* names, or a word */
    int host, query;
} managed[] = {
    {"658327ea-f89d-4fab-a63d-7e88639e58f6", "Managed-CachingOptimized", 1, 1, 86400, 31536000,
     "none", "none", 0, 0},
    {"4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "Managed-CachingDisabled", 1, 0, 0, 0, "none",
     "none", 0, 0},
    {"216adef6-5c7f-47e4-b989-5492eafa07d3", "Managed-AllViewer", 0, 0, 0, 0, "all-viewer", "all",
     1, 1},
    {"b689b0a8-53d0-40ab-baf2-68738e2966ac", "Managed-AllViewerExceptHostHeader", 0, 0, 0, 0,
     "all-viewer", "all", 0, 1},
    {"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", "Managed-CORS-S3Origin", 0, 0, 0, 0,
     "Origin,Access-Control-Request-Headers,Access-Control-Request-Method", "none", 0, 0},
    {"59781a5b-3903-41f3-afcb-af62929ccde1", "Managed-CORS-CustomOrigin", 0, 0, 0, 0, "Origin",
     "none", 0, 0},
    {"acba4595-bd28-49b8-b9fe-13317c0390fa", "Managed-UserAgentRefererHeaders", 0, 0, 0, 0,
     "User-Agent,Referer", "none", 0, 0},
};

static int managed_policy(eg_crd_t *r, const eg_cnode_t *beh, const char *member, int cache,
                          policy_t *p)
{
    char id[128];
    int rc = eg_crd_str(r, beh, member, 0, id, sizeof(id));
    const eg_cnode_t *n;
    if (rc <= 0)
        return rc;
    n = eg_cn_get(beh, member);
    if (id[0] == '\0')
        return 0; /* as the CLI prints an unset one */
    for (size_t i = 0; i < EG_ARRAY_LEN(managed); i++) {
        if (strcmp(managed[i].id, id) != 0)
            continue;
        if (managed[i].cache != cache) {
            eg_cn_msg(r->m, EG_CONF_ERROR, n, r->xml, "%s is %s, not %s", id, managed[i].name,
                      cache ? "a cache policy" : "an origin request policy");
            r->errors++;
            return -1;
        }
        if (cache) {
            p->has_ttl = 1;
            p->min_ttl = managed[i].min_ttl;
            p->default_ttl = managed[i].default_ttl;
            p->max_ttl = managed[i].max_ttl;
            p->query_keyed = managed[i].query;
        } else {
            snprintf(p->origin_headers, sizeof(p->origin_headers), "%s", managed[i].headers);
            snprintf(p->origin_cookies, sizeof(p->origin_cookies), "%s", managed[i].cookies);
            p->forward_host |= managed[i].host;
            p->query_forwarded = managed[i].query;
        }
        return 1;
    }
    eg_cn_msg(r->m, EG_CONF_ERROR, n, r->xml,
              "%s is not one of CloudFront's managed %s policies edgegate knows; write the "
              "policy's configuration inline (%s), as egctl export does",
              id, cache ? "cache" : "origin request",
              cache ? "CachePolicyConfig" : "OriginRequestPolicyConfig");
    r->errors++;
    return -1;
}

/* A {Quantity, Items: Name} list into "a,b,c"; Host taken out into *host when host is not
 * NULL (else it stays a name, and the settings table refuses it). */
static int read_names(eg_crd_t *r, const eg_cnode_t *obj, const char *wrapper, int required,
                      char *out, size_t len, int *host)
{
    const eg_cnode_t **items = NULL;
    size_t n = 0, used = 0;
    int rc = eg_crd_list(r, obj, wrapper, required, "Name", &items, &n);
    out[0] = '\0';
    for (size_t i = 0; rc > 0 && i < n; i++) {
        char name[EG_NAME_LIST_MAX];
        if (eg_crd_item_str(r, items[i], name, sizeof(name)) < 0) {
            rc = -1;
            break;
        }
        if (host && strcasecmp(name, "Host") == 0) {
            *host = 1;
            continue;
        }
        if (strcmp(name, "*") == 0) {
            eg_cn_msg(r->m, EG_CONF_ERROR, items[i], r->xml,
                      "\"*\" (every header) cannot be forwarded by edgegate: name the headers");
            r->errors++;
            rc = -1;
            break;
        }
        if (used + strlen(name) + 2 > len) {
            eg_cn_msg(r->m, EG_CONF_ERROR, items[i], r->xml,
                      "more names than edgegate holds (%zu characters)", len - 1);
            r->errors++;
            rc = -1;
            break;
        }
        used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", name);
    }
    free(items);
    return rc;
}

/* A *Behavior member ("none", "whitelist", "all", ...) and its list. words: what it may be,
 * "|"-separated; out: the edgegate spelling ("none", "all", "all-viewer" or names). */
static int read_behavior(eg_crd_t *r, const eg_cnode_t *cfg, const char *member,
                         const char *words, const char *list, char *out, size_t len,
                         int *host, int *all_except_host)
{
    char word[32];
    const eg_cnode_t *n;
    int rc = eg_crd_str(r, cfg, member, 1, word, sizeof(word));
    if (rc <= 0)
        return -1;
    n = eg_cn_get(cfg, member);
    if (eg_choice_index(words, word, strlen(word)) < 0) {
        eg_cn_msg(r->m, EG_CONF_ERROR, n, r->xml, "\"%s\" is not one of %s here%s", word, words,
                  strcmp(word, "allExcept") == 0 || strcmp(word, "whitelist") == 0
                      ? " (edgegate forwards all or none of these)"
                      : "");
        r->errors++;
        return -1;
    }
    if (strcmp(word, "whitelist") == 0)
        return read_names(r, cfg, list, 1, out, len, host) < 0 ? -1 : 0;
    if (strcmp(word, "allExcept") == 0) {
        /* only "all viewer headers but Host": edgegate's all-viewer */
        char names[EG_NAME_LIST_MAX];
        int h = 0;
        if (read_names(r, cfg, list, 1, names, sizeof(names), &h) < 0)
            return -1;
        if (names[0] || !h) {
            eg_cn_msg(r->m, EG_CONF_ERROR, n, r->xml,
                      "allExcept is read only as all viewer headers except Host");
            r->errors++;
            return -1;
        }
        *all_except_host = 1;
        snprintf(out, len, "all-viewer");
        return 0;
    }
    if (strcmp(word, "allViewer") == 0 || strcmp(word, "allViewerAndWhitelistCloudFront") == 0) {
        if (strcmp(word, "allViewerAndWhitelistCloudFront") == 0)
            eg_cn_msg(r->m, EG_CONF_NOTE, n, r->xml,
                      "CloudFront's own headers (CloudFront-Viewer-Country ...) do not exist in "
                      "edgegate; all viewer headers are forwarded");
        if (host)
            *host = 1; /* CloudFront's allViewer forwards Host too */
        snprintf(out, len, "all-viewer");
        return 0;
    }
    snprintf(out, len, "%s", word); /* none, all */
    return 0;
}

static int inline_cache_policy(eg_crd_t *r, const eg_cnode_t *cp, policy_t *p)
{
    const eg_cnode_t *params, *h, *c, *q;
    int rc, dummy = 0, gzip = 1, brotli = 1;
    char word[32];
    eg_crd_member(r, cp, "Name", 0, &rc); /* names and comments are not settings */
    eg_crd_member(r, cp, "Comment", 0, &rc);
    if (eg_crd_int(r, cp, "MinTTL", 1, 0, 2147483647L, &p->min_ttl) < 0 ||
        eg_crd_int(r, cp, "DefaultTTL", 1, 0, 2147483647L, &p->default_ttl) < 0 ||
        eg_crd_int(r, cp, "MaxTTL", 1, 0, 2147483647L, &p->max_ttl) < 0)
        return -1;
    p->has_ttl = 1;
    params = eg_crd_member(r, cp, "ParametersInCacheKeyAndForwardedToOrigin", 1, &rc);
    if (params == NULL)
        return -1;
    if (eg_crd_bool(r, params, "EnableAcceptEncodingGzip", 0, &gzip) < 0 ||
        eg_crd_bool(r, params, "EnableAcceptEncodingBrotli", 0, &brotli) < 0)
        return -1;
    if (!gzip || !brotli)
        eg_cn_msg(r->m, EG_CONF_NOTE, params, r->xml,
                  "EnableAcceptEncoding%s false: edgegate always keys the cache on the "
                  "normalized Accept-Encoding (br, gzip)",
                  !gzip ? "Gzip" : "Brotli");
    h = eg_crd_member(r, params, "HeadersConfig", 1, &rc);
    c = eg_crd_member(r, params, "CookiesConfig", 1, &rc);
    q = eg_crd_member(r, params, "QueryStringsConfig", 1, &rc);
    if (h == NULL || c == NULL || q == NULL)
        return -1;
    if (read_behavior(r, h, "HeaderBehavior", "none|whitelist", "Headers", p->cache_headers,
                      sizeof(p->cache_headers), &p->forward_host, &dummy) < 0 ||
        read_behavior(r, c, "CookieBehavior", "none|whitelist|all", "Cookies", p->cache_cookies,
                      sizeof(p->cache_cookies), NULL, &dummy) < 0)
        return -1;
    if (p->cache_headers[0] == '\0')
        strcpy(p->cache_headers, "none"); /* only Host was named */
    if (eg_crd_str(r, q, "QueryStringBehavior", 1, word, sizeof(word)) <= 0)
        return -1;
    if (strcmp(word, "none") && strcmp(word, "all")) {
        eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(q, "QueryStringBehavior"), r->xml,
                  "\"%s\": edgegate keys the cache on all query strings or none", word);
        r->errors++;
        return -1;
    }
    p->query_keyed = strcmp(word, "all") == 0;
    return 0;
}

static int inline_origin_policy(eg_crd_t *r, const eg_cnode_t *orp, policy_t *p)
{
    const eg_cnode_t *h, *c, *q;
    int rc, except = 0;
    char word[32];
    eg_crd_member(r, orp, "Name", 0, &rc);
    eg_crd_member(r, orp, "Comment", 0, &rc);
    h = eg_crd_member(r, orp, "HeadersConfig", 1, &rc);
    c = eg_crd_member(r, orp, "CookiesConfig", 1, &rc);
    q = eg_crd_member(r, orp, "QueryStringsConfig", 1, &rc);
    if (h == NULL || c == NULL || q == NULL)
        return -1;
    if (read_behavior(r, h, "HeaderBehavior",
                      "none|whitelist|allViewer|allViewerAndWhitelistCloudFront|allExcept",
                      "Headers", p->origin_headers, sizeof(p->origin_headers), &p->forward_host,
                      &except) < 0 ||
        read_behavior(r, c, "CookieBehavior", "none|whitelist|all", "Cookies", p->origin_cookies,
                      sizeof(p->origin_cookies), NULL, &except) < 0)
        return -1;
    if (p->origin_headers[0] == '\0')
        strcpy(p->origin_headers, "none");
    if (eg_crd_str(r, q, "QueryStringBehavior", 1, word, sizeof(word)) <= 0)
        return -1;
    if (strcmp(word, "none") && strcmp(word, "all")) {
        eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(q, "QueryStringBehavior"), r->xml,
                  "\"%s\": edgegate forwards all query strings or none", word);
        r->errors++;
        return -1;
    }
    p->query_forwarded = strcmp(word, "all") == 0;
    return 0;
}

static int legacy_forwarded(eg_crd_t *r, const eg_cnode_t *beh, const eg_cnode_t *fv,
                            policy_t *p)
{
    const eg_cnode_t *cookies, **keys = NULL;
    char word[32];
    int rc, q = 0;
    size_t nkeys = 0;
    if (eg_crd_bool(r, fv, "QueryString", 1, &q) < 0)
        return -1;
    p->query_keyed = q;
    cookies = eg_crd_member(r, fv, "Cookies", 1, &rc);
    if (cookies == NULL)
        return -1;
    if (eg_crd_str(r, cookies, "Forward", 1, word, sizeof(word)) <= 0)
        return -1;
    if (strcmp(word, "whitelist") == 0) {
        if (read_names(r, cookies, "WhitelistedNames", 1, p->cache_cookies,
                       sizeof(p->cache_cookies), NULL) < 0)
            return -1;
    } else if (strcmp(word, "none") == 0 || strcmp(word, "all") == 0) {
        snprintf(p->cache_cookies, sizeof(p->cache_cookies), "%s", word);
    } else {
        eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(cookies, "Forward"), r->xml,
                  "\"%s\" is not one of none, whitelist, all", word);
        r->errors++;
        return -1;
    }
    if (read_names(r, fv, "Headers", 0, p->cache_headers, sizeof(p->cache_headers),
                   &p->forward_host) < 0)
        return -1;
    if (p->cache_headers[0] == '\0')
        strcpy(p->cache_headers, "none");
    if (eg_crd_list(r, fv, "QueryStringCacheKeys", 0, "Name", &keys, &nkeys) < 0)
        return -1;
    free(keys);
    if (nkeys) {
        eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(fv, "QueryStringCacheKeys"), r->xml,
                  "edgegate keys the cache on all query strings or none, not on some");
        r->errors++;
        return -1;
    }
    p->has_ttl = 1;
    if (eg_crd_int(r, beh, "MinTTL", 1, 0, 2147483647L, &p->min_ttl) < 0)
        return -1;
    p->default_ttl = 86400;
    p->max_ttl = 31536000;
    if (eg_crd_int(r, beh, "DefaultTTL", 0, 0, 2147483647L, &p->default_ttl) < 0 ||
        eg_crd_int(r, beh, "MaxTTL", 0, 0, 2147483647L, &p->max_ttl) < 0)
        return -1;
    return 0;
}

/* A value into the behavior through the settings table, so its rules are egctl's. */
static int set_field(eg_crd_t *r, const eg_cnode_t *where, eg_behavior_t *b, const char *field,
                     const char *value)
{
    char err[512];
    const eg_field_t *f = eg_field_find(eg_behavior_fields, eg_behavior_nfields, field);
    if (f == NULL || eg_field_parse(f, b, value, err, sizeof(err)) < 0) {
        eg_cn_msg(r->m, EG_CONF_ERROR, where, r->xml, "%s", f ? err : "no such field");
        r->errors++;
        return -1;
    }
    return 0;
}

int eg_conf_policy_import(const eg_cnode_t *beh, int xml, eg_behavior_t *b, eg_conf_msgs_t *m)
{
    eg_crd_t r = {xml, m, 0};
    const eg_cnode_t *fv = eg_cn_get(beh, "ForwardedValues");
    const eg_cnode_t *cp = eg_cn_get(beh, "CachePolicyConfig");
    const eg_cnode_t *orp = eg_cn_get(beh, "OriginRequestPolicyConfig");
    int has_cp_id = 0, has_orp_id = 0, rc;
    policy_t p;
    char num[32];

    policy_init(&p);
    {
        const eg_cnode_t *a = eg_cn_get(beh, "CachePolicyId"), *o = eg_cn_get(beh, "OriginRequestPolicyId");
        has_cp_id = a && !(a->kind == EG_CN_STR && a->text && a->text[0] == '\0');
        has_orp_id = o && !(o->kind == EG_CN_STR && o->text && o->text[0] == '\0');
        if (a && !has_cp_id)
            ((eg_cnode_t *)a)->used = 1;
        if (o && !has_orp_id)
            ((eg_cnode_t *)o)->used = 1;
    }
    if (fv && (cp || orp || has_cp_id || has_orp_id)) {
        eg_cn_msg(m, EG_CONF_ERROR, fv, xml,
                  "ForwardedValues and a cache or origin request policy together: give one");
        return -1;
    }
    if ((cp && has_cp_id) || (orp && has_orp_id)) {
        eg_cn_msg(m, EG_CONF_ERROR, cp && has_cp_id ? cp : orp, xml,
                  "a policy both by id and inline: give one");
        return -1;
    }
    if (fv) {
        eg_crd_member(&r, beh, "ForwardedValues", 1, &rc);
        if (legacy_forwarded(&r, beh, fv, &p) < 0)
            return -1;
    } else if (cp || has_cp_id) {
        if (cp) {
            eg_crd_member(&r, beh, "CachePolicyConfig", 1, &rc);
            if (inline_cache_policy(&r, cp, &p) < 0)
                return -1;
        } else if (managed_policy(&r, beh, "CachePolicyId", 1, &p) < 0) {
            return -1;
        }
        if (orp) {
            eg_crd_member(&r, beh, "OriginRequestPolicyConfig", 1, &rc);
            if (inline_origin_policy(&r, orp, &p) < 0)
                return -1;
        } else if (has_orp_id && managed_policy(&r, beh, "OriginRequestPolicyId", 0, &p) < 0) {
            return -1;
        }
    } else {
        eg_cn_msg(m, EG_CONF_ERROR, beh, xml,
                  "missing ForwardedValues (with MinTTL) or a cache policy (CachePolicyConfig or "
                  "CachePolicyId)");
        return -1;
    }
    if (!fv && (cp || has_cp_id)) {
        /* TTLs beside a cache policy: CloudFront prints the policy's; others do not apply */
        const char *names[] = {"MinTTL", "DefaultTTL", "MaxTTL"};
        long *vals[] = {&p.min_ttl, &p.default_ttl, &p.max_ttl};
        for (size_t i = 0; i < 3; i++) {
            long v;
            const eg_cnode_t *n = eg_cn_get(beh, names[i]);
            if (n == NULL)
                continue;
            if (eg_crd_int(&r, beh, names[i], 0, 0, 2147483647L, &v) < 0)
                return -1;
            if (v != *vals[i])
                eg_cn_msg(m, EG_CONF_NOTE, n, xml, "the cache policy's %s (%ld) applies, not %ld",
                          names[i], *vals[i], v);
        }
    }
    if (p.query_forwarded && !p.query_keyed) {
        if (p.max_ttl != 0) {
            eg_cn_msg(m, EG_CONF_ERROR, orp ? orp : beh, xml,
                      "query strings forwarded to the origin without keying the cache on them: "
                      "edgegate forwards the query string only when it keys on it (or caches "
                      "nothing: MaxTTL 0)");
            return -1;
        }
        p.query_keyed = 1; /* nothing is stored, so keying on it changes nothing */
    }
    if (r.errors)
        return -1;
    /* into the behavior, through the table */
    snprintf(num, sizeof(num), "%ld", p.min_ttl);
    if (set_field(&r, beh, b, "min-ttl", num) < 0)
        return -1;
    snprintf(num, sizeof(num), "%ld", p.default_ttl);
    if (set_field(&r, beh, b, "default-ttl", num) < 0)
        return -1;
    snprintf(num, sizeof(num), "%ld", p.max_ttl);
    if (set_field(&r, beh, b, "max-ttl", num) < 0 ||
        set_field(&r, beh, b, "forward-host", p.forward_host ? "true" : "false") < 0 ||
        set_field(&r, beh, b, "forward-query", p.query_keyed ? "true" : "false") < 0 ||
        set_field(&r, fv ? fv : cp ? cp : beh, b, "cache-headers", p.cache_headers) < 0 ||
        set_field(&r, fv ? fv : cp ? cp : beh, b, "cache-cookies", p.cache_cookies) < 0 ||
        set_field(&r, orp ? orp : beh, b, "origin-headers", p.origin_headers) < 0 ||
        set_field(&r, orp ? orp : beh, b, "origin-cookies", p.origin_cookies) < 0)
        return -1;
    return 0;
}
