/* CloudFront's 2010-11-01 DistributionConfig (seed 002): one origin (S3Origin or
 * CustomOrigin), CNAME elements, and RequiredProtocols, whose <Protocol>https</Protocol>
 * means the distribution serves HTTPS only (no element: HTTP and HTTPS). It becomes one
 * origin, named as CloudFront's console names them, and the default behavior "*". */
#include <ctype.h>

#include "edgegate/common.h"
#include "conf_int.h"

/* "S3-" + the bucket (the DNS name's first label), or "Custom-" + the DNS name, cut to what an
 * id may hold and made of the characters an id may hold. */
static void origin_id(const char *prefix, const char *dns, int first_label, char *out,
                      size_t len)
{
    size_t j = (size_t)snprintf(out, len, "%s", prefix);
    for (const char *p = dns; *p && j + 1 < len; p++) {
        if (first_label && *p == '.')
            break;
        out[j++] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_' ? *p : '-';
    }
    out[j] = '\0';
}

static int read_origin(eg_crd_t *r, const eg_cnode_t *cfg, eg_origin_t *o)
{
    const eg_cnode_t *s3 = eg_cn_get(cfg, "S3Origin"), *custom = eg_cn_get(cfg, "CustomOrigin");
    const eg_cnode_t *src;
    char dns[EG_NAME_MAX], err[512];
    int rc;

    memset(o, 0, sizeof(*o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, o);
    if ((s3 == NULL) == (custom == NULL)) {
        eg_cn_msg(r->m, EG_CONF_ERROR, cfg, r->xml,
                  "a 2010-11-01 distribution has exactly one of S3Origin and CustomOrigin");
        r->errors++;
        return -1;
    }
    src = eg_crd_member(r, cfg, s3 ? "S3Origin" : "CustomOrigin", 1, &rc);
    if (src == NULL)
        return -1;
    if (eg_crd_str(r, src, "DNSName", 1, dns, sizeof(dns)) <= 0)
        return -1;
    if (eg_crd_field(r, eg_cn_get(src, "DNSName"), eg_origin_fields, eg_origin_nfields, "domain", o,
              dns) < 0)
        return -1;
    if (s3) {
        const eg_cnode_t *oai = eg_cn_get(src, "OriginAccessIdentity");
        if (oai && eg_cn_inert(oai))
            ((eg_cnode_t *)oai)->used = 1;
        o->type = EG_OT_S3;
        o->protocol = EG_OPP_MATCH_VIEWER;
        origin_id("S3-", dns, 1, o->id, sizeof(o->id));
    } else {
        char v[64];
        long port;
        if (eg_crd_int(r, src, "HTTPPort", 0, 1, 65535, &port) > 0)
            o->http_port = (int)port;
        if (eg_crd_int(r, src, "HTTPSPort", 0, 1, 65535, &port) > 0)
            o->https_port = (int)port;
        rc = eg_crd_str(r, src, "OriginProtocolPolicy", 1, v, sizeof(v));
        if (rc > 0) {
            /* the 2010 API knew these two */
            if (strcmp(v, "http-only") && strcmp(v, "match-viewer")) {
                eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(src, "OriginProtocolPolicy"), r->xml,
                          "\"%s\" is not one of http-only, match-viewer", v);
                r->errors++;
                return -1;
            }
            eg_crd_field(r, eg_cn_get(src, "OriginProtocolPolicy"), eg_origin_fields,
                  eg_origin_nfields, "protocol", o, v);
        }
        origin_id("Custom-", dns, 0, o->id, sizeof(o->id));
    }
    if (r->errors)
        return -1;
    if (eg_id_validate("origin", o->id, err, sizeof(err)) < 0 ||
        eg_origin_validate(o, err, sizeof(err)) < 0) {
        eg_cn_msg(r->m, EG_CONF_ERROR, src, r->xml, "%s", err);
        r->errors++;
        return -1;
    }
    return 0;
}

/* RequiredProtocols: https, or an error. */
static int required_protocols(eg_crd_t *r, const eg_cnode_t *cfg, int *https_only)
{
    int rc;
    const eg_cnode_t *rp = eg_crd_member(r, cfg, "RequiredProtocols", 0, &rc);
    char p[32];
    *https_only = 0;
    if (rp == NULL)
        return rc; /* absent: HTTP and HTTPS */
    if (eg_crd_str(r, rp, "Protocol", 1, p, sizeof(p)) <= 0)
        return -1;
    if (strcmp(p, "https") != 0) {
        eg_cn_msg(r->m, EG_CONF_ERROR, eg_cn_get(rp, "Protocol"), r->xml,
                  "\"%s\": the only protocol RequiredProtocols takes is https (leave "
                  "RequiredProtocols out to serve HTTP and HTTPS)",
                  p);
        r->errors++;
        return -1;
    }
    *https_only = 1;
    return 1;
}

int eg_conf_import_2010(const eg_cnode_t *cfg, eg_dist_t *out, eg_conf_msgs_t *m)
{
    eg_crd_t r = {1, m, 0};
    eg_buf_t aliases = {0};
    eg_behavior_t *b;
    char ref[256];
    int https_only = 0, enabled, rc;

    if (cfg->kind != EG_CN_OBJECT) {
        eg_cn_msg(m, EG_CONF_ERROR, cfg, 1, "an empty DistributionConfig");
        return -1;
    }
    if (eg_crd_str(&r, cfg, "CallerReference", 1, ref, sizeof(ref)) > 0 &&
        strcmp(ref, out->info.id) != 0)
        eg_cn_msg(m, EG_CONF_NOTE, eg_cn_get(cfg, "CallerReference"), 1,
                  "CallerReference %s is not kept: edgegate names the distribution %s", ref,
                  out->info.id);
    for (size_t i = 0; i < cfg->nkids; i++) {
        eg_cnode_t *k = cfg->kids[i];
        if (k->name == NULL || strcmp(k->name, "CNAME") != 0)
            continue;
        k->used = 1;
        if (k->kind != EG_CN_STR) {
            eg_cn_msg(m, EG_CONF_ERROR, k, 1, "expected a host name");
            r.errors++;
            continue;
        }
        eg_buf_printf(&aliases, "%s%s", aliases.len ? "," : "", k->text);
    }
    if (aliases.len)
        conf_aliases(&r, eg_cn_get(cfg, "CNAME"), &out->info, aliases.data);
    eg_buf_free(&aliases);
    {
        char comment[EG_NAME_MAX * 2];
        if (eg_crd_str(&r, cfg, "Comment", 0, comment, sizeof(comment)) > 0)
            eg_crd_field(&r, eg_cn_get(cfg, "Comment"), eg_dist_fields, eg_dist_nfields, "comment",
                  &out->info, comment);
    }
    if (eg_crd_bool(&r, cfg, "Enabled", 1, &enabled) > 0)
        out->info.enabled = enabled;
    rc = required_protocols(&r, cfg, &https_only);

    out->origins = eg_calloc(1, sizeof(*out->origins));
    if (read_origin(&r, cfg, &out->origins[0]) == 0)
        out->n_origins = 1;
    if (r.errors || rc < 0)
        return -1;
    out->behaviors = eg_calloc(1, sizeof(*out->behaviors));
    b = &out->behaviors[0];
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, b);
    strcpy(b->path_pattern, "*");
    snprintf(b->origin_id, sizeof(b->origin_id), "%s", out->origins[0].id);
    b->viewer_protocol = https_only ? EG_VPP_HTTPS_ONLY : EG_VPP_ALLOW_ALL;
    b->precedence = 2147483647;
    out->n_behaviors = 1;
    return 0;
}
