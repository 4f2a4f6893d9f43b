/* Configuration files, error class: a behavior naming an origin the file does not have. */
#include "conf_fixture.h"

int main(void)
{
    eg_dist_t d;
    char *xml, *json;
    fx_start(&d, &xml, &json);
    {
        char *bad = fx_replace(xml, "<TargetOriginId>bucket</TargetOriginId>",
                               "<TargetOriginId>nosuch</TargetOriginId>");
        const char *says[] = {"/CacheBehaviors/Items/CacheBehavior[5]/TargetOriginId: behavior "
                              "/images/*.jpg: no origin \"nosuch\" in Origins",
                              "error: line ", NULL};
        fx_refused("a cache behavior's unknown origin (XML)", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(json, "\"TargetOriginId\": \"web\"", "\"TargetOriginId\": \"Web\"");
        /* ids are compared exactly: Web is not web */
        const char *says[] = {"$.DistributionConfig.DefaultCacheBehavior.TargetOriginId: behavior "
                              "*: no origin \"Web\" in Origins",
                              NULL};
        fx_refused("the default behavior's unknown origin (JSON)", bad, says);
        free(bad);
    }
    {
        char *bad = fx_replace(xml, "<Id>site</Id>", "<Id>bucket</Id>");
        const char *says[] = {"origin Id bucket appears twice", NULL};
        fx_refused("two origins with one Id", bad, says);
        free(bad);
    }
    {
        const char *says[] = {"/DistributionConfig/Origins: no origin", NULL};
        fx_refused("no origin at all",
                   "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"
                   "<CallerReference>x</CallerReference><Origins><Quantity>0</Quantity></Origins>"
                   "<DefaultCacheBehavior><TargetOriginId>o</TargetOriginId>"
                   "<ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>"
                   "<ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none"
                   "</Forward></Cookies></ForwardedValues><MinTTL>0</MinTTL>"
                   "</DefaultCacheBehavior><Comment/><Enabled>true</Enabled>"
                   "</DistributionConfig>",
                   says);
    }
    {
        char *bad = fx_replace(xml, "<DefaultCacheBehavior>", "<DefaultCacheBehaviour>");
        char *bad2 = fx_replace(bad, "</DefaultCacheBehavior>", "</DefaultCacheBehaviour>");
        const char *says[] = {"missing DefaultCacheBehavior", NULL};
        fx_refused("no default behavior", bad2, says);
        free(bad);
        free(bad2);
    }
    free(xml);
    free(json);
    eg_dist_clear(&d);
    return done();
}
