/* Spawning, supervising and talking to policy workers. Each spawned worker gets its own
 * listening socket, kept open here across restarts, so requests queued while a worker
 * restarts are served by its successor. Slot k of the connection pool talks to worker k. */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edgegate/common.h"
#include "edgegate/fcgi.h"
#include "edgegate/io.h"
#include "edgegate/policy_client.h"

#define MAX_ANSWER (256 * 1024)

typedef struct {
    int fd;        /* kept connection, -1 when none */
    int busy;      /* a request holds this slot */
    int lfd;       /* spawned: the worker's listening socket (kept open here) */
    pid_t pid;     /* spawned: the worker, 0 when not running */
    time_t started;
    char path[108];
} slot_t;

struct eg_policy_pool {
    eg_policy_opts_t o;
    char *worker_bin, *db_path, *socket_path; /* owned copies */
    slot_t *slots;
    int n;
    int spawned;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    pthread_cond_t wake; /* ends the supervisor's pause at once when the pool stops */
    pthread_t supervisor;
    int stop;
};

static int listen_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        eg_errf(err, errlen, "socket path %s is too long", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
        eg_errf(err, errlen, "listening on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int spawn(eg_policy_pool_t *p, int k)
{
    slot_t *s = &p->slots[k];
    pid_t pid = fork();
    if (pid < 0) {
        eg_log_error("policy worker %d: fork: %s", k, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        sigset_t none;
        /* the front blocks the signals it sigwait()s for; a worker must receive them */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* FastCGI convention: the listening socket is the child's standard input. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (dup2(s->lfd, 0) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execl(p->worker_bin, p->worker_bin, "--db", p->db_path, (char *)NULL);
        fprintf(stderr, "edgegate: cannot run %s: %s\n", p->worker_bin, strerror(errno));
        _exit(127);
    }
    s->pid = pid;
    s->started = time(NULL);
    return 0;
}

static void *supervise(void *arg)
{
    eg_policy_pool_t *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct timespec ts;
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        for (int k = 0; k < p->n; k++) {
            slot_t *s = &p->slots[k];
            int status;
            if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
                if (WIFSIGNALED(status))
                    eg_log_error("policy worker %d (pid %d) killed by signal %d; restarting", k,
                                 (int)s->pid, WTERMSIG(status));
                else
                    eg_log_error("policy worker %d (pid %d) exited with status %d; restarting",
                                 k, (int)s->pid, WEXITSTATUS(status));
                s->pid = 0;
            }
            /* a worker that dies at once is not restarted more than once a second */
            if (s->pid == 0 && time(NULL) - s->started >= 1)
                spawn(p, k);
        }
        /* 50 ms between looks, unless the pool stops meanwhile (wake uses CLOCK_MONOTONIC) */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&p->wake, &p->lock, &ts);
    }
}

int eg_policy_pool_start(const eg_policy_opts_t *o, eg_policy_pool_t **out, char *err,
                         size_t errlen)
{
    eg_policy_pool_t *p = eg_calloc(1, sizeof(*p));
    pthread_condattr_t ca;
    p->o = *o;
    p->n = o->workers > 0 ? o->workers : 1;
    p->slots = eg_calloc((size_t)p->n, sizeof(*p->slots));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    for (int k = 0; k < p->n; k++) {
        p->slots[k].fd = -1;
        p->slots[k].lfd = -1;
    }
    if (o->socket_path) {
        p->socket_path = eg_strdup(o->socket_path);
        for (int k = 0; k < p->n; k++)
            snprintf(p->slots[k].path, sizeof(p->slots[k].path), "%s", o->socket_path);
        *out = p;
        return 0;
    }
    p->spawned = 1;
    p->worker_bin = eg_strdup(o->worker_bin);
    p->db_path = eg_strdup(o->db_path);
    if (access(p->worker_bin, X_OK) < 0) {
        eg_errf(err, errlen, "policy worker %s: %s", p->worker_bin, strerror(errno));
        goto fail;
    }
    for (int k = 0; k < p->n; k++) {
        slot_t *s = &p->slots[k];
        snprintf(s->path, sizeof(s->path), "%s/policy-%d.sock", o->run_dir, k);
        if ((s->lfd = listen_unix(s->path, err, errlen)) < 0)
            goto fail;
        if (spawn(p, k) < 0) {
            eg_errf(err, errlen, "cannot start policy worker %d", k);
            goto fail;
        }
    }
    if (pthread_create(&p->supervisor, NULL, supervise, p) != 0) {
        eg_errf(err, errlen, "cannot start the worker supervisor");
        goto fail;
    }
    *out = p;
    return 0;
fail:
    p->spawned = 0; /* no supervisor to join */
    for (int k = 0; k < p->n; k++)
        if (p->slots[k].pid > 0)
            kill(p->slots[k].pid, SIGTERM);
    eg_policy_pool_stop(p);
    return -1;
}

/* Whether every spawned worker has exited (and been reaped). */
static int all_exited(eg_policy_pool_t *p)
{
    int left = 0;
    for (int k = 0; k < p->n; k++) {
        slot_t *s = &p->slots[k];
        if (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) != 0)
            s->pid = 0; /* reaped, or not our child any more */
        left += s->pid > 0;
    }
    return left == 0;
}

void eg_policy_pool_stop(eg_policy_pool_t *p)
{
    long long give_up;
    if (p == NULL)
        return;
    if (p->spawned) {
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->supervisor, NULL);
    }
    /* Kept connections first: libfcgi takes SIGTERM as "exit at the next accept", so a worker
     * reading its kept connection stays until that connection closes. */
    for (int k = 0; k < p->n; k++) {
        if (p->slots[k].fd >= 0)
            close(p->slots[k].fd);
        p->slots[k].fd = -1;
    }
    /* all at once, so n workers take the time of one */
    for (int k = 0; k < p->n; k++)
        if (p->slots[k].pid > 0 && kill(p->slots[k].pid, SIGTERM) < 0)
            eg_log_warn("policy worker %d (pid %d): %s", k, (int)p->slots[k].pid, strerror(errno));
    give_up = eg_now_ms() + 2000;
    while (!all_exited(p) && eg_now_ms() < give_up) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int k = 0; k < p->n; k++) {
        slot_t *s = &p->slots[k];
        if (s->pid > 0) { /* two seconds: it will not go by itself */
            eg_log_warn("policy worker %d (pid %d) ignored SIGTERM; killing it", k, (int)s->pid);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        if (s->lfd >= 0) {
            close(s->lfd);
            unlink(s->path);
        }
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
    pthread_cond_destroy(&p->wake);
    free(p->slots);
    free(p->worker_bin);
    free(p->db_path);
    free(p->socket_path);
    free(p);
}

size_t eg_policy_pids(eg_policy_pool_t *p, int *pids, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&p->lock);
    for (int k = 0; k < p->n && n < max; k++)
        if (p->slots[k].pid > 0)
            pids[n++] = (int)p->slots[k].pid;
    pthread_mutex_unlock(&p->lock);
    return n;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int acquire(eg_policy_pool_t *p, long long deadline)
{
    pthread_mutex_lock(&p->lock);
    for (;;) {
        for (int k = 0; k < p->n; k++)
            if (!p->slots[k].busy) {
                p->slots[k].busy = 1;
                pthread_mutex_unlock(&p->lock);
                return k;
            }
        {
            struct timespec ts;
            long long left = deadline - eg_now_ms();
            if (left <= 0)
                break;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += left / 1000;
            ts.tv_nsec += (left % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&p->freed, &p->lock, &ts);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return -1;
}

/* Gives the slot back; on failure the connection is dropped and a spawned worker that
 * answered garbage or hung is killed, so the supervisor starts a fresh one. */
static void release(eg_policy_pool_t *p, int k, int failed, int kill_worker)
{
    slot_t *s = &p->slots[k];
    pthread_mutex_lock(&p->lock);
    if (failed && s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (failed && kill_worker && p->spawned && s->pid > 0) {
        eg_log_error("policy worker %d (pid %d) misbehaved; killing it", k, (int)s->pid);
        kill(s->pid, SIGKILL);
    }
    s->busy = 0;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

static int write_all(int fd, const char *buf, size_t len, long long deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (eg_wait_fd(fd, POLLOUT, deadline) < 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* A failed send or receive that means the peer is gone (it closed, or died), not that it
 * misbehaved or that we ran out of time. */
static int peer_gone(int e)
{
    return e == EPIPE || e == ECONNRESET;
}

/* One round trip on slot k. Returns 0, or -1 with *misbehaved set when the worker spoke but
 * not FastCGI (or hung), as opposed to a connection that simply closed; and with *stale set
 * when the connection was a kept one that turned out dead before a single byte of an answer
 * came back (the worker restarted, or closed it, between two requests). */
static int exchange(eg_policy_pool_t *p, int k, const eg_buf_t *req, eg_buf_t *out,
                    long long deadline, int *misbehaved, int *stale, char *err, size_t errlen)
{
    slot_t *s = &p->slots[k];
    char buf[16384];
    eg_buf_t in = {0};
    size_t off = 0;
    int rc = -1, kept = s->fd >= 0;

    *misbehaved = 0;
    *stale = 0;
    if (s->fd < 0) {
        s->fd = connect_unix(s->path);
        if (s->fd < 0) {
            eg_errf(err, errlen, "cannot connect to policy worker at %s: %s", s->path,
                    strerror(errno));
            return -1;
        }
        fcntl(s->fd, F_SETFL, O_NONBLOCK);
    }
    if (write_all(s->fd, req->data, req->len, deadline) < 0) {
        *stale = kept && peer_gone(errno);
        eg_errf(err, errlen, "policy worker %d: write failed: %s", k, strerror(errno));
        goto out;
    }
    for (;;) {
        eg_fcgi_record_t rec;
        int r;
        while ((r = eg_fcgi_record_parse((const uint8_t *)in.data + off, in.len - off, &rec)) ==
               1) {
            off += rec.record_len;
            if (rec.request_id != 1 && rec.type != EG_FCGI_UNKNOWN_TYPE) {
                eg_errf(err, errlen, "policy worker %d answered for request %u", k,
                        rec.request_id);
                *misbehaved = 1;
                goto out;
            }
            if (rec.type == EG_FCGI_STDOUT) {
                if (out->len + rec.content_len > MAX_ANSWER) {
                    eg_errf(err, errlen, "policy worker %d: answer too large", k);
                    *misbehaved = 1;
                    goto out;
                }
                eg_buf_add(out, rec.content, rec.content_len);
            } else if (rec.type == EG_FCGI_STDERR) {
                eg_log_warn("policy worker %d: %.*s", k, (int)rec.content_len, rec.content);
            } else if (rec.type == EG_FCGI_END_REQUEST) {
                if (off != in.len) {
                    eg_errf(err, errlen, "policy worker %d sent bytes after its answer", k);
                    *misbehaved = 1;
                    goto out;
                }
                rc = 0;
                goto out;
            }
        }
        if (r < 0) {
            eg_errf(err, errlen, "policy worker %d answered with something that is not FastCGI",
                    k);
            *misbehaved = 1;
            goto out;
        }
        if (eg_wait_fd(s->fd, POLLIN, deadline) < 0) {
            eg_errf(err, errlen, "policy worker %d did not answer in time", k);
            *misbehaved = 1;
            goto out;
        }
        {
            ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
            if (n == 0) {
                /* in.len counts every byte received, records of any type included */
                *stale = kept && in.len == 0;
                eg_errf(err, errlen, "policy worker %d closed the connection", k);
                goto out;
            }
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                *stale = kept && in.len == 0 && peer_gone(errno);
                eg_errf(err, errlen, "policy worker %d: %s", k, strerror(errno));
                goto out;
            }
            if (in.len + (size_t)n > MAX_ANSWER + 65536) {
                eg_errf(err, errlen, "policy worker %d: answer too large", k);
                *misbehaved = 1;
                goto out;
            }
            eg_buf_add(&in, buf, (size_t)n);
        }
    }
out:
    eg_buf_free(&in);
    return rc;
}

/* exchange(), asked once more on a new connection when the kept one turned out dead before
 * anything came back, as lighttpd does: a worker that restarted (or was killed, or closed an
 * idle connection) between two requests costs the viewer nothing. Asking twice is harmless, as
 * a worker only reads; but once part of an answer arrived the worker did take the request and
 * broke off, which is its failure, and a new connection that fails is never retried either, so
 * a worker that is really broken still gives 502, at the cost of one more try at most. */
static int round_trip(eg_policy_pool_t *p, int k, const eg_buf_t *req, eg_buf_t *out,
                      long long deadline, int *misbehaved, char *err, size_t errlen)
{
    slot_t *s = &p->slots[k];
    int stale;
    if (exchange(p, k, req, out, deadline, misbehaved, &stale, err, errlen) == 0)
        return 0;
    if (!stale)
        return -1;
    eg_log_info("%s; asking again on a new connection", err);
    assert(out->len == 0); /* nothing came back */
    /* the slot is ours (busy): no lock needed, as in exchange() */
    close(s->fd);
    s->fd = -1;
    return exchange(p, k, req, out, deadline, misbehaved, &stale, err, errlen);
}

int eg_policy_ask(eg_policy_pool_t *p, const eg_param_t *params, size_t n, eg_route_t **out,
                  char *err, size_t errlen)
{
    long long deadline = eg_now_ms() + p->o.timeout_ms;
    eg_buf_t req = {0}, payload = {0}, answer = {0};
    eg_http_head_t *head = NULL;
    int k, rc = -1, misbehaved = 0, r;

    eg_fcgi_begin_request(&req, 1, EG_FCGI_RESPONDER, 1);
    for (size_t i = 0; i < n; i++)
        eg_fcgi_pair(&payload, params[i].name, strlen(params[i].name), params[i].value,
                     strlen(params[i].value));
    eg_fcgi_stream(&req, EG_FCGI_PARAMS, 1, payload.data, payload.len);
    eg_fcgi_stream(&req, EG_FCGI_PARAMS, 1, NULL, 0);
    eg_fcgi_stream(&req, EG_FCGI_STDIN, 1, NULL, 0);

    if ((k = acquire(p, deadline)) < 0) {
        eg_errf(err, errlen, "all %d policy workers are busy", p->n);
        goto out;
    }
    if (round_trip(p, k, &req, &answer, deadline, &misbehaved, err, errlen) < 0) {
        release(p, k, 1, misbehaved);
        goto out;
    }
    head = eg_malloc(sizeof(*head));
    r = eg_http_parse_cgi_head(answer.data ? answer.data : "", answer.len, head);
    if (r != 1) {
        eg_errf(err, errlen, "policy worker %d answered with a malformed head", k);
        release(p, k, 1, 1);
        goto out;
    }
    if (eg_route_parse(head, answer.data + head->head_len, answer.len - head->head_len, out, err,
                       errlen) < 0) {
        release(p, k, 1, 1);
        goto out;
    }
    release(p, k, 0, 0);
    rc = 0;
out:
    free(head);
    eg_buf_free(&req);
    eg_buf_free(&payload);
    eg_buf_free(&answer);
    return rc;
}
