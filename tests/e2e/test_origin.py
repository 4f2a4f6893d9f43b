#!/usr/bin/env python3
"""The origin side end to end: HTTPS to origins with CloudFront's certificate rules, origin
protocol policy and SSL protocols, keep-alive. Certificates come from a PKI made with
openssl in this run; origins are real nginx servers on 127.0.0.1."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Conn, eventually, free_port, main, request, test, wait_port  # noqa: E402
from pki import Pki  # noqa: E402

TLS_SERVER = """
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(chain)s;
        ssl_certificate_key %(key)s;
        ssl_protocols %(protocols)s;
        ssl_ciphers %(ciphers)s;
        location / { return 200 "%(name)s over $scheme $ssl_protocol host=$http_host sni=$ssl_server_name\\n"; }
    }"""


def tls_origins(env, cases):
    """cases: name -> (chain, key[, protocols]); one nginx, a TLS port per case."""
    ports, servers = {}, []
    for name, spec in cases.items():
        chain, key = spec[0], spec[1]
        protocols = spec[2] if len(spec) > 2 else "TLSv1.2 TLSv1.3"
        ports[name] = free_port()
        servers.append(TLS_SERVER % {
            "port": ports[name], "chain": chain, "key": key, "protocols": protocols,
            "ciphers": "DEFAULT:@SECLEVEL=0" if "TLSv1 " in protocols + " " else "DEFAULT",
            "name": name})
    # two server blocks on one port would both be answered by the first (free_port)
    assert len(set(ports.values())) == len(ports), ports
    p, _ = env.nginx(servers, "tls")
    for port in ports.values():
        wait_port(port, proc=p)
    return ports


def pki_for(env):
    pki = Pki(env.path("pki"))
    root = pki.root()
    inter = pki.intermediate("root")
    return pki, root, inter


@test
def certificate_rules_decide_between_200_and_502(env):
    pki, root, inter = pki_for(env)
    other_root = pki.root("other")

    def leaf(name, dns, **kw):
        crt, key = pki.leaf("intermediate", name, dns, **kw)
        return crt, key

    good = leaf("good", ["good.test"])
    expired = leaf("expired", ["expired.test"], start=-10, end=-1)
    notyet = leaf("notyet", ["notyet.test"], start=1, end=5)
    wrongname = leaf("wrongname", ["elsewhere.test"])
    cnonly = leaf("cnonly", None, cn="cnonly.test")
    sanwins = leaf("sanwins", ["san.test"], cn="sanwins.test")
    fwd = leaf("fwd", ["viewer.test"])
    untrusted_crt, untrusted_key = pki.leaf("other", "untrusted", ["untrusted.test"])
    self_crt, self_key = pki.selfsigned("self", "self.test")
    cases = {
        "good": (pki.bundle("good-chain", good[0], inter), good[1]),
        "selfsigned": (self_crt, self_key),
        "expired": (pki.bundle("expired-chain", expired[0], inter), expired[1]),
        "notyet": (pki.bundle("notyet-chain", notyet[0], inter), notyet[1]),
        "wrongorder": (pki.bundle("wrong-order", good[0], root, inter), good[1]),
        "nointermediate": (good[0], good[1]),
        "wrongname": (pki.bundle("wrongname-chain", wrongname[0], inter), wrongname[1]),
        "untrusted": (untrusted_crt, untrusted_key),
        "cnonly": (pki.bundle("cnonly-chain", cnonly[0], inter), cnonly[1]),
        "sanwins": (pki.bundle("sanwins-chain", sanwins[0], inter), sanwins[1]),
        "fwdhost": (pki.bundle("fwd-chain", fwd[0], inter), fwd[1]),
        "fwdhost2": (pki.bundle("fwd-chain2", fwd[0], inter), fwd[1]),
        "fwdip": (pki.bundle("fwd-chain3", fwd[0], inter), fwd[1]),
    }
    del other_root
    ports = tls_origins(env, cases)
    domains = {"good": "good.test", "selfsigned": "self.test", "expired": "expired.test",
               "notyet": "notyet.test", "wrongorder": "good.test",
               "nointermediate": "good.test", "wrongname": "wrongname.test",
               "untrusted": "untrusted.test", "cnonly": "cnonly.test",
               "sanwins": "sanwins.test", "fwdhost": "origin.test", "fwdhost2": "origin.test",
               "fwdip": "127.0.0.1"}
    resolve = []
    for name, port in ports.items():
        env.egctl("origin", "add", name, "--domain", domains[name], "--https-port", str(port),
                  "--protocol", "https-only")
        env.egctl("behavior", "add", "/%s/*" % name, "--origin", name)
    for d in set(domains.values()) - {"127.0.0.1"}:
        resolve += ["--resolve", d + ":127.0.0.1"]
    env.egctl("behavior", "set", "/fwdhost/*", "--forward-host", "true")
    # an origin given as an address: the certificate names the host the request is for
    env.egctl("behavior", "set", "/fwdip/*", "--forward-host", "true")
    gw = env.gateway("--origin-ca", root, *resolve)

    expect = {"good": 200, "selfsigned": 502, "expired": 502, "notyet": 502,
              "wrongorder": 502, "nointermediate": 502, "wrongname": 502, "untrusted": 502,
              "cnonly": 200, "sanwins": 502, "fwdhost": 200, "fwdhost2": 502, "fwdip": 200}
    # each 502 for its own reason, logged against the request's id: a case that reached
    # another case's server (or failed for another reason) fails
    why = {"selfsigned": "self-signed certificate", "expired": "certificate has expired",
           "notyet": "certificate is not yet valid", "wrongorder": "chain sent in the wrong order",
           "nointermediate": "unable to get local issuer certificate",
           "wrongname": "hostname mismatch",
           "untrusted": "unable to get local issuer certificate",
           "sanwins": "hostname mismatch", "fwdhost2": "hostname mismatch"}
    got = {}
    for name in expect:
        r = request(gw.http, "GET", "/%s/x" % name, host="viewer.test")
        got[name] = r.status
        if r.status != 502:
            assert r.body.startswith(name.encode() + b" over https"), (name, r)
            continue
        assert r.header("X-Cache") == "Error from edgegate", (name, r)
        if name in why:  # else got == expect below says it
            said = "request %s: origin %s: certificate rejected: %s" % (
                r.header("X-Edgegate-Id"), domains[name], why[name])
            assert eventually(lambda: said in env.log("edgegate"), 2), \
                "%s: the log does not say %r:\n%s" % (name, said, env.log("edgegate")[-3000:])
    r = request(gw.http, "GET", "/good/x")
    assert b"sni=good.test" in r.body, "SNI names the origin: %r" % r.body
    r = request(gw.http, "GET", "/fwdhost/y", host="viewer.test")
    assert b"sni=viewer.test" in r.body, "SNI names the forwarded Host: %r" % r.body
    assert got == expect, "\n".join("%-15s want %d got %d" % (n, expect[n], got[n])
                                    for n in expect if got[n] != expect[n])


@test
def origin_protocol_policy_times_viewer_scheme(env):
    pki, root, inter = pki_for(env)
    crt, key = pki.leaf("intermediate", "o", ["o.test"])
    chain = pki.bundle("o-chain", crt, inter)
    plain, tls = free_port(), free_port()
    server = """
    log_format scheme "$scheme $request_uri";
    server {
        listen 127.0.0.1:%d;
        listen 127.0.0.1:%d ssl;
        ssl_certificate %s; ssl_certificate_key %s;
        access_log %s scheme;
        location / { return 200 "$scheme\\n"; }
    }""" % (plain, tls, chain, key, env.path("scheme.log"))
    p, _ = env.nginx([server])
    wait_port(plain, proc=p)
    wait_port(tls, proc=p)
    env.egctl("origin", "add", "o", "--domain", "o.test", "--http-port", str(plain),
              "--https-port", str(tls))
    gw = env.gateway("--origin-ca", root, "--resolve", "o.test:127.0.0.1")
    for policy, via_http, via_https in (("http-only", "http", "http"),
                                        ("https-only", "https", "https"),
                                        ("match-viewer", "http", "https")):
        env.egctl("origin", "set", "o", "--protocol", policy)
        time.sleep(0.4)
        for viewer, want in (("http", via_http), ("https", via_https)):
            path = "/%s/%s" % (policy, viewer)
            r = request(gw.https if viewer == "https" else gw.http, "GET", path + "?nocache",
                        tls=viewer == "https", headers={"Cache-Control": "no-cache"})
            assert r.status == 200, (policy, viewer, r)
            def logged():  # nginx writes its log line after sending the response
                with open(env.path("scheme.log")) as f:
                    return [line.split() for line in f if path in line]
            lines = eventually(logged, 2.0)
            assert lines and lines[-1][0] == want, (policy, viewer, lines)


@test
def origin_ssl_protocols_are_honoured(env):
    pki, root, inter = pki_for(env)
    crt, key = pki.leaf("intermediate", "p", ["p.test"])
    chain = pki.bundle("p-chain", crt, inter)
    ports = tls_origins(env, {"only12": (chain, key, "TLSv1.2"),
                              "only13": (chain, key, "TLSv1.3"),
                              "only10": (chain, key, "TLSv1")})
    for name, port in ports.items():
        env.egctl("origin", "add", name, "--domain", "p.test", "--https-port", str(port),
                  "--protocol", "https-only")
        env.egctl("behavior", "add", "/%s/*" % name, "--origin", name, "--default-ttl", "0",
                  "--max-ttl", "0")
    gw = env.gateway("--origin-ca", root, "--resolve", "p.test:127.0.0.1")

    def status(name):
        return request(gw.http, "GET", "/%s/x" % name).status

    # default TLSv1.2: TLSv1.2 and TLSv1.3 origins, not TLSv1
    r = request(gw.http, "GET", "/only13/x")
    assert r.status == 200 and b"TLSv1.3" in r.body, r
    r = request(gw.http, "GET", "/only12/x")
    assert r.status == 200 and b"TLSv1.2" in r.body, r
    assert status("only10") == 502
    for name in ports:
        env.egctl("origin", "set", name, "--ssl-protocols", "TLSv1.1")
    assert eventually(lambda: status("only12") == 502), "TLSv1.1 only cannot reach TLSv1.2"
    assert status("only13") == 502
    for name in ports:
        env.egctl("origin", "set", name, "--ssl-protocols", "TLSv1,TLSv1.1")
    r = eventually(lambda: request(gw.http, "GET", "/only10/x").status == 200)
    assert r, "TLSv1 allowed reaches a TLSv1-only origin: " + env.log("edgegate")[-800:]
    r = env.egctl("origin", "set", "only12", "--ssl-protocols", "SSLv3", check=False)
    assert r.returncode == 1 and "SSLv3" in r.stderr, r


@test
def s3_origin_rules(env):
    r = env.egctl("origin", "add", "site", "--domain", "b.s3-website.example", "--type",
                  "s3-website", "--protocol", "https-only", check=False)
    assert r.returncode == 1 and "cannot use HTTPS" in r.stderr, r
    env.egctl("origin", "add", "site", "--domain", "b.s3-website.example", "--type",
              "s3-website")
    r = env.egctl("origin", "set", "site", "--protocol", "match-viewer", check=False)
    assert r.returncode == 1, r
    env.egctl("origin", "add", "bucket", "--domain", "b.s3.example", "--type", "s3")
    out = json.loads(env.egctl("--json", "origin", "list").stdout)
    bucket = [o for o in out if o["id"] == "bucket"]
    assert bucket and bucket[0]["domain"] == "b.s3.example" and bucket[0]["path"] == "" and \
        bucket[0]["type"] == "s3" and bucket[0]["protocol"] == "match-viewer", out
    r = env.egctl("origin", "set", "bucket", "--protocol", "https-only", check=False)
    assert r.returncode == 1 and "match-viewer" in r.stderr, r


@test
def keep_alive_pool_reuses_and_survives_origin_closing_idle_connections(env):
    port = free_port()
    server = """
    log_format conn "$connection $request_uri";
    keepalive_timeout 1s;
    server { listen 127.0.0.1:%d; access_log %s conn;
             location / { add_header Cache-Control no-store; return 200 "ok\\n"; } }""" % (
        port, env.path("conn.log"))
    p, _ = env.nginx([server])
    wait_port(port, proc=p)
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(port),
              "--keepalive-timeout", "30")
    gw = env.gateway()
    c = Conn(gw.http)
    for i in range(3):
        assert c.request("GET", "/a%d" % i).status == 200
    time.sleep(1.6)  # nginx closes the idle connection; edgegate still holds it
    for i in range(3):
        r = c.request("GET", "/b%d" % i)
        assert r.status == 200, r
    c.close()
    with open(env.path("conn.log")) as f:
        conns = [line.split()[0] for line in f]
    assert len(conns) == 6, conns
    assert len(set(conns[:3])) == 1, "one kept-alive origin connection: %s" % conns
    assert conns[3] != conns[0] and len(set(conns[3:])) == 1, conns


if __name__ == "__main__":
    sys.exit(main())
