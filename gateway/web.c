/* Form and cookie decoding and the escaping HTML writer for the console (web.h). */
#include <ctype.h>
#include <stdarg.h>

#include "edgegate/web.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes s[0..len) into a new string; NULL when malformed or holding a NUL byte. */
static char *decode(const char *s, size_t len)
{
    char *out = eg_calloc(1, len + 1);
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int h, l;
            if (i + 2 >= len) {
                free(out);
                return NULL;
            }
            h = hexval((unsigned char)s[i + 1]);
            l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0) {
                free(out);
                return NULL;
            }
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0) {
            free(out);
            return NULL;
        }
        out[j++] = (char)c;
    }
    out[j] = '\0';
    return out;
}

void eg_web_kvs_add(eg_web_kvs_t *kv, char *name, char *value)
{
    kv->v = eg_realloc(kv->v, (kv->n + 1) * sizeof(*kv->v));
    kv->v[kv->n].name = name;
    kv->v[kv->n].value = value;
    kv->n++;
}

void eg_web_kvs_free(eg_web_kvs_t *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->v[i].name);
        free(kv->v[i].value);
    }
    free(kv->v);
    kv->v = NULL;
    kv->n = 0;
}

int eg_web_form_parse(const char *s, size_t len, size_t max, eg_web_kvs_t *out)
{
    size_t i = 0;
    eg_web_kvs_t kv = {0};
    while (i < len) {
        size_t end = i, eq;
        char *name, *value;
        while (end < len && s[end] != '&')
            end++;
        if (end == i) { /* "a=1&&b=2": an empty piece is nothing */
            i = end + 1;
            continue;
        }
        for (eq = i; eq < end && s[eq] != '='; eq++)
            ;
        name = decode(s + i, eq - i);
        value = eq < end ? decode(s + eq + 1, end - eq - 1) : eg_strdup("");
        if (name == NULL || value == NULL || kv.n == max) {
            free(name);
            free(value);
            eg_web_kvs_free(&kv);
            return -1;
        }
        eg_web_kvs_add(&kv, name, value);
        i = end + 1;
    }
    *out = kv;
    return 0;
}

const char *eg_web_get(const eg_web_kvs_t *kv, const char *name)
{
    for (size_t i = 0; i < kv->n; i++)
        if (strcmp(kv->v[i].name, name) == 0)
            return kv->v[i].value;
    return NULL;
}

int eg_web_cookie(const char *h, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    if (h == NULL || outlen == 0)
        return 0;
    while (*h) {
        const char *end;
        size_t vlen;
        while (*h == ' ' || *h == '\t' || *h == ';')
            h++;
        end = strchr(h, ';');
        if (end == NULL)
            end = h + strlen(h);
        if ((size_t)(end - h) > nlen && strncmp(h, name, nlen) == 0 && h[nlen] == '=') {
            const char *v = h + nlen + 1;
            vlen = (size_t)(end - v);
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            if (vlen >= outlen)
                return 0;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return 1;
        }
        h = end;
    }
    return 0;
}

void eg_web_esc(eg_buf_t *b, const char *s)
{
    if (s == NULL)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            eg_buf_adds(b, "&amp;");
            break;
        case '<':
            eg_buf_adds(b, "&lt;");
            break;
        case '>':
            eg_buf_adds(b, "&gt;");
            break;
        case '"':
            eg_buf_adds(b, "&quot;");
            break;
        case '\'':
            eg_buf_adds(b, "&#39;");
            break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                break;
            eg_buf_add(b, s, 1);
        }
    }
}

void eg_web_urlenc(eg_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (s == NULL)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            eg_buf_add(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            eg_buf_add(b, e, 3);
        }
    }
}

void eg_web_printf(eg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        const char *pct = strchr(p, '%');
        if (pct == NULL) {
            eg_buf_adds(b, p);
            break;
        }
        eg_buf_add(b, p, (size_t)(pct - p));
        p = pct + 1;
        switch (*p) {
        case 's':
            eg_web_esc(b, va_arg(ap, const char *));
            break;
        case 'u':
            eg_web_urlenc(b, va_arg(ap, const char *));
            break;
        case 'r': {
            const char *r = va_arg(ap, const char *);
            if (r)
                eg_buf_adds(b, r);
            break;
        }
        case 'd':
            eg_buf_printf(b, "%d", va_arg(ap, int));
            break;
        case 'D':
            eg_buf_printf(b, "%lld", va_arg(ap, long long));
            break;
        case '%':
            eg_buf_add(b, "%", 1);
            break;
        case '\0':
            p--;
            break; /* a lone % at the end */
        default:
            eg_buf_add(b, p - 1, 2);
            break;
        }
    }
    va_end(ap);
}
