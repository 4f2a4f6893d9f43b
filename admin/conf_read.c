/* eg_conf_read: what a file is (XML of which namespace, or JSON), the importer for it, what
 * it holds that edgegate does not have, and the checks that span the whole distribution. */
#include "edgegate/common.h"
#include "conf_int.h"

/* The whole distribution: behaviors name origins of the file, the default is there. */
static int whole(const eg_cnode_t *cfg, int xml, eg_dist_t *d, eg_conf_msgs_t *m)
{
    char err[512];
    int bad = 0;
    for (size_t i = 0; i < d->n_behaviors; i++)
        if (eg_dist_find_origin(d, d->behaviors[i].origin_id) == NULL) {
            eg_cn_msg(m, EG_CONF_ERROR, cfg, xml, "behavior %s: no origin \"%s\" in Origins",
                      d->behaviors[i].path_pattern, d->behaviors[i].origin_id);
            bad = 1;
        }
    if (d->n_behaviors == 0 || strcmp(d->behaviors[d->n_behaviors - 1].path_pattern, "*") != 0) {
        eg_cn_msg(m, EG_CONF_ERROR, cfg, xml, "no default behavior (DefaultCacheBehavior)");
        bad = 1;
    }
    if (eg_dist_validate(&d->info, err, sizeof(err)) < 0) {
        eg_cn_msg(m, EG_CONF_ERROR, cfg, xml, "%s", err);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* The JSON document's DistributionConfig: inside the CLI's wrapper, or the top itself. */
static const eg_cnode_t *json_config(eg_cdoc_t *doc, eg_conf_msgs_t *m)
{
    eg_cnode_t *top = doc->root, *cfg = eg_cn_get(top, "DistributionConfig");
    if (cfg) {
        eg_cnode_t *etag = eg_cn_get(top, "ETag");
        cfg->used = 1;
        if (etag)
            etag->used = 1; /* the version of what was read, not a setting */
        if (cfg->kind != EG_CN_OBJECT) {
            eg_cn_msg(m, EG_CONF_ERROR, cfg, 0, "expected an object");
            return NULL;
        }
        return cfg;
    }
    if (eg_cn_get(top, "Origins") || eg_cn_get(top, "DefaultCacheBehavior") ||
        eg_cn_get(top, "CallerReference"))
        return top;
    eg_conf_msg(m, EG_CONF_ERROR, "$",
                "neither a DistributionConfig nor the AWS CLI's {\"ETag\", "
                "\"DistributionConfig\"}");
    return NULL;
}

static int xml_kind(const eg_cdoc_t *doc, eg_conf_msgs_t *m, int *kind)
{
    const eg_cnode_t *root = doc->root;
    if (strcmp(root->name, "DistributionConfig") != 0) {
        eg_cn_msg(m, EG_CONF_ERROR, root, 1, "expected <DistributionConfig>, got <%s>",
                  root->name);
        return -1;
    }
    if (doc->ns && strcmp(doc->ns, EG_CONF_NS_2020) == 0) {
        *kind = EG_CONF_KIND_XML2020;
    } else if (doc->ns && strcmp(doc->ns, EG_CONF_NS_2010) == 0) {
        *kind = EG_CONF_KIND_XML2010;
    } else if (doc->ns) {
        eg_cn_msg(m, EG_CONF_ERROR, root, 1,
                  "namespace %s: edgegate reads %s and %s", doc->ns, EG_CONF_NS_2020,
                  EG_CONF_NS_2010);
        return -1;
    } else if (eg_cn_get(root, "S3Origin") || eg_cn_get(root, "CustomOrigin")) {
        *kind = EG_CONF_KIND_XML2010;
        eg_cn_msg(m, EG_CONF_NOTE, root, 1, "no namespace: read as 2010-11-01 (S3Origin or "
                                           "CustomOrigin)");
    } else {
        *kind = EG_CONF_KIND_XML2020;
        eg_cn_msg(m, EG_CONF_NOTE, root, 1, "no namespace: read as 2020-05-31");
    }
    return 0;
}

int eg_conf_read(const char *data, size_t len, const char *dist_id, eg_dist_t *out, int *kind,
                 eg_conf_msgs_t *msgs)
{
    eg_cdoc_t doc = {0};
    const eg_cnode_t *cfg = NULL;
    size_t errors_before = msgs->nerrors, at = 0, bom = 0;
    int k = EG_CONF_KIND_XML2020, rc = -1;
    char err[512];

    memset(out, 0, sizeof(*out));
    if (len > (size_t)EG_CONF_MAX_BYTES) {
        eg_conf_msg(msgs, EG_CONF_ERROR, NULL, "the file is larger than %u bytes",
                    EG_CONF_MAX_BYTES);
        return -1;
    }
    if (eg_id_validate("distribution", dist_id, err, sizeof(err)) < 0) {
        eg_conf_msg(msgs, EG_CONF_ERROR, NULL, "%s", err);
        return -1;
    }
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        at = bom = 3;
    while (at < len && (data[at] == ' ' || data[at] == '\t' || data[at] == '\r' ||
                        data[at] == '\n'))
        at++;
    if (at < len && data[at] == '<') {
        if (eg_conf_xml_parse(data, len, &doc, msgs) < 0 || xml_kind(&doc, msgs, &k) < 0)
            goto out;
        cfg = doc.root;
    } else if (at < len && data[at] == '{') {
        k = EG_CONF_KIND_JSON;
        /* from after the BOM only: jansson's line numbers count the blank lines too */
        if (eg_conf_json_parse(data + bom, len - bom, &doc, msgs) < 0 ||
            (cfg = json_config(&doc, msgs)) == NULL)
            goto out;
    } else if (len >= 2 && ((unsigned char)data[0] == 0xff || (unsigned char)data[0] == 0xfe) &&
               ((unsigned char)data[1] == 0xfe || (unsigned char)data[1] == 0xff)) {
        eg_conf_msg(msgs, EG_CONF_ERROR, NULL, "the file is UTF-16: save it as UTF-8");
        goto out;
    } else {
        eg_conf_msg(msgs, EG_CONF_ERROR, NULL,
                    "neither XML nor JSON: a configuration file starts with '<' or '{'");
        goto out;
    }
    ((eg_cnode_t *)cfg)->used = 1;
    doc.root->used = 1;
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &out->info);
    snprintf(out->info.id, sizeof(out->info.id), "%s", dist_id);
    if (k == EG_CONF_KIND_XML2010) {
        if (eg_conf_import_2010(cfg, out, msgs) < 0)
            goto out;
    } else if (cfg->kind != EG_CN_OBJECT) {
        eg_cn_msg(msgs, EG_CONF_ERROR, cfg, doc.xml, "an empty DistributionConfig");
        goto out;
    } else if (eg_conf_import_2020(cfg, doc.xml, out, msgs) < 0) {
        goto out;
    }
    if (msgs->nerrors != errors_before || whole(cfg, doc.xml, out, msgs) < 0)
        goto out;
    eg_cn_report_unused(doc.root, doc.xml, msgs);
    rc = msgs->nerrors == errors_before ? 0 : -1;
out:
    if (kind)
        *kind = k;
    eg_cdoc_free(&doc);
    if (rc < 0)
        eg_dist_clear(out);
    return rc;
}
