/* Configuration files: a distribution written and read back is the same distribution, and
 * written again the same bytes, in XML and in JSON and across the two. */
#include "conf_fixture.h"

static void round_trip(const char *name, const eg_dist_t *d, int fmt)
{
    char *first = fx_write(d, fmt), *msgs, *again;
    eg_dist_t back;
    int rc = fx_read(first, &back, &msgs);
    if (!ok(rc == 0, "%s: the export reads back", name))
        fx_diag(msgs);
    ok(eg_dist_equal(d, &back), "%s: the same distribution", name);
    again = fx_write(&back, fmt);
    ok(strcmp(first, again) == 0, "%s: written again, the same bytes", name);
    free(first);
    free(again);
    free(msgs);
    eg_dist_clear(&back);
}

int main(void)
{
    eg_dist_t d, back;
    char *xml, *json, *msgs, *xml2, fp1[32], fp2[32];

    eg_conf_init();
    fx_rich(&d);
    round_trip("rich, XML", &d, EG_CONF_XML);
    round_trip("rich, JSON", &d, EG_CONF_JSON);

    /* across the formats: JSON read gives the XML export again */
    json = fx_write(&d, EG_CONF_JSON);
    ok(fx_read(json, &back, &msgs) == 0, "JSON reads");
    free(msgs);
    xml = fx_write(&d, EG_CONF_XML);
    xml2 = fx_write(&back, EG_CONF_XML);
    ok(strcmp(xml, xml2) == 0, "JSON -> XML is the XML export");
    eg_dist_clear(&back);

    /* the shape */
    {
        const char *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DistributionConfig "
                           "xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">\n"
                           "  <CallerReference>shop</CallerReference>\n";
        ok(strncmp(xml, head, strlen(head)) == 0,
           "XML: declaration, namespace, CallerReference first");
    }
    ok(strstr(xml, "<Comment>shop &amp; co &lt;main&gt; \xc3\xa9t\xc3\xa9 \"quoted\"</Comment>") != NULL,
       "XML: text escaped, UTF-8 kept");
    ok(strstr(xml, "<S3OriginConfig>") && strstr(xml, "<ForwardedValues>") &&
           strstr(xml, "<CachePolicyConfig>") && strstr(xml, "<OriginRequestPolicyConfig>") &&
           strstr(xml, "<HeaderBehavior>allExcept</HeaderBehavior>") &&
           strstr(xml, "<HeaderBehavior>allViewer</HeaderBehavior>") &&
           strstr(xml, "<ErrorCachingMinTTL>30</ErrorCachingMinTTL>"),
       "XML: every shape is used by the fixture");
    ok(strncmp(json, "{\n    \"ETag\": \"E", 16) == 0 &&
           strstr(json, "\n    \"DistributionConfig\": {\n        \"CallerReference\": \"shop\",") &&
           strstr(json, "\"Quantity\": 3,") && strstr(json, "\"Enabled\": true\n") &&
           json[strlen(json) - 1] == '\n',
       "JSON: the CLI's wrapper, four-space indent, numbers and booleans bare");

    /* the fingerprint follows the settings, nothing else */
    eg_conf_fingerprint(&d, fp1, sizeof(fp1));
    eg_conf_fingerprint(&d, fp2, sizeof(fp2));
    ok(strlen(fp1) == 15 && fp1[0] == 'E' && strcmp(fp1, fp2) == 0, "fingerprint %s is stable",
       fp1);
    d.behaviors[0].rev = 99;
    eg_conf_fingerprint(&d, fp2, sizeof(fp2));
    ok(strcmp(fp1, fp2) == 0, "a revision does not change it");
    d.behaviors[0].viewer_protocol = EG_VPP_ALLOW_ALL;
    eg_conf_fingerprint(&d, fp2, sizeof(fp2));
    ok(strcmp(fp1, fp2) != 0, "a setting does");
    ok(strstr(json, fp1) != NULL, "the JSON's ETag is the fingerprint");

    /* a minimal distribution: one origin, the default behavior */
    {
        eg_dist_t m;
        memset(&m, 0, sizeof(m));
        eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &m.info);
        strcpy(m.info.id, "shop");
        fx_origin(&m, "o", "o.example");
        fx_behavior(&m, "*", "o");
        round_trip("minimal, XML", &m, EG_CONF_XML);
        round_trip("minimal, JSON", &m, EG_CONF_JSON);
        m.info.enabled = 0;
        round_trip("disabled", &m, EG_CONF_JSON);
        eg_dist_clear(&m);
    }

    /* an S3 origin's ports have no place in the file: a note, and the defaults read back */
    {
        eg_conf_msgs_t m = {0};
        eg_buf_t b = {0}, t = {0};
        d.origins[0].http_port = 8080;
        eg_conf_write(&d, EG_CONF_XML, &b, &m);
        eg_conf_msgs_format(&m, &t);
        ok(m.nerrors == 0 && t.data && strstr(t.data, "note: origin bucket: http-port 8080 is not in the file"),
           "an S3 origin's port is said to be left out");
        eg_buf_free(&b);
        eg_buf_free(&t);
        eg_conf_msgs_free(&m);
    }

    free(xml);
    free(xml2);
    free(json);
    eg_dist_clear(&d);
    return done();
}
