#!/usr/bin/env python3
"""The console's configuration file: the export download is egctl export byte for byte; an
upload shows what it would change and writes nothing until Apply; Apply reaches the gateway;
a malformed file, a strict refusal, a missing CSRF token, a broken multipart body and a
distribution changed since the preview are all refused with nothing written. Raw HTTP here;
the upload through a real browser is in test_console.py."""
import html
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import htmlcheck  # noqa: E402
from console_client import signed_in  # noqa: E402
from harness import db_rows, main, request, test, within  # noqa: E402


def token(b):
    r = b.go("GET", "/distributions/default/general")
    assert r.status == 200, r.status
    assert 'enctype="multipart/form-data"' in r.text and 'type="file"' in r.text, r.text[-2000:]
    return html.unescape(re.search(r'name="csrf" value="([^"]+)"', r.text).group(1))


def apply_form(text):
    """The Apply form's fields on a preview page."""
    form = re.search(r'<form method="post" action="([^"]+/import/apply)".*?</form>', text, re.S)
    assert form, text[-3000:]
    fields = dict((html.unescape(n), html.unescape(v)) for n, v in
                  re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    return form.group(1), fields


@test
@within(90)
def the_export_download_is_egctls_export(env):
    gw, b = signed_in(env)
    env.egctl("behavior", "add", "/secure/*", "--origin", "web", "--viewer-protocol", "https-only")
    for fmt, ctype in (("xml", "application/xml; charset=utf-8"), ("json", "application/json")):
        r = b.go("GET", "/distributions/default/export." + fmt)
        assert r.status == 200, (r.status, r.text[:300])
        assert r.header("Content-Type") == ctype, r.headers
        assert r.header("Content-Disposition") == 'attachment; filename="default.%s"' % fmt
        assert r.header("Cache-Control") == "no-store"
        assert r.body == env.egctl("export", "--format", fmt).stdout.encode(), fmt
    # the General tab offers both, and passes htmlcheck
    r = b.go("GET", "/distributions/default/general")
    assert 'href="/distributions/default/export.xml"' in r.text
    assert 'href="/distributions/default/export.json"' in r.text
    htmlcheck.check(r.text)
    # without a session: to the sign-in page, no file
    r = request(gw.admin, "GET", "/distributions/default/export.xml")
    assert r.status == 303 and r.header("Location") == "/signin", r.status
    r = b.go("GET", "/distributions/nosuch/export.xml")
    assert r.status == 404, r.status


@test
@within(90)
def an_upload_is_previewed_then_applied_and_the_gateway_follows(env):
    gw, b = signed_in(env)
    env.egctl("behavior", "add", "/secure/*", "--origin", "web")
    csrf = token(b)
    xml = env.egctl("export").stdout
    assert request(gw.http, "GET", "/secure/x").status != 403
    head, _, tail = xml.partition("<PathPattern>/secure/*</PathPattern>")
    changed = head + _ + tail.replace("<ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>",
                                      "<ViewerProtocolPolicy>https-only</ViewerProtocolPolicy>", 1)
    before = db_rows(env)
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "default.xml", changed.encode())
    assert r.status == 200, (r.status, r.text[-1500:])
    htmlcheck.check(r.text)
    assert "CloudFront 2020-05-31 XML" in r.text
    assert "behavior /secure/*: changed: viewer-protocol: allow-all -&gt; https-only" in r.text, \
        r.text[-2000:]
    assert db_rows(env) == before, "a preview writes nothing"
    action, fields = apply_form(r.text)
    r = b.go("POST", action, fields)
    assert r.status == 303 and r.header("Location") == \
        "/distributions/default/general?msg=imported", (r.status, r.text[-1500:])
    assert "The file is imported" in b.go("GET", r.header("Location")).text
    assert env.egctl("export").stdout == changed
    for _ in range(40):
        if request(gw.http, "GET", "/secure/x").status == 403:
            break
        time.sleep(0.05)
    assert request(gw.http, "GET", "/secure/x").status == 403
    rows = sqlite3.connect(env.db).execute(
        "SELECT actor, action, detail FROM audit ORDER BY id DESC LIMIT 1").fetchall()
    assert rows[0][0] == "admin:admin" and rows[0][1] == "dist.import" and \
        "from a console upload (CloudFront 2020-05-31 XML): 1 change" in rows[0][2], rows
    # the same file again: nothing would change
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "default.xml", changed.encode())
    assert "Nothing would change" in r.text, r.text[-1500:]


@test
@within(90)
def bad_files_and_strict_refusals_show_why_and_write_nothing(env):
    gw, b = signed_in(env)
    csrf = token(b)
    xml = env.egctl("export").stdout
    before = db_rows(env)
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "bad.xml",
                 xml.replace("</Origins>", "</Origin>").encode())
    assert r.status == 400 and "mismatch" in r.text and "line " in r.text, r.text[-1500:]
    assert "/import/apply" not in r.text, "no Apply for a file that does not read"
    htmlcheck.check(r.text)
    # strict: a setting edgegate lacks
    lacking = xml.replace("  <Comment>", "  <PriceClass>PriceClass_100</PriceClass>\n  <Comment>", 1)
    r = b.upload("/distributions/default/import", {"csrf": csrf, "strict": "1"}, "p.xml",
                 lacking.encode())
    assert r.status == 400 and "PriceClass" in r.text and "Strict" in r.text, r.text[-1500:]
    assert "/import/apply" not in r.text
    # not strict: listed as ignored, and Apply offered
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "p.xml", lacking.encode())
    assert r.status == 200 and "Ignored" in r.text and "PriceClass" in r.text, r.text[-1500:]
    assert "/import/apply" in r.text
    # markup in a file is shown as text
    evil = xml.replace("<Comment>", "<Comment>&lt;script&gt;alert(1)&lt;/script&gt;", 1)
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "e.xml", evil.encode())
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text
    # hostile XML
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "x.xml",
                 b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><DistributionConfig>'
                 b'<Comment>&e;</Comment></DistributionConfig>')
    assert r.status == 400 and "DOCTYPE" in r.text and "root:" not in r.text
    assert db_rows(env) == before


@test
@within(90)
def forged_or_stale_imports_are_refused(env):
    gw, b = signed_in(env)
    csrf = token(b)
    xml = env.egctl("export").stdout.replace("<Comment>", "<Comment>imported ", 1)
    before = db_rows(env)
    # a multipart POST without the CSRF token, or with another one
    r = b.upload("/distributions/default/import", {}, "a.xml", xml.encode())
    assert r.status == 403, r.status
    r = b.upload("/distributions/default/import", {"csrf": "forged"}, "a.xml", xml.encode())
    assert r.status == 403, r.status
    # broken multipart bodies: no boundary, no closing delimiter, a part without a name
    r = b.raw_post("/distributions/default/import", b"--x\r\n\r\n", "multipart/form-data")
    assert r.status == 400, r.status
    r = b.raw_post("/distributions/default/import",
                   b'--zz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'
                   + csrf.encode() + b"\r\n--zz\r\n", "multipart/form-data; boundary=zz")
    assert r.status == 400, r.status
    r = b.raw_post("/distributions/default/import",
                   b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--\r\n",
                   "multipart/form-data; boundary=zz")
    assert r.status == 400, r.status
    assert db_rows(env) == before
    # a preview, then someone changes the distribution, then Apply: refused
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "a.xml", xml.encode())
    action, fields = apply_form(r.text)
    env.egctl("origin", "set", "web", "--read-timeout", "17")
    changed = db_rows(env)
    r = b.go("POST", action, fields)
    assert r.status == 409 and "changed since you previewed" in r.text, (r.status, r.text[-800:])
    assert db_rows(env) == changed
    # a forged fingerprint, and a damaged file, are refused too
    r = b.upload("/distributions/default/import", {"csrf": csrf}, "a.xml", xml.encode())
    action, fields = apply_form(r.text)
    r = b.go("POST", action, dict(fields, fingerprint="E00000000000000"))
    assert r.status == 409, r.status
    r = b.go("POST", action, dict(fields, content="!!not base64"))
    assert r.status == 400, r.status
    r = b.go("POST", action, {k: v for k, v in fields.items() if k != "csrf"})
    assert r.status == 403, r.status
    assert db_rows(env) == changed
    # the genuine one lands
    r = b.go("POST", action, fields)
    assert r.status == 303, (r.status, r.text[-800:])
    assert "imported " in env.egctl("--json", "dist", "list").stdout


if __name__ == "__main__":
    main()
