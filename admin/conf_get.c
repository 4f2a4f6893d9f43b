/* Reading values out of a document tree for the importers: every value read is marked used,
 * and a value of the wrong kind is an error that says where it is and what was expected. */
#include <ctype.h>
#include <limits.h>

#include "edgegate/common.h"
#include "conf_int.h"

static const char *const kind_words[] = {"an object", "a list", "a string", "a number",
                                         "true or false", "null"};

static const char *kind_word(const eg_cnode_t *n)
{
    if (n->kind == EG_CN_OTHER && n->text)
        return n->text; /* null, or a number with a fraction or exponent: as written */
    return n->kind >= 0 && n->kind <= EG_CN_OTHER ? kind_words[n->kind] : "?";
}

static int bad(eg_crd_t *r, const eg_cnode_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(eg_crd_t *r, const eg_cnode_t *n, const char *fmt, ...)
{
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    eg_cn_msg(r->m, EG_CONF_ERROR, n, r->xml, "%s", what);
    r->errors++;
    return -1;
}

const eg_cnode_t *eg_crd_member(eg_crd_t *r, const eg_cnode_t *obj, const char *name,
                                int required, int *rc)
{
    eg_cnode_t *n;
    *rc = -1;
    if (obj == NULL)
        return NULL;
    if (obj->kind != EG_CN_OBJECT) {
        /* an XML element left empty (<Origins/>) reads as an empty string: say what is missing */
        if (obj->kind == EG_CN_STR && (obj->text == NULL || obj->text[0] == '\0')) {
            if (required)
                bad(r, obj, "missing %s", name);
            else
                *rc = 0;
            return NULL;
        }
        bad(r, obj, "expected an object holding %s, got %s", name, kind_word(obj));
        return NULL;
    }
    n = eg_cn_get(obj, name);
    if (n == NULL) {
        if (required)
            bad(r, obj, "missing %s", name);
        else
            *rc = 0;
        return NULL;
    }
    n->used = 1;
    if (eg_cn_count(obj, name) > 1) {
        for (size_t i = n->index + 1; i < obj->nkids; i++)
            if (obj->kids[i]->name && strcmp(obj->kids[i]->name, name) == 0) {
                obj->kids[i]->used = 1;
                bad(r, obj->kids[i], "%s appears more than once", name);
                return NULL;
            }
    }
    *rc = 1;
    return n;
}

/* A scalar's text: STR as it is; from JSON also nothing else. */
static int scalar_text(eg_crd_t *r, const eg_cnode_t *n, const char *expected, const char **out)
{
    if (n->kind != EG_CN_STR)
        return bad(r, n, "expected %s, got %s", expected, kind_word(n));
    *out = n->text ? n->text : "";
    return 0;
}

int eg_crd_str(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required, char *out,
               size_t len)
{
    int rc;
    const eg_cnode_t *n = eg_crd_member(r, obj, name, required, &rc);
    const char *text = "";
    if (n == NULL)
        return rc;
    if (scalar_text(r, n, "a string", &text) < 0)
        return -1;
    if (strlen(text) >= len)
        return bad(r, n, "longer than %zu characters", len - 1);
    memcpy(out, text, strlen(text) + 1);
    return 1;
}

int eg_crd_int(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required, long min,
               long max, long *out)
{
    int rc;
    const eg_cnode_t *n = eg_crd_member(r, obj, name, required, &rc);
    long long v;
    if (n == NULL)
        return rc;
    if (r->xml || n->kind == EG_CN_STR) {
        const char *text = "", *p;
        char *end;
        if (!r->xml)
            return bad(r, n, "expected a whole number from %ld to %ld, got a string", min, max);
        if (scalar_text(r, n, "a whole number", &text) < 0)
            return -1;
        for (p = text; *p; p++)
            if (!isdigit((unsigned char)*p) && !(p == text && *p == '-'))
                break;
        errno = 0;
        v = strtoll(text, &end, 10);
        if (*text == '\0' || *p || *end || errno)
            return bad(r, n, "expected a whole number from %ld to %ld, got \"%.40s\"", min, max,
                       text);
    } else if (n->kind == EG_CN_INT) {
        v = n->num;
    } else {
        return bad(r, n, "expected a whole number from %ld to %ld, got %s", min, max,
                   kind_word(n));
    }
    if (v < min || v > max)
        return bad(r, n, "%lld is out of range (%ld to %ld)", v, min, max);
    *out = (long)v;
    return 1;
}

int eg_crd_bool(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required, int *out)
{
    int rc;
    const eg_cnode_t *n = eg_crd_member(r, obj, name, required, &rc);
    if (n == NULL)
        return rc;
    if (n->kind == EG_CN_BOOL) {
        *out = n->boolean;
        return 1;
    }
    if (r->xml && n->kind == EG_CN_STR && n->text &&
        (strcmp(n->text, "true") == 0 || strcmp(n->text, "false") == 0)) {
        *out = strcmp(n->text, "true") == 0;
        return 1;
    }
    if (n->kind == EG_CN_STR)
        return bad(r, n, "expected true or false, got \"%.40s\"", n->text ? n->text : "");
    return bad(r, n, "expected true or false, got %s", kind_word(n));
}

int eg_crd_list(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required,
                const char *item, const eg_cnode_t ***items, size_t *n)
{
    int rc;
    const eg_cnode_t *w = eg_crd_member(r, obj, name, required, &rc), *list;
    long quantity;
    *items = NULL;
    *n = 0;
    if (w == NULL)
        return rc;
    if (eg_crd_int(r, w, "Quantity", 1, 0, 100000, &quantity) < 0)
        return -1;
    list = eg_crd_member(r, w, "Items", quantity > 0, &rc);
    if (list == NULL) {
        if (rc < 0)
            return -1;
        return 1; /* Quantity 0 and no Items */
    }
    if (list->kind == EG_CN_STR && r->xml && (list->text == NULL || list->text[0] == '\0')) {
        /* never so: the XML reader makes every <Items> a list */
        return bad(r, list, "expected a list of %s", item);
    }
    if (list->kind != EG_CN_LIST)
        return bad(r, list, "expected a list of %s, got %s", item, kind_word(list));
    if ((size_t)quantity != list->nkids)
        return bad(r, list->parent, "Quantity says %ld but Items holds %zu", quantity,
                   list->nkids);
    for (size_t i = 0; i < list->nkids; i++) {
        eg_cnode_t *it = list->kids[i];
        it->used = 1;
        if (r->xml && (it->name == NULL || strcmp(it->name, item) != 0))
            return bad(r, it, "expected <%s>, got <%s>", item, it->name ? it->name : "?");
    }
    if (list->nkids) {
        *items = eg_calloc(list->nkids, sizeof(**items));
        for (size_t i = 0; i < list->nkids; i++)
            (*items)[i] = list->kids[i];
    }
    *n = list->nkids;
    return 1;
}

int eg_crd_item_str(eg_crd_t *r, const eg_cnode_t *item, char *out, size_t len)
{
    const char *text = "";
    if (scalar_text(r, item, "a string", &text) < 0)
        return -1;
    if (strlen(text) >= len)
        return bad(r, item, "longer than %zu characters", len - 1);
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

int eg_crd_field(eg_crd_t *r, const eg_cnode_t *where, const eg_field_t *table, size_t n,
                 const char *name, void *obj, const char *value)
{
    char err[512];
    if (eg_field_parse(eg_field_find(table, n, name), obj, value, err, sizeof(err)) < 0) {
        /* the table's message names egctl's option; say what the file gave */
        const char *colon = strncmp(err, "--", 2) == 0 ? strchr(err, ':') : NULL;
        eg_cn_msg(r->m, EG_CONF_ERROR, where, r->xml, "%s", colon ? colon + 2 : err);
        r->errors++;
        return -1;
    }
    return 0;
}
