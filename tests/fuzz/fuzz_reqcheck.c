/* The viewer head checks: input is "version\n" then "name:value\n" lines (NUL-free). Must
 * end, and a refusal must name a status and a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/reqcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *line, *save = NULL;
    eg_reqcheck_t r;
    int first = 1, st;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon;
        if (first) {
            eg_reqcheck_init(&r, line);
            first = 0;
            continue;
        }
        colon = strchr(line, ':');
        if (colon) {
            *colon = '\0';
            eg_reqcheck_field(&r, line, colon + 1);
        }
    }
    if (!first) {
        st = eg_reqcheck_end(&r);
        if (st != 0 && (st < 400 || r.reason == NULL))
            abort();
        if (st == 0 && r.body == EG_BODY_LENGTH && r.content_length == 0)
            abort();
    }
    free(buf);
    return 0;
}
