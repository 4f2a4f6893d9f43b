/* egctl: edit edgegate's distributions, origins, cache behaviors and invalidations from shell
 * scripts, and the console's operators. Options for distribution, origin and behavior fields
 * come from the settings tables in gateway/config.c, so egctl, the database and the worker
 * always agree on names and values. Every change is audited as "unix:<login name>". */
#include <ctype.h>
#include <pwd.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "edgegate/auth.h"
#include "edgegate/buf.h"
#include "edgegate/common.h"
#include "edgegate/conf.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "edgegate/origin.h"
#include "edgegate/pattern.h"
#include "edgegate/policy_try.h"
#include "edgegate/uri.h"
#include "egctl.h"

int egctl_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("egctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static void field_help(FILE *out, const eg_field_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char left[64];
        if (f[i].flags & EG_FF_KEY)
            continue;
        snprintf(left, sizeof(left), "--%s VALUE", f[i].name);
        fprintf(out, "      %-30s %s", left, f[i].help);
        if (f[i].def)
            fprintf(out, " [%s]", f[i].def[0] ? f[i].def : "\"\"");
        fputc('\n', out);
    }
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: egctl [--db PATH] [--dist ID] [--json] COMMAND [ARGS]\n\n"
            "Edits edgegate's configuration. Changes reach a running edgegate within a second.\n"
            "--db defaults to $EDGEGATE_DB, else var/edgegate.db; --dist to 'default'.\n\n"
            "Commands:\n"
            "  init                              create the database and the default "
            "distribution\n"
            "  dist add|set ID [OPTIONS]\n"
            "  dist list | dist rm ID [--force]   (--force: also when it still has origins or "
            "behaviors)\n");
    field_help(out, eg_dist_fields, eg_dist_nfields);
    fprintf(out, "  origin add ID --domain NAME [OPTIONS]   (the first origin becomes the target "
                 "of the default behavior *)\n"
                 "  origin set ID [OPTIONS] [--invalidate]\n"
                 "  origin list | origin rm ID\n");
    field_help(out, eg_origin_fields, eg_origin_nfields);
    fprintf(out, "  behavior add PATTERN --origin ID [OPTIONS] [--at N]\n"
                 "  behavior set PATTERN [OPTIONS]          (the default behavior is '*')\n"
                 "  behavior move PATTERN --to N\n"
                 "  behavior list | behavior rm PATTERN\n"
                 "      PATTERN: A-Z a-z 0-9 _ - . * ? $ / ~ \" ' @ : + & (as CloudFront); saved "
                 "normalized\n"
                 "      like request paths (leading /, no ./ or ../, no //)\n");
    field_help(out, eg_behavior_fields, eg_behavior_nfields);
    fprintf(out, "      Forwarding a cookie or header without keying the cache on it "
                 "(--origin-cookies,\n"
                 "      --origin-headers) means the origin must mark answers that differ per "
                 "viewer\n"
                 "      Cache-Control: private or no-store; edgegate never stores those "
                 "(min-ttl stays 0),\n"
                 "      else one viewer's answer is served to another.\n");
    fprintf(out, "  invalidate PATH... [--caller-reference REF]   remove cached objects "
                 "(* only at the end)\n"
                 "  invalidations                     list invalidations and their status\n"
                 "  try METHOD URL|PATH [--https] [--http10]   what edgegate would answer: the\n"
                 "                                    behavior that matches and 301/307/403 or the\n"
                 "                                    origin (a PATH is asked over HTTP with the\n"
                 "                                    first alias, else www.example.com, as Host)\n"
                 "  export [--format xml|json]        the distribution (--dist) as CloudFront's\n"
                 "                                    DistributionConfig: 2020-05-31 XML, or JSON as\n"
                 "                                    aws cloudfront get-distribution-config prints it\n"
                 "  import FILE|- [--dry-run] [--strict]   make the distribution (--dist; created\n"
                 "                                    when missing) what FILE says: 2020-05-31 or\n"
                 "                                    2010-11-01 XML, or JSON (recognised by content);\n"
                 "                                    all or nothing. Prints the changes; --dry-run\n"
                 "                                    writes nothing; settings edgegate does not have\n"
                 "                                    are listed as ignored, or refused with --strict\n"
                 "  user add|passwd NAME              an operator of the console; the password "
                 "is read\n"
                 "                                    from standard input (one line), asked "
                 "twice on a terminal\n"
                 "  user list | user rm NAME          (rm signs the user out everywhere)\n"
                 "  audit [--limit N]                 who changed what, newest first (50 "
                 "rows; with --dist\n"
                 "                                    only that distribution's)\n\n"
                 "egctl's changes are audited as unix:<login name>. A set refused because "
                 "someone changed\nthe object meanwhile writes nothing; run it again.\n\n"
                 "Exit status: 0 on success, 1 with a one-line reason on stderr otherwise.\n");
}

const char *egctl_opt(ctl_t *c, const char *name)
{
    for (int i = 0; i < c->nopts; i++)
        if (strcmp(c->names[i], name) == 0)
            return c->values[i];
    return NULL;
}

/* Every option given must be one this command knows. */
int egctl_check_opts(ctl_t *c, const eg_field_t *fields, size_t n, const char *const *extra)
{
    for (int i = 0; i < c->nopts; i++) {
        const eg_field_t *f = fields ? eg_field_find(fields, n, c->names[i]) : NULL;
        int ok = f && !(f->flags & EG_FF_KEY);
        for (const char *const *e = extra; !ok && e && *e; e++)
            ok = strcmp(*e, c->names[i]) == 0;
        if (!ok)
            return egctl_fail("unknown option --%s for this command (egctl --help lists them)",
                        c->names[i]);
    }
    return 0;
}

static int apply_opts(ctl_t *c, const eg_field_t *fields, size_t n, void *obj)
{
    char err[512];
    for (int i = 0; i < c->nopts; i++) {
        const eg_field_t *f = eg_field_find(fields, n, c->names[i]);
        if (f == NULL || (f->flags & EG_FF_KEY))
            continue;
        if (eg_field_parse(f, obj, c->values[i], err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
    }
    return 0;
}

int egctl_need_pos(ctl_t *c, int n, const char *what)
{
    if (c->npos != n)
        return egctl_fail("%s", what);
    return 0;
}

/* A write's failure. A set carries the revision it read, so a change someone made meanwhile
 * (the console, another egctl) is refused rather than overwritten: say what to do then. */
static int write_failed(int r, const char *err)
{
    if (r == EG_DB_CONFLICT)
        return egctl_fail("%s; run the command again to apply it to the current values", err);
    return egctl_fail("%s", err);
}

/* --- output ----------------------------------------------------------------------------- */

static void print_objects(ctl_t *c, const eg_field_t *f, size_t nf, const void *objs, size_t n,
                          size_t size, int numbered)
{
    char buf[2048];
    if (c->json) {
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *row = json_object(), *fields;
            if (numbered)
                json_object_set_new(row, "position", json_integer((json_int_t)i));
            fields = egctl_json_fields(f, nf, (const char *)objs + i * size);
            json_object_update(row, fields);
            json_decref(fields);
            json_array_append_new(rows, row);
        }
        egctl_json_print(rows);
        return;
    }
    {
        size_t width[32] = {0};
        size_t cols = 0;
        const eg_field_t *shown[32];
        for (size_t j = 0; j < nf && cols < 32; j++)
            if (f[j].flags & EG_FF_LIST)
                shown[cols++] = &f[j];
        for (size_t j = 0; j < cols; j++) {
            width[j] = strlen(shown[j]->name);
            for (size_t i = 0; i < n; i++) {
                eg_field_format(shown[j], (const char *)objs + i * size, buf, sizeof(buf));
                if (strlen(buf) > width[j])
                    width[j] = strlen(buf);
            }
        }
        if (numbered)
            printf("%-4s", "#");
        for (size_t j = 0; j < cols; j++) {
            char up[64];
            size_t k;
            for (k = 0; shown[j]->name[k] && k < sizeof(up) - 1; k++)
                up[k] = (char)toupper((unsigned char)shown[j]->name[k]);
            up[k] = '\0';
            if (j + 1 < cols)
                printf("%-*s  ", (int)width[j], up);
            else
                printf("%s\n", up);
        }
        for (size_t i = 0; i < n; i++) {
            const void *o = (const char *)objs + i * size;
            if (numbered) {
                if (numbered && i + 1 == n && f == eg_behavior_fields)
                    printf("%-4s", "-");
                else
                    printf("%-4zu", i);
            }
            for (size_t j = 0; j < cols; j++) {
                eg_field_format(shown[j], o, buf, sizeof(buf));
                if (buf[0] == '\0')
                    snprintf(buf, sizeof(buf), "-");
                if (j + 1 < cols)
                    printf("%-*s  ", (int)width[j], buf);
                else
                    printf("%s\n", buf);
            }
        }
    }
}

/* CloudFront: choose match-viewer only with redirect-to-https or https-only; and the
 * behaviors that can never match. */
void egctl_warn_config(ctl_t *c)
{
    eg_origin_t *os = NULL;
    eg_behavior_t *bs = NULL;
    size_t no = 0, nb = 0;
    char err[256];
    if (eg_db_origin_list(c->db, c->dist, &os, &no, err, sizeof(err)) < 0 ||
        eg_db_behavior_list(c->db, c->dist, &bs, &nb, err, sizeof(err)) < 0)
        goto out;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < no; j++)
            if (strcmp(bs[i].origin_id, os[j].id) == 0 && os[j].protocol == EG_OPP_MATCH_VIEWER &&
                bs[i].viewer_protocol == EG_VPP_ALLOW_ALL)
                fprintf(stderr,
                        "egctl: warning: behavior %s allows HTTP viewers (allow-all) and its "
                        "origin %s uses match-viewer, so HTTP viewers reach the origin over "
                        "HTTP; choose match-viewer only with redirect-to-https or https-only\n",
                        bs[i].path_pattern, os[j].id);
    /* as the console's Behaviors tab: one that an earlier pattern covers never matches */
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < i && strcmp(bs[i].path_pattern, "*") != 0; j++)
            if (eg_pattern_covers(bs[j].path_pattern, bs[i].path_pattern)) {
                fprintf(stderr,
                        "egctl: warning: behavior %s can never match: %s, evaluated before "
                        "it, matches every path it matches (move it above, or remove it)\n",
                        bs[i].path_pattern, bs[j].path_pattern);
                break;
            }
out:
    free(os);
    free(bs);
}

/* --- commands ----------------------------------------------------------------------------- */

static int cmd_dist(ctl_t *c, const char *sub)
{
    static const char *const none[] = {NULL};
    eg_dist_info_t d;
    char err[512];
    int r;
    if (strcmp(sub, "list") == 0) {
        eg_dist_info_t *all = NULL;
        size_t n = 0;
        if (egctl_need_pos(c, 0, "usage: egctl dist list") || egctl_check_opts(c, NULL, 0, none))
            return 1;
        if (eg_db_dist_list(c->db, &all, &n, err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
        print_objects(c, eg_dist_fields, eg_dist_nfields, all, n, sizeof(*all), 0);
        free(all);
        return 0;
    }
    if (egctl_need_pos(c, 1, "usage: egctl dist add|set|rm ID"))
        return 1;
    if (strcmp(sub, "rm") == 0) {
        static const char *const rm_extra[] = {"force", NULL};
        if (egctl_check_opts(c, NULL, 0, rm_extra))
            return 1;
        return eg_db_dist_rm(c->db, c->pos[0], egctl_opt(c, "force") != NULL, err, sizeof(err)) < 0
                   ? egctl_fail("%s", err)
                   : 0;
    }
    if (egctl_check_opts(c, eg_dist_fields, eg_dist_nfields, none))
        return 1;
    memset(&d, 0, sizeof(d));
    if (strcmp(sub, "add") == 0) {
        eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d);
    } else if (strcmp(sub, "set") == 0) {
        r = eg_db_dist_get(c->db, c->pos[0], &d, err, sizeof(err));
        if (r <= 0)
            return egctl_fail("%s", r < 0 ? err : "no such distribution");
    } else {
        return egctl_fail("unknown command: dist %s", sub);
    }
    if (eg_strlcpy(d.id, c->pos[0], sizeof(d.id)) < 0)
        return egctl_fail("distribution id is too long");
    if (apply_opts(c, eg_dist_fields, eg_dist_nfields, &d))
        return 1;
    if ((r = eg_db_dist_put(c->db, &d, strcmp(sub, "add") == 0, err, sizeof(err))) < 0)
        return write_failed(r, err);
    return 0;
}

static int invalidate_paths(ctl_t *c, const char *const *paths, size_t n, const char *ref);

static int cmd_origin(ctl_t *c, const char *sub)
{
    static const char *const none[] = {NULL};
    static const char *const set_extra[] = {"invalidate", NULL};
    eg_origin_t o, before;
    char err[512];
    int r, create;
    if (strcmp(sub, "list") == 0) {
        eg_origin_t *all = NULL;
        size_t n = 0;
        if (egctl_need_pos(c, 0, "usage: egctl origin list") || egctl_check_opts(c, NULL, 0, none))
            return 1;
        if (eg_db_origin_list(c->db, c->dist, &all, &n, err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
        print_objects(c, eg_origin_fields, eg_origin_nfields, all, n, sizeof(*all), 0);
        free(all);
        return 0;
    }
    if (egctl_need_pos(c, 1, "usage: egctl origin add|set|rm ID ..."))
        return 1;
    if (strcmp(sub, "rm") == 0) {
        if (egctl_check_opts(c, NULL, 0, none))
            return 1;
        return eg_db_origin_rm(c->db, c->dist, c->pos[0], err, sizeof(err)) < 0 ? egctl_fail("%s", err)
                                                                                 : 0;
    }
    create = strcmp(sub, "add") == 0;
    if (!create && strcmp(sub, "set") != 0)
        return egctl_fail("unknown command: origin %s", sub);
    if (egctl_check_opts(c, eg_origin_fields, eg_origin_nfields, create ? none : set_extra))
        return 1;
    memset(&o, 0, sizeof(o));
    if (create) {
        eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &o);
        if (egctl_opt(c, "domain") == NULL)
            return egctl_fail("origin add needs --domain NAME");
        /* s3 origins always match the viewer; s3-website ones are HTTP only */
        if (egctl_opt(c, "type") && egctl_opt(c, "protocol") == NULL) {
            if (strcmp(egctl_opt(c, "type"), "s3") == 0)
                o.protocol = EG_OPP_MATCH_VIEWER;
        }
    } else {
        r = eg_db_origin_get(c->db, c->dist, c->pos[0], &o, err, sizeof(err));
        if (r < 0)
            return egctl_fail("%s", err);
        if (r == 0)
            return egctl_fail("no origin %s in distribution %s", c->pos[0], c->dist);
    }
    before = o;
    if (eg_strlcpy(o.id, c->pos[0], sizeof(o.id)) < 0)
        return egctl_fail("origin id is too long");
    if (apply_opts(c, eg_origin_fields, eg_origin_nfields, &o))
        return 1;
    if (eg_origin_tls_check_protocols(o.ssl_protocols, err, sizeof(err)) < 0)
        return egctl_fail("origin %s: %s", o.id, err);
    if ((r = eg_db_origin_put(c->db, c->dist, &o, create, err, sizeof(err))) < 0)
        return write_failed(r, err);
    egctl_warn_config(c);
    if (!create && egctl_opt(c, "invalidate")) { /* whatever changed: what was asked is done */
        const char *all[] = {"/*"};
        return invalidate_paths(c, all, 1, NULL);
    }
    if (!create && before.protocol == EG_OPP_HTTP_ONLY && o.protocol != EG_OPP_HTTP_ONLY) {
        fprintf(stderr,
                "egctl: origin %s now uses HTTPS. Objects cached while it was reached over "
                "HTTP are still served, to HTTP and HTTPS viewers alike (the cache is "
                "protocol-agnostic); to serve only objects fetched over HTTPS, invalidate "
                "them: egctl --dist %s invalidate '/*' (or repeat this command with "
                "--invalidate)\n",
                o.id, c->dist);
    }
    return 0;
}

/* The stored pattern an rm/set/move names: its normalized form, or exactly what was typed
 * for a behavior saved before patterns were normalized (so it can still be changed or
 * removed). 0 with the pattern, or 1 after printing why not. */
static int existing_pattern(ctl_t *c, const char *given, char *pattern, size_t len)
{
    char err[512], nerr[512];
    eg_behavior_t b;
    int normalized = eg_pattern_normalize(given, pattern, len, nerr, sizeof(nerr)) == 0;
    int r;
    if (normalized) {
        r = eg_db_behavior_get(c->db, c->dist, pattern, &b, err, sizeof(err));
        if (r < 0)
            return egctl_fail("%s", err);
        if (r == 1)
            return 0;
    }
    r = eg_db_behavior_get(c->db, c->dist, given, &b, err, sizeof(err));
    if (r < 0)
        return egctl_fail("%s", err);
    if (r == 1) {
        if (eg_strlcpy(pattern, given, len) < 0)
            return egctl_fail("path pattern is too long");
        return 0;
    }
    /* not found either way: the normalizer's reason, or the database's "no behavior" */
    return normalized ? 0 : egctl_fail("%s", nerr);
}

/* A behavior that forwards what its cache key does not hold is only safe when the origin
 * marks per-viewer answers private; say so whenever such a behavior is saved. */
static void warn_unkeyed(const eg_behavior_t *b)
{
    if (strcmp(b->origin_headers, "none") == 0 && strcmp(b->origin_cookies, "none") == 0)
        return;
    fprintf(stderr,
            "egctl: note: behavior %s forwards %s%s%s to the origin without keying the cache on "
            "them; the origin must mark answers that differ per viewer Cache-Control: private "
            "or no-store (edgegate never stores those), else one viewer's answer is served to "
            "another\n",
            b->path_pattern, strcmp(b->origin_headers, "none") ? "headers" : "",
            strcmp(b->origin_headers, "none") && strcmp(b->origin_cookies, "none") ? " and " : "",
            strcmp(b->origin_cookies, "none") ? "cookies" : "");
}

static int cmd_behavior(ctl_t *c, const char *sub)
{
    static const char *const none[] = {NULL};
    static const char *const add_extra[] = {"at", NULL};
    static const char *const move_extra[] = {"to", NULL};
    eg_behavior_t b;
    char err[512], pattern[EG_PATH_MAX];
    int r;
    if (strcmp(sub, "list") == 0) {
        eg_behavior_t *all = NULL;
        size_t n = 0;
        if (egctl_need_pos(c, 0, "usage: egctl behavior list") || egctl_check_opts(c, NULL, 0, none))
            return 1;
        if (eg_db_behavior_list(c->db, c->dist, &all, &n, err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
        print_objects(c, eg_behavior_fields, eg_behavior_nfields, all, n, sizeof(*all), 1);
        free(all);
        return 0;
    }
    if (egctl_need_pos(c, 1, "usage: egctl behavior add|set|move|rm PATTERN ..."))
        return 1;
    if (strcmp(sub, "add") == 0) {
        if (eg_pattern_normalize(c->pos[0], pattern, sizeof(pattern), err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
    } else if (existing_pattern(c, c->pos[0], pattern, sizeof(pattern))) {
        return 1;
    }
    if (strcmp(sub, "rm") == 0) {
        if (egctl_check_opts(c, NULL, 0, none))
            return 1;
        return eg_db_behavior_rm(c->db, c->dist, pattern, err, sizeof(err)) < 0 ? egctl_fail("%s", err)
                                                                               : 0;
    }
    if (strcmp(sub, "move") == 0) {
        const char *to = egctl_opt(c, "to");
        char *end;
        long v;
        if (egctl_check_opts(c, NULL, 0, move_extra))
            return 1;
        if (to == NULL)
            return egctl_fail("behavior move needs --to N");
        v = strtol(to, &end, 10);
        if (*to == '\0' || *end || v < 0 || v > 10000)
            return egctl_fail("--to: '%s' is not a position (0 is evaluated first)", to);
        if (eg_db_behavior_move(c->db, c->dist, pattern, (int)v, err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
        egctl_warn_config(c);
        return 0;
    }
    memset(&b, 0, sizeof(b));
    if (strcmp(sub, "add") == 0) {
        const char *at = egctl_opt(c, "at");
        long pos = -1;
        if (egctl_check_opts(c, eg_behavior_fields, eg_behavior_nfields, add_extra))
            return 1;
        if (egctl_opt(c, "origin") == NULL)
            return egctl_fail("behavior add needs --origin ID");
        if (at) {
            char *end;
            pos = strtol(at, &end, 10);
            if (*at == '\0' || *end || pos < 0 || pos > 10000)
                return egctl_fail("--at: '%s' is not a position (0 is evaluated first)", at);
        }
        eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
        snprintf(b.path_pattern, sizeof(b.path_pattern), "%s", pattern);
        if (apply_opts(c, eg_behavior_fields, eg_behavior_nfields, &b))
            return 1;
        if (eg_db_behavior_add(c->db, c->dist, &b, (int)pos, err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
    } else if (strcmp(sub, "set") == 0) {
        if (egctl_check_opts(c, eg_behavior_fields, eg_behavior_nfields, none))
            return 1;
        r = eg_db_behavior_get(c->db, c->dist, pattern, &b, err, sizeof(err));
        if (r < 0)
            return egctl_fail("%s", err);
        if (r == 0)
            return egctl_fail("no behavior with path pattern %s in distribution %s", pattern, c->dist);
        if (apply_opts(c, eg_behavior_fields, eg_behavior_nfields, &b))
            return 1;
        if ((r = eg_db_behavior_update(c->db, c->dist, &b, err, sizeof(err))) < 0)
            return write_failed(r, err);
    } else {
        return egctl_fail("unknown command: behavior %s", sub);
    }
    egctl_warn_config(c);
    warn_unkeyed(&b);
    return 0;
}

static int invalidate_paths(ctl_t *c, const char *const *given, size_t n, const char *ref)
{
    char err[512], refbuf[64];
    long long id;
    /* stored as the front keys objects: normalized, so "/a/./b" removes "/a/b" */
    char(*norm)[EG_URI_MAX + 1] = eg_calloc(n, sizeof(*norm));
    const char **paths = eg_calloc(n, sizeof(*paths));
    int rc = 1;
    for (size_t i = 0; i < n; i++) {
        if (eg_invalidation_path_normalize(given[i], norm[i], sizeof(norm[i]), err,
                                           sizeof(err)) < 0) {
            egctl_fail("%s", err);
            goto out;
        }
        paths[i] = norm[i];
    }
    if (ref == NULL) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(refbuf, sizeof(refbuf), "egctl-%lld%09ld-%d", (long long)ts.tv_sec, ts.tv_nsec,
                 (int)getpid());
        ref = refbuf;
    }
    if (eg_db_invalidation_create(c->db, c->dist, paths, n, ref, &id, err, sizeof(err)) < 0) {
        egctl_fail("%s", err);
        goto out;
    }
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(id));
        json_object_set_new(o, "caller_reference", egctl_json_str(ref));
        json_object_set_new(o, "status", json_string("InProgress"));
        egctl_json_print(o);
    } else
        printf("invalidation %lld InProgress (caller reference %s)\n", id, ref);
    rc = 0;
out:
    free(norm);
    free(paths);
    return rc;
}

static int cmd_invalidations(ctl_t *c)
{
    eg_invalidation_t *v = NULL;
    size_t n = 0;
    char err[512];
    if (eg_db_invalidation_list(c->db, c->dist, 0, &v, &n, err, sizeof(err)) < 0)
        return egctl_fail("%s", err);
    if (c->json) {
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object(), *paths = json_array();
            json_object_set_new(o, "id", json_integer(v[i].id));
            json_object_set_new(o, "caller_reference", egctl_json_str(v[i].caller_reference));
            json_object_set_new(o, "status", egctl_json_str(v[i].status));
            json_object_set_new(o, "created_at", json_integer(v[i].created_at));
            for (size_t j = 0; j < v[i].n_paths; j++)
                json_array_append_new(paths, egctl_json_str(v[i].paths[j]));
            json_object_set_new(o, "paths", paths);
            json_array_append_new(rows, o);
        }
        egctl_json_print(rows);
    } else {
        printf("%-6s  %-11s  %-30s  %s\n", "ID", "STATUS", "CALLER-REFERENCE", "PATHS");
        for (size_t i = 0; i < n; i++) {
            printf("%-6lld  %-11s  %-30s  ", v[i].id, v[i].status, v[i].caller_reference);
            for (size_t j = 0; j < v[i].n_paths; j++)
                printf("%s%s", j ? " " : "", v[i].paths[j]);
            putchar('\n');
        }
    }
    eg_db_invalidations_free(v, n);
    return 0;
}

/* --- operators -------------------------------------------------------------------------- */

/* The terminal's settings while echo is off, put back on the way out, or by a signal that
 * ends egctl at the prompt (else the shell would be left without echo). */
static struct termios saved_tty;
static volatile sig_atomic_t tty_quiet;

static void tty_restore(void)
{
    if (tty_quiet)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
    tty_quiet = 0;
}

static void tty_signal(int sig)
{
    tty_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void line_free(char *line)
{
    if (line) {
        explicit_bzero(line, strlen(line));
        free(line);
    }
}

/* One line of standard input without its line break into *line (owned: wiped and freed by
 * line_free); on a terminal after prompt, with echo off. 0, or 1 after saying why. */
static int read_line(int tty, const char *prompt, char **line)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};
    struct termios quiet;
    size_t cap = 0;
    ssize_t n;
    int rc = 1;
    *line = NULL;
    if (tty) {
        if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
            return egctl_fail("cannot read the terminal's settings: %s", strerror(errno));
        for (size_t i = 0; i < EG_ARRAY_LEN(sigs); i++)
            signal(sigs[i], tty_signal);
        quiet = saved_tty;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL; /* the Enter still moves to the next line */
        fputs(prompt, stderr);
        fflush(stderr);
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0)
            return egctl_fail("cannot turn the terminal's echo off: %s", strerror(errno));
        tty_quiet = 1;
    }
    n = getline(line, &cap, stdin);
    tty_restore();
    if (n < 0) {
        egctl_fail("no password on standard input (give it as one line)");
        goto out;
    }
    if (n > 0 && (*line)[n - 1] == '\n')
        (*line)[--n] = '\0';
    if (n > 0 && (*line)[n - 1] == '\r')
        (*line)[--n] = '\0';
    if ((size_t)n != strlen(*line)) {
        egctl_fail("the password holds a NUL byte");
        goto out;
    }
    rc = 0;
out:
    if (rc) { /* what getline left, all of it: on EOF it need not be a string */
        if (*line)
            explicit_bzero(*line, cap);
        free(*line);
        *line = NULL;
    }
    return rc;
}

/* The new password of user add and passwd: from standard input, twice on a terminal, and
 * acceptable to eg_auth_password_ok. 0 with *password (line_free it), or 1. */
static int new_password(char **password)
{
    int tty = isatty(STDIN_FILENO);
    char *again = NULL, err[256];
    *password = NULL;
    if (read_line(tty, "Password: ", password))
        return 1;
    if (eg_auth_password_ok(*password, err, sizeof(err)) < 0)
        goto refused;
    if (tty) {
        if (read_line(tty, "Password (again): ", &again))
            goto fail;
        if (strcmp(*password, again) != 0) {
            snprintf(err, sizeof(err), "the two passwords differ");
            goto refused;
        }
        line_free(again);
    }
    return 0;
refused:
    egctl_fail("%s; nothing was changed", err);
fail:
    line_free(again);
    line_free(*password);
    *password = NULL;
    return 1;
}

static int cmd_user(ctl_t *c, const char *sub)
{
    static const char *const none[] = {NULL};
    char err[512], hash[EG_AUTH_HASH_MAX], *password = NULL;
    int r, create;
    if (egctl_check_opts(c, NULL, 0, none))
        return 1;
    if (strcmp(sub, "list") == 0) {
        char(*names)[EG_USER_MAX] = NULL;
        size_t n = 0;
        if (egctl_need_pos(c, 0, "usage: egctl user list"))
            return 1;
        if (eg_db_user_list(c->db, &names, &n, err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
        if (c->json) {
            json_t *rows = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(rows, egctl_json_str(names[i]));
            egctl_json_print(rows);
        } else {
            for (size_t i = 0; i < n; i++)
                puts(names[i]);
        }
        free(names);
        return 0;
    }
    if (egctl_need_pos(c, 1, "usage: egctl user add|passwd|rm NAME"))
        return 1;
    if (strcmp(sub, "rm") == 0)
        return eg_db_user_rm(c->db, c->pos[0], err, sizeof(err)) < 0 ? egctl_fail("%s", err) : 0;
    create = strcmp(sub, "add") == 0;
    if (!create && strcmp(sub, "passwd") != 0)
        return egctl_fail("unknown command: user %s", sub);
    /* before the password is asked for: a typo in the name is told at once */
    r = eg_db_user_get(c->db, c->pos[0], hash, sizeof(hash), err, sizeof(err));
    if (r < 0)
        return egctl_fail("%s", err);
    if (create && r == 1)
        return egctl_fail("user %s already exists (egctl user passwd %s changes the password)", c->pos[0],
                    c->pos[0]);
    if (!create && r == 0)
        return egctl_fail("no user %s (egctl user list shows them)", c->pos[0]);
    if (new_password(&password))
        return 1;
    r = eg_auth_hash(password, hash, sizeof(hash), err, sizeof(err));
    line_free(password);
    if (r < 0)
        return egctl_fail("%s", err);
    if (eg_db_user_put(c->db, c->pos[0], hash, create, err, sizeof(err)) < 0)
        return egctl_fail("%s", err);
    return 0;
}

/* --- audit ---------------------------------------------------------------------------- */

static void iso_time(long long at, char *buf, size_t len)
{
    time_t t = (time_t)at;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%lld", at);
}

static int cmd_audit(ctl_t *c)
{
    static const char *const extra[] = {"limit", NULL};
    const char *lim = egctl_opt(c, "limit");
    eg_audit_t *v = NULL;
    size_t n = 0, w[5] = {4, 5, 12, 6, 6};
    char err[512], when[32];
    long limit = 50;
    if (egctl_check_opts(c, NULL, 0, extra) || egctl_need_pos(c, 0, "usage: egctl audit [--limit N]"))
        return 1;
    if (lim) {
        char *end;
        limit = strtol(lim, &end, 10);
        if (*lim == '\0' || *end || limit < 1 || limit > 100000)
            return egctl_fail("--limit: '%s' is not a number of rows from 1 to 100000", lim);
    }
    if (eg_db_audit_list(c->db, c->dist_given ? c->dist : NULL, (int)limit, &v, &n, err,
                         sizeof(err)) < 0)
        return egctl_fail("%s", err);
    if (c->json) {
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            iso_time(v[i].at, when, sizeof(when));
            json_object_set_new(o, "id", json_integer(v[i].id));
            json_object_set_new(o, "time", json_string(when));
            json_object_set_new(o, "at", json_integer(v[i].at));
            json_object_set_new(o, "actor", egctl_json_str(v[i].actor));
            json_object_set_new(o, "dist", egctl_json_str(v[i].dist_id));
            json_object_set_new(o, "action", egctl_json_str(v[i].action));
            json_object_set_new(o, "object", egctl_json_str(v[i].object));
            json_object_set_new(o, "detail", egctl_json_str(v[i].detail));
            json_array_append_new(rows, o);
        }
        egctl_json_print(rows);
        free(v);
        return 0;
    }
    /* TIME is always 20 wide; the detail is last, since it holds spaces */
    for (size_t i = 0; i < n; i++) {
        const char *cols[4] = {v[i].actor, v[i].dist_id, v[i].action, v[i].object};
        for (size_t j = 0; j < 4; j++)
            if (strlen(cols[j]) > w[j + 1])
                w[j + 1] = strlen(cols[j]);
    }
    printf("%-20s  %-*s  %-*s  %-*s  %-*s  %s\n", "TIME", (int)w[1], "ACTOR", (int)w[2],
           "DISTRIBUTION", (int)w[3], "ACTION", (int)w[4], "OBJECT", "DETAIL");
    for (size_t i = 0; i < n; i++) {
        iso_time(v[i].at, when, sizeof(when));
        printf("%-20s  %-*s  %-*s  %-*s  %-*s  %s\n", when, (int)w[1], v[i].actor, (int)w[2],
               v[i].dist_id[0] ? v[i].dist_id : "-", (int)w[3], v[i].action, (int)w[4],
               v[i].object[0] ? v[i].object : "-", v[i].detail[0] ? v[i].detail : "-");
    }
    free(v);
    return 0;
}

/* Who egctl's changes are recorded as: the login name of the effective user. */
static void set_actor(ctl_t *c)
{
    const struct passwd *pw = getpwuid(geteuid());
    char actor[128];
    if (pw && pw->pw_name && pw->pw_name[0])
        snprintf(actor, sizeof(actor), "unix:%s", pw->pw_name);
    else
        snprintf(actor, sizeof(actor), "unix:uid%u", (unsigned)geteuid());
    eg_db_set_actor(c->db, actor);
}

/* What edgegate would answer one request, as the console's Try a request says it. */
static int cmd_try(ctl_t *c)
{
    static const char *const extra[] = {"https", "http10", NULL};
    eg_config_t *cfg = NULL;
    const eg_dist_t *d = NULL;
    eg_policy_try_t t;
    const char *why = NULL;
    char err[512], line[EG_URI_MAX + 1024];
    int rc = 1;
    if (egctl_check_opts(c, NULL, 0, extra) ||
        egctl_need_pos(c, 2, "usage: egctl try METHOD URL|PATH [--https] [--http10]"))
        return 1;
    if (eg_db_config_load(c->db, &cfg, err, sizeof(err)) < 0)
        return egctl_fail("%s", err);
    for (size_t i = 0; i < cfg->n_dists; i++)
        if (strcmp(cfg->dists[i].info.id, c->dist) == 0)
            d = &cfg->dists[i];
    if (d == NULL) {
        eg_config_free(cfg);
        return egctl_fail("no distribution %s (egctl dist list shows them)", c->dist);
    }
    if (eg_policy_try(cfg, d, c->pos[0], egctl_opt(c, "https") != NULL, egctl_opt(c, "http10") != NULL,
                      c->pos[1], &t, &why) < 0) {
        eg_config_free(cfg);
        return egctl_fail("%s", why);
    }
    if (t.refused)
        snprintf(line, sizeof(line), "400 the request target is refused (%s)",
                 t.why ? t.why : "not valid");
    else if (t.d.status >= 300 && t.d.status < 400)
        snprintf(line, sizeof(line), "%d %s", t.d.status, t.location);
    else if (t.d.status)
        snprintf(line, sizeof(line), "%d %s", t.d.status, t.d.reason ? t.d.reason : "refused");
    else if (t.d.origin)
        snprintf(line, sizeof(line), "forward to origin %s (%s) over %s on port %d",
                 t.d.origin->id, t.d.origin->domain, t.d.origin_https ? "HTTPS" : "HTTP",
                 t.d.origin_port);
    else
        snprintf(line, sizeof(line), "no answer");
    if (c->json) {
        json_t *o = json_object();
        snprintf(err, sizeof(err), "%s %s://%s", t.method, t.https ? "https" : "http", t.host);
        json_object_set_new(o, "request", egctl_json_str(err));
        json_object_set_new(o, "target", egctl_json_str(t.target));
        json_object_set_new(o, "http_version", json_string(t.http10 ? "HTTP/1.0" : "HTTP/1.1"));
        json_object_set_new(o, "behavior",
                            t.d.behavior ? egctl_json_str(t.d.behavior->path_pattern)
                                         : json_null());
        json_object_set_new(o, "status", json_integer(t.refused ? 400 : t.d.status));
        json_object_set_new(o, "answer", egctl_json_str(line));
        if (!t.refused && t.d.status == 0 && t.d.origin) {
            json_object_set_new(o, "origin", egctl_json_str(t.d.origin->id));
            json_object_set_new(o, "origin_scheme",
                                json_string(t.d.origin_https ? "https" : "http"));
            json_object_set_new(o, "origin_port", json_integer(t.d.origin_port));
        }
        if (!t.refused && t.d.status >= 300 && t.d.status < 400)
            json_object_set_new(o, "location", egctl_json_str(t.location));
        egctl_json_print(o);
    } else {
        printf("request   %s %s://%s%s %s\n", t.method, t.https ? "https" : "http", t.host,
               t.target, t.http10 ? "HTTP/1.0" : "HTTP/1.1");
        printf("behavior  %s\n", t.d.behavior ? t.d.behavior->path_pattern : "-");
        printf("answer    %s\n", line);
    }
    rc = 0;
    eg_policy_try_free(&t);
    eg_config_free(cfg);
    return rc;
}

static int cmd_init(ctl_t *c)
{
    eg_dist_info_t d;
    char err[512];
    int r = eg_db_dist_get(c->db, EG_DEFAULT_DIST, &d, err, sizeof(err));
    if (r < 0)
        return egctl_fail("%s", err);
    if (r == 0) {
        memset(&d, 0, sizeof(d));
        eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d);
        snprintf(d.id, sizeof(d.id), "%s", EG_DEFAULT_DIST);
        snprintf(d.comment, sizeof(d.comment), "answers every Host no other distribution claims");
        if (eg_db_dist_put(c->db, &d, 1, err, sizeof(err)) < 0)
            return egctl_fail("%s", err);
    }
    printf("database %s ready (schema version %d)\n", c->db_path, eg_db_schema_version(c->db));
    return 0;
}

/* Whether the command changes the database (an unknown one is refused by its handler). */
static int writes(ctl_t *c, const char *cmd, const char *sub)
{
    static const char *const subs[] = {"add", "set", "rm", "move", "passwd"};
    if (strcmp(cmd, "init") == 0 || strcmp(cmd, "invalidate") == 0)
        return 1;
    if (strcmp(cmd, "import") == 0)
        return egctl_opt(c, "dry-run") == NULL;
    for (size_t i = 0; sub && i < EG_ARRAY_LEN(subs); i++)
        if (strcmp(sub, subs[i]) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    ctl_t c;
    const char *cmd = NULL, *sub = NULL;
    char err[512];
    int rc;

    memset(&c, 0, sizeof(c));
    c.db_path = getenv("EDGEGATE_DB");
    if (c.db_path == NULL || *c.db_path == '\0')
        c.db_path = "var/edgegate.db";
    c.dist = EG_DEFAULT_DIST;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("egctl %s\n", PACKAGE_VERSION);
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            c.json = 1;
        } else if (strcmp(a, "--invalidate") == 0 || strcmp(a, "--force") == 0 ||
                   strcmp(a, "--https") == 0 || strcmp(a, "--http10") == 0 ||
                   strcmp(a, "--dry-run") == 0 || strcmp(a, "--strict") == 0) {
            if (c.nopts == MAX_ARGS)
                return egctl_fail("too many options");
            c.names[c.nopts] = a + 2; /* flags: no value follows */
            c.values[c.nopts++] = "1";
        } else if (strncmp(a, "--", 2) == 0 && a[2]) {
            const char *name = a + 2, *eq = strchr(name, '='), *val;
            static char namebuf[MAX_ARGS][64];
            if (eq) {
                snprintf(namebuf[c.nopts < MAX_ARGS ? c.nopts : 0], 64, "%.*s",
                         (int)(eq - name), name);
                name = namebuf[c.nopts < MAX_ARGS ? c.nopts : 0];
                val = eq + 1;
            } else {
                if (i + 1 >= argc)
                    return egctl_fail("--%s needs a value", name);
                val = argv[++i];
            }
            if (strcmp(name, "db") == 0)
                c.db_path = val;
            else if (strcmp(name, "dist") == 0) {
                c.dist = val;
                c.dist_given = 1;
            } else {
                if (c.nopts == MAX_ARGS)
                    return egctl_fail("too many options");
                c.names[c.nopts] = name;
                c.values[c.nopts++] = val;
            }
        } else if (cmd == NULL) {
            cmd = a;
        } else if (sub == NULL && (strcmp(cmd, "dist") == 0 || strcmp(cmd, "origin") == 0 ||
                                   strcmp(cmd, "behavior") == 0 || strcmp(cmd, "user") == 0)) {
            sub = a;
        } else {
            if (c.npos == MAX_ARGS)
                return egctl_fail("too many arguments");
            c.pos[c.npos++] = a;
        }
    }
    if (cmd == NULL) {
        usage(stderr);
        return 1;
    }
    if ((strcmp(cmd, "dist") == 0 || strcmp(cmd, "origin") == 0 ||
         strcmp(cmd, "behavior") == 0) &&
        sub == NULL)
        return egctl_fail("usage: egctl %s add|set|list|rm ...", cmd);
    if (strcmp(cmd, "user") == 0 && sub == NULL)
        return egctl_fail("usage: egctl user add|passwd|list|rm ...");
    if (strcmp(cmd, "init") && strcmp(cmd, "dist") && strcmp(cmd, "origin") &&
        strcmp(cmd, "behavior") && strcmp(cmd, "invalidate") && strcmp(cmd, "invalidations") &&
        strcmp(cmd, "user") && strcmp(cmd, "audit") && strcmp(cmd, "try") &&
        strcmp(cmd, "export") && strcmp(cmd, "import"))
        return egctl_fail("unknown command '%s' (egctl --help lists them)", cmd);
    eg_conf_init();
    /* init, and an import (into a database that may not exist yet), create the file */
    if (eg_db_open(c.db_path,
                   strcmp(cmd, "init") == 0 || (strcmp(cmd, "import") == 0 && writes(&c, cmd, sub))
                       ? EG_DB_CREATE
                       : 0,
                   &c.db, err, sizeof(err)) < 0)
        return egctl_fail("%s", err);
    /* a read-only database can be listed; a change to it is refused before anything is
     * read or checked, with the reason, rather than by SQLite half way through */
    if (writes(&c, cmd, sub) && eg_db_writable(c.db, err, sizeof(err)) < 0) {
        eg_db_close(c.db);
        return egctl_fail("%s", err);
    }
    set_actor(&c);
    if (strcmp(cmd, "init") == 0)
        rc = cmd_init(&c);
    else if (strcmp(cmd, "dist") == 0)
        rc = cmd_dist(&c, sub);
    else if (strcmp(cmd, "origin") == 0)
        rc = cmd_origin(&c, sub);
    else if (strcmp(cmd, "behavior") == 0)
        rc = cmd_behavior(&c, sub);
    else if (strcmp(cmd, "invalidate") == 0) {
        static const char *const extra[] = {"caller-reference", NULL};
        if (egctl_check_opts(&c, NULL, 0, extra))
            rc = 1;
        else if (c.npos == 0)
            rc = egctl_fail("usage: egctl invalidate PATH... (e.g. /images/* or /index.html)");
        else
            rc = invalidate_paths(&c, c.pos, (size_t)c.npos, egctl_opt(&c, "caller-reference"));
    } else if (strcmp(cmd, "user") == 0)
        rc = cmd_user(&c, sub);
    else if (strcmp(cmd, "audit") == 0)
        rc = cmd_audit(&c);
    else if (strcmp(cmd, "try") == 0)
        rc = cmd_try(&c);
    else if (strcmp(cmd, "export") == 0)
        rc = egctl_export(&c);
    else if (strcmp(cmd, "import") == 0)
        rc = egctl_import(&c);
    else
        rc = cmd_invalidations(&c);
    eg_db_close(c.db);
    return rc;
}
