/* One viewer request as the front's files share it (front_request.c: lifecycle and jobs;
 * front_proxy.c: to the origin and back; front_deliver.c: answers, the cache). Not for use
 * outside gateway/front_*.c. */
#ifndef EDGEGATE_FRONT_REQ_H
#define EDGEGATE_FRONT_REQ_H

#include <microhttpd.h>
#include <pthread.h>

#include "edgegate/buf.h"
#include "edgegate/cache.h"
#include "edgegate/fetch.h"
#include "edgegate/front.h"
#include "edgegate/fwd.h"
#include "edgegate/range.h"
#include "edgegate/uri.h"

/* Where a request is. The event thread moves it on in eg_front_handle; a job moves it from
 * RQ_JOB (or RQ_UPLOAD) to RQ_READY and then resumes the connection. */
typedef enum {
    RQ_NEW,     /* the head is in: the first call checks it */
    RQ_ANSWER,  /* no body: answered in the next call (libmicrohttpd 0.9.75 closes the
                 * connection when a response is queued in the first) */
    RQ_JOB,     /* a job runs, the connection is suspended; its answer goes to rq->ready */
    RQ_UPLOAD,  /* the body arrives: the event thread buffers it, the job sends it on */
    RQ_READY,   /* a job left its answer: the next call queues it */
    RQ_DONE,    /* a response is queued; what is left of the body is not read */
    RQ_REFUSED, /* a refusal is queued; the connection closes after it */
} eg_rq_state_t;

typedef struct eg_req {
    int refs;                    /* atomic: libmicrohttpd's, a job's */
    int counted;                 /* holds one of f->jobs until freed (a stop waits for it) */
    eg_rq_state_t state;
    struct MHD_Connection *conn; /* borrowed; valid until completed() */
    eg_front_t *f;               /* borrowed */
    eg_listener_t *l;            /* borrowed */
    char *uri;                   /* raw request-target as sent; owned */
    eg_uri_t u;                  /* the target normalized: what is matched, keyed, forwarded */
    const char *host;            /* absolute-form's authority, else Host; borrowed or NULL */
    eg_fwd_field_t *fields;      /* the viewer's header fields, libmicrohttpd's strings */
    size_t n_fields, cap_fields;
    char client_ip[64];
    char id[40];
    char method[16];
    char version[16];
    eg_buf_t rkey;     /* the route cache's key for this request */
    eg_buf_t ckey;     /* the object cache's key, once the route is known (front_deliver.c) */
    eg_route_t *route; /* owned reference */
    eg_fetch_t *fetch; /* owned */
    eg_origin_target_t target;
    char alt_name[EG_NAME_MAX]; /* forwarded Host name, for the certificate check */
    eg_buf_t head;              /* origin request head, kept for a retry */
    eg_buf_t prefix;            /* response body bytes read before streaming began */
    size_t prefix_pos;
    int body;                   /* the viewer sends a body */
    int chunked;
    unsigned long long body_len;
    unsigned long long received; /* body bytes seen so far */
    int opened;                  /* the upload job resumed: one empty call follows */
    void (*job)(struct eg_req *);
    struct MHD_Response *ready; /* owned until queued */
    int ready_status;
    int stream;                 /* the job goes on as the pump once its answer is queued */
    int quota_taken;            /* holds one of its address's jobs (f->job_quota) */
    /* the request body on its way: the event thread fills ubuf, the upload job drains it */
    pthread_mutex_t lock;
    pthread_cond_t room;        /* the pump: the viewer took some; the upload job: data came */
    eg_buf_t ubuf;
    int u_eof, u_suspended;
    /* the response body on its way: the pump fills sbuf, the content reader drains it */
    eg_buf_t sbuf;
    size_t spos;
    int s_eof, s_err, reader_waiting, closed;
    /* a Range cut from a body that streams (front_deliver.c): 206 or 416, else 0 */
    int ranged;
    unsigned long long r_skip, r_left; /* 206: bytes to drop, then bytes to pass */
    char range_cr[EG_RANGE_CONTENT_RANGE_SIZE]; /* its Content-Range */
} eg_req_t;

void eg_req_ref(eg_req_t *rq);
void eg_req_unref(eg_req_t *rq);
/* The viewer's field, case-insensitively; the first of several. NULL when not sent. */
const char *eg_req_header(const eg_req_t *rq, const char *name);
/* What fwd.c's builders need to know of the viewer. */
void eg_req_viewer(const eg_req_t *rq, eg_fwd_viewer_t *v);
/* Runs fn in the job pool while the connection is suspended; 503 when it is full. */
enum MHD_Result eg_req_run_job(eg_req_t *rq, void (*fn)(eg_req_t *));

/* Work that uses the front's pools (jobs, background refreshes) holds the front while it
 * runs, so that eg_front_stop waits for it: 0, or -1 when the front is stopping (start
 * nothing then). */
int eg_front_hold(eg_front_t *f);
void eg_front_release(eg_front_t *f);

/* front_deliver.c: answers */
enum MHD_Result eg_deliver_queue(eg_req_t *rq, int status, struct MHD_Response *resp);
enum MHD_Result eg_deliver_error(eg_req_t *rq, int status);
enum MHD_Result eg_deliver_final(eg_req_t *rq, const eg_route_t *r);
enum MHD_Result eg_deliver_options_asterisk(eg_req_t *rq);
void eg_deliver_common(eg_req_t *rq, struct MHD_Response *resp, const char *xcache);
void eg_deliver_via(struct MHD_Response *resp, const char *origin_via, size_t len);
/* A fresh hit answered at once (1), or 0 when the cache has none. */
int eg_deliver_hit(eg_req_t *rq, enum MHD_Result *ret);
/* GET/HEAD (and OPTIONS when cached): hit, fill or revalidate; in a job. */
enum MHD_Result eg_deliver_cached(eg_req_t *rq);

/* front_refresh.c: what the origin's answers do to stored objects */
/* 1 when Authorization reaches the origin: the viewer sent it and the cache policy keys it. */
int eg_req_authorized(const eg_req_t *rq);
/* The policy an answer to rq is judged by (freshness.h); sent: when the request left. */
void eg_refresh_policy(const eg_route_t *r, int authorized, time_t sent, eg_fresh_policy_t *p);
/* 1 when the origin's 304 is about o: it names no strong validator, or o's. */
int eg_refresh_matches(const eg_cache_obj_t *o, const eg_http_head_t *h304);
/* The object the origin's 304 makes of o (RFC 9111 4.3.4) and *storable: whether it may
 * replace o in the cache. */
eg_cache_obj_t *eg_refresh_update(const eg_route_t *r, int authorized, eg_cache_obj_t *o,
                                  const eg_http_head_t *h304, time_t sent, int *storable);
/* Turns head (an origin request head) into a conditional one, with o's validators. */
void eg_refresh_conditional(eg_buf_t *head, const eg_cache_obj_t *o);
/* Revalidates o in the background while rq is served it stale (stale-while-revalidate): at
 * most one refresh per object at a time, none when the job pool is full or the front stops. */
void eg_refresh_start(eg_req_t *rq, eg_cache_obj_t *o);

/* front_proxy.c: to the origin and back */
void eg_proxy_target(eg_req_t *rq);
int eg_proxy_start(eg_req_t *rq, int retryable, int *status, char *err, size_t errlen);
int eg_proxy_read_head(eg_req_t *rq, int retryable, int *status, char *err, size_t errlen);
enum MHD_Result eg_proxy_stream(eg_req_t *rq);
enum MHD_Result eg_proxy_forward(eg_req_t *rq, int retryable);
void eg_proxy_pump(eg_req_t *rq);
/* The job for a request with a body, its route a forward: connect, send the body as it
 * comes, answer. */
void eg_proxy_upload(eg_req_t *rq);
/* The event thread's side of a body: buffers it, and suspends the connection while the
 * job is behind. */
void eg_proxy_upload_data(eg_req_t *rq, const char *data, size_t len);
/* The body ended: the connection sleeps until the job has the answer. */
void eg_proxy_upload_end(eg_req_t *rq);

#endif
