/* edgegate-admin, the web console: one request at a time per worker process, served over
 * FastCGI (by edgegate --admin, Apache or lighttpd) or as plain CGI. admin_main.c reads the
 * request into an eg_admin_t; admin_route.c checks the session and the CSRF token and calls
 * a page; the pages (admin_dists.c, admin_origins.c, admin_behaviors.c, admin_invals.c,
 * admin_auth.c) read and write through db/ and render with admin_html.c. Every change is one
 * db call (one transaction), checked by the same settings tables egctl uses. */
#ifndef EDGEGATE_ADMIN_H
#define EDGEGATE_ADMIN_H

#include "edgegate/buf.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "edgegate/web.h"

#define EG_ADMIN_SESSION_COOKIE "eg_session"
#define EG_ADMIN_PRESIGN_COOKIE "eg_signin" /* the sign-in form's own CSRF token */
#define EG_ADMIN_SESSION_TTL (8 * 3600)     /* seconds a session lasts */
#define EG_ADMIN_BODY_MAX (2 * 1024 * 1024)

typedef struct {
    eg_db_t *db; /* borrowed: the worker's connection */
    /* the request */
    const char *method;
    const char *path; /* PATH_INFO, the route: "/distributions/d1/origins" */
    const char *base; /* SCRIPT_NAME: what every link starts with ("" under edgegate) */
    const char *remote_addr;
    const char *cookie;      /* the Cookie header, or NULL */
    const char *host;        /* the Host header, or NULL */
    const char *server_name; /* SERVER_NAME: the listener's address under edgegate */
    int https;
    eg_web_kvs_t query, form;
    long long now;
    /* the session, once checked */
    char user[EG_USER_MAX];
    char csrf[EG_HASH_MAX];
    char digest[65];
    /* the answer */
    int status;
    eg_buf_t head; /* header lines after Status, each ending in \r\n */
    eg_buf_t body;
} eg_admin_t;

/* Answers one request into a->status, a->head and a->body. */
void eg_admin_handle(eg_admin_t *a);

/* --- admin_html.c: the page frame and form widgets ----------------------------------- */

typedef enum {
    EG_TAB_NONE,
    EG_TAB_GENERAL,
    EG_TAB_ORIGINS,
    EG_TAB_BEHAVIORS,
    EG_TAB_INVALIDATIONS
} eg_admin_tab_t;

/* Starts a page: doctype, head, the top bar (signed-in user, Sign out), and for a
 * distribution its name and tabs. */
void eg_admin_page_begin(eg_admin_t *a, const char *title, const char *dist, eg_admin_tab_t tab);
void eg_admin_page_end(eg_admin_t *a);
/* A whole page saying what went wrong, with status. */
void eg_admin_fail(eg_admin_t *a, int status, const char *title, const char *message);
/* 303 See Other to base + the formatted path (eg_web_printf's format). */
void eg_admin_redirect(eg_admin_t *a, const char *fmt, ...);
/* The hidden CSRF field every POST form carries. */
void eg_admin_csrf_field(eg_admin_t *a);
/* A notice shown at the top of a page after a redirect (?msg=WORD): fixed texts only. */
void eg_admin_notice(eg_admin_t *a);

/* A form's fields from a settings table: one labelled control per field (keys only when
 * key_editable), with the current value from obj, the field's help, and errs[i] (or NULL)
 * next to field i. disabled[i] (may be NULL): a reason the control is fixed, shown beside
 * it. options[i] (may be NULL): "a|b|c", the values a STR field may take, shown as a
 * select (a behavior's origin). */
void eg_admin_fields(eg_admin_t *a, const eg_field_t *f, size_t n, const void *obj,
                     int key_editable, const char *const *errs, const char *const *disabled,
                     const char *const *options);
/* After EG_DB_CONFLICT: says the object changed since the form was opened, and lists the
 * values the operator had typed that differ from the current ones (so nothing typed is
 * lost); the form is then shown with the current values. */
void eg_admin_conflict(eg_admin_t *a, const char *what, const eg_field_t *f, size_t n,
                       const void *mine, const void *current);
/* "2026-11-23 20:15:03 UTC" */
void eg_admin_time(long long t, char *buf, size_t len);
/* Reads the form's values for those fields into obj with eg_field_parse (the rules egctl
 * uses); a field's error goes to errs[i] (owned strings, freed with eg_admin_errs_free).
 * Fields absent from the form keep obj's value, except BOOL (an unticked box is false) and
 * SET (no box ticked is an error). Returns the number of errors. */
int eg_admin_fields_read(eg_admin_t *a, const eg_field_t *f, size_t n, void *obj, int key_editable,
                         char **errs);
/* Puts a cross-field or database error next to the field it names (else returns -1 so the
 * caller shows it above the form); the index of that field. */
int eg_admin_error_field(const eg_field_t *f, size_t n, const char *err);
void eg_admin_errs_free(char **errs, size_t n);
/* The revision an edit form carries (its "rev" field). A form without a valid one (cut
 * short, or made by hand) gets one no row has, so its save is refused as a conflict: the
 * database's "rev 0 writes unconditionally" is for egctl, never for a form. */
long long eg_admin_form_rev(eg_admin_t *a);
/* After a save the database refused (not a conflict; bad: the fields' own errors counted by
 * eg_admin_fields_read): status 400, err beside the field it names (the key field when it
 * holds key_hint, e.g. "already exists"; key_hint NULL: the form has no key field, so
 * nothing goes beside it), and *top the message above the form. Returns the field's index,
 * or -1. */
int eg_admin_refused(eg_admin_t *a, const eg_field_t *f, size_t n, int bad, const char *err,
                     const char *key_hint, char **errs, const char **top);
/* After a conflict, when the object is gone: 409 and says so ("Origin web was deleted..."). */
void eg_admin_gone(eg_admin_t *a, const char *what, const char *name);
/* The label of a field's current value (the console's wording for ENUM choices). */
void eg_admin_value_label(const eg_field_t *f, const void *obj, char *buf, size_t len);

/* --- the pages ------------------------------------------------------------------------- */

void eg_admin_signin(eg_admin_t *a);
void eg_admin_signout(eg_admin_t *a);
/* Checks the session cookie: 1 signed in (a->user, a->csrf set), 0 not. */
int eg_admin_session(eg_admin_t *a);
/* Whether a POST carries the session's CSRF token. */
int eg_admin_csrf_ok(eg_admin_t *a);

/* admin_conf.c: the configuration file. export: fmt is eg_conf_format_t (download);
 * import: the upload's preview (apply 0) or its application (apply 1); the section of the
 * General tab that offers both. */
void eg_admin_export(eg_admin_t *a, const char *id, int fmt);
void eg_admin_import(eg_admin_t *a, const char *id, int apply);
void eg_admin_conf_section(eg_admin_t *a, const char *id);

void eg_admin_dists(eg_admin_t *a);                                         /* GET /distributions */
void eg_admin_dist_new(eg_admin_t *a);                                      /* /distributions/new */
void eg_admin_dist_action(eg_admin_t *a, const char *id, const char *what); /* enable, delete */
void eg_admin_general(eg_admin_t *a, const char *id);                       /* /distributions/ID */
void eg_admin_origins(eg_admin_t *a, const char *id, const char *origin, const char *what);
void eg_admin_behaviors(eg_admin_t *a, const char *id, const char *what);
/* The Try a request form and, when asked, its answer (admin_try.c). */
void eg_admin_try(eg_admin_t *a, const char *dist);
void eg_admin_invalidations(eg_admin_t *a, const char *id, const char *what);

/* The stylesheet (admin/style.css, embedded at build time). */
extern const char eg_admin_css[];

#endif
