/* A distribution as CloudFront's 2020-05-31 DistributionConfig, with CloudFront's element
 * names and Quantity/Items wrappers, in the order CloudFront's schema gives them. The same
 * distribution always makes the same tree, hence the same bytes. */
#include <openssl/evp.h>

#include "edgegate/common.h"
#include "conf_int.h"

const int eg_conf_error_codes[] = {400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504};
const size_t eg_conf_n_error_codes = EG_ARRAY_LEN(eg_conf_error_codes);
static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"};

/* {Quantity, Items} of the comma-separated list, items called item. */
static void add_list(eg_cnode_t *parent, const char *name, const char *item, const char *list)
{
    eg_cnode_t *w = eg_cn_add(parent, name, EG_CN_OBJECT);
    eg_cnode_t *q = eg_cn_add_int(w, "Quantity", 0), *items = NULL;
    char *copy = eg_strdup(list);
    for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (items == NULL)
            items = eg_cn_add(w, "Items", EG_CN_LIST);
        eg_cn_add_str(items, item, p);
        q->num++;
    }
    free(copy);
}

static void add_methods(eg_cnode_t *parent, const char *name, int set)
{
    static const size_t counts[] = {2, 3, 7};
    eg_cnode_t *w = eg_cn_add(parent, name, EG_CN_OBJECT), *items;
    size_t n = set >= 0 && set <= 2 ? counts[set] : 2;
    eg_cn_add_int(w, "Quantity", (long long)n);
    items = eg_cn_add(w, "Items", EG_CN_LIST);
    for (size_t i = 0; i < n; i++)
        eg_cn_add_str(items, "Method", methods[i]);
}

static void note_s3(const eg_origin_t *o, eg_conf_msgs_t *m)
{
    eg_origin_t def;
    memset(&def, 0, sizeof(def));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &def);
    for (size_t i = 0; i < eg_origin_nfields; i++) {
        const eg_field_t *f = &eg_origin_fields[i];
        char a[256], b[256];
        if (f->type != EG_FT_INT && f->type != EG_FT_SET)
            continue;
        eg_field_format(f, o, a, sizeof(a));
        eg_field_format(f, &def, b, sizeof(b));
        if (strcmp(a, b) != 0)
            eg_conf_msg(m, EG_CONF_NOTE, NULL,
                        "origin %s: %s %s is not in the file: S3OriginConfig has no place for it "
                        "(importing the file gives %s)",
                        o->id, f->name, a, b);
    }
}

static void add_origin(eg_cnode_t *items, const eg_origin_t *o, eg_conf_msgs_t *m)
{
    eg_cnode_t *n = eg_cn_add(items, "Origin", EG_CN_OBJECT), *c;
    char buf[128];
    eg_cn_add_str(n, "Id", o->id);
    eg_cn_add_str(n, "DomainName", o->domain);
    eg_cn_add_str(n, "OriginPath", o->origin_path);
    if (o->type == EG_OT_S3) {
        c = eg_cn_add(n, "S3OriginConfig", EG_CN_OBJECT);
        eg_cn_add_str(c, "OriginAccessIdentity", "");
        note_s3(o, m);
        return;
    }
    c = eg_cn_add(n, "CustomOriginConfig", EG_CN_OBJECT);
    eg_cn_add_int(c, "HTTPPort", o->http_port);
    eg_cn_add_int(c, "HTTPSPort", o->https_port);
    eg_cn_add_str(c, "OriginProtocolPolicy", eg_origin_policy_name(o->protocol));
    eg_field_format(eg_field_find(eg_origin_fields, eg_origin_nfields, "ssl-protocols"), o, buf,
                    sizeof(buf));
    add_list(c, "OriginSslProtocols", "SslProtocol", buf);
    eg_cn_add_int(c, "OriginReadTimeout", o->read_timeout);
    eg_cn_add_int(c, "OriginKeepaliveTimeout", o->keepalive_timeout);
}

static void add_behavior(eg_cnode_t *parent, const char *name, const eg_behavior_t *b,
                         const char *dist_id, size_t index)
{
    eg_cnode_t *n = eg_cn_add(parent, name, EG_CN_OBJECT), *am;
    char prefix[32];
    int is_default = strcmp(b->path_pattern, "*") == 0;
    if (!is_default)
        eg_cn_add_str(n, "PathPattern", b->path_pattern);
    eg_cn_add_str(n, "TargetOriginId", b->origin_id);
    eg_cn_add_str(n, "ViewerProtocolPolicy", eg_viewer_policy_name(b->viewer_protocol));
    add_methods(n, "AllowedMethods", b->allowed_methods);
    am = eg_cn_get(n, "AllowedMethods");
    add_methods(am, "CachedMethods", b->cached_methods);
    if (is_default)
        snprintf(prefix, sizeof(prefix), "default-behavior");
    else
        snprintf(prefix, sizeof(prefix), "behavior-%zu", index + 1);
    eg_conf_policy_export(b, dist_id, prefix, n);
}

eg_cnode_t *eg_conf_export_tree(const eg_dist_t *d, eg_conf_msgs_t *m)
{
    eg_cnode_t *cfg = eg_cn_add(NULL, "DistributionConfig", EG_CN_OBJECT), *w, *items;
    const eg_behavior_t *def = NULL;
    size_t n = 0;

    eg_cn_add_str(cfg, "CallerReference", d->info.id);
    add_list(cfg, "Aliases", "CNAME", d->info.aliases);
    w = eg_cn_add(cfg, "Origins", EG_CN_OBJECT);
    eg_cn_add_int(w, "Quantity", (long long)d->n_origins);
    if (d->n_origins) {
        items = eg_cn_add(w, "Items", EG_CN_LIST);
        for (size_t i = 0; i < d->n_origins; i++)
            add_origin(items, &d->origins[i], m);
    }
    for (size_t i = 0; i < d->n_behaviors; i++)
        if (strcmp(d->behaviors[i].path_pattern, "*") == 0)
            def = &d->behaviors[i];
    if (def)
        add_behavior(cfg, "DefaultCacheBehavior", def, d->info.id, 0);
    w = eg_cn_add(cfg, "CacheBehaviors", EG_CN_OBJECT);
    for (size_t i = 0; i < d->n_behaviors; i++)
        if (&d->behaviors[i] != def)
            n++;
    eg_cn_add_int(w, "Quantity", (long long)n);
    if (n) {
        items = eg_cn_add(w, "Items", EG_CN_LIST);
        for (size_t i = 0, k = 0; i < d->n_behaviors; i++)
            if (&d->behaviors[i] != def)
                add_behavior(items, "CacheBehavior", &d->behaviors[i], d->info.id, k++);
    }
    w = eg_cn_add(cfg, "CustomErrorResponses", EG_CN_OBJECT);
    if (d->info.error_min_ttl == 10) { /* CloudFront's default too */
        eg_cn_add_int(w, "Quantity", 0);
    } else {
        eg_cn_add_int(w, "Quantity", (long long)eg_conf_n_error_codes);
        items = eg_cn_add(w, "Items", EG_CN_LIST);
        for (size_t i = 0; i < eg_conf_n_error_codes; i++) {
            eg_cnode_t *e = eg_cn_add(items, "CustomErrorResponse", EG_CN_OBJECT);
            eg_cn_add_int(e, "ErrorCode", eg_conf_error_codes[i]);
            eg_cn_add_int(e, "ErrorCachingMinTTL", d->info.error_min_ttl);
        }
    }
    eg_cn_add_str(cfg, "Comment", d->info.comment);
    eg_cn_add_bool(cfg, "Enabled", d->info.enabled);
    return cfg;
}

void eg_conf_fingerprint(const eg_dist_t *d, char *out, size_t outlen)
{
    eg_conf_msgs_t m = {0};
    eg_cnode_t *tree = eg_conf_export_tree(d, &m);
    eg_buf_t xml = {0};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 2];

    hex[0] = 'E';
    hex[1] = '\0';
    if (eg_conf_xml_write(tree, EG_CONF_NS_2020, &xml, &m) == 0 &&
        EVP_Digest(xml.data, xml.len, md, &mdlen, EVP_sha256(), NULL) == 1) {
        /* as CloudFront's ETags: "E" and upper-case characters; 14 hex digits */
        for (unsigned int i = 0; i < 7 && i < mdlen; i++)
            snprintf(hex + 1 + 2 * i, 3, "%02X", md[i]);
    }
    snprintf(out, outlen, "%s", hex);
    eg_buf_free(&xml);
    eg_cn_free(tree);
    eg_conf_msgs_free(&m);
}

int eg_conf_write(const eg_dist_t *d, int fmt, eg_buf_t *out, eg_conf_msgs_t *msgs)
{
    eg_cnode_t *tree = eg_conf_export_tree(d, msgs);
    int rc;
    if (fmt == EG_CONF_XML) {
        rc = eg_conf_xml_write(tree, EG_CONF_NS_2020, out, msgs);
        eg_cn_free(tree);
        return rc;
    }
    {
        char etag[32];
        eg_cnode_t *top = eg_cn_add(NULL, NULL, EG_CN_OBJECT);
        eg_conf_fingerprint(d, etag, sizeof(etag));
        eg_cn_add_str(top, "ETag", etag);
        /* the tree becomes the wrapper's second member */
        top->kids = eg_realloc(top->kids, (top->nkids + 1) * sizeof(*top->kids));
        top->cap = top->nkids + 1;
        tree->parent = top;
        tree->index = top->nkids;
        top->kids[top->nkids++] = tree;
        rc = eg_conf_json_write(top, out, msgs);
        eg_cn_free(top);
    }
    return rc;
}
