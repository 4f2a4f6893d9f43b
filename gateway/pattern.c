/* Glob matching for path patterns. The classic two-pointer algorithm: remember the last '*'
 * and where in the path it started, and on a mismatch let that star eat one more character.
 * A later star makes earlier ones irrelevant, so this is never exponential. */
#include <stdlib.h>
#include <string.h>

#include "edgegate/pattern.h"

int eg_pattern_match(const char *pattern, const char *path, size_t len)
{
    const char *p = pattern;
    size_t i = 0;
    const char *star = NULL;
    size_t star_i = 0;

    /* a pattern without its leading slash matches as if it had one */
    if (*p != '/' && *p != '*' && len > 0 && path[0] == '/')
        i = 1;
    while (i < len) {
        if (*p == '*') {
            star = ++p;
            star_i = i;
        } else if (*p != '\0' && (*p == '?' || *p == path[i])) {
            p++;
            i++;
        } else if (star != NULL) {
            p = star;
            i = ++star_i;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* A pattern as eg_pattern_covers compares it: the leading '/' a pattern may leave out added,
 * and each run of wildcards written as its '?'s, then one '*' if it had any (what a run
 * matches does not depend on its order). NULL when it does not fit. */
static char *canonical(const char *pat, size_t *len)
{
    size_t n = strlen(pat), j = 0;
    char *out;
    if (n > 4096)
        return NULL;
    out = malloc(n + 2);
    if (out == NULL)
        return NULL;
    if (*pat != '/' && *pat != '*')
        out[j++] = '/';
    for (size_t i = 0; i < n;) {
        int stars = 0;
        if (pat[i] != '*' && pat[i] != '?') {
            out[j++] = pat[i++];
            continue;
        }
        for (; i < n && (pat[i] == '*' || pat[i] == '?'); i++) {
            if (pat[i] == '?')
                out[j++] = '?';
            else
                stars = 1;
        }
        if (stars)
            out[j++] = '*';
    }
    out[j] = '\0';
    *len = j;
    return out;
}

/* cov[i][j]: a from i covers b from j. A star in a takes any run of b's characters,
 * wildcards included; a '?' takes one character or '?'; a literal only itself. */
int eg_pattern_covers(const char *a, const char *b)
{
    size_t la = 0, lb = 0, w;
    char *ca = canonical(a, &la), *cb = canonical(b, &lb);
    unsigned char *cov = NULL;
    int r = 0;
    if (ca == NULL || cb == NULL)
        goto out;
    w = lb + 1;
    cov = calloc((la + 1) * w, 1);
    if (cov == NULL)
        goto out;
    cov[la * w + lb] = 1;
    for (size_t i = la + 1; i-- > 0;) {
        for (size_t j = lb + 1; j-- > 0;) {
            unsigned char v;
            if (i == la)
                continue; /* only the corner holds */
            if (ca[i] == '*')
                v = cov[(i + 1) * w + j] || (j < lb && cov[i * w + j + 1]);
            else if (j == lb)
                v = 0;
            else if (ca[i] == '?')
                v = cb[j] != '*' && cov[(i + 1) * w + j + 1];
            else
                v = cb[j] == ca[i] && cov[(i + 1) * w + j + 1];
            cov[i * w + j] = v;
        }
    }
    r = cov[0];
out:
    free(cov);
    free(ca);
    free(cb);
    return r;
}
