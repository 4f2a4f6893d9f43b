/* eg_conf_diff: what an import would change. (To be written.) */
#include "edgegate/common.h"
#include "conf_int.h"

size_t eg_conf_diff(const eg_dist_t *cur, const eg_dist_t *next, eg_buf_t *out)
{
    (void)cur;
    (void)next;
    (void)out;
    return 0;
}
