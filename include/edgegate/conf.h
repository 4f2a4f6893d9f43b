/* Configuration files: one whole distribution (its settings, origins and cache behaviors) as
 * CloudFront's DistributionConfig, so operators keep it in version control and bring
 * CloudFront configurations over. Written as the 2020-05-31 XML shape or as JSON the way
 * `aws cloudfront get-distribution-config` prints it; read from either of those and from the
 * legacy 2010-11-01 XML (S3Origin/CustomOrigin, CNAME, RequiredProtocols), recognised by
 * content. XML goes through libxml2 with no DTD, no entities and no network; JSON through
 * jansson. egctl (export, import) and the console (download, upload) both use this module;
 * the database side is eg_db_dist_load and eg_db_dist_replace (db.h). Code: admin/conf_*.c. */
#ifndef EDGEGATE_CONF_H
#define EDGEGATE_CONF_H

#include <stddef.h>

#include "edgegate/buf.h"
#include "edgegate/config.h"

/* Largest file read (bytes): a configuration of 1000 behaviors is well under it. */
#define EG_CONF_MAX_BYTES (8u * 1024 * 1024)

typedef enum { EG_CONF_XML = 0, EG_CONF_JSON } eg_conf_format_t;

/* What a file was recognised as. */
typedef enum { EG_CONF_KIND_XML2020 = 0, EG_CONF_KIND_XML2010, EG_CONF_KIND_JSON } eg_conf_kind_t;

/* What reading (or writing) found besides the distribution:
 *  ERROR    the file is refused; nothing may be written;
 *  IGNORED  a setting edgegate does not have (Logging, PriceClass ...), one per setting; an
 *           error under --strict;
 *  NOTE     something the reader did that the operator should know (an S3 website endpoint
 *           recognised by its domain, CloudFront's AllViewer forwarding Host ...). */
typedef enum { EG_CONF_ERROR = 0, EG_CONF_IGNORED, EG_CONF_NOTE } eg_conf_sev_t;

typedef struct {
    int sev;     /* eg_conf_sev_t */
    char *where; /* owned: "line 12: /DistributionConfig/Origins/Items/Origin[1]/DomainName"
                  * (XML, XPath-like, 1-based), "$.DistributionConfig.Origins.Items[0]" (JSON),
                  * or "" when the message concerns the whole file */
    char *what;  /* owned: one line, no trailing period */
} eg_conf_msg_t;

typedef struct {
    eg_conf_msg_t *v; /* owned */
    size_t n;
    size_t nerrors, nignored;
} eg_conf_msgs_t;

/* Adds a message (where may be NULL for ""); printf-style what. */
void eg_conf_msg(eg_conf_msgs_t *m, int sev, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* One line per message, "error: WHERE: WHAT\n" / "ignored: ..." / "note: ..." (no "WHERE: "
 * when where is ""), in the order they were added. */
void eg_conf_msgs_format(const eg_conf_msgs_t *m, eg_buf_t *out);
void eg_conf_msgs_free(eg_conf_msgs_t *m);

/* Once per process, before any other call: sets libxml2 up so that no file it reads can make
 * it load anything (external entities, DTDs) or print on stderr. Idempotent. */
void eg_conf_init(void);

/* Reads a file's bytes (len at most EG_CONF_MAX_BYTES) into *out, a distribution named
 * dist_id: info (id = dist_id, comment, enabled, aliases normalized, error_min_ttl), origins
 * in the file's order, behaviors in evaluation order with the default "*" last and
 * precedence 0.. set; every value checked by the rules egctl applies (eg_field_parse, the
 * *_validate functions, eg_pattern_normalize). *kind (may be NULL) says what it was read as.
 * 0 when it reads, with IGNORED and NOTE messages in msgs; -1 when msgs hold an error, and
 * *out is then empty. Either way release *out with eg_dist_clear. */
int eg_conf_read(const char *data, size_t len, const char *dist_id, eg_dist_t *out, int *kind,
                 eg_conf_msgs_t *msgs);

/* Writes d as fmt into out (appended). The same distribution always gives the same bytes,
 * and eg_conf_read of them gives the same distribution back wherever the format can hold
 * it; what it cannot (an S3 REST origin's ports, which S3OriginConfig has no place for) is
 * said in NOTE messages. 0, or -1 with an ERROR message. */
int eg_conf_write(const eg_dist_t *d, int fmt, eg_buf_t *out, eg_conf_msgs_t *msgs);

/* What importing next over cur would change (cur NULL: the distribution does not exist yet),
 * one line per change into out, e.g.
 *   "distribution shop: created"
 *   "distribution shop: comment: \"\" -> \"My comments\""
 *   "origin web: added (domain www.example.com, protocol https-only, ...)"
 *   "origin old: removed"
 *   "behavior /secure/...: changed: viewer-protocol: allow-all -> https-only"
 *   "behaviors: order /a/x, /b/x -> /b/x, /a/x"
 * Returns the number of lines (0: nothing would change). */
size_t eg_conf_diff(const eg_dist_t *cur, const eg_dist_t *next, eg_buf_t *out);

/* "CloudFront 2020-05-31 XML", "CloudFront 2010-11-01 XML", "CloudFront JSON". */
const char *eg_conf_kind_name(int kind);
/* The one-line record of an import, for the audit: "from SOURCE (KIND): N changes: line;
 * line; ..." (diff as eg_conf_diff wrote it). Appended to out. */
void eg_conf_summary(const char *source, int kind, const char *diff, size_t changes,
                     eg_buf_t *out);

/* A short digest of the distribution's settings (its 2020-05-31 XML export), hex: the JSON
 * export's ETag, and what the console's import preview carries so that applying it is
 * refused when the distribution changed after the preview. */
void eg_conf_fingerprint(const eg_dist_t *d, char *out, size_t outlen);

#endif
