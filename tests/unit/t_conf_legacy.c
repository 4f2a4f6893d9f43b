/* Configuration files: CloudFront's 2010-11-01 DistributionConfig (seed 002). */
#include "conf_fixture.h"

/* the seed's example as the page prints it */
static const char seed[] =
    "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2010-11-01/\">\n"
    "<S3Origin>\n"
    "<DNSName>myawsbucket.s3.amazonaws.com</DNSName>\n"
    "</S3Origin>\n"
    "<CallerReference>20120229090000</CallerReference>\n"
    "<Comment>My comments</Comment>\n"
    "<Enabled>true</Enabled>\n"
    "<Logging>\n"
    "<Bucket>myawslogbucket.s3.amazonaws.com</Bucket>\n"
    "<Prefix>myprefix/</Prefix>\n"
    "</Logging>\n"
    "<RequiredProtocols>\n"
    "<Protocol>https</Protocol>\n"
    "</RequiredProtocols>\n"
    "</DistributionConfig>";

static const char custom[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2010-11-01/\">\n"
    "  <CustomOrigin>\n"
    "    <DNSName>www.example.com</DNSName>\n"
    "    <HTTPPort>8080</HTTPPort>\n"
    "    <OriginProtocolPolicy>match-viewer</OriginProtocolPolicy>\n"
    "  </CustomOrigin>\n"
    "  <CallerReference>shop</CallerReference>\n"
    "  <CNAME>Static.Example.com</CNAME>\n"
    "  <CNAME>img.example.com</CNAME>\n"
    "  <Comment></Comment>\n"
    "  <Enabled>false</Enabled>\n"
    "</DistributionConfig>\n";

int main(void)
{
    eg_dist_t d;
    char *msgs;
    int kind = -1;
    eg_conf_msgs_t m = {0};

    eg_conf_init();
    ok(eg_conf_read(seed, strlen(seed), "shop", &d, &kind, &m) == 0 &&
           kind == EG_CONF_KIND_XML2010,
       "seed 002's example reads as 2010-11-01");
    eg_conf_msgs_free(&m);
    ok(d.n_origins == 1 && d.origins[0].type == EG_OT_S3 &&
           d.origins[0].protocol == EG_OPP_MATCH_VIEWER &&
           strcmp(d.origins[0].domain, "myawsbucket.s3.amazonaws.com") == 0 &&
           strcmp(d.origins[0].id, "S3-myawsbucket") == 0,
       "one S3 origin, named S3-myawsbucket");
    ok(d.n_behaviors == 1 && strcmp(d.behaviors[0].path_pattern, "*") == 0 &&
           d.behaviors[0].viewer_protocol == EG_VPP_HTTPS_ONLY &&
           strcmp(d.behaviors[0].origin_id, "S3-myawsbucket") == 0,
       "RequiredProtocols https: the default behavior is https-only");
    is_str(d.info.comment, "My comments", "the comment");
    ok(d.info.enabled == 1, "enabled");
    eg_dist_clear(&d);
    fx_read(seed, &d, &msgs);
    ok(strstr(msgs, "ignored: line 8: /DistributionConfig/Logging: edgegate has no such setting "
                    "(Bucket=\"myawslogbucket.s3.amazonaws.com\", Prefix=\"myprefix/\")") != NULL,
       "Logging is listed as ignored, with its line");
    free(msgs);
    eg_dist_clear(&d);

    ok(fx_read(custom, &d, &msgs) == 0, "a CustomOrigin with CNAMEs reads");
    ok(d.n_origins == 1 && d.origins[0].type == EG_OT_CUSTOM && d.origins[0].http_port == 8080 &&
           d.origins[0].protocol == EG_OPP_MATCH_VIEWER &&
           strcmp(d.origins[0].id, "Custom-www.example.com") == 0,
       "its origin");
    is_str(d.info.aliases, "img.example.com,static.example.com", "CNAMEs: the aliases, lower case");
    ok(d.info.enabled == 0, "disabled");
    ok(d.behaviors[0].viewer_protocol == EG_VPP_ALLOW_ALL,
       "no RequiredProtocols: HTTP and HTTPS (allow-all)");
    free(msgs);
    eg_dist_clear(&d);

    {
        char *bad = fx_replace(seed, "<Protocol>https</Protocol>", "<Protocol>http</Protocol>");
        const char *says[] = {"line 13: /DistributionConfig/RequiredProtocols/Protocol",
                              "the only protocol RequiredProtocols takes is https", NULL};
        fx_refused("RequiredProtocols http", bad, says);
        free(bad);
        bad = fx_replace(seed, "<Protocol>https</Protocol>", "");
        {
            const char *says2[] = {"RequiredProtocols", NULL};
            fx_refused("an empty RequiredProtocols", bad, says2);
        }
        free(bad);
        bad = fx_replace(seed, "<S3Origin>", "<CustomOrigin><DNSName>a.example</DNSName>"
                                             "<OriginProtocolPolicy>http-only</OriginProtocolPolicy>"
                                             "</CustomOrigin><S3Origin>");
        {
            const char *says3[] = {"exactly one of S3Origin and CustomOrigin", NULL};
            fx_refused("both origins", bad, says3);
        }
        free(bad);
        bad = fx_replace(custom, "match-viewer", "https-only");
        {
            const char *says4[] = {"\"https-only\" is not one of http-only, match-viewer", NULL};
            fx_refused("a protocol the 2010 API did not have", bad, says4);
        }
        free(bad);
    }
    /* without a namespace, recognised by its origin element */
    {
        char *bare = fx_replace(seed, " xmlns=\"http://cloudfront.amazonaws.com/doc/2010-11-01/\"", "");
        ok(fx_read(bare, &d, &msgs) == 0 && strstr(msgs, "read as 2010-11-01") &&
               d.behaviors[0].viewer_protocol == EG_VPP_HTTPS_ONLY,
           "no namespace: read as 2010-11-01, said so");
        free(msgs);
        free(bare);
        eg_dist_clear(&d);
    }
    return done();
}
