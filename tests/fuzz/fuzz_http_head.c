/* Origin response heads, then the body decoder on whatever follows. */
#include <stdlib.h>
#include <string.h>

#include "edgegate/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eg_http_head_t *h = malloc(sizeof(*h));
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    if (eg_http_parse_response_head(copy, size, h) == 1) {
        eg_chunked_t c = {0};
        size_t out;
        for (size_t i = 0; i < h->n_headers; i++)
            eg_http_has_token(h->headers[i].value, h->headers[i].value_len, "close");
        eg_chunked_decode(&c, copy + h->head_len, size - h->head_len, &out);
    }
    free(copy);
    free(h);
    return 0;
}
