/* What the conf_*.c files share and nothing else sees: a document as a tree of named nodes,
 * which the XML and JSON readers build and the writers print, so that the importers and the
 * exporter are written once for both formats (CloudFront's JSON is its XML with
 * "Items": [...] for <Items><Name>...</Name></Items>).
 *
 *   conf_tree.c    the tree, locations, messages
 *   conf_xml.c     XML <-> tree (libxml2, no DTD/entities/network)
 *   conf_json.c    JSON <-> tree (jansson)
 *   conf_read.c    eg_conf_read: recognises the kind, calls an importer
 *   conf_import.c  tree -> distribution, 2020-05-31 shape (XML and JSON)
 *   conf_legacy.c  tree -> distribution, 2010-11-01 XML
 *   conf_policy.c  a behavior's ForwardedValues / cache and origin request policies
 *   conf_export.c  distribution -> tree (2020-05-31), eg_conf_write, eg_conf_fingerprint
 *   conf_diff.c    eg_conf_diff */
#ifndef EDGEGATE_CONF_INT_H
#define EDGEGATE_CONF_INT_H

#include "edgegate/conf.h"

/* CloudFront's namespaces. */
#define EG_CONF_NS_2020 "http://cloudfront.amazonaws.com/doc/2020-05-31/"
#define EG_CONF_NS_2010 "http://cloudfront.amazonaws.com/doc/2010-11-01/"

typedef enum {
    EG_CN_OBJECT = 0, /* members in order (XML: child elements; may repeat a name) */
    EG_CN_LIST,       /* items (XML: the children of <Items>, each named; JSON: an array) */
    EG_CN_STR,        /* XML: every leaf element's text; JSON: a string */
    EG_CN_INT,        /* JSON integer (the writers print it bare) */
    EG_CN_BOOL,       /* JSON true/false (the writers print true/false) */
    EG_CN_OTHER       /* JSON null or a real number: text holds it as written */
} eg_cn_kind_t;

typedef struct eg_cnode eg_cnode_t;
struct eg_cnode {
    char *name;        /* owned: element or member name; a list item's XML element name
                        * (Origin, CNAME ...), NULL for a JSON array item */
    int kind;          /* eg_cn_kind_t */
    char *text;        /* owned: STR and OTHER */
    long long num;     /* INT */
    int boolean;       /* BOOL */
    eg_cnode_t **kids; /* owned: OBJECT members, LIST items */
    size_t nkids, cap;
    eg_cnode_t *parent;
    size_t index; /* position among the parent's kids */
    int line;     /* XML: the element's line; 0 from JSON or built in memory */
    int used;     /* set by the importer on every node it reads: the ones left unset are the
                   * settings edgegate does not have (conf_tree_unused) */
};

typedef struct {
    eg_cnode_t *root; /* owned. XML: the root element (DistributionConfig). JSON: the top
                       * object (which may hold ETag and DistributionConfig) */
    int xml;          /* 1 when read from XML: scalars are text, list items are named */
    char *ns;         /* owned: the XML root's namespace URI, NULL when none (or JSON) */
} eg_cdoc_t;

/* --- conf_tree.c ------------------------------------------------------------------ */

/* Appends a new node to parent (NULL: a root). name may be NULL (a JSON array item). */
eg_cnode_t *eg_cn_add(eg_cnode_t *parent, const char *name, int kind);
eg_cnode_t *eg_cn_add_str(eg_cnode_t *parent, const char *name, const char *text);
eg_cnode_t *eg_cn_add_strn(eg_cnode_t *parent, const char *name, const char *text, size_t len);
eg_cnode_t *eg_cn_add_int(eg_cnode_t *parent, const char *name, long long v);
eg_cnode_t *eg_cn_add_bool(eg_cnode_t *parent, const char *name, int v);
void eg_cn_free(eg_cnode_t *n);
void eg_cdoc_free(eg_cdoc_t *doc);

/* The first member of an OBJECT called name, or NULL (and NULL for any other kind). */
eg_cnode_t *eg_cn_get(const eg_cnode_t *obj, const char *name);
/* How many members of an OBJECT are called name. */
size_t eg_cn_count(const eg_cnode_t *obj, const char *name);

/* Where a node is, for messages: "line 12: /DistributionConfig/Origins/Items/Origin[1]/Id"
 * (XML: 1-based index on list items) or "$.DistributionConfig.Origins.Items[0].Id" (JSON). */
void eg_cn_where(const eg_cnode_t *n, int xml, char *buf, size_t len);
/* eg_conf_msg with where = eg_cn_where(n). */
void eg_cn_msg(eg_conf_msgs_t *m, int sev, const eg_cnode_t *n, int xml, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The value of a scalar node as one short line for messages ("true", "80", "\"x\"" ...), and
 * of an OBJECT/LIST as its non-empty leaves "Bucket=..., Prefix=..." cut to len. */
void eg_cn_summary(const eg_cnode_t *n, char *buf, size_t len);

/* A node is inert when it holds nothing a setting could be: "", "none", false, 0 items, or an
 * OBJECT/LIST of inert nodes only (CloudFront's JSON prints every setting, switched off ones
 * too, e.g. "Logging": {"Enabled": false, "Bucket": "", ...}). */
int eg_cn_inert(const eg_cnode_t *n);
/* One IGNORED message for each node under n not marked used and not inert, topmost only (its
 * kids are not listed again): "edgegate has no such setting (VALUE)". */
void eg_cn_report_unused(const eg_cnode_t *n, int xml, eg_conf_msgs_t *m);

/* --- reading values (conf_get.c) -------------------------------------------------------
 * Each marks what it reads as used. A value of the wrong kind, out of range or too long adds
 * an ERROR naming the node (and bumps r->errors) and the call returns -1; an absent member
 * returns 0 (an ERROR "missing NAME" first when required); found returns 1. */
typedef struct {
    int xml; /* the document came from XML: scalars are text ("80", "true") */
    eg_conf_msgs_t *m;
    int errors;
} eg_crd_t;

/* The member called name of obj (an ERROR when obj is not an object, or when the member
 * appears more than once); NULL when absent or on error (*rc says which: 0, -1) */
const eg_cnode_t *eg_crd_member(eg_crd_t *r, const eg_cnode_t *obj, const char *name,
                                int required, int *rc);
int eg_crd_str(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required, char *out,
               size_t len);
int eg_crd_int(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required, long min,
               long max, long *out);
int eg_crd_bool(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required, int *out);
/* CloudFront's {Quantity, Items} wrapper called name in obj: *items and *n its items (each, in
 * XML, an element called item), Quantity checked against their count, Items optional when
 * Quantity is 0. *items is owned by the caller (free); NULL when n is 0. */
int eg_crd_list(eg_crd_t *r, const eg_cnode_t *obj, const char *name, int required,
                const char *item, const eg_cnode_t ***items, size_t *n);
/* value into obj's field called name of the table, by the rules egctl applies (eg_field_parse);
 * -1 with an ERROR at where saying why (without egctl's "--option: " in front). */
int eg_crd_field(eg_crd_t *r, const eg_cnode_t *where, const eg_field_t *table, size_t n,
                 const char *name, void *obj, const char *value);
/* A list item that must be a string (CNAME, Method, Name ...) */
int eg_crd_item_str(eg_crd_t *r, const eg_cnode_t *item, char *out, size_t len);

/* The alias list of a file (comma-joined) into info, normalized and checked as egctl does;
 * -1 with an ERROR at where. (conf_import.c) */
int conf_aliases(eg_crd_t *r, const eg_cnode_t *where, eg_dist_info_t *info, const char *list);

/* --- conf_xml.c, conf_json.c ------------------------------------------------------ */

/* Parse into doc; -1 with an ERROR message (line and what) when the bytes are not a
 * well-formed document, or (XML) hold a DOCTYPE, an entity or anything that would make the
 * parser load a file, or (JSON) repeat a member name. */
int eg_conf_xml_parse(const char *data, size_t len, eg_cdoc_t *doc, eg_conf_msgs_t *m);
int eg_conf_json_parse(const char *data, size_t len, eg_cdoc_t *doc, eg_conf_msgs_t *m);
/* Print a tree built by the exporter: XML with ns on the root element, two-space indent,
 * UTF-8 declaration, a final newline; JSON with four-space indent, members in order, a final
 * newline. LIST items print as <Items><NAME>...</NAME></Items> in XML and as an array in
 * JSON. 0, or -1 with an ERROR message. */
int eg_conf_xml_write(const eg_cnode_t *root, const char *ns, eg_buf_t *out, eg_conf_msgs_t *m);
int eg_conf_json_write(const eg_cnode_t *root, eg_buf_t *out, eg_conf_msgs_t *m);

/* --- the importers (conf_import.c, conf_legacy.c) ---------------------------------- */

/* cfg is the DistributionConfig node. Fill out (already zeroed, info.id set) from it; 0, or
 * -1 when errors were added to m. Both mark every node they read as used. */
int eg_conf_import_2020(const eg_cnode_t *cfg, int xml, eg_dist_t *out, eg_conf_msgs_t *m);
int eg_conf_import_2010(const eg_cnode_t *cfg, eg_dist_t *out, eg_conf_msgs_t *m);

/* The error codes edgegate caches (its Error Caching Minimum TTL applies to each), in the order
 * CustomErrorResponses lists them. (conf_export.c) */
extern const int eg_conf_error_codes[];
extern const size_t eg_conf_n_error_codes;

/* --- the exporter (conf_export.c) ---------------------------------------------------- */

/* The DistributionConfig tree of d (a new root named "DistributionConfig"); NOTE messages
 * for what the shape cannot hold. */
eg_cnode_t *eg_conf_export_tree(const eg_dist_t *d, eg_conf_msgs_t *m);

/* --- conf_policy.c --------------------------------------------------------------------- */

/* A behavior's forwarding and TTLs written into the behavior node beh (already holding
 * PathPattern ... AllowedMethods): ForwardedValues + MinTTL/DefaultTTL/MaxTTL when that
 * legacy shape holds them (nothing forwarded unkeyed), else CachePolicyConfig and
 * OriginRequestPolicyConfig inline (CloudFront's own shapes). name_prefix makes the policies'
 * Name unique and stable ("default-behavior", "behavior-3"). */
void eg_conf_policy_export(const eg_behavior_t *b, const char *dist_id, const char *name_prefix,
                           eg_cnode_t *beh);
/* The reverse: reads whichever of ForwardedValues/MinTTL..., CachePolicyConfig/
 * OriginRequestPolicyConfig, or CachePolicyId/OriginRequestPolicyId (CloudFront's managed
 * policies by id) the behavior node holds into b. 0, or -1 with errors in m. */
int eg_conf_policy_import(const eg_cnode_t *beh, int xml, eg_behavior_t *b, eg_conf_msgs_t *m);

#endif
