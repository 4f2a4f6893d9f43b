/* A distribution as CloudFront's 2020-05-31 DistributionConfig. (To be written.) */
#include "edgegate/common.h"
#include "conf_int.h"

eg_cnode_t *eg_conf_export_tree(const eg_dist_t *d, eg_conf_msgs_t *m)
{
    (void)d;
    (void)m;
    return eg_cn_add(NULL, "DistributionConfig", EG_CN_OBJECT);
}

int eg_conf_write(const eg_dist_t *d, int fmt, eg_buf_t *out, eg_conf_msgs_t *msgs)
{
    (void)d;
    (void)fmt;
    (void)out;
    eg_conf_msg(msgs, EG_CONF_ERROR, NULL, "writing configuration files is not supported yet");
    return -1;
}

void eg_conf_fingerprint(const eg_dist_t *d, char *out, size_t outlen)
{
    (void)d;
    snprintf(out, outlen, "%s", "0");
}
