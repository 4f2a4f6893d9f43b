/* The document tree both formats share, where a node is (for messages), and the messages. */
#include <ctype.h>

#include "edgegate/common.h"
#include "conf_int.h"

/* --- messages ------------------------------------------------------------------------- */

/* fmt and ap into a new string (owned). */
static char *vformat(const char *fmt, va_list ap)
{
    eg_buf_t b = {0};
    va_list copy;
    int n;
    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    eg_buf_reserve(&b, n < 0 ? 0 : (size_t)n);
    vsnprintf(b.data, (n < 0 ? 0 : (size_t)n) + 1, fmt, ap);
    return b.data;
}

static void add_msg(eg_conf_msgs_t *m, int sev, const char *where, char *what)
{
    m->v = eg_realloc(m->v, (m->n + 1) * sizeof(*m->v));
    m->v[m->n].sev = sev;
    m->v[m->n].where = eg_strdup(where ? where : "");
    m->v[m->n].what = what;
    m->n++;
    if (sev == EG_CONF_ERROR)
        m->nerrors++;
    else if (sev == EG_CONF_IGNORED)
        m->nignored++;
}

void eg_conf_msg(eg_conf_msgs_t *m, int sev, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_msg(m, sev, where, vformat(fmt, ap));
    va_end(ap);
}

void eg_conf_msgs_format(const eg_conf_msgs_t *m, eg_buf_t *out)
{
    static const char *const sev[] = {"error", "ignored", "note"};
    for (size_t i = 0; i < m->n; i++) {
        const eg_conf_msg_t *g = &m->v[i];
        eg_buf_printf(out, "%s: %s%s%s\n", sev[g->sev >= 0 && g->sev <= 2 ? g->sev : 0], g->where,
                      g->where[0] ? ": " : "", g->what);
    }
}

void eg_conf_msgs_free(eg_conf_msgs_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].where);
        free(m->v[i].what);
    }
    free(m->v);
    memset(m, 0, sizeof(*m));
}

/* --- nodes ------------------------------------------------------------------------------ */

eg_cnode_t *eg_cn_add(eg_cnode_t *parent, const char *name, int kind)
{
    eg_cnode_t *n = eg_calloc(1, sizeof(*n));
    n->name = name ? eg_strdup(name) : NULL;
    n->kind = kind;
    n->parent = parent;
    if (parent) {
        if (parent->nkids == parent->cap) {
            parent->cap = parent->cap ? parent->cap * 2 : 8;
            parent->kids = eg_realloc(parent->kids, parent->cap * sizeof(*parent->kids));
        }
        n->index = parent->nkids;
        parent->kids[parent->nkids++] = n;
    }
    return n;
}

eg_cnode_t *eg_cn_add_strn(eg_cnode_t *parent, const char *name, const char *text, size_t len)
{
    eg_cnode_t *n = eg_cn_add(parent, name, EG_CN_STR);
    n->text = eg_strndup(text, len);
    return n;
}

eg_cnode_t *eg_cn_add_str(eg_cnode_t *parent, const char *name, const char *text)
{
    return eg_cn_add_strn(parent, name, text, strlen(text));
}

eg_cnode_t *eg_cn_add_int(eg_cnode_t *parent, const char *name, long long v)
{
    eg_cnode_t *n = eg_cn_add(parent, name, EG_CN_INT);
    n->num = v;
    return n;
}

eg_cnode_t *eg_cn_add_bool(eg_cnode_t *parent, const char *name, int v)
{
    eg_cnode_t *n = eg_cn_add(parent, name, EG_CN_BOOL);
    n->boolean = v != 0;
    return n;
}

void eg_cn_free(eg_cnode_t *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        eg_cn_free(n->kids[i]);
    free(n->kids);
    free(n->name);
    free(n->text);
    free(n);
}

void eg_cdoc_free(eg_cdoc_t *doc)
{
    eg_cn_free(doc->root);
    free(doc->ns);
    memset(doc, 0, sizeof(*doc));
}

eg_cnode_t *eg_cn_get(const eg_cnode_t *obj, const char *name)
{
    if (obj == NULL || obj->kind != EG_CN_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->nkids; i++)
        if (obj->kids[i]->name && strcmp(obj->kids[i]->name, name) == 0)
            return obj->kids[i];
    return NULL;
}

size_t eg_cn_count(const eg_cnode_t *obj, const char *name)
{
    size_t c = 0;
    if (obj == NULL || obj->kind != EG_CN_OBJECT)
        return 0;
    for (size_t i = 0; i < obj->nkids; i++)
        if (obj->kids[i]->name && strcmp(obj->kids[i]->name, name) == 0)
            c++;
    return c;
}

/* --- where ------------------------------------------------------------------------------ */

/* A JSON member name printed in a path: bare when it is a plain word, else quoted. */
static void json_step(eg_buf_t *b, const char *name)
{
    int plain = *name != '\0';
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            plain = 0;
    if (plain) {
        eg_buf_printf(b, ".%s", name);
        return;
    }
    eg_buf_adds(b, "[\"");
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            eg_buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            eg_buf_printf(b, "\\u%04x", c);
        else
            eg_buf_add(b, p, 1);
    }
    eg_buf_adds(b, "\"]");
}

static void where_steps(const eg_cnode_t *n, int xml, eg_buf_t *b)
{
    if (n->parent)
        where_steps(n->parent, xml, b);
    if (xml) {
        /* XPath-like: a list item by its element name and 1-based position; a member that
         * repeats (legacy CNAME) by its position among its namesakes */
        size_t pos = 0, same = 0;
        if (n->parent)
            for (size_t i = 0; i < n->parent->nkids; i++) {
                const eg_cnode_t *k = n->parent->kids[i];
                if (k->name && n->name && strcmp(k->name, n->name) == 0) {
                    same++;
                    if (k == n)
                        pos = same;
                }
            }
        eg_buf_printf(b, "/%s", n->name ? n->name : "item");
        if (n->parent && (n->parent->kind == EG_CN_LIST || same > 1))
            eg_buf_printf(b, "[%zu]", pos ? pos : n->index + 1);
    } else if (n->parent == NULL) {
        eg_buf_adds(b, "$");
    } else if (n->parent->kind == EG_CN_LIST) {
        eg_buf_printf(b, "[%zu]", n->index);
    } else {
        json_step(b, n->name ? n->name : "");
    }
}

void eg_cn_where(const eg_cnode_t *n, int xml, char *buf, size_t len)
{
    eg_buf_t b = {0};
    if (n == NULL) {
        snprintf(buf, len, "%s", "");
        return;
    }
    if (xml && n->line > 0)
        eg_buf_printf(&b, "line %d: ", n->line);
    where_steps(n, xml, &b);
    snprintf(buf, len, "%s", b.data);
    eg_buf_free(&b);
}

void eg_cn_msg(eg_conf_msgs_t *m, int sev, const eg_cnode_t *n, int xml, const char *fmt, ...)
{
    char where[1024];
    va_list ap;
    eg_cn_where(n, xml, where, sizeof(where));
    va_start(ap, fmt);
    add_msg(m, sev, where, vformat(fmt, ap));
    va_end(ap);
}

/* --- summaries and what was not read ------------------------------------------------------ */

/* A value quoted for a message: printable ASCII kept, anything else as '?', at most max
 * bytes then "...". */
static void quote_value(eg_buf_t *b, const char *s, size_t max)
{
    size_t i;
    eg_buf_adds(b, "\"");
    for (i = 0; s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        char ch = c >= 0x20 && c < 0x7f ? (char)c : '?';
        eg_buf_add(b, &ch, 1);
    }
    eg_buf_adds(b, s[i] ? "...\"" : "\"");
}

static void summary(const eg_cnode_t *n, eg_buf_t *b, int top)
{
    switch (n->kind) {
    case EG_CN_STR:
    case EG_CN_OTHER:
        if (n->kind == EG_CN_STR)
            quote_value(b, n->text ? n->text : "", 60);
        else
            eg_buf_adds(b, n->text ? n->text : "null");
        return;
    case EG_CN_INT:
        eg_buf_printf(b, "%lld", n->num);
        return;
    case EG_CN_BOOL:
        eg_buf_adds(b, n->boolean ? "true" : "false");
        return;
    default:
        break;
    }
    {
        size_t shown = 0;
        if (!top)
            eg_buf_adds(b, n->kind == EG_CN_LIST ? "[" : "{");
        for (size_t i = 0; i < n->nkids; i++) {
            const eg_cnode_t *k = n->kids[i];
            if (eg_cn_inert(k))
                continue;
            if (shown++)
                eg_buf_adds(b, ", ");
            if (n->kind == EG_CN_OBJECT && k->name)
                eg_buf_printf(b, "%s=", k->name);
            summary(k, b, 0);
            if (b->len > 400)
                break;
        }
        if (!top)
            eg_buf_adds(b, n->kind == EG_CN_LIST ? "]" : "}");
    }
}

void eg_cn_summary(const eg_cnode_t *n, char *buf, size_t len)
{
    eg_buf_t b = {0};
    summary(n, &b, 1);
    if (b.data == NULL) {
        snprintf(buf, len, "%s", "");
    } else if (b.len >= len && len > 4) {
        size_t cut = len - 4;
        while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
            cut--;
        snprintf(buf, len, "%.*s...", (int)cut, b.data);
    } else {
        snprintf(buf, len, "%s", b.data);
    }
    eg_buf_free(&b);
}

int eg_cn_inert(const eg_cnode_t *n)
{
    switch (n->kind) {
    case EG_CN_STR:
        return n->text == NULL || n->text[0] == '\0' || strcmp(n->text, "none") == 0 ||
               strcmp(n->text, "false") == 0 ||
               /* an XML Quantity of 0 */
               strcmp(n->text, "0") == 0;
    case EG_CN_INT:
        return n->num == 0;
    case EG_CN_BOOL:
        return !n->boolean;
    case EG_CN_OTHER:
        return n->text == NULL || strcmp(n->text, "null") == 0;
    default:
        for (size_t i = 0; i < n->nkids; i++)
            if (!eg_cn_inert(n->kids[i]))
                return 0;
        return 1;
    }
}

void eg_cn_report_unused(const eg_cnode_t *n, int xml, eg_conf_msgs_t *m)
{
    if (!n->used) {
        char val[256];
        if (eg_cn_inert(n))
            return;
        eg_cn_summary(n, val, sizeof(val));
        eg_cn_msg(m, EG_CONF_IGNORED, n, xml, "edgegate has no such setting (%s)", val);
        return;
    }
    for (size_t i = 0; i < n->nkids; i++)
        eg_cn_report_unused(n->kids[i], xml, m);
}
