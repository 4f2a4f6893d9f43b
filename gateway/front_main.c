/* edgegate: the viewer-facing gateway. Builds the daemon struct from the command line,
 * starts policy workers, the database watcher, the listeners and the admin console's, and
 * waits for a signal. */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edgegate/buf.h"
#include "edgegate/cache.h"
#include "edgegate/common.h"
#include "edgegate/front.h"
#include "edgegate/pool.h"
#include "edgegate/quota.h"

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    eg_buf_t b = {0};
    char buf[4096];
    size_t n;
    if (fp == NULL) {
        eg_errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        eg_buf_add(&b, buf, n);
    fclose(fp);
    if (b.len == 0) {
        eg_errf(err, errlen, "%s is empty", path);
        eg_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* A program installed beside edgegate; else, when also is set, in also relative to edgegate's
 * directory (a build tree keeps admin/edgegate-admin beside gateway/edgegate); else the path
 * beside, for the error to name. */
static char *default_bin(const char *name, const char *also)
{
    char exe[PATH_MAX], path[PATH_MAX + 64], alt[PATH_MAX + 64];
    const char *dir;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return eg_strdup(name);
    exe[n] = '\0';
    dir = dirname(exe);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (also && access(path, X_OK) < 0) {
        snprintf(alt, sizeof(alt), "%s/%s/%s", dir, also, name);
        if (access(alt, X_OK) == 0)
            return eg_strdup(alt);
    }
    return eg_strdup(path);
}

static int setup_run_dir(eg_front_t *f, char *err, size_t errlen)
{
    if (f->opt.run_dir) {
        if (mkdir(f->opt.run_dir, 0700) < 0 && errno != EEXIST) {
            eg_errf(err, errlen, "--run-dir %s: %s", f->opt.run_dir, strerror(errno));
            return -1;
        }
        snprintf(f->run_dir, sizeof(f->run_dir), "%s", f->opt.run_dir);
        return 0;
    }
    {
        const char *tmp = getenv("TMPDIR");
        snprintf(f->run_dir, sizeof(f->run_dir), "%s/edgegate.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(f->run_dir) == NULL) {
            eg_errf(err, errlen, "cannot make a run directory: %s", strerror(errno));
            return -1;
        }
        f->own_run_dir = 1;
    }
    return 0;
}

/* Descriptors kept back from the listeners: workers, the database, logs, the listeners. */
#define FD_RESERVE 64

/* Every connection is a descriptor, and one that is forwarded holds an origin connection too.
 * Debian starts programs with a soft RLIMIT_NOFILE of 1024 under a much higher hard limit, so
 * the soft limit is raised to the hard one (any process may), and --max-connections is lowered
 * when the listeners, at two descriptors a connection, would not fit in what there is. Past
 * the limit, accept() fails and libmicrohttpd stops accepting until a connection closes. */
static int fit_descriptors(eg_front_opts_t *o, char *err, size_t errlen)
{
    struct rlimit rl;
    int listeners = (strcmp(o->http, "off") != 0) + (strcmp(o->https, "off") != 0);
    /* the admin listener's connections, and its workers' sockets (two each) */
    int admin = strcmp(o->admin, "off") != 0
                    ? EG_ADMIN_MAX_CONNECTIONS + 2 * o->admin_workers + 1
                    : 0;
    long long have, fit;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        eg_errf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return -1;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = rl;
        /* the kernel refuses more than fs.nr_open (1048576 by default), infinity included */
        want.rlim_cur = rl.rlim_max > (1u << 20) ? (1u << 20) : rl.rlim_max;
        if (want.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &want) < 0)
            eg_log_warn("cannot raise the descriptor limit from %llu to %llu: %s",
                        (unsigned long long)rl.rlim_cur, (unsigned long long)want.rlim_cur,
                        strerror(errno));
        else if (want.rlim_cur > rl.rlim_cur)
            rl = want;
    }
    have = rl.rlim_cur == RLIM_INFINITY ? (1LL << 20) : (long long)rl.rlim_cur;
    fit = listeners > 0 ? (have - FD_RESERVE - admin) / 2 / listeners : o->max_connections;
    if (fit < o->threads || fit < 16) {
        eg_errf(err, errlen, "the descriptor limit (%lld, ulimit -n) leaves too few for "
                             "connections; raise it to %d at least",
                have, FD_RESERVE + 2 * listeners * (o->threads > 16 ? o->threads : 16));
        return -1;
    }
    if (fit < o->max_connections) {
        eg_log_warn("--max-connections %d does not fit the descriptor limit %lld (two a "
                    "connection, %d kept back): using %lld per listener",
                    o->max_connections, have, FD_RESERVE, fit);
        o->max_connections = (int)fit;
    }
    return 0;
}

int main(int argc, char **argv)
{
    eg_front_t f;
    char err[1024];
    sigset_t sigs;
    int sig, rc = 1, pr;
    eg_policy_opts_t po;
    eg_origin_pool_opts_t oo;

    memset(&f, 0, sizeof(f));
    pr = eg_front_opts_parse(&f.opt, argc, argv);
    if (pr != 0) {
        eg_front_opts_free(&f.opt);
        return pr > 0 ? 0 : 2;
    }
    /* signals are taken by sigwait below; every thread inherits this mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (fit_descriptors(&f.opt, err, sizeof(err)) < 0)
        goto fail;
    if (RAND_bytes((unsigned char *)&f.boot_id, sizeof(f.boot_id)) != 1)
        f.boot_id = (unsigned long long)time(NULL) ^ (unsigned long long)getpid();
    if (strcmp(f.opt.https, "off") != 0 || f.opt.admin_tls) {
        f.cert_pem = read_file(f.opt.cert, err, sizeof(err));
        f.key_pem = f.cert_pem ? read_file(f.opt.key, err, sizeof(err)) : NULL;
        if (f.key_pem == NULL)
            goto fail;
    }
    if (eg_db_open(f.opt.db, 0, &f.db, err, sizeof(err)) < 0)
        goto fail;
    f.cache = eg_cache_new((size_t)f.opt.cache_size);
    f.pool = eg_pool_new(f.opt.job_threads);
    f.job_quota = eg_quota_new(f.opt.max_jobs_per_ip);
    f.routes = eg_route_cache_new(f.opt.route_cache > 0 ? (size_t)f.opt.route_cache : 1);
    memset(&oo, 0, sizeof(oo));
    oo.ca_file = f.opt.origin_ca;
    oo.resolve = f.opt.resolve;
    oo.n_resolve = f.opt.n_resolve;
    if (eg_origin_pool_new(&oo, &f.origins, err, sizeof(err)) < 0)
        goto fail;
    if (setup_run_dir(&f, err, sizeof(err)) < 0)
        goto fail;
    if (f.opt.policy_bin == NULL)
        f.opt.policy_bin = default_bin("edgegate-policy", NULL);
    memset(&po, 0, sizeof(po));
    po.worker_bin = f.opt.policy_bin;
    po.db_path = f.opt.db;
    po.run_dir = f.run_dir;
    po.socket_path = f.opt.policy_socket;
    po.workers = f.opt.workers;
    po.timeout_ms = f.opt.policy_timeout * 1000;
    if (eg_policy_pool_start(&po, &f.policy, err, sizeof(err)) < 0)
        goto fail;
    if (eg_front_watch_start(&f, err, sizeof(err)) < 0)
        goto fail;
    if (eg_front_guard_start(&f, err, sizeof(err)) < 0)
        goto fail_watch;
    f.https.https = 1;
    if (strcmp(f.opt.https, "off") != 0 && eg_front_listen(&f, &f.https, err, sizeof(err)) < 0)
        goto fail_watch;
    if (f.opt.public_https_port == 0)
        f.opt.public_https_port = f.https.mhd ? f.https.port : 443;
    if (strcmp(f.opt.http, "off") != 0 && eg_front_listen(&f, &f.http, err, sizeof(err)) < 0)
        goto fail_watch;
    if (strcmp(f.opt.admin, "off") != 0) {
        if (f.opt.admin_bin == NULL)
            f.opt.admin_bin = default_bin("edgegate-admin", "../admin");
        if (eg_front_admin_start(&f, err, sizeof(err)) < 0)
            goto fail_watch;
    }

    printf("edgegate %s listening:", PACKAGE_VERSION);
    if (f.http.mhd)
        printf(" http://%s:%d", f.http.addr, f.http.port);
    if (f.https.mhd)
        printf(" https://%s:%d", f.https.addr, f.https.port);
    if (f.admin.mhd) /* after the viewers': tests read those two first */
        printf(strchr(f.admin.addr, ':') ? " admin %s://[%s]:%d/" : " admin %s://%s:%d/",
               f.admin.https ? "https" : "http", f.admin.addr, f.admin.port);
    printf(" (database %s, %d policy worker%s", f.opt.db, f.opt.workers,
           f.opt.workers == 1 ? "" : "s");
    if (f.admin.mhd)
        printf(", %d admin worker%s", f.opt.admin_workers, f.opt.admin_workers == 1 ? "" : "s");
    printf(")\n");

    for (;;) {
        int e = sigwait(&sigs, &sig);
        if (e == EINTR) /* seen while a tracer attaches */
            continue;
        if (e != 0) {
            eg_errf(err, sizeof(err), "waiting for signals: %s", strerror(e));
            goto fail_watch;
        }
        if (sig != SIGHUP)
            break;
        eg_log_info("SIGHUP: configuration changes apply by themselves; nothing to do");
    }
    eg_log_info("signal %d: shutting down", sig);
    rc = 0;
fail_watch:
    eg_front_unlisten(&f.http);
    eg_front_unlisten(&f.https);
    eg_front_unlisten(&f.admin);
    if (eg_front_stop(&f) < 0) {
        /* Requests still run and use the pools, the cache and the database: nothing may be
         * freed under them, nor may exit() run OpenSSL's and the sanitizers' handlers beside
         * them. The kernel closes what is open; workers see their connections close and get
         * SIGTERM as their parent dies (PR_SET_PDEATHSIG). */
        fflush(NULL);
        _exit(rc);
    }
    eg_front_admin_stop(&f); /* waits for its requests in flight, --admin-timeout at most */
    eg_front_watch_stop(&f);
fail:
    eg_front_guard_stop(&f); /* after eg_front_stop: libmicrohttpd's notices use it */
    if (rc != 0)
        fprintf(stderr, "edgegate: %s\n", err);
    eg_front_admin_stop(&f); /* when it was started, and a later step failed */
    eg_policy_pool_stop(f.policy);
    eg_origin_pool_free(f.origins);
    eg_pool_free(f.pool); /* NULL when eg_front_stop freed it */
    eg_quota_free(f.job_quota);
    eg_route_cache_free(f.routes);
    eg_cache_free(f.cache);
    eg_db_close(f.db);
    if (f.own_run_dir)
        rmdir(f.run_dir);
    free(f.cert_pem);
    free(f.key_pem);
    eg_front_opts_free(&f.opt);
    return rc;
}
