/* Configuration files, error class: a value that is not one of the choices. */
#include "conf_fixture.h"

#define one(text, from, to, s1, s2) fx_one((to), (text), (from), (to), (s1), (s2))

int main(void)
{
    eg_dist_t d;
    char *xml, *json;
    fx_start(&d, &xml, &json);
    one(xml, "<ViewerProtocolPolicy>https-only", "<ViewerProtocolPolicy>https-please",
        "CacheBehavior[1]/ViewerProtocolPolicy: 'https-please' is not one of: allow-all, "
        "redirect-to-https, https-only",
        "line ");
    one(json, "\"ViewerProtocolPolicy\": \"https-only\"", "\"ViewerProtocolPolicy\": \"HTTPS-only\"",
        "$.DistributionConfig.CacheBehaviors.Items[0].ViewerProtocolPolicy", "'HTTPS-only'");
    one(xml, "<OriginProtocolPolicy>https-only", "<OriginProtocolPolicy>tls-only",
        "OriginProtocolPolicy: 'tls-only' is not one of", "line ");
    one(xml, "<SslProtocol>TLSv1.1</SslProtocol>", "<SslProtocol>TLSv1.3</SslProtocol>",
        "OriginSslProtocols", "TLSv1.3");
    one(xml, "<Method>PUT</Method>", "<Method>PURGE</Method>",
        "\"PURGE\" is not a method CloudFront allows", "line ");
    one(xml, "<Method>PUT</Method>", "<Method>GET</Method>", "GET is named twice", "line ");
    one(xml, "<Quantity>7</Quantity>\n          <Items>\n            <Method>GET</Method>\n            <Method>HEAD</Method>\n            <Method>OPTIONS</Method>\n            <Method>PUT</Method>",
        "<Quantity>6</Quantity>\n          <Items>\n            <Method>GET</Method>\n            <Method>HEAD</Method>\n            <Method>OPTIONS</Method>",
        "allowed methods are GET, HEAD; GET, HEAD, OPTIONS; or all seven", "AllowedMethods");
    one(xml, "<Forward>all</Forward>", "<Forward>some</Forward>",
        "\"some\" is not one of none, whitelist, all", "Cookies/Forward");
    one(xml, "<HeaderBehavior>allViewer</HeaderBehavior>", "<HeaderBehavior>everything</HeaderBehavior>",
        "\"everything\" is not one of", "HeaderBehavior");
    one(xml, "<QueryStringBehavior>all</QueryStringBehavior>",
        "<QueryStringBehavior>whitelist</QueryStringBehavior>",
        "edgegate keys the cache on all query strings or none", "QueryStringBehavior");
    one(xml, "<Enabled>true</Enabled>", "<Enabled>yes</Enabled>",
        "/DistributionConfig/Enabled: expected true or false, got \"yes\"", "line ");
    one(xml, "<HTTPSPort>8443</HTTPSPort>", "<HTTPSPort>70000</HTTPSPort>",
        "HTTPSPort: 70000 is out of range (1 to 65535)", "line ");
    one(xml, "<HTTPSPort>8443</HTTPSPort>", "<HTTPSPort>84x3</HTTPSPort>",
        "HTTPSPort: expected a whole number from 1 to 65535, got \"84x3\"", "line ");
    free(xml);
    free(json);
    eg_dist_clear(&d);
    return done();
}
