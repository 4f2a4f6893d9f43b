#!/usr/bin/env python3
"""The admin console's listener (--admin): a libmicrohttpd daemon of its own in front of
FastCGI workers of its own. edgegate-admin is not written yet, so the workers here are
tests/e2e/echo_admin (built by `make`), which answers as the path asks and logs each request
it reads in edgegate's log: what reached the worker is asserted, not only what came back.

Off by default; its own port, never the viewers'; the CGI variables a worker gets; bodies up
to 2 MiB intact, past that 413 before the worker sees a byte; the worker's Status, Location
and Set-Cookie relayed, its hop-by-hop fields and malformed heads not; a worker killed is
restarted, one that hangs gives 502 at --admin-timeout, none free gives 503; admin workers
are processes apart from policy workers; viewers are served while every admin worker hangs."""
import hashlib
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, Conn, eventually, exchange, exited, main, request,  # noqa: E402
                     test, within)

ECHO = os.path.join(BUILD, "tests", "e2e", "echo_admin")
MiB = 1024 * 1024


def admin_gateway(env, *extra, workers=1, admin_workers=1):
    """edgegate with an origin for the viewers and the admin console on 127.0.0.1:0 with
    echo_admin workers; gw.admin is its port. Sockets live in env's run/ directory."""
    assert os.access(ECHO, os.X_OK), "%s is missing: build with `make`" % ECHO
    o = env.scripted_origin()
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(o.port))
    gw = env.gateway("--admin", "127.0.0.1:0", "--admin-bin", ECHO,
                     "--admin-workers", str(admin_workers), "--run-dir", env.path("run"),
                     *extra, workers=workers)
    assert gw.admin, "no admin URL in the start line: %r" % gw.line
    gw.origin = o
    return gw


def reached_worker(env, what=""):
    """The requests echo_admin logged having read (in edgegate's log), those holding what."""
    return [line for line in env.log("edgegate").splitlines()
            if "echo_admin[" in line and " got " in line and what in line]


def variables(body):
    out = {}
    for line in body.decode("latin-1").splitlines():
        k, _, v = line.partition("=")
        out.setdefault(k, []).append(v)
    return out


def children(pid):
    """{pid: argv} of pid's children."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != pid:
                continue
            with open("/proc/%s/cmdline" % d, "rb") as f:
                out[int(d)] = [a.decode() for a in f.read().split(b"\0") if a]
        except (OSError, IndexError, ValueError):
            continue
    return out


def listening_tcp_ports(pid):
    """The TCP ports process pid listens on."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", link)
        if m:
            inodes.add(m.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and cols[9] in inodes:
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def admin_pids(gw):
    return sorted(p for p, argv in children(gw.pid).items() if argv and argv[0] == ECHO)


def held(port, path, results, key):
    """A request in a thread (one that hangs): its response, or the exception, in results."""
    def run():
        t0 = time.time()
        try:
            results[key] = (request(port, "GET", path), time.time() - t0)
        except Exception as e:  # the test looks at what came
            results[key] = (e, time.time() - t0)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@test
@within(30)
def the_admin_console_is_off_by_default(env):
    env.scripted_origin()
    gw = env.gateway("--run-dir", env.path("run"), workers=2)
    assert gw.admin is None and "admin" not in gw.line, gw.line
    assert listening_tcp_ports(gw.pid) == {gw.http, gw.https}, listening_tcp_ports(gw.pid)
    assert sorted(os.listdir(env.path("run"))) == ["policy-0.sock", "policy-1.sock"], \
        os.listdir(env.path("run"))
    assert eventually(lambda: len(children(gw.pid)) == 2 and all(
        "edgegate-policy" in a[0] for a in children(gw.pid).values()), 3), children(gw.pid)


@test
@within(30)
def the_admin_console_answers_on_its_own_port_and_the_viewers_ports_do_not_serve_it(env):
    gw = admin_gateway(env)
    assert listening_tcp_ports(gw.pid) == {gw.http, gw.https, gw.admin}
    r = request(gw.admin, "GET", "/params")
    assert r.status == 200 and b"GATEWAY_INTERFACE=CGI/1.1" in r.body, r
    for port, tls in ((gw.http, False), (gw.https, True)):
        r = request(port, "GET", "/params", tls=tls)
        assert r.status == 200 and r.body == b"path=/params\n", r   # the origin's answer
        assert b"GATEWAY_INTERFACE" not in r.body
    assert len(reached_worker(env, "/params")) == 1, reached_worker(env)
    assert gw.origin.count("/params") == 1, gw.origin.got()    # then a cache hit


@test
@within(30)
def a_worker_gets_the_cgi_variables_of_the_request_as_received(env):
    gw = admin_gateway(env)
    c = Conn(gw.admin)
    try:
        body = b"a=1&b=%2F"
        r = c.request("POST", "/params/a%2Fb/../c?x=1&y=%20z", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Tag": "one", "X_Tag": "smuggled", "Proxy": "http://evil.example:3128/",
            "Cookie": "s=1", "X-Empty": "", "Accept-Language": "en"})
    finally:
        c.close()
    # PATH_INFO /params/... is not /params: echo_admin answers it 404 with the path
    assert r.status == 404 and r.body == b"no /params/a%2Fb/../c\n", r
    r = request(gw.admin, "POST", "/params?x=1&y=%20z", body=b"a=1", headers={
        "Content-Type": "text/plain", "X-Tag": "one", "X_Tag": "smuggled",
        "Proxy": "http://evil.example:3128/", "Cookie": "s=1", "X-Empty": ""})
    assert r.status == 200, r
    v = variables(r.body)
    want = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "edgegate/0.1.0",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": str(gw.admin),
            "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "POST",
            "REQUEST_URI": "/params?x=1&y=%20z", "REQUEST_SCHEME": "http", "SCRIPT_NAME": "",
            "PATH_INFO": "/params", "QUERY_STRING": "x=1&y=%20z", "CONTENT_TYPE": "text/plain",
            "CONTENT_LENGTH": "3", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "localhost", "HTTP_X_TAG": "one", "HTTP_COOKIE": "s=1",
            "HTTP_X_EMPTY": "", "BODY-LEN": "3"}
    for k, val in want.items():
        assert v.get(k) == [val], (k, v.get(k), r.body)
    assert "HTTPS" not in v and "HTTP_PROXY" not in v, r.body
    assert b"smuggled" not in r.body and b"evil.example" not in r.body, r.body
    assert "HTTP_CONTENT_TYPE" not in v and "HTTP_CONTENT_LENGTH" not in v, r.body
    assert int(v["REMOTE_PORT"][0]) > 0
    # the raw path with an escape and dot segments reaches the worker as sent
    assert any("got POST /params/a%2Fb/../c?x=1&y=%20z with 9 body bytes" in line
               for line in reached_worker(env)), reached_worker(env)
    # a GET has no CONTENT_LENGTH
    r = request(gw.admin, "GET", "/params")
    v = variables(r.body)
    assert r.status == 200 and "CONTENT_LENGTH" not in v and v["QUERY_STRING"] == [""], r
    # REMOTE_PORT is the client's
    c = Conn(gw.admin)
    try:
        r = c.request("GET", "/params")
        assert variables(r.body)["REMOTE_PORT"] == [str(c.sock.getsockname()[1])], r.body
    finally:
        c.close()


@test
@within(60)
def a_post_body_arrives_intact_up_to_2_mib(env):
    gw = admin_gateway(env)
    body = os.urandom(MiB)
    r = request(gw.admin, "POST", "/body", body=body,
                headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200 and r.header("X-Body-Len") == str(MiB), r
    assert hashlib.sha256(r.body).digest() == hashlib.sha256(body).digest(), "changed on the way"
    body = bytes(range(256)) * (2 * MiB // 256)   # exactly the bound, every byte value
    r = request(gw.admin, "POST", "/body", body=body)
    assert r.status == 200 and r.body == body, (r.status, len(r.body))
    # chunked, the same
    c = Conn(gw.admin)
    try:
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 300000]), body[i:i + 300000])
                          for i in range(0, len(body), 300000))
        c.send(b"POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks +
               b"0\r\n\r\n")
        r = c.read_response()
    finally:
        c.close()
    assert r.status == 200 and r.body == body, (r.status, len(r.body))


@test
@within(60)
def a_body_past_2_mib_is_refused_with_413_before_the_worker_sees_it(env):
    gw = admin_gateway(env)
    # refused from its head: nothing of the body is read (no 100 Continue either)
    c = Conn(gw.admin)
    try:
        c.send(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
               b"Expect: 100-continue\r\n\r\n" % (2 * MiB + 1))
        r = c.read_response()
    finally:
        c.close()
    assert r.status == 413, r
    # without Expect too: refused from the head, and closed (the body is not sent here: a
    # client still sending it when the refusal closes the connection may get a reset first)
    c = Conn(gw.admin)
    try:
        c.send(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (2 * MiB + 1))
        r = c.read_response()
    finally:
        c.close()
    assert r.status == 413 and r.header("Connection") == "close", r
    # chunked: refused once past the bound
    resp, closed, _ = exchange(gw.admin, b"POST /body HTTP/1.1\r\nHost: x\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n" +
                               (b"100000\r\n" + b"y" * 0x100000 + b"\r\n") * 3 + b"0\r\n\r\n")
    assert resp.status == 413 and closed, resp
    assert reached_worker(env, "/body") == [], reached_worker(env)
    r = request(gw.admin, "POST", "/body", body=b"after")
    assert r.status == 200 and r.body == b"after", r


@test
@within(30)
def the_workers_status_location_and_cookies_are_relayed(env):
    gw = admin_gateway(env)
    r = request(gw.admin, "GET", "/redirect")
    assert r.status == 303 and r.header("Location") == "/next", r
    cookies = [v for k, v in r.headers if k.lower() == "set-cookie"]
    assert cookies == ["a=1; HttpOnly", "b=2"], r.headers
    assert r.body == b"see /next\n" and r.header("Status") is None, r
    for code in (201, 404, 500, 599):
        r = request(gw.admin, "GET", "/status?%d" % code)
        assert r.status == code, r
    r = request(gw.admin, "HEAD", "/big?100")
    assert r.status == 200 and r.header("Content-Length") == "100" and r.body == b"", r
    r = request(gw.admin, "GET", "/big?%d" % (4 * MiB - 64))
    assert r.status == 200 and len(r.body) == 4 * MiB - 64, (r.status, len(r.body))


@test
@within(30)
def the_workers_hop_by_hop_fields_and_malformed_heads_are_not_relayed(env):
    gw = admin_gateway(env)
    c = Conn(gw.admin)
    try:
        r = c.request("GET", "/hop")
        assert r.status == 200 and r.header("X-Kept") == "yes" and r.body == b"hop\n", r
        names = {k.lower() for k, _ in r.headers}
        for hop in ("keep-alive", "transfer-encoding", "upgrade", "proxy-connection",
                    "x-private"):
            assert hop not in names, (hop, r.headers)
        assert r.header("Connection") is None, r.headers
        # the worker's "Connection: close" was not relayed: the connection is kept
        r = c.request("GET", "/pid")
        assert r.status == 200 and r.body.startswith(b"pid="), r
    finally:
        c.close()
    r = request(gw.admin, "GET", "/badhead")
    assert r.status == 502 and b"Bad Header" not in r.body, r
    for code in ("101", "700", "abc"):
        r = request(gw.admin, "GET", "/status?" + code)
        assert r.status == 502, (code, r)
    r = request(gw.admin, "GET", "/big?%d" % (4 * MiB + 1))       # past the 4 MiB bound
    assert r.status == 502, (r.status, len(r.body))
    assert "answer too large" in env.log("edgegate")


@test
@within(30)
def methods_and_targets_the_listener_refuses(env):
    gw = admin_gateway(env)
    for method in ("PUT", "DELETE", "OPTIONS", "PATCH"):
        r = request(gw.admin, method, "/params")
        assert r.status == 405 and r.header("Allow") == "GET, HEAD, POST", (method, r)
    resp, _, _ = exchange(gw.admin, b"GET http://localhost/params HTTP/1.1\r\nHost: x\r\n\r\n")
    assert resp.status == 400, resp
    resp, _, _ = exchange(gw.admin, b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
    assert resp.status == 405, resp
    resp, _, _ = exchange(gw.admin, b"GET /params HTTP/1.1\r\nHost: x\r\nContent-Length: 3"
                          b"\r\n\r\nabc")
    assert resp.status == 400, resp
    resp, _, _ = exchange(gw.admin, b"GET /params HTTP/1.1\r\n\r\n")       # no Host
    assert resp.status == 400, resp
    resp, _, _ = exchange(gw.admin, b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert resp.status == 400, resp
    assert reached_worker(env) == [], reached_worker(env)


@test
@within(60)
def a_killed_worker_is_restarted_and_the_next_request_is_served(env):
    gw = admin_gateway(env, admin_workers=1)
    c = Conn(gw.admin)
    try:
        r = c.request("GET", "/pid")
        first = int(r.body.split(b"=")[1])
        assert eventually(lambda: admin_pids(gw) == [first], 3), (first, children(gw.pid))
        os.kill(first, signal.SIGKILL)
        assert eventually(lambda: admin_pids(gw) and admin_pids(gw) != [first], 5), \
            "no new admin worker"
        r = c.request("GET", "/pid")          # the same viewer connection
        assert r.status == 200 and int(r.body.split(b"=")[1]) != first, r
    finally:
        c.close()
    # a worker that dies in the middle of a request: 502, and the next one is served
    r = request(gw.admin, "GET", "/exit")
    assert r.status == 502, r
    r = eventually(lambda: request(gw.admin, "GET", "/pid"), 5)
    assert r.status == 200, r


@test
@within(60)
def a_worker_that_hangs_gives_502_at_the_timeout_and_none_free_gives_503(env):
    gw = admin_gateway(env, "--admin-timeout", "4", admin_workers=1)
    results = {}
    t = held(gw.admin, "/sleep?60", results, "hung")
    assert eventually(lambda: reached_worker(env, "/sleep"), 3)
    t0 = time.time()
    r = request(gw.admin, "GET", "/pid")           # waits half the timeout for a worker
    took = time.time() - t0
    assert r.status == 503 and r.header("Retry-After") == "2", r
    assert 1.5 < took < 3.5, took
    t.join(10)
    r, took = results["hung"]
    assert not isinstance(r, Exception) and r.status == 502, r
    assert 3.5 < took < 6.0, took
    assert "did not answer in time" in env.log("edgegate")
    r = eventually(lambda: request(gw.admin, "GET", "/pid"), 5)
    assert r.status == 200, r


@test
@within(30)
def admin_workers_are_processes_apart_from_policy_workers(env):
    gw = admin_gateway(env, workers=2, admin_workers=2)
    # the start line may come before the last forked worker has run exec
    assert eventually(lambda: len(admin_pids(gw)) == 2 and len(children(gw.pid)) == 4, 3), \
        children(gw.pid)
    kids = children(gw.pid)
    policy = sorted(p for p, a in kids.items() if a and a[0].endswith("/edgegate-policy"))
    admin = admin_pids(gw)
    assert len(policy) == 2 and len(admin) == 2 and not set(policy) & set(admin), kids
    for p in admin:
        assert children(gw.pid)[p][1:3] == ["--db", env.db], kids[p]
    assert sorted(os.listdir(env.path("run"))) == \
        ["admin-0.sock", "admin-1.sock", "policy-0.sock", "policy-1.sock"], \
        os.listdir(env.path("run"))
    seen = set()
    for _ in range(6):
        r = request(gw.admin, "GET", "/pid")
        seen.add(int(r.body.split(b"=")[1]))
    assert seen <= set(admin) and not seen & set(policy), (seen, admin, policy)
    assert "(database %s, 2 policy workers, 2 admin workers)" % env.db in gw.line, gw.line
    # the admin workers go with edgegate
    gw.send_signal(signal.SIGTERM)
    assert gw.wait(10) == 0
    assert eventually(lambda: all(exited(p) for p in admin + policy), 3)


@test
@within(60)
def a_sigterm_lets_the_admin_requests_in_flight_finish(env):
    gw = admin_gateway(env, "--admin-timeout", "10", admin_workers=1)
    results = {}
    t = held(gw.admin, "/sleep?2", results, "slow")
    assert eventually(lambda: reached_worker(env, "/sleep"), 3)
    t0 = time.time()
    gw.send_signal(signal.SIGTERM)
    assert gw.wait(15) == 0
    took = time.time() - t0
    t.join(5)
    r, _ = results["slow"]
    assert not isinstance(r, Exception) and r.status == 200 and r.body == b"slept\n", r
    assert 1.0 < took < 5.0, took
    assert "waiting for 1 admin request in flight" in env.log("edgegate")
    # and the listener stopped accepting at once
    try:
        socket.create_connection(("127.0.0.1", gw.admin), 1).close()
        refused = False
    except OSError:
        refused = True
    assert refused


@test
@within(60)
def viewers_are_served_while_every_admin_worker_hangs(env):
    gw = admin_gateway(env, "--admin-timeout", "8", workers=1, admin_workers=1)
    results = {}
    threads = [held(gw.admin, "/sleep?60", results, k) for k in range(3)]
    assert eventually(lambda: reached_worker(env, "/sleep"), 3)
    for i in range(30):
        t0 = time.time()
        r = request(gw.http if i % 2 else gw.https, "GET", "/v/%d" % i, tls=not i % 2)
        assert r.status == 200 and r.body == b"path=/v/%d\n" % i, r
        assert time.time() - t0 < 1.0, "a viewer waited %.2f s" % (time.time() - t0)
    assert all(t.is_alive() for t in threads), results   # still hanging meanwhile
    assert gw.origin.count() == 30
    for t in threads:
        t.join(12)
    got = sorted(r.status for r, _ in results.values() if not isinstance(r, Exception))
    assert got == [502, 503, 503], results   # the one a worker held, the two that waited


def tls11_handshake(port):
    """Whether a TLS 1.1 handshake with port succeeds (None when this client cannot offer
    TLS 1.1 at all)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():   # deprecated, which is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return None
    s = socket.create_connection(("127.0.0.1", port), 5)
    try:
        ctx.wrap_socket(s, server_hostname="localhost").close()
        return True
    except (ssl.SSLError, OSError):
        return False
    finally:
        s.close()


@test
@within(30)
def admin_tls_serves_the_console_over_https(env):
    gw = admin_gateway(env, "--admin-tls", "--viewer-security-policy", "TLSv1")
    assert " admin https://127.0.0.1:%d/" % gw.admin in gw.line, gw.line
    r = request(gw.admin, "GET", "/params?q", tls=True)
    v = variables(r.body)
    assert r.status == 200 and v["HTTPS"] == ["on"] and v["REQUEST_SCHEME"] == ["https"], r
    # the viewers' policy takes TLS 1.1 here; the admin listener keeps TLSv1.2_2021's
    if tls11_handshake(gw.https):
        assert tls11_handshake(gw.admin) is False, "the admin listener took TLS 1.1"
    else:
        print("# this client cannot do TLS 1.1: the admin listener's refusal is not shown")
    # plain HTTP on it gets no console
    try:
        r = request(gw.admin, "GET", "/params")
        assert b"GATEWAY_INTERFACE" not in r.body, r
    except (EOFError, OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
