/* Origin response heads, then the body decoder on whatever follows. */
#include <stdint.h>
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
        eg_http_framing_t fr;
        const char *why = NULL;
        size_t out;
        for (size_t i = 0; i < h->n_headers; i++)
            eg_http_has_token(h->headers[i].value, h->headers[i].value_len, "close");
        /* framing decided both ways; a refusal always says why */
        if (eg_http_response_framing(h, 1, &fr, &why) != 0 && why == NULL)
            abort();
        why = NULL;
        if (eg_http_response_framing(h, 0, &fr, &why) != 0 && why == NULL)
            abort();
        eg_http_drop_hop_fields(h);
        for (size_t i = 0; i < h->n_headers; i++) /* nothing hop-by-hop is left */
            if (eg_http_is_hop_by_hop(h->headers[i].name, h->headers[i].name_len))
                abort();
        eg_chunked_decode(&c, copy + h->head_len, size - h->head_len, &out);
    }
    free(copy);
    free(h);
    return 0;
}
