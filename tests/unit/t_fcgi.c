/* FastCGI records: what we encode decodes back, lengths and padding, bad input refused. And
 * the client's round trip against a stand-in worker: a kept connection found dead before any
 * answer is asked again once on a new one; a half answer, or a new connection that fails, is
 * not. And exchanges (the admin console's): a body of megabytes goes as STDIN and comes back
 * whole, an answer past max_answer fails, an exchange a worker read is never sent twice, and
 * one that finds no free worker in time is told so (busy). */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "edgegate/fcgi.h"
#include "tap.h"
/* the client is the edgegate program's, not libegcore's: compiled in here, as t_http does */
#include "../../gateway/policy_client.c"
#include "../../gateway/policy_ask.c"

/* A stand-in policy worker on a Unix socket. script[i] says what it does on the i-th
 * connection it accepts, one letter per request: 'a' reads it and answers; 'r' reads it and
 * closes without a byte of answer; 'h' reads it, sends half a record and closes. Once the
 * letters run out it closes the connection; connections past the script are closed at once. */
typedef struct {
    int lfd;
    const char *script[4];
    int accepted; /* atomic */
    int closed;   /* atomic: connections it has closed */
    int stop;     /* atomic */
} standin_t;

static int read_request(int fd)
{
    eg_buf_t in = {0};
    char buf[4096];
    size_t off = 0;
    int rc = -1;
    for (;;) {
        eg_fcgi_record_t rec;
        ssize_t n;
        while (eg_fcgi_record_parse((uint8_t *)in.data + off, in.len - off, &rec) == 1) {
            off += rec.record_len;
            if (rec.type == EG_FCGI_STDIN && rec.content_len == 0) { /* the request's end */
                rc = 0;
                goto out;
            }
        }
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            goto out;
        eg_buf_add(&in, buf, (size_t)n);
    }
out:
    eg_buf_free(&in);
    return rc;
}

static void answer(int fd, int half)
{
    static const char head[] = "Status: 403 Forbidden\r\nX-Eg-Config: 1\r\n\r\nno";
    static const uint8_t end[8] = {0};
    eg_buf_t b = {0};
    eg_fcgi_stream(&b, EG_FCGI_STDOUT, 1, head, sizeof(head) - 1);
    eg_fcgi_stream(&b, EG_FCGI_STDOUT, 1, NULL, 0);
    eg_fcgi_stream(&b, EG_FCGI_END_REQUEST, 1, end, sizeof(end));
    if (send(fd, b.data, half ? EG_FCGI_HEADER_LEN + 4 : b.len, MSG_NOSIGNAL) < 0)
        perror("stand-in worker: send");
    eg_buf_free(&b);
}

static void *standin(void *arg)
{
    standin_t *w = arg;
    for (int i = 0; !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);) {
        struct pollfd pfd = {.fd = w->lfd, .events = POLLIN};
        const char *steps;
        int fd;
        if (poll(&pfd, 1, 20) <= 0 || (fd = accept(w->lfd, NULL, NULL)) < 0)
            continue;
        __atomic_add_fetch(&w->accepted, 1, __ATOMIC_RELEASE);
        steps = i < 4 && w->script[i] ? w->script[i] : "";
        i++;
        for (; *steps; steps++) {
            if (read_request(fd) < 0)
                break;
            if (*steps == 'a')
                answer(fd, 0);
            else if (*steps == 'h')
                answer(fd, 1);
            if (*steps != 'a')
                break;
        }
        close(fd);
        __atomic_add_fetch(&w->closed, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* Waits (5 s at most) until the stand-in has closed n connections. */
static int closed_by_standin(standin_t *w, int n)
{
    for (int i = 0; i < 500 && __atomic_load_n(&w->closed, __ATOMIC_ACQUIRE) < n; i++)
        usleep(10000);
    return __atomic_load_n(&w->closed, __ATOMIC_ACQUIRE) >= n;
}

/* 1 when the pool's answer is the stand-in's 403, 0 when the ask failed. */
static int ask(eg_policy_pool_t *p, char *err, size_t errlen)
{
    static const eg_param_t params[] = {{"REQUEST_METHOD", "GET"}, {"REQUEST_URI", "/x"}};
    eg_route_t *r = NULL;
    int got;
    if (eg_policy_ask(p, params, 2, &r, err, errlen) < 0)
        return 0;
    got = r->status == 403;
    eg_route_unref(r);
    return got;
}

/* Runs one script: asks[] are the answers wanted in turn (1 = the 403, 0 = a failure), and
 * between ask k and k+1 the test waits until the stand-in closed close_before[k]
 * connections. Returns the connections the stand-in accepted in all. */
static int run(const char *name, const char *const script[4], int n_asks, const int *want,
               const int *close_before)
{
    char dir[] = "/tmp/t_fcgi.XXXXXX", path[64], err[512];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    eg_policy_opts_t o = {.workers = 1, .timeout_ms = 2000};
    eg_policy_pool_t *p = NULL;
    standin_t w = {.lfd = -1};
    pthread_t t;
    int accepted = -1;

    if (mkdtemp(dir) == NULL) {
        ok(0, "%s: mkdtemp", name);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/w.sock", dir);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    for (int i = 0; i < 4; i++)
        w.script[i] = script[i];
    w.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (w.lfd < 0 || bind(w.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(w.lfd, 8) < 0 ||
        pthread_create(&t, NULL, standin, &w) != 0) {
        ok(0, "%s: stand-in worker: %s", name, strerror(errno));
        goto fail;
    }
    o.socket_path = path;
    if (eg_policy_pool_start(&o, &p, err, sizeof(err)) < 0) {
        ok(0, "%s: pool: %s", name, err);
        goto stop;
    }
    for (int k = 0; k < n_asks; k++) {
        err[0] = '\0';
        if (close_before[k] && !closed_by_standin(&w, close_before[k]))
            ok(0, "%s: the stand-in closed %d connections", name, close_before[k]);
        is_int(ask(p, err, sizeof(err)), want[k], "%s: ask %d %s", name, k + 1,
               want[k] ? "answered" : "fails");
        if (err[0])
            printf("#   error seen: %s\n", err);
    }
    usleep(100000); /* a retry it should not have made would be accepted by now */
    accepted = __atomic_load_n(&w.accepted, __ATOMIC_ACQUIRE);
    eg_policy_pool_stop(p);
stop:
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
fail:
    if (w.lfd >= 0)
        close(w.lfd);
    unlink(path);
    rmdir(dir);
    return accepted;
}

static void round_trips(void)
{
    {
        /* the worker restarted between two requests: the kept connection is closed, the
         * write fails (EPIPE), and the request goes to the new one */
        const char *const script[4] = {"a", "a"};
        const int want[] = {1, 1}, closes[] = {0, 1};
        is_int(run("restart between requests", script, 2, want, closes), 2,
               "restart between requests: one new connection");
    }
    {
        /* the kept connection reads the request and closes before a byte of answer */
        const char *const script[4] = {"ar", "a"};
        const int want[] = {1, 1}, closes[] = {0, 0};
        is_int(run("closed before the answer", script, 2, want, closes), 2,
               "closed before the answer: one new connection");
    }
    {
        /* part of an answer came: the worker took the request and broke off */
        const char *const script[4] = {"ah"};
        const int want[] = {1, 0}, closes[] = {0, 0};
        is_int(run("half an answer", script, 2, want, closes), 1,
               "half an answer: never asked again");
    }
    {
        /* really broken: the new connection fails too, and is not retried; a request with no
         * kept connection is not retried either */
        const char *const script[4] = {"a", "r"};
        const int want[] = {1, 0, 0}, closes[] = {0, 1, 0};
        is_int(run("broken worker", script, 3, want, closes), 3,
               "broken worker: one retry for the kept connection, none for a new one");
    }
}

/* --- exchanges ------------------------------------------------------------------------------ */

/* A stand-in admin worker: script letters per request on its one connection: 'e' answers
 * "X-Len: N" and the STDIN it read back, 'b' answers big bytes, 'r' reads the request and
 * closes, 'h' reads it and holds it until the test stops. */
typedef struct {
    int lfd;
    const char *script;
    size_t big;
    int accepted; /* atomic */
    int stop;     /* atomic */
} xstandin_t;

/* Reads one request; 0 with its STDIN in body once the empty STDIN record came. */
static int read_exchange(int fd, eg_buf_t *body)
{
    eg_buf_t in = {0};
    char buf[65536];
    size_t off = 0;
    int rc = -1;
    body->len = 0;
    for (;;) {
        eg_fcgi_record_t rec;
        ssize_t n;
        while (eg_fcgi_record_parse((uint8_t *)in.data + off, in.len - off, &rec) == 1) {
            off += rec.record_len;
            if (rec.type == EG_FCGI_STDIN && rec.content_len == 0) {
                rc = 0;
                goto out;
            }
            if (rec.type == EG_FCGI_STDIN)
                eg_buf_add(body, rec.content, rec.content_len);
        }
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            goto out;
        eg_buf_add(&in, buf, (size_t)n);
    }
out:
    eg_buf_free(&in);
    return rc;
}

static void reply(int fd, const eg_buf_t *out)
{
    static const uint8_t end[8] = {0};
    eg_buf_t b = {0};
    eg_fcgi_stream(&b, EG_FCGI_STDOUT, 1, out->data, out->len);
    eg_fcgi_stream(&b, EG_FCGI_STDOUT, 1, NULL, 0);
    eg_fcgi_stream(&b, EG_FCGI_END_REQUEST, 1, end, sizeof(end));
    for (size_t off = 0; off < b.len;) {
        ssize_t n = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    eg_buf_free(&b);
}

static void *xstandin(void *arg)
{
    xstandin_t *w = arg;
    eg_buf_t body = {0}, out = {0};
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        struct pollfd pfd = {.fd = w->lfd, .events = POLLIN};
        int fd;
        if (poll(&pfd, 1, 20) <= 0 || (fd = accept(w->lfd, NULL, NULL)) < 0)
            continue;
        __atomic_add_fetch(&w->accepted, 1, __ATOMIC_RELEASE);
        for (const char *step = w->script; *step; step++) {
            if (read_exchange(fd, &body) < 0)
                break;
            out.len = 0;
            if (*step == 'e') {
                eg_buf_printf(&out, "X-Len: %zu\r\n\r\n", body.len);
                eg_buf_add(&out, body.data ? body.data : "", body.len);
                reply(fd, &out);
            } else if (*step == 'b') {
                eg_buf_adds(&out, "\r\n");
                eg_buf_reserve(&out, w->big);
                memset(out.data + out.len, 'b', w->big);
                out.len += w->big;
                reply(fd, &out);
            } else if (*step == 'h') {
                while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
                    usleep(10000);
                break;
            } else {
                break;
            }
        }
        close(fd);
    }
    eg_buf_free(&body);
    eg_buf_free(&out);
    return NULL;
}

typedef struct {
    xstandin_t w;
    pthread_t t;
    eg_policy_pool_t *p;
    char dir[32], path[64];
} xrig_t;

static int xrig_start(xrig_t *x, const char *script, size_t max_answer, int timeout_ms,
                      int queue_ms)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    eg_policy_opts_t o = {.name = "admin", .workers = 1, .timeout_ms = timeout_ms,
                          .queue_ms = queue_ms, .max_answer = max_answer};
    char err[512];
    memset(x, 0, sizeof(*x));
    x->w.lfd = -1;
    x->w.script = script;
    snprintf(x->dir, sizeof(x->dir), "/tmp/t_fcgi.XXXXXX");
    if (mkdtemp(x->dir) == NULL)
        return -1;
    snprintf(x->path, sizeof(x->path), "%s/w.sock", x->dir);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", x->path);
    x->w.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (x->w.lfd < 0 || bind(x->w.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(x->w.lfd, 8) < 0 || pthread_create(&x->t, NULL, xstandin, &x->w) != 0)
        return -1;
    o.socket_path = x->path;
    if (eg_policy_pool_start(&o, &x->p, err, sizeof(err)) < 0) {
        printf("#   pool: %s\n", err);
        return -1;
    }
    return 0;
}

static void xrig_stop(xrig_t *x)
{
    __atomic_store_n(&x->w.stop, 1, __ATOMIC_RELEASE);
    eg_policy_pool_stop(x->p);
    pthread_join(x->t, NULL);
    close(x->w.lfd);
    unlink(x->path);
    rmdir(x->dir);
}

typedef struct {
    pthread_mutex_t lock;
    int done, busy;
    eg_buf_t answer;
    long long at;
} told_t;

static void told(void *arg, eg_buf_t *answer, int busy, const char *err)
{
    told_t *t = arg;
    pthread_mutex_lock(&t->lock);
    if (answer) {
        t->answer = *answer;
        memset(answer, 0, sizeof(*answer));
    }
    t->busy = busy;
    t->at = eg_now_ms();
    t->done = answer ? 1 : -1;
    pthread_mutex_unlock(&t->lock);
}

static int told_done(told_t *t)
{
    int d;
    pthread_mutex_lock(&t->lock);
    d = t->done;
    pthread_mutex_unlock(&t->lock);
    return d;
}

static void exchanges(void)
{
    static const eg_param_t params[] = {{"REQUEST_METHOD", "POST"}, {"REQUEST_URI", "/x"}};
    xrig_t x;
    eg_buf_t ans = {0};
    char err[512], want[64];
    size_t len = 2 * 1024 * 1024 + 1;
    unsigned char *body = eg_malloc(len);
    for (size_t i = 0; i < len; i++)
        body[i] = (unsigned char)(i * 7 + (i >> 11)); /* every byte value, NULs included */

    /* a body of 2 MiB goes as STDIN (more than a socket's buffer: the reader sends the rest as
     * the worker reads) and comes back whole; the kept connection serves the next one */
    if (xrig_start(&x, "ee", 4 * 1024 * 1024, 5000, 0) < 0) {
        ok(0, "exchange rig: %s", strerror(errno));
    } else {
        int rc = eg_policy_exchange(x.p, params, 2, body, len, &ans, err, sizeof(err));
        snprintf(want, sizeof(want), "X-Len: %zu\r\n\r\n", len);
        is_int(rc, 0, "a 2 MiB exchange is answered");
        ok(rc == 0 && ans.len == strlen(want) + len && memcmp(ans.data, want, strlen(want)) == 0 &&
               memcmp(ans.data + strlen(want), body, len) == 0,
           "the worker read the body intact, and its answer came back intact");
        eg_buf_free(&ans);
        rc = eg_policy_exchange(x.p, params, 2, "ab", 2, &ans, err, sizeof(err));
        ok(rc == 0 && ans.len == strlen("X-Len: 2\r\n\r\nab"), "a second exchange, kept connection");
        eg_buf_free(&ans);
        /* the stand-in closes the connection after two: an idle connection's close is seen
         * by the reader, and the third goes to a new connection */
        usleep(100000);
        rc = eg_policy_exchange(x.p, params, 2, NULL, 0, &ans, err, sizeof(err));
        ok(rc == 0 && ans.len == strlen("X-Len: 0\r\n\r\n"), "an empty exchange, after the "
           "worker closed its idle connection");
        eg_buf_free(&ans);
        xrig_stop(&x);
        is_int(x.w.accepted, 2, "two connections: the third exchange went to a new one");
    }

    /* an answer past max_answer fails, and is not taken in part */
    if (xrig_start(&x, "b", 64 * 1024, 5000, 0) < 0) {
        ok(0, "exchange rig: %s", strerror(errno));
    } else {
        x.w.big = 64 * 1024; /* plus the blank line: one byte too many... two */
        is_int(eg_policy_exchange(x.p, params, 2, NULL, 0, &ans, err, sizeof(err)), -1,
               "an answer past max_answer fails");
        ok(strstr(err, "too large") != NULL, "because it is too large (%s)", err);
        xrig_stop(&x);
    }

    /* a kept connection that reads an exchange and closes without a byte of answer: a policy
     * question would be asked again, an exchange is not (the worker may have acted on it) */
    if (xrig_start(&x, "er", 1 << 20, 5000, 0) < 0) {
        ok(0, "exchange rig: %s", strerror(errno));
    } else {
        is_int(eg_policy_exchange(x.p, params, 2, "a", 1, &ans, err, sizeof(err)), 0,
               "first exchange answered");
        eg_buf_free(&ans);
        is_int(eg_policy_exchange(x.p, params, 2, "b", 1, &ans, err, sizeof(err)), -1,
               "an exchange read by a worker that then closed fails");
        usleep(100000);
        is_int(__atomic_load_n(&x.w.accepted, __ATOMIC_ACQUIRE), 1, "and is not sent again");
        xrig_stop(&x);
    }

    /* the one worker holds an exchange: the next waits queue_ms for it and is told busy; the
     * held one fails at the timeout */
    if (xrig_start(&x, "h", 1 << 20, 1500, 200) < 0) {
        ok(0, "exchange rig: %s", strerror(errno));
    } else {
        told_t t = {.done = 0};
        long long t0 = eg_now_ms(), took;
        int rc;
        pthread_mutex_init(&t.lock, NULL);
        eg_policy_exchange_async(x.p, params, 2, "held", 4, told, &t);
        rc = eg_policy_exchange(x.p, params, 2, "next", 4, &ans, err, sizeof(err));
        took = eg_now_ms() - t0;
        is_int(rc, -2, "no worker free within queue_ms: busy");
        ok(took >= 150 && took < 1200, "told after the queue wait, not the timeout (%lld ms)",
           took);
        for (int i = 0; i < 300 && told_done(&t) == 0; i++)
            usleep(10000);
        ok(told_done(&t) == -1 && !t.busy, "the held exchange failed (not busy)");
        ok(t.at - t0 >= 1400 && t.at - t0 < 2500, "at the timeout (%lld ms)", t.at - t0);
        xrig_stop(&x);
        pthread_mutex_destroy(&t.lock);
    }
    free(body);
}

int main(void)
{
    eg_buf_t b = {0}, payload = {0};
    eg_fcgi_record_t rec;
    char big[300];
    size_t pos = 0, nl, vl;
    const uint8_t *n, *v;

    eg_fcgi_begin_request(&b, 1, EG_FCGI_RESPONDER, 1);
    is_int(b.len, 16, "BEGIN_REQUEST is 16 bytes");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), 1, "it parses");
    is_int(rec.type, EG_FCGI_BEGIN_REQUEST, "type");
    is_int(rec.request_id, 1, "request id");
    is_int(rec.content[2], 1, "keep-conn flag");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, 7, &rec), 0, "a short header needs more");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, 12, &rec), 0, "a short body needs more");
    b.data[0] = 2;
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), -1, "version 2 is refused");

    memset(big, 'x', sizeof(big));
    eg_fcgi_pair(&payload, "REQUEST_METHOD", 14, "GET", 3);
    eg_fcgi_pair(&payload, "LONG", 4, big, sizeof(big));
    is_int(payload.len, 2 + 14 + 3 + 1 + 4 + 4 + 300, "pairs use 1- and 4-byte lengths");
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, payload.len, &pos, &n, &nl, &v, &vl), 1,
           "first pair");
    ok(nl == 14 && !memcmp(n, "REQUEST_METHOD", 14) && vl == 3 && !memcmp(v, "GET", 3),
       "first pair's name and value");
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, payload.len, &pos, &n, &nl, &v, &vl), 1,
           "second pair");
    is_int(vl, 300, "long value length");
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, payload.len, &pos, &n, &nl, &v, &vl), 0,
           "end of pairs");
    pos = 0;
    is_int(eg_fcgi_pair_next((uint8_t *)payload.data, 10, &pos, &n, &nl, &v, &vl), -1,
           "a truncated pair is refused");

    b.len = 0;
    eg_fcgi_stream(&b, EG_FCGI_STDOUT, 1, "hello", 5);
    is_int(b.len, 8 + 5 + 3, "records are padded to 8 bytes");
    is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), 1, "padded record parses");
    is_int(rec.record_len, 16, "record length includes padding");
    b.len = 0;
    {
        static char huge[70000];
        eg_fcgi_stream(&b, EG_FCGI_STDIN, 1, huge, sizeof(huge));
        is_int(eg_fcgi_record_parse((uint8_t *)b.data, b.len, &rec), 1, "split stream parses");
        is_int(rec.content_len, 65535, "first record holds 65535 bytes");
    }
    b.len = 0;
    eg_fcgi_stream(&b, EG_FCGI_PARAMS, 1, NULL, 0);
    is_int(b.len, 8, "an empty record ends a stream");
    eg_buf_free(&b);
    eg_buf_free(&payload);
    round_trips();
    exchanges();
    return done();
}
