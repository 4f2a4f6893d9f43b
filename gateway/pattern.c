/* Glob matching for path patterns. The classic two-pointer algorithm: remember the last '*'
 * and where in the path it started, and on a mismatch let that star eat one more character.
 * A later star makes earlier ones irrelevant, so this is never exponential. */
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
