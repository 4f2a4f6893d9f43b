/* Path patterns: the input is "pattern\0path"; matching must end and never read past. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/config.h"
#include "edgegate/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *zero = memchr(data, 0, size);
    char *pat, norm[EG_PATH_MAX];
    if (zero == NULL)
        return 0;
    pat = strndup((const char *)data, (size_t)(zero - data));
    eg_pattern_match(pat, (const char *)zero + 1, size - (size_t)(zero - data) - 1);
    if (eg_pattern_normalize(pat, norm, sizeof(norm), NULL, 0) == 0)
        eg_pattern_match(norm, (const char *)zero + 1, size - (size_t)(zero - data) - 1);
    /* covers: when pattern covers the second part read as a pattern, it must match that
     * pattern's plainest path ('*' as nothing, '?' as one character) */
    {
        size_t rest = size - (size_t)(zero - data) - 1;
        char *b = strndup((const char *)zero + 1, rest), *path;
        size_t j = 0;
        if (b != NULL && strlen(b) == rest && *b == '/' && eg_pattern_covers(pat, b)) {
            path = malloc(rest + 2);
            for (const char *q = b; *q; q++)
                if (*q != '*')
                    path[j++] = *q == '?' ? 'x' : *q;
            if (!eg_pattern_match(pat, path, j))
                abort();
            free(path);
        }
        free(b);
    }
    free(pat);
    return 0;
}
