/* XML <-> the document tree, through libxml2. (To be written.) */
#include "edgegate/common.h"
#include "conf_int.h"

void eg_conf_init(void)
{
}

int eg_conf_xml_parse(const char *data, size_t len, eg_cdoc_t *doc, eg_conf_msgs_t *m)
{
    (void)data;
    (void)len;
    (void)doc;
    eg_conf_msg(m, EG_CONF_ERROR, NULL, "XML is not supported yet");
    return -1;
}

int eg_conf_xml_write(const eg_cnode_t *root, const char *ns, eg_buf_t *out, eg_conf_msgs_t *m)
{
    (void)root;
    (void)ns;
    (void)out;
    eg_conf_msg(m, EG_CONF_ERROR, NULL, "XML is not supported yet");
    return -1;
}
