/* edgegate's command line, driven by the options table. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "edgegate/front.h"
#include "tap.h"

static int parse(eg_front_opts_t *o, const char *a1, const char *a2, const char *a3,
                 const char *a4)
{
    char *argv[] = {"edgegate", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    int argc = 1;
    while (argc < 5 && argv[argc])
        argc++;
    return eg_front_opts_parse(o, argc, argv);
}

/* parse() with stderr caught: what the operator reads when an option is refused */
static int parse_err(eg_front_opts_t *o, const char *a1, const char *a2, char *out, size_t size)
{
    FILE *cap = tmpfile();
    int saved = dup(2), rc;
    size_t n;
    fflush(stderr); /* what earlier tests wrote is not this parse's */
    if (cap == NULL || saved < 0 || dup2(fileno(cap), 2) < 0) {
        perror("t_opts: catching stderr");
        exit(99);
    }
    rc = parse(o, a1, a2, "--https=off", NULL);
    fflush(stderr);
    if (dup2(saved, 2) < 0 || close(saved) < 0 || fseek(cap, 0, SEEK_SET) < 0) {
        perror("t_opts: restoring stderr");
        exit(99);
    }
    n = fread(out, 1, size - 1, cap);
    out[n] = '\0';
    fclose(cap);
    return rc;
}

static int has(const char *s, const char *part)
{
    return s != NULL && strstr(s, part) != NULL;
}

/* --viewer-security-policy: CloudFront's names, each to a GnuTLS priority string whose
 * versions and suites follow CloudFront's table (the handshakes are tested end to end in
 * tests/e2e/test_tls_policy.py) */
static void viewer_policies(void)
{
    eg_front_opts_t o;
    char err[512];
    const char *p;

    ok(parse(&o, "--https=off", NULL, NULL, NULL) == 0, "defaults");
    is_str(o.viewer_policy, "TLSv1.2_2021", "default viewer security policy is TLSv1.2_2021");
    is_str(o.viewer_priorities,
           "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
           ":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD"
           ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
           ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:%SERVER_PRECEDENCE",
           "TLSv1.2_2021: TLS 1.3 and 1.2, ECDHE with AEAD only");
    eg_front_opts_free(&o);

    ok(parse(&o, "--viewer-security-policy", "TLSv1.2_2019", "--https=off", NULL) == 0,
       "TLSv1.2_2019");
    p = o.viewer_priorities;
    ok(has(p, ":-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-") && has(p, "+AES-128-CBC") &&
           has(p, "+SHA256") && has(p, "+SHA384") && !has(p, "SHA1") && !has(p, ":+RSA"),
       "TLSv1.2_2019: adds ECDHE AES-CBC with SHA-256/384, no RSA key exchange: %s", p);
    eg_front_opts_free(&o);

    ok(parse(&o, "--viewer-security-policy=TLSv1.2_2018", "--https=off", NULL, NULL) == 0,
       "TLSv1.2_2018");
    p = o.viewer_priorities;
    ok(has(p, ":-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-") && has(p, ":+RSA") && !has(p, "SHA1"),
       "TLSv1.2_2018: adds RSA key exchange, still no SHA-1 suites: %s", p);
    eg_front_opts_free(&o);

    ok(parse(&o, "--viewer-security-policy", "TLSv1.1_2016", "--https=off", NULL) == 0,
       "TLSv1.1_2016");
    p = o.viewer_priorities;
    ok(has(p, "+VERS-TLS1.1") && !has(p, "+VERS-TLS1.0") && has(p, "+SHA1") && !has(p, "3DES"),
       "TLSv1.1_2016: TLS 1.1 and SHA-1 CBC suites, not TLS 1.0: %s", p);
    eg_front_opts_free(&o);

    ok(parse(&o, "--viewer-security-policy", "TLSv1_2016", "--https=off", NULL) == 0, "TLSv1_2016");
    p = o.viewer_priorities;
    ok(has(p, "+VERS-TLS1.1") && has(p, "+VERS-TLS1.0") && !has(p, "3DES"),
       "TLSv1_2016: TLS 1.0, no 3DES: %s", p);
    is_str(o.viewer_policy, "TLSv1_2016", "the policy's name is kept");
    eg_front_opts_free(&o);

    ok(parse(&o, "--viewer-security-policy", "TLSv1", "--https=off", NULL) == 0, "TLSv1");
    p = o.viewer_priorities;
    ok(has(p, "+VERS-TLS1.0") && has(p, "+3DES-CBC") && !has(p, "SSL3") && !has(p, "ARCFOUR"),
       "TLSv1: TLS 1.0 and 3DES; neither SSL 3.0 nor RC4: %s", p);
    eg_front_opts_free(&o);

    ok(parse(&o, "--viewer-security-policy=TLSv1", "--viewer-security-policy=TLSv1.2_2019",
             "--https=off", NULL) == 0,
       "the option given twice");
    is_str(o.viewer_policy, "TLSv1.2_2019", "the last one given wins, as for every option");
    eg_front_opts_free(&o);

    ok(parse_err(&o, "--viewer-security-policy", "SSLv3", err, sizeof(err)) < 0,
       "SSLv3 is refused");
    ok(has(err, "--viewer-security-policy SSLv3: GnuTLS cannot offer SSL 3.0") &&
           strchr(err, '\n') == err + strlen(err) - 1,
       "SSLv3: one line saying why: %s", err);
    eg_front_opts_free(&o);

    ok(parse_err(&o, "--viewer-security-policy", "TLSv1.2_2022", err, sizeof(err)) < 0,
       "an unknown policy is refused");
    is_str(err,
           "edgegate: --viewer-security-policy: 'TLSv1.2_2022' is not a CloudFront security "
           "policy; choose from TLSv1.2_2021, TLSv1.2_2019, TLSv1.2_2018, TLSv1.1_2016, "
           "TLSv1_2016, TLSv1\n",
           "unknown policy: one line naming the choices");
    eg_front_opts_free(&o);

    ok(parse_err(&o, "--viewer-security-policy", "tlsv1.2_2021", err, sizeof(err)) < 0,
       "policy names are CloudFront's spelling, case and all");
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--viewer-security-policy", "", err, sizeof(err)) < 0,
       "an empty policy name is refused");
    eg_front_opts_free(&o);
}

/* The connection limits and timeouts: nginx-like defaults, and bounds that refuse what
 * would disable them by accident. */
static void connection_limits(void)
{
    eg_front_opts_t o;
    char err[512];

    ok(parse(&o, "--https=off", NULL, NULL, NULL) == 0, "limits: defaults");
    is_int(o.max_connections, 1024, "default --max-connections 1024 per listener");
    is_int(o.max_connections_per_ip, 128, "default --max-connections-per-ip 128");
    is_int(o.header_timeout, 60, "default --header-timeout 60 s (nginx's client_header_timeout)");
    is_int(o.idle_timeout, 60, "default --idle-timeout 60 s");
    eg_front_opts_free(&o);

    ok(parse(&o, "--max-connections=300", "--max-connections-per-ip=0", "--header-timeout=5",
             "--idle-timeout=7") < 0,
       "HTTPS without a certificate is still refused with the limits given");
    eg_front_opts_free(&o);
    {
        char *argv[] = {"edgegate", "--https=off", "--max-connections=300",
                        "--max-connections-per-ip=0", "--header-timeout=5", "--idle-timeout=7",
                        NULL};
        ok(eg_front_opts_parse(&o, 6, argv) == 0, "limits given");
        ok(o.max_connections == 300 && o.max_connections_per_ip == 0 && o.header_timeout == 5 &&
               o.idle_timeout == 7,
           "limits kept: %d %d %d %d", o.max_connections, o.max_connections_per_ip,
           o.header_timeout, o.idle_timeout);
        eg_front_opts_free(&o);
    }
    ok(parse_err(&o, "--max-connections", "15", err, sizeof(err)) < 0 &&
           has(err, "--max-connections: '15' is not a whole number from 16 to 1048576"),
       "--max-connections below 16 refused: %s", err);
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--max-connections-per-ip", "-1", err, sizeof(err)) < 0,
       "a negative per-address limit is refused");
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--header-timeout", "0", err, sizeof(err)) < 0,
       "--header-timeout 0 is refused (there is always a deadline)");
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--idle-timeout", "0", err, sizeof(err)) < 0,
       "--idle-timeout 0 is refused (libmicrohttpd would take it as no timeout)");
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--header-timeout", "3601", err, sizeof(err)) < 0,
       "--header-timeout above an hour is refused");
    eg_front_opts_free(&o);
}

/* --admin and its companions: off by default, bounded, TLS only with a certificate */
static void admin(void)
{
    eg_front_opts_t o;
    char err[512];
    ok(parse(&o, "--https=off", NULL, NULL, NULL) == 0, "admin defaults");
    is_str(o.admin, "off", "the admin console is off by default");
    is_int(o.admin_workers, 2, "two admin workers by default");
    ok(o.admin_bin == NULL, "--admin-bin: front_main.c finds the default");
    is_int(o.admin_tls, 0, "plain HTTP by default");
    is_int(o.admin_timeout, 30, "--admin-timeout 30 s by default");
    ok(o.admin_priorities && strstr(o.admin_priorities, "+VERS-TLS1.2") &&
           !strstr(o.admin_priorities, "TLS1.1") && !strstr(o.admin_priorities, "CBC"),
       "the admin listener gets TLSv1.2_2021's priorities");
    eg_front_opts_free(&o);
    ok(parse(&o, "--admin=127.0.0.1:0", "--admin-workers=16", "--admin-bin=/x/y", "--https=off") ==
           0,
       "--admin, --admin-workers 16, --admin-bin");
    is_str(o.admin, "127.0.0.1:0", "--admin kept");
    is_int(o.admin_workers, 16, "--admin-workers 16");
    is_str(o.admin_bin, "/x/y", "--admin-bin kept");
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--admin-workers", "17", err, sizeof(err)) < 0,
       "--admin-workers 17 is refused");
    ok(has(err, "from 1 to 16"), "with the bounds: %s", err);
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--admin-workers", "0", err, sizeof(err)) < 0, "--admin-workers 0 refused");
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--admin-tls", "--admin=127.0.0.1:0", err, sizeof(err)) < 0,
       "--admin-tls without --cert/--key is refused");
    ok(has(err, "--cert"), "saying what it needs: %s", err);
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--admin-tls", NULL, err, sizeof(err)) < 0,
       "--admin-tls without --admin is refused");
    eg_front_opts_free(&o);
    ok(parse(&o, "--admin-tls", "--admin=127.0.0.1:0", "--cert=/c", "--key=/k") == 0,
       "--admin-tls with --cert and --key");
    is_int(o.admin_tls, 1, "--admin-tls set");
    eg_front_opts_free(&o);
    ok(parse_err(&o, "--admin-timeout", "301", err, sizeof(err)) < 0,
       "--admin-timeout above 300 refused");
    eg_front_opts_free(&o);
}

int main(void)
{
    eg_front_opts_t o;
    freopen("/dev/null", "w", stderr);
    unsetenv("EDGEGATE_DB");
    ok(parse(&o, "--https", "off", NULL, NULL) == 0, "HTTP only needs no certificate");
    is_str(o.db, "var/edgegate.db", "default database");
    is_str(o.http, "127.0.0.1:8080", "default HTTP listener");
    is_int(o.workers, 2, "default workers");
    is_int(o.cache_size, 268435456, "default cache size 256 MiB");
    eg_front_opts_free(&o);
    ok(parse(&o, "--cache-size", "64M", "--https=off", NULL) == 0, "size suffix");
    is_int(o.cache_size, 64 << 20, "64M");
    eg_front_opts_free(&o);
    ok(parse(&o, "--resolve", "a.example:127.0.0.1", "--https=off", NULL) == 0, "resolve");
    ok(o.n_resolve == 1 && !strcmp(o.resolve[0], "a.example:127.0.0.1"), "resolve kept");
    eg_front_opts_free(&o);
    ok(parse(&o, NULL, NULL, NULL, NULL) < 0, "HTTPS without --cert/--key is refused");
    eg_front_opts_free(&o);
    ok(parse(&o, "--workers", "0", "--https=off", NULL) < 0, "0 workers refused");
    eg_front_opts_free(&o);
    ok(parse(&o, "--workers", "two", "--https=off", NULL) < 0, "non-numbers refused");
    eg_front_opts_free(&o);
    ok(parse(&o, "--http", "off", "--https", "off") < 0, "nothing to serve is refused");
    eg_front_opts_free(&o);
    ok(parse(&o, "--bogus", "--https=off", NULL, NULL) < 0, "unknown options refused");
    eg_front_opts_free(&o);
    setenv("EDGEGATE_DB", "/tmp/x.db", 1);
    ok(parse(&o, "--https=off", NULL, NULL, NULL) == 0, "EDGEGATE_DB");
    is_str(o.db, "/tmp/x.db", "EDGEGATE_DB names the database");
    eg_front_opts_free(&o);
    viewer_policies();
    connection_limits();
    admin();
    return done();
}
