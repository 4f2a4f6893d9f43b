"""The console over raw HTTP, for the tests that speak to it so (test_console_http.py,
test_console_conf.py): a cookie jar that fills the console's forms, and a gateway with the
console on and its operator signed in."""
import html
import os
import re
import urllib.parse

from harness import BUILD, request

ADMIN_BIN = os.path.join(BUILD, "admin", "edgegate-admin")
PASSWORD = "correct horse battery"


class Browser:
    """A cookie jar and the console's forms, over harness.request."""

    def __init__(self, port, tls=False):
        self.port, self.tls, self.jar = port, tls, {}

    def go(self, method, path, form=None, headers=None):
        h = dict(headers or {})
        if self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        r = request(self.port, method, path, tls=self.tls, headers=h, body=body)
        for k, v in r.headers:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                if "Max-Age=0" in v:
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = rest.split(";")[0]
        r.text = r.body.decode("utf-8", "replace")
        return r

    def upload(self, path, fields, filename, content, boundary="eg-test-boundary-7d3"):
        """A multipart/form-data POST as a browser sends a form with a file input."""
        parts = []
        for k, v in fields.items():
            parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                         % (boundary.encode(), k.encode(), v.encode()))
        parts.append(b'--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
                     b"Content-Type: application/octet-stream\r\n\r\n%s\r\n"
                     % (boundary.encode(), filename.encode(), content))
        body = b"".join(parts) + b"--%s--\r\n" % boundary.encode()
        return self.raw_post(path, body, "multipart/form-data; boundary=" + boundary)

    def raw_post(self, path, body, content_type):
        h = {"Content-Type": content_type}
        if self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        r = request(self.port, "POST", path, tls=self.tls, headers=h, body=body)
        r.text = r.body.decode("utf-8", "replace")
        return r

    def csrf(self, path):
        r = self.go("GET", path)
        assert r.status == 200, (path, r.status, r.text[:300])
        return html.unescape(re.search(r'name="csrf" value="([^"]+)"', r.text).group(1))

    def sign_in(self, user="admin", password=PASSWORD):
        token = self.csrf("/signin")
        return self.go("POST", "/signin", {"csrf": token, "user": user, "password": password})


def console(env, *extra):
    o = env.scripted_origin()
    env.egctl("origin", "add", "web", "--domain", "127.0.0.1", "--http-port", str(o.port))
    env.run(os.path.join(BUILD, "admin", "egctl"), "--db", env.db, "user", "add", "admin",
            input=PASSWORD + "\n")
    gw = env.gateway("--admin", "127.0.0.1:0", "--run-dir", env.path("run"), *extra)
    assert gw.admin, env.log("edgegate")
    return gw


def signed_in(env, *extra):
    gw = console(env, *extra)
    b = Browser(gw.admin)
    r = b.sign_in()
    assert r.status == 303 and r.header("Location") == "/distributions", (r.status, r.text)
    return gw, b
