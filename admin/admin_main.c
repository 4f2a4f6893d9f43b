/* edgegate-admin: the web console as a FastCGI responder. edgegate --admin spawns a few with
 * a listening socket on fd 0 (the FastCGI convention); Apache and lighttpd can run it the
 * same way; --listen opens a socket itself; started by a web server as a CGI program (no
 * FastCGI socket on standard input) it answers the one request in its environment. */
#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "edgegate/admin.h"
#include "edgegate/common.h"
#include "edgegate/conf.h"
#include "edgegate/worker.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: edgegate-admin [--db PATH] [--listen SOCKET]\n"
               "\n"
               "The edgegate web console: distributions, origins, behaviors and invalidations,\n"
               "as a FastCGI responder (or a CGI program when standard input is not a FastCGI\n"
               "socket). edgegate --admin ADDR:PORT serves it; operators sign in with accounts\n"
               "made by `egctl user add NAME`.\n"
               "\n"
               "  --db PATH        SQLite database (default: $EDGEGATE_DB, else var/edgegate.db)\n"
               "  --listen SOCKET  listen on this Unix socket path (or :PORT for TCP) instead of\n"
               "                   the socket on standard input that a FastCGI spawner provides\n"
               "  --help           this text\n"
               "  --version        print the version\n");
}

typedef const char *(*param_fn)(void *ctx, const char *name);

static const char *fcgi_param(void *ctx, const char *name)
{
    return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static const char *cgi_param(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

/* Reads the request from its parameters and body into a; -1 with a status when it cannot be
 * served (the body too large or cut short). */
static int read_request(eg_admin_t *a, param_fn param, void *ctx, const char *body, size_t blen)
{
    const char *ctype = param(ctx, "CONTENT_TYPE");
    const char *https = param(ctx, "HTTPS");
    const char *query = param(ctx, "QUERY_STRING");
    a->method = param(ctx, "REQUEST_METHOD");
    a->path = param(ctx, "PATH_INFO");
    a->base = param(ctx, "SCRIPT_NAME");
    a->remote_addr = param(ctx, "REMOTE_ADDR");
    a->cookie = param(ctx, "HTTP_COOKIE");
    a->host = param(ctx, "HTTP_HOST");
    a->server_name = param(ctx, "SERVER_NAME");
    a->https = https && (strcasecmp(https, "on") == 0 || strcmp(https, "1") == 0);
    if (a->method == NULL)
        a->method = "GET";
    if (a->path == NULL || *a->path == '\0')
        a->path = "/";
    if (a->base == NULL)
        a->base = "";
    if (a->remote_addr == NULL)
        a->remote_addr = "-";
    a->now = (long long)time(NULL);
    if (query && eg_web_form_parse(query, strlen(query), 64, &a->query) < 0)
        return 400;
    if (strcmp(a->method, "POST") == 0) {
        /* an upload (a configuration file) comes as multipart/form-data; its fields, the CSRF
         * token among them, are read as a urlencoded form's */
        if (ctype && strncasecmp(ctype, "multipart/form-data", 19) == 0)
            return eg_web_multipart_parse(ctype, body, blen, 16, &a->form) < 0 ? 400 : 0;
        if (ctype == NULL || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)
            return 415;
        if (eg_web_form_parse(body, blen, 4096, &a->form) < 0)
            return 400;
    }
    return 0;
}

static void answer(eg_admin_t *a, eg_buf_t *out)
{
    eg_buf_printf(out, "Status: %d\r\n", a->status ? a->status : 200);
    eg_buf_add(out, a->head.data ? a->head.data : "", a->head.len);
    /* every answer: nothing from elsewhere, never in a frame, no referrer past this origin */
    eg_buf_adds(out, "Content-Security-Policy: default-src 'none'; style-src 'self'; "
                     "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                     "base-uri 'none'\r\n"
                     "X-Frame-Options: DENY\r\n"
                     "Referrer-Policy: same-origin\r\n"
                     "X-Content-Type-Options: nosniff\r\n");
    if (a->head.data == NULL || strstr(a->head.data, "Cache-Control:") == NULL)
        eg_buf_adds(out, "Cache-Control: no-store\r\n");
    eg_buf_printf(out, "Content-Length: %zu\r\n\r\n", a->body.len);
    if (strcmp(a->method ? a->method : "GET", "HEAD") != 0)
        eg_buf_add(out, a->body.data ? a->body.data : "", a->body.len);
}

/* One request: parameters from param, the body already read. */
static void serve(eg_db_t *db, param_fn param, void *ctx, const char *body, size_t blen,
                  int too_large, eg_buf_t *out)
{
    eg_admin_t a;
    int bad;
    memset(&a, 0, sizeof(a));
    a.db = db;
    bad = too_large ? 413 : read_request(&a, param, ctx, body, blen);
    if (bad)
        eg_admin_fail(&a, bad, "Request refused",
                      bad == 413   ? "The form is larger than the console accepts."
                      : bad == 415 ? "Forms must be sent as application/x-www-form-urlencoded (or multipart/form-data for an upload)."
                                   : "The request's query or form is malformed.");
    else
        eg_admin_handle(&a);
    eg_db_set_actor(db, NULL);
    answer(&a, out);
    eg_web_kvs_free(&a.query);
    eg_web_kvs_free(&a.form);
    eg_buf_free(&a.head);
    eg_buf_free(&a.body);
}

/* Reads up to CONTENT_LENGTH bytes of body with get (FastCGI or stdin); *too_large when
 * the body is past EG_ADMIN_BODY_MAX (then it is not read). */
static void read_body(const char *clen, int (*get)(void *ctx, char *buf, int n), void *ctx,
                      eg_buf_t *body, int *too_large)
{
    long long want = clen && *clen ? atoll(clen) : 0;
    char buf[16384];
    *too_large = 0;
    if (want < 0)
        want = 0;
    if (want > EG_ADMIN_BODY_MAX) {
        *too_large = 1;
        return;
    }
    while ((long long)body->len < want) {
        long long left = want - (long long)body->len;
        int n = get(ctx, buf, left < (long long)sizeof(buf) ? (int)left : (int)sizeof(buf));
        if (n <= 0)
            break;
        eg_buf_add(body, buf, (size_t)n);
    }
}

static int fcgi_get(void *ctx, char *buf, int n)
{
    return FCGX_GetStr(buf, n, ((FCGX_Request *)ctx)->in);
}

static int stdin_get(void *ctx, char *buf, int n)
{
    (void)ctx;
    return (int)fread(buf, 1, (size_t)n, stdin);
}

int main(int argc, char **argv)
{
    eg_worker_args_t args = {.name = "edgegate-admin", .usage = usage};
    char err[512];
    eg_db_t *db = NULL;
    FCGX_Request rq;
    int fd, cgi, rc = eg_worker_args(&args, argc, argv);

    if (rc >= 0)
        return rc;
    eg_conf_init();
    if (eg_db_open(args.db_path, 0, &db, err, sizeof(err)) < 0) {
        fprintf(stderr, "edgegate-admin: %s\n", err);
        return 1;
    }
    if ((rc = eg_worker_socket(&args, 1, &fd, &cgi)) != 0) {
        eg_db_close(db);
        return rc;
    }
    if (cgi) { /* plain CGI: one request from the environment */
        eg_buf_t body = {0}, out = {0};
        int too_large;
        read_body(getenv("CONTENT_LENGTH"), stdin_get, NULL, &body, &too_large);
        serve(db, cgi_param, NULL, body.data ? body.data : "", body.len, too_large, &out);
        fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
        eg_buf_free(&body);
        eg_buf_free(&out);
        eg_db_close(db);
        return 0;
    }
    if (FCGX_InitRequest(&rq, fd, 0) != 0) {
        fprintf(stderr, "edgegate-admin: FCGX_InitRequest failed\n");
        eg_db_close(db);
        return 1;
    }
    while (FCGX_Accept_r(&rq) >= 0) {
        eg_buf_t body = {0}, out = {0};
        int too_large;
        read_body(FCGX_GetParam("CONTENT_LENGTH", rq.envp), fcgi_get, &rq, &body, &too_large);
        serve(db, fcgi_param, &rq, body.data ? body.data : "", body.len, too_large, &out);
        FCGX_PutStr(out.data, (int)out.len, rq.out);
        eg_buf_free(&body);
        eg_buf_free(&out);
        FCGX_Finish_r(&rq);
    }
    eg_db_close(db);
    return 0;
}
