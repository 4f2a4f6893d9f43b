/* The Invalidations tab: create one from paths (one per line, the rules egctl applies) and
 * list them, newest first, with their status and times. */
#include <unistd.h>

#include "edgegate/admin.h"
#include "edgegate/auth.h"
#include "edgegate/common.h"
#include "edgegate/uri.h"

#define MAX_PATHS 3000 /* CloudFront's limit for paths in progress */
/* The list is bounded whatever the history holds: the newest LIST_MAX invalidations, the
 * first LIST_PATHS paths of each, each cut at LIST_PATH_LEN bytes */
#define LIST_MAX 50
#define LIST_PATHS 10
#define LIST_PATH_LEN 160

static void list(eg_admin_t *a, const char *dist)
{
    eg_invalidation_t *v = NULL;
    size_t n = 0;
    char err[512], made[64], done[64];
    if (eg_db_invalidation_list(a->db, dist, 0, &v, &n, err, sizeof(err)) < 0) {
        eg_web_printf(&a->body, "<p class=\"alert error\">%s</p>\n", err);
        return;
    }
    eg_buf_adds(&a->body, "<h3>History</h3>\n");
    if (n == 0) {
        eg_buf_adds(&a->body, "<p class=\"empty\">No invalidations yet.</p>\n");
        return;
    }
    eg_buf_adds(&a->body, "<div class=\"table-wrap\"><table>\n<caption>Invalidations, newest "
                          "first</caption>\n<thead><tr><th scope=\"col\">ID</th>"
                          "<th scope=\"col\">Status</th><th scope=\"col\">Created</th>"
                          "<th scope=\"col\">Completed</th><th scope=\"col\">Paths</th>"
                          "<th scope=\"col\">Caller reference</th></tr></thead>\n<tbody>\n");
    for (size_t i = n; i-- > 0 && n - i <= LIST_MAX;) {
        eg_admin_time(v[i].created_at, made, sizeof(made));
        eg_admin_time(v[i].completed_at, done, sizeof(done));
        eg_web_printf(&a->body,
                      "<tr><th scope=\"row\">%D</th><td><span class=\"badge %r\">%s"
                      "</span></td><td>%s</td><td>%s</td><td>",
                      v[i].id, strcmp(v[i].status, "Completed") == 0 ? "on" : "busy", v[i].status,
                      made, done);
        for (size_t j = 0; j < v[i].n_paths && j < LIST_PATHS; j++) {
            char shown[LIST_PATH_LEN + 4];
            size_t len = strlen(v[i].paths[j]);
            snprintf(shown, sizeof(shown), "%.*s%s", LIST_PATH_LEN, v[i].paths[j],
                     len > LIST_PATH_LEN ? "..." : "");
            eg_web_printf(&a->body, "%r<code>%s</code>", j ? " " : "", shown);
        }
        if (v[i].n_paths > LIST_PATHS)
            eg_web_printf(&a->body, " and %D more", (long long)(v[i].n_paths - LIST_PATHS));
        eg_web_printf(&a->body, "</td><td>%s</td></tr>\n", v[i].caller_reference);
    }
    eg_buf_adds(&a->body, "</tbody>\n</table></div>\n");
    if (n > LIST_MAX)
        eg_web_printf(&a->body,
                      "<p class=\"hint\">The %d newest of %D; <code>egctl "
                      "invalidations</code> lists them all.</p>\n",
                      LIST_MAX, (long long)n);
    eg_db_invalidations_free(v, n);
}

static void form(eg_admin_t *a, const char *dist, const char *paths, const char *error)
{
    if (error)
        eg_web_printf(&a->body,
                      "<p class=\"alert error\" role=\"alert\" id=\"e-paths\">%s"
                      "</p>\n",
                      error);
    eg_web_printf(&a->body,
                  "<form method=\"post\" action=\"%s/distributions/%u/invalidations\" "
                  "class=\"card\">\n",
                  a->base, dist);
    eg_admin_csrf_field(a);
    eg_web_printf(&a->body,
                  "<div class=\"field\"><label for=\"f-paths\">Object paths</label>\n"
                  "<textarea id=\"f-paths\" name=\"paths\" rows=\"4\" required "
                  "aria-describedby=\"h-paths\"%r>%s</textarea>\n"
                  "<p class=\"hint\" id=\"h-paths\">One path per line, each starting with /; "
                  "* only at the end removes everything under a prefix (/images/*), /* "
                  "removes everything.</p></div>\n"
                  "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Create "
                  "invalidation</button></div>\n</form>\n",
                  error ? " aria-invalid=\"true\"" : "", paths ? paths : "");
}

/* Creates an invalidation of the given paths; 0, or -1 with the reason in err. */
static int create(eg_admin_t *a, const char *dist, const char *text, char *err, size_t errlen)
{
    char(*norm)[EG_URI_MAX + 1] = NULL;
    const char **paths = NULL;
    char ref[96], token[EG_AUTH_TOKEN_LEN + 1];
    size_t n = 0, cap = 0;
    long long id;
    int rc = -1;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[EG_URI_MAX + 2];
        /* the line as typed (a space is refused as egctl refuses it), but the CR of CRLF */
        if (len && p[len - 1] == '\r')
            len--;
        if (len > EG_URI_MAX) {
            eg_errf(err, errlen, "a path is longer than %d characters", EG_URI_MAX);
            goto out;
        }
        if (len) {
            memcpy(line, p, len);
            line[len] = '\0';
            if (n == MAX_PATHS) {
                eg_errf(err, errlen, "at most %d paths in one invalidation", MAX_PATHS);
                goto out;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                norm = eg_realloc(norm, cap * sizeof(*norm));
            }
            if (eg_invalidation_path_normalize(line, norm[n], sizeof(norm[n]), err, errlen) < 0)
                goto out;
            n++;
        }
        p = nl ? nl + 1 : NULL;
    }
    if (n == 0) {
        eg_errf(err, errlen, "enter at least one path, such as /index.html or /images/*");
        goto out;
    }
    /* pointers into norm only now that it has stopped moving */
    paths = eg_calloc(n, sizeof(*paths));
    for (size_t i = 0; i < n; i++)
        paths[i] = norm[i];
    if (eg_auth_token(token, sizeof(token)) < 0)
        snprintf(token, sizeof(token), "%d", (int)getpid());
    snprintf(ref, sizeof(ref), "console-%lld-%.12s", a->now, token);
    rc = eg_db_invalidation_create(a->db, dist, paths, n, ref, &id, err, errlen) < 0 ? -1 : 0;
out:
    free(norm);
    free(paths);
    return rc;
}

void eg_admin_invalidations(eg_admin_t *a, const char *dist, const char *what)
{
    eg_dist_info_t d;
    char err[512];
    int r = eg_db_dist_get(a->db, dist, &d, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Distribution", r < 0 ? err : "No such distribution.");
        return;
    }
    if (strcmp(a->method, "POST") == 0) {
        const char *paths = what ? "/*" : eg_web_get(&a->form, "paths");
        if (create(a, dist, paths ? paths : "", err, sizeof(err)) == 0) {
            eg_admin_redirect(a, "/distributions/%u/invalidations?msg=invalidated", dist);
            return;
        }
        a->status = 400;
        eg_admin_page_begin(a, "Invalidations", dist, EG_TAB_INVALIDATIONS);
        form(a, dist, paths, err);
        list(a, dist);
        eg_admin_page_end(a);
        return;
    }
    eg_admin_page_begin(a, "Invalidations", dist, EG_TAB_INVALIDATIONS);
    eg_admin_notice(a);
    form(a, dist, NULL, NULL);
    list(a, dist);
    eg_admin_page_end(a);
}
