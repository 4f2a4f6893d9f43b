/* What egctl's files share: the parsed command line, its helpers, and JSON output through
 * jansson (the one way egctl writes JSON). egctl.c: the command line and the edit commands;
 * egctl_json.c: JSON output; egctl_conf.c: export and import of whole distributions. */
#ifndef EDGEGATE_EGCTL_H
#define EDGEGATE_EGCTL_H

#include <jansson.h>

#include "edgegate/config.h"
#include "edgegate/db.h"

#define MAX_ARGS 64

typedef struct {
    const char *db_path;
    const char *dist;
    int dist_given; /* --dist was on the command line (audit lists every one without) */
    int json;
    const char *pos[MAX_ARGS]; /* positional words after the command */
    int npos;
    const char *names[MAX_ARGS]; /* --name value pairs not global */
    const char *values[MAX_ARGS];
    int nopts;
    eg_db_t *db;
} ctl_t;

/* "egctl: MESSAGE" on stderr; returns 1 (egctl's exit status for a failure). */
int egctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The value of option --name, "1" for a flag, or NULL. */
const char *egctl_opt(ctl_t *c, const char *name);
/* 0 when every option given is one of fields (not a key) or extra; else 1 after saying so. */
int egctl_check_opts(ctl_t *c, const eg_field_t *fields, size_t n, const char *const *extra);
/* 0 when exactly n positional words were given; else 1 after printing what. */
int egctl_need_pos(ctl_t *c, int n, const char *what);

/* Warnings on stderr about the distribution's configuration as a whole: behaviors that allow
 * HTTP viewers with a match-viewer origin, and behaviors an earlier pattern hides. */
void egctl_warn_config(ctl_t *c);

/* --- egctl_json.c ------------------------------------------------------------------------ */

/* A JSON string of s; bytes that are not UTF-8 are shown as '?' (jansson holds UTF-8 only). */
json_t *egctl_json_str(const char *s);
/* An object of every field of the table, named as the options are, INT and BOOL as numbers
 * and true/false, the rest as strings spelled as egctl takes them. */
json_t *egctl_json_fields(const eg_field_t *f, size_t n, const void *obj);
/* Prints v (and a newline) on stdout, members in the order they were set, and releases it. */
void egctl_json_print(json_t *v);

/* --- egctl_conf.c ------------------------------------------------------------------------ */

int egctl_export(ctl_t *c);
int egctl_import(ctl_t *c);

#endif
