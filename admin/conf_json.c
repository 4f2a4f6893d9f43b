/* JSON <-> the document tree, through jansson: CloudFront's JSON as the AWS CLI prints it. */
#include <jansson.h>

#include "edgegate/common.h"
#include "conf_int.h"

/* --- reading ----------------------------------------------------------------------------- */

static int build(json_t *v, eg_cnode_t *parent, const char *name, int depth, eg_cnode_t **out,
                 eg_conf_msgs_t *m)
{
    eg_cnode_t *n = NULL;
    if (depth > 64) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "values nested deeper than 64 levels");
        return -1;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *member;
        n = eg_cn_add(parent, name, EG_CN_OBJECT);
        json_object_foreach(v, key, member)
        {
            if (build(member, n, key, depth + 1, NULL, m) < 0)
                goto fail;
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;
        n = eg_cn_add(parent, name, EG_CN_LIST);
        json_array_foreach(v, i, item)
        {
            if (build(item, n, NULL, depth + 1, NULL, m) < 0)
                goto fail;
        }
        break;
    }
    case JSON_STRING:
        n = eg_cn_add_strn(parent, name, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        n = eg_cn_add_int(parent, name, (long long)json_integer_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        n = eg_cn_add_bool(parent, name, json_is_true(v));
        break;
    default: {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        n = eg_cn_add(parent, name, EG_CN_OTHER);
        n->text = eg_strdup(text ? text : "null");
        free(text);
        break;
    }
    }
    if (out)
        *out = n;
    return 0;
fail:
    if (parent == NULL)
        eg_cn_free(n);
    return -1;
}

int eg_conf_json_parse(const char *data, size_t len, eg_cdoc_t *doc, eg_conf_msgs_t *m)
{
    json_error_t e;
    json_t *v;
    int rc;

    memset(doc, 0, sizeof(*doc));
    if (len > (size_t)EG_CONF_MAX_BYTES) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "the file is larger than %u bytes", EG_CONF_MAX_BYTES);
        return -1;
    }
    v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
    if (v == NULL) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "line %d, column %d: %s", e.line, e.column, e.text);
        return -1;
    }
    if (!json_is_object(v)) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "the file holds no JSON object");
        json_decref(v);
        return -1;
    }
    rc = build(v, NULL, NULL, 0, &doc->root, m);
    json_decref(v);
    if (rc < 0) {
        eg_cdoc_free(doc);
        return -1;
    }
    return 0;
}

/* --- writing ----------------------------------------------------------------------------- */

static json_t *to_json(const eg_cnode_t *n, int *bad)
{
    json_t *v;
    switch (n->kind) {
    case EG_CN_OBJECT:
        v = json_object();
        for (size_t i = 0; i < n->nkids; i++)
            json_object_set_new(v, n->kids[i]->name ? n->kids[i]->name : "",
                                to_json(n->kids[i], bad));
        return v;
    case EG_CN_LIST:
        v = json_array();
        for (size_t i = 0; i < n->nkids; i++)
            json_array_append_new(v, to_json(n->kids[i], bad));
        return v;
    case EG_CN_INT:
        return json_integer((json_int_t)n->num);
    case EG_CN_BOOL:
        return json_boolean(n->boolean);
    case EG_CN_OTHER:
        return json_null();
    default:
        /* JSON holds UTF-8 only: a value that is not (a comment stored byte for byte) is
         * an error, never written as something else */
        v = json_stringn(n->text ? n->text : "", n->text ? strlen(n->text) : 0);
        if (v == NULL) {
            *bad = 1;
            v = json_string("");
        }
        return v;
    }
}

int eg_conf_json_write(const eg_cnode_t *root, eg_buf_t *out, eg_conf_msgs_t *m)
{
    int bad = 0;
    json_t *v = to_json(root, &bad);
    char *text = bad ? NULL : json_dumps(v, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (bad) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "a value is not UTF-8, which JSON cannot hold");
        return -1;
    }
    if (text == NULL) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "the JSON could not be written");
        return -1;
    }
    eg_buf_adds(out, text);
    eg_buf_adds(out, "\n");
    free(text);
    return 0;
}
