/* edgegate-policy: the FastCGI responder that makes every policy and origin decision.
 * The front spawns N of these with a listening socket on fd 0 (the FastCGI convention), or an
 * operator runs it under Apache/lighttpd or with --listen. It reloads the configuration from
 * SQLite whenever another connection has committed, so egctl edits apply at once. */
#include <fcgiapp.h>
#include <strings.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgegate/common.h"
#include "edgegate/db.h"
#include "edgegate/policy.h"
#include "edgegate/worker.h"

typedef struct {
    eg_db_t *db;
    eg_config_t *config; /* owned; replaced whole on reload */
} worker_t;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: edgegate-policy [--db PATH] [--listen SOCKET]\n"
            "\n"
            "The edgegate policy worker: a FastCGI responder that answers each viewer request\n"
            "with a redirect, a refusal or the origin to forward to.\n"
            "\n"
            "  --db PATH        SQLite database (default: $EDGEGATE_DB, else var/edgegate.db)\n"
            "  --listen SOCKET  listen on this Unix socket path (or :PORT for TCP) instead of\n"
            "                   the socket on standard input that a FastCGI spawner provides\n"
            "  --help           this text\n"
            "  --version        print the version\n");
}

static int reload(worker_t *w)
{
    char err[512];
    eg_config_t *c = NULL;
    int changed = eg_db_changed(w->db);
    if (changed == 0 && w->config)
        return 0;
    if (changed < 0 && w->config) {
        eg_log_warn("cannot check the database for changes; keeping configuration %lld",
                    w->config->version);
        return 0;
    }
    if (changed > 0 && w->config) {
        /* commits that leave the configuration as it was (the console's sessions, sign-in
         * throttling, invalidations) cost one read, not a reload */
        long long v;
        if (eg_db_config_version(w->db, &v, err, sizeof(err)) == 0 && v == w->config->version)
            return 0;
    }
    if (eg_db_config_load(w->db, &c, err, sizeof(err)) < 0) {
        eg_log_error("loading configuration: %s", err);
        return w->config ? 0 : -1;
    }
    if (w->config == NULL || w->config->version != c->version)
        eg_log_info("configuration version %lld loaded (%zu distributions)", c->version,
                    c->n_dists);
    eg_config_free(w->config);
    w->config = c;
    return 0;
}

static const char *param(FCGX_Request *rq, const char *name)
{
    return FCGX_GetParam(name, rq->envp);
}

static void serve(worker_t *w, FCGX_Request *rq)
{
    eg_policy_req_t r;
    eg_buf_t out = {0};
    const char *uri = param(rq, "REQUEST_URI");
    const char *proto = param(rq, "SERVER_PROTOCOL");
    const char *https = param(rq, "HTTPS");
    const char *scheme = param(rq, "REQUEST_SCHEME");
    const char *port = param(rq, "EG_HTTPS_PORT");
    const char *reason = NULL;
    int status;

    memset(&r, 0, sizeof(r));
    r.method = param(rq, "REQUEST_METHOD");
    if (uri == NULL)
        uri = param(rq, "SCRIPT_NAME");
    if (r.method == NULL || uri == NULL || reload(w) < 0) {
        FCGX_FPrintF(rq->out, "Status: 500 Internal Server Error\r\n"
                              "Content-Type: text/plain\r\n\r\n"
                              "edgegate-policy: missing REQUEST_METHOD/REQUEST_URI or no "
                              "configuration\n");
        return;
    }
    r.http10 = proto == NULL || strcmp(proto, "HTTP/1.0") == 0 || strcmp(proto, "HTTP/0.9") == 0;
    r.https = (https && strcasecmp(https, "on") == 0) || (scheme && strcmp(scheme, "https") == 0);
    r.host = param(rq, "HTTP_HOST");
    r.server_name = param(rq, "SERVER_NAME");
    r.public_https_port = port ? atoi(port) : 443;
    if (r.public_https_port <= 0 || r.public_https_port > 65535)
        r.public_https_port = 443;

    status = eg_policy_answer(w->config, &r, uri, strlen(uri), &out, &reason);
    if (status)
        eg_log_warn("refused a request target with %d: %s", status, reason ? reason : "?");
    FCGX_PutStr(out.data, (int)out.len, rq->out);
    eg_buf_free(&out);
}

int main(int argc, char **argv)
{
    eg_worker_args_t args = {.name = "edgegate-policy", .usage = usage};
    char err[512] = "";
    worker_t w = {0};
    FCGX_Request rq;
    int fd, cgi, rc = eg_worker_args(&args, argc, argv);

    if (rc >= 0)
        return rc;
    if (eg_db_open(args.db_path, 0, &w.db, err, sizeof(err)) < 0 || reload(&w) < 0) {
        fprintf(stderr, "edgegate-policy: %s\n", err[0] ? err : "cannot load configuration");
        eg_db_close(w.db);
        return 1;
    }
    if ((rc = eg_worker_socket(&args, 0, &fd, &cgi)) != 0)
        goto out;
    if (FCGX_InitRequest(&rq, fd, 0) != 0) {
        fprintf(stderr, "edgegate-policy: FCGX_InitRequest failed\n");
        rc = 1;
        goto out;
    }
    while (FCGX_Accept_r(&rq) >= 0) {
        serve(&w, &rq);
        FCGX_Finish_r(&rq);
    }
out:
    eg_config_free(w.config);
    eg_db_close(w.db);
    return rc;
}
