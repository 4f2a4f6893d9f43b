/* eg_conf_read: what kind of file it is, then the importer for it. (To be written.) */
#include "edgegate/common.h"
#include "conf_int.h"

int eg_conf_read(const char *data, size_t len, const char *dist_id, eg_dist_t *out, int *kind,
                 eg_conf_msgs_t *msgs)
{
    (void)data;
    (void)len;
    (void)dist_id;
    (void)kind;
    memset(out, 0, sizeof(*out));
    eg_conf_msg(msgs, EG_CONF_ERROR, NULL, "reading configuration files is not supported yet");
    return -1;
}
