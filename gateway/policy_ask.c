/* Asking workers: a question is written to an idle kept connection by the thread that asks
 * (the event thread, in the front), and the answer is read by the reader thread, which
 * watches every connection with epoll, calls the asker back and sends the next waiting
 * question: no thread waits on a worker, and a decision costs the wake-ups of the exchange
 * itself. A policy question is far smaller than a socket's buffer and is written whole at
 * once; an exchange's request body may not be, and the reader writes the rest as the worker
 * reads (EPOLLOUT). A kept connection found dead before any answer came is asked again once
 * on a new one; a question past its timeout fails and its worker is killed. */
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
    s->want_out = 0;
    if (kill_worker && p->spawned && s->pid > 0 && s->pid != s->killed) {
        eg_log_error("%s worker %d (pid %d) misbehaved; killing it", p->name, k, (int)s->pid);
        kill(s->pid, SIGKILL);
        s->killed = s->pid; /* until the supervisor has reaped it and started another */
    }
}

/* Asks for EPOLLOUT on slot k's connection while a question's rest waits to be sent, and no
 * longer once it is; under the lock. */
static int slot_want_out(eg_policy_pool_t *p, int k, int on)
{
    slot_t *s = &p->slots[k];
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)k};
    if (s->want_out == on)
        return 0;
    if (epoll_ctl(p->ep, EPOLL_CTL_MOD, s->fd, &ev) < 0)
        return -1;
    s->want_out = on;
    return 0;
}

/* Writes what slot k's connection takes of its question without waiting (the caller may be
 * an event thread, and holds the lock the event threads take). A policy question is far
 * smaller than a socket's buffer, so one that would wait means the worker is not reading and
 * counts as a failure; an exchange's rest is written by the reader when the worker has read.
 * 0, or -1 with errno. Under the lock. */
static int slot_write(eg_policy_pool_t *p, int k)
{
    slot_t *s = &p->slots[k];
    question_t *q = s->q;
    while (q->sent < q->req.len) {
        ssize_t n = send(s->fd, q->req.data + q->sent, q->req.len - q->sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            q->sent += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && errno == EAGAIN && q->raw)
            return slot_want_out(p, k, 1);
        else
            return -1;
    }
    return slot_want_out(p, k, 0);
}

/* Gives slot k question q and writes it; on failure (-1, errno) the slot still holds q, for
 * slot_failed. Under the lock. */
static int slot_send(eg_policy_pool_t *p, int k, question_t *q)
{
    slot_t *s = &p->slots[k];
    s->busy = 1;
    s->q = q;
    s->in.len = 0;
    s->out.len = 0;
    s->got = 0;
    q->sent = 0;
    return slot_write(p, k);
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
    int busy; /* it never reached a worker */
} done_t;

static done_t *finish(done_t **list, question_t *q, eg_buf_t *answer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static done_t *finish(done_t **list, question_t *q, eg_buf_t *answer, const char *fmt, ...)
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
    return d;
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
 * (harmless: a policy worker only reads); a question that was retried already, or that went
 * to a new connection, fails. An exchange is asked again only when the connection took none
 * of it: a worker that read a POST and died may have acted on it. Under the lock. */
static void slot_failed(eg_policy_pool_t *p, int k, int stale, int kill_worker, done_t **done,
                        const char *why)
{
    slot_t *s = &p->slots[k];
    question_t *q = s->q;
    slot_drop(p, k, kill_worker);
    s->busy = 0;
    s->q = NULL;
    if (stale && !q->retried && (q->raw == NULL || q->sent == 0)) {
        eg_log_info("%s worker %d: %s; asking again on a new connection", p->name, k, why);
        q->retried = 1;
        q->sent = 0;
        push_front(p, q);
        return;
    }
    finish(done, q, NULL, "%s worker %d: %s", p->name, k, why);
}

/* Slot k's records so far, into its answer; once all of it came: 1 (finished), 0 (more to
 * come), -1 (failed). Whole records leave s->in as they are read, so an answer of megabytes
 * is parsed once, not once a read. Under the lock. */
static int slot_answer(eg_policy_pool_t *p, int k, done_t **done)
{
    slot_t *s = &p->slots[k];
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
            if (s->out.len + rec.content_len > p->max_answer) {
                why = "answer too large";
                break;
            }
            eg_buf_add(&s->out, rec.content, rec.content_len);
        } else if (rec.type == EG_FCGI_STDERR) {
            eg_log_warn("%s worker %d: %.*s", p->name, k, (int)rec.content_len, rec.content);
        } else if (rec.type == EG_FCGI_END_REQUEST) {
            /* an exchange answered before it was all sent: what is left of it would be read
             * as the next question's start, so the connection goes */
            int unsent = s->q->sent < s->q->req.len;
            if (off != s->in.len) {
                why = "sent bytes after its answer";
                break;
            }
            finish(done, s->q, &s->out, "%s", "");
            s->busy = 0;
            s->q = NULL;
            s->in.len = 0;
            if (unsent)
                slot_drop(p, k, 0);
            return 1;
        }
    }
    if (why == NULL && r < 0)
        why = "answered with something that is not FastCGI";
    if (why == NULL) {
        if (off > 0) { /* keep the record that is not whole yet */
            memmove(s->in.data, s->in.data + off, s->in.len - off);
            s->in.len -= off;
        }
        return 0;
    }
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
            eg_log_error("%s worker %d spoke unasked", p->name, k);
            slot_drop(p, k, 1);
            return;
        }
        if (s->in.len + (size_t)n > p->max_answer + 65536) {
            slot_failed(p, k, 0, 1, done, "answer too large");
            return;
        }
        eg_buf_add(&s->in, buf, (size_t)n);
        s->got += (size_t)n;
    }
    /* a worker may answer and close at once: the answer counts */
    if (s->busy && s->in.len > 0 && slot_answer(p, k, done) < 0)
        return;
    if (!eof)
        return;
    if (!s->busy) { /* a worker that restarted, or closed an idle connection */
        eg_log_info("%s worker %d closed an idle connection; the next question opens a "
                    "new one", p->name, k);
        slot_drop(p, k, 0);
        return;
    }
    /* s->got counts every byte received, records of any type included */
    slot_failed(p, k, s->kept && s->got == 0 && (e == 0 || peer_gone(e)), 0, done,
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
            finish(done, q, NULL, "cannot connect to %s worker at %s: %s", p->name,
                   p->slots[k].path, strerror(errno));
            continue;
        }
        if (slot_send(p, k, q) < 0) { /* the slot holds q, for slot_failed */
            int e = errno;
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
        if (q->queue_until <= now) {
            *pq = q->next;
            finish(done, q, NULL, "all %d %s workers are busy", p->n, p->name)->busy = 1;
            continue;
        }
        if (next < 0 || q->queue_until < next)
            next = q->queue_until;
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

/* Parses each answer and calls its asker, outside the lock; an exchange's asker gets the
 * bytes as they came. */
static void tell(done_t *d)
{
    while (d) {
        done_t *next = d->next;
        eg_route_t *r = NULL;
        char err[512];
        question_t *q = d->q;
        if (q->raw) {
            q->raw(q->arg, d->ok ? &d->answer : NULL, d->busy, d->err);
            goto next;
        }
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
    next:
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
                    eg_log_warn("%s reader: %s", p->name, strerror(errno));
            } else {
                int k = (int)evs[i].data.u32;
                slot_t *s = &p->slots[k];
                /* the worker read: the rest of an exchange's question goes on */
                if ((evs[i].events & EPOLLOUT) && s->fd >= 0 && s->busy && s->want_out &&
                    slot_write(p, k) < 0)
                    slot_failed(p, k, 0, 0, &done, strerror(errno));
                if (s->fd >= 0)
                    slot_readable(p, k, &done);
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
        eg_log_warn("%s reader: cannot wake it: %s", p->name, strerror(errno));
}

int eg_policy_reader_start(eg_policy_pool_t *p, char *err, size_t errlen)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->ep < 0 || p->wake_fd < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, p->wake_fd, &ev) < 0 ||
        pthread_create(&p->reader, NULL, reader_main, p) != 0) {
        eg_errf(err, errlen, "cannot start the %s reader: %s", p->name, strerror(errno));
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

/* A question's FastCGI request: BEGIN_REQUEST, the params, and the body as STDIN. */
static question_t *question_new(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                                const void *stdin_data, size_t stdin_len)
{
    question_t *q = eg_calloc(1, sizeof(*q));
    eg_buf_t payload = {0};
    long long now = eg_now_ms();
    q->deadline = now + p->o.timeout_ms;
    q->queue_until = p->o.queue_ms > 0 && p->o.queue_ms < p->o.timeout_ms
                         ? now + p->o.queue_ms
                         : q->deadline;
    eg_fcgi_begin_request(&q->req, 1, EG_FCGI_RESPONDER, 1);
    for (size_t i = 0; i < n; i++)
        eg_fcgi_pair(&payload, params[i].name, strlen(params[i].name), params[i].value,
                     strlen(params[i].value));
    eg_fcgi_stream(&q->req, EG_FCGI_PARAMS, 1, payload.data, payload.len);
    eg_fcgi_stream(&q->req, EG_FCGI_PARAMS, 1, NULL, 0);
    if (stdin_len > 0)
        eg_fcgi_stream(&q->req, EG_FCGI_STDIN, 1, stdin_data, stdin_len);
    eg_fcgi_stream(&q->req, EG_FCGI_STDIN, 1, NULL, 0);
    eg_buf_free(&payload);
    return q;
}

/* Sends q at once on an idle kept connection, or queues it for the reader. */
static void question_ask(eg_policy_pool_t *p, question_t *q)
{
    int wake = 0;
    pthread_mutex_lock(&p->lock);
    if (p->stop) {
        pthread_mutex_unlock(&p->lock);
        if (q->raw)
            q->raw(q->arg, NULL, 1, "the workers are stopping");
        else
            q->fn(q->arg, NULL, "the policy workers are stopping");
        eg_buf_free(&q->req);
        free(q);
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
            if (q->raw && q->sent > 0) { /* part of an exchange reached a worker: not again */
                done_t *done = NULL;
                slot_failed(p, k, 0, 0, &done, strerror(errno));
                pthread_mutex_unlock(&p->lock);
                tell(done);
                return;
            }
            /* dead (the worker restarted), or full: the reader connects again; none of the
             * question reached a worker */
            eg_log_info("%s worker %d: %s; asking again on a new connection", p->name, k,
                        strerror(errno));
            s->busy = 0;
            s->q = NULL;
            q->sent = 0;
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

void eg_policy_ask_async(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                         eg_policy_done_fn fn, void *arg)
{
    question_t *q = question_new(p, params, n, NULL, 0);
    q->fn = fn;
    q->arg = arg;
    question_ask(p, q);
}

void eg_policy_exchange_async(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                              const void *stdin_data, size_t stdin_len, eg_policy_raw_fn fn,
                              void *arg)
{
    question_t *q = question_new(p, params, n, stdin_data, stdin_len);
    q->raw = fn;
    q->arg = arg;
    question_ask(p, q);
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

/* eg_policy_exchange: the asker waits for the reader's call. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    int rc;
    eg_buf_t answer;
    char err[512];
} exchange_waiter_t;

static void wake_exchange(void *arg, eg_buf_t *answer, int busy, const char *err)
{
    exchange_waiter_t *w = arg;
    pthread_mutex_lock(&w->lock);
    if (answer) {
        w->answer = *answer; /* taken: tell() frees what is left, nothing */
        memset(answer, 0, sizeof(*answer));
        w->rc = 0;
    } else {
        snprintf(w->err, sizeof(w->err), "%s", err);
        w->rc = busy ? -2 : -1;
    }
    w->done = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int eg_policy_exchange(eg_policy_pool_t *p, const eg_param_t *params, size_t n,
                       const void *stdin_data, size_t stdin_len, eg_buf_t *answer, char *err,
                       size_t errlen)
{
    exchange_waiter_t w = {.done = 0};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    eg_policy_exchange_async(p, params, n, stdin_data, stdin_len, wake_exchange, &w);
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    if (w.rc < 0) {
        eg_errf(err, errlen, "%s", w.err);
        return w.rc;
    }
    *answer = w.answer;
    return 0;
}
