#!/usr/bin/env python3
"""The console (edgegate-admin behind edgegate --admin) spoken to over raw HTTP: what a
browser test cannot see or would take long to reach. Sessions and their cookies, CSRF
refusals that change nothing, sign-in throttling, the headers every answer carries, what is
escaped, two editors saving over each other, Save order against a newer order, the audit
(egctl's and the console's), every page valid by htmlcheck, and the same program as a CGI."""
import html
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import htmlcheck  # noqa: E402
from console_client import ADMIN_BIN, PASSWORD, Browser, console, signed_in  # noqa: E402,F401
from harness import BUILD, eventually, main, request, test, within  # noqa: E402

def ejson(env, *args):
    return json.loads(env.egctl("--json", *args).stdout)


def alerts(text):
    return [html.unescape(re.sub("<[^>]+>", "", m))
            for m in re.findall(r'class="(?:alert error|field-error)"[^>]*>(.*?)</(?:p|div)>',
                                text, re.S)]


@test
@within(60)
def a_session_cookie_is_httponly_strict_expiring_and_secure_only_over_https(env):
    gw, b = signed_in(env)
    r = b.go("GET", "/distributions")
    assert r.status == 200 and "Signed in as <strong>admin</strong>" in r.text, r.text[:500]
    c = Browser(gw.admin)
    token = c.csrf("/signin")
    r = c.go("POST", "/signin", {"csrf": token, "user": "admin", "password": PASSWORD})
    cookie = [v for k, v in r.headers if k.lower() == "set-cookie" and v.startswith("eg_session=")]
    assert len(cookie) == 1 and "HttpOnly" in cookie[0] and "SameSite=Strict" in cookie[0] and \
        "Max-Age=28800" in cookie[0] and "Secure" not in cookie[0], cookie
    # over --admin-tls the same cookie is Secure
    gw2 = env.gateway("--admin", "127.0.0.1:0", "--admin-tls", "--run-dir", env.path("run2"))
    t = Browser(gw2.admin, tls=True)
    r = t.sign_in()
    cookie = [v for k, v in r.headers if k.lower() == "set-cookie" and v.startswith("eg_session=")]
    assert r.status == 303 and len(cookie) == 1 and "; Secure" in cookie[0], (r.status, cookie)
    # the database holds the token's digest, never the token
    rows = sqlite3.connect(env.db).execute("SELECT token_digest FROM sessions").fetchall()
    assert b.jar["eg_session"] not in [x[0] for x in rows] and len(rows) == 3, rows


@test
@within(60)
def without_a_session_pages_send_to_sign_in_and_posts_are_refused(env):
    gw = console(env)
    b = Browser(gw.admin)
    r = b.go("GET", "/distributions/default/behaviors")
    assert r.status == 303 and r.header("Location") == "/signin", (r.status, r.headers)
    r = b.go("POST", "/distributions/default/invalidations", {"paths": "/*", "csrf": "x"})
    assert r.status == 403, r.status
    assert sqlite3.connect(env.db).execute("SELECT count(*) FROM invalidations").fetchone()[0] == 0
    # a forged session cookie is no session
    b.jar["eg_session"] = "A" * 43
    assert b.go("GET", "/distributions").status == 303
    # a session past its time is over, and its row goes
    b = Browser(gw.admin)
    assert b.sign_in().status == 303 and b.go("GET", "/distributions").status == 200
    db = sqlite3.connect(env.db)
    db.execute("UPDATE sessions SET expires_at = 1")
    db.commit()
    r = b.go("GET", "/distributions")
    assert r.status == 303 and r.header("Location") == "/signin", r.status
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    # a new password signs the user out everywhere
    assert b.sign_in().status == 303 and b.go("GET", "/distributions").status == 200
    env.run(os.path.join(BUILD, "admin", "egctl"), "--db", env.db, "user", "passwd", "admin",
            input="another long password\n")
    assert b.go("GET", "/distributions").status == 303
    assert b.sign_in(password="another long password").status == 303


@test
@within(60)
def a_post_without_the_csrf_token_is_refused_and_changes_nothing(env):
    gw, b = signed_in(env)
    before = env.egctl("--json", "behavior", "list").stdout
    form = {"action": "delete", "sel": "*", "order": "", "base": ""}
    for token in (None, "", "wrong", b.csrf("/distributions/default/behaviors")[:-1] + "x"):
        f = dict(form, **({"csrf": token} if token is not None else {}))
        r = b.go("POST", "/distributions/default/origins/web/delete", f)
        assert r.status == 403 and "security token" in r.text, (token, r.status, r.text[:300])
    r = b.go("POST", "/distributions/new", {"id": "evil", "comment": "", "enabled": "true",
                                              "error-caching-min-ttl": "10"})
    assert r.status == 403
    assert env.egctl("--json", "behavior", "list").stdout == before
    assert "evil" not in env.egctl("dist", "list").stdout
    # a sign-in form not issued to this browser (no eg_signin cookie) is refused too
    c = Browser(gw.admin)
    r = c.go("POST", "/signin", {"csrf": "x" * 43, "user": "admin", "password": PASSWORD})
    assert r.status == 403 and "eg_session" not in c.jar, r.status


@test
@within(90)
def failed_sign_ins_slow_the_next_ones_for_that_user_and_address(env):
    gw = console(env)
    b = Browser(gw.admin)
    statuses, wait = [], 0
    for _ in range(12):  # wrong passwords until the wait is long enough to see
        r = b.sign_in(password="wrong password")
        statuses.append(r.status)
        if r.status == 429:
            wait = int(r.header("Retry-After"))
            assert "Too many failed sign-ins" in r.text and wait >= 1, alerts(r.text)
            if wait >= 4:
                break
            time.sleep(wait + 0.1)
        else:
            assert r.status == 403 and "not right" in r.text, (r.status, alerts(r.text))
    # the first three failures waited for nothing
    assert statuses[:4] == [403, 403, 403, 403] and wait >= 4, statuses
    # while it waits, even the right password is refused, and says how long
    r = b.sign_in()
    assert r.status == 429 and 1 <= int(r.header("Retry-After")) <= wait, (r.status, r.headers)
    assert "eg_session" not in b.jar
    time.sleep(int(r.header("Retry-After")) + 0.2)
    r = b.sign_in()
    assert r.status == 303, (r.status, alerts(r.text))
    # an unknown user fails the same way as a wrong password
    c = Browser(gw.admin)
    r = c.sign_in(user="nobody")
    assert r.status == 403 and "not right" in r.text


@test
@within(60)
def every_answer_carries_the_security_headers_and_every_page_is_valid(env):
    gw, b = signed_in(env)
    env.egctl("behavior", "add", "/img/*", "--origin", "web")
    env.egctl("origin", "add", "s3w", "--domain", "b.s3-website.example", "--type", "s3-website")
    pages = ["/distributions", "/distributions/new", "/distributions/default",
             "/distributions/default/origins", "/distributions/default/origins/new",
             "/distributions/default/origins/web/edit", "/distributions/default/origins/s3w/edit",
             "/distributions/default/behaviors", "/distributions/default/behaviors/new",
             "/distributions/default/behaviors/edit?pattern=%2Fimg%2F%2A",
             "/distributions/default/behaviors?try-method=POST&try-scheme=http&"
             "try-version=HTTP%2F1.0&try-url=%2Fimg%2Fx",
             "/distributions/default/invalidations", "/distributions/nosuch", "/nosuch"]
    for path in pages:
        r = b.go("GET", path)
        assert r.status == (404 if "nosuch" in path else 200), (path, r.status)
        problems = htmlcheck.check(r.text)
        assert problems == [], (path, problems)
    anon = Browser(gw.admin)
    answers = [b.go("GET", p) for p in pages[:3]] + [anon.go("GET", "/signin"),
                                                      anon.go("GET", "/distributions"),
                                                      anon.go("PUT", "/distributions"),
                                                      anon.go("GET", "/static/style.css")]
    for r in answers:
        assert "default-src 'none'" in (r.header("Content-Security-Policy") or "") and \
            "frame-ancestors 'none'" in r.header("Content-Security-Policy"), r.headers
        assert r.header("X-Frame-Options") == "DENY" and r.header("Referrer-Policy"), r.headers
    assert answers[-2].status == 405 and "POST" in answers[-2].header("Allow")
    assert answers[-1].header("Content-Type").startswith("text/css")
    problems = htmlcheck.check(anon.go("GET", "/signin").text)
    assert problems == [], problems


@test
@within(60)
def what_viewers_or_operators_typed_is_printed_as_text(env):
    gw, b = signed_in(env)
    token = b.csrf("/distributions/default")
    rev = re.search(r'name="rev" value="(\d+)"', b.go("GET", "/distributions/default").text)
    evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
    r = b.go("POST", "/distributions/default",
             {"csrf": token, "rev": rev.group(1), "comment": evil, "enabled": "true",
              "aliases": "", "error-caching-min-ttl": "10"})
    assert r.status == 303, (r.status, alerts(r.text))
    for path in ("/distributions", "/distributions/default"):
        t = b.go("GET", path).text
        assert "<script>" not in t and "<img" not in t and \
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img" in t, path
    # a refused value is quoted back in its error, escaped
    token = b.csrf("/distributions/default/behaviors/new")
    r = b.go("POST", "/distributions/default/behaviors/new",
             {"csrf": token, "pattern": "/<b>x</b>", "origin": "web",
              "viewer-protocol": "allow-all"})
    assert r.status == 400 and "<b>x</b>" not in r.text and "&lt;b&gt;" in r.text, r.text[-800:]
    assert htmlcheck.check(r.text) == []


def behavior_form(b, pattern):
    r = b.go("GET", "/distributions/default/behaviors/edit?pattern=" +
             urllib.parse.quote(pattern, safe=""))
    assert r.status == 200, r.status
    form = {k: html.unescape(v) for k, v in
            re.findall(r'<input type="(?:hidden|text|number)"[^>]* name="([^"]+)" value="([^"]*)"',
                       r.text)}
    for name, body in re.findall(r'<select id="f-[^"]+" name="([^"]+)"[^>]*>(.*?)</select>',
                                 r.text, re.S):
        form[name] = html.unescape(re.search(r'value="([^"]*)" selected', body).group(1))
    if 'name="forward-query" value="true" checked' in r.text:
        form["forward-query"] = "true"
    return form


@test
@within(60)
def a_second_editor_is_told_and_overwrites_nothing(env):
    gw, alice = signed_in(env)
    bob = Browser(gw.admin)
    assert bob.sign_in().status == 303
    env.egctl("behavior", "add", "/api/*", "--origin", "web")
    fa, fb = behavior_form(alice, "/api/*"), behavior_form(bob, "/api/*")
    fa["viewer-protocol"] = "https-only"
    r = alice.go("POST", "/distributions/default/behaviors/edit", fa)
    assert r.status == 303, (r.status, alerts(r.text))
    fb["default-ttl"] = "60"
    r = bob.go("POST", "/distributions/default/behaviors/edit", fb)
    assert r.status == 409 and "changed since you opened it" in r.text, (r.status, alerts(r.text))
    # the current values are shown, with what bob typed listed
    assert 'value="https-only" selected' in r.text and "Default TTL: <strong>60</strong>" in r.text
    b = [x for x in ejson(env, "behavior", "list") if x["pattern"] == "/api/*"][0]
    assert b["viewer-protocol"] == "https-only" and b["default-ttl"] == 86400, b
    # saved again from the refreshed form, it goes through
    fb = behavior_form(bob, "/api/*")
    fb["default-ttl"] = "60"
    assert bob.go("POST", "/distributions/default/behaviors/edit", fb).status == 303
    b = [x for x in ejson(env, "behavior", "list") if x["pattern"] == "/api/*"][0]
    assert b["viewer-protocol"] == "https-only" and b["default-ttl"] == 60, b
    # Save order against an order changed since: refused, the stored order kept
    env.egctl("behavior", "add", "/b/*", "--origin", "web")
    page = alice.go("GET", "/distributions/default/behaviors").text
    base = html.unescape(re.search(r'name="base" value="([^"]*)"', page).group(1))
    token = html.unescape(re.search(r'name="csrf" value="([^"]+)"', page).group(1))
    env.egctl("behavior", "move", "/b/*", "--to", "0")
    moved = "\n".join(reversed(base.split("\n")))
    r = alice.go("POST", "/distributions/default/behaviors",
                 {"csrf": token, "action": "save", "order": moved, "base": base})
    assert r.status == 409 and "changed since" in r.text, (r.status, alerts(r.text))
    assert [x["pattern"] for x in ejson(env, "behavior", "list")] == ["/b/*", "/api/*", "*"]


@test
@within(60)
def console_changes_reach_the_gateway_within_a_second_and_are_audited(env):
    gw, b = signed_in(env)
    token = b.csrf("/distributions/default/behaviors/new")
    r = b.go("POST", "/distributions/default/behaviors/new",
             {"csrf": token, "pattern": "/secure/*", "origin": "web",
              "viewer-protocol": "https-only", "methods": "GET,HEAD",
              "cached-methods": "GET,HEAD", "min-ttl": "0", "default-ttl": "86400",
              "max-ttl": "31536000", "forward-query": "true", "cache-headers": "none",
              "cache-cookies": "none", "origin-headers": "none", "origin-cookies": "none"})
    assert r.status == 303, (r.status, alerts(r.text))
    t0 = time.time()
    assert eventually(lambda: request(gw.http, "GET", "/secure/x").status == 403, 1.5)
    assert time.time() - t0 < 1.5
    assert request(gw.https, "GET", "/secure/x", tls=True).status == 200
    env.egctl("origin", "set", "web", "--read-timeout", "20")
    audit = env.egctl("audit").stdout
    assert "admin:admin" in audit and "behavior.add" in audit and "/secure/*" in audit, audit
    assert "unix:" in audit and "read-timeout: 30 -> 20" in audit, audit
    page = b.go("GET", "/distributions/default").text
    assert "Recent changes" in page and "admin:admin" in page and "read-timeout: 30 -&gt; 20" in page


@test
@within(30)
def the_same_program_answers_as_a_cgi(env):
    env.run(os.path.join(BUILD, "admin", "egctl"), "--db", env.db, "user", "add", "admin",
            input=PASSWORD + "\n")
    base = dict(os.environ, EDGEGATE_DB=env.db, GATEWAY_INTERFACE="CGI/1.1",
                SCRIPT_NAME="/cgi-bin/console", REMOTE_ADDR="127.0.0.1")
    r = subprocess.run([ADMIN_BIN], env=dict(base, REQUEST_METHOD="GET", PATH_INFO="/signin"),
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=20)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert r.returncode == 0 and head.startswith(b"Status: 200"), (r.returncode, r.stdout[:300])
    assert b'action="/cgi-bin/console/signin"' in body and \
        b'href="/cgi-bin/console/static/style.css"' in body, body[:800]
    assert htmlcheck.check(body.decode()) == []
    token = re.search(rb"eg_signin=([^;]+);", head).group(1).decode()
    form = urllib.parse.urlencode({"csrf": token, "user": "admin", "password": PASSWORD}).encode()
    r = subprocess.run([ADMIN_BIN], input=form, capture_output=True, timeout=20, env=dict(
        base, REQUEST_METHOD="POST", PATH_INFO="/signin", HTTP_COOKIE="eg_signin=" + token,
        CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(form))))
    assert r.stdout.startswith(b"Status: 303") and \
        b"Location: /cgi-bin/console/distributions" in r.stdout, r.stdout[:400]
    assert b"Path=/cgi-bin/console/;" in r.stdout


def sign_in_from(port, source, user, password):
    """One whole sign-in (form, then POST) from a given local address; the POST's status."""
    def go(method, path, body=None, cookie=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20,
                                       source_address=(source, 0))
        h = {"Host": "127.0.0.1:%d" % port}
        if cookie:
            h["Cookie"] = cookie
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        r.text = r.read().decode()
        c.close()
        return r
    r = go("GET", "/signin")
    token = re.search(r"eg_signin=([^;]+);", r.getheader("Set-Cookie")).group(1)
    body = urllib.parse.urlencode({"csrf": token, "user": user, "password": password})
    return go("POST", "/signin", body, "eg_signin=" + token).status


@test
@within(90)
def an_attacker_elsewhere_cannot_keep_the_operator_out(env):
    gw = console(env)
    stop = time.time() + 8
    attacker = []
    # the attacker, from 127.0.0.2, keeps failing as the operator's name
    def attack():
        while time.time() < stop:
            attacker.append(sign_in_from(gw.admin, "127.0.0.2", "admin", "wrong password"))
    t = threading.Thread(target=attack)
    t.start()
    time.sleep(1)
    mine = []
    while time.time() < stop:
        mine.append(sign_in_from(gw.admin, "127.0.0.1", "admin", PASSWORD))
        time.sleep(0.5)
    t.join()
    assert 429 in attacker and attacker[:4] == [403] * 4, attacker[:8]
    assert mine and set(mine) == {303}, (mine, attacker)


@test
@within(90)
def parallel_guesses_are_counted_one_after_another(env):
    gw = console(env, "--admin-workers", "8")
    got = []
    def guess():
        # a connection the listener refuses at its limit (reset before a byte is read) was no
        # attempt: made again, so that each of the twelve reaches a worker
        for _ in range(20):
            try:
                got.append(sign_in_from(gw.admin, "127.0.0.1", "admin", "wrong password"))
                return
            except (ConnectionResetError, BrokenPipeError):
                time.sleep(0.05)
    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the first four attempts go at once (three failures cost nothing), the rest wait
    assert sorted(got) == [403] * 4 + [429] * 8, got


@test
@within(60)
def a_long_invalidation_keeps_every_path_and_the_list_stays_small(env):
    gw, b = signed_in(env)
    want = ["/p%d.html" % i for i in range(40)]
    token = b.csrf("/distributions/default/invalidations")
    r = b.go("POST", "/distributions/default/invalidations", {"csrf": token,
                                                              "paths": "\n".join(want)})
    assert r.status == 303, (r.status, alerts(r.text))
    got = [x[0] for x in sqlite3.connect(env.db).execute("SELECT path FROM invalidation_paths")]
    assert sorted(got) == sorted(want), got
    long_path = "/" + "x" * 3000
    for k in range(55):
        env.egctl("invalidate", "/k%d/*" % k, long_path + str(k))
    page = b.go("GET", "/distributions/default/invalidations")
    assert page.status == 200 and len(page.body) < 200000, (page.status, len(page.body))
    assert "The 50 newest of 56" in page.text and "x" * 200 not in page.text
    assert "and 30 more" not in page.text  # the 40-path one is older than the newest 50
    assert htmlcheck.check(page.text) == []


@test
@within(60)
def forms_without_a_usable_revision_and_old_forms_of_remade_objects_save_nothing(env):
    gw, b = signed_in(env)
    env.egctl("behavior", "add", "/api/*", "--origin", "web")
    form = behavior_form(b, "/api/*")
    for rev in (None, "0", "abc", "-1", "99999999999999999999"):
        f = dict(form, **{"default-ttl": "61"})
        if rev is None:
            del f["rev"]
        else:
            f["rev"] = rev
        r = b.go("POST", "/distributions/default/behaviors/edit", f)
        assert r.status == 409 and "changed since you opened it" in r.text, (rev, r.status)
    assert [x for x in ejson(env, "behavior", "list")
            if x["pattern"] == "/api/*"][0]["default-ttl"] == 86400
    # an origin deleted and made again under its name: the old form is refused
    env.egctl("origin", "add", "media", "--domain", "old.example")
    r = b.go("GET", "/distributions/default/origins/media/edit")
    old = {k: html.unescape(v) for k, v in re.findall(
        r'<input type="(?:hidden|text|number)"[^>]* name="([^"]+)" value="([^"]*)"', r.text)}
    old.update({"type": "custom", "protocol": "http-only", "ssl-protocols": "TLSv1.2"})
    env.egctl("origin", "rm", "media")
    env.egctl("origin", "add", "media", "--domain", "new.example")
    r = b.go("POST", "/distributions/default/origins/media/edit", old)
    assert r.status == 409, (r.status, alerts(r.text))
    assert [o for o in ejson(env, "origin", "list") if o["id"] == "media"][0]["domain"] == \
        "new.example"


@test
@within(60)
def save_order_is_refused_when_another_editor_saved_one_since_the_first_move(env):
    gw, alice = signed_in(env)
    for p in ("/a/*", "/b/*", "/c/*"):
        env.egctl("behavior", "add", p, "--origin", "web")
    page = alice.go("GET", "/distributions/default/behaviors").text
    token = html.unescape(re.search(r'name="csrf" value="([^"]+)"', page).group(1))
    base = html.unescape(re.search(r'name="base" value="([^"]*)"', page).group(1))
    r = alice.go("POST", "/distributions/default/behaviors",
                 {"csrf": token, "action": "up", "sel": "/c/*", "order": base, "base": base})
    assert r.status == 303 and "base=" in r.header("Location"), r.header("Location")
    env.egctl("behavior", "move", "/c/*", "--to", "0")  # bob saves c, a, b meanwhile
    page = alice.go("GET", r.header("Location")).text
    assert 'id="moved"' in page, alerts(page)
    order = html.unescape(re.search(r'name="order" value="([^"]*)"', page).group(1))
    base2 = html.unescape(re.search(r'name="base" value="([^"]*)"', page).group(1))
    assert base2 == base, (base2, base)  # the order alice started from, not bob's
    r = alice.go("POST", "/distributions/default/behaviors",
                 {"csrf": token, "action": "save", "order": order, "base": base2})
    assert r.status == 409, (r.status, alerts(r.text))
    assert [x["pattern"] for x in ejson(env, "behavior", "list")] == \
        ["/c/*", "/a/*", "/b/*", "*"]


@test
@within(60)
def odd_ids_and_hosts_and_user_names(env):
    gw, b = signed_in(env)
    for bad in (".", ".."):
        r = env.egctl("dist", "add", bad, check=False)
        assert r.returncode == 1 and "not . or .." in r.stderr, r.stderr
        r = env.egctl("origin", "add", bad, "--domain", "x.example", check=False)
        assert r.returncode == 1 and "not . or .." in r.stderr, r.stderr
    env.egctl("dist", "add", "new", "--comment", "named new")
    r = b.go("GET", "/distributions/new/general")
    assert r.status == 200 and "named new" in r.text, r.status
    page = b.go("GET", "/distributions").text
    assert 'href="/distributions/new/general"' in page
    # a page of another site resolved to 127.0.0.1 (DNS rebinding) gets nothing
    for host in ("evil.example", "evil.example:%d" % gw.admin, "127.0.0.1.evil.example"):
        r = b.go("GET", "/signin", headers={"Host": host})
        assert r.status == 421 and "eg_signin" not in str(r.headers), (host, r.status)
    for host in ("localhost:%d" % gw.admin, "127.0.0.1", "[::1]:%d" % gw.admin):
        assert b.go("GET", "/distributions", headers={"Host": host}).status == 200, host
    # a user name with line breaks cannot forge log lines
    r = Browser(gw.admin).sign_in(user="x\r\n2026-01-01T00:00:00Z edgegate[1] info: forged",
                                  password="wrong password")
    assert r.status == 403
    assert eventually(lambda: "failed sign-in for 'x??2026" in env.log("edgegate"), 3)
    assert not any(line.startswith("2026-01-01T00:00:00Z")
                   for line in env.log("edgegate").splitlines())


@test
@within(60)
def a_new_users_walk(env):
    gw, b = signed_in(env)
    # an S3 REST origin made with the form's defaults (Protocol untouched) goes in at once
    token = b.csrf("/distributions/default/origins/new")
    r = b.go("POST", "/distributions/default/origins/new",
             {"csrf": token, "id": "rest", "domain": "b.s3.amazonaws.com", "type": "s3",
              "protocol": "http-only", "http-port": "80", "https-port": "443",
              "ssl-protocols": "TLSv1.2", "read-timeout": "30", "keepalive-timeout": "5"})
    assert r.status == 303, (r.status, alerts(r.text))
    assert [o for o in ejson(env, "origin", "list")
            if o["id"] == "rest"][0]["protocol"] == "match-viewer"
    # Try a request with only wildcard aliases asks a name the wildcard covers
    env.egctl("dist", "set", "default", "--aliases", "*.img.example.com,shop.example.com")
    t = json.loads(env.egctl("--json", "try", "GET", "/x").stdout)
    assert t["request"] == "GET http://shop.example.com" and t["status"] == 0, t
    env.egctl("dist", "set", "default", "--aliases", "*.img.example.com")
    t = json.loads(env.egctl("--json", "try", "GET", "/x").stdout)
    assert t["request"] == "GET http://www.img.example.com" and t["status"] == 0, t
    # a URL of a host no distribution answers says so
    env.egctl("dist", "add", "shop", "--aliases", "shop.example")
    page = b.go("GET", "/distributions/shop/behaviors?try-method=GET&try-scheme=http&"
                       "try-version=HTTP%2F1.1&try-url=http%3A%2F%2Fother.example%2Fa").text
    assert "The gateway answers Host other.example with distribution <strong>default" in page
    # invalidation paths are taken as typed, as egctl takes them
    token = b.csrf("/distributions/default/invalidations")
    r = b.go("POST", "/distributions/default/invalidations", {"csrf": token, "paths": "  /a  "})
    assert r.status == 400 and "must start with /" in r.text, r.status
    assert env.egctl("invalidate", "  /a  ", check=False).returncode == 1
    # deleting the default distribution says what that means
    token = b.csrf("/distributions")
    r = b.go("POST", "/distributions/default/delete", {"csrf": token})
    assert "as it is the default distribution, every Host no other distribution claims" in \
        html.unescape(r.text), r.text[-600:]


if __name__ == "__main__":
    main()
