#!/usr/bin/env python3
"""Floods against the listeners: connection limits, the request head deadline, the idle
timeout, and a listener that answers again as soon as a flood lets go. The flood comes from
127.0.0.2 and the viewer from 127.0.0.1, both on loopback, to edgegate's 127.0.0.1 listener."""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Conn, eventually, main, read_until_eof, test, within  # noqa: E402

FLOOD_ADDR = "127.0.0.2"
HALF_HEAD = b"GET /api/x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: flood\r\n"


def setup(env, *extra):
    """edgegate whose /api/* answers HTTP with a 301 of its own (no origin is asked)."""
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", "9")
    env.egctl("behavior", "add", "/api/*", "--origin", "web", "--viewer-protocol",
              "redirect-to-https")
    return env.gateway(*extra)


def viewer_status(port, timeout):
    """The status a viewer on 127.0.0.1 gets, or None when nothing came within timeout."""
    try:
        c = Conn(port, timeout=timeout)
        try:
            c.send(b"GET /api/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return c.read_response().status
        finally:
            c.close()
    except (OSError, EOFError, ValueError):
        return None


def flood(port, n, data=HALF_HEAD):
    """n connections from FLOOD_ADDR, each sending data (half a head) and then nothing. The
    connects do not wait for accept: what the listener does not take stays in its backlog."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.bind((FLOOD_ADDR, 0))
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
    time.sleep(0.3)  # handshakes done: the kernel answers them whether accepted or not
    for s in socks:
        try:
            s.send(data)
        except OSError:
            pass
    return socks


def close_all(socks):
    for s in socks:
        s.close()


@test
@within(40)
def half_sent_heads_from_one_address_do_not_starve_another(env):
    gw = setup(env)
    assert viewer_status(gw.http, 5) == 301
    socks = flood(gw.http, 3000)
    try:
        t0 = time.time()
        status = viewer_status(gw.http, 5)
        assert status == 301, "a viewer on 127.0.0.1 got %r during the flood" % status
        assert time.time() - t0 < 3, "the viewer waited %.1f s" % (time.time() - t0)
        # the flood holds no more than its share: the rest were refused (closed) at once
        held = sum(1 for s in socks if _open(s))
        assert held <= 128, "%d flood connections held, more than the per-address 128" % held
        line = eventually(lambda: [l for l in env.log("edgegate").splitlines()
                                   if "refused" in l], 3)
        assert line and "128 of them from 127.0.0.2 (--max-connections-per-ip 128)" in line[0], \
            env.log("edgegate")[-2000:]
    finally:
        close_all(socks)


def _open(s):
    """Whether edgegate still holds s open (it neither closed nor reset it)."""
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


@test
@within(50)
def the_listener_answers_right_after_a_flood_closes(env):
    # no per-address limit, a small listener: the flood fills it and its backlog, then
    # closes everything. libmicrohttpd 0.9.75 alone keeps every connection it then accepts
    # from the backlog until the idle timeout (their FIN is never reported to it again).
    gw = setup(env, "--max-connections", "256", "--max-connections-per-ip", "0",
               "--idle-timeout", "60", "--header-timeout", "60")
    socks = flood(gw.http, 3000)
    try:
        assert viewer_status(gw.http, 2) is None, "the listener was not full"
        assert eventually(lambda: "HTTP listener is full" in env.log("edgegate"), 3), \
            env.log("edgegate")[-2000:]
    finally:
        close_all(socks)
    t0 = time.time()
    status = None
    while status is None and time.time() - t0 < 10:
        status = viewer_status(gw.http, 2)
    assert status == 301, "nothing answered for %.0f s after the flood closed" % (
        time.time() - t0)
    assert time.time() - t0 < 6, "the listener took %.1f s to answer" % (time.time() - t0)
    assert eventually(lambda: "HTTP listener accepts again" in env.log("edgegate"), 3)


@test
@within(30)
def a_head_that_trickles_is_closed_at_the_header_deadline(env):
    gw = setup(env, "--header-timeout", "2", "--idle-timeout", "30")
    c = Conn(gw.http, timeout=10)
    t0 = time.time()
    closed_at = None
    head = b"GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 20
    try:
        for b in head:
            try:
                c.send(bytes([b]))
            except OSError:
                closed_at = time.time() - t0
                break
            _, closed = read_until_eof(c.sock, 1.0)  # one byte a second
            if closed:
                closed_at = time.time() - t0
                break
    finally:
        c.close()
    assert closed_at is not None, "a head trickled for %.0f s was kept" % (time.time() - t0)
    assert 1.5 < closed_at < 4.5, "closed after %.1f s, not at the 2 s deadline" % closed_at
    assert eventually(lambda: "(--header-timeout)" in env.log("edgegate"), 3), \
        env.log("edgegate")[-2000:]
    # a head sent at once is not affected, on a new connection or a kept one
    c = Conn(gw.http, timeout=5)
    try:
        for _ in range(2):
            c.send(b"GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert c.read_response().status == 301
            time.sleep(1)
    finally:
        c.close()


@test
@within(30)
def an_idle_connection_is_closed_at_the_idle_timeout(env):
    gw = setup(env, "--idle-timeout", "2", "--header-timeout", "30")
    c = Conn(gw.http, timeout=10)
    try:
        c.send(b"GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert c.read_response().status == 301
        t0 = time.time()
        _, closed = read_until_eof(c.sock, 8)
        waited = time.time() - t0
    finally:
        c.close()
    assert closed, "an idle kept-alive connection stayed open 8 s"
    assert 1.5 < waited < 5, "closed after %.1f s, not at the 2 s idle timeout" % waited


@test
@within(30)
def the_per_address_limit_refuses_and_says_so(env):
    gw = setup(env, "--max-connections-per-ip", "4")
    socks = flood(gw.http, 10)
    try:
        assert eventually(lambda: sum(1 for s in socks if _open(s)) == 4, 3), \
            "held: %d" % sum(1 for s in socks if _open(s))
        assert viewer_status(gw.http, 5) == 301, "another address is not limited"
        line = eventually(lambda: [l for l in env.log("edgegate").splitlines()
                                   if "refused" in l], 3)
        assert line and "refused 6 connections" in line[0] and \
            "4 of them from 127.0.0.2 (--max-connections-per-ip 4)" in line[0], line
    finally:
        close_all(socks)


if __name__ == "__main__":
    sys.exit(main())
