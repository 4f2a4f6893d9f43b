/* XML <-> the document tree, through libxml2. A configuration file never needs a DTD, so a
 * DOCTYPE stops the parser where it starts: no entity is declared, expanded or fetched, and
 * the parser is never given the network or a loader that could open anything. */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "edgegate/common.h"
#include "conf_int.h"

/* --- set-up ----------------------------------------------------------------------------- */

static xmlParserInputPtr refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL;
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

void eg_conf_init(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_loader);
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlSetStructuredErrorFunc(NULL, quiet_structured);
}

/* --- reading ----------------------------------------------------------------------------- */

typedef struct {
    int doctype_line; /* where a DOCTYPE was met (the parser stopped there) */
} xml_state_t;

/* SAX internalSubset: called at "<!DOCTYPE", before its contents are parsed. */
static void stop_at_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                            const xmlChar *sys_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    xml_state_t *st = ctxt->_private;
    (void)name;
    (void)ext_id;
    (void)sys_id;
    st->doctype_line = xmlSAX2GetLineNumber(ctxt) > 0 ? xmlSAX2GetLineNumber(ctxt) : 1;
    xmlStopParser(ctxt);
}

static int whitespace_only(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

static void node_error(eg_conf_msgs_t *m, xmlNodePtr x, const char *fmt, const char *arg)
{
    char where[64];
    snprintf(where, sizeof(where), "line %ld", xmlGetLineNo(x));
    eg_conf_msg(m, EG_CONF_ERROR, where, fmt, arg);
}

/* The tree node for element x (parent may be NULL), and its children. */
static eg_cnode_t *build(xmlNodePtr x, eg_cnode_t *parent, const xmlNs *ns, int depth,
                         eg_conf_msgs_t *m)
{
    const char *name = (const char *)x->name;
    int has_elements = 0;
    eg_cnode_t *n;
    eg_buf_t text = {0};

    if (depth > 64) {
        node_error(m, x, "elements nested deeper than %s levels", "64");
        return NULL;
    }
    if ((x->ns == NULL) != (ns == NULL) ||
        (x->ns && ns && !xmlStrEqual(x->ns->href, ns->href))) {
        node_error(m, x, "<%s> is in another namespace than the document", name);
        return NULL;
    }
    if (x->properties) {
        node_error(m, x, "<%s> has attributes (CloudFront's configurations have none)", name);
        return NULL;
    }
    for (xmlNodePtr c = x->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            has_elements = 1;
    n = eg_cn_add(parent, name,
                  strcmp(name, "Items") == 0 ? EG_CN_LIST : has_elements ? EG_CN_OBJECT : EG_CN_STR);
    n->line = (int)xmlGetLineNo(x);
    for (xmlNodePtr c = x->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            if (build(c, n, ns, depth + 1, m) == NULL)
                goto fail;
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if ((has_elements || strcmp(name, "Items") == 0) && !whitespace_only(c->content)) {
                node_error(m, c, "text beside elements in <%s>", name);
                goto fail;
            }
            if (!has_elements && c->content)
                eg_buf_adds(&text, (const char *)c->content);
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        default:
            node_error(m, c, "<%s> holds something other than text and elements (an entity?)",
                       name);
            goto fail;
        }
    }
    if (n->kind == EG_CN_STR)
        n->text = text.data ? text.data : eg_strdup("");
    else
        eg_buf_free(&text);
    return n;
fail:
    eg_buf_free(&text);
    if (parent == NULL)
        eg_cn_free(n);
    return NULL;
}

int eg_conf_xml_parse(const char *data, size_t len, eg_cdoc_t *doc, eg_conf_msgs_t *m)
{
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr x = NULL;
    xml_state_t st = {0};
    xmlNodePtr root;
    int rc = -1;

    memset(doc, 0, sizeof(*doc));
    if (len > (size_t)EG_CONF_MAX_BYTES) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "the file is larger than %u bytes", EG_CONF_MAX_BYTES);
        return -1;
    }
    if ((ctxt = xmlNewParserCtxt()) == NULL) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "the XML parser could not start");
        return -1;
    }
    ctxt->_private = &st;
    ctxt->sax->internalSubset = stop_at_doctype;
    x = xmlCtxtReadMemory(ctxt, data, (int)len, "config.xml", NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                              XML_PARSE_NOCDATA);
    if (st.doctype_line) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL,
                    "line %d: a DOCTYPE is not allowed (CloudFront configurations have none; "
                    "its entities could read files, make requests or expand without end), so "
                    "nothing after it was read",
                    st.doctype_line);
        goto out;
    }
    if (x == NULL || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char msg[512];
        size_t n;
        snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "not well-formed XML");
        n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "line %d: %s", e ? e->line : 0, msg);
        goto out;
    }
    if (x->intSubset || x->extSubset) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "a DOCTYPE is not allowed");
        goto out;
    }
    root = xmlDocGetRootElement(x);
    if (root == NULL) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "the document has no element");
        goto out;
    }
    doc->root = build(root, NULL, root->ns, 0, m);
    if (doc->root == NULL)
        goto out;
    doc->xml = 1;
    doc->ns = root->ns && root->ns->href ? eg_strdup((const char *)root->ns->href) : NULL;
    rc = 0;
out:
    if (x)
        xmlFreeDoc(x);
    xmlFreeParserCtxt(ctxt);
    if (rc < 0)
        eg_cdoc_free(doc);
    return rc;
}

/* --- writing ----------------------------------------------------------------------------- */

static int emit(const eg_cnode_t *n, xmlNodePtr parent, xmlNsPtr ns, const char *name,
                eg_conf_msgs_t *m)
{
    char num[32];
    xmlNodePtr el;
    if (name == NULL) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "a list item without an element name");
        return -1;
    }
    switch (n->kind) {
    case EG_CN_STR:
    case EG_CN_OTHER:
        xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST(n->text ? n->text : ""));
        return 0;
    case EG_CN_INT:
        snprintf(num, sizeof(num), "%lld", n->num);
        xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST num);
        return 0;
    case EG_CN_BOOL:
        xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST(n->boolean ? "true" : "false"));
        return 0;
    default:
        break;
    }
    el = xmlNewChild(parent, ns, BAD_CAST name, NULL);
    for (size_t i = 0; i < n->nkids; i++)
        if (emit(n->kids[i], el, ns, n->kids[i]->name, m) < 0)
            return -1;
    return 0;
}

int eg_conf_xml_write(const eg_cnode_t *root, const char *ns, eg_buf_t *out, eg_conf_msgs_t *m)
{
    xmlDocPtr x = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr el = xmlNewDocNode(x, NULL, BAD_CAST root->name, NULL);
    xmlNsPtr xns = ns ? xmlNewNs(el, BAD_CAST ns, NULL) : NULL;
    xmlChar *mem = NULL;
    int size = 0, rc = -1;

    xmlSetNs(el, xns);
    xmlDocSetRootElement(x, el);
    for (size_t i = 0; i < root->nkids; i++)
        if (emit(root->kids[i], el, xns, root->kids[i]->name, m) < 0)
            goto out;
    xmlDocDumpFormatMemoryEnc(x, &mem, &size, "UTF-8", 1);
    if (mem == NULL || size <= 0) {
        eg_conf_msg(m, EG_CONF_ERROR, NULL, "the XML could not be written");
        goto out;
    }
    eg_buf_add(out, mem, (size_t)size);
    rc = 0;
out:
    xmlFree(mem);
    xmlFreeDoc(x);
    return rc;
}
