/* Cache-Control, Surrogate-Control, Expires, Date, Age and Vary as origins send them, through
 * the freshness rules (freshness.c) and the object a 304 makes of a stored one (cache.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/cache.h"
#include "edgegate/freshness.h"
#include "edgegate/fwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eg_http_head_t *h = malloc(sizeof(*h));
    char *copy = malloc(size + 1);
    eg_fresh_t f;
    memcpy(copy, data, size);
    if (eg_http_parse_response_head(copy, size, h) == 1) {
        eg_fresh_policy_t a = {.default_ttl = 86400,
                               .max_ttl = 31536000,
                               .error_min_ttl = 10,
                               .request_time = 1700000000,
                               .response_time = 1700000005};
        eg_fresh_policy_t b = {10, 10, 10, 0, 1, 1, 0, 0};
        eg_fresh_judge(h, &a, &f);
        eg_fresh_judge(h, &b, &f);
        {
            eg_route_t r = {.cache_headers = "Authorization", .cache_cookies = "none",
                            .origin_headers = "all-viewer", .origin_cookies = "none"};
            eg_buf_t names = {0};
            eg_fwd_viewer_t v = {0};
            if (eg_fwd_vary_names(h, &r, &names) > 0) {
                eg_buf_t k = {0};
                eg_fwd_vary_key(&k, &v, names.data);
                eg_buf_free(&k);
            }
            eg_buf_free(&names);
        }
        if (h->n_headers > 0) {
            /* the head as a 304 refreshing an object made of itself */
            eg_cache_obj_t *o = eg_cache_obj_new("k", 1, h, "body", 4, &f), *n;
            eg_http_head_t *v = malloc(sizeof(*v));
            n = eg_cache_obj_update(o, h);
            if (eg_cache_obj_head(n, &h->headers[0], v) == 0)
                eg_fresh_judge(v, &a, &f);
            eg_cache_obj_unref(o);
            eg_cache_obj_unref(n);
            free(v);
        }
    }
    free(copy);
    free(h);
    return 0;
}
