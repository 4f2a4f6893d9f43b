/* The policy client's pool, as its two files share it: policy_client.c spawns, supervises
 * and stops workers; policy_ask.c asks them (the slots' connections and the reader thread).
 * Not for use elsewhere. */
#ifndef EDGEGATE_POLICY_POOL_H
#define EDGEGATE_POLICY_POOL_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include "edgegate/buf.h"
#include "edgegate/policy_client.h"

/* A question on its way: the FastCGI request, whom to tell, and until when. */
typedef struct question {
    struct question *next;
    eg_buf_t req;
    size_t sent;           /* bytes of req the connection took so far */
    eg_policy_done_fn fn;  /* a policy question: told the route */
    eg_policy_raw_fn raw;  /* an exchange (fn NULL): told the bytes */
    void *arg;
    long long deadline;    /* eg_now_ms(): the whole answer by then */
    long long queue_until; /* a worker free by then, or it fails as busy */
    int retried;           /* asked again once on a new connection already */
} question_t;

typedef struct {
    int fd;        /* kept connection, -1 when none; in the reader's epoll set while open */
    int busy;      /* a question holds this slot */
    question_t *q; /* that question */
    int kept;      /* the question went to a connection an earlier one used */
    eg_buf_t in;   /* what came back and is not parsed yet: at most a record and a read */
    eg_buf_t out;  /* the answer's STDOUT so far */
    size_t got;    /* bytes received for this question, records of any type */
    int want_out;  /* EPOLLOUT is asked for: the reader sends the rest of the question */
    int lfd;       /* spawned: the worker's listening socket (kept open here) */
    pid_t pid;     /* spawned: the worker, 0 when not running */
    pid_t killed;  /* the worker slot_drop last killed: killed (and logged) once */
    time_t started;
    char path[108];
} slot_t;

struct eg_policy_pool {
    eg_policy_opts_t o;
    const char *name;  /* o.name or "policy": in sockets' names and in logs */
    size_t max_answer; /* o.max_answer or EG_POLICY_MAX_ANSWER */
    char *worker_bin, *db_path, *socket_path; /* owned copies */
    slot_t *slots;
    int n;
    int spawned;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* ends the supervisor's pause at once when the pool stops */
    pthread_t supervisor;
    int stop;
    /* the reader: epoll over the slots' connections and wake, an eventfd for questions that
     * wait for a slot (pending, oldest first) */
    int ep, wake_fd;
    /* the deadline the reader sleeps until (-1: none); under lock. A question sent at once
     * with an earlier deadline wakes it, or a worker that never answers would hold it */
    long long reader_until;
    pthread_t reader;
    int reader_running;
    question_t *pending, *pending_tail;
};


/* The reader thread (policy_ask.c): started with the pool; stopped once p->stop is set, when
 * every question is answered or expired. */
int eg_policy_reader_start(eg_policy_pool_t *p, char *err, size_t errlen);
void eg_policy_reader_stop(eg_policy_pool_t *p);

#endif
