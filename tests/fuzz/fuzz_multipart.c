/* The console's multipart/form-data decoder (web.h): the input's first line is the
 * Content-Type (its boundary), the rest the body. Decoding must end, never read past, and
 * every value it keeps must be a NUL-free string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    eg_web_kvs_t kv = {0};
    char *ctype;
    if (nl == NULL)
        return 0;
    ctype = strndup((const char *)data, (size_t)(nl - data));
    if (ctype == NULL)
        return 0;
    if (eg_web_multipart_parse(ctype, (const char *)nl + 1, size - (size_t)(nl - data) - 1, 64,
                               &kv) == 0) {
        for (size_t i = 0; i < kv.n; i++)
            if (kv.v[i].name == NULL || kv.v[i].value == NULL || kv.v[i].name[0] == '\0')
                abort();
        eg_web_kvs_free(&kv);
    }
    free(ctype);
    return 0;
}
