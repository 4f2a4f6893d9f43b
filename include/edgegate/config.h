/* The configuration model: distributions, origins and cache behaviors as plain structs, and
 * the one table per kind of setting that drives egctl's options, validation, listing and
 * the SQL column lists (gateway/config.c). db/ loads and stores these; the policy worker
 * decides from them; the decision table (decision.h) spells and checks its fields by them. */
#ifndef EDGEGATE_CONFIG_H
#define EDGEGATE_CONFIG_H

#include <stddef.h>

#define EG_ID_MAX 64
#define EG_NAME_MAX 256
#define EG_PATH_MAX 256
/* A forwarding setting: "none", "all", "all-viewer" or a comma-separated list of names. */
#define EG_NAME_LIST_MAX 512
#define EG_DEFAULT_DIST "default"

typedef enum { EG_VPP_ALLOW_ALL = 0, EG_VPP_REDIRECT_TO_HTTPS, EG_VPP_HTTPS_ONLY } eg_viewer_policy_t;
typedef enum { EG_OPP_HTTP_ONLY = 0, EG_OPP_HTTPS_ONLY, EG_OPP_MATCH_VIEWER } eg_origin_policy_t;
typedef enum { EG_OT_CUSTOM = 0, EG_OT_S3, EG_OT_S3_WEBSITE } eg_origin_type_t;
/* The three allowed-method sets CloudFront offers, in that order. */
typedef enum { EG_AM_GET_HEAD = 0, EG_AM_GET_HEAD_OPTIONS, EG_AM_ALL } eg_methods_t;

/* Bits of eg_origin_t.ssl_protocols, in the order of the field's choices. */
enum { EG_SSL_SSLV3 = 1, EG_SSL_TLSV1 = 2, EG_SSL_TLSV1_1 = 4, EG_SSL_TLSV1_2 = 8 };

typedef struct {
    char id[EG_ID_MAX];
    char domain[EG_NAME_MAX];
    char origin_path[EG_PATH_MAX]; /* "" or "/prefix" without a trailing slash */
    int type;                      /* eg_origin_type_t */
    int protocol;                  /* eg_origin_policy_t */
    int http_port;
    int https_port;
    int ssl_protocols; /* EG_SSL_* bits */
    int read_timeout;  /* seconds */
    int keepalive_timeout;
    /* the row's revision (bumped on every update by the database); 0 in a new object. An
     * update given a nonzero rev is refused when the row has changed since (EG_DB_CONFLICT) */
    long long rev;
} eg_origin_t;

typedef struct {
    char path_pattern[EG_PATH_MAX]; /* "*" is the default behavior */
    char origin_id[EG_ID_MAX];
    int viewer_protocol; /* eg_viewer_policy_t */
    int allowed_methods; /* eg_methods_t */
    int cached_methods;  /* eg_methods_t, never wider than allowed_methods, never ALL */
    int min_ttl, default_ttl, max_ttl;
    int forward_host;  /* 0/1: send the viewer's Host to the origin */
    int forward_query; /* 0/1: forward the query string (and key the cache on it) */
    /* CloudFront's cache policy (keyed and forwarded) and origin request policy (forwarded,
     * not keyed), spelled as egctl prints them: a word, or names joined by ',' without
     * spaces; header names in canonical case (Accept-Language), cookie names as given. */
    char cache_headers[EG_NAME_LIST_MAX];  /* "none" or header names */
    char cache_cookies[EG_NAME_LIST_MAX];  /* "none", "all" or cookie names */
    char origin_headers[EG_NAME_LIST_MAX]; /* "none", "all-viewer" or header names */
    char origin_cookies[EG_NAME_LIST_MAX]; /* "none", "all" or cookie names */
    int precedence; /* evaluation order among non-default behaviors, 0 first */
    /* as eg_origin_t.rev; a change of precedence alone (an add, move or reorder of others)
     * does not bump it: eg_db_behavior_reorder guards the order */
    long long rev;
} eg_behavior_t;

typedef struct {
    char id[EG_ID_MAX];
    char comment[EG_NAME_MAX];
    int enabled;
    char aliases[EG_NAME_MAX * 4]; /* comma-separated host names, lower case */
    /* CloudFront's Error Caching Minimum TTL, seconds (0 to 31536000, default 10): how long
     * origin errors (400, 403, 404, 405, 414, 416, 500 to 504) are cached at least; 0 caches
     * them only as their own headers allow */
    int error_min_ttl;
    long long rev; /* as eg_origin_t.rev */
} eg_dist_info_t;

typedef struct {
    eg_dist_info_t info;
    eg_origin_t *origins; /* owned */
    size_t n_origins;
    eg_behavior_t *behaviors; /* owned; evaluation order, the default "*" last */
    size_t n_behaviors;
    /* the behaviors' path patterns side by side (eg_config_index), so that matching a path
     * against a thousand of them reads a few KiB, not a thousand 2 KiB structs; owned,
     * NULL until indexed */
    const char **patterns;
    char *pattern_text;
    /* the byte each pattern needs right after the path's leading '/', or 0 when it takes any
     * (a wildcard there, or the pattern ends): most patterns are refused on one byte */
    unsigned char *pattern_second;
} eg_dist_t;

typedef struct {
    long long version; /* meta.config_version when loaded */
    eg_dist_t *dists;  /* owned */
    size_t n_dists;
} eg_config_t;

/* Fills each distribution's patterns; called once a configuration is loaded. */
void eg_config_index(eg_config_t *c);

/* --- the settings table ------------------------------------------------------------ */

/* HEADERS and COOKIES are lists of names (HTTP tokens) or one of the words in choices
 * ("none|all"); header names are stored in canonical case, cookie names as given. */
typedef enum {
    EG_FT_STR,
    EG_FT_INT,
    EG_FT_ENUM,
    EG_FT_SET,
    EG_FT_BOOL,
    EG_FT_HEADERS,
    EG_FT_COOKIES
} eg_ftype_t;

enum {
    EG_FF_KEY = 1,  /* the object's name: positional in egctl, not settable */
    EG_FF_LIST = 2, /* shown by `list` */
    /* forwarded without being part of the cache key: Authorization is refused here, since
     * the cache would answer one viewer's authorized request for another */
    EG_FF_UNKEYED = 4,
};

typedef struct {
    const char *name;    /* egctl option (without --), JSON key, list column */
    const char *column;  /* SQL column (never user input) */
    eg_ftype_t type;
    const char *choices; /* ENUM and SET: "a|b|c", index or bit order; HEADERS, COOKIES: the
                            words allowed instead of names */
    long min, max;       /* INT bounds; STR, HEADERS, COOKIES: max length */
    const char *def;     /* default, spelled as the user spells it */
    size_t off;          /* offset in the struct */
    size_t size;         /* STR, HEADERS, COOKIES: buffer size */
    unsigned flags;
    const char *help;
    /* the console's wording: the field's label ("Viewer protocol policy") and, for ENUM,
     * one label per choice in choices' order ("HTTP and HTTPS|Redirect HTTP to HTTPS|...");
     * NULL label: the console shows the name */
    const char *label;
    const char *choice_labels;
} eg_field_t;

extern const eg_field_t eg_origin_fields[];
extern const size_t eg_origin_nfields;
extern const eg_field_t eg_behavior_fields[];
extern const size_t eg_behavior_nfields;
extern const eg_field_t eg_dist_fields[];
extern const size_t eg_dist_nfields;

const eg_field_t *eg_field_find(const eg_field_t *fields, size_t n, const char *name);
/* Parses a user's value into obj; -1 with a one-line reason in err. */
int eg_field_parse(const eg_field_t *f, void *obj, const char *value, char *err, size_t errlen);
/* Formats obj's value the way the user spells it. */
void eg_field_format(const eg_field_t *f, const void *obj, char *buf, size_t len);
/* The same for a value held outside an object of the table's kind: at is the field's
 * storage (an int, or f->size bytes for STR, HEADERS and COOKIES). */
int eg_field_parse_at(const eg_field_t *f, void *at, const char *value, char *err, size_t errlen);
void eg_field_format_at(const eg_field_t *f, const void *at, char *buf, size_t len);
/* Index of word (wlen bytes) in choices "a|b|c", or -1; the idx-th choice ("?" when there
 * is none). */
int eg_choice_index(const char *choices, const char *word, size_t wlen);
void eg_choice_name(const char *choices, int idx, char *buf, size_t len);
void eg_fields_defaults(const eg_field_t *fields, size_t n, void *obj);
/* Appends "name: old -> new; ..." to out for each field whose value differs between before
 * and after (as eg_field_format spells them, "" shown as \"\"); returns how many differ. The
 * audit's detail and the import preview (eg_conf_diff) both say changes this way. */
struct eg_buf_s;
size_t eg_fields_changes(const eg_field_t *f, size_t n, const void *before, const void *after,
                         struct eg_buf_s *out);
/* 1 when a and b (objects of one table) read the same, field by field, as eg_field_format
 * spells them; else 0. */
int eg_fields_equal(const eg_field_t *f, size_t n, const void *a, const void *b);
/* Appends "name: value; ..." to out for the key and each field that differs from its default:
 * what an add set. size is the object's (a scratch one of defaults is compared with). */
void eg_fields_settings(const eg_field_t *f, size_t n, const void *obj, size_t size,
                        struct eg_buf_s *out);

/* Spellings of enum values, for logs and the worker's answers. */
const char *eg_viewer_policy_name(int v);
const char *eg_origin_policy_name(int v);
const char *eg_origin_type_name(int v);
const char *eg_methods_name(int v);
/* Method bitmask of a methods set; a method name's bit (0 for unknown methods). */
unsigned eg_methods_mask(int set);
unsigned eg_method_bit(const char *method);

/* Cross-field rules; -1 with the reason in err. */
int eg_origin_validate(const eg_origin_t *o, char *err, size_t errlen);
int eg_behavior_validate(const eg_behavior_t *b, char *err, size_t errlen);
int eg_dist_validate(const eg_dist_info_t *d, char *err, size_t errlen);
/* Canonical form of a path pattern: a leading slash added, then normalized as request paths
 * are (eg_uri_normalize_path: dot segments removed, slashes merged, unreserved escapes
 * decoded, '"' stored as %22), so a pattern matches the paths the front compares it with.
 * "*" stays "*". -1 with the reason when it holds a character CloudFront refuses in path
 * patterns (it allows A-Z a-z 0-9 _ - . * ? $ / ~ " ' @ : + &), or does not normalize. */
int eg_pattern_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);
/* Canonical form of an invalidation path: starts with '/', '*' only last, no query, then
 * normalized as request paths are. -1 with the reason. */
int eg_invalidation_path_normalize(const char *in, char *out, size_t outlen, char *err,
                                   size_t errlen);
/* Canonical alias list: lower case, comma-separated, each a host name. */
int eg_aliases_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);
/* Validates an identifier for distributions and origins. */
int eg_id_validate(const char *what, const char *id, char *err, size_t errlen);

void eg_config_free(eg_config_t *c);
/* 1 when a and b hold the same settings, origins (in order) and behaviors (in order), as
 * eg_field_format spells each field (revisions and precedence numbers aside), else 0. */
int eg_dist_equal(const eg_dist_t *a, const eg_dist_t *b);
/* Frees what one distribution owns (origins, behaviors, the pattern index) and zeroes it. */
void eg_dist_clear(eg_dist_t *d);
const eg_dist_t *eg_config_find_dist(const eg_config_t *c, const char *host, size_t hostlen);
const eg_origin_t *eg_dist_find_origin(const eg_dist_t *d, const char *id);

#endif
