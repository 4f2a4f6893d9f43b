/* Cache-Control, Expires and Vary as origins send them, through the TTL rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eg_http_head_t *h = malloc(sizeof(*h));
    char *copy = malloc(size + 1);
    int ttl;
    memcpy(copy, data, size);
    if (eg_http_parse_response_head(copy, size, h) == 1) {
        eg_cache_ttl(h, 0, 86400, 31536000, 1700000000, &ttl);
        eg_cache_ttl(h, 10, 10, 10, 0, &ttl);
    }
    free(copy);
    free(h);
    return 0;
}
