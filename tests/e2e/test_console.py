#!/usr/bin/env python3
"""The web console (edgegate-admin behind edgegate --admin) end to end, in a real browser:
headless Chromium driven by selenium through /usr/bin/chromedriver, against a real edgegate
with real nginx origins on 127.0.0.1. What an operator does in the browser is then checked
where it matters: in the answers the gateway gives viewers, and in the database (egctl).

Signing in and out; the main flow (an origin and behaviors made with the forms, a behavior
moved and the order saved, the gateway answering 403 to HTTP); an origin switched to HTTPS,
the banner and Invalidate everything; the CSRF token; markup typed into fields shown as
text; two operators saving the same behavior; Try a request for each viewer policy, checked
against the gateway's own answers; the warnings; S3 origins and origins still in use; the
keyboard; every page's HTML, headers and what it loads; screenshots of every tab (in
$EG_BUILD/screenshots/; with EG_DOC_SHOT=1 the Behaviors one is also copied to
docs/console-behaviors.png, the README's picture). When a test fails, each of its browsers'
last page is saved there too (fail-TEST-K.png and .html).

Run with Debian's python3 (it has python3-selenium):
  EG_BUILD=build/c /usr/bin/python3 tests/e2e/test_console.py [test names]"""
import json
import os
import re
import shutil
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, EGCTL, ROOT, eventually, free_port, main, request,  # noqa: E402
                     test, wait_port, within)
from pki import Pki  # noqa: E402
import htmlcheck  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = os.path.join(BUILD, "screenshots")
DOC_SHOT = os.path.join(ROOT, "docs", "console-behaviors.png")
USER, PASSWORD = "alice", "correct horse battery"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
ORIGIN_SERVER = """
    server {
        listen 127.0.0.1:%(http)d;
        %(tls)s
        location / { add_header Cache-Control "max-age=300"; return 200 "%(name)s $scheme $uri\\n"; }
    }"""


# --- the gateway, its origins and operators -------------------------------------------

def add_user(env, name=USER, password=PASSWORD):
    env.run(EGCTL, "--db", env.db, "user", "add", name, input=password + "\n")


def console(env, *extra):
    """edgegate with the console on 127.0.0.1:0 (edgegate-admin from the build) and the
    operator USER; gw.url is the console's base URL."""
    add_user(env)
    gw = env.gateway("--admin", "127.0.0.1:0", "--run-dir", env.path("run"), *extra)
    assert gw.admin, "no admin URL in the start line: %r" % gw.line
    gw.url = "http://127.0.0.1:%d" % gw.admin
    return gw


def nginx_origin(env, name="web", tls=None):
    """An nginx origin answering every path with 200 "NAME SCHEME PATH", max-age=300, on a
    plain port and, with tls=(chain, key), a TLS port too. Returns (port, tls_port)."""
    port = free_port()
    tport = free_port() if tls else None
    tls_lines = ("listen 127.0.0.1:%d ssl; ssl_certificate %s; ssl_certificate_key %s;"
                 % (tport, tls[0], tls[1])) if tls else ""
    p, _ = env.nginx([ORIGIN_SERVER % {"http": port, "tls": tls_lines, "name": name}], "origin")
    wait_port(port, proc=p)
    if tport:
        wait_port(tport, proc=p)
    return port, tport


def behaviors_json(env):
    return json.loads(env.egctl("--json", "behavior", "list").stdout)


def origins_json(env):
    return json.loads(env.egctl("--json", "origin", "list").stdout)


def dists_json(env):
    return json.loads(env.egctl("--json", "dist", "list").stdout)


def viewer(gw, path, tls=False, method="GET", **kw):
    return request(gw.https if tls else gw.http, method, path, tls=tls, **kw)


def until_status(gw, path, status, tls=False, timeout=2.5, **kw):
    """Polls the gateway until path answers status (a saved change takes up to a second to
    arrive); the last response."""
    last = [None]

    def probe():
        last[0] = viewer(gw, path, tls=tls, **kw)
        return last[0].status == status
    eventually(probe, timeout, 0.1)
    assert last[0].status == status, "want %d for %s, got %r" % (status, path, last[0])
    return last[0]


# --- raw HTTP to the console ----------------------------------------------------------

def admin(gw, method, path, cookie=None, form=None, headers=None):
    """One request to the console; form (a list of pairs) is sent urlencoded."""
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    return request(gw.admin, method, path, headers=h, body=body,
                   host="127.0.0.1:%d" % gw.admin)


def csrf_of(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no csrf field in %r" % html[:400]
    return m.group(1)


def alerts_in(r):
    """The texts of a console answer's role=alert paragraphs, as written (escaped)."""
    return re.findall(r'<p class="alert error" role="alert"[^>]*>([^<]*)</p>',
                      r.body.decode())


def session_cookie(d):
    c = d.get_cookie("eg_session")
    assert c and c["value"], d.get_cookies()
    return "eg_session=" + c["value"]


# --- the browser ----------------------------------------------------------------------

def browser(env, width=1280, height=1000, phone=False):
    """A headless Chromium of its own (own profile, own cookies), quit when the test ends.
    phone: a 390x844 viewport by Chrome's device emulation (a headless window is never
    narrower than 500 pixels)."""
    opts = webdriver.ChromeOptions()
    if phone:
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": 390, "height": 844, "pixelRatio": 1.0, "touch": True}})
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=%d,%d" % (width, height), "--hide-scrollbars",
              "--no-first-run", "--disable-background-networking", "--disable-sync",
              "--disable-default-apps", "--disable-component-update",
              "--force-device-scale-factor=1"):
        opts.add_argument(a)
    # its profile and its temporary files in the test's directory, removed with it
    k = len(env.browsers)
    tmp = env.path("chrome-tmp-%d" % k)
    os.makedirs(tmp, exist_ok=True)
    opts.add_argument("--user-data-dir=" + env.path("chrome-profile-%d" % k))
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER, env=dict(os.environ, TMPDIR=tmp)),
                         options=opts)
    d.set_page_load_timeout(20)
    env.browsers.append(d)
    return d


def console_test(seconds):
    """@test with a time limit; browsers the test opened are quit when it ends, and when it
    fails each one's page is saved (screenshot and HTML) under $EG_BUILD/screenshots/."""
    def wrap(fn):
        def run(env):
            env.browsers = []
            try:
                return fn(env)
            except BaseException:
                for k, d in enumerate(env.browsers):
                    try:
                        os.makedirs(SHOTS, exist_ok=True)
                        base = os.path.join(SHOTS, "fail-%s-%d" % (fn.__name__, k))
                        d.save_screenshot(base + ".png")
                        with open(base + ".html", "w") as f:
                            f.write(d.page_source)
                        print("# browser %d was at %s (%s.png)" % (k, d.current_url, base))
                    except Exception as e:  # the browser itself may be what failed
                        print("# browser %d: no screenshot: %s" % (k, e))
                raise
            finally:
                for d in env.browsers:
                    try:
                        d.quit()
                    except Exception:
                        pass
        run.__name__ = fn.__name__
        return test(within(seconds)(run))
    return wrap


def path_of(d):
    return urllib.parse.urlsplit(d.current_url).path


def query_of(d):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(d.current_url).query))


def go(d, gw, path):
    d.get(gw.url + path)


def by_id(d, i):
    return d.find_element(By.ID, i)


def has_id(d, i):
    return len(d.find_elements(By.ID, i)) > 0


def text(d, css):
    return d.find_element(By.CSS_SELECTOR, css).text


def button(d, label):
    """The button whose visible text (its screen-reader span too) is label."""
    found = d.find_elements(By.XPATH, "//button[normalize-space()=%s]" % xq(label))
    assert len(found) == 1, "%d buttons %r on %s" % (len(found), label, d.current_url)
    return found[0]


def link(d, label):
    found = d.find_elements(By.XPATH, "//a[normalize-space()=%s]" % xq(label))
    assert found, "no link %r on %s" % (label, d.current_url)
    return found[0]


def xq(s):
    """s as an XPath string literal."""
    if "'" not in s:
        return "'%s'" % s
    return "concat(%s)" % ", \"'\", ".join("'%s'" % p for p in s.split("'"))


def navigate(d, el):
    """Clicks el (a link or a submit button) and waits for the next page."""
    old = d.find_element(By.TAG_NAME, "html")
    el.click()
    WebDriverWait(d, 10).until(lambda drv: _gone(old))
    WebDriverWait(d, 10).until(
        lambda drv: drv.execute_script("return document.readyState") == "complete")


def _gone(el):
    try:
        el.is_enabled()
        return False
    except Exception:
        return True


def fill(d, field_id, value):
    el = by_id(d, field_id)
    el.clear()
    el.send_keys(str(value))


def choose(d, field_id, label):
    Select(by_id(d, field_id)).select_by_visible_text(label)


def chosen(d, field_id):
    return Select(by_id(d, field_id)).first_selected_option.text


def sign_in(d, gw, user=USER, password=PASSWORD):
    go(d, gw, "/signin")
    fill(d, "f-user", user)
    fill(d, "f-password", password)
    navigate(d, button(d, "Sign in"))
    assert path_of(d) == "/distributions", (d.current_url, page_alerts(d))


def page_alerts(d):
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, ".alert")]


def notice(d):
    """The text of the page's status notice (after a redirect), or None."""
    found = d.find_elements(By.CSS_SELECTOR, "p.alert.ok")
    return found[0].text if found else None


def open_tab(d, gw, dist, tab):
    """From the distribution list: the distribution's link, then its tab."""
    go(d, gw, "/distributions")
    navigate(d, link(d, dist))
    if tab != "General":
        navigate(d, d.find_element(By.XPATH, "//nav[@class='tabs']/a[normalize-space()=%s]"
                                   % xq(tab)))
    assert d.find_element(By.CSS_SELECTOR, "nav.tabs a[aria-current=page]").text == tab


def behavior_rows(d):
    """[(precedence, pattern, origin, viewer policy)] as the Behaviors table shows them."""
    out = []
    for tr in d.find_elements(By.CSS_SELECTOR, "table.behaviors tbody tr"):
        cells = tr.find_elements(By.XPATH, "./td|./th")
        out.append((cells[1].text, cells[2].text, cells[3].text, cells[4].text))
    return out


def select_behavior(d, pattern):
    """Ticks the radio button of the row whose label is pattern, by its label."""
    label = d.find_element(By.XPATH, "//table[@class='behaviors']//label[normalize-space()=%s]"
                           % xq(pattern))
    label.click()
    radio = by_id(d, label.get_attribute("for"))
    assert radio.is_selected() and radio.get_attribute("value") == pattern


def warnings_of(d):
    return [li.text for li in d.find_elements(By.CSS_SELECTOR, "#warnings li")]


def no_alert(d):
    try:
        a = d.switch_to.alert
    except NoAlertPresentException:
        return True
    text_ = a.text
    a.dismiss()
    raise AssertionError("a JavaScript alert appeared: %r" % text_)


def requested_urls(d):
    """Every URL the browser requested since the last call (Chrome's performance log)."""
    urls = []
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m["method"] == "Network.requestWillBeSent":
            urls.append(m["params"]["request"]["url"])
    return urls


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    return struct.unpack(">II", head[16:24])


def shot(d, name, full=True):
    """A screenshot of the whole page (the window made as tall as the page) into SHOTS."""
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name + ".png")
    if full:
        w = d.get_window_size()["width"]
        for _ in range(2):  # the window's frame takes some of its height: measure again
            h = d.execute_script("return document.documentElement.scrollHeight")
            inner = d.execute_script("return window.innerHeight")
            if inner >= h:
                break
            d.set_window_size(w, d.get_window_size()["height"] + min(h - inner, 4000))
    d.execute_script("window.scrollTo(0, 0)")
    d.save_screenshot(path)
    return path


# --- the tests ------------------------------------------------------------------------

@console_test(60)
def signing_in_needs_the_right_password_and_signing_out_ends_the_session(env):
    gw = console(env)
    d = browser(env)
    go(d, gw, "/distributions/default/behaviors")
    assert path_of(d) == "/signin", d.current_url
    assert d.title == "Sign in - edgegate console", d.title
    fill(d, "f-user", USER)
    fill(d, "f-password", "not the password")
    navigate(d, button(d, "Sign in"))
    assert path_of(d) == "/signin"
    said = by_id(d, "signin-error").text
    assert said == "The user name or password is not right.", said
    assert by_id(d, "f-user").get_attribute("value") == USER, "the name is kept"
    assert by_id(d, "f-password").get_attribute("value") == "", "the password is not"
    assert d.get_cookie("eg_session") is None
    fill(d, "f-password", PASSWORD)
    navigate(d, button(d, "Sign in"))
    assert path_of(d) == "/distributions", d.current_url
    assert text(d, "h1") == "Distributions"
    assert text(d, ".who span") == "Signed in as " + USER
    assert [a.text for a in d.find_elements(By.CSS_SELECTOR, "tbody th a")] == ["default"]
    c = d.get_cookie("eg_session")
    assert c["httpOnly"] and c["sameSite"] == "Strict" and c["path"] == "/", c
    cookie = session_cookie(d)
    assert admin(gw, "GET", "/distributions", cookie).status == 200

    navigate(d, button(d, "Sign out"))
    assert path_of(d) == "/signin" and query_of(d) == {"msg": "signed-out"}, d.current_url
    assert notice(d) == "You are signed out."
    assert d.get_cookie("eg_session") is None
    # the pages seen while signed in are not shown again from the browser's history
    d.back()  # to /distributions, asked again (no-store), so sent to /signin
    WebDriverWait(d, 10).until(lambda drv: path_of(drv) == "/signin" and query_of(drv) == {})
    assert notice(d) is None, d.current_url
    assert text(d, "h1") == "Sign in", d.page_source[:500]
    assert d.find_elements(By.CSS_SELECTOR, ".who") == []
    go(d, gw, "/distributions/default/origins")
    assert path_of(d) == "/signin", d.current_url
    # the session ended on the server: its old cookie no longer opens a page
    r = admin(gw, "GET", "/distributions", cookie)
    assert r.status == 303 and r.header("Location") == "/signin", r
    r = admin(gw, "GET", "/distributions/default", cookie)
    assert r.status == 303 and r.header("Location") == "/signin", r


@console_test(60)
def an_origin_and_behaviors_made_in_the_browser_reach_the_gateway(env):
    port, _ = nginx_origin(env, "web")
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    open_tab(d, gw, "default", "Origins")
    assert text(d, "p.empty").startswith("No origins yet."), text(d, "main")
    navigate(d, link(d, "Create origin"))
    assert path_of(d) == "/distributions/default/origins/new"
    fill(d, "f-id", "web")
    fill(d, "f-domain", "127.0.0.1")
    fill(d, "f-http-port", port)
    assert chosen(d, "f-protocol") == "HTTP only"
    navigate(d, button(d, "Create origin"))
    assert path_of(d) == "/distributions/default/origins" and notice(d) == "Created.", \
        (d.current_url, page_alerts(d))
    assert [th.text for th in d.find_elements(By.CSS_SELECTOR, "tbody th")] == ["web"]
    assert [o["id"] for o in origins_json(env)] == ["web"]
    r = until_status(gw, "/page", 200)
    assert r.body == b"web http /page\n", r

    def create_behavior(pattern, policy):
        navigate(d, d.find_element(By.XPATH, "//nav[@class='tabs']/a[.='Behaviors']"))
        navigate(d, link(d, "Create behavior"))
        fill(d, "f-pattern", pattern)
        assert chosen(d, "f-origin") == "web"
        choose(d, "f-viewer-protocol", policy)
        navigate(d, button(d, "Create behavior"))
        assert path_of(d) == "/distributions/default/behaviors", (d.current_url,
                                                                  page_alerts(d))
        assert notice(d) == "Created." and query_of(d)["sel"] == pattern, d.current_url

    create_behavior("/se*", "Redirect HTTP to HTTPS")
    create_behavior("/secure/*", "HTTPS only")
    assert behavior_rows(d) == [
        ("0", "/se*", "web", "Redirect HTTP to HTTPS"),
        ("1", "/secure/*", "web", "HTTPS only"),
        ("2 (Default)", "*", "web", "HTTP and HTTPS")], behavior_rows(d)
    assert warnings_of(d) == [
        "Behavior /secure/* can never match: /se*, evaluated before it, matches every path "
        "it matches. Move it above, or delete it."], warnings_of(d)
    # as saved, /se* answers for /secure/x: a redirect, not the 403
    r = until_status(gw, "/secure/x", 301)
    assert r.header("Location") == "https://localhost:%d/secure/x" % gw.https, r

    select_behavior(d, "/secure/*")
    navigate(d, button(d, "Move up"))
    assert by_id(d, "pending").text == ("The order below is not saved yet. Choose Save order "
                                        "to apply it.")
    assert query_of(d)["order"] == "/secure/*\n/se*", d.current_url
    assert [row[1] for row in behavior_rows(d)] == ["/secure/*", "/se*", "*"]
    assert by_id(d, "sel-0").is_selected(), "the moved row stays selected"
    assert warnings_of(d) == [], "the warning is about the order shown"
    assert [b["pattern"] for b in behaviors_json(env)] == ["/se*", "/secure/*", "*"], \
        "nothing is saved before Save order"
    time.sleep(1.2)
    assert viewer(gw, "/secure/x").status == 301

    navigate(d, button(d, "Save order"))
    assert notice(d) == ("The new order is saved. The gateway applies it within a second."), \
        page_alerts(d)
    assert not has_id(d, "pending")
    assert [row[1] for row in behavior_rows(d)] == ["/secure/*", "/se*", "*"]
    assert [b["pattern"] for b in behaviors_json(env)] == ["/secure/*", "/se*", "*"]
    r = until_status(gw, "/secure/x", 403)
    assert b"served over HTTPS only" in r.body, r
    r = viewer(gw, "/secure/x", tls=True)
    assert r.status == 200 and r.body == b"web http /secure/x\n", r
    r = viewer(gw, "/sea")
    assert r.status == 301 and r.header("Location") == "https://localhost:%d/sea" % gw.https
    r = viewer(gw, "/other")
    assert r.status == 200 and r.body == b"web http /other\n", r


@console_test(60)
def a_distribution_made_in_the_browser_serves_its_names_until_disabled_or_deleted(env):
    port, _ = nginx_origin(env, "shop")
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    navigate(d, link(d, "Create distribution"))
    fill(d, "f-id", "shop")
    fill(d, "f-aliases", "shop.example,*.shop.example")
    fill(d, "f-comment", "the shop")
    assert by_id(d, "f-enabled").is_selected()
    navigate(d, button(d, "Create distribution"))
    assert path_of(d) == "/distributions/shop/origins/new", (d.current_url, page_alerts(d))
    assert notice(d) == ("Now create the distribution's first origin: its default behavior "
                         "(*) targets it.")
    fill(d, "f-id", "web")
    fill(d, "f-domain", "127.0.0.1")
    fill(d, "f-http-port", port)
    navigate(d, button(d, "Create origin"))
    assert notice(d) == "Created.", page_alerts(d)
    shop = [x for x in dists_json(env) if x["id"] == "shop"][0]
    assert (shop["aliases"], shop["comment"], shop["enabled"]) == (
        "*.shop.example,shop.example", "the shop", True), shop

    r = until_status(gw, "/a.txt", 200, host="www.shop.example")
    assert r.body == b"shop http /a.txt\n" and r.header("X-Cache") == "Miss from edgegate", r
    r = viewer(gw, "/a.txt", host="shop.example")
    assert r.header("X-Cache") == "Hit from edgegate", r
    r = viewer(gw, "/a.txt", host="elsewhere.example")
    assert r.status == 502, "the default distribution has no origin: %r" % r

    # an invalidation made with the form: the object is fetched again
    navigate(d, d.find_element(By.XPATH, "//nav[@class='tabs']/a[.='Invalidations']"))
    assert text(d, "p.empty") == "No invalidations yet."
    fill(d, "f-paths", "/a.txt")
    navigate(d, button(d, "Create invalidation"))
    assert notice(d) == "Invalidation created. Objects leave the cache within a second."
    assert eventually(lambda: viewer(gw, "/a.txt", host="shop.example").header("X-Cache")
                      == "Miss from edgegate", 2.5)

    go(d, gw, "/distributions")
    navigate(d, button(d, "Disable shop"))
    assert notice(d) == "The distribution is disabled: it answers 403 to every viewer."
    row = d.find_element(By.XPATH, "//tbody/tr[th/a[.='shop']]")
    assert row.find_element(By.CSS_SELECTOR, ".badge").text == "Disabled"
    r = until_status(gw, "/a.txt", 403, host="shop.example")
    assert b"This distribution is disabled." in r.body, r
    navigate(d, button(d, "Enable shop"))
    assert notice(d) == "The distribution is enabled."
    until_status(gw, "/a.txt", 200, host="shop.example")

    navigate(d, button(d, "Delete shop"))
    assert path_of(d) == "/distributions/shop/delete", d.current_url
    assert text(d, ".card p").startswith("Delete distribution shop with its 1 origin and 1 "
                                         "behavior?"), text(d, ".card p")
    assert [x["id"] for x in dists_json(env)] == ["default", "shop"], "not before confirming"
    navigate(d, button(d, "Delete distribution"))
    assert notice(d) == "Deleted."
    assert [x["id"] for x in dists_json(env)] == ["default"]
    until_status(gw, "/a.txt", 502, host="shop.example")


@console_test(60)
def an_origin_switched_to_https_offers_to_invalidate_and_invalidating_refetches(env):
    pki = Pki(env.path("pki"))
    root = pki.root()
    crt, key = pki.leaf("root", "o", ["o.test"])
    port, tport = nginx_origin(env, "o", tls=(crt, key))
    env.egctl("origin", "add", "o", "--domain", "o.test", "--http-port", str(port))
    gw = console(env, "--origin-ca", root, "--resolve", "o.test:127.0.0.1")
    r = viewer(gw, "/obj")
    assert r.status == 200 and r.header("X-Cache") == "Miss from edgegate", r
    assert r.body == b"o http /obj\n", r
    r = viewer(gw, "/obj")
    assert r.header("X-Cache") == "Hit from edgegate" and r.body == b"o http /obj\n", r

    d = browser(env)
    sign_in(d, gw)
    open_tab(d, gw, "default", "Origins")
    assert not has_id(d, "https-banner")
    navigate(d, link(d, "Edit o"))
    assert path_of(d) == "/distributions/default/origins/o/edit"
    assert by_id(d, "f-domain").get_attribute("value") == "o.test"
    choose(d, "f-protocol", "HTTPS only")
    fill(d, "f-https-port", tport)
    navigate(d, button(d, "Save changes"))
    assert path_of(d) == "/distributions/default/origins", (d.current_url, page_alerts(d))
    assert query_of(d) == {"msg": "saved", "switched": "o"}, d.current_url
    banner = by_id(d, "https-banner")
    assert banner.text.startswith("Origin o now uses HTTPS. The cache is protocol-agnostic:"), \
        banner.text
    assert [o["protocol"] for o in origins_json(env)] == ["https-only"]
    # the change reached the gateway (a new object comes over HTTPS), yet the object
    # fetched over HTTP is still served: what the banner says
    r = until_status(gw, "/fresh", 200)
    assert eventually(lambda: viewer(gw, "/fresh2").body == b"o https /fresh2\n", 2.5)
    r = viewer(gw, "/obj")
    assert r.header("X-Cache") == "Hit from edgegate" and r.body == b"o http /obj\n", r

    navigate(d, banner.find_element(By.XPATH, ".//button[normalize-space()=%s]"
                                    % xq("Invalidate everything (/*)")))
    assert path_of(d) == "/distributions/default/invalidations", d.current_url
    assert notice(d) == "Invalidation created. Objects leave the cache within a second."
    cells = d.find_elements(By.CSS_SELECTOR, "tbody tr td")
    assert cells[3].text == "/*", [c.text for c in cells]
    assert eventually(lambda: viewer(gw, "/obj").header("X-Cache") == "Miss from edgegate",
                      2.5), viewer(gw, "/obj")
    r = viewer(gw, "/obj")
    assert r.header("X-Cache") == "Hit from edgegate" and r.body == b"o https /obj\n", r
    go(d, gw, "/distributions/default/invalidations")
    assert text(d, "tbody .badge") == "Completed", text(d, "tbody")


@console_test(60)
def a_post_without_the_csrf_token_changes_nothing(env):
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    cookie = session_cookie(d)
    r = admin(gw, "GET", "/distributions/default", cookie)
    assert r.status == 200, r
    html = r.body.decode()
    token = csrf_of(html)
    rev = re.search(r'name="rev" value="(\d+)"', html).group(1)
    fields = [("rev", rev), ("enabled", "true"), ("aliases", ""), ("comment", "changed"),
              ("error-caching-min-ttl", "10")]
    before = dists_json(env)
    for form in (fields, fields + [("csrf", "")], fields + [("csrf", token[:-1] + "A"
                                                             if token[-1] != "A" else "B")]):
        r = admin(gw, "POST", "/distributions/default", cookie, form)
        assert r.status == 403, r
        assert alerts_in(r) == [
            "This form did not carry the console&#39;s security token (it may be from another "
            "site, or from before you last signed in). Nothing was changed; reload the page "
            "and try again."], alerts_in(r)
    # nor with another session's token, nor signed out with the right one
    r = admin(gw, "POST", "/signout", cookie, [])
    assert r.status == 403, r
    r = admin(gw, "POST", "/distributions/default", None, fields + [("csrf", token)])
    assert r.status == 403 and alerts_in(r) == [
        "Your session has ended or you are not signed in. Sign in again; nothing was "
        "changed."], r
    assert dists_json(env) == before
    assert admin(gw, "GET", "/distributions", cookie).status == 200, "still signed in"
    # the same form with the page's token is saved: the token was the only thing missing
    r = admin(gw, "POST", "/distributions/default", cookie, fields + [("csrf", token)])
    assert r.status == 303 and r.header("Location") == "/distributions/default/general?msg=saved", r
    assert dists_json(env)[0]["comment"] == "changed"
    # and the browser, which sends its token, may still sign out
    navigate(d, button(d, "Sign out"))
    assert path_of(d) == "/signin"


@console_test(90)
def a_configuration_file_is_exported_and_an_upload_is_previewed_then_applied(env):
    """The General tab's Configuration file: the seed 002 example (2010-11-01 XML, HTTPS
    only) uploaded with the file input, previewed, applied; the gateway then refuses HTTP."""
    port, _ = nginx_origin(env)
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(port))
    gw = console(env)
    assert viewer(gw, "/page").status == 200
    d = browser(env)
    sign_in(d, gw)
    open_tab(d, gw, "default", "General")
    links = [a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "a[download]")]
    assert links == [gw.url + "/distributions/default/export.xml",
                     gw.url + "/distributions/default/export.json"], links
    seed = env.path("seed002.xml")
    with open(seed, "w") as f:
        f.write('<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2010-11-01/">\n'
                "<CustomOrigin><DNSName>127.0.0.1</DNSName><HTTPPort>%d</HTTPPort>"
                "<OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOrigin>\n"
                "<CallerReference>20120229090000</CallerReference>\n"
                "<Comment>My comments</Comment>\n<Enabled>true</Enabled>\n"
                "<Logging>\n<Bucket>myawslogbucket.s3.amazonaws.com</Bucket>\n"
                "<Prefix>myprefix/</Prefix>\n</Logging>\n"
                "<RequiredProtocols>\n<Protocol>https</Protocol>\n</RequiredProtocols>\n"
                "</DistributionConfig>" % port)
    by_id(d, "conf-file").send_keys(seed)
    navigate(d, button(d, "Preview import"))
    body = d.find_element(By.TAG_NAME, "main").text
    assert "CloudFront 2010-11-01 XML" in body, body
    assert "/DistributionConfig/Logging" in body and "Ignored" in body, body
    assert "origin Custom-127.0.0.1: added" in body and "origin web: removed" in body, body
    assert "behavior *: changed:" in body and "viewer-protocol: allow-all -> https-only" in body
    shot(d, "import-preview")
    assert viewer(gw, "/page").status == 200, "nothing is written before Apply"
    navigate(d, button(d, "Apply these changes"))
    assert path_of(d) == "/distributions/default/general", d.current_url
    assert notice(d).startswith("The file is imported"), notice(d)
    until_status(gw, "/page", 403)
    r = viewer(gw, "/page", tls=True)
    # HTTPS viewers are served (the origin is http-only: it sees http)
    assert r.status == 200 and r.body == b"web http /page\n", r
    assert [o["id"] for o in origins_json(env)] == ["Custom-127.0.0.1"]
    # the export link gives what egctl export gives
    r = admin(gw, "GET", "/distributions/default/export.xml", session_cookie(d))
    assert r.status == 200 and r.body == env.egctl("export").stdout.encode()


@console_test(60)
def markup_typed_into_a_field_is_shown_as_text(env):
    gw = console(env)
    evil = "<script>alert(1)</script>"
    d = browser(env)
    sign_in(d, gw)
    open_tab(d, gw, "default", "General")
    fill(d, "f-comment", evil)
    navigate(d, button(d, "Save changes"))
    assert notice(d) == "Your changes are saved. The gateway applies them within a second."
    no_alert(d)
    assert by_id(d, "f-comment").get_attribute("value") == evil
    assert dists_json(env)[0]["comment"] == evil
    go(d, gw, "/distributions")
    no_alert(d)
    assert d.find_element(By.XPATH, "//tbody/tr/td[1]").text == evil
    assert d.find_elements(By.TAG_NAME, "script") == []
    cookie = session_cookie(d)
    for page in ("/distributions", "/distributions/default"):
        html = admin(gw, "GET", page, cookie).body.decode()
        assert "<script" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    # what the address bar carries is escaped too: Try a request's URL
    go(d, gw, "/distributions/default/behaviors?try-method=GET&try-scheme=http&"
       "try-version=HTTP%2F1.1&try-url=" + urllib.parse.quote('/x"><script>alert(2)</script>'))
    no_alert(d)
    assert d.find_elements(By.TAG_NAME, "script") == []
    assert by_id(d, "t-try-url").get_attribute("value") == '/x"><script>alert(2)</script>'


@console_test(60)
def two_operators_saving_one_behavior_see_a_conflict_and_nothing_is_overwritten(env):
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", "9")
    env.egctl("behavior", "add", "/api/*", "--origin", "o")
    gw = console(env)
    add_user(env, "bob", "battery staple horse")
    a, b = browser(env), browser(env)
    sign_in(a, gw)
    sign_in(b, gw, "bob", "battery staple horse")
    for d in (a, b):
        open_tab(d, gw, "default", "Behaviors")
        select_behavior(d, "/api/*")
        navigate(d, button(d, "Edit"))
        assert path_of(d) == "/distributions/default/behaviors/edit", d.current_url
        assert text(d, "form.card p").startswith("Path pattern: /api/*")
    fill(a, "f-min-ttl", 5)
    navigate(a, button(a, "Save changes"))
    assert notice(a) == "Your changes are saved. The gateway applies them within a second."

    fill(b, "f-default-ttl", 7)
    navigate(b, button(b, "Save changes"))
    conflict = by_id(b, "conflict")
    assert conflict.text.startswith("This behavior changed since you opened it."), conflict.text
    assert [li.text for li in conflict.find_elements(By.TAG_NAME, "li")] == [
        "Minimum TTL: 0 (now 5)", "Default TTL: 7 (now 86400)"], conflict.text
    # the form now holds the current values, not bob's
    assert by_id(b, "f-min-ttl").get_attribute("value") == "5"
    assert by_id(b, "f-default-ttl").get_attribute("value") == "86400"
    api = [x for x in behaviors_json(env) if x["pattern"] == "/api/*"][0]
    assert (api["min-ttl"], api["default-ttl"]) == (5, 86400), api
    # made again on the current values, bob's change is saved beside alice's
    fill(b, "f-default-ttl", 7)
    navigate(b, button(b, "Save changes"))
    assert notice(b) == "Your changes are saved. The gateway applies them within a second.", \
        page_alerts(b)
    api = [x for x in behaviors_json(env) if x["pattern"] == "/api/*"][0]
    assert (api["min-ttl"], api["default-ttl"]) == (5, 7), api
    actors = [x["actor"] for x in json.loads(env.egctl("--json", "audit").stdout)
              if x["action"].startswith("behavior.")]
    assert actors[:2] == ["admin:bob", "admin:alice"], actors


TRY_ROWS = [
    # method, scheme, version, url, verdict, the gateway's status
    ("GET", "http", "HTTP/1.1", "/all/x", "Forward to origin o (127.0.0.1) over HTTP on port "
     "%(port)d", 200),
    ("GET", "http", "HTTP/1.1", "/redir/x?a=1",
     "301 Moved Permanently to https://www.example.com/redir/x?a=1", 301),
    ("HEAD", "http", "HTTP/1.0", "/redir/x", "301 Moved Permanently to "
     "https://www.example.com/redir/x", 301),
    ("POST", "http", "HTTP/1.1", "/redir/x", "307 Temporary Redirect to "
     "https://www.example.com/redir/x (the same method and body, over HTTPS)", 307),
    ("POST", "http", "HTTP/1.0", "/redir/x", "403: This request must be sent over HTTPS; "
     "HTTP/1.0 cannot be redirected with its method and body.", 403),
    ("POST", "https", "HTTP/1.1", "/redir/x", "Forward to origin o (127.0.0.1) over HTTP on "
     "port %(port)d", 200),
    ("GET", "http", "HTTP/1.1", "/secure/x", "403: This resource is served over HTTPS only.",
     403),
    ("GET", "https", "HTTP/1.1", "/secure/x", "Forward to origin o (127.0.0.1) over HTTP on "
     "port %(port)d", 200),
    ("POST", "https", "HTTP/1.1", "/secure/x", "403: This distribution is not configured to "
     "allow the HTTP request method that was used for this request.", 403),
]


@console_test(90)
def try_a_request_answers_as_the_gateway_does_for_each_viewer_policy(env):
    port, _ = nginx_origin(env, "o")
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", str(port))
    env.egctl("behavior", "add", "/all/*", "--origin", "o")
    env.egctl("behavior", "add", "/redir/*", "--origin", "o", "--viewer-protocol",
              "redirect-to-https", "--methods", "ALL")
    env.egctl("behavior", "add", "/secure/*", "--origin", "o", "--viewer-protocol",
              "https-only")
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    open_tab(d, gw, "default", "Behaviors")
    assert not has_id(d, "try-result")
    matched = {"/all/x": "/all/*", "/redir/x": "/redir/*", "/redir/x?a=1": "/redir/*",
               "/secure/x": "/secure/*"}
    for method, scheme, version, url, verdict, status in TRY_ROWS:
        choose(d, "t-try-method", method)
        choose(d, "t-try-scheme", scheme)
        choose(d, "t-try-version", version)
        fill(d, "t-try-url", url)
        navigate(d, button(d, "Try"))
        row = (method, scheme, version, url)
        assert path_of(d) == "/distributions/default/behaviors", d.current_url
        result = by_id(d, "try-result")
        assert result.find_element(By.CSS_SELECTOR, "p.req").text == "%s %s://www.example.com"\
            "%s %s" % (method, scheme, url, version), (row, result.text)
        assert result.find_element(By.XPATH, "./p[2]").text == \
            "Matches behavior %s (path %s)." % (matched[url], url.split("?")[0]), \
            (row, result.text)
        assert result.find_element(By.CSS_SELECTOR, "p.verdict").text == \
            verdict % {"port": port}, (row, result.text)
        # the form keeps what was asked
        assert (chosen(d, "t-try-method"), chosen(d, "t-try-scheme"),
                chosen(d, "t-try-version")) == (method, scheme, version)
        assert by_id(d, "t-try-url").get_attribute("value") == url
        # and the gateway answers so
        body = b"x" if method == "POST" else None
        r = viewer(gw, url, tls=scheme == "https", method=method, body=body,
                   version=version[5:])
        assert r.status == status, (row, r)
        if status == 301:
            assert r.header("Location") == "https://localhost:%d%s" % (gw.https, url), r
        if status == 200:
            assert r.body == ("o http %s\n" % url).encode(), (row, r)


@console_test(60)
def warnings_name_a_behavior_that_can_never_match_and_a_match_viewer_origin(env):
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", "9")
    env.egctl("origin", "add", "mv", "--domain", "127.0.0.1", "--protocol", "match-viewer")
    env.egctl("behavior", "add", "/img/*", "--origin", "o")
    env.egctl("behavior", "add", "/img/a.png", "--origin", "o")
    env.egctl("behavior", "add", "/mv/*", "--origin", "mv")
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    open_tab(d, gw, "default", "Behaviors")
    never = ("Behavior /img/a.png can never match: /img/*, evaluated before it, matches every "
             "path it matches. Move it above, or delete it.")
    mv = ("Behavior /mv/* allows HTTP and HTTPS and its origin mv is Match viewer, so HTTP "
          "viewers reach the origin over HTTP. Choose Match viewer only with Redirect HTTP to "
          "HTTPS or HTTPS only.")
    assert warnings_of(d) == [never, mv], warnings_of(d)
    select_behavior(d, "/img/a.png")
    navigate(d, button(d, "Move up"))
    assert has_id(d, "pending") and warnings_of(d) == [mv], warnings_of(d)
    navigate(d, button(d, "Save order"))
    assert not has_id(d, "pending") and warnings_of(d) == [mv], warnings_of(d)
    assert [b["pattern"] for b in behaviors_json(env)] == ["/img/a.png", "/img/*", "/mv/*", "*"]
    select_behavior(d, "/mv/*")
    navigate(d, button(d, "Edit"))
    assert chosen(d, "f-viewer-protocol") == "HTTP and HTTPS"
    choose(d, "f-viewer-protocol", "Redirect HTTP to HTTPS")
    navigate(d, button(d, "Save changes"))
    assert notice(d) == "Your changes are saved. The gateway applies them within a second."
    assert not has_id(d, "warnings"), warnings_of(d)


@console_test(60)
def an_s3_website_origin_is_http_only_and_an_origin_in_use_is_not_deleted(env):
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", "9")
    env.egctl("behavior", "add", "/a/*", "--origin", "o")
    env.egctl("behavior", "add", "/b/*", "--origin", "o")
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    open_tab(d, gw, "default", "Origins")
    navigate(d, link(d, "Create origin"))
    fill(d, "f-id", "site")
    fill(d, "f-domain", "b.s3-website.example")
    choose(d, "f-type", "S3 website endpoint")
    choose(d, "f-protocol", "HTTPS only")
    navigate(d, button(d, "Create origin"))
    assert path_of(d) == "/distributions/default/origins/new", d.current_url
    assert text(d, "p.alert.error") == "Nothing was saved: correct the fields marked below."
    said = by_id(d, "e-protocol").text
    assert said == ("origin site: an s3-website origin cannot use HTTPS (S3 website endpoints "
                    "do not support it); its protocol must be http-only"), said
    reason = "An S3 website endpoint cannot use HTTPS: its protocol is HTTP only."
    assert by_id(d, "x-protocol").text == reason
    assert not by_id(d, "f-protocol").is_enabled() and chosen(d, "f-protocol") == "HTTP only"
    assert [o["id"] for o in origins_json(env)] == ["o"]
    navigate(d, button(d, "Create origin"))
    assert notice(d) == "Created.", page_alerts(d)
    site = [o for o in origins_json(env) if o["id"] == "site"][0]
    assert (site["type"], site["protocol"]) == ("s3-website", "http-only"), site
    navigate(d, link(d, "Edit site"))
    protocol = by_id(d, "f-protocol")
    assert not protocol.is_enabled() and chosen(d, "f-protocol") == "HTTP only"
    assert by_id(d, "x-protocol").text == reason
    assert "x-protocol" in protocol.get_attribute("aria-describedby").split()
    fill(d, "f-read-timeout", 12)
    navigate(d, button(d, "Save changes"))
    assert notice(d) == "Your changes are saved. The gateway applies them within a second."
    site = [o for o in origins_json(env) if o["id"] == "site"][0]
    assert (site["protocol"], site["read-timeout"]) == ("http-only", 12), site

    # an origin behaviors still target is kept, and the page says which ones
    navigate(d, button(d, "Delete o"))
    assert path_of(d) == "/distributions/default/origins/o/delete", d.current_url
    assert text(d, "p.alert.error") == ("origin o is the target of behavior(s) /a/*, /b/*, *; "
                                        "point them elsewhere first"), page_alerts(d)
    assert [o["id"] for o in origins_json(env)] == ["o", "site"]
    # one nothing targets is deleted
    navigate(d, button(d, "Delete site"))
    assert notice(d) == "Deleted." and [o["id"] for o in origins_json(env)] == ["o"]


@console_test(60)
def signing_in_works_with_the_keyboard_alone(env):
    gw = console(env)
    d = browser(env)
    go(d, gw, "/signin")
    focused = d.switch_to.active_element
    assert focused.get_attribute("id") == "f-user", "the user name field has the focus"
    old = d.find_element(By.TAG_NAME, "html")
    ActionChains(d).send_keys(USER, Keys.TAB, PASSWORD, Keys.ENTER).perform()
    WebDriverWait(d, 10).until(lambda drv: _gone(old))
    WebDriverWait(d, 10).until(lambda drv: path_of(drv) == "/distributions")
    assert text(d, "h1") == "Distributions"
    # the first Tab reaches "Skip to content", and Enter on it moves to the page's content
    ActionChains(d).send_keys(Keys.TAB).perform()
    assert d.switch_to.active_element.text == "Skip to content"
    ActionChains(d).send_keys(Keys.ENTER).perform()
    WebDriverWait(d, 5).until(lambda drv: urllib.parse.urlsplit(drv.current_url).fragment
                              == "main")
    # Tab on to the distribution's link and Enter opens it
    for _ in range(10):
        ActionChains(d).send_keys(Keys.TAB).perform()
        if d.switch_to.active_element.text == "default":
            break
    assert d.switch_to.active_element.text == "default"
    old = d.find_element(By.TAG_NAME, "html")
    ActionChains(d).send_keys(Keys.ENTER).perform()
    WebDriverWait(d, 10).until(lambda drv: _gone(old))
    assert path_of(d) == "/distributions/default/general", d.current_url


@console_test(60)
def a_tables_row_actions_sit_in_their_row_on_one_line(env):
    env.egctl("dist", "add", "shop")
    for dist in ("default", "shop"):
        env.egctl("--dist", dist, "origin", "add", "web", "--domain", "127.0.0.1")
        env.egctl("--dist", dist, "origin", "add", "api", "--domain", "127.0.0.1")
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    for page, controls in (("/distributions", ("Disable", "Delete")),
                           ("/distributions/default/origins", ("Edit", "Delete"))):
        go(d, gw, page)
        rows = d.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert len(rows) == 2, (page, len(rows))
        for tr in rows:
            cell = tr.find_element(By.CSS_SELECTOR, "td.actions")
            # a table cell, as tall as its row and level with it (the row's other cells)
            assert cell.value_of_css_property("display") == "table-cell", \
                (page, cell.value_of_css_property("display"))
            assert abs(cell.rect["y"] - tr.rect["y"]) < 1 and \
                abs(cell.rect["height"] - tr.rect["height"]) < 1, (page, cell.rect, tr.rect)
            tops = [tr.find_element(By.XPATH, ".//*[self::a or self::button][starts-with("
                                    "normalize-space(), %s)]" % xq(c)).rect["y"]
                    for c in controls]
            assert abs(tops[0] - tops[1]) < 1, (page, controls, tops)


@console_test(90)
def every_page_is_valid_html_with_the_security_headers_and_loads_nothing_from_elsewhere(env):
    env.egctl("origin", "add", "o", "--domain", "127.0.0.1", "--http-port", "9")
    env.egctl("origin", "add", "site", "--domain", "b.s3-website.example", "--type",
              "s3-website")
    env.egctl("origin", "add", "mv", "--domain", "127.0.0.1", "--protocol", "match-viewer")
    env.egctl("behavior", "add", "/api/*", "--origin", "o")
    env.egctl("behavior", "add", "/api/v1", "--origin", "o")
    env.egctl("behavior", "add", "/mv/*", "--origin", "mv")
    env.egctl("invalidate", "/index.html", "/img/*")
    gw = console(env)
    d = browser(env)
    sign_in(d, gw)
    cookie = session_cookie(d)
    try_q = "?try-method=POST&try-scheme=http&try-version=HTTP%2F1.0&try-url=%2Fapi%2Fx"
    pages = [
        "/distributions", "/distributions/new", "/distributions/default",
        "/distributions/default/origins", "/distributions/default/origins/new",
        "/distributions/default/origins/o/edit", "/distributions/default/origins/site/edit",
        "/distributions/default/origins?msg=saved&switched=mv",
        "/distributions/default/behaviors", "/distributions/default/behaviors" + try_q,
        "/distributions/default/behaviors?order=%2Fmv%2F*%0A%2Fapi%2F*%0A%2Fapi%2Fv1&sel="
        "%2Fmv%2F*",
        "/distributions/default/behaviors/new",
        "/distributions/default/behaviors/edit?pattern=%2Fapi%2F*",
        "/distributions/default/behaviors/edit?pattern=*",
        "/distributions/default/invalidations",
    ]
    checked = []

    def check(r, what, status=200):
        assert r.status == status, (what, r)
        for name, want in (("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"),
                           ("Referrer-Policy", "same-origin"),
                           ("X-Content-Type-Options", "nosniff"),
                           ("Content-Type", "text/html; charset=utf-8")):
            assert r.header(name) == want, (what, name, r.header(name))
        problems = htmlcheck.check(r.body.decode("utf-8"))
        assert problems == [], (what, problems)
        checked.append(what)
        return r.body.decode()

    for page in pages:
        check(admin(gw, "GET", page, cookie), page)
    html = admin(gw, "GET", "/distributions/default/origins?msg=saved&switched=mv",
                 cookie).body.decode()
    assert 'id="https-banner"' in html
    html = admin(gw, "GET", "/distributions/default/behaviors" + try_q, cookie).body.decode()
    assert 'id="try-result"' in html and 'id="warnings"' in html
    # pages with errors on them: field errors, a conflict, a refused deletion, 404
    token = csrf_of(admin(gw, "GET", "/distributions", cookie).body.decode())
    check(admin(gw, "POST", "/distributions/default/origins/new", cookie,
                [("csrf", token), ("id", "bad id"), ("domain", ""), ("http-port", "0")]),
          "origin form with errors", 400)
    check(admin(gw, "POST", "/distributions/default/behaviors/new", cookie,
                [("csrf", token), ("pattern", "/api/*"), ("origin", "o"),
                 ("min-ttl", "-1")]), "behavior form with errors", 400)
    stale = re.search(r'name="rev" value="(\d+)"', admin(
        gw, "GET", "/distributions/default/behaviors/edit?pattern=%2Fapi%2F*",
        cookie).body.decode()).group(1)
    env.egctl("behavior", "set", "/api/*", "--min-ttl", "2")
    html = check(admin(gw, "POST", "/distributions/default/behaviors/edit", cookie,
                       [("csrf", token), ("pattern", "/api/*"), ("rev", stale),
                        ("origin", "o"), ("min-ttl", "3")]), "behavior conflict", 409)
    assert 'id="conflict"' in html
    check(admin(gw, "POST", "/distributions/default/origins/o/delete", cookie,
                [("csrf", token)]), "origin in use", 409)
    check(admin(gw, "POST", "/distributions/default/invalidations", cookie,
                [("csrf", token), ("paths", "no-slash")]), "invalidation refused", 400)
    check(admin(gw, "POST", "/distributions/default/delete", cookie, [("csrf", token)]),
          "delete distribution: confirm")
    check(admin(gw, "GET", "/distributions/nosuch/behaviors", cookie), "404", 404)
    check(admin(gw, "POST", "/distributions/default", cookie, [("comment", "x")]),
          "no csrf", 403)
    r = admin(gw, "GET", "/signin")
    check(r, "sign-in")
    presign = r.header("Set-Cookie").split(";")[0]
    check(admin(gw, "POST", "/signin", presign, [("csrf", csrf_of(r.body.decode())),
                                                  ("user", USER), ("password", "wrong")]),
          "sign-in refused", 403)
    r = admin(gw, "GET", "/static/style.css")
    assert r.status == 200 and r.header("Content-Type") == "text/css; charset=utf-8", r
    assert r.header("Content-Security-Policy") == CSP and r.header("X-Frame-Options") == "DENY"
    assert b"http:" not in r.body and b"url(" not in r.body, "the stylesheet loads nothing"

    # the browser, on every page: every request it made went to the console itself
    requested_urls(d)
    for page in pages:
        go(d, gw, page)
        assert path_of(d) == urllib.parse.urlsplit(page).path, (page, d.current_url)
        no_alert(d)
    urls = requested_urls(d)
    assert len(urls) >= len(pages), urls
    others = [u for u in urls if not u.startswith(gw.url + "/")]
    assert others == [], others
    assert any(u == gw.url + "/static/style.css" for u in urls), urls


@console_test(90)
def screenshots_of_every_tab_at_desktop_and_phone_width(env):
    env.egctl("dist", "add", "shop", "--comment", "Storefront", "--aliases",
              "www.example.com,example.com")
    shop = ("--dist", "shop")
    env.egctl(*shop, "origin", "add", "web", "--domain", "web.internal.example",
              "--http-port", "8080")
    env.egctl(*shop, "origin", "add", "api", "--domain", "api.internal.example", "--protocol",
              "https-only")
    env.egctl(*shop, "origin", "add", "assets", "--domain", "assets.s3-website.example",
              "--type", "s3-website")
    env.egctl(*shop, "behavior", "add", "/api/*", "--origin", "api", "--viewer-protocol",
              "redirect-to-https", "--methods", "ALL", "--default-ttl", "0", "--max-ttl", "0")
    env.egctl(*shop, "behavior", "add", "/account/*", "--origin", "web", "--viewer-protocol",
              "https-only", "--methods", "ALL", "--default-ttl", "0")
    env.egctl(*shop, "behavior", "add", "/static/*", "--origin", "assets", "--default-ttl",
              "604800")
    env.egctl(*shop, "behavior", "add", "/static/logo.png", "--origin", "assets")
    env.egctl(*shop, "invalidate", "/index.html", "/static/*")
    gw = console(env)
    if os.path.isdir(SHOTS):
        for f in os.listdir(SHOTS):
            if f.endswith(".png") and not f.startswith("fail-"):
                os.unlink(os.path.join(SHOTS, f))
    d = browser(env)
    go(d, gw, "/signin")
    fill(d, "f-user", USER)
    made = [shot(d, "signin")]
    fill(d, "f-password", PASSWORD)
    navigate(d, button(d, "Sign in"))
    made.append(shot(d, "distributions"))
    for tab, name in (("General", "general"), ("Origins", "origins"),
                      ("Invalidations", "invalidations")):
        d.set_window_size(1280, 1000)
        open_tab(d, gw, "shop", tab)
        made.append(shot(d, name))
    d.set_window_size(1280, 1000)
    open_tab(d, gw, "shop", "Behaviors")
    choose(d, "t-try-method", "GET")
    choose(d, "t-try-scheme", "http")
    fill(d, "t-try-url", "/account/orders?page=2")
    navigate(d, button(d, "Try"))
    assert text(d, "#try-result p.verdict") == "403: This resource is served over HTTPS only."
    assert len(warnings_of(d)) == 1 and warnings_of(d)[0].startswith(
        "Behavior /static/logo.png can never match"), warnings_of(d)
    assert [r[1] for r in behavior_rows(d)] == ["/api/*", "/account/*", "/static/*",
                                                "/static/logo.png", "*"]
    made.append(shot(d, "behaviors"))

    phone = browser(env, phone=True)
    sign_in(phone, gw)
    go(phone, gw, "/distributions/shop/behaviors")
    # nothing is wider than the phone: the table scrolls inside its own box
    width = phone.execute_script("return document.documentElement.scrollWidth")
    inner = phone.execute_script("return window.innerWidth")
    assert inner == 390 and width <= inner, (width, inner)
    for css in ("main", "nav.tabs", "header.bar", "form.try", "#warnings"):
        el = phone.find_element(By.CSS_SELECTOR, css)
        right = el.rect["x"] + el.rect["width"]
        assert right <= inner + 0.5, (css, el.rect)
    wrap = phone.find_element(By.CSS_SELECTOR, ".table-wrap")
    assert wrap.rect["width"] <= inner, wrap.rect
    made.append(shot(phone, "behaviors-phone", full=False))

    for path in made:
        w, h = png_size(path)
        assert os.path.getsize(path) > 10000, (path, os.path.getsize(path))
        want = 390 if "phone" in path else 1280
        assert w == want and h >= 600, (path, w, h)
    assert sorted(os.path.basename(p) for p in made) == sorted(
        ["signin.png", "distributions.png", "general.png", "origins.png",
         "invalidations.png", "behaviors.png", "behaviors-phone.png"])
    if os.environ.get("EG_DOC_SHOT"):  # refreshes the README's picture
        os.makedirs(os.path.dirname(DOC_SHOT), exist_ok=True)
        shutil.copyfile(os.path.join(SHOTS, "behaviors.png"), DOC_SHOT)


if __name__ == "__main__":
    sys.exit(main())
