#!/usr/bin/env python3
"""Invalidation after unsafe methods end to end (RFC 9111 section 4.4): a POST, PUT, DELETE or
PATCH the origin answers with 2xx or 3xx removes what the cache holds for its target, every
variant of it, and for the URIs its Location and Content-Location name on the same host,
normalized as request targets are. Another host's URIs, failed requests and safe methods
remove nothing. The origin is a scripted one: a GET's answer may be kept ten minutes, and an
unsafe request's body says how to answer it."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import http_response, main, request, test  # noqa: E402

MISS, HIT = "Miss from edgegate", "Hit from edgegate"
GZIP = {"Accept-Encoding": "gzip"}


def answer(req):
    """GET and HEAD: an object kept ten minutes. Anything else: its body says the answer,
    "STATUS[ FIELD: VALUE]" ("201 Location: /items/a"), 200 when empty, or "garbage" for bytes
    that are no HTTP response at all."""
    if req.method in ("GET", "HEAD"):
        return http_response(200, [("Cache-Control", "max-age=600")],
                             "object %s\n" % req.target, head=req.method == "HEAD")
    if req.body == b"garbage":
        return b"garbage\r\n\r\n"
    status, _, field = (req.body.decode() or "200").partition(" ")
    headers = [tuple(field.split(": ", 1))] if field else []
    return http_response(int(status), headers, "done\n")


def setup(env):
    o = env.scripted_origin(answer)
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(o.port))
    env.egctl("behavior", "set", "*", "--methods", "ALL")
    return o, env.gateway()


def xcache(gw, path, headers=None):
    r = request(gw.http, "GET", path, headers=headers)
    assert r.status == 200 and r.body == b"object %s\n" % path.encode(), (path, r)
    return r.header("X-Cache")


def cache(gw, *paths, headers=None):
    """GETs each path until the cache holds it."""
    for path in paths:
        xcache(gw, path, headers)
        assert xcache(gw, path, headers) == HIT, path


def send(gw, method, target, body=b""):
    return request(gw.http, method, target, body=body or None)


@test
def a_successful_unsafe_request_invalidates_every_variant_of_its_target(env):
    o, gw = setup(env)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        path = "/items/" + method.lower()
        cache(gw, path, path + "?v=1", path + "/child", path + "*")
        cache(gw, path, headers=GZIP)
        r = send(gw, method, path, b"200")
        assert r.status == 200 and r.body == b"done\n", (method, r)
        assert xcache(gw, path) == MISS and xcache(gw, path, GZIP) == MISS, method
        assert o.count(path, "GET") == 4, (method, o.count(path, "GET"))
        # another query string is another URI; a longer path is another path
        for other in (path + "?v=1", path + "/child", path + "*"):
            assert xcache(gw, other) == HIT, (method, other)
    # the target as the cache keys it: normalized; a 3xx is a success too
    cache(gw, "/items/a")
    assert send(gw, "POST", "/items/./%61", b"303").status == 303
    assert xcache(gw, "/items/a") == MISS
    # a final '*' is no wildcard here
    assert send(gw, "DELETE", "/items/post*").status == 200
    assert xcache(gw, "/items/post*") == MISS and xcache(gw, "/items/post?v=1") == HIT
    assert "cached objects invalidated" in env.log("edgegate"), env.log("edgegate")


@test
def location_and_content_location_on_the_same_host_are_invalidated(env):
    o, gw = setup(env)
    cache(gw, "/items/a", "/items/b", "/items/c", "/items/d", "/items/e")
    for method, body, gone in (
            ("POST", b"201 Location: /items/./a", "/items/a"),
            ("POST", b"200 Content-Location: b", "/items/b"),  # relative to /items/new
            ("POST", b"303 Location: http://localhost/items/%63", "/items/c"),
            ("PUT", b"200 Content-Location: //LOCALHOST/items/d#part", "/items/d")):
        r = send(gw, method, "/items/new", body)
        assert r.status == int(body[:3]), (body, r)
        assert xcache(gw, gone) == MISS, body
    assert xcache(gw, "/items/e") == HIT  # named by none of them
    assert o.count("/items/e", "GET") == 1


@test
def another_host_failures_and_safe_methods_invalidate_nothing(env):
    o, gw = setup(env)
    cache(gw, "/items/x", "/items/y")
    for method, target, body, status in (
            ("POST", "/items/x", b"500", 500),
            ("PUT", "/items/x", b"404", 404),
            ("DELETE", "/items/x", b"garbage", 502),  # no answer from the origin
            ("POST", "/items/z", b"500 Location: /items/y", 500),
            ("POST", "/items/z", b"201 Location: http://other.example/items/y", 201),
            ("POST", "/items/z", b"201 Location: https://other.example/items/y", 201),
            ("POST", "/items/z", b"201 Content-Location: //other.example/items/y", 201),
            ("POST", "/items/z", b"201 Location: http://localhost:8080/items/y", 201),
            ("POST", "/items/z", b"201 Location: ftp://localhost/items/y", 201),
            # fails normalization (it climbs above the root): names nothing
            ("POST", "/items/z", b"201 Location: /../items/y", 201),
            ("OPTIONS", "/items/x", b"", 200)):
        r = send(gw, method, target, body)
        assert r.status == status, (method, target, body, r)
        assert xcache(gw, "/items/x") == HIT and xcache(gw, "/items/y") == HIT, (method, body)
    assert o.count("/items/x", "GET") == 1 and o.count("/items/y", "GET") == 1


if __name__ == "__main__":
    sys.exit(main())
