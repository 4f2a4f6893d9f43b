#!/usr/bin/env python3
"""The viewer security policy end to end: what the HTTPS listener lets viewers negotiate under
each of CloudFront's policy names (--viewer-security-policy), checked with Python ssl clients
pinned to one TLS version and a few cipher suites, and with testssl.sh against the default.
Real edgegate and edgegate-policy processes, an nginx origin, 127.0.0.1 only."""
import atexit
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import within, EDGEGATE, free_port, main, test, wait_port  # noqa: E402
from pki import Pki  # noqa: E402

# Pinning a client to TLS 1.0/1.1 is the point here, not a mistake to be warned about.
warnings.filterwarnings("ignore", category=DeprecationWarning)

V10, V11, V12, V13 = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2,
                      ssl.TLSVersion.TLSv1_3)
POLICIES = ["TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019",
            "TLSv1.2_2021"]
CBC_ONLY = ("ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:"
            "ECDHE-RSA-AES256-SHA:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA")


def client_context(version, ciphers=None):
    """A client that offers exactly one TLS version (None: all it has) and, for TLS 1.2 and
    older, the given suites. SECLEVEL 0 because OpenSSL 3 will not speak TLS 1.0/1.1 above
    it: what is refused must be the listener's refusal, not the client's."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = version or ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = version or ssl.TLSVersion.MAXIMUM_SUPPORTED
    ctx.set_ciphers((ciphers or "DEFAULT") + ":@SECLEVEL=0")
    return ctx


class Handshake:
    def __init__(self, ok, version=None, cipher=None, error=None):
        self.ok, self.version, self.cipher, self.error = ok, version, cipher, error
        self.status, self.body = None, None

    def __repr__(self):
        if self.ok:
            return "<accepted %s %s, answered %r>" % (self.version, self.cipher, self.status)
        return "<refused: %s>" % self.error


def handshake(port, version, ciphers=None, path="/"):
    """Connects with one TLS version (and suites); when the handshake succeeds, sends one GET
    so that the session is shown to carry HTTP, and keeps the status line and body."""
    ctx = client_context(version, ciphers)
    sock = socket.create_connection(("127.0.0.1", port), 5)
    try:
        try:
            tls = ctx.wrap_socket(sock, server_hostname="localhost")
        except TimeoutError:
            raise  # a listener that hangs is a failure, not a refusal
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
            return Handshake(False, error="%s: %s" % (type(e).__name__, e))
        got = Handshake(True, tls.version(), tls.cipher()[0])
        tls.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                     % path).encode())
        data = b""
        while True:  # Connection: close, so the answer ends where the stream does
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        got.status = data.split(b"\r\n", 1)[0].decode("latin-1")
        got.body = data.split(b"\r\n\r\n", 1)[-1]
        tls.close()
        return got
    finally:
        sock.close()


class Control:
    """A Python TLS server that speaks every version and suite this OpenSSL has, with an RSA
    certificate: a client that cannot handshake with it cannot offer what it was asked to,
    so its refusal by edgegate would prove nothing."""
    _made = None

    @classmethod
    def files(cls):
        if cls._made is None:
            d = tempfile.mkdtemp(prefix="eg-tls-control-")
            atexit.register(shutil.rmtree, d, True)
            crt, key, dh = (os.path.join(d, n) for n in ("c.crt", "c.key", "dh.pem"))
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=localhost"],
                           check=True, capture_output=True, timeout=30)
            r = subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH",
                                "-pkeyopt", "group:ffdhe2048"], check=True, capture_output=True,
                               timeout=30)
            with open(dh, "wb") as f:
                f.write(r.stdout)
            cls._made = crt, key, dh
        return cls._made


def client_can(version, ciphers=None):
    """Whether this Python/OpenSSL can offer version with ciphers: one handshake with the
    control server on a free port."""
    try:
        cctx = client_context(version, ciphers)
    except ssl.SSLError:
        return False  # no such suite in this OpenSSL (3DES in OpenSSL 3)
    crt, key, dh = Control.files()
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    sctx.set_ciphers("ALL:@SECLEVEL=0")
    sctx.load_cert_chain(crt, key)
    sctx.load_dh_params(dh)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(5)

    def serve():
        try:
            c, _ = srv.accept()
            c.settimeout(5)
            sctx.wrap_socket(c, server_side=True).close()
        except (OSError, ssl.SSLError):
            pass

    t = threading.Thread(target=serve)
    t.start()
    s = socket.create_connection(srv.getsockname(), 5)
    try:
        cctx.wrap_socket(s, server_hostname="localhost").close()
        return True
    except (ssl.SSLError, OSError):
        return False
    finally:
        s.close()
        t.join(10)
        srv.close()


def origin(env):
    """An nginx origin that answers GET /index.html, so that a handshake is followed by a
    real answer."""
    port = free_port()
    www = env.path("origin", "www")
    p, _ = env.nginx(["server { listen 127.0.0.1:%d; root %s; }" % (port, www)], "origin")
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("home\n")
    wait_port(port, proc=p)
    # the first origin becomes the default behavior's (*): every path, both protocols
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    return port


def stop(p):
    os.killpg(p.pid, signal.SIGTERM)
    assert p.wait(10) == 0, "edgegate did not stop cleanly"


@test
@within(60)
def default_policy_is_tls12_2021_no_tls10_tls11_no_cbc(env):
    origin(env)
    gw = env.gateway()
    for v in (V10, V11):
        # a control first: the client can speak it, so its refusal below is the listener's
        assert client_can(v, "ECDHE-RSA-AES128-SHA"), "this Python cannot offer %s" % v
        r = handshake(gw.https, v)
        assert not r.ok, ("TLSv1.2_2021 must refuse", v, r)
    for suites in (CBC_ONLY, "AES128-GCM-SHA256:AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256"):
        assert client_can(V12, suites), suites
        r = handshake(gw.https, V12, suites)
        assert not r.ok, ("TLSv1.2_2021 takes ECDHE with AEAD only", suites, r)
    for suite in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                  "ECDHE-RSA-CHACHA20-POLY1305"):
        r = handshake(gw.https, V12, suite, "/index.html")
        assert r.ok and r.version == "TLSv1.2" and r.cipher == suite, (suite, r)
        assert r.status == "HTTP/1.1 200 OK" and r.body == b"home\n", (suite, r)
    r = handshake(gw.https, V13, path="/index.html")
    assert r.ok and r.version == "TLSv1.3" and r.status == "HTTP/1.1 200 OK", r
    # a client that offers everything gets TLS 1.3 and AES-128-GCM, CloudFront's first pick
    r = handshake(gw.https, None)
    assert r.ok and r.version == "TLSv1.3" and r.cipher == "TLS_AES_128_GCM_SHA256", r
    # TLS 1.2 client offering CBC first and GCM last: the server's order wins
    r = handshake(gw.https, V12, CBC_ONLY + ":ECDHE-RSA-AES256-GCM-SHA384")
    assert r.ok and r.cipher == "ECDHE-RSA-AES256-GCM-SHA384", r


@test
@within(60)
def default_policy_with_an_ecdsa_certificate(env):
    pki = Pki(env.path("pki"))
    env.cert, env.key = pki.selfsigned("viewer-ec", "localhost")
    gw = env.gateway()
    for suite in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                  "ECDHE-ECDSA-CHACHA20-POLY1305"):
        r = handshake(gw.https, V12, suite)
        assert r.ok and r.cipher == suite, (suite, r)
    for suite in ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384",
                  "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"):
        r = handshake(gw.https, V12, suite)
        assert not r.ok, (suite, r)
    r = handshake(gw.https, V13)
    assert r.ok and r.version == "TLSv1.3", r


# What each probe should find, by policy: CloudFront's table ("Supported protocols and
# ciphers between viewers and CloudFront", RSA rows), and where GnuTLS cannot leave one
# combination out, what GnuTLS does (marked).
OLD = {"TLSv1", "TLSv1_2016", "TLSv1.1_2016"}
TO_2018 = OLD | {"TLSv1.2_2018"}
TO_2019 = TO_2018 | {"TLSv1.2_2019"}
ALL = set(POLICIES)
PROBES = [
    (V13, None, ALL),
    (V12, "ECDHE-RSA-AES128-GCM-SHA256", ALL),
    (V12, "ECDHE-RSA-AES256-GCM-SHA384", ALL),
    (V12, "ECDHE-RSA-CHACHA20-POLY1305", ALL),
    (V12, "ECDHE-RSA-AES128-SHA256", TO_2019),
    (V12, "ECDHE-RSA-AES256-SHA384", TO_2019),
    (V12, "ECDHE-RSA-AES128-SHA", OLD),
    (V12, "ECDHE-RSA-AES256-SHA", OLD),
    (V12, "AES128-GCM-SHA256", TO_2018),
    (V12, "AES256-GCM-SHA384", TO_2018),
    (V12, "AES128-SHA256", TO_2018),
    (V12, "AES256-SHA256", TO_2018),  # GnuTLS's addition: RSA x AES-256-CBC x SHA256
    (V12, "AES128-SHA", OLD),
    (V12, "AES256-SHA", OLD),
    (V12, "DES-CBC3-SHA", {"TLSv1"}),
    (V12, "ECDHE-RSA-DES-CBC3-SHA", {"TLSv1"}),  # GnuTLS's addition
    (V12, "DHE-RSA-AES128-GCM-SHA256", set()),  # CloudFront offers no finite-field DHE
    (V12, "AES128-CCM", set()),  # nor CCM, which GnuTLS's NORMAL has
    (V11, "ECDHE-RSA-AES128-SHA", OLD),
    (V11, "AES256-SHA", OLD),
    (V10, "ECDHE-RSA-AES128-SHA", {"TLSv1", "TLSv1_2016"}),
    (V10, "AES128-SHA", {"TLSv1", "TLSv1_2016"}),
]


@test
@within(110)
def each_policy_allows_what_cloudfronts_table_lists(env):
    probes = []
    for version, suite, want in PROBES:
        if client_can(version, suite):
            probes.append((version, suite, want))
        else:
            print("#   this Python/OpenSSL (%s) cannot offer %s %s: not probed"
                  % (ssl.OPENSSL_VERSION, version.name, suite))
    assert len(probes) >= len(PROBES) - 2, "too few probes left to mean anything"
    wrong = []
    for policy in POLICIES:
        gw = env.gateway("--viewer-security-policy", policy)
        for version, suite, want in probes:
            r = handshake(gw.https, version, suite)
            if r.ok != (policy in want):
                wrong.append("%s %s %s: %r" % (policy, version.name, suite, r))
            elif r.ok and suite and r.cipher != suite:
                wrong.append("%s %s %s: negotiated %s" % (policy, version.name, suite, r.cipher))
        stop(gw)
    assert not wrong, "\n".join(wrong)


@test
@within(60)
def tlsv1_2016_lets_tls10_viewers_in(env):
    origin(env)
    assert client_can(V10, "ECDHE-RSA-AES128-SHA"), \
        "this Python/OpenSSL cannot speak TLS 1.0 even at SECLEVEL 0"
    gw = env.gateway("--viewer-security-policy", "TLSv1_2016")
    r = handshake(gw.https, V10, "ECDHE-RSA-AES128-SHA", "/index.html")
    assert r.ok and r.version == "TLSv1" and r.status == "HTTP/1.1 200 OK", r
    assert r.body == b"home\n", r
    r = handshake(gw.https, V11, "AES256-SHA", "/index.html")
    assert r.ok and r.version == "TLSv1.1" and r.status == "HTTP/1.1 200 OK", r
    # a modern viewer still gets the best there is
    r = handshake(gw.https, None)
    assert r.ok and r.version == "TLSv1.3", r


def renegotiate(port, then=b""):
    """openssl s_client on TLS 1.2 asks for a renegotiation ("R" on its own line), waits, then
    sends then; returns its -msg transcript (handshake messages both ways) and output."""
    p = subprocess.Popen(["openssl", "s_client", "-msg", "-tls1_2", "-connect",
                          "127.0.0.1:%d" % port], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for data in (b"R\n", then):
            try:
                p.stdin.write(data)
                p.stdin.flush()
            except BrokenPipeError:
                break
            time.sleep(1.0)  # the server's answer arrives before s_client sees EOF
        out, _ = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    return out.decode("latin-1")


def renegotiation_refused(out):
    """A second ClientHello went out and no second ServerHello came back: the server did no
    work for it (the DoS that client-initiated renegotiation is about) and served nothing."""
    return ("RENEGOTIATING" in out and out.count(", ClientHello") == 2 and
            out.count(", ServerHello\n") == 1)


@test
@within(60)
def renegotiation_is_refused_under_the_oldest_policy_too(env):
    origin(env)
    gw = env.gateway("--viewer-security-policy", "TLSv1")
    get = b"GET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    r = handshake(gw.https, V12, "ECDHE-RSA-AES128-SHA", "/index.html")
    assert r.ok and r.status == "HTTP/1.1 200 OK", "the control: TLS 1.2 with CBC works: %r" % r
    out = renegotiate(gw.https, get)
    assert renegotiation_refused(out), out[-3000:]
    assert "HTTP/1.1 200" not in out, "a renegotiated session was served: " + out[-600:]


def testssl_pki(env):
    """A root and a leaf for localhost and 127.0.0.1 that testssl.sh can trust (--add-ca):
    RSA 2048, valid for 200 days (testssl.sh warns under 60), CRL and OCSP URIs present."""
    d = env.path("testssl-pki")
    os.makedirs(d)

    def run(*args):
        subprocess.run(args, check=True, capture_output=True, timeout=30)

    root_key, root = os.path.join(d, "root.key"), os.path.join(d, "root.crt")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", root_key,
        "-out", root, "-days", "30", "-subj", "/CN=edgegate testssl root",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    key, csr, crt = (os.path.join(d, n) for n in ("leaf.key", "leaf.csr", "leaf.crt"))
    run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=localhost")
    ext = os.path.join(d, "leaf.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "crlDistributionPoints=URI:http://127.0.0.1/edgegate-test.crl\n"
                "authorityInfoAccess=OCSP;URI:http://127.0.0.1/ocsp\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", root, "-CAkey", root_key,
        "-CAcreateserial", "-out", crt, "-days", "200", "-sha256", "-extfile", ext)
    return root, crt, key


# testssl.sh's severities are OK, INFO, LOW, MEDIUM, HIGH, CRITICAL; WARN and FATAL say a
# check could not be made, and an unmade check is not a pass.
SEVERE = {"MEDIUM", "HIGH", "CRITICAL", "WARN", "FATAL"}


@test
@within(150)
def testssl_finds_nothing_medium_or_worse_with_the_default_policy(env):
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    assert testssl, "testssl.sh is not installed (apt-get install -y testssl.sh)"
    origin(env)
    root, env.cert, env.key = testssl_pki(env)
    gw = env.gateway()
    out = env.path("testssl.json")
    # -p -s -f -S -P -U: protocols, cipher categories, forward secrecy, server defaults and
    # preference, every vulnerability check. Left out: client simulation (-c) and per-cipher
    # runs (-e, -E), for time (this takes ~40 s on two cores); and the HTTP header checks
    # (-h: HSTS, X-Frame-Options...), which judge what the origin answers, not the listener.
    args = [testssl, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
            "--connect-timeout", "5", "--openssl-timeout", "5", "--add-ca", root,
            "--jsonfile", out, "-p", "-s", "-f", "-S", "-P", "-U", "127.0.0.1:%d" % gw.https]
    t0 = time.time()
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    took = time.time() - t0
    print("#   testssl.sh took %.0fs (exit %d)" % (took, r.returncode))
    assert os.path.exists(out), "testssl.sh wrote no JSON: %s%s" % (r.stdout[-2000:],
                                                                    r.stderr[-2000:])
    with open(out) as f:
        findings = json.load(f)
    by_id = {x["id"]: x for x in findings}
    bad = ["%s %s: %s" % (x["severity"], x["id"], x["finding"]) for x in findings
           if x.get("severity") in SEVERE]
    for x in findings:
        if x.get("severity") not in ("OK", "INFO"):
            print("#   testssl.sh %s %s: %s" % (x["severity"], x["id"], x["finding"]))
    if bad == ["HIGH secure_client_renego: VULNERABLE, DoS threat"]:
        # testssl.sh 3.0 pipes "R" into s_client and reads its exit status; against a server
        # that answers the renegotiating ClientHello by closing (libmicrohttpd sends
        # close_notify rather than a no_renegotiation alert) the status depends on whether
        # s_client saw the close before its stdin's end (about half the runs here say VULNERABLE).
        # Ask again the slow way, and accept only a refusal seen on the wire.
        again = renegotiate(gw.https)
        assert renegotiation_refused(again), again[-3000:]
        print("#   secure_client_renego: testssl.sh's verdict is a race in its probe; the "
              "transcript shows the ClientHello answered by close_notify, no ServerHello")
        bad = []
    assert not bad, "testssl.sh found:\n" + "\n".join(bad)
    # it did test what the policy is about (a run that reached nothing would find nothing)
    for want, text in (("SSLv3", "not offered"), ("TLS1", "not offered"),
                       ("TLS1_1", "not offered"), ("TLS1_2", "offered"), ("TLS1_3", "offered"),
                       ("cipherlist_3DES_IDEA", "not offered"),
                       ("cipherlist_AVERAGE", "not offered"),  # the CBC suites
                       ("cipherlist_STRONG", "offered"), ("cipher_order", "server"),
                       ("PFS_ECDHE_curves", "prime256v1 secp384r1 X25519"),
                       ("cert_chain_of_trust", "passed"), ("secure_renego", "supported"),
                       ("BEAST", "not vulnerable"), ("LUCKY13", "not vulnerable"),
                       ("SWEET32", "not vulnerable"), ("ROBOT", "not vulnerable")):
        assert want in by_id, "testssl.sh did not report %s" % want
        assert by_id[want]["finding"].startswith(text), (want, by_id[want])


@test
@within(30)
def unknown_or_sslv3_policy_is_a_one_line_error(env):
    base = [EDGEGATE, "--db", env.db, "--http", "127.0.0.1:0", "--https", "127.0.0.1:0",
            "--cert", env.cert, "--key", env.key, "--viewer-security-policy"]
    r = subprocess.run(base + ["TLSv1.2_2077"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr == ("edgegate: --viewer-security-policy: 'TLSv1.2_2077' is not a "
                        "CloudFront security policy; choose from TLSv1.2_2021, TLSv1.2_2019, "
                        "TLSv1.2_2018, TLSv1.1_2016, TLSv1_2016, TLSv1\n"), r.stderr
    r = subprocess.run(base + ["SSLv3"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr.count("\n") == 1 and "cannot offer SSL 3.0" in r.stderr, r.stderr
    r = subprocess.run([EDGEGATE, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r
    assert "--viewer-security-policy NAME" in r.stdout and "[TLSv1.2_2021]" in r.stdout, r.stdout
    assert "one of TLSv1.2_2021, TLSv1.2_2019, TLSv1.2_2018, TLSv1.1_2016, TLSv1_2016, " \
        "TLSv1" in r.stdout, r.stdout


if __name__ == "__main__":
    sys.exit(main())
