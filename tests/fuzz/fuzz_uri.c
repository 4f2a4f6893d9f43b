/* The request-target normalizer: input is "method\0target". Whatever it accepts must be
 * normalized (no "//", "/./", "/../", no escape of an unreserved character, escapes in upper
 * case) and normalizing that again must change nothing; a broken property aborts. The target
 * is also resolved as a response's Location would be (eg_uri_resolve), with the same checks. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/uri.h"

static int hex_upper(char c)
{
    return isdigit((unsigned char)c) || (c >= 'A' && c <= 'F');
}

void eg_fuzz_uri_check(const char *path, size_t n);

void eg_fuzz_uri_check(const char *path, size_t n)
{
    char *again;
    const char *why;
    if (n == 0 || path[0] != '/' || strlen(path) != n)
        abort();
    if (strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../"))
        abort();
    if ((n >= 2 && strcmp(path + n - 2, "/.") == 0) || (n >= 3 && strcmp(path + n - 3, "/..") == 0))
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '?')
            abort();
        if (c == '%') {
            int v;
            if (i + 2 >= n || !hex_upper(path[i + 1]) || !hex_upper(path[i + 2]))
                abort();
            v = (int)strtol((char[]){path[i + 1], path[i + 2], 0}, NULL, 16);
            if (isalnum(v) || (v && strchr("-._~/!$&'()*+,;=:@", v)))
                abort(); /* should have been decoded (or refused, for '/') */
        }
    }
    again = malloc(n + 1);
    if (eg_uri_normalize_path(path, n, 0, again, n + 1, &why) != 0 || strcmp(again, path) != 0)
        abort();
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *zero = memchr(data, 0, size);
    char method[16];
    const char *why;
    eg_uri_t u;
    size_t mlen;
    if (zero == NULL || (mlen = (size_t)(zero - data)) >= sizeof(method))
        return 0;
    memcpy(method, data, mlen);
    method[mlen] = '\0';
    static eg_uri_t base; /* the request a response's Location is resolved against */
    if (eg_uri_parse((const char *)zero + 1, size - mlen - 1, method, &u, &why) == 0) {
        if (!u.asterisk)
            eg_fuzz_uri_check(u.path, u.path_len);
        eg_uri_free(&u);
    } else if (why == NULL) {
        abort(); /* every refusal says why */
    }
    if (base.path == NULL && eg_uri_parse("/a/b?q", 6, "POST", &base, &why) != 0)
        abort();
    /* the target's bytes as a Location: what names this host is normalized all the same */
    if (eg_uri_resolve((const char *)zero + 1, size - mlen - 1, "h", &base, &u, &why) == 0) {
        if (u.authority[0] && strcmp(u.authority, "h") != 0)
            abort();
        eg_fuzz_uri_check(u.path, u.path_len);
        eg_uri_free(&u);
    } else if (why == NULL || u.path != NULL) {
        abort();
    }
    return 0;
}
