/* The settings tables: parsing, formatting, defaults, cross-field rules. */
#include "edgegate/common.h"
#include "edgegate/config.h"
#include "tap.h"

static const eg_field_t *of(const char *n)
{
    return eg_field_find(eg_origin_fields, eg_origin_nfields, n);
}
static const eg_field_t *bf(const char *n)
{
    return eg_field_find(eg_behavior_fields, eg_behavior_nfields, n);
}

int main(void)
{
    eg_origin_t o;
    eg_behavior_t b;
    char buf[256], err[256];

    memset(&o, 0, sizeof(o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &o);
    is_int(o.protocol, EG_OPP_HTTP_ONLY, "default origin protocol http-only");
    is_int(o.ssl_protocols, EG_SSL_TLSV1_2, "default SSL protocols TLSv1.2");
    is_int(o.https_port, 443, "default HTTPS port");
    ok(eg_field_parse(of("protocol"), &o, "match-viewer", err, sizeof(err)) == 0,
       "match-viewer parses");
    ok(eg_field_parse(of("protocol"), &o, "https", err, sizeof(err)) < 0, "'https' refused");
    is_str(err, "--protocol: 'https' is not one of: http-only, https-only, match-viewer",
           "the reason lists the choices");
    ok(eg_field_parse(of("ssl-protocols"), &o, "TLSv1,TLSv1.2", err, sizeof(err)) == 0,
       "a protocol set parses");
    eg_field_format(of("ssl-protocols"), &o, buf, sizeof(buf));
    is_str(buf, "TLSv1,TLSv1.2", "and formats back");
    ok(eg_field_parse(of("ssl-protocols"), &o, "TLSv1.3", err, sizeof(err)) < 0,
       "TLSv1.3 is not an origin SSL protocol name");
    ok(eg_field_parse(of("http-port"), &o, "70000", err, sizeof(err)) < 0, "port bound");
    ok(eg_field_parse(of("http-port"), &o, "80x", err, sizeof(err)) < 0, "port must be a number");
    ok(eg_field_parse(of("domain"), &o, "a\nb", err, sizeof(err)) < 0, "control chars refused");

    strcpy(o.id, "s3w");
    strcpy(o.domain, "bucket.s3-website.example");
    o.type = EG_OT_S3_WEBSITE;
    o.protocol = EG_OPP_HTTPS_ONLY;
    ok(eg_origin_validate(&o, err, sizeof(err)) < 0, "s3-website with HTTPS is refused");
    o.protocol = EG_OPP_HTTP_ONLY;
    ok(eg_origin_validate(&o, err, sizeof(err)) == 0, "s3-website http-only is fine");
    o.type = EG_OT_S3;
    ok(eg_origin_validate(&o, err, sizeof(err)) < 0, "s3 must be match-viewer");
    o.protocol = EG_OPP_MATCH_VIEWER;
    ok(eg_origin_validate(&o, err, sizeof(err)) == 0, "s3 match-viewer is fine");
    strcpy(o.origin_path, "/prefix/");
    ok(eg_origin_validate(&o, err, sizeof(err)) < 0, "origin path may not end with /");

    memset(&b, 0, sizeof(b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
    is_int(b.allowed_methods, EG_AM_GET_HEAD, "default methods GET,HEAD");
    ok(eg_field_parse(bf("methods"), &b, "ALL", err, sizeof(err)) == 0 &&
           b.allowed_methods == EG_AM_ALL,
       "ALL means the seven methods");
    ok(eg_field_parse(bf("forward-host"), &b, "yes", err, sizeof(err)) == 0 && b.forward_host,
       "booleans take yes");
    b.allowed_methods = EG_AM_GET_HEAD;
    b.cached_methods = EG_AM_GET_HEAD_OPTIONS;
    ok(eg_behavior_validate(&b, err, sizeof(err)) < 0, "cached methods must be allowed");
    b.cached_methods = EG_AM_GET_HEAD;
    b.min_ttl = 100;
    b.default_ttl = 10;
    ok(eg_behavior_validate(&b, err, sizeof(err)) < 0, "min-ttl <= default-ttl");

    ok(eg_pattern_normalize("images/*", buf, sizeof(buf), err, sizeof(err)) == 0, "normalize");
    is_str(buf, "/images/*", "a leading slash is added");
    eg_pattern_normalize("*", buf, sizeof(buf), err, sizeof(err));
    is_str(buf, "*", "the default stays *");
    ok(eg_pattern_normalize("/a b", buf, sizeof(buf), err, sizeof(err)) < 0, "spaces refused");
    ok(eg_aliases_normalize(" A.example , b.example,", buf, sizeof(buf), err, sizeof(err)) == 0,
       "aliases normalize");
    is_str(buf, "a.example,b.example", "lower case, trimmed");
    ok(eg_aliases_normalize("a/b", buf, sizeof(buf), err, sizeof(err)) < 0, "bad alias refused");
    ok(eg_id_validate("origin", "web-1.a_b", err, sizeof(err)) == 0, "ids take - _ .");
    ok(eg_id_validate("origin", "a b", err, sizeof(err)) < 0, "ids take no spaces");
    return done();
}
