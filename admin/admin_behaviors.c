/* The Behaviors tab: the table in evaluation order, where a selected row can be edited,
 * deleted, or moved up and down (the pending order travels in the page's URL, so it works
 * without JavaScript) until Save order stores it in one transaction; warnings for behaviors
 * that can never match and for Match-viewer origins behind "HTTP and HTTPS"; the behavior
 * form; Try a request (admin_try.c). */
#include "edgegate/admin.h"
#include "edgegate/common.h"
#include "edgegate/pattern.h"

#define NF eg_behavior_nfields

typedef struct {
    eg_behavior_t *all; /* stored, evaluation order, the default last */
    size_t n;
    eg_origin_t *origins;
    size_t n_origins;
    const char **order; /* the non-default patterns in the order shown */
    size_t n_order;
} view_t;

static void view_free(view_t *v)
{
    free(v->all);
    free(v->origins);
    free(v->order);
}

static int load(eg_admin_t *a, const char *dist, view_t *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof(*v));
    if (eg_db_behavior_list(a->db, dist, &v->all, &v->n, err, errlen) < 0 ||
        eg_db_origin_list(a->db, dist, &v->origins, &v->n_origins, err, errlen) < 0)
        return -1;
    v->order = eg_calloc(v->n + 1, sizeof(*v->order));
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->all[i].path_pattern, "*") != 0)
            v->order[v->n_order++] = v->all[i].path_pattern;
    return 0;
}

static const eg_behavior_t *find(const view_t *v, const char *pattern)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->all[i].path_pattern, pattern) == 0)
            return &v->all[i];
    return NULL;
}

/* Splits "a\nb\nc" into patterns that are exactly the stored non-default ones, each once;
 * out holds pointers into v. 0, or -1 when the list is not such a permutation. */
static int parse_order(const view_t *v, const char *list, const char **out)
{
    size_t k = 0;
    const char *p = list;
    if (v->n_order == 0)
        return *list ? -1 : 0;
    while (p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *hit = NULL;
        if (len && p[len - 1] == '\r')
            len--;
        for (size_t i = 0; i < v->n_order && !hit; i++)
            if (strlen(v->order[i]) == len && strncmp(v->order[i], p, len) == 0)
                hit = v->order[i];
        if (hit == NULL || k == v->n_order)
            return -1;
        for (size_t j = 0; j < k; j++)
            if (out[j] == hit)
                return -1;
        out[k++] = hit;
        p = nl ? nl + 1 : NULL;
    }
    return k == v->n_order ? 0 : -1;
}

static void join(eg_buf_t *b, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            eg_buf_add(b, "\n", 1);
        eg_buf_adds(b, list[i]);
    }
    if (b->data == NULL)
        eg_buf_adds(b, "");
}

static const eg_origin_t *origin_of(const view_t *v, const char *id)
{
    for (size_t i = 0; i < v->n_origins; i++)
        if (strcmp(v->origins[i].id, id) == 0)
            return &v->origins[i];
    return NULL;
}

static void warnings(eg_admin_t *a, const view_t *v, const char *const *order, size_t n)
{
    eg_buf_t w = {0};
    char vpp[64];
    const eg_field_t *fv = eg_field_find(eg_behavior_fields, NF, "viewer-protocol");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (eg_pattern_covers(order[j], order[i])) {
                eg_web_printf(&w,
                              "<li>Behavior <strong>%s</strong> can never match: <strong>"
                              "%s</strong>, evaluated before it, matches every path it "
                              "matches. Move it above, or delete it.</li>\n",
                              order[i], order[j]);
                break;
            }
    for (size_t i = 0; i < v->n; i++) {
        const eg_origin_t *o = origin_of(v, v->all[i].origin_id);
        if (o && o->protocol == EG_OPP_MATCH_VIEWER &&
            v->all[i].viewer_protocol == EG_VPP_ALLOW_ALL) {
            eg_admin_value_label(fv, &v->all[i], vpp, sizeof(vpp));
            eg_web_printf(&w,
                          "<li>Behavior <strong>%s</strong> allows %s and its origin "
                          "<strong>%s</strong> is Match viewer, so HTTP viewers reach the "
                          "origin over HTTP. Choose Match viewer only with Redirect HTTP to "
                          "HTTPS or HTTPS only.</li>\n",
                          v->all[i].path_pattern, vpp, o->id);
        }
    }
    if (w.len)
        eg_web_printf(&a->body,
                      "<div class=\"alert warn\" id=\"warnings\"><p><strong>"
                      "Warnings</strong></p>\n<ul>\n%r</ul>\n</div>\n",
                      w.data);
    eg_buf_free(&w);
}

static void row(eg_admin_t *a, const eg_behavior_t *b, size_t idx, const char *prec, int sel)
{
    static const char *const cols[] = {"origin",  "viewer-protocol", "methods",
                                       "min-ttl", "default-ttl",     "max-ttl"};
    char buf[EG_NAME_LIST_MAX];
    eg_web_printf(&a->body,
                  "<tr%r><td><input type=\"radio\" name=\"sel\" id=\"sel-%D\" value=\"%s\"%r>"
                  "</td><td>%r</td><th scope=\"row\"><label for=\"sel-%D\">%s</label></th>",
                  sel ? " class=\"selected\"" : "", (long long)idx, b->path_pattern,
                  sel ? " checked" : "", prec, (long long)idx, b->path_pattern);
    for (size_t j = 0; j < EG_ARRAY_LEN(cols); j++) {
        const eg_field_t *f = eg_field_find(eg_behavior_fields, NF, cols[j]);
        if (f == NULL)
            continue;
        eg_admin_value_label(f, b, buf, sizeof(buf));
        eg_web_printf(&a->body, "<td>%s</td>", buf);
    }
    eg_buf_adds(&a->body, "</tr>\n");
}

/* The table of behaviors in order (pending or stored), inside the form that acts on the
 * selected row. */
static void table(eg_admin_t *a, const char *dist, const view_t *v, const char *const *order,
                  const char *const *base_order, const char *sel, const char *error)
{
    static const char *const cols[] = {"origin",  "viewer-protocol", "methods",
                                       "min-ttl", "default-ttl",     "max-ttl"};
    eg_buf_t shown = {0}, base = {0};
    const eg_behavior_t *def = find(v, "*");
    int pending = 0, moved = 0;
    for (size_t i = 0; i < v->n_order; i++) {
        pending |= order[i] != base_order[i];
        moved |= base_order[i] != v->order[i];
    }
    if (error)
        eg_web_printf(&a->body, "<p class=\"alert error\" role=\"alert\">%s</p>\n", error);
    warnings(a, v, order, v->n_order);
    eg_web_printf(&a->body,
                  "<div class=\"toolbar\"><a class=\"button primary\" "
                  "href=\"%s/distributions/%u/behaviors/new\">Create behavior</a>"
                  "</div>\n",
                  a->base, dist);
    if (v->n == 0) {
        eg_buf_adds(&a->body, "<p class=\"empty\">No behaviors yet: create an origin first; "
                              "the default behavior (*) targets the first one.</p>\n");
        return;
    }
    if (moved)
        eg_buf_adds(&a->body, "<p class=\"alert error\" role=\"alert\" id=\"moved\">Someone "
                              "saved another order since you began moving behaviors: Save order "
                              "will be refused. Open the Behaviors tab again to start from the "
                              "order saved now.</p>\n");
    else if (pending)
        eg_buf_adds(&a->body, "<p class=\"alert warn\" role=\"status\" id=\"pending\">The "
                              "order below is not saved yet. Choose Save order to apply it."
                              "</p>\n");
    join(&shown, order, v->n_order);
    join(&base, base_order, v->n_order);
    eg_web_printf(&a->body,
                  "<form method=\"post\" action=\"%s/distributions/%u/behaviors\">\n"
                  "<input type=\"hidden\" name=\"order\" value=\"%s\">\n"
                  "<input type=\"hidden\" name=\"base\" value=\"%s\">\n",
                  a->base, dist, shown.data, base.data);
    eg_admin_csrf_field(a);
    eg_buf_adds(&a->body, "<div class=\"table-wrap\"><table class=\"behaviors\">\n<caption>"
                          "Behaviors, in the order edgegate evaluates them</caption>\n<thead>"
                          "<tr><th scope=\"col\"><span class=\"sr\">Select</span></th>"
                          "<th scope=\"col\">Precedence</th><th scope=\"col\">Path pattern</th>");
    for (size_t j = 0; j < EG_ARRAY_LEN(cols); j++) {
        const eg_field_t *f = eg_field_find(eg_behavior_fields, NF, cols[j]);
        if (f)
            eg_web_printf(&a->body, "<th scope=\"col\">%s</th>", f->label ? f->label : f->name);
    }
    eg_buf_adds(&a->body, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < v->n_order; i++) {
        char prec[24];
        snprintf(prec, sizeof(prec), "%zu", i);
        row(a, find(v, order[i]), i, prec, sel && strcmp(sel, order[i]) == 0);
    }
    if (def) {
        char prec[48];
        snprintf(prec, sizeof(prec), "%zu (Default)", v->n_order);
        row(a, def, v->n_order, prec, sel && strcmp(sel, "*") == 0);
    }
    eg_buf_adds(&a->body,
                "</tbody>\n</table></div>\n<div class=\"actions\">"
                "<button type=\"submit\" name=\"action\" value=\"edit\">Edit</button>"
                "<button type=\"submit\" name=\"action\" value=\"delete\" class=\"danger\">"
                "Delete</button>"
                "<button type=\"submit\" name=\"action\" value=\"up\">Move up</button>"
                "<button type=\"submit\" name=\"action\" value=\"down\">Move down</button>");
    eg_web_printf(&a->body,
                  "<button type=\"submit\" name=\"action\" value=\"save\"%r>Save "
                  "order</button></div>\n"
                  "<p class=\"hint\">Select a behavior, then act on it. The default "
                  "behavior (*) is always last; it can be edited, not moved or "
                  "deleted.</p>\n</form>\n",
                  pending ? " class=\"primary\"" : "");
    eg_buf_free(&shown);
    eg_buf_free(&base);
}

static void origin_options(const view_t *v, eg_buf_t *b)
{
    for (size_t i = 0; i < v->n_origins; i++) {
        if (i)
            eg_buf_add(b, "|", 1);
        eg_buf_adds(b, v->origins[i].id);
    }
    if (b->data == NULL)
        eg_buf_adds(b, "");
}

static void behavior_form(eg_admin_t *a, const char *dist, const view_t *v, const eg_behavior_t *b,
                          int create, char **errs, const char *top)
{
    const char *options[32] = {0};
    eg_buf_t opts = {0};
    const eg_field_t *fo = eg_field_find(eg_behavior_fields, NF, "origin");
    origin_options(v, &opts);
    if (fo)
        options[fo - eg_behavior_fields] = opts.data;
    if (top)
        eg_web_printf(&a->body, "<p class=\"alert error\" role=\"alert\">%s</p>\n", top);
    if (create)
        eg_web_printf(&a->body,
                      "<form method=\"post\" "
                      "action=\"%s/distributions/%u/behaviors/new\" class=\"card\">\n",
                      a->base, dist);
    else
        eg_web_printf(&a->body,
                      "<form method=\"post\" action=\"%s/distributions/%u/behaviors/edit\" "
                      "class=\"card\">\n<input type=\"hidden\" name=\"pattern\" value=\"%s\">\n"
                      "<input type=\"hidden\" name=\"rev\" value=\"%D\">\n"
                      "<p>Path pattern: <strong>%s</strong>%r</p>\n",
                      a->base, dist, b->path_pattern, b->rev, b->path_pattern,
                      strcmp(b->path_pattern, "*") == 0 ? " (the default behavior)" : "");
    eg_admin_csrf_field(a);
    eg_admin_fields(a, eg_behavior_fields, NF, b, create, (const char *const *)errs, NULL, options);
    eg_web_printf(&a->body,
                  "<div class=\"actions\"><button type=\"submit\" class=\"primary\">%r</button> "
                  "<a class=\"button\" href=\"%s/distributions/%u/behaviors\">Cancel</a></div>\n"
                  "</form>\n",
                  create ? "Create behavior" : "Save changes", a->base, dist);
    eg_buf_free(&opts);
}

static void save(eg_admin_t *a, const char *dist, const view_t *v, const eg_behavior_t *cur,
                 int create)
{
    eg_behavior_t b = *cur;
    char *errs[32] = {0}, err[512] = "";
    const char *top = NULL;
    int bad, r = 0;
    if (!create)
        b.rev = eg_admin_form_rev(a);
    bad = eg_admin_fields_read(a, eg_behavior_fields, NF, &b, create, errs);
    if (create && errs[0] == NULL) { /* saved normalized, as egctl does */
        char norm[EG_PATH_MAX];
        if (eg_pattern_normalize(b.path_pattern, norm, sizeof(norm), err, sizeof(err)) < 0) {
            errs[0] = eg_strdup(err);
            bad++;
        } else {
            snprintf(b.path_pattern, sizeof(b.path_pattern), "%s", norm);
        }
    }
    if (!bad) {
        r = create ? eg_db_behavior_add(a->db, dist, &b, -1, err, sizeof(err))
                   : eg_db_behavior_update(a->db, dist, &b, err, sizeof(err));
        if (r == 0) {
            eg_admin_redirect(a, "/distributions/%u/behaviors?msg=%r&sel=%u", dist,
                              create ? "created" : "saved", b.path_pattern);
            return;
        }
    }
    eg_admin_page_begin(a, create ? "Create behavior" : "Edit behavior", dist, EG_TAB_BEHAVIORS);
    if (!bad && r == EG_DB_CONFLICT) {
        eg_behavior_t now;
        a->status = 409;
        if (eg_db_behavior_get(a->db, dist, cur->path_pattern, &now, err, sizeof(err)) != 1) {
            eg_admin_gone(a, "Behavior", cur->path_pattern);
            eg_admin_page_end(a);
            return;
        }
        eg_admin_conflict(a, "This behavior", eg_behavior_fields, NF, &b, &now);
        behavior_form(a, dist, v, &now, 0, errs, NULL);
    } else {
        eg_admin_refused(a, eg_behavior_fields, NF, bad, err, create ? "already" : NULL, errs,
                         &top);
        behavior_form(a, dist, v, &b, create, errs, top);
    }
    eg_admin_page_end(a);
    eg_admin_errs_free(errs, NF);
}

/* The actions of the table's form: edit, delete, up, down, save. */
static void act(eg_admin_t *a, const char *dist, view_t *v)
{
    const char *action = eg_web_get(&a->form, "action");
    const char *sel = eg_web_get(&a->form, "sel");
    const char *order_s = eg_web_get(&a->form, "order");
    const char *base_s = eg_web_get(&a->form, "base");
    const char **order = eg_calloc(v->n_order + 1, sizeof(*order));
    const char **base = eg_calloc(v->n_order + 1, sizeof(*base));
    const char *error = NULL;
    char err[512];
    size_t k = 0;
    int order_ok = order_s && parse_order(v, order_s, order) == 0;
    int base_ok = base_s && parse_order(v, base_s, base) == 0;
    if (action == NULL)
        action = "";
    if (!order_ok) { /* behaviors were added or removed since the page was made */
        for (size_t i = 0; i < v->n_order; i++)
            order[i] = v->order[i];
        base_ok = 0;
        if (strcmp(action, "up") == 0 || strcmp(action, "down") == 0 ||
            strcmp(action, "save") == 0) {
            error = "The behaviors changed since you opened this page (one was added or "
                    "deleted), so nothing was moved or saved. This is the current order.";
            goto show;
        }
    }
    if (strcmp(action, "save") == 0) {
        int r;
        if (!base_ok) {
            error = "The behaviors changed since you opened this page, so the order was not "
                    "saved. This is the current order.";
            goto show;
        }
        r = eg_db_behavior_reorder(a->db, dist, base, order, v->n_order, err, sizeof(err));
        if (r == 0) {
            eg_admin_redirect(a, "/distributions/%u/behaviors?msg=ordered", dist);
            goto out;
        }
        a->status = r == EG_DB_CONFLICT ? 409 : 400;
        error = err;
        for (size_t i = 0; i < v->n_order; i++) /* show what is stored now */
            order[i] = v->order[i];
        base_ok = 0;
        goto show;
    }
    if (sel == NULL || find(v, sel) == NULL) {
        a->status = 400;
        error = sel ? "That behavior no longer exists." : "Select a behavior first.";
        goto show;
    }
    if (strcmp(action, "edit") == 0) {
        eg_admin_redirect(a, "/distributions/%u/behaviors/edit?pattern=%u", dist, sel);
        goto out;
    }
    if (strcmp(action, "delete") == 0) {
        if (eg_db_behavior_rm(a->db, dist, sel, err, sizeof(err)) < 0) {
            a->status = 400;
            error = err;
            goto show;
        }
        eg_admin_redirect(a, "/distributions/%u/behaviors?msg=deleted", dist);
        goto out;
    }
    if (strcmp(action, "up") == 0 || strcmp(action, "down") == 0) {
        eg_buf_t list = {0};
        if (strcmp(sel, "*") == 0) {
            a->status = 400;
            error = "The default behavior (*) is always last: it cannot be moved.";
            goto show;
        }
        while (k < v->n_order && strcmp(order[k], sel) != 0)
            k++;
        if (strcmp(action, "up") == 0 && k > 0) {
            const char *t = order[k - 1];
            order[k - 1] = order[k];
            order[k] = t;
        } else if (strcmp(action, "down") == 0 && k + 1 < v->n_order) {
            const char *t = order[k + 1];
            order[k + 1] = order[k];
            order[k] = t;
        }
        eg_buf_t from = {0};
        join(&list, order, v->n_order);
        /* the order the moves started from travels too, so Save order can tell when another
         * editor saved one meanwhile */
        join(&from, base_ok ? base : (const char *const *)v->order, v->n_order);
        eg_admin_redirect(a, "/distributions/%u/behaviors?order=%u&base=%u&sel=%u", dist, list.data,
                          from.data, sel);
        eg_buf_free(&list);
        eg_buf_free(&from);
        goto out;
    }
    a->status = 400;
    error = "Choose what to do with the selected behavior.";
show:
    if (!base_ok)
        for (size_t i = 0; i < v->n_order; i++)
            base[i] = v->order[i];
    eg_admin_page_begin(a, "Behaviors", dist, EG_TAB_BEHAVIORS);
    table(a, dist, v, order, base, sel, error);
    eg_admin_try(a, dist);
    eg_admin_page_end(a);
out:
    free(order);
    free(base);
}

void eg_admin_behaviors(eg_admin_t *a, const char *dist, const char *what)
{
    eg_dist_info_t d;
    view_t v;
    char err[512];
    int post = strcmp(a->method, "POST") == 0, r;
    r = eg_db_dist_get(a->db, dist, &d, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Distribution", r < 0 ? err : "No such distribution.");
        return;
    }
    if (load(a, dist, &v, err, sizeof(err)) < 0) {
        eg_admin_fail(a, 500, "Behaviors", err);
        view_free(&v);
        return;
    }
    if (what == NULL && post) {
        act(a, dist, &v);
    } else if (what == NULL) {
        const char *order_s = eg_web_get(&a->query, "order");
        const char *base_s = eg_web_get(&a->query, "base");
        const char **order = eg_calloc(v.n_order + 1, sizeof(*order));
        const char **base = eg_calloc(v.n_order + 1, sizeof(*base));
        const char *error = NULL;
        if (order_s == NULL || parse_order(&v, order_s, order) < 0 || base_s == NULL ||
            parse_order(&v, base_s, base) < 0) {
            if (order_s)
                error = "The behaviors changed since that order was made (one was added or "
                        "deleted); this is the saved order.";
            for (size_t i = 0; i < v.n_order; i++)
                order[i] = base[i] = v.order[i];
        }
        eg_admin_page_begin(a, "Behaviors", dist, EG_TAB_BEHAVIORS);
        eg_admin_notice(a);
        table(a, dist, &v, order, base, eg_web_get(&a->query, "sel"), error);
        eg_admin_try(a, dist);
        eg_admin_page_end(a);
        free(order);
        free(base);
    } else if (strcmp(what, "new") == 0) {
        eg_behavior_t b;
        memset(&b, 0, sizeof(b));
        eg_fields_defaults(eg_behavior_fields, NF, &b);
        if (v.n_origins)
            snprintf(b.origin_id, sizeof(b.origin_id), "%s", v.origins[0].id);
        if (post) {
            save(a, dist, &v, &b, 1);
        } else {
            eg_admin_page_begin(a, "Create behavior", dist, EG_TAB_BEHAVIORS);
            if (v.n_origins == 0)
                eg_buf_adds(&a->body, "<p class=\"alert warn\">Create an origin first: a "
                                      "behavior sends requests to one.</p>\n");
            behavior_form(a, dist, &v, &b, 1, NULL, NULL);
            eg_admin_page_end(a);
        }
    } else {
        const char *pattern =
            post ? eg_web_get(&a->form, "pattern") : eg_web_get(&a->query, "pattern");
        const eg_behavior_t *b = pattern ? find(&v, pattern) : NULL;
        if (b == NULL) {
            eg_admin_fail(a, 404, "Behavior", "No such behavior (it may have been deleted).");
        } else if (strcmp(what, "delete") == 0 && post) {
            if (eg_db_behavior_rm(a->db, dist, b->path_pattern, err, sizeof(err)) < 0)
                eg_admin_fail(a, 400, "Behavior not deleted", err);
            else
                eg_admin_redirect(a, "/distributions/%u/behaviors?msg=deleted", dist);
        } else if (strcmp(what, "edit") == 0 && post) {
            save(a, dist, &v, b, 0);
        } else if (strcmp(what, "edit") == 0) {
            eg_admin_page_begin(a, "Edit behavior", dist, EG_TAB_BEHAVIORS);
            behavior_form(a, dist, &v, b, 0, NULL, NULL);
            eg_admin_page_end(a);
        } else {
            eg_admin_redirect(a, "/distributions/%u/behaviors", dist);
        }
    }
    view_free(&v);
}
