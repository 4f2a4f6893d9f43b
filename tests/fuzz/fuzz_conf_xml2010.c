/* The 2010-11-01 XML importer (seed 002's shape): the input is a DistributionConfig's
 * contents (the root element and its namespace are added). */
#include "conf_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_conf_wrapped("http://cloudfront.amazonaws.com/doc/2010-11-01/", data, size);
    return 0;
}
