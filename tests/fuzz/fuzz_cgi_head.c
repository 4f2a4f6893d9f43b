/* Policy worker answers: CGI head, then the route built from it. */
#include <stdlib.h>
#include <string.h>

#include "edgegate/http.h"
#include "edgegate/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eg_http_head_t *h = malloc(sizeof(*h));
    char *copy = malloc(size + 1);
    eg_route_t *r = NULL;
    memcpy(copy, data, size);
    if (eg_http_parse_cgi_head(copy, size, h) == 1 &&
        eg_route_parse(h, copy + h->head_len, size - h->head_len, &r, NULL, 0) == 0)
        eg_route_unref(r);
    free(copy);
    free(h);
    return 0;
}
