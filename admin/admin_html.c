/* The console's page frame and its form widgets, generated from the settings tables in
 * gateway/config.c: a field added there appears in every form with its label, help text
 * and the rules egctl applies to it. */
#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "edgegate/admin.h"
#include "edgegate/common.h"

static void header(eg_admin_t *a, const char *line)
{
    eg_buf_adds(&a->head, line);
    eg_buf_adds(&a->head, "\r\n");
}

void eg_admin_page_begin(eg_admin_t *a, const char *title, const char *dist, eg_admin_tab_t tab)
{
    static const struct {
        eg_admin_tab_t tab;
        const char *name, *path;
    } tabs[] = {{EG_TAB_GENERAL, "General", "/general"},
                {EG_TAB_ORIGINS, "Origins", "/origins"},
                {EG_TAB_BEHAVIORS, "Behaviors", "/behaviors"},
                {EG_TAB_INVALIDATIONS, "Invalidations", "/invalidations"}};
    header(a, "Content-Type: text/html; charset=utf-8");
    eg_web_printf(&a->body,
                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>%s%s%s - edgegate console</title>\n"
                  "<link rel=\"stylesheet\" href=\"%s/static/style.css\">\n</head>\n<body>\n"
                  "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
                  "<header class=\"bar\">\n<a class=\"brand\" href=\"%s/distributions\">"
                  "edgegate <span>console</span></a>\n",
                  title, dist ? " - " : "", dist ? dist : "", a->base, a->base);
    if (a->user[0]) {
        eg_web_printf(&a->body,
                      "<div class=\"who\"><span>Signed in as <strong>%s</strong></span>\n"
                      "<form method=\"post\" action=\"%s/signout\" class=\"inline\">",
                      a->user, a->base);
        eg_admin_csrf_field(a);
        eg_buf_adds(&a->body, "<button type=\"submit\" class=\"quiet\">Sign out</button>"
                              "</form></div>\n");
    }
    eg_buf_adds(&a->body, "</header>\n<main id=\"main\">\n");
    if (dist) {
        eg_web_printf(
            &a->body,
            "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"%s/distributions\">"
            "Distributions</a> <span aria-hidden=\"true\">/</span> %s</nav>\n"
            "<h1>%s</h1>\n<nav class=\"tabs\" aria-label=\"Distribution settings\">\n",
            a->base, dist, dist);
        for (size_t i = 0; i < EG_ARRAY_LEN(tabs); i++)
            eg_web_printf(&a->body, "<a href=\"%s/distributions/%u%r\"%r>%s</a>\n", a->base, dist,
                          tabs[i].path,
                          tabs[i].tab == tab ? " aria-current=\"page\" class=\"on\"" : "",
                          tabs[i].name);
        eg_buf_adds(&a->body, "</nav>\n");
        if (title && *title)
            eg_web_printf(&a->body, "<h2>%s</h2>\n", title);
    } else {
        eg_web_printf(&a->body, "<h1>%s</h1>\n", title);
    }
}

void eg_admin_page_end(eg_admin_t *a)
{
    eg_buf_adds(&a->body, "</main>\n</body>\n</html>\n");
}

void eg_admin_fail(eg_admin_t *a, int status, const char *title, const char *message)
{
    a->status = status;
    a->body.len = 0;
    eg_admin_page_begin(a, title, NULL, EG_TAB_NONE);
    eg_web_printf(&a->body,
                  "<p class=\"alert error\" role=\"alert\">%s</p>\n"
                  "<p><a href=\"%s/distributions\">Back to the distributions</a></p>\n",
                  message, a->base);
    eg_admin_page_end(a);
}

void eg_admin_redirect(eg_admin_t *a, const char *fmt, ...)
{
    eg_buf_t path = {0};
    va_list ap;
    /* the format's %s and %u are this file's; build the path with eg_web_printf's rules */
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%' || p[1] == '\0') {
            eg_buf_add(&path, p, 1);
            continue;
        }
        p++;
        if (*p == 'u')
            eg_web_urlenc(&path, va_arg(ap, const char *));
        else if (*p == 'r')
            eg_buf_adds(&path, va_arg(ap, const char *));
        else if (*p == 'D')
            eg_buf_printf(&path, "%lld", va_arg(ap, long long));
        else if (*p == 'd')
            eg_buf_printf(&path, "%d", va_arg(ap, int));
        else
            eg_buf_add(&path, p, 1);
    }
    va_end(ap);
    a->status = 303;
    eg_buf_printf(&a->head, "Location: %s%s\r\n", a->base, path.data ? path.data : "/");
    eg_buf_adds(&a->head, "Content-Type: text/plain; charset=utf-8\r\n");
    eg_buf_adds(&a->body, "See Other\n");
    eg_buf_free(&path);
}

void eg_admin_csrf_field(eg_admin_t *a)
{
    eg_web_printf(&a->body, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", a->csrf);
}

void eg_admin_notice(eg_admin_t *a)
{
    static const struct {
        const char *word, *text;
    } notes[] = {
        {"created", "Created."},
        {"saved", "Your changes are saved. The gateway applies them within a second."},
        {"deleted", "Deleted."},
        {"ordered", "The new order is saved. The gateway applies it within a second."},
        {"invalidated", "Invalidation created. Objects leave the cache within a second."},
        {"enabled", "The distribution is enabled."},
        {"disabled", "The distribution is disabled: it answers 403 to every viewer."},
        {"imported", "The file is imported. The gateway applies it within a second."},
        {"first-origin", "Now create the distribution's first origin: its default behavior "
                         "(*) targets it."},
    };
    const char *msg = eg_web_get(&a->query, "msg");
    for (size_t i = 0; msg && i < EG_ARRAY_LEN(notes); i++)
        if (strcmp(msg, notes[i].word) == 0)
            eg_web_printf(&a->body, "<p class=\"alert ok\" role=\"status\">%s</p>\n",
                          notes[i].text);
}

static const char *label_of(const eg_field_t *f)
{
    return f->label ? f->label : f->name;
}

/* The idx-th of "a|b|c" into buf. */
static void nth(const char *list, int idx, char *buf, size_t len)
{
    eg_choice_name(list, idx, buf, len);
}

void eg_admin_value_label(const eg_field_t *f, const void *obj, char *buf, size_t len)
{
    if (f->type == EG_FT_ENUM && f->choice_labels) {
        nth(f->choice_labels, *(const int *)((const char *)obj + f->off), buf, len);
        return;
    }
    eg_field_format(f, obj, buf, len);
}

static void describe(eg_admin_t *a, const eg_field_t *f, const char *err, const char *fixed)
{
    if (fixed)
        eg_web_printf(&a->body, "<p class=\"fixed\" id=\"x-%s\">%s</p>\n", f->name, fixed);
    eg_web_printf(&a->body, "<p class=\"hint\" id=\"h-%s\">%s</p>\n", f->name, f->help);
    if (err)
        eg_web_printf(&a->body, "<p class=\"field-error\" id=\"e-%s\">%s</p>\n", f->name, err);
}

/* aria-describedby for a control: its help, its error and why it is fixed */
static void described_by(eg_admin_t *a, const eg_field_t *f, const char *err, const char *fixed)
{
    eg_web_printf(&a->body, " aria-describedby=\"h-%s", f->name);
    if (err)
        eg_web_printf(&a->body, " e-%s", f->name);
    if (fixed)
        eg_web_printf(&a->body, " x-%s", f->name);
    eg_buf_adds(&a->body, "\"");
    if (err)
        eg_buf_adds(&a->body, " aria-invalid=\"true\"");
    if (fixed)
        eg_buf_adds(&a->body, " disabled");
}

static void field(eg_admin_t *a, const eg_field_t *f, const void *obj, const char *err,
                  const char *fixed, const char *options)
{
    char value[EG_NAME_LIST_MAX * 2], word[128], lab[128];
    eg_field_format(f, obj, value, sizeof(value));
    if (options) {
        int found = 0;
        eg_web_printf(&a->body,
                      "<div class=\"field%r\">\n<label for=\"f-%s\">%s</label>\n"
                      "<select id=\"f-%s\" name=\"%s\"",
                      err ? " invalid" : "", f->name, label_of(f), f->name, f->name);
        described_by(a, f, err, fixed);
        eg_buf_adds(&a->body, ">\n");
        for (int i = 0; *options; i++) {
            nth(options, i, word, sizeof(word));
            if (strcmp(word, "?") == 0)
                break;
            found |= strcmp(word, value) == 0;
            eg_web_printf(&a->body, "<option value=\"%s\"%r>%s</option>\n", word,
                          strcmp(word, value) == 0 ? " selected" : "", word);
        }
        if (!found) /* none yet, or one that no longer exists: shown, so nothing is lost */
            eg_web_printf(&a->body, "<option value=\"%s\" selected>%s</option>\n", value,
                          value[0] ? value : "(choose)");
        eg_buf_adds(&a->body, "</select>\n");
        describe(a, f, err, fixed);
        eg_buf_adds(&a->body, "</div>\n");
        return;
    }
    switch (f->type) {
    case EG_FT_BOOL:
        eg_web_printf(&a->body,
                      "<div class=\"field check%r\">\n<input type=\"checkbox\" "
                      "id=\"f-%s\" name=\"%s\" value=\"true\"%r",
                      err ? " invalid" : "", f->name, f->name,
                      strcmp(value, "true") == 0 ? " checked" : "");
        described_by(a, f, err, fixed);
        eg_web_printf(&a->body, ">\n<label for=\"f-%s\">%s</label>\n", f->name, label_of(f));
        describe(a, f, err, fixed);
        eg_buf_adds(&a->body, "</div>\n");
        return;
    case EG_FT_SET: {
        int mask = *(const int *)((const char *)obj + f->off);
        eg_web_printf(&a->body, "<fieldset class=\"field%r\"", err ? " invalid" : "");
        described_by(a, f, err, fixed);
        eg_web_printf(&a->body, ">\n<legend>%s</legend>\n<div class=\"choices\">\n", label_of(f));
        for (int i = 0;; i++) {
            nth(f->choices, i, word, sizeof(word));
            if (strcmp(word, "?") == 0)
                break;
            eg_web_printf(&a->body,
                          "<label><input type=\"checkbox\" name=\"%s\" value=\"%s\"%r> %s"
                          "</label>\n",
                          f->name, word, (mask & (1 << i)) ? " checked" : "", word);
        }
        eg_buf_adds(&a->body, "</div>\n");
        describe(a, f, err, fixed);
        eg_buf_adds(&a->body, "</fieldset>\n");
        return;
    }
    default:
        break;
    }
    eg_web_printf(&a->body, "<div class=\"field%r\">\n<label for=\"f-%s\">%s</label>\n",
                  err ? " invalid" : "", f->name, label_of(f));
    if (f->type == EG_FT_ENUM) {
        int cur = *(const int *)((const char *)obj + f->off);
        eg_web_printf(&a->body, "<select id=\"f-%s\" name=\"%s\"", f->name, f->name);
        described_by(a, f, err, fixed);
        eg_buf_adds(&a->body, ">\n");
        for (int i = 0;; i++) {
            nth(f->choices, i, word, sizeof(word));
            if (strcmp(word, "?") == 0)
                break;
            if (f->choice_labels)
                nth(f->choice_labels, i, lab, sizeof(lab));
            else
                snprintf(lab, sizeof(lab), "%s", word);
            eg_web_printf(&a->body, "<option value=\"%s\"%r>%s</option>\n", word,
                          i == cur ? " selected" : "", lab);
        }
        eg_buf_adds(&a->body, "</select>\n");
    } else if (f->type == EG_FT_INT) {
        eg_web_printf(&a->body,
                      "<input type=\"number\" id=\"f-%s\" name=\"%s\" value=\"%s\" min=\"%D\" "
                      "max=\"%D\" inputmode=\"numeric\" required",
                      f->name, f->name, value, (long long)f->min, (long long)f->max);
        described_by(a, f, err, fixed);
        eg_buf_adds(&a->body, ">\n");
    } else {
        eg_web_printf(&a->body,
                      "<input type=\"text\" id=\"f-%s\" name=\"%s\" value=\"%s\" "
                      "maxlength=\"%D\" autocomplete=\"off\" spellcheck=\"false\"%r",
                      f->name, f->name, value, (long long)f->max, f->min > 0 ? " required" : "");
        described_by(a, f, err, fixed);
        eg_buf_adds(&a->body, ">\n");
    }
    describe(a, f, err, fixed);
    eg_buf_adds(&a->body, "</div>\n");
}

void eg_admin_fields(eg_admin_t *a, const eg_field_t *f, size_t n, const void *obj,
                     int key_editable, const char *const *errs, const char *const *disabled,
                     const char *const *options)
{
    for (size_t i = 0; i < n; i++) {
        if ((f[i].flags & EG_FF_KEY) && !key_editable)
            continue;
        field(a, &f[i], obj, errs ? errs[i] : NULL, disabled ? disabled[i] : NULL,
              options ? options[i] : NULL);
    }
}

void eg_admin_conflict(eg_admin_t *a, const char *what, const eg_field_t *f, size_t n,
                       const void *mine, const void *current)
{
    int any = 0;
    eg_web_printf(&a->body,
                  "<div class=\"alert error\" role=\"alert\" id=\"conflict\"><p><strong>%s "
                  "changed since you opened it.</strong> Someone saved it after you opened "
                  "this form, so your changes were not saved over theirs. The form below "
                  "shows the current values; make your changes again and save.</p>\n",
                  what);
    for (size_t i = 0; i < n; i++) {
        char m[EG_NAME_LIST_MAX * 2], c[EG_NAME_LIST_MAX * 2];
        eg_admin_value_label(&f[i], mine, m, sizeof(m));
        eg_admin_value_label(&f[i], current, c, sizeof(c));
        if (strcmp(m, c) == 0)
            continue;
        if (!any)
            eg_buf_adds(&a->body, "<p>What you had entered, where it differs:</p>\n<ul>\n");
        any = 1;
        eg_web_printf(&a->body, "<li>%s: <strong>%s</strong> (now %s)</li>\n", label_of(&f[i]), m,
                      c);
    }
    if (any)
        eg_buf_adds(&a->body, "</ul>\n");
    eg_buf_adds(&a->body, "</div>\n");
}

void eg_admin_time(long long t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
        snprintf(buf, len, "-");
        return;
    }
    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* "--min-ttl: 'x' is not ..." reads "'x' is not ..." beside the field it concerns. */
static char *for_field(const eg_field_t *f, const char *err)
{
    size_t n = strlen(f->name);
    if (strncmp(err, "--", 2) == 0 && strncmp(err + 2, f->name, n) == 0 && err[2 + n] == ':') {
        const char *rest = err + 3 + n;
        while (*rest == ' ')
            rest++;
        if (*rest) {
            char *s = eg_strdup(rest);
            s[0] = (char)toupper((unsigned char)s[0]);
            return s;
        }
    }
    return eg_strdup(err);
}

int eg_admin_fields_read(eg_admin_t *a, const eg_field_t *f, size_t n, void *obj, int key_editable,
                         char **errs)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char err[512];
        const char *v;
        eg_buf_t set = {0};
        errs[i] = NULL;
        if ((f[i].flags & EG_FF_KEY) && !key_editable)
            continue;
        if (f[i].type == EG_FT_BOOL) {
            v = eg_web_get(&a->form, f[i].name) ? "true" : "false";
        } else if (f[i].type == EG_FT_SET) {
            for (size_t k = 0; k < a->form.n; k++)
                if (strcmp(a->form.v[k].name, f[i].name) == 0) {
                    if (set.len)
                        eg_buf_add(&set, ",", 1);
                    eg_buf_adds(&set, a->form.v[k].value);
                }
            if (set.len == 0 && eg_web_get(&a->form, "csrf") != NULL) {
                errs[i] = eg_strdup("Choose at least one.");
                bad++;
                continue;
            }
            v = set.data;
        } else {
            v = eg_web_get(&a->form, f[i].name);
        }
        if (v != NULL && eg_field_parse(&f[i], obj, v, err, sizeof(err)) < 0) {
            errs[i] = for_field(&f[i], err);
            bad++;
        }
        eg_buf_free(&set);
    }
    return bad;
}

/* Whether word appears in s on its own (not inside a longer name). */
static int mentions(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(s, word); p; p = strstr(p + 1, word)) {
        int before = p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '-');
        int after = !(isalnum((unsigned char)p[n]) || p[n] == '-');
        if (before && after)
            return 1;
    }
    return 0;
}

int eg_admin_error_field(const eg_field_t *f, size_t n, const char *err)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < n; i++) {
        char single[64];
        size_t len = strlen(f[i].name);
        int hit = mentions(err, f[i].name);
        /* "aliases" is named "alias" in its errors, "ssl-protocols" "ssl-protocol" */
        if (!hit && len > 1 && f[i].name[len - 1] == 's' && len < sizeof(single)) {
            snprintf(single, sizeof(single), "%.*s", (int)(len - 1), f[i].name);
            hit = mentions(err, single);
            if (!hit && len > 2 && f[i].name[len - 2] == 'e') {
                single[len - 2] = '\0';
                hit = mentions(err, single);
            }
        }
        if (hit && len > best_len) {
            best = (int)i;
            best_len = len;
        }
    }
    return best;
}

int eg_admin_refused(eg_admin_t *a, const eg_field_t *f, size_t n, int bad, const char *err,
                     const char *key_hint, char **errs, const char **top)
{
    int i = bad ? -1 : eg_admin_error_field(f, n, err);
    a->status = 400;
    if (!bad && i < 0 && key_hint && strstr(err, key_hint))
        i = 0; /* about the object's name: its key field, first in every table */
    if (i >= 0 && key_hint == NULL && (f[i].flags & EG_FF_KEY))
        i = -1; /* a form without the key field: said above it */
    if (i >= 0 && errs[i] == NULL)
        errs[i] = eg_strdup(err);
    *top = bad || i >= 0 ? "Nothing was saved: correct the fields marked below." : err;
    return i;
}

void eg_admin_gone(eg_admin_t *a, const char *what, const char *name)
{
    a->status = 409;
    eg_web_printf(&a->body,
                  "<p class=\"alert error\" role=\"alert\">%s %s was deleted since "
                  "you opened it; nothing was saved.</p>\n",
                  what, name);
}

long long eg_admin_form_rev(eg_admin_t *a)
{
    const char *r = eg_web_get(&a->form, "rev");
    char *end;
    long long v;
    if (r == NULL || *r < '1' || *r > '9')
        return LLONG_MAX;
    errno = 0;
    v = strtoll(r, &end, 10);
    return errno || *end || v < 1 ? LLONG_MAX : v;
}

void eg_admin_errs_free(char **errs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(errs[i]);
        errs[i] = NULL;
    }
}
