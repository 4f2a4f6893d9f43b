/* Configuration files: settings edgegate does not have are listed, one line each with where
 * they are; switched-off ones (false, "", none, Quantity 0) set nothing and are not. */
#include "conf_fixture.h"

static const char cli[] =
    "{\n"
    "    \"ETag\": \"E2QWRUHEXAMPLE\",\n"
    "    \"DistributionConfig\": {\n"
    "        \"CallerReference\": \"cli-example\",\n"
    "        \"Aliases\": {\"Quantity\": 0},\n"
    "        \"DefaultRootObject\": \"index.html\",\n"
    "        \"Origins\": {\"Quantity\": 1, \"Items\": [{\n"
    "            \"Id\": \"bucket.s3.amazonaws.com-cli-example\",\n"
    "            \"DomainName\": \"bucket.s3.amazonaws.com\", \"OriginPath\": \"\",\n"
    "            \"CustomHeaders\": {\"Quantity\": 0},\n"
    "            \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"},\n"
    "            \"ConnectionAttempts\": 3, \"ConnectionTimeout\": 10,\n"
    "            \"OriginShield\": {\"Enabled\": false}}]},\n"
    "        \"OriginGroups\": {\"Quantity\": 0},\n"
    "        \"DefaultCacheBehavior\": {\n"
    "            \"TargetOriginId\": \"bucket.s3.amazonaws.com-cli-example\",\n"
    "            \"TrustedSigners\": {\"Enabled\": false, \"Quantity\": 0},\n"
    "            \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0},\n"
    "            \"ViewerProtocolPolicy\": \"allow-all\",\n"
    "            \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"],\n"
    "                \"CachedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}},\n"
    "            \"SmoothStreaming\": false, \"Compress\": true,\n"
    "            \"LambdaFunctionAssociations\": {\"Quantity\": 0},\n"
    "            \"FunctionAssociations\": {\"Quantity\": 0},\n"
    "            \"FieldLevelEncryptionId\": \"\",\n"
    "            \"CachePolicyId\": \"658327ea-f89d-4fab-a63d-7e88639e58f6\"},\n"
    "        \"CacheBehaviors\": {\"Quantity\": 0},\n"
    "        \"CustomErrorResponses\": {\"Quantity\": 0},\n"
    "        \"Comment\": \"\",\n"
    "        \"Logging\": {\"Enabled\": false, \"IncludeCookies\": false, \"Bucket\": \"\", "
    "\"Prefix\": \"\"},\n"
    "        \"PriceClass\": \"PriceClass_All\",\n"
    "        \"Enabled\": true,\n"
    "        \"ViewerCertificate\": {\"CloudFrontDefaultCertificate\": true, "
    "\"MinimumProtocolVersion\": \"TLSv1\", \"CertificateSource\": \"cloudfront\"},\n"
    "        \"Restrictions\": {\"GeoRestriction\": {\"RestrictionType\": \"none\", "
    "\"Quantity\": 0}},\n"
    "        \"WebACLId\": \"\",\n"
    "        \"HttpVersion\": \"http2\",\n"
    "        \"IsIPV6Enabled\": true\n"
    "    }\n"
    "}\n";

int main(void)
{
    eg_dist_t d;
    eg_conf_msgs_t m = {0};
    eg_buf_t t = {0};
    size_t lines = 0;
    int rc;

    eg_conf_init();
    rc = eg_conf_read(cli, strlen(cli), "shop", &d, NULL, &m);
    eg_conf_msgs_format(&m, &t);
    fx_diag(t.data);
    ok(rc == 0 && m.nerrors == 0, "the AWS CLI's output reads");
    for (const char *p = t.data; p && (p = strstr(p, "ignored: ")); p++)
        lines++;
    is_int((long long)m.nignored, 8, "eight settings edgegate does not have");
    is_int((long long)lines, 8, "one line each");
    ok(strstr(t.data, "ignored: $.DistributionConfig.DefaultRootObject: edgegate has no such "
                      "setting (\"index.html\")\n") != NULL,
       "a setting: its JSON path and value");
    ok(strstr(t.data, "ignored: $.DistributionConfig.ViewerCertificate: edgegate has no such "
                      "setting (CloudFrontDefaultCertificate=true, MinimumProtocolVersion=\"TLSv1\","
                      " CertificateSource=\"cloudfront\")\n") != NULL,
       "an object: its settings");
    ok(strstr(t.data, "$.DistributionConfig.Origins.Items[0].ConnectionAttempts") &&
           strstr(t.data, "$.DistributionConfig.DefaultCacheBehavior.Compress") &&
           strstr(t.data, "$.DistributionConfig.PriceClass") &&
           strstr(t.data, "$.DistributionConfig.HttpVersion") &&
           strstr(t.data, "$.DistributionConfig.IsIPV6Enabled"),
       "inside origins and behaviors too");
    ok(!strstr(t.data, "Logging") && !strstr(t.data, "OriginShield") &&
           !strstr(t.data, "TrustedSigners") && !strstr(t.data, "Restrictions") &&
           !strstr(t.data, "SmoothStreaming") && !strstr(t.data, "WebACLId") &&
           !strstr(t.data, "ETag") &&
           !strstr(t.data, "OriginGroups"),
       "switched-off settings and the ETag are not listed");
    ok(strstr(t.data, "note: $.DistributionConfig.CallerReference: CallerReference cli-example "
                      "is not kept") != NULL,
       "the caller reference is noted");
    /* ConnectionTimeout 10 is CloudFront's default but still a setting edgegate lacks */
    ok(strstr(t.data, "ConnectionTimeout") != NULL, "a non-zero number is a setting");
    ok(d.n_behaviors == 1 && d.behaviors[0].min_ttl == 1 && d.behaviors[0].default_ttl == 86400 &&
           d.behaviors[0].max_ttl == 31536000,
       "Managed-CachingOptimized's TTLs");
    ok(d.n_origins == 1 && d.origins[0].type == EG_OT_S3 &&
           strcmp(d.origins[0].id, "bucket.s3.amazonaws.com-cli-example") == 0,
       "the S3 origin");
    eg_dist_clear(&d);
    eg_conf_msgs_free(&m);
    eg_buf_free(&t);

    /* XML: where is the line and the element */
    {
        eg_dist_t x;
        char *text, *xml, *msgs;
        fx_rich(&x);
        xml = fx_write(&x, EG_CONF_XML);
        text = fx_replace(xml, "\n  <Comment>shop", "\n  <PriceClass>PriceClass_100</PriceClass>\n  <Comment>shop");
        ok(fx_read(text, &d, &msgs) == 0, "XML with a setting edgegate lacks reads");
        ok(strstr(msgs, "ignored: line ") && strstr(msgs, ": /DistributionConfig/PriceClass: edgegate "
                                                          "has no such setting (\"PriceClass_100\")"),
           "XML: line and element");
        eg_dist_clear(&d);
        eg_dist_clear(&x);
        free(text);
        free(xml);
        free(msgs);
    }
    return done();
}
