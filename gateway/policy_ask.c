/* Asking policy workers: a question is written to an idle kept connection by the thread that
 * asks (the event thread, in the front), and the answer is read by the reader thread, which
 * watches every connection with epoll, calls the asker back and sends the next waiting
 * question: no thread waits on a worker, and a decision costs the wake-ups of the exchange
 * itself. A kept connection found dead before any answer came is asked again once on a new
 * one; a question past --policy-timeout fails and its worker is killed. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "edgegate/common.h"
#include "edgegate/fcgi.h"
#include "edgegate/io.h"
#include "edgegate/policy_pool.h"

/* A connection to slot k's worker, non-blocking and in the reader's epoll set; under the lock.
 * A Unix socket connects at once or not at all (a full backlog is EAGAIN: not at all). */
static int slot_connect(eg_policy_pool_t *p, int k)
{
    slot_t *s = &p->slots[k];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    s->fd = fd;
    return 0;
}

/* Drops slot k's connection; a spawned worker that answered garbage or hung is killed, so
 * the supervisor starts a fresh one. Under the lock. */
static void slot_drop(eg_policy_pool_t *p, int k, int kill_worker)
{
    slot_t *s = &p->slots[k];
    if (s->fd >= 0) {
        epoll_ctl(p->ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        s->fd = -1;
    }
    if (kill_worker && p->spawned && s->pid > 0 && s->pid != s->killed) {
        eg_log_error("policy worker %d (pid %d) misbehaved; killing it", k, (int)s->pid);
        kill(s->pid, SIGKILL);
        s->killed = s->pid; /* until the supervisor has reaped it and started another */
    }
}

/* Sends all of q on slot k's connection without waiting (the caller may be an event thread,
 * and holds the lock the event threads take): a slot holds one question at a time, far
 * smaller than a socket's buffer, so a send that would wait means the worker is not reading
 * and counts as a failure. Under the lock. */
static int slot_send(eg_policy_pool_t *p, int k, question_t *q)
{
    slot_t *s = &p->slots[k];
    const char *buf = q->req.data;
    size_t len = q->req.len;
    while (len > 0) {
        ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    s->busy = 1;
    s->q = q;
    s->in.len = 0;
    return 0;
}

/* A failed send or receive that means the peer is gone (it closed, or died), not that it
 * misbehaved or that we ran out of time. */
static int peer_gone(int e)
{
    return e == EPIPE || e == ECONNRESET;
}

/* What the reader hands back once the lock is let go: a question and its answer (or why
 * there is none). */
typedef struct done {
    struct done *next;
    question_t *q;
    eg_buf_t answer;
    char err[256];
    int ok;
} done_t;

static void finish(done_t **list, question_t *q, eg_buf_t *answer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finish(done_t **list, question_t *q, eg_buf_t *answer, const char *fmt, ...)
{
    done_t *d = eg_calloc(1, sizeof(*d));
    d->q = q;
    if (answer) {
        d->answer = *answer;
        memset(answer, 0, sizeof(*answer));
        d->ok = 1;
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err, sizeof(d->err), fmt, ap);
        va_end(ap);
    }
    d->next = *list;
    *list = d;
}

static void push_front(eg_policy_pool_t *p, question_t *q)
{
    q->next = p->pending;
    p->pending = q;
    if (p->pending_tail == NULL)
        p->pending_tail = q;
}

/* Slot k's question failed on a kept connection before a byte came back: the worker restarted
 * or closed it between two questions. Asked once more on a new connection, as lighttpd does
 * (harmless: a worker only reads); a question that was retried already, or that went to a new
 * connection, fails. Under the lock. */
static void slot_failed(eg_policy_pool_t *p, int k, int stale, int kill_worker, done_t **done,
                        const char *why)
{
    slot_t *s = &p->slots[k];
    question_t *q = s->q;
    slot_drop(p, k, kill_worker);
    s->busy = 0;
    s->q = NULL;
    if (stale && !q->retried) {
        eg_log_info("policy worker %d: %s; asking again on a new connection", k, why);
        q->retried = 1;
        push_front(p, q);
        return;
    }
    finish(done, q, NULL, "policy worker %d: %s", k, why);
}

/* Slot k's answer from its records, when all of it came: 1 (finished), 0 (more to come), -1
 * (failed). Under the lock. */
static int slot_answer(eg_policy_pool_t *p, int k, done_t **done)
{
    slot_t *s = &p->slots[k];
    eg_buf_t out = {0};
    size_t off = 0;
    eg_fcgi_record_t rec;
    const char *why = NULL;
    int r;
    while ((r = eg_fcgi_record_parse((const uint8_t *)s->in.data + off, s->in.len - off,
                                     &rec)) == 1) {
        off += rec.record_len;
        if (rec.request_id != 1 && rec.type != EG_FCGI_UNKNOWN_TYPE) {
            why = "answered for another request";
            break;
        }
        if (rec.type == EG_FCGI_STDOUT) {
            if (out.len + rec.content_len > MAX_ANSWER) {
                why = "answer too large";
                break;
            }
            eg_buf_add(&out, rec.content, rec.content_len);
        } else if (rec.type == EG_FCGI_STDERR) {
            eg_log_warn("policy worker %d: %.*s", k, (int)rec.content_len, rec.content);
        } else if (rec.type == EG_FCGI_END_REQUEST) {
            if (off != s->in.len) {
                why = "sent bytes after its answer";
                break;
            }
            finish(done, s->q, &out, "%s", "");
            s->busy = 0;
            s->q = NULL;
            s->in.len = 0;
            return 1;
        }
    }
    eg_buf_free(&out);
    if (why == NULL && r < 0)
        why = "answered with something that is not FastCGI";
    if (why == NULL)
        return 0; /* parsed again from the start when more comes: an answer is small */
    slot_failed(p, k, 0, 1, done, why);
    return -1;
}

/* Reads what slot k's connection has, then its answer if it is whole; under the lock. */
static void slot_readable(eg_policy_pool_t *p, int k, done_t **done)
{
    slot_t *s = &p->slots[k];
    char buf[16384];
    int eof = 0, e = 0;
    for (;;) {
        ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            eof = 1;
            e = n < 0 ? errno : 0;
            break;
        }
        if (!s->busy) { /* nobody asked */
            eg_log_error("policy worker %d spoke unasked", k);
            slot_drop(p, k, 1);
            return;
        }
        if (s->in.len + (size_t)n > MAX_ANSWER + 65536) {
            slot_failed(p, k, 0, 1, done, "answer too large");
            return;
        }
        eg_buf_add(&s->in, buf, (size_t)n);
    }
    /* a worker may answer and close at once: the answer counts */
    if (s->busy && s->in.len > 0 && slot_answer(p, k, done) < 0)
        return;
    if (!eof)
        return;
    if (!s->busy) { /* a worker that restarted, or closed an idle connection */
        eg_log_info("policy worker %d closed an idle connection; the next question opens a "
                    "new one", k);
        slot_drop(p, k, 0);
        return;
    }
    /* s->in counts every byte received, records of any type included */
    slot_failed(p, k, s->kept && s->in.len == 0 && (e == 0 || peer_gone(e)), 0, done,
                e == 0 ? "closed the connection" : strerror(e));
}

/* Questions that wait go to idle slots, oldest first; under the lock. */
static void dispatch(eg_policy_pool_t *p, done_t **done)
{
    while (p->pending) {
        question_t *q = p->pending;
        int k;
        for (k = 0; k < p->n && p->slots[k].busy; k++)
            ;
        if (k == p->n)
            return;
        p->pending = q->next;
        if (p->pending == NULL)
            p->pending_tail = NULL;
        q->next = NULL;
        p->slots[k].kept = p->slots[k].fd >= 0;
        if (!p->slots[k].kept && slot_connect(p, k) < 0) {
            finish(done, q, NULL, "cannot connect to policy worker at %s: %s", p->slots[k].path,
                   strerror(errno));
            continue;
        }
        if (slot_send(p, k, q) < 0) {
            int e = errno;
            p->slots[k].busy = 1; /* for slot_failed */
            p->slots[k].q = q;
            p->slots[k].in.len = 0;
            slot_failed(p, k, p->slots[k].kept && peer_gone(e), 0, done,
                        e == EAGAIN ? "is not reading its questions" : strerror(e));
        }
    }
}

/* Questions past their deadline fail: those waiting for a slot, and those a worker holds
 * (that worker hangs: it is killed). The next deadline, or -1. Under the lock. */
static long long expire(eg_policy_pool_t *p, done_t **done)
{
    long long now = eg_now_ms(), next = -1;
    question_t **pq = &p->pending;
    p->pending_tail = NULL;
    while (*pq) {
        question_t *q = *pq;
        if (q->deadline <= now) {
            *pq = q->next;
            finish(done, q, NULL, "all %d policy workers are busy", p->n);
            continue;
        }
        if (next < 0 || q->deadline < next)
            next = q->deadline;
        p->pending_tail = q;
        pq = &q->next;
    }
    for (int k = 0; k < p->n; k++) {
        slot_t *s = &p->slots[k];
        if (!s->busy)
            continue;
        if (s->q->deadline <= now) {
            slot_failed(p, k, 0, 1, done, "did not answer in time");
            continue;
        }
        if (next < 0 || s->q->deadline < next)
            next = s->q->deadline;
    }
    return next;
}

/* Parses each answer and calls its asker, outside the lock. */
static void tell(done_t *d)
{
    while (d) {
        done_t *next = d->next;
        eg_route_t *r = NULL;
        char err[512];
        question_t *q = d->q;
        snprintf(err, sizeof(err), "%s", d->err);
        if (d->ok) {
            eg_http_head_t head;
            if (eg_http_parse_cgi_head(d->answer.data ? d->answer.data : "", d->answer.len,
                                       &head) != 1)
                snprintf(err, sizeof(err), "a policy worker answered with a malformed head");
            else if (eg_route_parse(&head, d->answer.data + head.head_len,
                                    d->answer.len - head.head_len, &r, err, sizeof(err)) < 0)
                r = NULL;
        }
        q->fn(q->arg, r, r ? NULL : err);
        eg_buf_free(&d->answer);
        eg_buf_free(&q->req);
        free(q);
        free(d);
        d = next;
    }
}

static void *reader_main(void *arg)
{
    eg_policy_pool_t *p = arg;
    struct epoll_event evs[64];
    long long next = -1;
    for (;;) {
        done_t *done = NULL;
        int n, timeout = next < 0 ? -1 : (int)(next - eg_now_ms());
        n = epoll_wait(p->ep, evs, 64, timeout < 0 && next >= 0 ? 0 : timeout);
        pthread_mutex_lock(&p->lock);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u32 == UINT32_MAX) {
                uint64_t v;
                if (read(p->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    eg_log_warn("policy reader: %s", strerror(errno));
            } else if (p->slots[evs[i].data.u32].fd >= 0) {
                slot_readable(p, (int)evs[i].data.u32, &done);
            }
        }
        dispatch(p, &done);
        next = expire(p, &done);
        dispatch(p, &done); /* a slot a hung worker held is free again */
        p->reader_until = next; /* what it sleeps until once tell() is done */
        if (p->stop && p->pending == NULL) {
            int busy = 0;
            for (int k = 0; k < p->n; k++)
                busy |= p->slots[k].busy;
            if (!busy) {
                pthread_mutex_unlock(&p->lock);
                tell(done);
                return NULL;
            }
        }
        pthread_mutex_unlock(&p->lock);
        tell(done);
    }
}

static void reader_wake(eg_policy_pool_t *p)
{
    uint64_t one = 1;
    if (write(p->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        eg_log_warn("policy reader: cannot wake it: %s", strerror(errno));
}

int eg_policy_reader_start(eg_policy_pool_t *p, char *err, size_t errlen)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->ep < 0 || p->wake_fd < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, p->wake_fd, &ev) < 0 ||
        pthread_create(&p->reader, NULL, reader_main, p) != 0) {
        eg_errf(err, errlen, "cannot start the policy reader: %s", strerror(errno));
        return -1;
    }
    p->reader_running = 1;
    return 0;
}

/* After p->stop: the reader ends once every question is answered or expired. */
void eg_policy_reader_stop(eg_policy_pool_t *p)
{
    if (p->reader_running) {
        reader_wake(p);
        pthread_join(p->reader, NULL);
        p->reader_running = 0;
    }
    if (p->ep >= 0)
        close(p->ep);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    p->ep = p->wake_fd = -1;
}

void eg_policy_ask_async(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                         eg_policy_done_fn fn, void *arg)
{
    question_t *q = eg_calloc(1, sizeof(*q));
    eg_buf_t payload = {0};
    int wake = 0;
    q->fn = fn;
    q->arg = arg;
    q->deadline = eg_now_ms() + p->o.timeout_ms;
    eg_fcgi_begin_request(&q->req, 1, EG_FCGI_RESPONDER, 1);
    for (size_t i = 0; i < n; i++)
        eg_fcgi_pair(&payload, params[i].name, strlen(params[i].name), params[i].value,
                     strlen(params[i].value));
    eg_fcgi_stream(&q->req, EG_FCGI_PARAMS, 1, payload.data, payload.len);
    eg_fcgi_stream(&q->req, EG_FCGI_PARAMS, 1, NULL, 0);
    eg_fcgi_stream(&q->req, EG_FCGI_STDIN, 1, NULL, 0);
    eg_buf_free(&payload);

    pthread_mutex_lock(&p->lock);
    if (p->stop) {
        pthread_mutex_unlock(&p->lock);
        eg_buf_free(&q->req);
        free(q);
        fn(arg, NULL, "the policy workers are stopping");
        return;
    }
    /* at once on an idle kept connection, unless questions already wait their turn */
    if (p->pending == NULL) {
        for (int k = 0; k < p->n; k++) {
            slot_t *s = &p->slots[k];
            if (s->busy || s->fd < 0)
                continue;
            s->kept = 1;
            if (slot_send(p, k, q) == 0) {
                /* the reader must time this question out: wake it when it sleeps longer */
                wake = p->reader_until < 0 || p->reader_until > q->deadline;
                if (wake)
                    p->reader_until = 0;
                pthread_mutex_unlock(&p->lock);
                if (wake)
                    reader_wake(p);
                return;
            }
            /* dead (the worker restarted), or full: the reader connects again */
            eg_log_info("policy worker %d: %s; asking again on a new connection", k,
                        strerror(errno));
            slot_drop(p, k, 0);
            break;
        }
    }
    q->next = NULL;
    if (p->pending_tail)
        p->pending_tail->next = q;
    else
        p->pending = q;
    p->pending_tail = q;
    wake = 1;
    pthread_mutex_unlock(&p->lock);
    if (wake)
        reader_wake(p);
}

/* eg_policy_ask: the asker waits for the reader's call. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    eg_route_t *route;
    char err[512];
} waiter_t;

static void wake_waiter(void *arg, eg_route_t *r, const char *err)
{
    waiter_t *w = arg;
    pthread_mutex_lock(&w->lock);
    w->route = r;
    if (r == NULL)
        snprintf(w->err, sizeof(w->err), "%s", err);
    w->done = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int eg_policy_ask(eg_policy_pool_t *p, const eg_param_t *params, size_t n, eg_route_t **out,
                  char *err, size_t errlen)
{
    waiter_t w = {.done = 0};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    eg_policy_ask_async(p, params, n, wake_waiter, &w);
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    if (w.route == NULL) {
        eg_errf(err, errlen, "%s", w.err);
        return -1;
    }
    *out = w.route;
    return 0;
}
