/* The JSON importer: the input is the whole file, as `aws cloudfront get-distribution-config`
 * prints it or the DistributionConfig alone (and anything else: the kind is told by content). */
#include "conf_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_conf((const char *)data, size);
    return 0;
}
