/* The decision on the wire: one table row per X-Eg-* field of the worker's answer says
 * where the worker takes it from (the decision, its distribution, origin or behavior), how
 * it is spelled and checked, and where it lands in eg_route_t. eg_policy_write_answer
 * writes the rows and eg_route_parse reads them, so adding a field is adding a row. */
#ifndef EDGEGATE_DECISION_H
#define EDGEGATE_DECISION_H

#include <stddef.h>

#include "edgegate/buf.h"
#include "edgegate/http.h"
#include "edgegate/policy.h"
#include "edgegate/route.h"

typedef enum {
    EG_DK_STR,    /* char[size] in both; min to size - 1 bytes, copied as they are */
    EG_DK_INT,    /* int in both, decimal, from min to max; or, when the row names a
                   * setting, checked by that settings field (EG_FT_INT: egctl's bounds) */
    EG_DK_CHOICE, /* int in both: the index of the word in choices ("http|https") */
    EG_DK_SET,    /* int bits in both, spelled and checked by the settings field */
    /* int eg_methods_t at the source, spelled and checked by the settings field; the route
     * holds the set's method bits (unsigned, eg_methods_mask) */
    EG_DK_METHODS,
    /* three ints in a row from src_off and off (min, default, max TTL), as "a,b,c" with
     * 0 <= a <= b <= c */
    EG_DK_TTL,
    /* a forwarding list: char[] at the source, checked and spelled by the settings field
     * (the parser egctl uses); the route owns a char * (never NULL after the defaults) */
    EG_DK_NAMES,
} eg_decision_kind_t;

/* What the worker writes a row from. */
typedef enum {
    EG_DS_DECISION, /* eg_policy_decision_t: what the policy worked out (scheme, port) */
    EG_DS_DIST,     /* eg_dist_info_t of the distribution */
    EG_DS_ORIGIN,   /* eg_origin_t */
    EG_DS_BEHAVIOR, /* eg_behavior_t */
} eg_decision_src_t;

/* Which answers carry a row: every answer (also redirects and refusals, when the worker got
 * that far), or only a forward. */
typedef enum { EG_DECISION_FORWARD, EG_DECISION_EVERY } eg_decision_part_t;

enum {
    EG_DF_EVERY = 1,    /* in every answer, not only forwards */
    EG_DF_REQUIRED = 2, /* a forward without it is refused */
};

typedef struct {
    const char *header;    /* "X-Eg-Origin-Port": written so, read in any case */
    eg_decision_kind_t kind;
    unsigned flags;        /* EG_DF_* */
    size_t off, size;      /* in eg_route_t */
    eg_decision_src_t src; /* written from ... */
    size_t src_off;        /* ... this member of it */
    const char *setting;   /* SET, METHODS, NAMES, and INT where given: the field of the
                              source's settings table */
    const char *choices;   /* CHOICE: "a|b" */
    long min, max;         /* INT without a setting: bounds; STR: least length */
    const char *def;       /* what an answer without the row means, spelled as written;
                              NULL: zero (or "") */
} eg_decision_field_t;

extern const eg_decision_field_t eg_decision_fields[];
extern const size_t eg_decision_nfields;

/* The settings field that spells and checks row f (SET, METHODS, NAMES, INT with a
 * setting), else NULL. */
const eg_field_t *eg_decision_setting(const eg_decision_field_t *f);
/* Appends "Header: value\r\n" for each row of part whose source d has. */
void eg_decision_write(eg_buf_t *out, const eg_policy_decision_t *d, eg_decision_part_t part);
/* Sets the rows' defaults in a zeroed route. */
void eg_decision_defaults(eg_route_t *r);
/* Reads the rows of part found in h into r (the last of a repeated field counts; every one
 * is checked; fields no row names are left for newer fronts); the required rows must be
 * there. -1 with the reason. */
int eg_decision_read(const eg_http_head_t *h, eg_decision_part_t part, eg_route_t *r, char *err,
                     size_t errlen);
/* Frees what the rows own in r (the NAMES strings). */
void eg_decision_clear(eg_route_t *r);

#endif
