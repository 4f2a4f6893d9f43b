#!/usr/bin/env python3
"""Configuration files end to end, through egctl and the running gateway: a distribution
exported, imported into an empty database and exported again gives the same bytes (XML and
JSON); the legacy 2010-11-01 example of seed 002 imported and then enforced by the gateway
(HTTP refused with 403); an import is all or nothing (a file with an error changes nothing and
says where); --dry-run writes nothing; --strict refuses settings edgegate does not have; hostile
XML (an external entity, billion laughs) is refused without anything read or fetched.
Every test runs under an alarm, so a hang fails it instead of stalling the suite."""
import json
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import EGCTL, db_rows, free_port, main, request, test, wait_port  # noqa: E402
from harness import within as timeout  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                    "seeds", "002_8147788cd1efb744.txt")

# The example of seed 002 as the page prints it (kept here too, so the test runs where the
# seeds are not checked out beside the project).
SEED_EXAMPLE = """<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2010-11-01/">
<S3Origin>
<DNSName>myawsbucket.s3.amazonaws.com</DNSName>
</S3Origin>
<CallerReference>20120229090000</CallerReference>
<Comment>My comments</Comment>
<Enabled>true</Enabled>
<Logging>
<Bucket>myawslogbucket.s3.amazonaws.com</Bucket>
<Prefix>myprefix/</Prefix>
</Logging>
<RequiredProtocols>
<Protocol>https</Protocol>
</RequiredProtocols>
</DistributionConfig>"""


def seed_example():
    """The example out of the seed page itself when it is there, else the copy above."""
    try:
        with open(SEED, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return SEED_EXAMPLE
    m = re.search(r"<DistributionConfig .*?</DistributionConfig>", text, re.S)
    assert m, "seed 002 holds the example"
    assert m.group(0) == SEED_EXAMPLE, "the copy in this test is the seed's"
    return m.group(0)


def write(env, name, text):
    path = env.path(name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def egctl_db(env, db, *args, input=None):
    return env.run(EGCTL, "--db", db, *args, check=False, input=input)


def ok(r):
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r


def refused(r, *says):
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    for s in says:
        assert s in r.stderr, (s, r.stderr)
    return r


def export(env, *args, db=None):
    return ok(egctl_db(env, db or env.db, *args, "export")).stdout


def origin(env, name="origin"):
    """An nginx origin that answers every path with its name."""
    port = free_port()
    server = """
    server {
        listen 127.0.0.1:%d;
        location / { return 200 "from-%s uri=$request_uri\\n"; }
    }""" % (port, name)
    p, _ = env.nginx([server], name)
    wait_port(port, proc=p)
    return port


def rich_distribution(env):
    """A distribution using every kind of setting the files carry."""
    env.egctl("dist", "set", "default", "--aliases", "www.example.com,shop.example.com",
              "--comment", "shop & co <main>", "--error-caching-min-ttl", "30")
    env.egctl("origin", "add", "web", "--domain", "www.origin.example", "--path", "/site",
              "--protocol", "https-only", "--https-port", "8443",
              "--ssl-protocols", "TLSv1.1,TLSv1.2", "--read-timeout", "20",
              "--keepalive-timeout", "9")
    env.egctl("origin", "add", "bucket", "--domain", "bucket.s3.amazonaws.com", "--type", "s3")
    env.egctl("origin", "add", "site", "--domain", "site.s3-website-eu-west-1.amazonaws.com",
              "--type", "s3-website")
    env.egctl("behavior", "add", "/api/*", "--origin", "web", "--viewer-protocol",
              "https-only", "--methods", "ALL", "--cached-methods", "GET,HEAD,OPTIONS",
              "--min-ttl", "0", "--default-ttl", "0", "--max-ttl", "60",
              "--cache-headers", "Accept-Language,X-Api-Version", "--cache-cookies", "session",
              "--forward-host", "true")
    env.egctl("behavior", "add", "/account/*", "--origin", "web", "--viewer-protocol",
              "redirect-to-https", "--origin-headers", "all-viewer", "--origin-cookies", "all",
              "--forward-query", "false")
    env.egctl("behavior", "add", "images/*.jpg", "--origin", "bucket", "--viewer-protocol",
              "redirect-to-https", "--cache-cookies", "all")
    env.egctl("behavior", "set", "*", "--viewer-protocol", "redirect-to-https")


@test
@timeout(120)
def export_import_export_gives_the_same_bytes_in_xml_and_json(env):
    rich_distribution(env)
    for fmt in ("xml", "json"):
        first = export(env, "--format", fmt)
        path = write(env, "export." + fmt, first)
        empty = env.path("empty-%s.db" % fmt)
        ok(egctl_db(env, empty, "init"))
        r = ok(egctl_db(env, empty, "import", path))
        assert "imported" in r.stdout, r.stdout
        again = export(env, "--format", fmt, db=empty)
        assert again == first, "%s round trip:\n%s\n---\n%s" % (fmt, first, again)
        # the stored rows are the same too, as egctl lists them
        for kind in ("origin", "behavior", "dist"):
            a = json.loads(ok(egctl_db(env, env.db, "--json", kind, "list")).stdout)
            b = json.loads(ok(egctl_db(env, empty, "--json", kind, "list")).stdout)
            assert a == b, (kind, a, b)
    xml = export(env)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'
                          '<DistributionConfig xmlns='
                          '"http://cloudfront.amazonaws.com/doc/2020-05-31/">'), xml[:200]
    assert "<PathPattern>/images/*.jpg</PathPattern>" in xml, "patterns are saved normalized"
    assert "shop &amp; co &lt;main&gt;" in xml, "text is escaped"
    doc = json.loads(export(env, "--format", "json"))
    assert set(doc) == {"ETag", "DistributionConfig"}, "as aws cloudfront get-distribution-config"
    cfg = doc["DistributionConfig"]
    assert cfg["Origins"]["Quantity"] == 3 == len(cfg["Origins"]["Items"])
    assert cfg["Aliases"] == {"Quantity": 2, "Items": ["shop.example.com", "www.example.com"]}
    assert cfg["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    # a file from one format reads in the other: the JSON into a third database, as XML out
    third = env.path("third.db")
    ok(egctl_db(env, third, "import", write(env, "e.json", json.dumps(doc))))
    assert export(env, db=third) == xml


@test
@timeout(120)
def the_seed_002_example_imports_and_the_gateway_enforces_it(env):
    path = write(env, "seed002.xml", seed_example())
    r = ok(env.egctl("--dist", "seed", "import", path))
    assert "CloudFront 2010-11-01 XML" in r.stdout, r.stdout
    assert re.search(r"ignored: line 8: /DistributionConfig/Logging\b", r.stderr), r.stderr
    origins = json.loads(env.egctl("--dist", "seed", "--json", "origin", "list").stdout)
    assert len(origins) == 1 and origins[0]["type"] == "s3" and \
        origins[0]["domain"] == "myawsbucket.s3.amazonaws.com", origins
    behaviors = json.loads(env.egctl("--dist", "seed", "--json", "behavior", "list").stdout)
    assert [b["pattern"] for b in behaviors] == ["*"], behaviors
    assert behaviors[0]["viewer-protocol"] == "https-only", behaviors
    dists = {d["id"]: d for d in json.loads(env.egctl("--json", "dist", "list").stdout)}
    assert dists["seed"]["comment"] == "My comments" and dists["seed"]["enabled"] is True
    # the gateway serves it: the seed distribution answers the Host it is given as alias
    env.egctl("dist", "set", "seed", "--aliases", "seed.example")
    gw = env.gateway()
    r = request(gw.http, "GET", "/index.html", host="seed.example")
    assert r.status == 403, r
    # over HTTPS the request passes the policy and goes to the S3 origin, which this machine
    # cannot reach (no DNS): 502 from edgegate, not the 403 of the policy
    r = request(gw.https, "GET", "/index.html", tls=True, host="seed.example")
    assert r.status == 502 and "edgegate" in (r.header("X-Cache") or ""), r
    t = json.loads(env.egctl("--dist", "seed", "--json", "try", "GET",
                             "https://seed.example/index.html").stdout)
    assert t["origin_scheme"] == "https", t


@test
@timeout(120)
def a_legacy_custom_origin_requiring_https_is_served_over_https_only(env):
    port = origin(env)
    path = write(env, "legacy.xml", """<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2010-11-01/">
  <CustomOrigin>
    <DNSName>127.0.0.1</DNSName>
    <HTTPPort>%d</HTTPPort>
    <OriginProtocolPolicy>http-only</OriginProtocolPolicy>
  </CustomOrigin>
  <CallerReference>legacy-1</CallerReference>
  <CNAME>legacy.example</CNAME>
  <Comment>legacy</Comment>
  <Enabled>true</Enabled>
  <RequiredProtocols><Protocol>https</Protocol></RequiredProtocols>
</DistributionConfig>
""" % port)
    ok(env.egctl("--dist", "legacy", "import", path))
    gw = env.gateway()
    r = request(gw.http, "GET", "/page", host="legacy.example")
    assert r.status == 403 and b"from-origin" not in r.body, r
    r = request(gw.https, "GET", "/page", tls=True, host="legacy.example")
    assert r.status == 200 and r.body == b"from-origin uri=/page\n", r
    # without RequiredProtocols both are served: the same file imported again without it
    with open(path) as f:
        text = f.read()
    write(env, "legacy.xml", re.sub(r"<RequiredProtocols>.*</RequiredProtocols>\n", "", text))
    r = ok(env.egctl("--dist", "legacy", "import", path))
    assert "behavior *: changed: viewer-protocol: https-only -> allow-all" in r.stdout, r.stdout
    r = request(gw.http, "GET", "/page", host="legacy.example")
    for _ in range(40):   # the gateway reloads within a second
        if r.status == 200:
            break
        import time
        time.sleep(0.05)
        r = request(gw.http, "GET", "/page", host="legacy.example")
    assert r.status == 200, r


@test
@timeout(120)
def a_file_with_an_error_changes_nothing_and_says_where(env):
    rich_distribution(env)
    good = export(env)
    before = db_rows(env)
    cases = [
        # malformed XML: the line of the mismatch
        (good.replace("</Origins>", "</Origin>", 1), ["error: line"]),
        # a Quantity that does not match its items
        (good.replace("<Quantity>3</Quantity>", "<Quantity>4</Quantity>", 1),
         ["/DistributionConfig/Origins", "Quantity"]),
        # a behavior naming an origin the file does not have
        (good.replace("<TargetOriginId>bucket</TargetOriginId>",
                      "<TargetOriginId>nosuch</TargetOriginId>", 1), ["nosuch"]),
        # a bad enum value
        (good.replace("<ViewerProtocolPolicy>https-only</ViewerProtocolPolicy>",
                      "<ViewerProtocolPolicy>https-please</ViewerProtocolPolicy>", 1),
         ["ViewerProtocolPolicy", "https-please"]),
        # a rule egctl refuses: an S3 website endpoint cannot be reached over HTTPS
        (re.sub(r"(<DomainName>site\.s3-website[^<]*</DomainName>.*?<OriginProtocolPolicy>)"
                r"http-only", r"\1https-only", good, count=1, flags=re.S),
         ["site", "HTTP"]),
    ]
    for i, (text, says) in enumerate(cases):
        assert text != good, "case %d changes the file" % i
        path = write(env, "bad%d.xml" % i, text)
        r = refused(env.egctl("import", path, check=False), *says)
        assert "nothing was imported" in r.stderr, r.stderr
        assert db_rows(env) == before, "case %d changed the database" % i
    # JSON: where is a JSON path
    doc = json.loads(export(env, "--format", "json"))
    doc["DistributionConfig"]["CacheBehaviors"]["Items"][1]["ViewerProtocolPolicy"] = "nope"
    path = write(env, "bad.json", json.dumps(doc, indent=2))
    refused(env.egctl("import", path, check=False),
            "$.DistributionConfig.CacheBehaviors.Items[1].ViewerProtocolPolicy", "nope")
    assert db_rows(env) == before
    # not a configuration at all
    refused(env.egctl("import", write(env, "x.txt", "hello\n"), check=False), "neither")
    refused(env.egctl("import", env.path("missing.xml"), check=False), "missing.xml")
    assert db_rows(env) == before


@test
@timeout(120)
def dry_run_prints_the_changes_and_writes_nothing(env):
    rich_distribution(env)
    text = export(env).replace("<ViewerProtocolPolicy>https-only</ViewerProtocolPolicy>",
                               "<ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>", 1)
    path = write(env, "changed.xml", text)
    before = db_rows(env)
    r = ok(env.egctl("import", "--dry-run", path))
    assert "behavior /api/*: changed: viewer-protocol: https-only -> allow-all" in r.stdout, \
        r.stdout
    assert "dry run, nothing was written" in r.stdout, r.stdout
    assert db_rows(env) == before
    r = ok(env.egctl("import", path))
    assert "1 change" in r.stdout, r.stdout
    assert db_rows(env) != before
    # the same file again: nothing changes
    r = ok(env.egctl("import", path))
    assert "0 changes" in r.stdout, r.stdout
    # from standard input
    r = env.run(EGCTL, "--db", env.db, "import", "--dry-run", "-", check=False, input=text)
    assert r.returncode == 0 and "0 changes" in r.stdout, (r.stdout, r.stderr)
    # an import is audited as one row
    rows = json.loads(env.egctl("--json", "audit").stdout)
    assert rows[0]["action"] == "dist.import", rows[0]


@test
@timeout(120)
def settings_edgegate_lacks_are_listed_and_strict_refuses_them(env):
    cli = {
        "ETag": "E2QWRUHEXAMPLE",
        "DistributionConfig": {
            "CallerReference": "cli-example",
            "Aliases": {"Quantity": 0},
            "DefaultRootObject": "index.html",
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "site", "DomainName": "www.example.org", "OriginPath": "",
                "CustomHeaders": {"Quantity": 0},
                "CustomOriginConfig": {
                    "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                    "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                    "OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5},
                "ConnectionAttempts": 3, "ConnectionTimeout": 10,
                "OriginShield": {"Enabled": False}}]},
            "OriginGroups": {"Quantity": 0},
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
                "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"],
                                   "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]}},
                "SmoothStreaming": False, "Compress": False,
                "LambdaFunctionAssociations": {"Quantity": 0},
                "FieldLevelEncryptionId": "",
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"},
                                    "Headers": {"Quantity": 0},
                                    "QueryStringCacheKeys": {"Quantity": 0}},
                "MinTTL": 0, "DefaultTTL": 86400, "MaxTTL": 31536000},
            "CacheBehaviors": {"Quantity": 0},
            "CustomErrorResponses": {"Quantity": 0},
            "Comment": "",
            "Logging": {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
            "PriceClass": "PriceClass_100",
            "Enabled": True,
            "HttpVersion": "http2",
            "IsIPV6Enabled": True}}
    path = write(env, "cli.json", json.dumps(cli, indent=4))
    before = db_rows(env)
    r = refused(env.egctl("--dist", "cli", "import", "--strict", path, check=False), "--strict")
    assert db_rows(env) == before
    ignored = [line for line in r.stderr.splitlines() if line.startswith("egctl: ignored: ")]
    named = " ".join(ignored)
    for setting in ("DefaultRootObject", "PriceClass", "HttpVersion", "IsIPV6Enabled",
                    "ConnectionAttempts", "ConnectionTimeout"):
        assert "." + setting in named, (setting, r.stderr)
    # switched-off settings are not listed: they set nothing
    for quiet in ("Logging", "OriginShield", "TrustedSigners", "Compress", "OriginGroups"):
        assert quiet not in named, (quiet, r.stderr)
    assert len(ignored) == 6, ignored
    r = ok(env.egctl("--dist", "cli", "import", path))
    assert len([x for x in r.stderr.splitlines() if x.startswith("egctl: ignored: ")]) == 6
    behaviors = json.loads(env.egctl("--dist", "cli", "--json", "behavior", "list").stdout)
    assert behaviors[0]["viewer-protocol"] == "redirect-to-https"


@test
@timeout(120)
def hostile_xml_is_refused_without_reading_or_fetching_anything(env):
    marker = "EG-SECRET-%d" % os.getpid()
    secret = write(env, "secret.txt", marker + "\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    laughs = "".join('<!ENTITY l%d "%s">' % (i, "&l%d;" % (i - 1) * 10) for i in range(1, 10))
    files = {
        "xxe.xml": '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY e SYSTEM "file://%s">]>\n'
                   '<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
                   '<CallerReference>&e;</CallerReference><Comment>&e;</Comment>'
                   '</DistributionConfig>\n' % secret,
        "remote.xml": '<?xml version="1.0"?>\n<!DOCTYPE d SYSTEM "http://127.0.0.1:%d/d.dtd">\n'
                      '<DistributionConfig/>\n' % port,
        "laughs.xml": '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY l0 "ha">%s]>\n'
                      '<DistributionConfig><Comment>&l9;</Comment></DistributionConfig>\n'
                      % laughs,
    }
    before = db_rows(env)
    for name, text in files.items():
        r = refused(env.egctl("import", write(env, name, text), check=False), "DOCTYPE")
        assert marker not in r.stdout + r.stderr, (name, r.stderr)
        assert len(r.stderr) < 2000, (name, len(r.stderr))
        assert db_rows(env) == before, name
    try:
        conn, _ = listener.accept()
        conn.close()
        raise AssertionError("the importer connected to the DTD's address")
    except BlockingIOError:
        pass
    finally:
        listener.close()


if __name__ == "__main__":
    main()
