#!/usr/bin/env python3
"""Strict origin responses end to end (RFC 9112 section 6.3, RFC 9110 section 7.6.1): framing
that two parties could read differently is a 502 and never cached; a body that breaks off is
never cached and the viewer's copy is cut off; hop-by-hop fields, and those the origin's
Connection names, reach neither viewers nor the cache; a body read to the close over TLS
counts only when close_notify ends it. The origin is a scripted one in this file: it sends
exact bytes per path and records every request it received."""
import os
import socket
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import within as timed, Conn, main, request, test  # noqa: E402
from pki import Pki  # noqa: E402

ERROR = "Error from edgegate"
BIG = 150000           # over the largest object the cache keeps with CACHE_SIZE
CACHE_SIZE = "400000"  # objects up to 100000 bytes are stored


class Answer:
    """What the origin sends for a path: raw bytes, then how it ends the connection."""

    def __init__(self, data, close_notify=True):
        self.data = data
        self.close_notify = close_notify  # TLS only: False closes TCP without close_notify


class ScriptedOrigin:
    """A socket server thread on 127.0.0.1 (plain or TLS) answering each request with the
    bytes scripted for its path and closing; it records every request head it received."""

    def __init__(self, answers, tls=None):
        self.answers = answers
        self.tls = tls
        self.received = []  # (path, raw request head)
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()

    def asked(self, path):
        with self.lock:
            return sum(1 for p, _ in self.received if p == path)

    def _serve(self):
        while not self.stopping:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(raw,), daemon=True).start()

    def _one(self, raw):
        raw.settimeout(10)
        conn = raw
        try:
            if self.tls:
                conn = self.tls.wrap_socket(raw, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return  # a pooled connection edgegate dropped unused
                head += chunk
            path = head.split(b" ", 2)[1].decode("latin-1")
            with self.lock:
                self.received.append((path, head))
            answer = self.answers.get(path, Answer(b"HTTP/1.1 404 Not Found\r\n"
                                                   b"Content-Length: 0\r\n\r\n"))
            conn.sendall(answer.data)
            if self.tls and answer.close_notify:
                conn = conn.unwrap()  # close_notify: the end is the origin's
            elif not self.tls:
                conn.shutdown(socket.SHUT_WR)
            # without close_notify the raw TCP close below is all edgegate sees
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                raw.close()
            except OSError:
                pass


def setup(env, answers, tls_answers=None):
    """A plain scripted origin for every path, a TLS one for /tls/*, and edgegate."""
    plain = ScriptedOrigin(answers)
    env.procs_stop = [plain]
    env.egctl("origin", "add", "plain", "--domain", "127.0.0.1", "--http-port", str(plain.port),
              "--protocol", "http-only")
    env.egctl("behavior", "add", "/*", "--origin", "plain")
    args = ["--cache-size", CACHE_SIZE]
    tls = None
    if tls_answers is not None:
        pki = Pki(env.path("pki"))
        root = pki.root()
        inter = pki.intermediate("root")
        crt, key = pki.leaf("intermediate", "o", ["o.test"])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.bundle("o-chain", crt, inter), key)
        tls = ScriptedOrigin(tls_answers, ctx)
        env.procs_stop.append(tls)
        env.egctl("origin", "add", "tlso", "--domain", "o.test", "--https-port", str(tls.port),
                  "--protocol", "https-only")
        env.egctl("behavior", "add", "/tls/*", "--origin", "tlso", "--at", "0")
        args += ["--origin-ca", root, "--resolve", "o.test:127.0.0.1"]
    return plain, tls, env.gateway(*args)


def stop(env):
    for o in getattr(env, "procs_stop", []):
        o.stop()


def refused_twice(gw, origin, path):
    """The viewer gets edgegate's 502 both times and the origin is asked both times: nothing
    was stored from the first answer."""
    for i in (1, 2):
        r = request(gw.http, "GET", path)
        assert r.status == 502 and r.header("X-Cache") == ERROR, (path, i, r)
        assert origin.asked(path) == i, (path, "origin asked %d times after request %d" % (
            origin.asked(path), i))


def cut_off(port, path):
    """Sends GET path and reads the response by its framing. Returns (status, headers, body,
    complete): complete is False when the connection ended before the framing said the body
    did (what a viewer sees of a body that broke off)."""
    c = Conn(port)
    body = b""
    try:
        c.send(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
        status = int(c._line().split()[1])
        headers = {}
        while True:
            line = c._line()
            if not line:
                break
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        try:
            if headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int(c._line().split(";")[0], 16)
                    if size == 0:
                        while c._line():
                            pass
                        break
                    body += c._take(size)
                    if c._take(2) != b"\r\n":
                        return status, headers, body, False
            elif "content-length" in headers:
                body = c._take(int(headers["content-length"]))
            else:
                raise AssertionError("edgegate sent a body delimited by the close: %r" % headers)
        except (EOFError, ConnectionResetError):
            return status, headers, body + c.buf, False
        return status, headers, body, True
    finally:
        c.close()


def chunked(body, size=4096):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


OK_HEAD = b"HTTP/1.1 200 OK\r\n"


@test
@timed(60)
def conflicting_or_invalid_framing_is_a_502_and_never_cached(env):
    bad = {
        "/cl-two": OK_HEAD + b"Content-Length: 5\r\nContent-Length: 20\r\n\r\nhello world, twenty!",
        "/cl-two-short": OK_HEAD + b"Content-Length: 20\r\nContent-Length: 5\r\n\r\nhello",
        "/cl-list": OK_HEAD + b"Content-Length: 5, 20\r\n\r\nhello",
        "/cl-digits": OK_HEAD + b"Content-Length: 5abc\r\n\r\nhello",
        "/cl-sign": OK_HEAD + b"Content-Length: +5\r\n\r\nhello",
        "/cl-te": OK_HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + chunked(b"hello"),
        "/te-cl": OK_HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                  + chunked(b"hello"),
        "/te-gzip": OK_HEAD + b"Transfer-Encoding: gzip\r\n\r\nhello",
        "/te-chunked-gzip": OK_HEAD + b"Transfer-Encoding: chunked, gzip\r\n\r\nhello",
        "/te-gzip-chunked": OK_HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n"
                            + chunked(b"hello"),
        "/te-http10": b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b"hi"),
        "/obs-fold": OK_HEAD + b"X-A: one\r\n two\r\nContent-Length: 5\r\n\r\nhello",
        "/bare-cr": OK_HEAD + b"X-A: one\rX-B: two\r\nContent-Length: 5\r\n\r\nhello",
        "/nul": OK_HEAD + b"X-A: o\x00ne\r\nContent-Length: 5\r\n\r\nhello",
        "/space-colon": OK_HEAD + b"Content-Length : 5\r\n\r\nhello",
        "/bad-chunk": OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n\r\n",
        "/chunk-garbage": OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                          b"5 junk\r\nhello\r\n0\r\n\r\n",
        "/chunk-no-end": OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "/short": OK_HEAD + b"Content-Length: 100\r\n\r\nonly twenty bytes..",
    }
    good = {  # the same setup caches what is well framed: the refusals above can fail
        "/cl-same": OK_HEAD + b"Content-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello",
        "/chunked": OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(b"hello"),
        "/to-close": OK_HEAD + b"\r\nread to the close",
    }
    origin, _, gw = setup(env, {p: Answer(d) for p, d in {**bad, **good}.items()})
    try:
        for path in good:
            r = request(gw.http, "GET", path)
            assert r.status == 200 and r.header("X-Cache") == "Miss from edgegate", (path, r)
            r = request(gw.http, "GET", path)
            assert r.status == 200 and r.header("X-Cache") == "Hit from edgegate", (path, r)
            assert r.body == (b"read to the close" if path == "/to-close" else b"hello"), \
                (path, r)
            assert origin.asked(path) == 1, path
        for path in bad:
            refused_twice(gw, origin, path)
        # HEAD answers have no body, but their Content-Length is what the viewer is told
        r = request(gw.http, "HEAD", "/cl-two")
        assert r.status == 502 and r.header("X-Cache") == ERROR, r
        log = env.log("edgegate")
        for why in ("Content-Length values that differ", "not a decimal number",
                    "both Content-Length and Transfer-Encoding", "other than a single chunked",
                    "HTTP/1.0", "obsolete line folding", "control byte",
                    "closed before its Content-Length", "garbage after a chunk size"):
            assert why in log, "the log says why (%s):\n%s" % (why, log[-3000:])
    finally:
        stop(env)


@test
@timed(60)
def hop_by_hop_fields_reach_neither_viewers_nor_the_cache(env):
    hop = (b"Connection: X-Secret, keep-alive\r\nX-Secret: s3cr3t\r\n"
           b"Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\n"
           b"Trailer: X-Trail\r\nTE: trailers\r\nProxy-Authenticate: Basic realm=x\r\n"
           b"connection: x-second\r\nX-Second: 2\r\nX-Kept: kept\r\n")
    answers = {
        "/hop": Answer(OK_HEAD + hop + b"Content-Length: 2\r\n\r\nok"),
        "/hop-chunked": Answer(OK_HEAD + hop + b"Transfer-Encoding: chunked\r\n\r\n"
                               b"2\r\nok\r\n0\r\nX-Trail: t\r\n\r\n"),
        "/hop-nostore": Answer(OK_HEAD + hop + b"Cache-Control: no-store\r\n"
                               b"Content-Length: 2\r\n\r\nok"),
    }
    gone = ("x-secret", "keep-alive", "proxy-connection", "upgrade", "trailer", "te",
            "proxy-authenticate", "x-second", "x-trail")
    origin, _, gw = setup(env, answers)
    try:
        for path, kinds in (("/hop", ("Miss", "Hit")), ("/hop-chunked", ("Miss", "Hit")),
                            ("/hop-nostore", ("Miss", "Miss"))):
            for kind in kinds:
                r = request(gw.http, "GET", path)
                assert r.status == 200 and r.body == b"ok", (path, r)
                assert r.header("X-Cache") == kind + " from edgegate", (path, kind, r)
                names = {k.lower() for k, _ in r.headers}
                leaked = names & set(gone)
                assert not leaked, (path, kind, "leaked to the viewer", leaked, r.headers)
                conn = (r.header("Connection") or "").lower()
                assert "x-secret" not in conn and "x-second" not in conn, (path, r.headers)
                assert r.header("X-Kept") == "kept", (path, kind, r.headers)
            assert origin.asked(path) == (1 if kinds[1] == "Hit" else 2), path
    finally:
        stop(env)


@test
@timed(60)
def a_body_breaking_off_while_streamed_cuts_the_viewer_off(env):
    # far past the largest object the cache keeps: the front stops reading ahead at that
    # size and sends the head, whatever sizes the origin's bytes arrive in, so the break
    # always comes while the body streams (with BIG alone, short reads could meet it first)
    big = bytes((i * 7) % 251 for i in range(4 * BIG))
    answers = {
        # over the cache's object limit: streamed to the viewer as it comes
        "/big-short": Answer(OK_HEAD + b"Content-Length: %d\r\n\r\n" % (len(big) + 5000) + big),
        "/big-bad-chunk": Answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                                 + chunked(big)[:-5] + b"zz\r\n\r\n"),
        "/big-no-end": Answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                              + chunked(big)[:-5]),
        "/big-ok": Answer(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(big)),
    }
    origin, _, gw = setup(env, answers)
    try:
        status, headers, body, complete = cut_off(gw.http, "/big-ok")
        assert status == 200 and complete, "a good streamed body ends properly: %r" % headers
        for path in ("/big-short", "/big-bad-chunk", "/big-no-end"):
            for i in (1, 2):
                status, headers, body, complete = cut_off(gw.http, path)
                assert status == 200, (path, status)  # the head went out before the break
                assert not complete, (path, i, "the viewer must see the body cut off",
                                      headers, len(body))
                assert origin.asked(path) == i, (path, origin.asked(path))
    finally:
        stop(env)


@test
@timed(90)
def a_read_to_close_body_over_tls_needs_close_notify(env):
    big = b"b" * BIG
    plain = {"/plain-close": Answer(OK_HEAD + b"\r\nplain, read to the close")}
    tls = {
        "/tls/notify": Answer(OK_HEAD + b"\r\nended by close_notify"),
        "/tls/truncated": Answer(OK_HEAD + b"\r\ncut short by a TCP close", close_notify=False),
        "/tls/big-truncated": Answer(OK_HEAD + b"\r\n" + big, close_notify=False),
        "/tls/length-no-notify": Answer(OK_HEAD + b"Content-Length: 5\r\n\r\nhello",
                                        close_notify=False),
    }
    origin, tls_origin, gw = setup(env, plain, tls)
    try:
        # over plain HTTP the close is the only end there is: fine, and cached
        for kind in ("Miss", "Hit"):
            r = request(gw.http, "GET", "/plain-close")
            assert r.status == 200 and r.body == b"plain, read to the close", r
            assert r.header("X-Cache") == kind + " from edgegate", r
        assert origin.asked("/plain-close") == 1
        # over TLS close_notify ends it: fine, and cached
        for kind in ("Miss", "Hit"):
            r = request(gw.http, "GET", "/tls/notify")
            assert r.status == 200 and r.body == b"ended by close_notify", (kind, r)
            assert r.header("X-Cache") == kind + " from edgegate", r
        assert tls_origin.asked("/tls/notify") == 1
        # a length-delimited body does not need close_notify after it
        for kind in ("Miss", "Hit"):
            r = request(gw.http, "GET", "/tls/length-no-notify")
            assert r.status == 200 and r.body == b"hello", (kind, r)
            assert r.header("X-Cache") == kind + " from edgegate", r
        # a TCP close without close_notify may be anyone's: an error, never stored
        refused_twice(gw, tls_origin, "/tls/truncated")
        for i in (1, 2):
            status, headers, body, complete = cut_off(gw.http, "/tls/big-truncated")
            assert status == 200 and not complete, (i, headers, len(body))
            assert tls_origin.asked("/tls/big-truncated") == i
        assert "without close_notify" in env.log("edgegate"), env.log("edgegate")[-2000:]
    finally:
        stop(env)


if __name__ == "__main__":
    sys.exit(main())
