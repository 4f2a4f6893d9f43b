/* egctl's JSON output, through jansson: listings, invalidations, users, the audit, try. */
#include "edgegate/common.h"
#include "egctl.h"

json_t *egctl_json_str(const char *s)
{
    json_t *v = json_string(s);
    char *copy;
    if (v)
        return v;
    /* not UTF-8 (a value stored before edgegate checked, or bytes from elsewhere) */
    copy = eg_strdup(s);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v ? v : json_string("");
}

json_t *egctl_json_fields(const eg_field_t *f, size_t n, const void *obj)
{
    json_t *o = json_object();
    char buf[2048];
    for (size_t i = 0; i < n; i++) {
        json_t *v;
        eg_field_format(&f[i], obj, buf, sizeof(buf));
        if (f[i].type == EG_FT_INT)
            v = json_integer(strtoll(buf, NULL, 10));
        else if (f[i].type == EG_FT_BOOL)
            v = json_boolean(strcmp(buf, "true") == 0);
        else
            v = egctl_json_str(buf);
        json_object_set_new(o, f[i].name, v);
    }
    return o;
}

void egctl_json_print(json_t *v)
{
    if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
        putchar('\n');
    json_decref(v);
}
