#!/usr/bin/env python3
"""The cache end to end: protocol-agnostic objects, TTLs, no-store, revalidation, viewer
conditionals, collapsed forwarding, eviction under the size bound, invalidation. The origin
is a real nginx whose access log says how often edgegate asked it."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import eventually, free_port, main, request, test, wait_port  # noqa: E402


def origin(env):
    port = free_port()
    www = env.path("nginx", "www")
    server = """
    log_format uri "$request_uri";
    server {
        listen 127.0.0.1:%(port)d;
        root %(www)s;
        access_log %(log)s uri;
        location /short/ { add_header Cache-Control "max-age=1"; }
        location /nostore/ { add_header Cache-Control "no-store"; }
        location /private/ { add_header Cache-Control "private, max-age=60"; }
        location /cookie/ { add_header Set-Cookie "session=1"; }
        location /slow/ { echo_sleep 1; echo "slow $request_uri"; }
    }""" % {"port": port, "www": www, "log": env.path("uri.log")}
    p, _ = env.nginx([server])
    wait_port(port, proc=p)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    return www


def put(www, rel, text):
    path = os.path.join(www, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def asked_is(env, uri, want):
    """True once the origin's log shows uri asked exactly want times (nginx writes the line
    just after answering, so give it a moment); a wrong count stays wrong and fails."""
    return eventually(lambda: asked(env, uri) == want, 1.0)


def asked(env, uri):
    """How many times the origin was asked for uri."""
    try:
        with open(env.path("uri.log")) as f:
            return sum(1 for line in f if line.strip() == uri)
    except OSError:
        return 0


@test
def https_miss_then_http_hit_one_copy_for_both_protocols(env):
    www = origin(env)
    put(www, "/a.txt", "object a\n")
    gw = env.gateway()
    r = request(gw.https, "GET", "/a.txt", tls=True)
    assert r.status == 200 and r.header("X-Cache") == "Miss from edgegate", r
    r = request(gw.http, "GET", "/a.txt")
    assert r.status == 200 and r.body == b"object a\n", r
    assert r.header("X-Cache") == "Hit from edgegate" and r.header("Age") is not None, r
    r = request(gw.http, "HEAD", "/a.txt")
    assert r.header("X-Cache") == "Hit from edgegate" and r.header("Content-Length") == "9", r
    r = request(gw.https, "GET", "/a.txt", tls=True)
    assert r.header("X-Cache") == "Hit from edgegate", r
    assert asked_is(env, "/a.txt", 1)


@test
def ttl_expiry_revalidates_with_the_origin(env):
    www = origin(env)
    put(www, "/short/x", "version 1\n")
    gw = env.gateway()
    assert request(gw.http, "GET", "/short/x").header("X-Cache") == "Miss from edgegate"
    assert request(gw.http, "GET", "/short/x").header("X-Cache") == "Hit from edgegate"
    time.sleep(1.3)
    r = request(gw.http, "GET", "/short/x")
    assert r.header("X-Cache") == "RefreshHit from edgegate" and r.body == b"version 1\n", r
    assert asked_is(env, "/short/x", 2)
    time.sleep(1.3)
    put(www, "/short/x", "version two\n")   # a new ETag: the origin answers 200
    r = request(gw.http, "GET", "/short/x")
    assert r.header("X-Cache") == "Miss from edgegate" and r.body == b"version two\n", r
    assert request(gw.http, "GET", "/short/x").body == b"version two\n"


@test
def no_store_private_and_cookies_are_not_cached_unless_min_ttl(env):
    www = origin(env)
    for d in ("nostore", "private", "cookie"):
        put(www, "/%s/x" % d, d + "\n")
    gw = env.gateway()
    for d in ("nostore", "private", "cookie"):
        for _ in range(2):
            r = request(gw.http, "GET", "/%s/x" % d)
            assert r.status == 200 and r.header("X-Cache") == "Miss from edgegate", (d, r)
        assert asked_is(env, "/%s/x" % d, 2), d
    env.egctl("behavior", "set", "*", "--min-ttl", "60")
    time.sleep(0.5)
    request(gw.http, "GET", "/nostore/x")
    r = request(gw.http, "GET", "/nostore/x")
    assert r.header("X-Cache") == "Hit from edgegate", "min TTL > 0 caches no-store: %r" % r


@test
def viewer_conditionals_get_304_from_the_cache(env):
    www = origin(env)
    put(www, "/c.txt", "conditional\n")
    gw = env.gateway()
    r = request(gw.http, "GET", "/c.txt")
    etag, lm = r.header("ETag"), r.header("Last-Modified")
    assert etag and lm, r
    r = request(gw.http, "GET", "/c.txt", headers={"If-None-Match": etag})
    assert r.status == 304 and r.header("X-Cache") == "Hit from edgegate", r
    r = request(gw.https, "GET", "/c.txt", tls=True, headers={"If-Modified-Since": lm})
    assert r.status == 304, r
    r = request(gw.http, "GET", "/c.txt", headers={"If-None-Match": '"other"'})
    assert r.status == 200 and r.body == b"conditional\n", r
    assert asked_is(env, "/c.txt", 1)


@test
def concurrent_misses_make_one_origin_request(env):
    origin(env)
    gw = env.gateway()
    results = []

    def get():
        try:
            results.append(request(gw.http, "GET", "/slow/one"))
        except Exception as e:
            results.append(e)

    threads = [threading.Thread(target=get) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [r for r in results if not hasattr(r, "status") or r.status != 200]
    assert not bad, bad[:3]
    assert all(r.body == b"slow /slow/one\n" for r in results)
    assert asked_is(env, "/slow/one", 1), asked(env, "/slow/one")
    # the one viewer whose fetch the origin answered got a Miss; every other one a Hit
    kinds = sorted(r.header("X-Cache") for r in results)
    assert kinds == ["Hit from edgegate"] * 49 + ["Miss from edgegate"], kinds


@test
def eviction_keeps_the_cache_under_its_bound(env):
    www = origin(env)
    for name in "abcde":
        put(www, "/big/%s" % name, name * 90000)
    gw = env.gateway("--cache-size", "400000")   # four 90 kB objects at most
    for name in "abcde":
        r = request(gw.http, "GET", "/big/%s" % name)
        assert r.status == 200 and len(r.body) == 90000, r
    assert request(gw.http, "GET", "/big/e").header("X-Cache") == "Hit from edgegate"
    r = request(gw.http, "GET", "/big/a")
    assert r.header("X-Cache") == "Miss from edgegate", "the least recently used went first"
    assert asked_is(env, "/big/a", 2)
    put(www, "/huge", "h" * 200000)   # larger than an object may be: passed through
    for _ in range(2):
        r = request(gw.http, "GET", "/huge")
        assert r.status == 200 and len(r.body) == 200000, r
    assert asked_is(env, "/huge", 2)


@test
def invalidation_with_and_without_a_star(env):
    www = origin(env)
    for p in ("/img/a.png", "/img/b.png", "/index.html", "/img2/c.png"):
        put(www, p, p + "\n")
    gw = env.gateway()
    for p in ("/img/a.png", "/img/b.png", "/index.html", "/img2/c.png", "/img/a.png?v=2"):
        request(gw.http, "GET", p)
        assert request(gw.http, "GET", p).header("X-Cache") == "Hit from edgegate", p
    out = env.egctl("invalidate", "/img/*").stdout
    assert "InProgress" in out, out
    assert eventually(lambda: "Completed" in env.egctl("invalidations").stdout, 1.5)
    for p, want in (("/img/a.png", "Miss"), ("/img/b.png", "Miss"), ("/img/a.png?v=2", "Miss"),
                    ("/index.html", "Hit"), ("/img2/c.png", "Hit")):
        r = request(gw.http, "GET", p)
        assert r.header("X-Cache") == want + " from edgegate", (p, r)
    env.egctl("invalidate", "/index.html", "--caller-reference", "deploy-42")
    assert eventually(lambda: request(gw.http, "GET", "/index.html").header("X-Cache") ==
                      "Miss from edgegate", 1.5)
    assert request(gw.http, "GET", "/img2/c.png").header("X-Cache") == "Hit from edgegate"
    r = env.egctl("invalidate", "/index.html", "--caller-reference", "deploy-42", check=False)
    assert r.returncode == 1 and "was used already" in r.stderr, r
    r = env.egctl("invalidate", "img/*", check=False)
    assert r.returncode == 1 and "must start with /" in r.stderr, r
    r = env.egctl("invalidate", "/a*b", check=False)
    assert r.returncode == 1 and "last character" in r.stderr, r


@test
def query_strings_key_the_cache_only_when_forwarded(env):
    www = origin(env)
    put(www, "/q.txt", "q\n")
    gw = env.gateway()
    request(gw.http, "GET", "/q.txt?a=1")
    assert request(gw.http, "GET", "/q.txt?a=2").header("X-Cache") == "Miss from edgegate"
    env.egctl("behavior", "set", "*", "--forward-query", "false")
    time.sleep(0.5)
    request(gw.http, "GET", "/q.txt?a=3")
    assert request(gw.http, "GET", "/q.txt?a=4").header("X-Cache") == "Hit from edgegate"


@test
def switching_an_origin_to_https_advises_invalidation(env):
    origin(env)
    r = env.egctl("origin", "set", "web", "--protocol", "match-viewer")
    assert "protocol-agnostic" in r.stderr and "invalidate" in r.stderr, r.stderr
    env.egctl("origin", "set", "web", "--protocol", "http-only")
    r = env.egctl("origin", "set", "web", "--protocol", "https-only", "--invalidate")
    assert "InProgress" in r.stdout, r
    assert "/*" in env.egctl("invalidations").stdout


if __name__ == "__main__":
    sys.exit(main())
