/* The chunked decoder, fed in pieces whose sizes the input chooses. */
#include <stdlib.h>
#include <string.h>

#include "edgegate/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eg_chunked_t c = {0};
    size_t step, i;
    char *buf;
    if (size < 1)
        return 0;
    step = (size_t)(data[0] % 16) + 1;
    buf = malloc(size);
    for (i = 1; i < size; i += step) {
        size_t n = size - i < step ? size - i : step, out = 0;
        memcpy(buf, data + i, n);
        if (eg_chunked_decode(&c, buf, n, &out) != 0 || out > n)
            break;
    }
    free(buf);
    return 0;
}
