/* The Origins tab: the table, Create origin, Edit, Delete; the banner after an origin moves
 * from HTTP to HTTPS, offering to invalidate everything (the cache is protocol-agnostic). */
#include "edgegate/admin.h"
#include "edgegate/common.h"
#include "edgegate/origin.h"

#define NF eg_origin_nfields

static int field_index(const char *name)
{
    const eg_field_t *f = eg_field_find(eg_origin_fields, NF, name);
    return f ? (int)(f - eg_origin_fields) : -1;
}

/* What the origin's type fixes, as the console says it: the protocol of S3 origins. */
static void fixed_by_type(const eg_origin_t *o, const char **disabled)
{
    int p = field_index("protocol");
    if (p < 0)
        return;
    if (o->type == EG_OT_S3_WEBSITE)
        disabled[p] = "An S3 website endpoint cannot use HTTPS: its protocol is HTTP only.";
    else if (o->type == EG_OT_S3)
        disabled[p] = "An S3 REST origin always matches the viewer's protocol (Match viewer).";
}

static void origin_form(eg_admin_t *a, const char *dist, const eg_origin_t *o, int create,
                        char **errs, const char *top)
{
    const char *disabled[32] = {0};
    fixed_by_type(o, disabled); /* a new custom origin (the default type) fixes nothing */
    if (top)
        eg_web_printf(&a->body, "<p class=\"alert error\" role=\"alert\">%s</p>\n", top);
    if (create)
        eg_web_printf(&a->body,
                      "<form method=\"post\" action=\"%s/distributions/%u/origins/new\" "
                      "class=\"card\">\n",
                      a->base, dist);
    else
        eg_web_printf(&a->body,
                      "<form method=\"post\" action=\"%s/distributions/%u/origins/%u/edit\" "
                      "class=\"card\">\n<input type=\"hidden\" name=\"rev\" value=\"%D\">\n",
                      a->base, dist, o->id, o->rev);
    eg_admin_csrf_field(a);
    if (create)
        eg_buf_adds(&a->body, "<p class=\"hint\">S3 website endpoints are HTTP only; S3 REST "
                              "origins always match the viewer's protocol.</p>\n");
    eg_admin_fields(a, eg_origin_fields, NF, o, create, (const char *const *)errs, disabled, NULL);
    eg_web_printf(&a->body,
                  "<div class=\"actions\"><button type=\"submit\" class=\"primary\">%r</button> "
                  "<a class=\"button\" href=\"%s/distributions/%u/origins\">Cancel</a></div>\n"
                  "</form>\n",
                  create ? "Create origin" : "Save changes", a->base, dist);
}

static void banner(eg_admin_t *a, const char *dist, const char *origin)
{
    eg_web_printf(&a->body,
                  "<div class=\"alert warn\" role=\"status\" id=\"https-banner\"><p>Origin "
                  "<strong>%s</strong> now uses HTTPS. The cache is protocol-agnostic: objects "
                  "fetched from it over HTTP are still served, to HTTP and HTTPS viewers "
                  "alike, until they expire. To serve only objects fetched over HTTPS, "
                  "invalidate them.</p>\n<form method=\"post\" "
                  "action=\"%s/distributions/%u/invalidations/all\">",
                  origin, a->base, dist);
    eg_admin_csrf_field(a);
    eg_buf_adds(&a->body, "<button type=\"submit\" class=\"primary\">Invalidate everything "
                          "(/*)</button></form></div>\n");
}

static void table(eg_admin_t *a, const char *dist, const char *error)
{
    eg_origin_t *all = NULL;
    size_t n = 0;
    char err[512], buf[EG_NAME_LIST_MAX];
    const char *switched = eg_web_get(&a->query, "switched");
    if (eg_db_origin_list(a->db, dist, &all, &n, err, sizeof(err)) < 0) {
        eg_web_printf(&a->body, "<p class=\"alert error\" role=\"alert\">%s</p>\n", err);
        return;
    }
    if (error)
        eg_web_printf(&a->body, "<p class=\"alert error\" role=\"alert\">%s</p>\n", error);
    for (size_t i = 0; switched && i < n; i++)
        if (strcmp(all[i].id, switched) == 0 && all[i].protocol != EG_OPP_HTTP_ONLY)
            banner(a, dist, switched);
    eg_web_printf(&a->body,
                  "<div class=\"toolbar\"><a class=\"button primary\" "
                  "href=\"%s/distributions/%u/origins/new\">Create origin</a></div>\n",
                  a->base, dist);
    if (n == 0) {
        eg_buf_adds(&a->body, "<p class=\"empty\">No origins yet. The first origin you create "
                              "becomes the target of the default behavior (*).</p>\n");
        free(all);
        return;
    }
    eg_buf_adds(&a->body, "<div class=\"table-wrap\"><table>\n<caption>Origins</caption>\n"
                          "<thead><tr>");
    for (size_t j = 0; j < NF; j++)
        eg_web_printf(&a->body, "<th scope=\"col\">%s</th>",
                      eg_origin_fields[j].label ? eg_origin_fields[j].label
                                                : eg_origin_fields[j].name);
    eg_buf_adds(&a->body, "<th scope=\"col\">Actions</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        eg_buf_adds(&a->body, "<tr>");
        for (size_t j = 0; j < NF; j++) {
            eg_admin_value_label(&eg_origin_fields[j], &all[i], buf, sizeof(buf));
            if (eg_origin_fields[j].flags & EG_FF_KEY)
                eg_web_printf(&a->body, "<th scope=\"row\">%s</th>", buf);
            else
                eg_web_printf(&a->body, "<td>%s</td>", buf[0] ? buf : "-");
        }
        eg_web_printf(&a->body,
                      "<td class=\"actions\"><a class=\"button\" "
                      "href=\"%s/distributions/%u/origins/%u/edit\">Edit<span class=\"sr\"> "
                      "%s</span></a> <form method=\"post\" "
                      "action=\"%s/distributions/%u/origins/%u/delete\" class=\"inline\">",
                      a->base, dist, all[i].id, all[i].id, a->base, dist, all[i].id);
        eg_admin_csrf_field(a);
        eg_web_printf(&a->body,
                      "<button type=\"submit\" class=\"danger\">Delete<span "
                      "class=\"sr\"> %s</span></button></form></td></tr>\n",
                      all[i].id);
    }
    eg_buf_adds(&a->body, "</tbody>\n</table></div>\n");
    free(all);
}

/* Reads and saves the form; 0 after redirecting, else the page is rendered here. */
static void save(eg_admin_t *a, const char *dist, eg_origin_t *cur, int create)
{
    eg_origin_t o = *cur;
    char *errs[32] = {0}, err[512] = "";
    const char *top = NULL;
    int bad, r = 0, p = field_index("protocol");
    if (!create)
        o.rev = eg_admin_form_rev(a);
    bad = eg_admin_fields_read(a, eg_origin_fields, NF, &o, create, errs);
    if (create && errs[0] == NULL && eg_id_validate("origin", o.id, err, sizeof(err)) < 0) {
        errs[0] = eg_strdup(err);
        bad++;
    }
    /* an S3 REST origin made with the form's untouched protocol (HTTP only, the default):
     * the type decides, as egctl does when --protocol is not given */
    if (!bad && create && o.type == EG_OT_S3 && o.protocol == EG_OPP_HTTP_ONLY)
        o.protocol = EG_OPP_MATCH_VIEWER;
    /* a control the type fixes is not sent: the type decides it */
    if (!bad && p >= 0 && eg_web_get(&a->form, "protocol") == NULL) {
        if (o.type == EG_OT_S3_WEBSITE)
            o.protocol = EG_OPP_HTTP_ONLY;
        else if (o.type == EG_OT_S3)
            o.protocol = EG_OPP_MATCH_VIEWER;
    }
    if (!bad && eg_origin_tls_check_protocols(o.ssl_protocols, err, sizeof(err)) < 0) {
        int i = field_index("ssl-protocols");
        errs[i] = eg_strdup(err);
        bad = 1;
    }
    if (!bad && (r = eg_db_origin_put(a->db, dist, &o, create, err, sizeof(err))) == 0) {
        if (!create && cur->protocol == EG_OPP_HTTP_ONLY && o.protocol != EG_OPP_HTTP_ONLY)
            eg_admin_redirect(a, "/distributions/%u/origins?msg=saved&switched=%u", dist, o.id);
        else
            eg_admin_redirect(a, "/distributions/%u/origins?msg=%r", dist,
                              create ? "created" : "saved");
        return;
    }
    eg_admin_page_begin(a, create ? "Create origin" : "Edit origin", dist, EG_TAB_ORIGINS);
    if (!bad && r == EG_DB_CONFLICT) {
        eg_origin_t now;
        a->status = 409;
        if (eg_db_origin_get(a->db, dist, cur->id, &now, err, sizeof(err)) != 1) {
            eg_admin_gone(a, "Origin", cur->id);
            eg_admin_page_end(a);
            return;
        }
        eg_admin_conflict(a, "This origin", eg_origin_fields, NF, &o, &now);
        origin_form(a, dist, &now, 0, errs, NULL);
    } else {
        int i = eg_admin_refused(a, eg_origin_fields, NF, bad, err,
                                 create ? "already exists" : NULL, errs, &top);
        /* what the type fixes is shown fixed, so saving again just works */
        if (i == p && (o.type == EG_OT_S3 || o.type == EG_OT_S3_WEBSITE))
            o.protocol = o.type == EG_OT_S3 ? EG_OPP_MATCH_VIEWER : EG_OPP_HTTP_ONLY;
        origin_form(a, dist, &o, create, errs, top);
    }
    eg_admin_page_end(a);
    eg_admin_errs_free(errs, NF);
}

void eg_admin_origins(eg_admin_t *a, const char *dist, const char *origin, const char *what)
{
    eg_dist_info_t d;
    eg_origin_t o;
    char err[512];
    int post = strcmp(a->method, "POST") == 0, r;
    r = eg_db_dist_get(a->db, dist, &d, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Distribution", r < 0 ? err : "No such distribution.");
        return;
    }
    memset(&o, 0, sizeof(o));
    if (what == NULL) {
        eg_admin_page_begin(a, "Origins", dist, EG_TAB_ORIGINS);
        eg_admin_notice(a);
        table(a, dist, NULL);
        eg_admin_page_end(a);
        return;
    }
    if (strcmp(what, "new") == 0) {
        eg_fields_defaults(eg_origin_fields, NF, &o);
        if (post) {
            save(a, dist, &o, 1);
            return;
        }
        eg_admin_page_begin(a, "Create origin", dist, EG_TAB_ORIGINS);
        eg_admin_notice(a);
        origin_form(a, dist, &o, 1, NULL, NULL);
        eg_admin_page_end(a);
        return;
    }
    r = eg_db_origin_get(a->db, dist, origin, &o, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Origin", r < 0 ? err : "No such origin.");
        return;
    }
    if (strcmp(what, "delete") == 0) {
        if (!post) {
            eg_admin_redirect(a, "/distributions/%u/origins", dist);
            return;
        }
        if (eg_db_origin_rm(a->db, dist, origin, err, sizeof(err)) < 0) {
            a->status = 409;
            eg_admin_page_begin(a, "Origins", dist, EG_TAB_ORIGINS);
            table(a, dist, err);
            eg_admin_page_end(a);
            return;
        }
        eg_admin_redirect(a, "/distributions/%u/origins?msg=deleted", dist);
        return;
    }
    if (post) {
        save(a, dist, &o, 0);
        return;
    }
    eg_admin_page_begin(a, "Edit origin", dist, EG_TAB_ORIGINS);
    origin_form(a, dist, &o, 0, NULL, NULL);
    eg_admin_page_end(a);
}
