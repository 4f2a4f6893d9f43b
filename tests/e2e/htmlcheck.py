"""A strict check of the console's HTML with Python's own parser: the things a validator
would flag in pages like ours, and the console's own rules.

- one doctype, <html lang>, <meta charset>, <title>, <meta viewport>;
- every element closed in order (void elements excepted), no stray end tags;
- ids unique; every label's for= names an existing control;
- every input (but hidden), select and textarea has a <label for> or sits in one, or is
  a checkbox/radio inside a labelled fieldset row; aria-describedby ids exist;
- no attribute twice on one element; no nested forms; no form control outside a form
  unless it has form=;
- nothing loads from another origin: src/href/action are relative or same-origin paths,
  no <script>, no inline style= or on*= handlers (the Content-Security-Policy forbids them).
Returns a list of problems (empty when the page passes)."""
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
CONTROLS = {"input", "select", "textarea"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.stack, self.ids, self.labels_for = [], [], {}, []
        self.controls, self.described, self.doctype = [], [], 0
        self.seen = set()
        self.forms = 0

    def handle_decl(self, decl):
        if decl.lower() == "doctype html":
            self.doctype += 1
        else:
            self.problems.append("unexpected declaration %r" % decl)

    def handle_starttag(self, tag, attrs):
        names = [a for a, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append("<%s> repeats an attribute: %r" % (tag, names))
        a = dict(attrs)
        self.seen.add(tag)
        if "id" in a:
            if a["id"] in self.ids:
                self.problems.append("duplicate id %r" % a["id"])
            self.ids[a["id"]] = tag
        for attr in ("src", "href", "action"):
            v = a.get(attr)
            if v is not None and (v.startswith("//") or "://" in v.split("?")[0]):
                self.problems.append("<%s %s=%r> points at another origin" % (tag, attr, v))
        if "style" in a:
            self.problems.append("<%s> has an inline style= (blocked by the CSP)" % tag)
        for n in names:
            if n.startswith("on"):
                self.problems.append("<%s> has an event handler %s=" % (tag, n))
        if tag == "script":
            self.problems.append("a <script> element")
        if tag == "form":
            if any(t == "form" for t, _ in self.stack):
                self.problems.append("a form inside a form")
            self.forms += 1
        if tag == "label" and "for" in a:
            self.labels_for.append(a["for"])
        if tag in CONTROLS and a.get("type") != "hidden":
            in_label = any(t == "label" for t, _ in self.stack)
            in_fieldset = any(t == "fieldset" for t, _ in self.stack)
            in_form = any(t == "form" for t, _ in self.stack) or "form" in a
            self.controls.append((tag, a, in_label, in_fieldset))
            if not in_form and tag != "select":
                self.problems.append("<%s name=%r> outside any form" % (tag, a.get("name")))
        if "aria-describedby" in a:
            self.described.extend(a["aria-describedby"].split())
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.problems.append("<%s/> is not a void element" % tag)
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append("end tag </%s> for a void element" % tag)
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.problems.append("</%s> at line %d does not close %s" % (
                tag, self.getpos()[0], self.stack[-1] if self.stack else "anything"))
            # recover: pop to the matching tag when there is one
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i][0] == tag:
                    del self.stack[i:]
                    break
            return
        self.stack.pop()


def check(html):
    c = _Checker()
    c.feed(html)
    c.close()
    p = list(c.problems)
    if c.doctype != 1:
        p.append("%d doctypes" % c.doctype)
    if c.stack:
        p.append("unclosed elements: %r" % c.stack)
    for tag in ("html", "head", "title", "body", "main"):
        if tag not in c.seen:
            p.append("no <%s>" % tag)
    if '<html lang="' not in html:
        p.append("<html> has no lang")
    if '<meta charset="utf-8">' not in html:
        p.append("no <meta charset>")
    if 'name="viewport"' not in html:
        p.append("no viewport meta")
    for f in c.labels_for:
        if f not in c.ids:
            p.append("<label for=%r> names no element" % f)
    for d in c.described:
        if d not in c.ids:
            p.append("aria-describedby %r names no element" % d)
    for tag, a, in_label, in_fieldset in c.controls:
        labelled = a.get("id") in c.labels_for or in_label or "aria-label" in a
        if not labelled:
            p.append("<%s name=%r id=%r> has no label" % (tag, a.get("name"), a.get("id")))
    return p
