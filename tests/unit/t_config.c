/* The settings tables: parsing, formatting, defaults, cross-field rules; and the database
 * they are stored in, opened by a user who may only read it. */
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "edgegate/uri.h"
#include "tap.h"

static const eg_field_t *of(const char *n)
{
    return eg_field_find(eg_origin_fields, eg_origin_nfields, n);
}
static const eg_field_t *bf(const char *n)
{
    return eg_field_find(eg_behavior_fields, eg_behavior_nfields, n);
}

/* Parses value into a fresh behavior's field; 0 or -1, the reason in err. */
static int set_list(eg_behavior_t *b, const char *field, const char *value, char *err,
                    size_t errlen)
{
    err[0] = '\0';
    return eg_field_parse(bf(field), b, value, err, errlen);
}

/* --cache-headers, --cache-cookies, --origin-headers, --origin-cookies */
static void forwarding_lists(void)
{
    static const char *const header_fields[] = {"cache-headers", "origin-headers"};
    static const char *const cookie_fields[] = {"cache-cookies", "origin-cookies"};
    static const char *const controlled[] = {
        "Host", "host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "TE",
        "Trailer", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "X-Forwarded-For",
        "x-forwarded-for", "Via", "Cookie", "Accept-Encoding", "Expect", "X-Forwarded-Proto",
        "Forwarded"};
    eg_behavior_t b;
    char buf[EG_NAME_LIST_MAX + 16], err[512], big[700];
    const char *const col[] = {"cache_headers", "cache_cookies", "origin_headers",
                               "origin_cookies"};
    const char *const names[] = {"cache-headers", "cache-cookies", "origin-headers",
                                 "origin-cookies"};

    for (size_t i = 0; i < 4; i++) {
        const eg_field_t *f = bf(names[i]);
        ok(f && f->column && !strcmp(f->column, col[i]) && f->def && !strcmp(f->def, "none"),
           "--%s is a stored behavior setting (column %s), default none", names[i], col[i]);
    }
    ok(!(bf("cache-headers")->flags & EG_FF_UNKEYED) && !(bf("cache-cookies")->flags & EG_FF_UNKEYED) &&
           (bf("origin-headers")->flags & EG_FF_UNKEYED) &&
           (bf("origin-cookies")->flags & EG_FF_UNKEYED),
       "cache policy fields are keyed, origin request policy fields are not");
    ok(strstr(bf("origin-headers")->help, "Cache-Control: private or no-store") != NULL &&
           strstr(bf("origin-cookies")->help, "Cache-Control: private or no-store") != NULL,
       "the help of unkeyed forwarding names Cache-Control: private or no-store");

    memset(&b, 0, sizeof(b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
    ok(!strcmp(b.cache_headers, "none") && !strcmp(b.cache_cookies, "none") &&
           !strcmp(b.origin_headers, "none") && !strcmp(b.origin_cookies, "none"),
       "nothing is forwarded by default");

    /* header names: tokens, canonical case, each once */
    ok(set_list(&b, "cache-headers", " authorization, accept-LANGUAGE,Authorization ", err,
                sizeof(err)) == 0,
       "a header list parses: %s", err);
    is_str(b.cache_headers, "Authorization,Accept-Language",
           "header names in canonical case, trimmed, each once");
    eg_field_format(bf("cache-headers"), &b, buf, sizeof(buf));
    is_str(buf, "Authorization,Accept-Language", "and formats back as stored");
    ok(set_list(&b, "cache-headers", "x-api-key", err, sizeof(err)) == 0 &&
           !strcmp(b.cache_headers, "X-Api-Key"),
       "x-api-key -> X-Api-Key");
    ok(set_list(&b, "cache-headers", "None", err, sizeof(err)) == 0 &&
           !strcmp(b.cache_headers, "none"),
       "the word none in any case");
    ok(set_list(&b, "cache-headers", "all", err, sizeof(err)) < 0, "--cache-headers all refused");
    ok(strstr(err, "not allowed here") != NULL, "  because it is not a choice there: %s", err);
    ok(set_list(&b, "cache-headers", "all-viewer", err, sizeof(err)) < 0,
       "--cache-headers all-viewer refused");
    ok(set_list(&b, "origin-headers", "all-viewer", err, sizeof(err)) == 0 &&
           !strcmp(b.origin_headers, "all-viewer"),
       "--origin-headers all-viewer");
    ok(set_list(&b, "origin-headers", "all", err, sizeof(err)) < 0, "--origin-headers all refused");
    ok(set_list(&b, "origin-headers", "none,X-A", err, sizeof(err)) < 0 &&
           strstr(err, "stands alone"),
       "a word cannot be combined with names");
    ok(set_list(&b, "origin-headers", "X-A,all-viewer", err, sizeof(err)) < 0,
       "nor follow them");
    ok(set_list(&b, "cache-headers", "", err, sizeof(err)) < 0, "an empty list is refused");
    ok(set_list(&b, "cache-headers", "X-A,,X-B", err, sizeof(err)) < 0, "an empty name refused");
    ok(set_list(&b, "cache-headers", "X-A,", err, sizeof(err)) < 0, "a trailing comma refused");
    ok(set_list(&b, "cache-headers", "X A", err, sizeof(err)) < 0, "a space in a name refused");
    ok(set_list(&b, "cache-headers", "X:A", err, sizeof(err)) < 0, "':' is not a token char");
    ok(set_list(&b, "cache-headers", "X-A\r\nX-B", err, sizeof(err)) < 0,
       "CR LF in a name refused");
    ok(set_list(&b, "cache-headers", "X-\xc3\xa9", err, sizeof(err)) < 0, "non-ASCII refused");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ok(set_list(&b, "cache-headers", big, err, sizeof(err)) < 0, "a list past 511 characters");
    big[EG_NAME_LIST_MAX - 1] = '\0';
    ok(set_list(&b, "cache-headers", big, err, sizeof(err)) == 0 &&
           strlen(b.cache_headers) == EG_NAME_LIST_MAX - 1,
       "a list of exactly 511 characters fits");

    /* Authorization: keyed only */
    ok(set_list(&b, "cache-headers", "Authorization", err, sizeof(err)) == 0,
       "Authorization may key the cache");
    ok(set_list(&b, "origin-headers", "X-A,authorization", err, sizeof(err)) < 0,
       "Authorization refused in --origin-headers");
    is_str(err,
           "--origin-headers: Authorization can only be forwarded through the cache policy "
           "(--cache-headers), so the cache never answers one viewer's authorized request for "
           "another",
           "  with the reason");

    /* names the gateway controls, in both header lists */
    for (size_t i = 0; i < EG_ARRAY_LEN(header_fields); i++)
        for (size_t j = 0; j < EG_ARRAY_LEN(controlled); j++)
            ok(set_list(&b, header_fields[i], controlled[j], err, sizeof(err)) < 0,
               "--%s %s refused: %s", header_fields[i], controlled[j], err);
    set_list(&b, "origin-headers", "host", err, sizeof(err));
    ok(strstr(err, "--forward-host") != NULL, "Host's refusal points at --forward-host");

    /* cookies: tokens, case kept, words none/all */
    for (size_t i = 0; i < EG_ARRAY_LEN(cookie_fields); i++) {
        ok(set_list(&b, cookie_fields[i], "all", err, sizeof(err)) == 0,
           "--%s all", cookie_fields[i]);
        ok(set_list(&b, cookie_fields[i], "all-viewer", err, sizeof(err)) < 0,
           "--%s all-viewer refused", cookie_fields[i]);
        ok(set_list(&b, cookie_fields[i], "a=b", err, sizeof(err)) < 0,
           "--%s: '=' is not in a cookie name", cookie_fields[i]);
        ok(set_list(&b, cookie_fields[i], "a;b", err, sizeof(err)) < 0,
           "--%s: ';' is not in a cookie name", cookie_fields[i]);
        ok(set_list(&b, cookie_fields[i], "all,sess", err, sizeof(err)) < 0,
           "--%s: all stands alone", cookie_fields[i]);
    }
    ok(set_list(&b, "cache-cookies", "Sess, lang,Sess,sess", err, sizeof(err)) == 0,
       "a cookie list parses");
    is_str(b.cache_cookies, "Sess,lang,sess", "cookie names keep their case; each once");
    ok(set_list(&b, "origin-cookies", "None", err, sizeof(err)) == 0 &&
           !strcmp(b.origin_cookies, "None"),
       "a cookie may be named None (cookie names are case-sensitive)");

    /* unkeyed forwarding and a min TTL: private answers would be stored */
    memset(&b, 0, sizeof(b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
    strcpy(b.path_pattern, "/x/*");
    b.min_ttl = 10;
    ok(eg_behavior_validate(&b, err, sizeof(err)) == 0, "min TTL without forwarding is fine");
    strcpy(b.cache_cookies, "sess");
    strcpy(b.cache_headers, "Authorization");
    ok(eg_behavior_validate(&b, err, sizeof(err)) == 0, "min TTL with keyed forwarding is fine");
    strcpy(b.origin_cookies, "all");
    ok(eg_behavior_validate(&b, err, sizeof(err)) < 0,
       "min TTL with unkeyed cookies refused: %s", err);
    strcpy(b.origin_cookies, "none");
    strcpy(b.origin_headers, "X-A");
    ok(eg_behavior_validate(&b, err, sizeof(err)) < 0, "min TTL with unkeyed headers refused");
    b.min_ttl = 0;
    ok(eg_behavior_validate(&b, err, sizeof(err)) == 0, "unkeyed headers with min TTL 0 fine");
}

/* --error-caching-min-ttl: a stored, listed distribution setting, CloudFront's 0 to a year */
static void error_caching_min_ttl(void)
{
    static const char *const bad[] = {"-1", "31536001", "", " 5", "5s", "1.5", "0x10",
                                      "99999999999999999999"};
    const eg_field_t *f = eg_field_find(eg_dist_fields, eg_dist_nfields, "error-caching-min-ttl");
    eg_dist_info_t d;
    char buf[64], err[256];

    ok(f && f->type == EG_FT_INT && f->column && !strcmp(f->column, "error_caching_min_ttl") &&
           (f->flags & EG_FF_LIST) && !(f->flags & EG_FF_KEY),
       "--error-caching-min-ttl is a stored distribution setting (column "
       "error_caching_min_ttl), shown by dist list");
    if (f == NULL)
        return;
    ok(f->help && strstr(f->help, "Error Caching Minimum TTL"), "its help names CloudFront's");
    memset(&d, 0, sizeof(d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d);
    is_int(d.error_min_ttl, 10, "CloudFront's default, 10 seconds");
    ok(eg_field_parse(f, &d, "0", err, sizeof(err)) == 0 && d.error_min_ttl == 0,
       "0: errors cached only as their own headers allow");
    ok(eg_field_parse(f, &d, "31536000", err, sizeof(err)) == 0 && d.error_min_ttl == 31536000,
       "a year is the most");
    eg_field_format(f, &d, buf, sizeof(buf));
    is_str(buf, "31536000", "and formats back");
    for (size_t i = 0; i < EG_ARRAY_LEN(bad); i++)
        ok(eg_field_parse(f, &d, bad[i], err, sizeof(err)) < 0 && d.error_min_ttl == 31536000,
           "'%s' refused, the value unchanged: %s", bad[i], err);
    eg_field_parse(f, &d, "31536001", err, sizeof(err));
    is_str(err, "--error-caching-min-ttl: '31536001' is not a whole number from 0 to 31536000",
           "the reason names the option and its bounds");
}

/* in, printable for a TAP line (control bytes as '?'); two may be used in one call. */
static const char *shown(const char *in)
{
    static char bufs[2][512];
    static int k;
    char *buf = bufs[k++ & 1];
    size_t i;
    for (i = 0; in[i] && i < sizeof(bufs[0]) - 1; i++)
        buf[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
    buf[i] = '\0';
    return buf;
}

/* Expects pattern in to normalize to want (NULL: to be refused). */
static void pattern_is(const char *in, const char *want)
{
    char out[EG_PATH_MAX], err[512] = "";
    int rc = eg_pattern_normalize(in, out, sizeof(out), err, sizeof(err));
    if (want == NULL) {
        ok(rc < 0, "pattern '%s' refused: %s", shown(in), shown(err));
        return;
    }
    if (!ok(rc == 0 && strcmp(out, want) == 0, "pattern '%s' -> '%s'", in, want))
        printf("#   got rc %d '%s' (%s)\n", rc, rc == 0 ? out : "", err);
    if (rc == 0) { /* normalizing a saved pattern again changes nothing */
        char again[EG_PATH_MAX];
        ok(eg_pattern_normalize(out, again, sizeof(again), err, sizeof(err)) == 0 &&
               strcmp(again, out) == 0,
           "  and '%s' is stable", out);
    }
}

static void path_patterns(void)
{
    static const char *const refused[] = {
        "/a b", "/a,b", "/a;b", "/a=b", "/a!b", "/a(b)", "/a[b]", "/a#b", "/a\\b", "/a<b",
        "/a>b", "/a{b}", "/a|b", "/a^b", "/a`b", "/a\tb", "/a\x7f", "/caf\xc3\xa9", "/a%20b",
        "/a%3Fb", "/a%25", "/a%2Fb", "/a%5Cb", "/a%00", "/%", "/a%zz", "/..", "/a/../..",
        "../x", ""};
    char longp[300], out[EG_PATH_MAX], err[512];

    pattern_is("images/*", "/images/*");
    pattern_is("*", "*");
    pattern_is("*.jpg", "/*.jpg");
    pattern_is("/a//b/./c/../d*", "/a/b/d*");
    pattern_is("images/./a//*", "/images/a/*");
    pattern_is("/%7euser/%41*.jpg", "/~user/A*.jpg");
    pattern_is("/a?c/*", "/a?c/*");
    pattern_is("/AZaz09_-.*$/~'@:+&?", "/AZaz09_-.*$/~'@:+&?");
    pattern_is("/say\"hi\"", "/say%22hi%22");
    pattern_is("/say%22hi", "/say%22hi");
    pattern_is("/dir/", "/dir/");
    pattern_is("/", "/");
    for (size_t i = 0; i < EG_ARRAY_LEN(refused); i++)
        pattern_is(refused[i], NULL);
    ok(eg_pattern_normalize("/a,b", out, sizeof(out), err, sizeof(err)) < 0 &&
           strstr(err, "','") && strstr(err, "CloudFront allows"),
       "the refusal names the character and what CloudFront allows: %s", err);
    /* escapes of the characters a pattern may name are decoded, as in request paths */
    pattern_is("/a%27%24%40%3a%2B%26", "/a'$@:+&");
    ok(eg_pattern_normalize("/a%2A", out, sizeof(out), err, sizeof(err)) < 0,
       "an escaped '*' is refused rather than made a wildcard: %s", err);
    longp[0] = '/';
    memset(longp + 1, 'a', 254);
    longp[255] = '\0';
    ok(eg_pattern_normalize(longp, out, sizeof(out), err, sizeof(err)) == 0,
       "255 characters fit");
    longp[255] = 'a';
    longp[256] = '\0';
    ok(eg_pattern_normalize(longp, out, sizeof(out), err, sizeof(err)) < 0,
       "256 characters do not");
    memset(longp + 1, '"', 100);
    longp[101] = '\0';
    ok(eg_pattern_normalize(longp, out, sizeof(out), err, sizeof(err)) < 0,
       "nor 101 characters that normalize to 301");
}

static void inval_is(const char *in, const char *want)
{
    char out[EG_URI_MAX + 1], err[512] = "";
    int rc = eg_invalidation_path_normalize(in, out, sizeof(out), err, sizeof(err));
    if (want == NULL)
        ok(rc < 0, "invalidation path '%s' refused: %s", shown(in), shown(err));
    else if (!ok(rc == 0 && strcmp(out, want) == 0, "invalidation path '%s' -> '%s'", in, want))
        printf("#   got rc %d '%s' (%s)\n", rc, rc == 0 ? out : "", err);
}

static void invalidation_paths(void)
{
    inval_is("/a/./b/../c", "/a/c");
    inval_is("/x//*", "/x/*");
    inval_is("/*", "/*");
    inval_is("/%7ea/%41", "/~a/A");
    inval_is("/a%20b", "/a%20b");
    inval_is("/images/a.png", "/images/a.png");
    inval_is("/a*b", NULL);
    inval_is("/a/*/", NULL);
    inval_is("a", NULL);
    inval_is("", NULL);
    inval_is("/a?x=1", NULL);
    inval_is("/a b", NULL);
    inval_is("/a\nb", NULL);
    inval_is("/a%2Fb", NULL);
    inval_is("/../a", NULL);
}

/* --- a database this user may only read ----------------------------------------------- */

/* The whole file, to tell that nothing was written (caller frees); NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (f == NULL)
        return NULL;
    do {
        if (n == cap)
            buf = eg_realloc(buf, cap = cap ? cap * 2 : 65536);
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

static int file_is(const char *path, const char *want, size_t wantlen)
{
    size_t len = 0;
    char *got = slurp(path, &len);
    int same = got && len == wantlen && memcmp(got, want, len) == 0;
    free(got);
    return same;
}

/* How many entries dir holds besides . and .. (-1 when it cannot be read). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* A check made in the reader's process, reported by the parent: "1 name" or "0 name". */
static void report(FILE *to, int cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(FILE *to, int cond, const char *fmt, ...)
{
    va_list ap;
    fprintf(to, "%d ", cond ? 1 : 0);
    va_start(ap, fmt);
    vfprintf(to, fmt, ap);
    va_end(ap);
    fputc('\n', to);
}

/* What a reader sees of a database it may not write: it lists, refuses writes in one line
 * that says why, and notices no change where there is none. */
static void reader_checks(FILE *to, const char *path, const char *why, size_t ndists)
{
    eg_db_t *db = NULL;
    eg_dist_info_t *all = NULL, d;
    size_t n = 0;
    char err[1024] = "";
    int r = eg_db_open(path, 0, &db, err, sizeof(err));
    report(to, r == 0, "the reader opens it: %s", err);
    if (r < 0)
        return;
    report(to, eg_db_schema_version(db) == eg_db_latest_schema_version(),
           "  at the current schema version");
    r = eg_db_dist_list(db, &all, &n, err, sizeof(err));
    report(to, r == 0 && n == ndists && strcmp(all[n - 1].id, EG_DEFAULT_DIST) == 0,
           "  and lists its %zu distribution(s): %s", ndists, r < 0 ? err : "");
    free(all);
    r = eg_db_writable(db, err, sizeof(err));
    report(to, r < 0 && strstr(err, "is read-only (") && strstr(err, why),
           "  eg_db_writable says it is read-only and why (%s): %s", why, err);
    memset(&d, 0, sizeof(d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d);
    snprintf(d.id, sizeof(d.id), "x");
    err[0] = '\0';
    r = eg_db_dist_put(db, &d, 1, err, sizeof(err));
    report(to, r < 0 && strstr(err, "is read-only (") && strstr(err, why),
           "  a write says so too: %s", err);
    report(to, eg_db_changed(db) == 1 && eg_db_changed(db) == 0,
           "  the first eg_db_changed is 1, the next 0 (nothing changed)");
    eg_db_close(db);
}

/* Runs reader_checks in a child that is not root (root ignores file modes) and reports its
 * results here, so they count in this test's TAP. */
static void as_reader(const char *path, const char *why, size_t ndists)
{
    int fds[2];
    pid_t pid;
    char line[1200];
    FILE *from;
    int status = 0, got = 0;

    fflush(stdout);
    if (!ok(pipe(fds) == 0, "a pipe to the reader"))
        return;
    pid = fork();
    if (pid == 0) {
        FILE *to = fdopen(fds[1], "w");
        struct passwd *pw = getpwnam("nobody");
        close(fds[0]);
        if (to == NULL)
            _exit(2);
        if (geteuid() == 0 &&
            (pw == NULL || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
             setuid(pw->pw_uid) < 0)) {
            report(to, 0, "the reader cannot become nobody: %s", strerror(errno));
            fclose(to);
            _exit(1);
        }
        reader_checks(to, path, why, ndists);
        fclose(to);
        _exit(0);
    }
    close(fds[1]);
    if (!ok(pid > 0, "the reader starts")) {
        close(fds[0]);
        return;
    }
    from = fdopen(fds[0], "r");
    while (from && fgets(line, sizeof(line), from)) {
        line[strcspn(line, "\n")] = '\0';
        ok(line[0] == '1', "%s", line + 2);
        got++;
    }
    if (from)
        fclose(from);
    else
        close(fds[0]);
    ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
           got > 0,
       "the reader ran to its end (%d checks)", got);
}

static void readonly_database(void)
{
    char base[] = "/tmp/t_config.XXXXXX", dir[256], path[300], err[1024] = "", *bytes;
    eg_db_t *db = NULL;
    eg_dist_info_t d, *all = NULL;
    size_t len = 0, n = 0;
    int r;

    if (!ok(mkdtemp(base) != NULL && chmod(base, 0755) == 0, "a scratch directory"))
        return;
    /* a name that must be escaped in the URI an immutable snapshot is opened through */
    snprintf(dir, sizeof(dir), "%s/ro dir?#%%41", base);
    snprintf(path, sizeof(path), "%s/edgegate.db", dir);
    if (!ok(mkdir(dir, 0755) == 0, "a directory for the database"))
        return;
    r = eg_db_open(path, EG_DB_CREATE, &db, err, sizeof(err));
    ok(r == 0, "a database is created: %s", err);
    if (r < 0)
        return;
    memset(&d, 0, sizeof(d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d);
    snprintf(d.id, sizeof(d.id), "%s", EG_DEFAULT_DIST);
    ok(eg_db_dist_put(db, &d, 1, err, sizeof(err)) == 0, "with its default distribution: %s",
       err);
    eg_db_close(db);
    ok(entries(dir) == 1, "closed, nothing is left beside it (no -wal, no -shm)");
    bytes = slurp(path, &len);
    if (!ok(bytes != NULL, "its bytes, to compare"))
        return;

    /* an open with nothing to migrate writes nothing, even when it could */
    r = eg_db_open(path, 0, &db, err, sizeof(err));
    ok(r == 0 && eg_db_writable(db, err, sizeof(err)) == 0, "the owner opens it writable: %s",
       err);
    eg_db_close(db);
    ok(file_is(path, bytes, len) && entries(dir) == 1, "and opening wrote nothing");

    /* EG_DB_READONLY: read-only whoever opens it */
    db = NULL;
    r = eg_db_open(path, EG_DB_READONLY, &db, err, sizeof(err));
    ok(r == 0, "EG_DB_READONLY opens it: %s", err);
    if (r == 0) {
        r = eg_db_dist_list(db, &all, &n, err, sizeof(err));
        ok(r == 0 && n == 1, "  and lists it: %s", r < 0 ? err : "");
        free(all);
        ok(eg_db_writable(db, err, sizeof(err)) < 0 && strstr(err, "(opened read-only)"),
           "  eg_db_writable: %s", err);
        snprintf(d.id, sizeof(d.id), "x");
        ok(eg_db_dist_put(db, &d, 1, err, sizeof(err)) < 0 && strstr(err, "is read-only ("),
           "  a write is refused as read-only: %s", err);
        eg_db_close(db);
    }
    ok(file_is(path, bytes, len), "  the file is as it was");

    /* the file and its directory read-only: SQLite can create no -shm, so it is read as an
     * immutable snapshot */
    chmod(path, 0444);
    chmod(dir, 0555);
    as_reader(path, "this user cannot write the file", 1);
    ok(file_is(path, bytes, len) && entries(dir) == 1,
       "the reader wrote nothing and left nothing beside it");
    /* the file writable, its directory not: still no -shm, still a snapshot */
    chmod(path, 0666);
    as_reader(path, "this user cannot write its directory", 1);
    ok(file_is(path, bytes, len) && entries(dir) == 1,
       "the reader wrote nothing and left nothing beside it");

    /* a writer holds it open, so its -wal and -shm are there, the -shm with the file's
     * mode then: the reader may read it, not write it */
    chmod(dir, 0755);
    chmod(path, 0644);
    err[0] = '\0';
    r = eg_db_open(path, 0, &db, err, sizeof(err));
    ok(r == 0 && eg_db_dist_list(db, &all, &n, err, sizeof(err)) == 0,
       "a writer holds it open: %s", err);
    free(all);
    chmod(path, 0444);
    chmod(dir, 0555);
    as_reader(path, "this user cannot write the file", 1);
    eg_db_close(db);
    ok(file_is(path, bytes, len) && entries(dir) == 1,
       "the writer gone, the file is as it was and nothing is left beside it");

    /* a writer that died: its -wal and -shm stay, and no connection keeps the -shm up to
     * date. After a read only, SQLite reads the empty -wal anew on every transaction, and
     * data_version moves each time; after a commit, the -wal holds what the file does not */
    for (int commit = 0; commit <= 1; commit++) {
        pid_t pid;
        chmod(dir, 0755);
        chmod(path, 0644);
        fflush(stdout);
        if ((pid = fork()) == 0) {
            snprintf(d.id, sizeof(d.id), "crashed");
            if (eg_db_open(path, 0, &db, err, sizeof(err)) < 0 ||
                (commit ? eg_db_dist_put(db, &d, 1, err, sizeof(err))
                        : eg_db_dist_list(db, &all, &n, err, sizeof(err))) < 0)
                _exit(1);
            _exit(0); /* not closed: nothing folds the -wal in or removes it */
        }
        r = -1;
        ok(pid > 0 && waitpid(pid, &r, 0) == pid && WIFEXITED(r) && WEXITSTATUS(r) == 0 &&
               entries(dir) == 3,
           "a writer %s and died, leaving its -wal and -shm", commit ? "committed" : "read");
        chmod(path, 0444);
        chmod(dir, 0555);
        as_reader(path, "this user cannot write the file", commit ? 2 : 1);
        ok(file_is(path, bytes, len) && entries(dir) == 3, "the reader changed none of them");
    }
    chmod(dir, 0755);
    chmod(path, 0644);
    if (eg_db_open(path, 0, &db, err, sizeof(err)) == 0)
        eg_db_close(db); /* the owner's open and close fold the -wal in */
    ok(entries(dir) == 1, "the owner folded the -wal in");

    chmod(dir, 0755);
    for (const char *const *suffix = (const char *const[]){"", "-wal", "-shm", NULL}; *suffix;
         suffix++) {
        char f[320];
        snprintf(f, sizeof(f), "%s%s", path, *suffix);
        unlink(f);
    }
    ok(rmdir(dir) == 0 && rmdir(base) == 0, "the scratch directory is removed");
    free(bytes);
}

int main(void)
{
    eg_origin_t o;
    eg_behavior_t b;
    char buf[256], err[256];

    memset(&o, 0, sizeof(o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &o);
    is_int(o.protocol, EG_OPP_HTTP_ONLY, "default origin protocol http-only");
    is_int(o.ssl_protocols, EG_SSL_TLSV1_2, "default SSL protocols TLSv1.2");
    is_int(o.https_port, 443, "default HTTPS port");
    ok(eg_field_parse(of("protocol"), &o, "match-viewer", err, sizeof(err)) == 0,
       "match-viewer parses");
    ok(eg_field_parse(of("protocol"), &o, "https", err, sizeof(err)) < 0, "'https' refused");
    is_str(err, "--protocol: 'https' is not one of: http-only, https-only, match-viewer",
           "the reason lists the choices");
    ok(eg_field_parse(of("ssl-protocols"), &o, "TLSv1,TLSv1.2", err, sizeof(err)) == 0,
       "a protocol set parses");
    eg_field_format(of("ssl-protocols"), &o, buf, sizeof(buf));
    is_str(buf, "TLSv1,TLSv1.2", "and formats back");
    ok(eg_field_parse(of("ssl-protocols"), &o, "TLSv1.3", err, sizeof(err)) < 0,
       "TLSv1.3 is not an origin SSL protocol name");
    ok(eg_field_parse(of("http-port"), &o, "70000", err, sizeof(err)) < 0, "port bound");
    ok(eg_field_parse(of("http-port"), &o, "80x", err, sizeof(err)) < 0, "port must be a number");
    ok(eg_field_parse(of("domain"), &o, "a\nb", err, sizeof(err)) < 0, "control chars refused");

    strcpy(o.id, "s3w");
    strcpy(o.domain, "bucket.s3-website.example");
    o.type = EG_OT_S3_WEBSITE;
    o.protocol = EG_OPP_HTTPS_ONLY;
    ok(eg_origin_validate(&o, err, sizeof(err)) < 0, "s3-website with HTTPS is refused");
    o.protocol = EG_OPP_HTTP_ONLY;
    ok(eg_origin_validate(&o, err, sizeof(err)) == 0, "s3-website http-only is fine");
    o.type = EG_OT_S3;
    ok(eg_origin_validate(&o, err, sizeof(err)) < 0, "s3 must be match-viewer");
    o.protocol = EG_OPP_MATCH_VIEWER;
    ok(eg_origin_validate(&o, err, sizeof(err)) == 0, "s3 match-viewer is fine");
    strcpy(o.origin_path, "/prefix/");
    ok(eg_origin_validate(&o, err, sizeof(err)) < 0, "origin path may not end with /");

    memset(&b, 0, sizeof(b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
    is_int(b.allowed_methods, EG_AM_GET_HEAD, "default methods GET,HEAD");
    ok(eg_field_parse(bf("methods"), &b, "ALL", err, sizeof(err)) == 0 &&
           b.allowed_methods == EG_AM_ALL,
       "ALL means the seven methods");
    ok(eg_field_parse(bf("forward-host"), &b, "yes", err, sizeof(err)) == 0 && b.forward_host,
       "booleans take yes");
    b.allowed_methods = EG_AM_GET_HEAD;
    b.cached_methods = EG_AM_GET_HEAD_OPTIONS;
    ok(eg_behavior_validate(&b, err, sizeof(err)) < 0, "cached methods must be allowed");
    b.cached_methods = EG_AM_GET_HEAD;
    b.min_ttl = 100;
    b.default_ttl = 10;
    ok(eg_behavior_validate(&b, err, sizeof(err)) < 0, "min-ttl <= default-ttl");

    ok(eg_pattern_normalize("images/*", buf, sizeof(buf), err, sizeof(err)) == 0, "normalize");
    is_str(buf, "/images/*", "a leading slash is added");
    eg_pattern_normalize("*", buf, sizeof(buf), err, sizeof(err));
    is_str(buf, "*", "the default stays *");
    ok(eg_pattern_normalize("/a b", buf, sizeof(buf), err, sizeof(err)) < 0, "spaces refused");
    ok(eg_aliases_normalize(" A.example , b.example,", buf, sizeof(buf), err, sizeof(err)) == 0,
       "aliases normalize");
    is_str(buf, "a.example,b.example", "lower case, trimmed");
    ok(eg_aliases_normalize("a/b", buf, sizeof(buf), err, sizeof(err)) < 0, "bad alias refused");
    {
        static const char *const bad[] = {"*", "*.*", "example.com.", "a..b", ".a", "*.", "a*.b",
                                          "*.*.b", "a.*"};
        static const char *const good[] = {"*.example.com", "a-b.c_d.example", "localhost"};
        for (size_t i = 0; i < EG_ARRAY_LEN(bad); i++)
            ok(eg_aliases_normalize(bad[i], buf, sizeof(buf), err, sizeof(err)) < 0,
               "alias '%s' refused (it could never match)", bad[i]);
        for (size_t i = 0; i < EG_ARRAY_LEN(good); i++)
            ok(eg_aliases_normalize(good[i], buf, sizeof(buf), err, sizeof(err)) == 0,
               "alias '%s' accepted", good[i]);
    }
    ok(eg_id_validate("origin", "web-1.a_b", err, sizeof(err)) == 0, "ids take - _ .");
    ok(eg_id_validate("origin", "a b", err, sizeof(err)) < 0, "ids take no spaces");

    forwarding_lists();
    error_caching_min_ttl();
    path_patterns();
    invalidation_paths();
    readonly_database();
    return done();
}
