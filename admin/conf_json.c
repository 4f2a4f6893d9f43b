/* JSON <-> the document tree, through jansson. (To be written.) */
#include "edgegate/common.h"
#include "conf_int.h"

int eg_conf_json_parse(const char *data, size_t len, eg_cdoc_t *doc, eg_conf_msgs_t *m)
{
    (void)data;
    (void)len;
    (void)doc;
    eg_conf_msg(m, EG_CONF_ERROR, NULL, "JSON is not supported yet");
    return -1;
}

int eg_conf_json_write(const eg_cnode_t *root, eg_buf_t *out, eg_conf_msgs_t *m)
{
    (void)root;
    (void)out;
    eg_conf_msg(m, EG_CONF_ERROR, NULL, "JSON is not supported yet");
    return -1;
}
