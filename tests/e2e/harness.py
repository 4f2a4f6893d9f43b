"""edgegate's end-to-end harness: real servers on 127.0.0.1, raw HTTP, TAP out.

Tests read like conversations: start an nginx origin and edgegate with its workers, send
bytes, expect a status. Everything a test starts is stopped when it ends."""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
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


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
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
        return p, d

    def gateway(self, *extra, workers=1, wait=True):
        args = [EDGEGATE, "--db", self.db, "--http", "127.0.0.1:0", "--https", "127.0.0.1:0",
                "--cert", self.cert, "--key", self.key, "--workers", str(workers)] + list(extra)
        p = self.start(args, "edgegate", stdout=subprocess.PIPE)
        line = p.stdout.readline().decode()
        m = re.search(r"http://[^ ]+:(\d+) https://[^ ]+:(\d+)", line)
        if not m:
            raise RuntimeError("edgegate did not start: %r\n%s" % (line, self.log("edgegate")))
        p.http, p.https = int(m.group(1)), int(m.group(2))
        return p

    def log(self, name):
        try:
            with open(self.path(name + ".log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
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
            fn(env)
            print("ok %d - %s (%.1fs)" % (n, name, time.time() - t0), flush=True)
        except Exception:
            failed += 1
            print("not ok %d - %s" % (n, name), flush=True)
            for line in traceback.format_exc().splitlines():
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
