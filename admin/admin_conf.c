/* The configuration file in the console, by the code egctl uses (include/edgegate/conf.h):
 * the distribution's export as a download (XML or JSON), and an upload that shows what it
 * would change before anything is written. The preview carries the file (base64) and the
 * distribution's fingerprint as previewed; Apply reads the file again, and is refused when
 * the distribution changed since the preview. */
#include <openssl/evp.h>

#include "edgegate/admin.h"
#include "edgegate/common.h"
#include "edgegate/conf.h"

/* GET /distributions/ID/export.xml|json */
void eg_admin_export(eg_admin_t *a, const char *id, int fmt)
{
    eg_conf_msgs_t m = {0};
    eg_buf_t out = {0};
    eg_dist_t d;
    char err[512];
    int r = eg_db_dist_load(a->db, id, &d, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Export", r < 0 ? err : "No such distribution.");
        return;
    }
    if (eg_conf_write(&d, fmt, &out, &m) < 0) {
        eg_admin_fail(a, 500, "Export", "The distribution could not be written as a file.");
        goto out;
    }
    /* the id is letters, digits, '.', '_', '-' (eg_id_validate): safe in a quoted filename */
    eg_buf_printf(&a->head,
                  "Content-Type: %s\r\nContent-Disposition: attachment; filename=\"%s.%s\"\r\n",
                  fmt == EG_CONF_XML ? "application/xml; charset=utf-8" : "application/json",
                  id, fmt == EG_CONF_XML ? "xml" : "json");
    eg_buf_add(&a->body, out.data, out.len);
out:
    eg_buf_free(&out);
    eg_conf_msgs_free(&m);
    eg_dist_clear(&d);
}

/* On the General tab: the downloads and the upload form. */
void eg_admin_conf_section(eg_admin_t *a, const char *id)
{
    eg_web_printf(&a->body,
                  "<h2 id=\"file\">Configuration file</h2>\n<div class=\"card\">\n"
                  "<p class=\"hint\">This distribution as CloudFront's DistributionConfig, to keep "
                  "in version control or bring a CloudFront configuration over; the same file "
                  "as <code>egctl export</code>.</p>\n"
                  "<p><a href=\"%s/distributions/%u/export.xml\" download>Export as XML "
                  "(2020-05-31)</a> &middot; <a href=\"%s/distributions/%u/export.json\" "
                  "download>Export as JSON (AWS CLI)</a></p>\n"
                  "<form method=\"post\" action=\"%s/distributions/%u/import\" "
                  "enctype=\"multipart/form-data\">\n",
                  a->base, id, a->base, id, a->base, id);
    eg_admin_csrf_field(a);
    eg_buf_adds(&a->body,
                "<div class=\"field\"><label for=\"conf-file\">Import a file</label>"
                "<input type=\"file\" id=\"conf-file\" name=\"file\" required "
                "accept=\".xml,.json,application/xml,application/json,text/xml\">"
                "<p class=\"hint\">2020-05-31 or 2010-11-01 XML, or JSON as the AWS CLI prints "
                "it. You see what would change before anything is saved; importing replaces this "
                "distribution's settings, origins and behaviors.</p></div>\n"
                "<div class=\"field\"><label><input type=\"checkbox\" name=\"strict\" "
                "value=\"1\"> Strict: refuse a file with settings edgegate does not have</label>"
                "</div>\n<div class=\"actions\"><button type=\"submit\">Preview import</button>"
                "</div>\n</form>\n</div>\n");
}

static void messages(eg_admin_t *a, const eg_conf_msgs_t *m, int strict)
{
    static const char *const words[] = {"Error", "Ignored", "Note"};
    if (m->n == 0)
        return;
    eg_web_printf(&a->body, "<div class=\"alert %r\" role=\"%r\"><p>%r</p><ul>\n",
                  m->nerrors || (strict && m->nignored) ? "error" : "warn",
                  m->nerrors ? "alert" : "status",
                  m->nerrors ? "The file cannot be imported:" : "About the file:");
    for (size_t i = 0; i < m->n; i++) {
        const eg_conf_msg_t *g = &m->v[i];
        eg_web_printf(&a->body, "<li><strong>%s</strong> %s%r%s</li>\n",
                      words[g->sev >= 0 && g->sev <= 2 ? g->sev : 0], g->where,
                      g->where[0] ? ": " : "", g->what);
    }
    eg_buf_adds(&a->body, "</ul></div>\n");
}

/* The file's bytes: the upload's "file" part, or the preview's base64 "content". */
static int file_of(eg_admin_t *a, int apply, eg_buf_t *out)
{
    const char *v = eg_web_get(&a->form, apply ? "content" : "file");
    size_t n;
    if (v == NULL)
        return -1;
    n = strlen(v);
    if (!apply) {
        eg_buf_add(out, v, n);
        return 0;
    }
    if (n % 4 != 0)
        return -1;
    eg_buf_reserve(out, n / 4 * 3 + 1);
    {
        int got = EVP_DecodeBlock((unsigned char *)out->data, (const unsigned char *)v, (int)n);
        if (got < 0)
            return -1;
        /* EVP_DecodeBlock counts the padding's zero bytes too */
        if (n >= 1 && v[n - 1] == '=')
            got--;
        if (n >= 2 && v[n - 2] == '=')
            got--;
        out->len = (size_t)got;
        out->data[out->len] = '\0';
    }
    return 0;
}

/* POST /distributions/ID/import (apply 0: the preview) and .../import/apply */
void eg_admin_import(eg_admin_t *a, const char *id, int apply)
{
    eg_conf_msgs_t m = {0};
    eg_buf_t file = {0}, diff = {0}, b64 = {0}, summary = {0};
    eg_dist_t d, cur;
    char err[512], fp[32] = "";
    int strict = eg_web_get(&a->form, "strict") != NULL, kind = 0, r;
    size_t changes = 0;

    memset(&d, 0, sizeof(d));
    memset(&cur, 0, sizeof(cur));
    if (strcmp(a->method, "POST") != 0) {
        eg_admin_redirect(a, "/distributions/%u/general#file", id);
        return;
    }
    r = eg_db_dist_load(a->db, id, &cur, err, sizeof(err));
    if (r <= 0) {
        eg_admin_fail(a, r < 0 ? 500 : 404, "Import", r < 0 ? err : "No such distribution.");
        return;
    }
    eg_conf_fingerprint(&cur, fp, sizeof(fp));
    if (file_of(a, apply, &file) < 0 || file.len == 0) {
        eg_admin_fail(a, 400, "Import",
                      "No file came with the form (choose one), or it was damaged on the way. "
                      "Nothing was changed.");
        goto out;
    }
    r = eg_conf_read(file.data, file.len, id, &d, &kind, &m);
    if (r == 0) {
        changes = eg_conf_diff(&cur, &d, &diff);
        if (apply && !(strict && m.nignored)) { /* else refused below, as in the preview */
            const char *seen = eg_web_get(&a->form, "fingerprint");
            if (seen == NULL || strcmp(seen, fp) != 0) {
                a->status = 409;
                eg_admin_page_begin(a, "Import", id, EG_TAB_GENERAL);
                eg_buf_adds(&a->body,
                            "<p class=\"alert error\" role=\"alert\">This distribution changed "
                            "since you previewed the import (by another editor); nothing was "
                            "imported. Preview the file again to see what it would change "
                            "now.</p>\n");
                eg_admin_conf_section(a, id);
                eg_admin_page_end(a);
                goto out;
            }
            eg_conf_summary("a console upload", kind, diff.data, changes, &summary);
            r = eg_db_dist_replace(a->db, &d, &cur, summary.data, err, sizeof(err));
            if (r == 0) {
                eg_admin_redirect(a, "/distributions/%u/general?msg=imported", id);
                goto out;
            }
            a->status = r == EG_DB_CONFLICT ? 409 : 400;
            eg_admin_page_begin(a, "Import", id, EG_TAB_GENERAL);
            eg_web_printf(&a->body,
                          "<p class=\"alert error\" role=\"alert\">%s. Nothing was imported.</p>\n",
                          err);
            eg_admin_conf_section(a, id);
            eg_admin_page_end(a);
            goto out;
        }
    }
    /* the preview */
    if (r < 0 || (strict && m.nignored))
        a->status = 400;
    eg_admin_page_begin(a, "Import preview", id, EG_TAB_GENERAL);
    eg_web_printf(&a->body, "<p>The file reads as %s.</p>\n",
                  r == 0 ? eg_conf_kind_name(kind) : "nothing edgegate can import");
    messages(a, &m, strict);
    if (r < 0 || (strict && m.nignored)) {
        if (r == 0)
            eg_buf_adds(&a->body,
                        "<p class=\"alert error\" role=\"alert\">Strict: the file has settings "
                        "edgegate does not have (listed above). Nothing was imported.</p>\n");
        eg_admin_conf_section(a, id);
        eg_admin_page_end(a);
        goto out;
    }
    if (changes == 0) {
        eg_buf_adds(&a->body, "<p class=\"alert ok\" role=\"status\">Nothing would change: the "
                              "distribution is already what the file says.</p>\n");
    } else {
        eg_buf_adds(&a->body, "<h2>What importing would change</h2>\n<ul class=\"changes\">\n");
        for (const char *line = diff.data; line && *line;) {
            const char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) : strlen(line);
            char *one = eg_strndup(line, n);
            eg_web_printf(&a->body, "<li>%s</li>\n", one);
            free(one);
            line += n + (nl != NULL);
        }
        eg_buf_adds(&a->body, "</ul>\n");
    }
    eg_buf_reserve(&b64, (file.len + 2) / 3 * 4 + 1);
    b64.len = (size_t)EVP_EncodeBlock((unsigned char *)b64.data,
                                      (const unsigned char *)file.data, (int)file.len);
    b64.data[b64.len] = '\0';
    eg_web_printf(&a->body,
                  "<form method=\"post\" action=\"%s/distributions/%u/import/apply\" "
                  "class=\"card\">\n<input type=\"hidden\" name=\"content\" value=\"%s\">\n"
                  "<input type=\"hidden\" name=\"fingerprint\" value=\"%s\">\n",
                  a->base, id, b64.data, fp);
    if (strict)
        eg_buf_adds(&a->body, "<input type=\"hidden\" name=\"strict\" value=\"1\">\n");
    eg_admin_csrf_field(a);
    eg_web_printf(&a->body,
                  "<div class=\"actions\"><button type=\"submit\" class=\"primary\">%r</button>"
                  "<a href=\"%s/distributions/%u/general\">Cancel</a></div>\n</form>\n",
                  changes ? "Apply these changes" : "Import anyway", a->base, id);
    eg_admin_page_end(a);
out:
    eg_buf_free(&file);
    eg_buf_free(&diff);
    eg_buf_free(&b64);
    eg_buf_free(&summary);
    eg_conf_msgs_free(&m);
    eg_dist_clear(&d);
    eg_dist_clear(&cur);
}
