#!/usr/bin/env python3
"""What may wait runs as a job in a bounded pool, off the event threads: an origin that never
reads a request body holds that request only; a stalled origin holds at most --job-threads
threads, and the requests past them get 503 with Retry-After at once; bodies larger than
every buffer on the way arrive whole, in both framings."""
import hashlib
import os
import resource
import select
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Conn, eventually, http_response, main, request, test, within  # noqa: E402

ALL_METHODS = "GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE"


class RawOrigin:
    """A listener on 127.0.0.1 that hands each accepted connection to on_conn, in its
    accepting thread (one connection at a time)."""

    def __init__(self, on_conn):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        self.conns = []
        self.on_conn = on_conn
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            self.on_conn(c)

    def close(self):
        self.srv.close()
        for c in self.conns:
            c.close()


def deaf_origin():
    """Accepts connections and never reads from them: a request body fills the socket
    buffers and then every write to it waits."""
    return RawOrigin(lambda c: c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096))


def cached_answer(req):
    return http_response(200, [("Cache-Control", "max-age=600")], b"cached " + req.line.encode())


def threads_of(pid):
    return len(os.listdir("/proc/%d/task" % pid))


@test
@within(120)
def an_origin_that_never_reads_a_body_delays_no_other_viewer(env):
    deaf = deaf_origin()
    o = env.scripted_origin(cached_answer)
    env.egctl("origin", "add", "deaf", "--domain", "127.0.0.1", "--http-port", str(deaf.port),
              "--read-timeout", "60")
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(o.port))
    env.egctl("behavior", "set", "*", "--origin", "web")
    env.egctl("behavior", "add", "/upload/*", "--origin", "deaf", "--methods", ALL_METHODS,
              "--viewer-protocol", "allow-all")
    gw = env.gateway("--threads", "1")
    r = request(gw.http, "GET", "/static/a.css")
    assert r.status == 200 and r.header("X-Cache") == "Miss from edgegate", r
    sent = [0]

    def upload():
        s = socket.create_connection(("127.0.0.1", gw.http))
        s.settimeout(60)
        size = 64 << 20
        try:
            s.sendall(b"POST /upload/big HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n"
                      b"\r\n" % size)
            block = b"x" * 65536
            for _ in range(size // len(block)):
                s.sendall(block)
                sent[0] += len(block)
        except OSError:
            pass
        finally:
            s.close()

    threading.Thread(target=upload, daemon=True).start()
    # the origin's buffers are full and edgegate holds what it may: the body stops moving
    assert eventually(lambda: sent[0] > (1 << 20), timeout=10), sent
    last = -1
    while last != sent[0]:
        last = sent[0]
        time.sleep(0.5)
    # the one event thread still answers everyone else, from the cache and from the origin
    for path, xcache in (("/static/a.css", "Hit from edgegate"),
                         ("/static/b.css", "Miss from edgegate")):
        t0 = time.time()
        r = request(gw.http, "GET", path)
        took = time.time() - t0
        assert r.status == 200 and r.header("X-Cache") == xcache, r
        assert took < 2.0, "%s took %.1f s while an upload waited on its origin" % (path, took)
    deaf.close()


def stall_answer(req):
    if req.line.startswith("GET /slow/"):
        return None  # held: never answered
    return http_response(200, [("Cache-Control", "no-store")], b"fine")


def stalling_setup(env, handler, *gw_args, methods=None):
    """A scripted origin (60 s read timeout) behind the default behavior, and the gateway."""
    o = env.scripted_origin(handler)
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(o.port),
              "--read-timeout", "60")
    env.egctl("behavior", "set", "*", "--origin", "o", *(("--methods", methods) if methods else ()))
    return o, env.gateway(*gw_args)


STALLED, BOUND = 800, 64


@test
@within(180)
def a_stalled_origin_holds_at_most_job_threads_and_the_rest_get_503(env):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < STALLED + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, STALLED + 1024), hard))
    o, gw = stalling_setup(env, stall_answer, "--job-threads", str(BOUND),
                           "--max-connections-per-ip", "0", "--max-jobs-per-ip", "0")
    r = request(gw.http, "GET", "/warm")  # one decision and one fetch: the pool has a thread
    assert r.status == 200 and r.body == b"fine", r
    time.sleep(0.3)  # that thread is idle again a moment after the answer went out
    base = threads_of(gw.pid)
    held = []
    for i in range(STALLED):
        c = Conn(gw.http, timeout=10)
        c.send(b"GET /slow/%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % i)
        held.append(c)
    o.wait_requests(BOUND + 1, timeout=30)
    time.sleep(2)  # the refusals are sent at once; the others wait on the origin
    assert o.count() == BOUND + 1, "%d requests reached the origin" % o.count()
    refused, waiting = [], 0
    for c in held:
        if select.select([c.sock], [], [], 0)[0]:
            refused.append(c.read_response())
        else:
            waiting += 1
    assert waiting == BOUND, "%d requests wait on the origin, %d answered: %r" % (
        waiting, len(refused), refused[:3])
    for r in refused:
        assert r.status == 503 and r.header("Retry-After") == "2", r
        assert r.header("X-Cache") == "Error from edgegate", r
    extra = threads_of(gw.pid) - base
    assert extra <= BOUND - 1, "%d threads more than before (the bound is %d, one was made)" % (
        extra, BOUND)
    assert "all %d job threads are busy" % BOUND in env.log("edgegate"), \
        env.log("edgegate")[-2000:]
    for c in held:
        c.close()
    o.close()  # the held exchanges end: the threads are free again
    o2 = env.scripted_origin(stall_answer)
    env.egctl("origin", "set", "o", "--http-port", str(o2.port))
    assert eventually(lambda: request(gw.http, "GET", "/after").status == 200, timeout=10)


def raw_from(addr, port, data):
    s = socket.socket()
    s.bind((addr, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    return s


@test
@within(120)
def one_address_cannot_take_every_job_thread(env):
    o, gw = stalling_setup(env, stall_answer, "--job-threads", "16", "--max-jobs-per-ip", "4",
                           methods=ALL_METHODS)
    # slow uploads from one address: each holds a job while its body trickles
    slow = [raw_from("127.0.0.2", gw.http, b"POST /up/%d HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Length: 1000\r\n\r\nab" % i) for i in range(10)]
    time.sleep(2)
    answered = [s for s in slow if select.select([s], [], [], 0)[0]]
    assert len(answered) == 6, "%d of 10 slow uploads were refused, want 6" % len(answered)
    for s in answered:
        head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 2" in head, head
    # another address still gets jobs: a request that waits on the origin, and one answered
    held = raw_from("127.0.0.1", gw.http, b"GET /slow/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    r = request(gw.http, "GET", "/fine")
    assert r.status == 200 and r.body == b"fine", r
    assert not select.select([held], [], [], 1)[0], "the other address was refused too"
    assert "127.0.0.2 holds 4 job threads (--max-jobs-per-ip)" in env.log("edgegate"), \
        env.log("edgegate")[-2000:]
    for s in slow + [held]:
        s.close()


def cache_or_stall(req):
    if req.line.startswith("GET /slow/"):
        return None
    return http_response(200, [("Cache-Control", "max-age=600")], b"cached")


@test
@within(120)
def a_fresh_hit_is_served_while_every_job_thread_waits(env):
    o, gw = stalling_setup(env, cache_or_stall, "--job-threads", "4", "--max-jobs-per-ip", "0")
    r = request(gw.http, "GET", "/c/x")
    assert r.status == 200 and r.header("X-Cache") == "Miss from edgegate", r
    time.sleep(0.3)  # the fill's thread is idle again a moment after the answer went out
    held = [raw_from("127.0.0.1", gw.http, b"GET /slow/%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
            for i in range(4)]
    o.wait_requests(5, timeout=10)
    assert o.count() == 5, o.count()
    # the pool is full; a Host never seen before needs a decision the front does not
    # remember, and the object is fresh: no job is needed to answer it
    for host in ("b", "c.example"):
        c = Conn(gw.http)
        r = c.request("GET", "/c/x", host=host)
        assert r.status == 200 and r.body == b"cached" and \
            r.header("X-Cache") == "Hit from edgegate", (host, r)
        c.close()
    for s in held:
        s.close()


def answer_early(c):
    """Reads a request head, answers 413 at once and closes with the body unread (the kernel
    then resets the connection), as an origin with a body size limit does."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = c.recv(65536)
        if not chunk:
            break
        buf += chunk
    c.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n"
              b"Connection: close\r\n\r\ntoo large")
    time.sleep(0.2)
    c.close()


@test
@within(60)
def an_origin_that_answers_before_reading_the_body_is_heard(env):
    o = RawOrigin(answer_early)
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(o.port))
    env.egctl("behavior", "set", "*", "--origin", "o", "--methods", ALL_METHODS)
    gw = env.gateway()
    body = b"x" * (16 << 20)
    r = request(gw.http, "POST", "/big", body=body, headers={"Content-Length": str(len(body))})
    assert r.status == 413 and r.body == b"too large", r
    assert r.header("X-Cache") == "Miss from edgegate", r
    o.close()


def echo_digest(req):
    digest = hashlib.sha256(req.body).hexdigest().encode()
    return http_response(200, [("Cache-Control", "no-store")],
                         b"%d %s" % (len(req.body), digest))


@test
@within(180)
def request_bodies_larger_than_every_buffer_arrive_whole(env):
    o = env.scripted_origin(echo_digest)
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(o.port))
    env.egctl("behavior", "set", "*", "--origin", "o", "--methods", ALL_METHODS)
    gw = env.gateway("--threads", "1")
    body = os.urandom(5 << 20) + b"end"
    want = b"%d %s" % (len(body), hashlib.sha256(body).hexdigest().encode())
    for tls, port in ((False, gw.http), (True, gw.https)):
        r = request(port, "POST", "/in", tls=tls, body=body,
                    headers={"Content-Length": str(len(body))})
        assert r.status == 200 and r.body == want, (tls, r)
        c = Conn(port, tls=tls, timeout=60)
        c.send(b"PUT /in HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
        for k in range(0, len(body), 300000):
            part = body[k:k + 300000]
            c.send(b"%x\r\n%s\r\n" % (len(part), part))
        c.send(b"0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body == want, (tls, r)
        # the connection is kept, and a request with an empty chunked body follows
        c.send(b"POST /in HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body.startswith(b"0 "), (tls, r)
        c.close()
    assert [q.method for q in o.requests] == ["POST", "PUT", "POST"] * 2, o.requests


if __name__ == "__main__":
    sys.exit(main())
