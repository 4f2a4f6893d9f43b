/* The console's form and cookie decoding and its escaping writer (web.h). */
#include "edgegate/web.h"
#include "tap.h"

static void form(const char *in, int want_rc, size_t want_n, const char *name, const char *value)
{
    eg_web_kvs_t kv = {0};
    int rc = eg_web_form_parse(in, strlen(in), 8, &kv);
    ok(rc == want_rc && kv.n == want_n, "form '%s': rc %d, %zu pairs", in, rc, kv.n);
    if (name)
        is_str(eg_web_get(&kv, name), value, "  %s = '%s'", name, value);
    eg_web_kvs_free(&kv);
}

/* body holds "|" for "\r\n" (readable); want_n pairs, and name = value when given */
static void multipart(const char *ctype, const char *body, int want_rc, size_t want_n,
                      const char *name, const char *value)
{
    eg_web_kvs_t kv = {0};
    char *raw = strdup(body);
    size_t j = 0;
    int rc;
    for (const char *p = body; *p; p++) {
        if (*p == '|') {
            raw = realloc(raw, strlen(body) * 2 + 2);
            raw[j++] = '\r';
            raw[j++] = '\n';
        } else {
            raw[j++] = *p;
        }
    }
    raw[j] = '\0';
    rc = eg_web_multipart_parse(ctype, raw, j, 4, &kv);
    ok(rc == want_rc && kv.n == want_n, "multipart %.60s: rc %d, %zu parts", body, rc, kv.n);
    if (name)
        is_str(eg_web_get(&kv, name), value, "  %s = '%s'", name, value);
    eg_web_kvs_free(&kv);
    free(raw);
}

int main(void)
{
    char out[64];
    eg_buf_t b = {0};

    form("a=1&b=x+y%21", 0, 2, "b", "x y!");
    form("a=1&&b=2&", 0, 2, "a", "1");
    form("flag", 0, 1, "flag", "");
    form("a=%2", -1, 0, NULL, NULL);    /* cut escape */
    form("a=%zz", -1, 0, NULL, NULL);   /* not hex */
    form("a=x%00y", -1, 0, NULL, NULL); /* a NUL byte */
    form("a=%", -1, 0, NULL, NULL);
    form("p=%2Fimg%2F%2A%0A%2Fa", 0, 1, "p", "/img/*\n/a");
    form("1&2&3&4&5&6&7&8&9", -1, 0, NULL, NULL); /* more than 8 pairs */
    form("", 0, 0, NULL, NULL);

    ok(eg_web_cookie("a=1; eg_session=tok; b=2", "eg_session", out, sizeof(out)) == 1 &&
           strcmp(out, "tok") == 0,
       "a cookie among others");
    ok(eg_web_cookie("xeg_session=bad; eg_session=good", "eg_session", out, sizeof(out)) == 1 &&
           strcmp(out, "good") == 0,
       "a name that only ends the same is not it");
    ok(eg_web_cookie("eg_session=\"q\"", "eg_session", out, sizeof(out)) == 1 &&
           strcmp(out, "q") == 0,
       "a quoted value");
    ok(eg_web_cookie("a=1", "eg_session", out, sizeof(out)) == 0, "absent");
    ok(eg_web_cookie(NULL, "eg_session", out, sizeof(out)) == 0, "no Cookie field");
    ok(eg_web_cookie("eg_session=0123456789", "eg_session", out, 4) == 0, "too long for out");

    multipart("multipart/form-data; boundary=AaB03x",
              "--AaB03x|Content-Disposition: form-data; name=\"csrf\"||tok|--AaB03x|"
              "Content-Disposition: form-data; name=\"file\"; filename=\"a.xml\"|"
              "Content-Type: text/xml||<a>\t</a>|--AaB03x--|",
              0, 2, "file", "<a>\t</a>");
    multipart("multipart/form-data; boundary=\"quoted b\"",
              "preamble|--quoted b|Content-Disposition: form-data; name=x||1|--quoted b--", 0, 1,
              "x", "1");
    multipart("multipart/form-data; charset=utf-8; boundary=z",
              "--z|content-disposition: form-data; name=\"e\"|||--z--", 0, 1, "e", "");
    multipart("multipart/form-data", "--z|Content-Disposition: form-data; name=x||1|--z--", -1,
              0, NULL, NULL); /* no boundary */
    multipart("multipart/form-data; boundary=z", "--z|Content-Disposition: form-data; name=x||1",
              -1, 0, NULL, NULL); /* no closing delimiter */
    multipart("multipart/form-data; boundary=z", "--z|Content-Disposition: form-data||1|--z--",
              -1, 0, NULL, NULL); /* no name */
    multipart("multipart/form-data; boundary=z",
              "--z|Content-Disposition: attachment; name=x||1|--z--", -1, 0, NULL, NULL);
    multipart("multipart/form-data; boundary=z", "--z|X-Other: y||1|--z--", -1, 0, NULL, NULL);
    multipart("multipart/form-data; boundary=z",
              "--z|Content-Disposition: form-data; name=\"a\"; name=\"b\"||1|--z--", -1, 0,
              NULL, NULL); /* two names */
    multipart("multipart/form-data; boundary=z", "--z|Bad Header: x||1|--z--", -1, 0, NULL,
              NULL);
    multipart("multipart/form-data; boundary=z",
              "--z|Content-Disposition: form-data; name=a||1|--z|Content-Disposition: form-data; "
              "name=b||2|--z|Content-Disposition: form-data; name=c||3|--z|Content-Disposition: "
              "form-data; name=d||4|--z|Content-Disposition: form-data; name=e||5|--z--",
              -1, 0, NULL, NULL); /* more than 4 parts */
    multipart("multipart/form-data; boundary=z", "--zjunk|Content-Disposition: form-data; name=a||1|--z--", -1, 0, NULL, NULL);
    multipart("multipart/form-data; boundary=a<b", "--a<b|Content-Disposition: form-data; name=a||1|--a<b--", -1, 0, NULL, NULL);
    multipart("application/x-www-form-urlencoded; boundary=z",
              "--z|Content-Disposition: form-data; name=a||1|--z--", -1, 0, NULL, NULL);
    {
        eg_web_kvs_t kv = {0};
        const char nul[] = "--z\r\nContent-Disposition: form-data; name=a\r\n\r\nx\0y\r\n--z--";
        ok(eg_web_multipart_parse("multipart/form-data; boundary=z", nul, sizeof(nul) - 1, 4,
                                  &kv) == -1,
           "multipart: a NUL byte in a value is refused");
        ok(eg_web_multipart_parse("multipart/form-data; boundary=z", NULL, 0, 4, &kv) == -1,
           "multipart: an empty body");
    }

    eg_web_printf(&b, "<a href=\"/d/%u\" title=\"%s\">%s</a>%r %d %D %%", "a b/<x>",
                  "\"quoted\" & 'single'", "<script>alert(1)</script>", "<br>", -5,
                  (long long)1 << 40);
    is_str(b.data,
           "<a href=\"/d/a%20b%2F%3Cx%3E\" title=\"&quot;quoted&quot; &amp; &#39;single&#39;\">"
           "&lt;script&gt;alert(1)&lt;/script&gt;</a><br> -5 1099511627776 %",
           "the writer escapes %%s, encodes %%u, leaves %%r");
    b.len = 0;
    eg_web_printf(&b, "[%s]", "tab\there\x01\x7f\nnl");
    is_str(b.data, "[tab\there\nnl]", "control characters but tab and newline are dropped");
    b.len = 0;
    eg_web_printf(&b, "[%s]", (const char *)NULL);
    is_str(b.data, "[]", "NULL prints nothing");
    eg_buf_free(&b);
    return done();
}
