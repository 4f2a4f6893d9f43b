/* The Distributions list (create, enable/disable, delete) and a distribution's General tab
 * (its settings and the recent changes from the audit table). */
#include "edgegate/admin.h"
#include "edgegate/common.h"

#define NF eg_dist_nfields

static void counts(eg_admin_t *a, const char *id, size_t *no, size_t *nb)
{
    eg_origin_t *os = NULL;
    eg_behavior_t *bs = NULL;
    char err[256];
    *no = *nb = 0;
    if (eg_db_origin_list(a->db, id, &os, no, err, sizeof(err)) < 0)
        *no = 0;
    if (eg_db_behavior_list(a->db, id, &bs, nb, err, sizeof(err)) < 0)
        *nb = 0;
    free(os);
    free(bs);
}

void eg_admin_dists(eg_admin_t *a)
{
    eg_dist_info_t *all = NULL;
    size_t n = 0;
    char err[512];
    if (strcmp(a->method, "POST") == 0) {
        eg_admin_fail(a, 405, "Method not allowed", "Create a distribution from its form.");
        return;
    }
    if (eg_db_dist_list(a->db, &all, &n, err, sizeof(err)) < 0) {
        eg_admin_fail(a, 500, "Distributions", err);
        return;
    }
    eg_admin_page_begin(a, "Distributions", NULL, EG_TAB_NONE);
    eg_admin_notice(a);
    eg_web_printf(&a->body,
                  "<div class=\"toolbar\"><a class=\"button primary\" "
                  "href=\"%s/distributions/new\">Create distribution</a></div>\n",
                  a->base);
    if (n == 0) {
        eg_buf_adds(&a->body, "<p class=\"empty\">No distributions yet.</p>\n");
    } else {
        eg_buf_adds(&a->body,
                    "<div class=\"table-wrap\"><table>\n<caption>Distributions</caption>\n"
                    "<thead><tr><th scope=\"col\">ID</th><th scope=\"col\">Description</th>"
                    "<th scope=\"col\">Alternate domain names</th><th scope=\"col\">Status</th>"
                    "<th scope=\"col\">Origins</th><th scope=\"col\">Behaviors</th>"
                    "<th scope=\"col\">Actions</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < n; i++) {
            size_t no, nb;
            counts(a, all[i].id, &no, &nb);
            eg_web_printf(
                &a->body,
                "<tr><th scope=\"row\"><a href=\"%s/distributions/%u/general\">%s</a></th>"
                "<td>%s</td><td>%s</td><td><span class=\"badge %r\">%r</span></td>"
                "<td>%D</td><td>%D</td><td class=\"actions\">"
                "<form method=\"post\" action=\"%s/distributions/%u/enable\" "
                "class=\"inline\">",
                a->base, all[i].id, all[i].id, all[i].comment,
                all[i].aliases[0] ? all[i].aliases : "-", all[i].enabled ? "on" : "off",
                all[i].enabled ? "Enabled" : "Disabled", (long long)no, (long long)nb, a->base,
                all[i].id);
            eg_admin_csrf_field(a);
            eg_web_printf(&a->body,
                          "<input type=\"hidden\" name=\"enabled\" value=\"%r\">"
                          "<input type=\"hidden\" name=\"rev\" value=\"%D\">"
                          "<button type=\"submit\">%r<span class=\"sr\"> %s</span></button>"
                          "</form> <form method=\"post\" action=\"%s/distributions/%u/delete\" "
                          "class=\"inline\">",
                          all[i].enabled ? "false" : "true", all[i].rev,
                          all[i].enabled ? "Disable" : "Enable", all[i].id, a->base, all[i].id);
            eg_admin_csrf_field(a);
            eg_web_printf(&a->body,
                          "<button type=\"submit\" class=\"danger\">Delete<span class=\"sr\"> "
                          "%s</span></button></form></td></tr>\n",
                          all[i].id);
        }
        eg_buf_adds(&a->body, "</tbody>\n</table></div>\n");
    }
    eg_admin_page_end(a);
    free(all);
}

static void dist_form(eg_admin_t *a, int create, const eg_dist_info_t *d, char **errs,
                      const char *top)
{
    if (top)
        eg_web_printf(&a->body, "<p class=\"alert error\" role=\"alert\">%s</p>\n", top);
    if (create)
        eg_web_printf(&a->body,
                      "<form method=\"post\" action=\"%s/distributions/new\" "
                      "class=\"card\">\n",
                      a->base);
    else
        eg_web_printf(&a->body,
                      "<form method=\"post\" action=\"%s/distributions/%u/general\" "
                      "class=\"card\">\n<input type=\"hidden\" name=\"rev\" "
                      "value=\"%D\">\n",
                      a->base, d->id, d->rev);
    eg_admin_csrf_field(a);
    eg_admin_fields(a, eg_dist_fields, NF, d, create, (const char *const *)errs, NULL, NULL);
    eg_web_printf(&a->body,
                  "<div class=\"actions\"><button type=\"submit\" class=\"primary\">%r</button>"
                  "%r</div>\n</form>\n",
                  create ? "Create distribution" : "Save changes", "");
}

void eg_admin_dist_new(eg_admin_t *a)
{
    eg_dist_info_t d;
    char *errs[16] = {0}, err[512];
    const char *top = NULL;
    int bad;
    memset(&d, 0, sizeof(d));
    eg_fields_defaults(eg_dist_fields, NF, &d);
    if (strcmp(a->method, "POST") != 0) {
        eg_admin_page_begin(a, "Create distribution", NULL, EG_TAB_NONE);
        dist_form(a, 1, &d, errs, NULL);
        eg_admin_page_end(a);
        return;
    }
    bad = eg_admin_fields_read(a, eg_dist_fields, NF, &d, 1, errs);
    if (errs[0] == NULL && eg_id_validate("distribution", d.id, err, sizeof(err)) < 0) {
        errs[0] = eg_strdup(err); /* said with the other fields' errors, not after them */
        bad++;
    }
    if (!bad && eg_db_dist_put(a->db, &d, 1, err, sizeof(err)) == 0) {
        eg_admin_redirect(a, "/distributions/%u/origins/new?msg=first-origin", d.id);
        return;
    }
    eg_admin_refused(a, eg_dist_fields, NF, bad, err, "already exists", errs, &top);
    eg_admin_page_begin(a, "Create distribution", NULL, EG_TAB_NONE);
    dist_form(a, 1, &d, errs, top);
    eg_admin_page_end(a);
    eg_admin_errs_free(errs, NF);
}

void eg_admin_dist_action(eg_admin_t *a, const char *id, const char *what)
{
    eg_dist_info_t d;
    char err[512];
    int r;
    if (strcmp(a->method, "POST") != 0) {
        eg_admin_redirect(a, "/distributions");
        return;
    }
    r = eg_db_dist_get(a->db, id, &d, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Distribution", r < 0 ? err : "No such distribution.");
        return;
    }
    if (strcmp(what, "enable") == 0) {
        const char *v = eg_web_get(&a->form, "enabled");
        d.enabled = v && strcmp(v, "true") == 0;
        d.rev = eg_admin_form_rev(a);
        r = eg_db_dist_put(a->db, &d, 0, err, sizeof(err));
        if (r < 0) {
            eg_admin_fail(a, r == EG_DB_CONFLICT ? 409 : 400, "Distribution not changed", err);
            return;
        }
        eg_admin_redirect(a, "/distributions?msg=%r", d.enabled ? "enabled" : "disabled");
        return;
    }
    /* delete: a distribution with origins or behaviors only after a confirmation */
    if (eg_web_get(&a->form, "confirm") == NULL) {
        size_t no, nb;
        counts(a, id, &no, &nb);
        eg_admin_page_begin(a, "Delete distribution", NULL, EG_TAB_NONE);
        eg_web_printf(&a->body,
                      "<div class=\"card\"><p>Delete distribution <strong>%s</strong> with its "
                      "%D origin%r and %D behavior%r? Its cached objects are dropped, and "
                      "%r</p>\n<form method=\"post\" "
                      "action=\"%s/distributions/%u/delete\">",
                      id, (long long)no, no == 1 ? "" : "s", (long long)nb, nb == 1 ? "" : "s",
                      strcmp(id, EG_DEFAULT_DIST) == 0
                          ? "as it is the default distribution, every Host no other "
                            "distribution claims is then refused (403)."
                          : "viewers of its alternate domain names get the default "
                            "distribution's answers (or 403).",
                      a->base, id);
        eg_admin_csrf_field(a);
        eg_web_printf(&a->body,
                      "<input type=\"hidden\" name=\"confirm\" value=\"1\">"
                      "<div class=\"actions\"><button type=\"submit\" class=\"danger\">Delete "
                      "distribution</button> <a class=\"button\" href=\"%s/distributions\">"
                      "Cancel</a></div></form></div>\n",
                      a->base);
        eg_admin_page_end(a);
        return;
    }
    if (eg_db_dist_rm(a->db, id, 1, err, sizeof(err)) < 0) {
        eg_admin_fail(a, 400, "Distribution not deleted", err);
        return;
    }
    eg_admin_redirect(a, "/distributions?msg=deleted");
}

static void recent_changes(eg_admin_t *a, const char *id)
{
    eg_audit_t *v = NULL;
    size_t n = 0;
    char err[512], when[64];
    eg_buf_adds(&a->body, "<h2>Recent changes</h2>\n");
    if (eg_db_audit_list(a->db, id, 20, &v, &n, err, sizeof(err)) < 0) {
        eg_web_printf(&a->body, "<p class=\"alert error\">%s</p>\n", err);
        return;
    }
    if (n == 0) {
        eg_buf_adds(&a->body, "<p class=\"empty\">No changes recorded yet.</p>\n");
        free(v);
        return;
    }
    eg_buf_adds(&a->body, "<div class=\"table-wrap\"><table class=\"audit\">\n"
                          "<caption>Recent changes, newest first</caption>\n"
                          "<thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th>"
                          "<th scope=\"col\">What</th><th scope=\"col\">Object</th>"
                          "<th scope=\"col\">Details</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        eg_admin_time(v[i].at, when, sizeof(when));
        eg_web_printf(&a->body,
                      "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                      "</tr>\n",
                      when, v[i].actor, v[i].action, v[i].object, v[i].detail);
    }
    eg_buf_adds(&a->body, "</tbody>\n</table></div>\n");
    free(v);
}

void eg_admin_general(eg_admin_t *a, const char *id)
{
    eg_dist_info_t d, mine;
    char *errs[16] = {0}, err[512];
    const char *top = NULL;
    int r = eg_db_dist_get(a->db, id, &d, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Distribution", r < 0 ? err : "No such distribution.");
        return;
    }
    if (strcmp(a->method, "POST") == 0) {
        int bad;
        mine = d;
        mine.rev = eg_admin_form_rev(a);
        bad = eg_admin_fields_read(a, eg_dist_fields, NF, &mine, 0, errs);
        if (!bad && (r = eg_db_dist_put(a->db, &mine, 0, err, sizeof(err))) == 0) {
            eg_admin_redirect(a, "/distributions/%u/general?msg=saved", id);
            return;
        }
        eg_admin_page_begin(a, "General", id, EG_TAB_GENERAL);
        if (!bad && r == EG_DB_CONFLICT) {
            a->status = 409;
            eg_admin_conflict(a, "This distribution", eg_dist_fields, NF, &mine, &d);
        } else {
            eg_admin_refused(a, eg_dist_fields, NF, bad, err, NULL, errs, &top);
            d = mine;
            d.rev = eg_admin_form_rev(a);
        }
    } else {
        eg_admin_page_begin(a, "General", id, EG_TAB_GENERAL);
        eg_admin_notice(a);
    }
    dist_form(a, 0, &d, errs, top);
    eg_admin_conf_section(a, id);
    recent_changes(a, id);
    eg_admin_page_end(a);
    eg_admin_errs_free(errs, NF);
}
