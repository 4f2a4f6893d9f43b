/* eg_conf_diff: what importing a distribution would change, one line per change, in the
 * words the audit uses ("name: old -> new"), for egctl import --dry-run and the console's
 * import preview. Origins are matched by id, behaviors by path pattern. */
#include "edgegate/common.h"
#include "conf_int.h"

/* What an add sets, without the key the line already names ("id: web; " dropped). */
static void settings(const eg_field_t *f, size_t n, const void *obj, size_t size, eg_buf_t *out)
{
    eg_buf_t b = {0};
    const char *p;
    eg_fields_settings(f, n, obj, size, &b);
    p = b.data ? b.data : "";
    if ((f[0].flags & EG_FF_KEY) && strncmp(p, f[0].name, strlen(f[0].name)) == 0) {
        const char *semi = strstr(p, "; ");
        p = semi ? semi + 2 : "";
    }
    if (*p)
        eg_buf_printf(out, " (%s)", p);
    eg_buf_free(&b);
}

static const eg_origin_t *origin_in(const eg_dist_t *d, const char *id)
{
    for (size_t i = 0; d && i < d->n_origins; i++)
        if (strcmp(d->origins[i].id, id) == 0)
            return &d->origins[i];
    return NULL;
}

static const eg_behavior_t *behavior_in(const eg_dist_t *d, const char *pattern, size_t *pos)
{
    for (size_t i = 0; d && i < d->n_behaviors; i++)
        if (strcmp(d->behaviors[i].path_pattern, pattern) == 0) {
            if (pos)
                *pos = i;
            return &d->behaviors[i];
        }
    return NULL;
}

/* The non-default patterns of a that b has too, in a's order, joined by ", ". */
static void common_order(const eg_dist_t *a, const eg_dist_t *b, eg_buf_t *out)
{
    size_t shown = 0;
    for (size_t i = 0; i < a->n_behaviors; i++) {
        const char *p = a->behaviors[i].path_pattern;
        if (strcmp(p, "*") == 0 || behavior_in(b, p, NULL) == NULL)
            continue;
        eg_buf_printf(out, "%s%s", shown++ ? ", " : "", p);
    }
}

static size_t diff_info(const eg_dist_t *cur, const eg_dist_t *next, eg_buf_t *out)
{
    eg_buf_t b = {0};
    size_t lines = 0;
    if (cur == NULL) {
        eg_buf_printf(out, "distribution %s: created", next->info.id);
        settings(eg_dist_fields, eg_dist_nfields, &next->info, sizeof(next->info), out);
        eg_buf_adds(out, "\n");
        return 1;
    }
    if (eg_fields_changes(eg_dist_fields, eg_dist_nfields, &cur->info, &next->info, &b)) {
        eg_buf_printf(out, "distribution %s: %s\n", next->info.id, b.data);
        lines++;
    }
    eg_buf_free(&b);
    return lines;
}

static size_t diff_origins(const eg_dist_t *cur, const eg_dist_t *next, eg_buf_t *out)
{
    size_t lines = 0;
    for (size_t i = 0; i < next->n_origins; i++) {
        const eg_origin_t *o = &next->origins[i], *old = origin_in(cur, o->id);
        eg_buf_t b = {0};
        if (old == NULL) {
            eg_buf_printf(out, "origin %s: added", o->id);
            settings(eg_origin_fields, eg_origin_nfields, o, sizeof(*o), out);
            eg_buf_adds(out, "\n");
            lines++;
        } else if (eg_fields_changes(eg_origin_fields, eg_origin_nfields, old, o, &b)) {
            eg_buf_printf(out, "origin %s: changed: %s\n", o->id, b.data);
            lines++;
        }
        eg_buf_free(&b);
    }
    for (size_t i = 0; cur && i < cur->n_origins; i++)
        if (origin_in(next, cur->origins[i].id) == NULL) {
            eg_buf_printf(out, "origin %s: removed\n", cur->origins[i].id);
            lines++;
        }
    return lines;
}

static size_t diff_behaviors(const eg_dist_t *cur, const eg_dist_t *next, eg_buf_t *out)
{
    size_t lines = 0;
    for (size_t i = 0; i < next->n_behaviors; i++) {
        const eg_behavior_t *b = &next->behaviors[i];
        const eg_behavior_t *old = behavior_in(cur, b->path_pattern, NULL);
        eg_buf_t c = {0};
        if (old == NULL) {
            if (strcmp(b->path_pattern, "*") == 0)
                eg_buf_adds(out, "behavior *: added (the default)");
            else
                eg_buf_printf(out, "behavior %s: added at %zu", b->path_pattern, i);
            settings(eg_behavior_fields, eg_behavior_nfields, b, sizeof(*b), out);
            eg_buf_adds(out, "\n");
            lines++;
        } else if (eg_fields_changes(eg_behavior_fields, eg_behavior_nfields, old, b, &c)) {
            eg_buf_printf(out, "behavior %s: changed: %s\n", b->path_pattern, c.data);
            lines++;
        }
        eg_buf_free(&c);
    }
    for (size_t i = 0; cur && i < cur->n_behaviors; i++)
        if (behavior_in(next, cur->behaviors[i].path_pattern, NULL) == NULL) {
            eg_buf_printf(out, "behavior %s: removed\n", cur->behaviors[i].path_pattern);
            lines++;
        }
    if (cur) {
        /* the behaviors both have, when they come in another order */
        eg_buf_t was = {0}, now = {0};
        common_order(cur, next, &was);
        common_order(next, cur, &now);
        if (was.data && now.data && strcmp(was.data, now.data) != 0) {
            eg_buf_printf(out, "behaviors: order %s -> %s\n", was.data, now.data);
            lines++;
        }
        eg_buf_free(&was);
        eg_buf_free(&now);
    }
    return lines;
}

size_t eg_conf_diff(const eg_dist_t *cur, const eg_dist_t *next, eg_buf_t *out)
{
    if (cur && cur->info.id[0] == '\0')
        cur = NULL;
    return diff_info(cur, next, out) + diff_origins(cur, next, out) +
           diff_behaviors(cur, next, out);
}

const char *eg_conf_kind_name(int kind)
{
    static const char *const names[] = {"CloudFront 2020-05-31 XML", "CloudFront 2010-11-01 XML",
                                        "CloudFront JSON"};
    return kind >= 0 && kind <= EG_CONF_KIND_JSON ? names[kind] : "?";
}

void eg_conf_summary(const char *source, int kind, const char *diff, size_t changes,
                     eg_buf_t *out)
{
    eg_buf_printf(out, "from %s (%s): %zu change%s", source, eg_conf_kind_name(kind), changes,
                  changes == 1 ? "" : "s");
    for (const char *line = diff; changes && line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        eg_buf_adds(out, line == diff ? ": " : "; ");
        eg_buf_add(out, line, n);
        line += n + (nl != NULL);
    }
}
