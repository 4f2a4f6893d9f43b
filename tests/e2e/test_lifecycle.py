#!/usr/bin/env python3
"""Starting and stopping edgegate: an idle SIGTERM is quick, a SIGTERM under load lets the
requests in flight finish (for a bound), and nothing is freed under a request that is still
running. A policy worker killed between two requests costing no viewer a 502 is in
test_viewer.py (worker_killed_between_requests_costs_no_viewer_a_502), with the FastCGI
client's other failures."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Conn, eventually, exited, http_response, main, request,  # noqa: E402
                     test, within)

SLOW = 2.0            # seconds the origin takes to answer a slow request
BIG = 400 * 1024      # more than the pump reads ahead (256 KiB): streamed through it
DRAIN_S = 10          # gateway/front_request.c DRAIN_MS


def slow_origin(env):
    """A scripted origin: /slow/* answers a small cacheable body after SLOW seconds,
    /stream/* a BIG uncacheable one (so it streams) after SLOW seconds, /hold/* never, and
    anything else at once."""
    def answer(req):
        if req.target.startswith("/hold/"):
            return None
        if req.target.startswith("/slow/"):
            time.sleep(SLOW)
            return http_response(200, [("Cache-Control", "max-age=60")], "slow %s\n" % req.target)
        if req.target.startswith("/stream/"):
            time.sleep(SLOW)
            return http_response(200, [("Cache-Control", "no-store")], b"x" * BIG)
        return http_response(200, [("Cache-Control", "no-store")], "fast %s\n" % req.target)
    o = env.scripted_origin(answer)
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(o.port),
              "--read-timeout", "60")
    return o


def children(pid):
    return subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                          text=True).stdout.split()


def stop(gw, limit):
    """SIGTERM, then the exit status and how long it took (None when still running)."""
    t0 = time.time()
    gw.send_signal(signal.SIGTERM)
    try:
        rc = gw.wait(limit)
    except subprocess.TimeoutExpired:
        return None, time.time() - t0
    return rc, time.time() - t0


@test
@within(30)
def an_idle_sigterm_exits_within_a_second(env):
    o = slow_origin(env)
    gw = env.gateway(workers=2)
    # everything a served request leaves behind: kept connections to both workers and to the
    # origin, a viewer's kept connection, idle
    for tls, port in ((False, gw.http), (True, gw.https)):
        for i in range(3):
            r = request(port, "GET", "/fast/%d" % i, tls=tls)
            assert r.status == 200, r
    kept = Conn(gw.http)
    assert kept.request("GET", "/fast/kept").status == 200
    assert o.count() == 7, o.got()
    workers = children(gw.pid)
    assert len(workers) == 2, workers
    time.sleep(0.3)
    rc, took = stop(gw, 5)
    kept.close()
    assert rc == 0, "exit status %r after %.2f s" % (rc, took)
    assert took < 1.0, "an idle SIGTERM took %.2f s" % took
    assert eventually(lambda: all(exited(w) for w in workers), 2), "policy workers outlived it"
    assert "shutting down" in env.log("edgegate"), env.log("edgegate")


@test
@within(60)
def sigterm_under_load_lets_requests_in_flight_finish(env):
    o = slow_origin(env)
    gw = env.gateway(workers=2)
    n = 50
    results = [None] * n

    def viewer(i):
        path = "/slow/%d" % i if i % 2 else "/stream/%d" % i
        try:
            results[i] = request(gw.http if i % 3 else gw.https, "GET", path, tls=not i % 3)
        except Exception as e:  # any failure of a request in flight
            results[i] = e

    kept = Conn(gw.http)
    assert kept.request("GET", "/fast/before").header("Connection", "") != "close"
    threads = [threading.Thread(target=viewer, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    # every request is at the origin, waiting for its answer, when the signal comes
    assert eventually(lambda: o.count() >= n + 1, 10), "only %d at the origin" % o.count()
    t0 = time.time()
    gw.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    # a kept viewer connection is still served while the others drain, and then closed
    r = kept.request("GET", "/fast/during")
    assert r.status == 200 and r.body == b"fast /fast/during\n", r
    assert r.header("Connection", "").lower() == "close", r
    kept.close()
    # a new viewer is refused at once, not left in the kernel's backlog until the exit
    for port in (gw.http, gw.https):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            assert False, "a new connection to %d was accepted while draining" % port
        except ConnectionRefusedError:
            pass
    try:
        rc = gw.wait(SLOW + 5)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.time() - t0
    for t in threads:
        t.join(10)
    assert rc == 0, "exit status %r %.2f s after SIGTERM" % (rc, took)
    assert took < SLOW + 3, "took %.2f s to drain" % took
    bad = [(i, r) for i, r in enumerate(results)
           if not (getattr(r, "status", None) == 200 and
                   r.body == (b"x" * BIG if i % 2 == 0 else ("slow /slow/%d\n" % i).encode()))]
    assert not bad, "%d of %d requests in flight were cut: %r" % (
        len(bad), n, [(i, r if isinstance(r, Exception) else (r.status, len(r.body)))
                      for i, r in bad[:5]])
    log = env.log("edgegate")
    assert "waiting for" in log and "in flight" in log, log[-2000:]


@test
@within(60)
def a_request_that_outlasts_the_drain_bound_does_not_hold_the_stop(env):
    o = slow_origin(env)
    gw = env.gateway(workers=1)
    workers = children(gw.pid)
    out = []

    def viewer():
        try:
            out.append(Conn(gw.http).request("GET", "/hold/x"))
        except Exception as e:  # the connection closes as edgegate exits
            out.append(e)

    t = threading.Thread(target=viewer, daemon=True)
    t.start()
    assert eventually(lambda: o.count("/hold/x") == 1, 5), o.got()
    rc, took = stop(gw, DRAIN_S + 5)
    assert rc == 0, "exit status %r after %.2f s" % (rc, took)
    assert DRAIN_S - 0.5 < took < DRAIN_S + 2, "stopped after %.2f s" % took
    assert "still in flight" in env.log("edgegate"), env.log("edgegate")[-2000:]
    assert eventually(lambda: all(exited(w) for w in workers), 3), "policy worker outlived it"
    t.join(5)
    assert out and isinstance(out[0], (EOFError, OSError)), out


if __name__ == "__main__":
    sys.exit(main())
