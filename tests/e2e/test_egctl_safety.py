#!/usr/bin/env python3
"""egctl's safety rules end to end: what it refuses (path patterns CloudFront would refuse,
forwarding lists that would leak one viewer's answer to another, invalidation paths that are
not paths, error caching minimum TTLs out of CloudFront's bounds), a database of an older
schema migrated, `dist rm` on a configured distribution, a running edgegate dropping a deleted
distribution's cached objects, and the policy worker's own answers (HTML error pages, valid
Location headers, raw request targets normalized or refused, the distribution's error caching
minimum TTL in every forward) spoken to over FastCGI.
Every test runs under an alarm, so a hang fails it instead of stalling the suite."""
import glob
import json
import os
import socket
import sqlite3
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, EGCTL, ROOT, eventually, free_port, main, request,  # noqa: E402
                     test, wait_port)
from harness import within as timeout  # noqa: E402

POLICY = os.path.join(BUILD, "gateway", "edgegate-policy")


def refused(env, *args, says):
    """egctl must exit 1 with a one-line reason holding says, and change nothing."""
    before = dump(env)
    r = env.egctl(*args, check=False)
    assert r.returncode == 1, (args, r.returncode, r.stdout, r.stderr)
    assert says in r.stderr, (args, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert dump(env) == before, "a refused command changed the database: %r" % (args,)
    return r.stderr


def dump(env):
    """Everything egctl can change, as text, to compare before and after."""
    con = sqlite3.connect(env.db)
    try:
        out = []
        for table in ("distributions", "aliases", "origins", "behaviors", "invalidations",
                      "invalidation_paths"):
            out.append(sorted(map(repr, con.execute("SELECT * FROM %s" % table))))
        return out
    finally:
        con.close()


def dists(env, db=None):
    r = env.run(EGCTL, "--db", db or env.db, "--json", "dist", "list")
    return {d["id"]: d for d in json.loads(r.stdout)}


def config_version(env):
    con = sqlite3.connect(env.db)
    try:
        return con.execute("SELECT value FROM meta WHERE key = 'config_version'").fetchone()[0]
    finally:
        con.close()


def behaviors(env, dist="default"):
    r = env.egctl("--dist", dist, "--json", "behavior", "list")
    return {b["pattern"]: b for b in json.loads(r.stdout)}


def origin(env, name="nginx"):
    """An nginx origin whose access log tells how often edgegate asked it for each URI."""
    port = free_port()
    www = env.path(name, "www")
    server = """
    log_format uri_%(name)s "$request_uri";
    server {
        listen 127.0.0.1:%(port)d;
        root %(www)s;
        access_log %(log)s uri_%(name)s;
    }""" % {"port": port, "www": www, "log": env.path(name + ".uri.log"), "name": name}
    p, _ = env.nginx([server], name)
    wait_port(port, proc=p)
    for rel, text in [("a.txt", "object a\n"), ("secure/x", "SECRET\n"), ("api/x", "api\n")]:
        path = os.path.join(www, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
    return port


def asked(env, uri, name="nginx"):
    try:
        with open(env.path(name + ".uri.log")) as f:
            return sum(1 for line in f if line.strip() == uri)
    except OSError:
        return 0


# --- egctl refusals ----------------------------------------------------------------------

@test
@timeout(60)
def path_patterns_are_normalized_and_cloudfront_characters_enforced(env):
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1")
    env.egctl("behavior", "add", "images/./a//b/../*", "--origin", "web")
    env.egctl("behavior", "add", "/%7Euser/%41*.jpg", "--origin", "web")
    env.egctl("behavior", "add", "/say\"hi\"/*", "--origin", "web")
    got = list(behaviors(env))
    assert got == ["/images/a/*", "/~user/A*.jpg", "/say%22hi%22/*", "*"], got
    # the same pattern spelled another way is the same behavior
    refused(env, "behavior", "add", "/images//a/./*", "--origin", "web", says="already exists")
    env.egctl("behavior", "set", "images/a/*", "--viewer-protocol", "https-only")
    assert behaviors(env)["/images/a/*"]["viewer-protocol"] == "https-only"
    for bad, says in [("/a b", "byte 0x20"), ("/a,b", "','"), ("/a;b", "';'"),
                      ("/a=b", "'='"), ("/a(b)", "'('"), ("/a[1]", "'['"), ("/a#b", "'#'"),
                      ("/a\\b", "'\\'"), ("/a<b>", "'<'"), ("/a|b", "'|'"),
                      ("/caf\u00e9", "non-ASCII"), ("/a%20b", "%20"), ("/a%3F", "'?'"),
                      ("/a%2Fb", "slash"), ("/../x", "above the root"), ("", "empty")]:
        err = refused(env, "behavior", "add", bad, "--origin", "web", says=says)
        if "'" in says and "%" not in bad:
            assert "CloudFront allows" in err, err
    assert env.egctl("behavior", "add", "/AZaz09_-.*$~'@:+&?/x", "--origin", "web").returncode == 0
    refused(env, "behavior", "add", "/" + "a" * 255, "--origin", "web", says="longer than 255")


@test
@timeout(60)
def forwarding_lists_refuse_what_would_leak_or_what_the_gateway_controls(env):
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1")
    b = behaviors(env)["*"]
    assert [b[k] for k in ("cache-headers", "cache-cookies", "origin-headers",
                           "origin-cookies")] == ["none"] * 4, b
    refused(env, "behavior", "set", "*", "--origin-headers", "X-Api-Key,authorization",
            says="Authorization can only be forwarded through the cache policy "
                 "(--cache-headers), so the cache never answers one viewer's authorized "
                 "request for another")
    for field in ("--cache-headers", "--origin-headers"):
        refused(env, "behavior", "set", "*", field, "host", says="--forward-host")
        for name in ("Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
                     "Upgrade", "X-Forwarded-For", "Via", "Cookie", "Proxy-Authorization"):
            refused(env, "behavior", "set", "*", field, "X-A," + name, says="cannot be chosen"
                    if name not in ("Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade",
                                    "Proxy-Authorization") else "hop-by-hop")
        refused(env, "behavior", "set", "*", field, "X A", says="not a header name")
        refused(env, "behavior", "set", "*", field, "none,X-A", says="stands alone")
    refused(env, "behavior", "set", "*", "--cache-headers", "all", says="not allowed here")
    refused(env, "behavior", "set", "*", "--origin-cookies", "a=b", says="not a cookie name")
    # forwarding without keying needs the origin's Cache-Control: private, which a min TTL
    # would override
    env.egctl("behavior", "set", "*", "--min-ttl", "10")
    refused(env, "behavior", "set", "*", "--origin-cookies", "all", says="--min-ttl 0")
    env.egctl("behavior", "set", "*", "--min-ttl", "0")

    r = env.egctl("behavior", "set", "*", "--cache-headers", "authorization,accept-language",
                  "--cache-cookies", "Sess", "--origin-headers", "all-viewer",
                  "--origin-cookies", "lang,theme")
    assert "Cache-Control: private or no-store" in r.stderr, "a note on unkeyed forwarding"
    b = behaviors(env)["*"]
    assert (b["cache-headers"], b["cache-cookies"], b["origin-headers"], b["origin-cookies"]) \
        == ("Authorization,Accept-Language", "Sess", "all-viewer", "lang,theme"), b
    refused(env, "behavior", "set", "*", "--min-ttl", "5", says="private or no-store")
    h = env.egctl("--help").stdout
    assert "--origin-cookies" in h and "--cache-headers" in h, h
    assert "Cache-Control: private or no-store" in h and "edgegate never stores those" in h, h


@test
@timeout(60)
def invalidation_paths_are_normalized_and_star_only_last(env):
    env.egctl("invalidate", "/a/./b/../c.txt", "/img//*", "/%7Eu/x")
    r = env.egctl("--json", "invalidations")
    paths = json.loads(r.stdout)[0]["paths"]
    assert sorted(paths) == ["/a/c.txt", "/img/*", "/~u/x"], paths
    refused(env, "invalidate", "/a/*/b", says="* may only be the last character")
    refused(env, "invalidate", "/a?x=1", says="no query string")
    refused(env, "invalidate", "a.txt", says="must start with /")
    refused(env, "invalidate", "/../a", says="above the root")
    refused(env, "invalidate", "/ok", "/a%2Fb", says="slash")


@test
@timeout(60)
def lists_of_an_unknown_distribution_fail_and_aliases_that_never_match_are_refused(env):
    for cmd in (("origin", "list"), ("behavior", "list"), ("invalidations",)):
        refused(env, "--dist", "nosuch", *cmd, says="no distribution nosuch")
    for alias in ("*", "*.*", "shop.example.", "a..b"):
        refused(env, "dist", "add", "shop", "--aliases", alias, says="is not a host name")


@test
@timeout(60)
def dist_rm_refuses_a_configured_distribution_unless_forced(env):
    env.egctl("dist", "add", "shop", "--aliases", "shop.example")
    env.egctl("--dist", "shop", "origin", "add", "web", "--domain", "127.0.0.1")
    env.egctl("--dist", "shop", "behavior", "add", "/x/*", "--origin", "web")
    refused(env, "dist", "rm", "shop",
            says="distribution shop still has 1 origin and 2 behaviors")
    refused(env, "dist", "rm", "shop", says="--force")
    refused(env, "dist", "rm", "nosuch", says="no distribution nosuch")
    refused(env, "dist", "rm", "nosuch", "--force", says="no distribution nosuch")
    refused(env, "origin", "rm", "web", "--force", says="unknown option --force")
    env.egctl("dist", "add", "empty")
    assert env.egctl("dist", "rm", "empty").returncode == 0, "an empty one goes without --force"
    r = env.egctl("dist", "rm", "shop", "--force")
    assert r.returncode == 0, r
    ids = [d["id"] for d in json.loads(env.egctl("--json", "dist", "list").stdout)]
    assert ids == ["default"], ids
    con = sqlite3.connect(env.db)
    left = con.execute("SELECT (SELECT count(*) FROM origins WHERE dist_id = 'shop'), "
                       "(SELECT count(*) FROM behaviors WHERE dist_id = 'shop'), "
                       "(SELECT count(*) FROM aliases WHERE dist_id = 'shop')").fetchone()
    con.close()
    assert left == (0, 0, 0), left
    env.egctl("dist", "add", "shop", "--aliases", "shop.example")   # the alias is free again


@test
@timeout(60)
def error_caching_min_ttl_is_a_distribution_setting_within_cloudfronts_bounds(env):
    assert dists(env)["default"]["error-caching-min-ttl"] == 10, "CloudFront's default"
    env.egctl("dist", "add", "shop", "--error-caching-min-ttl", "0")
    assert dists(env)["shop"]["error-caching-min-ttl"] == 0, dists(env)
    before = config_version(env)
    env.egctl("dist", "set", "shop", "--error-caching-min-ttl", "31536000")
    assert dists(env)["shop"]["error-caching-min-ttl"] == 31536000, dists(env)
    # the front forgets the routes (which carry the value) of an older version
    assert config_version(env) > before, "a change must bump the configuration version"
    table = [line.split() for line in env.egctl("dist", "list").stdout.splitlines()]
    assert table[0][-1] == "ERROR-CACHING-MIN-TTL", table   # the last column: comments hold spaces
    assert {row[0]: row[-1] for row in table[1:]} == {"default": "10", "shop": "31536000"}, \
        table
    for bad in ("-1", "31536001", "10s", "", "ten", "1e3"):
        refused(env, "dist", "set", "shop", "--error-caching-min-ttl", bad,
                says="--error-caching-min-ttl: '%s' is not a whole number from 0 to 31536000"
                % bad)
    refused(env, "dist", "add", "other", "--error-caching-min-ttl", "-5", says="from 0 to")
    assert sorted(dists(env)) == ["default", "shop"]
    h = [line for line in env.egctl("--help").stdout.splitlines()
         if "--error-caching-min-ttl" in line]
    assert len(h) == 1 and "Error Caching Minimum TTL" in h[0] and h[0].endswith("[10]"), h


@test
@timeout(60)
def a_database_from_before_the_error_caching_min_ttl_gets_10(env):
    """A database as an edgegate of schema version 2 left it (schema.sql and migration 002
    applied as eg_db_open applies them) is migrated when egctl opens it: every distribution
    gets CloudFront's default, and nothing else changes."""
    old = env.path("old.db")
    migrations = sorted(glob.glob(os.path.join(ROOT, "db", "migrations", "[0-9]*.sql")))
    con = sqlite3.connect(old)
    for f in [os.path.join(ROOT, "db", "schema.sql")] + \
            [m for m in migrations if int(os.path.basename(m)[:3]) <= 2]:
        with open(f) as sql:
            con.executescript(sql.read())
    con.execute("PRAGMA user_version = 2")
    con.execute("INSERT INTO distributions (id, comment, enabled) VALUES "
                "('default', 'x', 1), ('shop', 'old one', 0)")
    con.execute("INSERT INTO aliases (alias, dist_id) VALUES ('shop.example', 'shop')")
    con.commit()
    con.close()
    got = dists(env, old)
    assert {k: v["error-caching-min-ttl"] for k, v in got.items()} == {"default": 10, "shop": 10}, \
        got
    assert (got["shop"]["comment"], got["shop"]["enabled"], got["shop"]["aliases"]) == \
        ("old one", False, "shop.example"), got
    con = sqlite3.connect(old)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    con.close()
    assert version == len(migrations) + 1, (version, migrations)
    env.run(EGCTL, "--db", old, "dist", "set", "shop", "--error-caching-min-ttl", "60")
    assert dists(env, old)["shop"]["error-caching-min-ttl"] == 60


# --- a running gateway -------------------------------------------------------------------

def shop(env, port):
    env.egctl("dist", "add", "shop", "--aliases", "shop.example")
    env.egctl("--dist", "shop", "origin", "add", "web", "--domain", "127.0.0.1",
              "--http-port", str(port))


def get(gw, path, host):
    r = request(gw.http, "GET", path, host=host)
    assert r.status == 200, (path, host, r)
    return r.header("X-Cache")


@test
@timeout(90)
def a_deleted_distributions_objects_are_dropped_at_once(env):
    port = origin(env)
    shop(env, port)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    gw = env.gateway()
    assert get(gw, "/a.txt", "shop.example") == "Miss from edgegate"
    assert get(gw, "/a.txt", "shop.example") == "Hit from edgegate", "cached"
    assert get(gw, "/a.txt?d=1", "other.example") == "Miss from edgegate"   # default dist
    assert get(gw, "/a.txt?d=1", "other.example") == "Hit from edgegate"
    assert eventually(lambda: asked(env, "/a.txt") == 1, 2), asked(env, "/a.txt")

    refused(env, "dist", "rm", "shop", says="--force")
    assert get(gw, "/a.txt", "shop.example") == "Hit from edgegate", "nothing was deleted"
    env.egctl("dist", "rm", "shop", "--force")
    assert eventually(lambda: "distribution shop was deleted" in env.log("edgegate"), 3), \
        env.log("edgegate")[-2000:]
    shop(env, port)
    time.sleep(0.5)   # the gateway sees the new distribution
    assert get(gw, "/a.txt", "shop.example") == "Miss from edgegate", \
        "the re-created distribution must not serve the deleted one's object"
    assert eventually(lambda: asked(env, "/a.txt") == 2, 2), asked(env, "/a.txt")
    assert get(gw, "/a.txt", "shop.example") == "Hit from edgegate"
    assert get(gw, "/a.txt?d=1", "other.example") == "Hit from edgegate", \
        "another distribution's objects stay"


@test
@timeout(90)
def a_distribution_deleted_and_recreated_between_two_polls_is_noticed(env):
    port = origin(env)
    shop(env, port)
    gw = env.gateway()
    assert get(gw, "/a.txt", "shop.example") == "Miss from edgegate"
    assert get(gw, "/a.txt", "shop.example") == "Hit from edgegate"
    # delete and re-create it identically in one transaction: the gateway can never see the
    # distribution missing, only that it is another one (a new generation)
    con = sqlite3.connect(env.db, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("BEGIN IMMEDIATE")
    row = con.execute("SELECT comment, enabled FROM distributions WHERE id = 'shop'").fetchone()
    orow = con.execute("SELECT * FROM origins WHERE dist_id = 'shop'").fetchall()
    brow = con.execute("SELECT * FROM behaviors WHERE dist_id = 'shop'").fetchall()
    con.execute("DELETE FROM distributions WHERE id = 'shop'")
    con.execute("INSERT INTO distributions (id, comment, enabled) VALUES ('shop', ?, ?)", row)
    con.execute("INSERT INTO aliases (alias, dist_id) VALUES ('shop.example', 'shop')")
    for o in orow:
        con.execute("INSERT INTO origins VALUES (%s)" % ",".join("?" * len(o)), o)
    for b in brow:
        con.execute("INSERT INTO behaviors VALUES (%s)" % ",".join("?" * len(b)), b)
    con.execute("COMMIT")
    con.close()
    assert eventually(lambda: "distribution shop was deleted and created again" in
                      env.log("edgegate"), 3), env.log("edgegate")[-2000:]
    assert get(gw, "/a.txt", "shop.example") == "Miss from edgegate"
    assert eventually(lambda: asked(env, "/a.txt") == 2, 2), asked(env, "/a.txt")


@test
@timeout(60)
def https_only_refusal_is_an_html_page_linking_to_https(env):
    port = origin(env)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    env.egctl("behavior", "add", "/secure/*", "--origin", "web", "--viewer-protocol",
              "https-only")
    env.egctl("behavior", "set", "*", "--cache-headers", "accept-language", "--origin-cookies",
              "all")
    gw = env.gateway()
    # the front takes the worker's forwarding lists (a bad one would be a 502)
    r = request(gw.https, "GET", "/a.txt", tls=True, headers={"Accept-Language": "fr"})
    assert r.status == 200 and r.body == b"object a\n", r
    r = request(gw.http, "GET", "/secure/x?token=t0k", host="www.example.com")
    assert r.status == 403, r
    assert r.header("Content-Type") == "text/html; charset=utf-8", r
    body = r.body.decode()
    assert "SECRET" not in body and "t0k" not in body, body
    assert '<a href="https://www.example.com:%d/secure/x">' % gw.https in body, body
    r = request(gw.http, "POST", "/secure/x", body=b"x")
    assert r.status == 403 and r.header("Content-Type") == "text/html; charset=utf-8", r
    assert "<a href" not in r.body.decode(), r.body


# --- the policy worker on its own socket, as under Apache or lighttpd ---------------------

def fcgi_record(rtype, content, req_id=1):
    return struct.pack("!BBHHBx", 1, rtype, req_id, len(content), 0) + content


def fcgi_pair(name, value):
    def length(n):
        return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def fcgi_ask(sock_path, params):
    """One RESPONDER request; returns (status, headers dict, body) of the CGI answer."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock_path)
    body = b"".join(fcgi_pair(k.encode(), v if isinstance(v, bytes) else v.encode())
                    for k, v in params.items())
    s.sendall(fcgi_record(1, struct.pack("!HB5x", 1, 0)) + fcgi_record(4, body) +
              fcgi_record(4, b"") + fcgi_record(5, b""))
    buf, out = b"", b""
    while True:
        while len(buf) < 8 or len(buf) < 8 + struct.unpack("!H", buf[4:6])[0] + buf[6]:
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError("the worker closed the connection")
            buf += chunk
        _, rtype, _, clen, plen = struct.unpack("!BBHHB", buf[:7])
        content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
        if rtype == 6:
            out += content
        elif rtype == 3:
            break
    s.close()
    head, _, rest = out.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(headers.get("status", "200").split()[0]), headers, rest


@test
@timeout(60)
def the_worker_normalizes_raw_targets_refuses_bad_ones_and_writes_valid_locations(env):
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1")
    env.egctl("behavior", "add", "/secure/*", "--origin", "web", "--viewer-protocol",
              "https-only")
    env.egctl("behavior", "add", "/r/*", "--origin", "web", "--viewer-protocol",
              "redirect-to-https")
    sock = env.path("policy.sock")
    p = env.start([POLICY, "--db", env.db, "--listen", sock], "policy")
    assert eventually(lambda: os.path.exists(sock) or p.poll() is not None, 5) and \
        p.poll() is None, env.log("policy")

    def ask(uri, method="GET", **extra):
        params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "SERVER_PROTOCOL": "HTTP/1.1",
                  "HTTP_HOST": "www.example.com", "SERVER_NAME": "127.0.0.1",
                  "EG_HTTPS_PORT": "443", "REQUEST_SCHEME": "http"}
        params.update(extra)
        return fcgi_ask(sock, params)

    st, h, body = ask("/index.html")
    assert st == 200 and h.get("x-eg-action") == "forward", (st, h)
    for k in ("x-eg-cache-headers", "x-eg-cache-cookies", "x-eg-origin-headers",
              "x-eg-origin-cookies"):
        assert h.get(k) == "none", (k, h)
    # a path spelled another way is decided as the path it is
    for uri in ("/r/../secure/x", "/%73ecure/x", "//secure/./x", "/secure/a/..//x"):
        st, h, body = ask(uri)
        assert st == 403 and h.get("x-eg-behavior") == "/secure/*", (uri, st, h)
        assert h.get("content-type") == "text/html; charset=utf-8", h
        assert b'href="https://www.example.com/secure/x"' in body, body
    # targets a server must refuse get a 400 page (with the version, so the front can read it)
    for uri in (b"/a/../../x", b"/a\x01b", b"/a%2Fb", b"/a%00", b"/a\\b", b"/a b"):
        st, h, body = ask(uri)
        assert st == 400, (uri, st, h, body)
        assert h.get("content-type") == "text/html; charset=utf-8" and "x-eg-config" in h, h
        assert b"400 ERROR" in body, body
    # the Location is a valid header value whatever the query held
    st, h, _ = ask(b'/r/./x?a="<>{|}^`\\\xff&b=%2F')
    assert st == 301, (st, h)
    loc = h.get("location", "")
    assert loc == "https://www.example.com/r/x?a=%22%3C%3E%7B%7C%7D%5E%60%5C%FF&b=%2F", loc
    assert all(0x21 <= ord(c) <= 0x7e for c in loc), loc
    st, h, _ = ask("/r/x", HTTP_HOST="", SERVER_NAME="evil\r\nSet-Cookie: x")
    assert st == 301 and h.get("location") == "https://localhost/r/x", h
    assert p.poll() is None, "the worker still runs"


@test
@timeout(60)
def the_worker_sends_the_error_caching_min_ttl_with_every_forward(env):
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1")
    sock = env.path("policy.sock")
    p = env.start([POLICY, "--db", env.db, "--listen", sock], "policy")
    assert eventually(lambda: os.path.exists(sock) or p.poll() is not None, 5) and \
        p.poll() is None, env.log("policy")

    def ask():
        return fcgi_ask(sock, {"REQUEST_METHOD": "GET", "REQUEST_URI": "/index.html",
                               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "www.example.com",
                               "SERVER_NAME": "127.0.0.1", "EG_HTTPS_PORT": "443",
                               "REQUEST_SCHEME": "http"})

    st, h, _ = ask()
    assert st == 200 and h.get("x-eg-action") == "forward", (st, h)
    assert h.get("x-eg-error-caching-min-ttl") == "10", h
    before = int(h["x-eg-config"])
    env.egctl("dist", "set", "default", "--error-caching-min-ttl", "0")
    # the new value comes under a new configuration version, so the front, which remembers
    # routes only while their version is current, never mixes the two
    assert eventually(lambda: ask()[1].get("x-eg-error-caching-min-ttl") == "0", 5), ask()
    assert int(ask()[1]["x-eg-config"]) > before
    env.egctl("behavior", "set", "*", "--viewer-protocol", "https-only")
    assert eventually(lambda: ask()[0] == 403, 5), ask()
    st, h, _ = ask()
    assert st == 403 and "x-eg-error-caching-min-ttl" not in h, "a final answer has none: %r" % h


if __name__ == "__main__":
    sys.exit(main())
