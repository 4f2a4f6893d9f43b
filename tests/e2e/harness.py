"""edgegate's end-to-end harness: real servers on 127.0.0.1, raw HTTP, TAP out.

Tests read like conversations: start an nginx origin and edgegate with its workers, send
bytes, expect a status. Everything a test starts is stopped when it ends."""
import os
import pwd
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("EG_BUILD", ROOT)
EDGEGATE = os.path.join(BUILD, "gateway", "edgegate")
EGCTL = os.path.join(BUILD, "admin", "egctl")
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def within(seconds):
    """Fails the test when it runs longer than seconds (SIGALRM interrupts any wait; tests
    run in the main thread). main() gives every other test DEFAULT_LIMIT."""
    def wrap(fn):
        def run(env):
            def expired(signum, frame):
                raise TimeoutError("%s took longer than %d s" % (fn.__name__, seconds))
            old = signal.signal(signal.SIGALRM, expired)
            signal.alarm(seconds)
            try:
                return fn(env)
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, old)
        run.__name__ = fn.__name__
        run.limited = True
        return run
    return wrap


DEFAULT_LIMIT = 300


_handed_out = set()


def db_rows(env, tables=("distributions", "aliases", "origins", "behaviors")):
    """The rows of the configuration's tables as the database holds them: compared before and
    after something that must write nothing."""
    con = sqlite3.connect(env.db)
    try:
        return [con.execute("SELECT * FROM %s ORDER BY 1, 2" % t).fetchall() for t in tables]
    finally:
        con.close()


def free_port():
    """A port nothing listens on, never one this process was given before. The kernel picks
    each bind to port 0 at random among ~14,000 (odd) ports and forgets it at close: 13 calls
    in a row drew the same port twice in about 1 run in 180, and two nginx server blocks on
    one port do not fail, the first one silently answers for both."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_port(port, timeout=10.0, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def exited(pid):
    """The process has exited (reaped, or a zombie waiting for its parent)."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def eventually(fn, timeout=3.0, step=0.05):
    """Calls fn until it returns a true value or the time is up; returns the last value."""
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(step)


class Response:
    def __init__(self, status, reason, headers, body, version):
        self.status, self.reason, self.headers, self.body, self.version = (
            status, reason, headers, body, version)

    def header(self, name, default=None):
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return vals[-1] if vals else default

    def __repr__(self):
        return "<%d %s %r %r>" % (self.status, self.reason, self.headers, self.body[:200])


class Conn:
    """One viewer connection, plain or TLS, speaking raw HTTP/1.x."""

    def __init__(self, port, tls=False, timeout=15.0):
        sock = socket.create_connection(("127.0.0.1", port), timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head=False):
        status_line = self._line()
        m = re.match(r"HTTP/(\d\.\d) (\d{3}) ?(.*)", status_line)
        if not m:
            raise ValueError("bad status line %r" % status_line)
        headers = []
        while True:
            line = self._line()
            if not line:
                break
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
        resp = Response(int(m.group(2)), m.group(3), headers, b"", m.group(1))
        status = resp.status
        if head or status in (204, 304) or 100 <= status < 200:
            return resp
        te = resp.header("Transfer-Encoding", "")
        cl = resp.header("Content-Length")
        if "chunked" in te.lower():
            body = b""
            while True:
                size = int(self._line().split(";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._take(size)
                self._take(2)
            resp.body = body
        elif cl is not None:
            resp.body = self._take(int(cl))
        else:
            try:
                while True:
                    self._fill()
            except (EOFError, OSError):
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def request(self, method, path, headers=None, body=None, version="1.1", host="localhost"):
        lines = ["%s %s HTTP/%s" % (method, path, version)]
        hdrs = dict(headers or {})
        if host is not None and "Host" not in hdrs:
            hdrs["Host"] = host
        if body is not None and "Content-Length" not in hdrs and \
                "Transfer-Encoding" not in hdrs:
            hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            lines.append("%s: %s" % (k, v))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.send(data + (body or b""))
        return self.read_response(head=(method == "HEAD"))


def request(port, method, path, tls=False, **kw):
    c = Conn(port, tls)
    try:
        return c.request(method, path, **kw)
    finally:
        c.close()


def read_until_eof(sock, timeout=3.0):
    """Reads what is left on sock until the peer closes. Returns (bytes, closed): closed is
    False when the peer kept the connection open for timeout seconds."""
    sock.settimeout(timeout)
    data = b""
    end = time.time() + timeout
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except (ConnectionResetError, ssl.SSLError, OSError):
            return data, True
        if not chunk:
            return data, True
        data += chunk
        if time.time() > end:
            return data, False


def exchange(port, data, tls=False, timeout=10.0, eof_timeout=3.0, head=False):
    """Sends raw bytes on a fresh connection, reads one response, then reads on until the
    connection ends. Returns (response, closed, extra): closed says whether edgegate closed
    the connection within eof_timeout, extra is whatever it sent after the response."""
    c = Conn(port, tls, timeout)
    try:
        c.send(data)
        resp = c.read_response(head=head)
        extra, closed = read_until_eof(c.sock, eof_timeout)
        return resp, closed, c.buf + extra
    finally:
        c.close()


def http_response(status=200, headers=None, body=b"", reason=None, head=False):
    """Raw bytes of an HTTP/1.1 response with a Content-Length (no body when head)."""
    reasons = {200: "OK", 204: "No Content", 301: "Moved Permanently", 304: "Not Modified",
               404: "Not Found", 500: "Internal Server Error"}
    if isinstance(body, str):
        body = body.encode()
    lines = ["HTTP/1.1 %d %s" % (status, reason or reasons.get(status, "Status"))]
    lines += ["%s: %s" % kv for kv in (headers or [])]
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head else body)


class OriginRequest:
    """One request as a scripted origin received it: raw bytes and the parsed head."""

    def __init__(self, conn, raw, line, headers, body):
        self.conn, self.raw, self.line, self.headers, self.body = conn, raw, line, headers, body
        parts = line.split(" ")
        self.method = parts[0] if parts else ""
        self.target = parts[1] if len(parts) > 1 else ""
        self.version = parts[2] if len(parts) > 2 else ""

    def header(self, name, default=None):
        vals = self.all(name)
        return vals[-1] if vals else default

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<origin got %r>" % self.raw[:400]


def default_origin_answer(req):
    """200, Content-Length, Cache-Control: max-age=60, a body naming the target it saw."""
    return http_response(200, [("Content-Type", "text/plain"), ("Cache-Control", "max-age=60")],
                         "path=%s\n" % req.target, head=req.method == "HEAD")


class ScriptedOrigin:
    """An origin in a thread on 127.0.0.1 that records every byte it receives, connection by
    connection, and answers each request it can parse with handler(req): raw response bytes,
    or None to never answer (the connection is held until the peer closes it).

    Tests assert on what leaked: origin.raw() == b"" means nothing reached the origin."""

    def __init__(self, handler=None):
        self.handler = handler or default_origin_answer
        self.lock = threading.Lock()
        self.conns = []          # bytearray per accepted connection, everything received
        self.requests = []       # OriginRequest, in arrival order
        self.stopping = False
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.srv.settimeout(0.2)
        self.port = self.srv.getsockname()[1]
        self.threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.conns.append(bytearray())
                k = len(self.conns) - 1
            t = threading.Thread(target=self._serve, args=(c, k), daemon=True)
            t.start()
            self.threads.append(t)

    def _recv(self, c, k):
        while True:
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                if self.stopping:
                    return b""
                continue
            except OSError:
                return b""
            if chunk:
                with self.lock:
                    self.conns[k] += chunk
            return chunk

    def _serve(self, c, k):
        c.settimeout(0.5)
        buf = b""
        try:
            while not self.stopping:
                while b"\r\n\r\n" not in buf:
                    chunk = self._recv(c, k)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                headers = []
                for line in lines[1:]:
                    k_, _, v = line.partition(":")
                    headers.append((k_.strip(), v.strip()))
                req = OriginRequest(k, head + b"\r\n\r\n", lines[0], headers, b"")
                te = ",".join(req.all("Transfer-Encoding")).lower()
                if "chunked" in te:
                    body = b""
                    while True:
                        while b"\r\n" not in buf:
                            chunk = self._recv(c, k)
                            if not chunk:
                                return
                            buf += chunk
                        size_line, buf = buf.split(b"\r\n", 1)
                        size = int(size_line.split(b";")[0] or b"0", 16)
                        while len(buf) < size + 2:
                            chunk = self._recv(c, k)
                            if not chunk:
                                return
                            buf += chunk
                        if size == 0:
                            while not (buf.startswith(b"\r\n") or b"\r\n\r\n" in buf):
                                chunk = self._recv(c, k)
                                if not chunk:
                                    return
                                buf += chunk
                            buf = buf[2:] if buf.startswith(b"\r\n") else \
                                buf.split(b"\r\n\r\n", 1)[1]
                            break
                        body += buf[:size]
                        buf = buf[size + 2:]
                else:
                    n = int(req.header("Content-Length", "0") or 0)
                    while len(buf) < n:
                        chunk = self._recv(c, k)
                        if not chunk:
                            return
                        buf += chunk
                    body, buf = buf[:n], buf[n:]
                req.body = body
                req.raw += body
                with self.lock:
                    self.requests.append(req)
                answer = self.handler(req)
                if answer is None:          # hold: never answer
                    while self._recv(c, k):
                        pass
                    return
                c.sendall(answer)
                answer_head = answer.split(b"\r\n\r\n")[0].lower() + b"\r\n"
                if (req.header("Connection") or "").lower() == "close" or \
                        b"\r\nconnection: close\r\n" in answer_head:
                    return
        except (OSError, ValueError):
            return
        finally:
            c.close()

    def raw(self):
        """Every byte received, all connections together."""
        with self.lock:
            return b"".join(bytes(b) for b in self.conns)

    def got(self):
        """The requests received so far (a copy)."""
        with self.lock:
            return list(self.requests)

    def count(self, target=None, method=None):
        return sum(1 for r in self.got() if (target is None or r.target == target) and
                   (method is None or r.method == method))

    def wait_requests(self, n, timeout=3.0):
        """The requests once at least n arrived (or whatever came when the time is up)."""
        eventually(lambda: len(self.got()) >= n, timeout)
        return self.got()

    def close(self):
        self.stopping = True
        try:
            self.srv.close()
        except OSError:
            pass
        for t in self.threads:
            t.join(2)

    def describe(self):
        with self.lock:
            return ["connection %d: %r" % (k, bytes(b[:600])) for k, b in enumerate(self.conns)]


class Env:
    """A scratch directory with a database, certificates and the servers a test starts."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="eg-e2e-")
        os.chmod(self.dir, 0o755)  # nginx workers run as www-data when started by root
        self.db = os.path.join(self.dir, "edgegate.db")
        self.procs = []
        self.cert, self.key = self.selfsigned("viewer", "localhost")
        self.egctl("init")

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def run(self, *args, check=True, input=None):
        r = subprocess.run(list(args), capture_output=True, text=True, input=input)
        if check and r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (args, r.returncode, r.stdout, r.stderr))
        return r

    def egctl(self, *args, check=True):
        return self.run(EGCTL, "--db", self.db, *args, check=check)

    def unix_listener(self, name):
        """A listening Unix socket in the scratch directory (a stand-in policy worker)."""
        path = self.path(name)
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(path)
        srv.listen(8)
        return srv, path

    def selfsigned(self, name, cn):
        cert, key = self.path(name + ".crt"), self.path(name + ".key")
        self.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                 "-out", cert, "-days", "2", "-subj", "/CN=" + cn,
                 "-addext", "subjectAltName=DNS:" + cn)
        return cert, key

    def start(self, args, name, stdout=None):
        log = open(self.path(name + ".log"), "ab")
        p = subprocess.Popen(args, stdout=stdout or log, stderr=log, start_new_session=True)
        p.name = name
        self.procs.append(p)
        return p

    def nginx(self, servers, name="nginx"):
        """servers: nginx server blocks (strings with {port} placeholders filled by caller)."""
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        os.makedirs(os.path.join(d, "www"), exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("load_module %s;\n" % ECHO_MODULE if os.path.exists(ECHO_MODULE) else "")
            f.write("daemon off; worker_processes 1; pid %s/nginx.pid;\n"
                    "error_log %s/error.log warn;\nevents { worker_connections 1024; }\n"
                    "http {\n  access_log %s/access.log;\n"
                    "  client_body_temp_path %s/tmp; proxy_temp_path %s/tmp;\n"
                    "  fastcgi_temp_path %s/tmp; uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;\n"
                    "  default_type text/plain; client_max_body_size 0;\n%s\n}\n"
                    % ((d,) * 8 + ("\n".join(servers),)))
        p = self.start(["nginx", "-c", conf, "-p", d], name)
        # nginx writes its pid file once it has bound every listener itself: before that,
        # wait_port could be answered by another process that took a port meanwhile
        pid = os.path.join(d, "nginx.pid")
        if not eventually(lambda: os.path.exists(pid) or p.poll() is not None, 10) or \
                p.poll() is not None:
            raise RuntimeError("nginx %s did not start (%s):\n%s" % (
                name, p.poll(), "\n".join(self.lines(name, "error.log")[-10:]) or
                self.log(name)[-1500:]))
        return p, d

    def scripted_origin(self, handler=None):
        """A ScriptedOrigin stopped when the test ends (see ScriptedOrigin)."""
        o = ScriptedOrigin(handler)
        if not hasattr(self, "scripted"):
            self.scripted = []
        self.scripted.append(o)
        return o

    def _docroot(self, name):
        d = self.path(name)
        os.makedirs(os.path.join(d, "www"), exist_ok=True)
        os.chmod(d, 0o755)
        os.chmod(os.path.join(d, "www"), 0o755)
        return d

    def apache(self, port, name="apache", extra=""):
        """Real Apache httpd (Debian apache2) in the foreground, one process (-X), serving
        NAME/www on 127.0.0.1:port with its own PidFile, ErrorLog and an access log whose
        lines are the request line (NAME/requests.log, see request_lines). Returns
        (proc, dir)."""
        d = self._docroot(name)
        mods = "/usr/lib/apache2/modules"
        conf = os.path.join(d, "apache2.conf")
        with open(conf, "w") as f:
            f.write("ServerRoot %s\n" % d)
            for m in ("mpm_event", "authz_core", "dir", "mime", "headers"):
                f.write("LoadModule %s_module %s/mod_%s.so\n" % (m, mods, m))
            f.write('Listen 127.0.0.1:%d\nServerName localhost\nPidFile %s/apache.pid\n'
                    'DefaultRuntimeDir %s\nErrorLog %s/error.log\nLogLevel warn\n'
                    'LogFormat "%%r" reqline\nCustomLog %s/requests.log reqline\n'
                    'TypesConfig /etc/mime.types\nDocumentRoot %s/www\n'
                    'DirectoryIndex index.html\nKeepAlive On\n'
                    '<Directory />\n  Require all denied\n</Directory>\n'
                    '<Directory %s/www>\n  Require all granted\n</Directory>\n%s\n'
                    % (port, d, d, d, d, d, d, extra))
        if os.getuid() == 0:
            with open(conf, "a") as f:
                f.write("User www-data\nGroup www-data\n")
        p = self.start(["apache2", "-X", "-f", conf, "-d", d], name)
        return p, d

    def lighttpd(self, port, name="lighttpd", extra=""):
        """Real lighttpd (-D, foreground) serving NAME/www on 127.0.0.1:port; request heads go to
        NAME/error.log at once (see request_lines). Returns (proc, dir)."""
        d = self._docroot(name)
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        os.chmod(os.path.join(d, "tmp"), 0o777)
        conf = os.path.join(d, "lighttpd.conf")
        with open(conf, "w") as f:
            f.write('server.modules = ("mod_accesslog")\n'
                    'server.document-root = "%s/www"\nserver.bind = "127.0.0.1"\n'
                    'server.port = %d\nserver.pid-file = "%s/lighttpd.pid"\n'
                    'server.errorlog = "%s/error.log"\nserver.upload-dirs = ("%s/tmp")\n'
                    'accesslog.filename = "%s/access.log"\naccesslog.format = "%%r"\n'
                    'index-file.names = ("index.html")\n'
                    'mimetype.assign = (".html" => "text/html", ".txt" => "text/plain",'
                    ' "" => "application/octet-stream")\n'
                    '# the access log is flushed every few seconds; request heads in the error\n'
                    '# log are written at once (see request_lines)\n'
                    'debug.log-request-header = "enable"\n%s\n'
                    % (d, port, d, d, d, d, extra))
            if os.getuid() == 0:
                f.write('server.username = "www-data"\nserver.groupname = "www-data"\n')
        if os.getuid() == 0:   # lighttpd opens its logs after dropping to www-data
            for sub in ("", "tmp"):
                os.chown(os.path.join(d, sub), pwd.getpwnam("www-data").pw_uid,
                         pwd.getpwnam("www-data").pw_gid)
        p = self.start(["lighttpd", "-D", "-f", conf], name)
        return p, d

    def request_lines(self, name):
        """The request lines a real origin NAME received, in order: lighttpd's from its error
        log, Apache's from NAME/requests.log, nginx's from NAME/requests.log when its server
        block says `access_log NAME/requests.log FORMAT` with FORMAT `$request`."""
        if os.path.exists(self.path(name, "lighttpd.conf")):
            out = []
            for line in self.lines(name, "error.log"):
                m = re.search(r"\) fd:\d+ rqst: ([A-Z]+ \S+ HTTP/\d\.\d)$", line)
                if m:
                    out.append(m.group(1))
            return out
        return self.lines(name, "requests.log")

    def lines(self, *p):
        """The lines of a file in the scratch directory ([] when it does not exist yet)."""
        try:
            with open(self.path(*p), "rb") as f:
                return f.read().decode("latin-1").splitlines()
        except OSError:
            return []

    def gateway(self, *extra, workers=1, wait=True):
        args = [EDGEGATE, "--db", self.db, "--http", "127.0.0.1:0", "--https", "127.0.0.1:0",
                "--cert", self.cert, "--key", self.key, "--workers", str(workers)] + list(extra)
        p = self.start(args, "edgegate", stdout=subprocess.PIPE)
        line = p.stdout.readline().decode()
        m = re.search(r"http://[^ ]+:(\d+) https://[^ ]+:(\d+)", line)
        if not m:
            raise RuntimeError("edgegate did not start: %r\n%s" % (line, self.log("edgegate")))
        p.http, p.https = int(m.group(1)), int(m.group(2))
        # --admin ADDR:PORT adds " admin http(s)://ADDR:PORT/" after the viewers' listeners
        m = re.search(r" admin (https?)://\S+:(\d+)/", line)
        p.admin = int(m.group(2)) if m else None
        p.line = line
        return p

    def log(self, name):
        try:
            with open(self.path(name + ".log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        for o in getattr(self, "scripted", []):
            o.close()
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except OSError:
                    pass
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.final_logs = {p.name: self.log(p.name) for p in self.procs}
        subprocess.run(["rm", "-rf", self.dir])



class PolicyRelay:
    """A real edgegate-policy on its own socket, reached through a relay the test steers.
    mode "pass" relays both ways; "broken" takes what the front sends on a new connection and
    closes it without a byte of answer; "half" relays the first 8 bytes of an answer (half a
    record) and closes. drop() closes every connection the front keeps, as a worker that
    restarted would. accepted counts the front's connections; questions() is every byte the
    front sent (FastCGI records: asked() counts the requests among them)."""

    def __init__(self, env):
        sock = env.path("policy.sock")
        p = env.start([os.path.join(BUILD, "gateway", "edgegate-policy"), "--db", env.db,
                       "--listen", sock], "policy")
        assert eventually(lambda: os.path.exists(sock) or p.poll() is not None, 5) and \
            p.poll() is None, env.log("policy")
        self.sock, self.mode, self.accepted, self.fronts = sock, "pass", 0, []
        self.sent = []
        self.srv, self.path = env.unix_listener("flaky.sock")
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                front, _ = self.srv.accept()
            except OSError:
                return
            self.accepted += 1
            self.fronts.append(front)
            if self.mode == "broken":
                try:
                    front.recv(65536)
                except OSError:
                    pass
                front.close()
                continue
            worker = socket.socket(socket.AF_UNIX)
            worker.connect(self.sock)
            threading.Thread(target=self._pipe, args=(front, worker, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(worker, front, True), daemon=True).start()

    def _pipe(self, a, b, answers):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if not answers:
                    self.sent.append(data)
                if answers and self.mode == "half":
                    b.sendall(data[:8])
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def questions(self):
        return b"".join(list(self.sent))

    def asked(self):
        """How many requests the front sent a worker (each names REQUEST_METHOD once)."""
        return self.questions().count(b"REQUEST_METHOD")

    def drop(self):
        for s in self.fronts:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    only = sys.argv[1:]
    n = failed = 0
    for fn in _tests:
        if only and fn.__name__ not in only:
            continue
        n += 1
        name = fn.__name__.replace("_", " ")
        t0 = time.time()
        env = Env()
        try:
            (fn if getattr(fn, "limited", False) else within(DEFAULT_LIMIT)(fn))(env)
            print("ok %d - %s (%.1fs)" % (n, name, time.time() - t0), flush=True)
        except Exception:
            failed += 1
            print("not ok %d - %s" % (n, name), flush=True)
            for line in traceback.format_exc().splitlines():
                print("#   " + line)
            for k, o in enumerate(getattr(env, "scripted", [])):
                print("#   --- scripted origin %d received ---" % k)
                for line in o.describe()[:10]:
                    print("#   " + line)
            for p in env.procs:
                tail = env.log(p.name)[-1500:]
                if tail:
                    print("#   --- %s log (tail) ---" % p.name)
                    for line in tail.splitlines():
                        print("#   " + line)
        finally:
            env.close()
            # a sanitizer report anywhere in our processes' logs fails the test
            reports = [line for p in env.procs if p.name == "edgegate"
                       for line in getattr(env, "final_logs", {}).get(p.name, "").splitlines()
                       if "Sanitizer" in line or "runtime error:" in line]
            if reports:
                failed += 1
                print("not ok %d - %s: sanitizer report" % (n, name), flush=True)
                for line in reports[:20]:
                    print("#   " + line)
    print("1..%d" % n, flush=True)
    return 1 if failed else 0
