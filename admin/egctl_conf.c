/* egctl export and import: a whole distribution as a CloudFront DistributionConfig file
 * (include/edgegate/conf.h), read and written by the same code as the console's download and
 * upload. An import is all or nothing: the file is read and checked in full first, then
 * written in one transaction (eg_db_dist_replace). */
#include <fcntl.h>
#include <sys/stat.h>

#include "edgegate/buf.h"
#include "edgegate/common.h"
#include "edgegate/conf.h"
#include "egctl.h"

/* Messages on stderr, each "egctl: error: WHERE: WHAT". */
static void print_msgs(const eg_conf_msgs_t *m)
{
    eg_buf_t b = {0};
    const char *line;
    eg_conf_msgs_format(m, &b);
    for (line = b.data; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        fprintf(stderr, "egctl: %.*s\n", (int)n, line);
        line += n + (nl != NULL);
    }
    eg_buf_free(&b);
}

int egctl_export(ctl_t *c)
{
    static const char *const extra[] = {"format", NULL};
    const char *format = egctl_opt(c, "format");
    eg_conf_msgs_t msgs = {0};
    eg_buf_t out = {0};
    eg_dist_t d;
    char err[512];
    int fmt, r, rc = 1;

    if (egctl_check_opts(c, NULL, 0, extra) ||
        egctl_need_pos(c, 0, "usage: egctl [--dist ID] export [--format xml|json]"))
        return 1;
    if (format == NULL || strcmp(format, "xml") == 0)
        fmt = EG_CONF_XML;
    else if (strcmp(format, "json") == 0)
        fmt = EG_CONF_JSON;
    else
        return egctl_fail("--format: '%s' is neither xml nor json", format);
    r = eg_db_dist_load(c->db, c->dist, &d, err, sizeof(err));
    if (r < 0)
        return egctl_fail("%s", err);
    if (r == 0)
        return egctl_fail("no distribution %s (egctl dist list shows them)", c->dist);
    if (eg_conf_write(&d, fmt, &out, &msgs) < 0) {
        print_msgs(&msgs);
        egctl_fail("distribution %s could not be exported", c->dist);
        goto out;
    }
    print_msgs(&msgs); /* notes: what the file has no place for */
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        egctl_fail("writing the export: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    eg_buf_free(&out);
    eg_conf_msgs_free(&msgs);
    eg_dist_clear(&d);
    return rc;
}

/* The whole file (or standard input for "-") into *data; at most EG_CONF_MAX_BYTES. */
static int read_all(const char *path, eg_buf_t *data)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    int rc = 1;
    struct stat st;
    if (fd < 0)
        return egctl_fail("cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        egctl_fail("%s is a directory, not a configuration file", path);
        goto out;
    }
    for (;;) {
        ssize_t n;
        eg_buf_reserve(data, 65536);
        n = read(fd, data->data + data->len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            egctl_fail("reading %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        data->len += (size_t)n;
        data->data[data->len] = '\0';
        if (data->len > EG_CONF_MAX_BYTES) {
            egctl_fail("%s is larger than %u bytes; nothing was imported", path,
                       EG_CONF_MAX_BYTES);
            goto out;
        }
    }
    if (data->len == 0) {
        egctl_fail("%s is empty; nothing was imported", strcmp(path, "-") ? path : "stdin");
        goto out;
    }
    rc = 0;
out:
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

int egctl_import(ctl_t *c)
{
    static const char *const extra[] = {"dry-run", "strict", NULL};
    int dry = egctl_opt(c, "dry-run") != NULL, strict = egctl_opt(c, "strict") != NULL;
    eg_conf_msgs_t msgs = {0};
    eg_buf_t data = {0}, diff = {0}, summary = {0};
    eg_dist_t d, cur;
    char err[512];
    int kind = 0, r, rc = 1;
    size_t changes;

    memset(&d, 0, sizeof(d));
    memset(&cur, 0, sizeof(cur));
    if (egctl_check_opts(c, NULL, 0, extra) ||
        egctl_need_pos(c, 1, "usage: egctl [--dist ID] import FILE|- [--dry-run] [--strict]"))
        return 1;
    if (eg_id_validate("distribution", c->dist, err, sizeof(err)) < 0)
        return egctl_fail("%s", err);
    if (read_all(c->pos[0], &data))
        goto out;
    r = eg_conf_read(data.data, data.len, c->dist, &d, &kind, &msgs);
    print_msgs(&msgs);
    if (r < 0) {
        egctl_fail("%s: %zu error%s; nothing was imported", c->pos[0], msgs.nerrors,
                   msgs.nerrors == 1 ? "" : "s");
        goto out;
    }
    if (strict && msgs.nignored) {
        egctl_fail("--strict: %s holds %zu setting%s edgegate does not have (listed above); "
                   "nothing was imported",
                   c->pos[0], msgs.nignored, msgs.nignored == 1 ? "" : "s");
        goto out;
    }
    if ((r = eg_db_dist_load(c->db, c->dist, &cur, err, sizeof(err))) < 0) {
        egctl_fail("%s", err);
        goto out;
    }
    changes = eg_conf_diff(r == 1 ? &cur : NULL, &d, &diff);
    if (diff.len)
        fputs(diff.data, stdout);
    if (dry) {
        printf("%s (%s) into distribution %s: %zu change%s; dry run, nothing was written\n",
               c->pos[0], eg_conf_kind_name(kind), c->dist, changes, changes == 1 ? "" : "s");
        rc = 0;
        goto out;
    }
    eg_conf_summary(strcmp(c->pos[0], "-") ? c->pos[0] : "stdin", kind, diff.data, changes,
                    &summary);
    r = eg_db_dist_replace(c->db, &d, &cur, summary.data, err, sizeof(err));
    if (r == EG_DB_CONFLICT) {
        egctl_fail("%s; run the command again", err);
        goto out;
    }
    if (r < 0) {
        egctl_fail("%s; nothing was imported", err);
        goto out;
    }
    printf("imported %s (%s) into distribution %s: %zu change%s\n", c->pos[0], eg_conf_kind_name(kind),
           c->dist, changes, changes == 1 ? "" : "s");
    egctl_warn_config(c);
    rc = 0;
out:
    eg_buf_free(&data);
    eg_buf_free(&diff);
    eg_buf_free(&summary);
    eg_conf_msgs_free(&msgs);
    eg_dist_clear(&d);
    eg_dist_clear(&cur);
    return rc;
}
