/* Configuration files, error class: values each well formed that break a rule egctl applies
 * (the same functions check them: eg_field_parse, the *_validate rules, patterns). */
#include "conf_fixture.h"

#define one fx_one

int main(void)
{
    eg_dist_t d;
    char *xml, *json;
    fx_start(&d, &xml, &json);
    one("an S3 website endpoint over HTTPS", xml,
        "<DomainName>site.s3-website-eu-west-1.amazonaws.com</DomainName>\n        <OriginPath></OriginPath>\n        <CustomOriginConfig>\n          <HTTPPort>80</HTTPPort>\n          <HTTPSPort>443</HTTPSPort>\n          <OriginProtocolPolicy>http-only",
        "<DomainName>site.s3-website-eu-west-1.amazonaws.com</DomainName>\n        <OriginPath></OriginPath>\n        <CustomOriginConfig>\n          <HTTPPort>80</HTTPPort>\n          <HTTPSPort>443</HTTPSPort>\n          <OriginProtocolPolicy>https-only",
        "s3-website origin cannot use HTTPS", "Origin[2]");
    one("TTLs out of order", xml, "<MinTTL>5</MinTTL>", "<MinTTL>99999999</MinTTL>", "TTL",
        "CacheBehavior[5]");
    one("a header edgegate writes itself", xml, "<Name>Accept-Language</Name>",
        "<Name>Accept-Encoding</Name>", "Accept-Encoding", "normalizes");
    one("Authorization forwarded without keying", xml, "<Name>Origin</Name>",
        "<Name>Authorization</Name>", "Authorization", "OriginRequestPolicyConfig");
    one("a pattern CloudFront refuses", xml, "<PathPattern>/images/*.jpg</PathPattern>",
        "<PathPattern>/images/&lt;x&gt;.jpg</PathPattern>", "CacheBehavior[5]/PathPattern", "line ");
    one("a pattern CloudFront refuses (escaped)", xml, "<PathPattern>/images/*.jpg</PathPattern>",
        "<PathPattern>/images/a b.jpg</PathPattern>", "CacheBehavior[5]/PathPattern", "line ");
    one("two behaviors with one pattern after normalizing", xml,
        "<PathPattern>/images/*.jpg</PathPattern>", "<PathPattern>api/./*</PathPattern>",
        "path pattern /api/* appears twice", "CacheBehavior[5]");
    one("the default pattern among the cache behaviors", xml,
        "<PathPattern>/images/*.jpg</PathPattern>", "<PathPattern>*</PathPattern>",
        "* is the default behavior's pattern", "line ");
    one("an origin id edgegate cannot hold", xml, "<Id>web</Id>", "<Id>..</Id>", "origin id",
        "Id");
    one("an alias that is no host name", xml, "<CNAME>shop.example.com</CNAME>",
        "<CNAME>shop..example.com</CNAME>", "/DistributionConfig/Aliases", "line ");
    one("a min TTL where fields go unkeyed", xml,
        "<Name>shop-behavior-2-cache</Name>\n          <DefaultTTL>86400</DefaultTTL>\n          <MaxTTL>31536000</MaxTTL>\n          <MinTTL>0</MinTTL>",
        "<Name>shop-behavior-2-cache</Name>\n          <DefaultTTL>86400</DefaultTTL>\n          <MaxTTL>31536000</MaxTTL>\n          <MinTTL>60</MinTTL>",
        "min-ttl", "CacheBehavior[2]");
    one("no SSL protocol", xml,
        "<OriginSslProtocols>\n            <Quantity>2</Quantity>\n            <Items>\n              <SslProtocol>TLSv1.1</SslProtocol>\n              <SslProtocol>TLSv1.2</SslProtocol>\n            </Items>\n          </OriginSslProtocols>",
        "<OriginSslProtocols><Quantity>0</Quantity></OriginSslProtocols>",
        "OriginSslProtocols: no SSL protocol named", "Origin[3]");
    one("an S3 origin and a custom one at once", xml,
        "<S3OriginConfig>", "<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig><S3OriginConfig>",
        "exactly one of S3OriginConfig and CustomOriginConfig", "Origin[1]");
    free(xml);
    free(json);
    eg_dist_clear(&d);
    return done();
}
