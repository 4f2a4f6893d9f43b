/* What the configuration-file fuzz targets share: read the bytes as a file egctl import
 * would, and when they read, check the round trip the issue demands (written as XML and as
 * JSON, each reads back as the same distribution, and writes the same bytes again). Any
 * break of that is a crash (__builtin_trap), so libFuzzer and the replay report it. */
#ifndef EG_CONF_TARGET_H
#define EG_CONF_TARGET_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/buf.h"
#include "edgegate/conf.h"

static void fuzz_conf_round_trip(const eg_dist_t *d, int fmt)
{
    eg_conf_msgs_t m = {0};
    eg_buf_t first = {0}, again = {0};
    eg_dist_t back;
    if (eg_conf_write(d, fmt, &first, &m) < 0) {
        /* JSON cannot hold a value that is not UTF-8: the one refusal allowed */
        eg_conf_msgs_free(&m);
        eg_buf_free(&first);
        return;
    }
    if (eg_conf_read(first.data, first.len, d->info.id, &back, NULL, &m) < 0)
        __builtin_trap(); /* edgegate's own file does not read back */
    if (!eg_dist_equal(d, &back))
        __builtin_trap(); /* it reads back as another distribution */
    if (eg_conf_write(&back, fmt, &again, &m) < 0 || again.len != first.len ||
        memcmp(again.data, first.data, first.len) != 0)
        __builtin_trap(); /* written again, other bytes */
    eg_dist_clear(&back);
    eg_buf_free(&first);
    eg_buf_free(&again);
    eg_conf_msgs_free(&m);
}

static void fuzz_conf(const char *data, size_t size)
{
    static int ready;
    eg_conf_msgs_t m = {0};
    eg_dist_t d;
    if (!ready) {
        eg_conf_init();
        ready = 1;
    }
    if (eg_conf_read(data, size, "fuzz", &d, NULL, &m) == 0) {
        eg_buf_t diff = {0};
        fuzz_conf_round_trip(&d, EG_CONF_XML);
        fuzz_conf_round_trip(&d, EG_CONF_JSON);
        if (eg_conf_diff(&d, &d, &diff) != 0)
            __builtin_trap(); /* a distribution differs from itself */
        eg_buf_free(&diff);
    }
    eg_dist_clear(&d);
    eg_conf_msgs_free(&m);
}

/* data as the children of a DistributionConfig of namespace ns (the importer ns selects) */
static __attribute__((unused)) void fuzz_conf_wrapped(const char *ns, const uint8_t *data, size_t size)
{
    eg_buf_t doc = {0};
    eg_buf_printf(&doc, "<DistributionConfig xmlns=\"%s\">", ns);
    eg_buf_add(&doc, data, size);
    eg_buf_adds(&doc, "</DistributionConfig>");
    fuzz_conf(doc.data, doc.len);
    eg_buf_free(&doc);
}

#endif
