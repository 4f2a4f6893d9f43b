/* Spawning, supervising and stopping workers (edgegate-policy, or the admin console's). Each
 * spawned worker gets its own listening socket, kept open here across restarts, so requests
 * queued while a worker restarts are served by its successor. Slot k of the connection pool
 * talks to worker k; policy_ask.c does the talking. */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edgegate/common.h"
#include "edgegate/io.h"
#include "edgegate/policy_pool.h"

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
        eg_log_error("%s worker %d: fork: %s", p->name, k, strerror(errno));
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
    s->killed = 0;
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
                    eg_log_error("%s worker %d (pid %d) killed by signal %d; restarting",
                                 p->name, k, (int)s->pid, WTERMSIG(status));
                else
                    eg_log_error("%s worker %d (pid %d) exited with status %d; restarting",
                                 p->name, k, (int)s->pid, WEXITSTATUS(status));
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
    p->name = o->name ? o->name : "policy";
    p->max_answer = o->max_answer ? o->max_answer : EG_POLICY_MAX_ANSWER;
    p->n = o->workers > 0 ? o->workers : 1;
    p->slots = eg_calloc((size_t)p->n, sizeof(*p->slots));
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    for (int k = 0; k < p->n; k++) {
        p->slots[k].fd = -1;
        p->slots[k].lfd = -1;
    }
    p->ep = p->wake_fd = -1;
    p->reader_until = -1;
    if (eg_policy_reader_start(p, err, errlen) < 0)
        goto fail;
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
        eg_errf(err, errlen, "%s worker %s: %s", p->name, p->worker_bin, strerror(errno));
        goto fail;
    }
    for (int k = 0; k < p->n; k++) {
        slot_t *s = &p->slots[k];
        snprintf(s->path, sizeof(s->path), "%s/%s-%d.sock", o->run_dir, p->name, k);
        if ((s->lfd = listen_unix(s->path, err, errlen)) < 0)
            goto fail;
        if (spawn(p, k) < 0) {
            eg_errf(err, errlen, "cannot start %s worker %d", p->name, k);
            goto fail;
        }
    }
    if (pthread_create(&p->supervisor, NULL, supervise, p) != 0) {
        eg_errf(err, errlen, "cannot start the %s worker supervisor", p->name);
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
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->spawned)
        pthread_join(p->supervisor, NULL);
    eg_policy_reader_stop(p);
    /* Kept connections first: libfcgi takes SIGTERM as "exit at the next accept", so a worker
     * reading its kept connection stays until that connection closes. */
    for (int k = 0; k < p->n; k++) {
        if (p->slots[k].fd >= 0)
            close(p->slots[k].fd);
        p->slots[k].fd = -1;
        eg_buf_free(&p->slots[k].in);
        eg_buf_free(&p->slots[k].out);
    }
    /* all at once, so n workers take the time of one */
    for (int k = 0; k < p->n; k++)
        if (p->slots[k].pid > 0 && kill(p->slots[k].pid, SIGTERM) < 0)
            eg_log_warn("%s worker %d (pid %d): %s", p->name, k, (int)p->slots[k].pid,
                        strerror(errno));
    give_up = eg_now_ms() + 2000;
    while (!all_exited(p) && eg_now_ms() < give_up) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int k = 0; k < p->n; k++) {
        slot_t *s = &p->slots[k];
        if (s->pid > 0) { /* two seconds: it will not go by itself */
            eg_log_warn("%s worker %d (pid %d) ignored SIGTERM; killing it", p->name, k,
                        (int)s->pid);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        if (s->lfd >= 0) {
            close(s->lfd);
            unlink(s->path);
        }
    }
    pthread_mutex_destroy(&p->lock);
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

