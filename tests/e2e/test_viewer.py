#!/usr/bin/env python3
"""The gateway core end to end: viewer protocol policy, path patterns, the HTTPS listener,
live egctl edits, policy worker failures, origin failures. Real nginx origins, real
edgegate and edgegate-policy processes, raw HTTP/1.0 and HTTP/1.1 on 127.0.0.1."""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Conn, PolicyRelay, eventually, exited, free_port, main,  # noqa: E402
                     request, test, wait_port)

BODY_METHODS = ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]


def origin(env, name="origin", tag="A"):
    """An nginx origin that tells what it received."""
    port = free_port()
    www = env.path(name, "www")
    server = """
    server {
        listen 127.0.0.1:%(port)d;
        root %(www)s;
        location /echo/ {
            echo_read_request_body;
            echo "tag=%(tag)s method=$request_method uri=$request_uri host=$http_host xfp=$http_x_forwarded_proto xff=$http_x_forwarded_for via=$http_via body=$request_body";
        }
        location /slow/ { echo_sleep 3; echo slow; }
        location / {
            add_header X-Origin %(tag)s;
            # nginx's static files answer OPTIONS 405: this origin answers it itself
            if ($request_method = OPTIONS) {
                add_header X-Origin %(tag)s;
                add_header Allow "GET, HEAD, OPTIONS";
                return 200 "options-%(tag)s uri=$request_uri\n";
            }
        }
    }""" % {"port": port, "www": www, "tag": tag}
    p, d = env.nginx([server], name)
    wait_port(port, proc=p)
    for rel, text in [("index.html", "home-%s\n" % tag), ("api/x", "api-%s\n" % tag),
                      ("secure/object.txt", "SECRET-OBJECT\n"), ("a/b.jpg", "jpg-%s\n" % tag)]:
        os.makedirs(os.path.dirname(os.path.join(www, rel)), exist_ok=True)
        with open(os.path.join(www, rel), "w") as f:
            f.write(text)
    return port, d


def policy_table_setup(env):
    port, _ = origin(env)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    env.egctl("behavior", "add", "/api/*", "--origin", "web", "--viewer-protocol",
              "redirect-to-https", "--methods", "ALL")
    env.egctl("behavior", "add", "/echo/*", "--origin", "web", "--viewer-protocol",
              "redirect-to-https", "--methods", "ALL")
    env.egctl("behavior", "add", "/secure/*", "--origin", "web", "--viewer-protocol",
              "https-only")
    return port


@test
def redirect_to_https_get_and_head_get_301(env):
    policy_table_setup(env)
    gw = env.gateway()
    for version in ("1.0", "1.1"):
        for method in ("GET", "HEAD"):
            r = request(gw.http, method, "/api/x?a=1&b=%2F", version=version,
                        host="www.example.com:%d" % gw.http)
            assert r.status == 301, (version, method, r)
            want = "https://www.example.com:%d/api/x?a=1&b=%%2F" % gw.https
            assert r.header("Location") == want, r
            assert r.body == b"", "a redirect carries headers only"
            assert r.header("Via") and r.header("X-Edgegate-Id"), r


@test
def redirect_to_https_other_methods_307_on_http11_403_on_http10(env):
    policy_table_setup(env)
    gw = env.gateway()
    for method in BODY_METHODS:
        r = request(gw.http, method, "/api/x", body=b"payload", version="1.1")
        assert r.status == 307, (method, r)
        assert r.header("Location") == "https://localhost:%d/api/x" % gw.https, r
        r = request(gw.http, method, "/api/x", body=b"payload", version="1.0")
        assert r.status == 403, (method, r)
        # the same request over HTTPS reaches the origin with its method and body
        r = request(gw.https, method, "/echo/x", tls=True, body=b"payload")
        assert r.status == 200, (method, r)
        assert b"method=" + method.encode() in r.body and b"body=payload" in r.body, r.body


@test
def https_only_refuses_http_and_never_returns_the_object(env):
    policy_table_setup(env)
    gw = env.gateway()
    for version in ("1.0", "1.1"):
        for method in ("GET", "HEAD"):
            r = request(gw.http, method, "/secure/object.txt", version=version)
            assert r.status == 403, (version, method, r)
            assert b"SECRET" not in r.body, r
            assert r.header("X-Cache") == "Error from edgegate", r
    r = request(gw.https, "GET", "/secure/object.txt", tls=True)
    assert r.status == 200 and r.body == b"SECRET-OBJECT\n", r


@test
def allow_all_serves_both_and_methods_outside_the_set_get_403(env):
    policy_table_setup(env)
    gw = env.gateway()
    r = request(gw.http, "GET", "/index.html")
    assert r.status == 200 and r.body == b"home-A\n", r
    assert r.header("X-Cache") == "Miss from edgegate" and "edgegate" in r.header("Via"), r
    r = request(gw.https, "GET", "/index.html", tls=True)
    assert r.status == 200 and r.body == b"home-A\n", r
    r = request(gw.http, "POST", "/index.html", body=b"x")      # default: GET,HEAD
    assert r.status == 403, r
    r = request(gw.https, "DELETE", "/secure/object.txt", tls=True)   # GET,HEAD only
    assert r.status == 403, r
    r = request(gw.http, "OPTIONS", "/index.html")                    # default: GET,HEAD
    assert r.status == 403 and r.header("X-Cache") == "Error from edgegate", r
    env.egctl("behavior", "set", "*", "--methods", "GET,HEAD,OPTIONS")

    def options_allowed():
        r = request(gw.http, "OPTIONS", "/index.html")
        return r if r.status != 403 else None

    # the first answer that is not the refusal is the origin's own: not a 502, not a 405
    r = eventually(options_allowed)
    assert r, "OPTIONS allowed after the change"
    assert r.status == 200 and r.body == b"options-A uri=/index.html\n", r
    assert r.header("Allow") == "GET, HEAD, OPTIONS" and r.header("X-Origin") == "A", r
    assert r.header("X-Cache") == "Miss from edgegate", "OPTIONS is not cached by default: %r" % r
    r = request(gw.https, "OPTIONS", "/index.html?q=1", tls=True)
    assert r.status == 200 and r.body == b"options-A uri=/index.html?q=1\n", r
    assert request(gw.http, "PUT", "/index.html", body=b"x").status == 403


@test
def path_patterns_first_match_wins_and_order_can_change(env):
    pa, _ = origin(env, "oa", "A")
    pb, _ = origin(env, "ob", "B")
    env.egctl("origin", "add", "a", "--domain", "127.0.0.1", "--http-port", str(pa))
    env.egctl("origin", "add", "b", "--domain", "127.0.0.1", "--http-port", str(pb))
    env.egctl("behavior", "add", "a/*.jpg", "--origin", "b")        # no leading slash
    env.egctl("behavior", "add", "/a/*", "--origin", "a")
    env.egctl("behavior", "add", "/ap?/x", "--origin", "b")
    gw = env.gateway()
    n = [0]

    def tag(path, **kw):
        # a query of its own keeps each answer out of the cache: this is about routing
        n[0] += 1
        r = request(gw.http, "GET", path + ("&" if "?" in path else "?") + "n=%d" % n[0], **kw)
        assert r.status == 200, (path, r)
        return r.header("X-Origin")

    assert tag("/a/b.jpg") == "B", "first behavior (a/*.jpg) wins"
    assert tag("/api/x") == "B", "? matches one character"
    assert tag("/index.html") == "A", "default behavior"
    assert tag("/a/b.jpg?/api/x") == "B", "query string is not matched"
    assert request(gw.http, "GET", "/A/b.jpg").status == 404, "case-sensitive: default, 404"
    env.egctl("behavior", "move", "/a/*", "--to", "0")
    assert eventually(lambda: tag("/a/b.jpg") == "A"), "after the move /a/* wins"
    r = env.egctl("behavior", "move", "*", "--to", "0", check=False)
    assert r.returncode == 1 and "default behavior" in r.stderr, r
    r = env.egctl("behavior", "rm", "*", check=False)
    assert r.returncode == 1 and "cannot be deleted" in r.stderr, r


@test
def forwarded_headers_host_and_origin_path(env):
    port, _ = origin(env)
    env.egctl("origin", "add", "web", "--domain", "localhost", "--http-port", str(port))
    gw = env.gateway()
    r = request(gw.http, "GET", "/echo/x?q=1", host="viewer.example",
                headers={"X-Forwarded-For": "10.0.0.9"})
    assert r.status == 200, r
    body = r.body.decode()
    # a cached behavior's fill: the scheme stays behind (one copy serves both schemes)
    assert "uri=/echo/x?q=1" in body and "xfp= " in body, body
    assert "host=localhost:%d" % port in body, "Host is the origin's by default: " + body
    assert "xff=10.0.0.9, 127.0.0.1" in body and "via=1.1 edgegate" in body, body
    env.egctl("behavior", "set", "*", "--forward-host", "true", "--forward-query", "false")
    assert eventually(lambda: b"host=viewer.example " in request(
        gw.https, "GET", "/echo/x?q=1", tls=True, host="viewer.example").body)
    body = request(gw.https, "GET", "/echo/x?q=1", tls=True, host="viewer.example").body.decode()
    assert "uri=/echo/x " in body and "xfp= " in body, body
    # a request that is never stored says its scheme
    env.egctl("behavior", "set", "*", "--methods", "ALL")
    assert eventually(lambda: b"xfp=https " in request(
        gw.https, "POST", "/echo/y", tls=True, host="viewer.example",
        headers={"Content-Length": "0"}).body)
    env.egctl("origin", "add", "pre", "--domain", "127.0.0.1", "--http-port", str(port),
              "--path", "/echo")
    env.egctl("behavior", "add", "/p/*", "--origin", "pre")
    # a Response is always true: wait for the new behavior's answer, not the first answer
    r = eventually(lambda: (lambda r: r if r.status == 200 else None)(
        request(gw.http, "GET", "/p/z")))
    assert r and b"uri=/echo/p/z " in r.body, r


@test
def request_bodies_stream_to_the_origin(env):
    policy_table_setup(env)
    gw = env.gateway()
    big = b"x" * (3 * 1024 * 1024)
    r = request(gw.https, "POST", "/echo/big", tls=True, body=big)
    assert r.status == 200, r
    c = Conn(gw.https, tls=True)
    c.send(b"PUT /echo/chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    r = c.read_response()
    c.close()
    assert r.status == 200 and b"body=hello world" in r.body, r


@test
def large_responses_stream_and_viewers_may_leave_midway(env):
    port, d = origin(env)
    big = os.urandom(6 * 1024 * 1024)
    with open(os.path.join(d, "www", "big.bin"), "wb") as f:
        f.write(big)
    os.chmod(os.path.join(d, "www", "big.bin"), 0o644)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    gw = env.gateway("--cache-size", "1M")  # too big to cache: streamed through the pump
    for tls, p in ((False, gw.http), (True, gw.https)):
        r = request(p, "GET", "/big.bin", tls=tls)
        assert r.status == 200 and r.body == big, (tls, r.status, len(r.body))
    for _ in range(5):  # read a little, then hang up
        c = Conn(gw.http)
        c.send(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        c.sock.recv(1000)
        c.close()
    time.sleep(0.5)
    r = request(gw.http, "GET", "/big.bin")
    assert r.status == 200 and r.body == big, "still serving after viewers left"


@test
def keep_alive_serves_many_requests_on_one_connection(env):
    policy_table_setup(env)
    gw = env.gateway()
    c = Conn(gw.http)
    for i in range(20):
        path = ["/index.html", "/api/x", "/secure/object.txt"][i % 3]
        r = c.request("GET", path)
        if path == "/index.html":       # allow-all: the origin's object (then from the cache)
            assert r.status == 200 and r.body == b"home-A\n", (i, r)
            assert r.header("X-Cache") == ("Miss" if i == 0 else "Hit") + " from edgegate", \
                (i, r)
        elif path == "/api/x":          # redirect-to-https
            assert r.status == 301 and r.body == b"", (i, r)
            assert r.header("Location") == "https://localhost:%d/api/x" % gw.https, (i, r)
        else:                           # https-only over HTTP
            assert r.status == 403 and b"SECRET" not in r.body, (i, r)
            assert r.header("X-Cache") == "Error from edgegate", (i, r)
        assert r.header("Connection", "").lower() != "close", r
    c.close()


@test
def egctl_edits_apply_live_without_failing_requests_in_flight(env):
    port, _ = origin(env)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    gw = env.gateway(workers=2)
    errors, stop, seen = [], threading.Event(), set()

    def hammer():
        while not stop.is_set():
            try:
                r = request(gw.https, "GET", "/index.html", tls=True)
                seen.add(r.status)
                if r.status != 200:
                    errors.append(r)
            except Exception as e:  # any failure of a request in flight
                errors.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        t0 = time.time()
        env.egctl("behavior", "set", "*", "--viewer-protocol", "https-only")
        assert eventually(lambda: request(gw.http, "GET", "/index.html").status == 403,
                          timeout=1.0), "https-only took effect within a second"
        took = time.time() - t0
        for i in range(5):
            env.egctl("behavior", "add", "/x%d/*" % i, "--origin", "web")
            env.egctl("behavior", "set", "*", "--viewer-protocol",
                      ["allow-all", "https-only"][i % 2])
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert seen == {200}, seen
    assert took < 1.0, took


def worker_pids(gw):
    return subprocess.run(["pgrep", "-P", str(gw.pid), "edgegate-polic"], capture_output=True,
                          text=True).stdout.split()


@test
def worker_killed_between_requests_costs_no_viewer_a_502(env):
    # the front keeps its connection to the worker; the worker dies between two requests:
    # the front sees the kept connection close and opens a new one for the next question, or
    # (when the question was sent before it saw) finds it dead before anything came back and
    # asks again on a new one (lighttpd's rule); the restarted worker answers either way
    policy_table_setup(env)
    gw = env.gateway("--route-cache", "0")
    assert request(gw.http, "GET", "/index.html").status == 200
    c = Conn(gw.http)  # a viewer's kept connection sees no failure either
    assert c.request("GET", "/index.html").status == 200
    seen = []
    for i in range(3):
        pids = worker_pids(gw)
        assert len(pids) == 1, pids
        os.kill(int(pids[0]), signal.SIGKILL)
        assert eventually(lambda: exited(pids[0]), 2), "worker %s still runs" % pids[0]
        t0 = time.time()
        r = c.request("GET", "/index.html") if i % 2 else request(gw.http, "GET", "/api/x")
        took = time.time() - t0
        want = 200 if i % 2 else 301
        assert r.status == want, (i, r)
        assert took < 3, "answered %.1f s after the kill" % took
        seen += pids
    c.close()
    new = worker_pids(gw)
    assert len(new) == 1 and new[0] not in seen, (seen, new)
    log = env.log("edgegate")
    assert log.count("killed by signal 9; restarting") == 3, log
    assert log.count("asking again on a new connection") + \
        log.count("closed an idle connection") == 3, log
    assert "error: request" not in log, log  # no request failed


@test
def a_worker_that_hangs_gives_502_at_the_policy_timeout_and_is_replaced(env):
    # the question goes straight to an idle kept connection; the worker never answers
    policy_table_setup(env)
    gw = env.gateway("--route-cache", "0", "--policy-timeout", "2")
    assert request(gw.http, "GET", "/index.html").status == 200
    time.sleep(0.5)  # the policy client has nothing in flight, nothing to time out
    pids = worker_pids(gw)
    assert len(pids) == 1, pids
    os.kill(int(pids[0]), signal.SIGSTOP)
    try:
        t0 = time.time()
        c = Conn(gw.http, timeout=8)
        r = c.request("GET", "/index.html")
        took = time.time() - t0
        assert r.status == 502 and r.header("X-Cache") == "Error from edgegate", r
        assert 1.5 < took < 4, "answered after %.1f s; --policy-timeout is 2" % took
        c.close()
    finally:
        try:  # edgegate may have killed and reaped it already: then there is none to wake
            os.kill(int(pids[0]), signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert eventually(lambda: exited(pids[0]), 3), "the hung worker was not killed"
    assert eventually(lambda: request(gw.http, "GET", "/index.html").status == 200, 5)
    assert "did not answer in time" in env.log("edgegate"), env.log("edgegate")


@test
def a_broken_worker_still_gives_502_after_one_retry_at_most(env):
    policy_table_setup(env)
    w = PolicyRelay(env)
    gw = env.gateway("--policy-socket", w.path, "--route-cache", "0", "--policy-timeout", "2")
    assert request(gw.http, "GET", "/index.html").status == 200
    assert w.accepted == 1
    # the kept connection dies and every new one fails: one retry, then 502
    w.mode = "broken"
    w.drop()
    r = request(gw.http, "GET", "/index.html")
    assert r.status == 502 and r.header("X-Cache") == "Error from edgegate", r
    assert w.accepted == 2, "%d connections, want 2: the kept one, and one retry" % w.accepted
    # with no kept connection, a failure is the worker's: no retry
    r = request(gw.http, "GET", "/index.html")
    assert r.status == 502, r
    time.sleep(0.2)
    assert w.accepted == 3, "%d connections: a new connection's failure was retried" % (
        w.accepted)
    # part of an answer on a kept connection: the worker took the request; no retry
    w.mode = "pass"
    assert request(gw.http, "GET", "/index.html").status == 200
    assert w.accepted == 4
    w.mode = "half"
    r = request(gw.http, "GET", "/index.html")
    assert r.status == 502, r
    time.sleep(0.2)
    assert w.accepted == 4, "asked again after part of an answer came"
    w.mode = "pass"
    assert request(gw.http, "GET", "/index.html").status == 200
    log = env.log("edgegate")  # the drop: seen while idle, or found by the next question
    assert log.count("asking again on a new connection") + \
        log.count("closed an idle connection") == 1, log
    w.srv.close()


@test
def a_worker_that_answers_garbage_gives_502_and_never_hangs(env):
    policy_table_setup(env)
    srv, sock_path = env.unix_listener("garbage.sock")

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            try:
                c.recv(65536)
                c.sendall(b"HTTP/1.1 200 OK\r\n\r\nthis is not FastCGI")
            except OSError:
                pass
            c.close()

    threading.Thread(target=serve, daemon=True).start()
    gw = env.gateway("--policy-socket", sock_path, "--policy-timeout", "2")
    t0 = time.time()
    r = request(gw.http, "GET", "/index.html")
    assert r.status == 502, r
    assert time.time() - t0 < 2.5
    assert "not FastCGI" in env.log("edgegate"), env.log("edgegate")
    srv.close()


@test
def a_worker_that_never_answers_gives_502_within_the_policy_timeout(env):
    policy_table_setup(env)
    srv, sock_path = env.unix_listener("silent.sock")
    held = []
    threading.Thread(target=lambda: held.append(srv.accept()), daemon=True).start()
    gw = env.gateway("--policy-socket", sock_path, "--policy-timeout", "1")
    t0 = time.time()
    r = request(gw.http, "GET", "/index.html")
    assert r.status == 502 and time.time() - t0 < 3, r
    srv.close()


@test
def origin_down_gives_502_and_slow_origin_504(env):
    port, _ = origin(env)
    dead = free_port()
    env.egctl("origin", "add", "dead", "--domain", "127.0.0.1", "--http-port", str(dead))
    env.egctl("origin", "add", "slow", "--domain", "127.0.0.1", "--http-port", str(port),
              "--read-timeout", "1")
    env.egctl("behavior", "add", "/slow/*", "--origin", "slow")
    env.egctl("origin", "add", "nodns", "--domain", "no-such-host.invalid")
    env.egctl("behavior", "add", "/nodns/*", "--origin", "nodns")
    gw = env.gateway()
    r = request(gw.http, "GET", "/index.html")
    assert r.status == 502 and r.header("X-Cache") == "Error from edgegate", r
    assert b"502 ERROR" in r.body and r.header("X-Edgegate-Id").encode() in r.body, r.body
    # the public page names neither the origin's address nor its port; the log does
    assert b"127.0.0.1" not in r.body and str(dead).encode() not in r.body, r.body
    assert eventually(lambda: "%s: origin 127.0.0.1:%d: cannot connect" % (
        r.header("X-Edgegate-Id"), dead) in env.log("edgegate")), env.log("edgegate")
    t0 = time.time()
    r = request(gw.http, "GET", "/slow/x")
    assert r.status == 504 and r.header("X-Cache") == "Error from edgegate", r
    assert time.time() - t0 < 2.9, "answered at the read timeout, not when the origin did"
    r = request(gw.http, "GET", "/nodns/x")
    assert r.status == 502, r


@test
def disabled_distributions_and_aliases(env):
    pa, _ = origin(env, "oa", "A")
    pb, _ = origin(env, "ob", "B")
    env.egctl("origin", "add", "a", "--domain", "127.0.0.1", "--http-port", str(pa))
    env.egctl("dist", "add", "shop", "--aliases", "shop.example,*.cdn.example")
    env.egctl("--dist", "shop", "origin", "add", "b", "--domain", "127.0.0.1", "--http-port",
              str(pb))
    gw = env.gateway()
    assert request(gw.http, "GET", "/index.html", host="Shop.Example").header("X-Origin") == "B"
    assert request(gw.http, "GET", "/index.html", host="x.cdn.example:80").header(
        "X-Origin") == "B"
    assert request(gw.http, "GET", "/index.html", host="other.example").header("X-Origin") == "A"
    env.egctl("dist", "set", "shop", "--enabled", "false")
    assert eventually(lambda: request(gw.http, "GET", "/index.html",
                                      host="shop.example").status == 403)
    r = env.egctl("dist", "add", "dup", "--aliases", "shop.example", check=False)
    assert r.returncode == 1 and "already belongs" in r.stderr, r


@test
def https_listener_and_http10_without_host(env):
    policy_table_setup(env)
    gw = env.gateway()
    r = request(gw.https, "GET", "/index.html", tls=True, version="1.0", host=None)
    assert r.status == 200 and r.body == b"home-A\n", r
    r = request(gw.http, "GET", "/api/x", version="1.0", host=None)
    assert r.status == 301 and r.header("Location") == "https://127.0.0.1:%d/api/x" % gw.https, r
    gw2 = env.gateway("--public-https-port", "443")
    r = request(gw2.http, "GET", "/api/x", host="example.com")
    assert r.header("Location") == "https://example.com/api/x", r


@test
def viewers_cannot_renegotiate_tls(env):
    policy_table_setup(env)
    gw = env.gateway()
    get = b"GET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"

    def s_client(first):
        # s_client reads "R" on its own line as "renegotiate now"
        p = subprocess.Popen(["openssl", "s_client", "-tls1_2", "-connect",
                              "127.0.0.1:%d" % gw.https], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        p.stdin.write(first)
        p.stdin.flush()
        time.sleep(0.7)
        try:
            p.stdin.write(get)
            p.stdin.flush()
            time.sleep(0.7)
        except BrokenPipeError:
            pass
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        out = p.stdout.read()
        p.wait(10)
        return out.decode("latin-1")

    plain = s_client(b"")
    assert "HTTP/1.1 200" in plain and "home-A" in plain, plain[-600:]
    reneg = s_client(b"R\n")
    assert "RENEGOTIATING" in reneg, reneg[-600:]
    assert "HTTP/1.1 200" not in reneg, "a renegotiated session was served: " + reneg[-600:]


@test
def sigterm_stops_edgegate_and_its_workers(env):
    policy_table_setup(env)
    gw = env.gateway(workers=2)
    workers = subprocess.run(["pgrep", "-P", str(gw.pid)], capture_output=True,
                             text=True).stdout.split()
    assert len(workers) == 2, workers
    gw.send_signal(signal.SIGTERM)
    assert gw.wait(5) == 0
    for w in workers:
        assert not os.path.exists("/proc/%s" % w) or \
            open("/proc/%s/stat" % w).read().split()[2] == "Z", "worker %s still runs" % w


@test
def query_strings_make_no_new_decisions_and_redirects_keep_their_own(env):
    policy_table_setup(env)
    relay = PolicyRelay(env)
    gw = env.gateway("--policy-socket", relay.path)
    for i in range(50):
        r = request(gw.http, "GET", "/api/x?n=%d" % i)
        assert r.status == 301, r
        assert r.header("Location") == "https://localhost:%d/api/x?n=%d" % (gw.https, i), r
    assert relay.asked() == 1, "%d decisions for one path" % relay.asked()
    for i in range(20):
        r = request(gw.https, "GET", "/index.html?v=%d" % i, tls=True)
        assert r.status == 200, r
    assert relay.asked() == 2, relay.asked()
    # a remembered redirect whose Location would be too long for this request's query
    r = request(gw.http, "GET", "/api/x?" + "%22" * 2000)
    assert r.status == 301, r
    r = request(gw.http, "GET", "/api/x?" + "\u00e9" * 3000)
    assert r.status == 414 and r.header("Location") is None, r


if __name__ == "__main__":
    sys.exit(main())
