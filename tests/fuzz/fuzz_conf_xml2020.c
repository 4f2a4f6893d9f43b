/* The 2020-05-31 XML importer: the input is a DistributionConfig's contents (the root element
 * and its namespace are added, so every input reaches the importer). */
#include "conf_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_conf_wrapped("http://cloudfront.amazonaws.com/doc/2020-05-31/", data, size);
    return 0;
}
