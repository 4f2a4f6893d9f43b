/* The console's decoders and writer (web.h): the input is a form body; its decoded values are
 * written back through the escaping writer, and whatever comes out must hold no markup
 * character unescaped. The input is also read as a Cookie header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eg_web_kvs_t kv = {0};
    char *s = malloc(size + 1), cookie[64];
    memcpy(s, data, size);
    s[size] = '\0';
    if (eg_web_form_parse((const char *)data, size, 256, &kv) == 0) {
        for (size_t i = 0; i < kv.n; i++) {
            eg_buf_t b = {0};
            eg_web_printf(&b, "<p title=\"%s\">%s</p>%u", kv.v[i].name, kv.v[i].value,
                          kv.v[i].value);
            /* between the markup the format wrote, no < > " may remain */
            if (b.len < 16 || strpbrk(b.data + 10, "<>\"") != strstr(b.data + 10, "\">"))
                abort();
            eg_buf_free(&b);
        }
        eg_web_kvs_free(&kv);
    }
    eg_web_cookie(s, "eg_session", cookie, sizeof(cookie));
    free(s);
    return 0;
}
