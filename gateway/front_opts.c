/* edgegate's command line: one table describes every option (name, argument, default, help)
 * and drives getopt, validation and --help. */
#include <getopt.h>
#include <limits.h>

#include "edgegate/common.h"
#include "edgegate/front.h"

typedef enum {
    OT_STR,
    OT_INT,
    OT_SIZE,
    OT_LIST,
    OT_VIEWER_POLICY,
    OT_FLAG, /* no argument: sets an int to 1 */
    OT_FLAG_HELP,
    OT_FLAG_VERSION
} opt_type_t;

typedef struct {
    const char *name;
    const char *arg;
    opt_type_t type;
    size_t off;
    long long min, max;
    const char *def;
    const char *help;
} opt_t;

#define O(m) offsetof(eg_front_opts_t, m)

/* CloudFront's viewer security policies ("Supported protocols and ciphers between viewers and
 * CloudFront") as GnuTLS priority strings. GnuTLS enables every (key exchange, cipher, MAC)
 * suite the lists combine to, so a policy cannot name suites one by one: where CloudFront
 * leaves out a combination GnuTLS cannot (TLS_RSA_AES_256_CBC_SHA256 from TLSv1.2_2018 on
 * down; the ECDHE 3DES suites in TLSv1) the string allows it; README.md lists each difference.
 * AEAD suites come before CBC ones (CloudFront puts some CBC suites first) so that a viewer
 * that can do either gets AEAD. Curves are CloudFront's three; signatures GnuTLS's defaults. */
#define VP_SUFFIX ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:%SERVER_PRECEDENCE"
#define VP_AEAD "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305"

static const struct {
    const char *name;
    const char *priorities; /* NULL: CloudFront has it, GnuTLS cannot offer it */
    const char *why_not;
} viewer_policies[] = {
    {"TLSv1.2_2021", /* TLS 1.2 with ECDHE and AEAD only, and TLS 1.3 */
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" VP_AEAD ":-MAC-ALL:+AEAD"
     ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA" VP_SUFFIX,
     NULL},
    {"TLSv1.2_2019", /* adds ECDHE with AES-CBC and SHA-256/384 MACs */
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" VP_AEAD ":+AES-128-CBC:+AES-256-CBC"
     ":-MAC-ALL:+AEAD:+SHA256:+SHA384:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA" VP_SUFFIX,
     NULL},
    {"TLSv1.2_2018", /* adds RSA key exchange */
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" VP_AEAD ":+AES-128-CBC:+AES-256-CBC"
     ":-MAC-ALL:+AEAD:+SHA256:+SHA384:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+RSA" VP_SUFFIX,
     NULL},
    {"TLSv1.1_2016", /* adds TLS 1.1 and the SHA-1 CBC suites */
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:" VP_AEAD
     ":+AES-128-CBC:+AES-256-CBC:-MAC-ALL:+AEAD:+SHA256:+SHA384:+SHA1"
     ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+RSA" VP_SUFFIX,
     NULL},
    {"TLSv1_2016", /* adds TLS 1.0 */
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:" VP_AEAD
     ":+AES-128-CBC:+AES-256-CBC:-MAC-ALL:+AEAD:+SHA256:+SHA384:+SHA1"
     ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+RSA" VP_SUFFIX,
     NULL},
    {"TLSv1", /* adds 3DES (SWEET32) */
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:" VP_AEAD
     ":+AES-128-CBC:+AES-256-CBC:+3DES-CBC:-MAC-ALL:+AEAD:+SHA256:+SHA384:+SHA1"
     ":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+RSA" VP_SUFFIX,
     NULL},
    {"SSLv3", NULL,
     "GnuTLS cannot offer SSL 3.0 (Debian's is built without it; RFC 7568 forbids it): "
     "choose TLSv1 or a newer policy"},
};

static const opt_t options[] = {
    {"db", "PATH", OT_STR, O(db), 0, 0, NULL,
     "SQLite database (default: $EDGEGATE_DB, else var/edgegate.db)"},
    {"http", "ADDR:PORT", OT_STR, O(http), 0, 0, "127.0.0.1:8080",
     "viewer HTTP listener, or off"},
    {"https", "ADDR:PORT", OT_STR, O(https), 0, 0, "127.0.0.1:8443",
     "viewer HTTPS listener, or off (needs --cert and --key)"},
    {"cert", "FILE", OT_STR, O(cert), 0, 0, NULL, "viewer certificate chain (PEM)"},
    {"key", "FILE", OT_STR, O(key), 0, 0, NULL, "viewer private key (PEM)"},
    {"origin-ca", "FILE", OT_STR, O(origin_ca), 0, 0, NULL,
     "CA certificates trusted for HTTPS origins (default: the system's Mozilla bundle)"},
    {"workers", "N", OT_INT, O(workers), 1, 256, "2", "policy workers to spawn"},
    {"policy-socket", "PATH", OT_STR, O(policy_socket), 0, 0, NULL,
     "use policy workers already listening on this Unix socket instead of spawning them"},
    {"policy-bin", "PATH", OT_STR, O(policy_bin), 0, 0, NULL,
     "policy worker program (default: edgegate-policy beside edgegate)"},
    {"policy-timeout", "SECONDS", OT_INT, O(policy_timeout), 1, 60, "5",
     "longest wait for a policy answer before answering 502"},
    {"public-https-port", "N", OT_INT, O(public_https_port), 1, 65535, NULL,
     "HTTPS port viewers use, for redirects (default: the --https port; 443 is left out)"},
    {"resolve", "HOST:ADDR", OT_LIST, O(resolve), 0, 0, NULL,
     "connect to ADDR for origin HOST (repeatable; like curl --resolve)"},
    {"cache-size", "BYTES", OT_SIZE, O(cache_size), 0, LLONG_MAX, "268435456",
     "cache memory bound, bytes (K, M, G suffixes)"},
    {"route-cache", "N", OT_INT, O(route_cache), 0, 1 << 24, "65536",
     "policy answers remembered until the configuration changes (0: ask every time)"},
    {"viewer-security-policy", "NAME", OT_VIEWER_POLICY, O(viewer_policy), 0, 0, "TLSv1.2_2021",
     "CloudFront security policy: the TLS versions and ciphers the HTTPS listener offers"},
    {"threads", "N", OT_INT, O(threads), 1, 256, "2",
     "event threads per listener (they never wait: what may wait runs as a job)"},
    {"job-threads", "N", OT_INT, O(job_threads), 1, 65536, "256",
     "threads for what may wait (policy decisions, origin fetches, request and response "
     "bodies); a request that finds every one busy gets 503 with Retry-After"},
    {"max-jobs-per-ip", "N", OT_INT, O(max_jobs_per_ip), 0, 65536, "64",
     "job threads one viewer address may hold at once; past it that address gets 503 "
     "(0: no limit)"},
    /* nginx's worker_connections, limit_conn, client_header_timeout and
     * client_body_timeout/send_timeout; front_main.c lowers --max-connections when the
     * descriptor limit cannot hold it */
    {"max-connections", "N", OT_INT, O(max_connections), 16, 1 << 20, "1024",
     "connections each listener holds open at once; more wait in the kernel's backlog"},
    {"max-connections-per-ip", "N", OT_INT, O(max_connections_per_ip), 0, 1 << 20, "128",
     "connections one viewer address holds open on a listener (0: no limit)"},
    {"header-timeout", "SECONDS", OT_INT, O(header_timeout), 1, 3600, "60",
     "longest wait for a whole request head, from accept or from the last response"},
    {"idle-timeout", "SECONDS", OT_INT, O(idle_timeout), 1, 3600, "60",
     "close a connection when no byte has moved either way for this long"},
    {"run-dir", "DIR", OT_STR, O(run_dir), 0, 0, NULL,
     "directory for worker sockets (default: a new one under $TMPDIR)"},
    /* the admin console: its own libmicrohttpd daemon, thread per connection, and its own
     * FastCGI workers (front_admin.c); never the viewers' listeners, job threads or workers */
    {"admin", "ADDR:PORT", OT_STR, O(admin), 0, 0, "off",
     "admin console listener (its own daemon and workers), or off"},
    {"admin-workers", "N", OT_INT, O(admin_workers), 1, 16, "2", "admin console workers to spawn"},
    {"admin-bin", "PATH", OT_STR, O(admin_bin), 0, 0, NULL,
     "admin console worker program (default: edgegate-admin beside edgegate, or in ../admin "
     "from there, as in a build tree)"},
    {"admin-tls", NULL, OT_FLAG, O(admin_tls), 0, 0, NULL,
     "serve the admin console over HTTPS, with --cert and --key"},
    {"admin-timeout", "SECONDS", OT_INT, O(admin_timeout), 1, 300, "30",
     "longest wait for an admin worker's answer before answering 502; a request that finds "
     "no worker free within half of it gets 503"},
    {"help", NULL, OT_FLAG_HELP, 0, 0, 0, NULL, "this text"},
    {"version", NULL, OT_FLAG_VERSION, 0, 0, 0, NULL, "print the version"},
};

/* The policies GnuTLS can offer, for --help and for the error naming the choices. */
static const char *policy_names(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < EG_ARRAY_LEN(viewer_policies); i++) {
        int n;
        if (viewer_policies[i].priorities == NULL)
            continue;
        n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", viewer_policies[i].name);
        if (n < 0 || (size_t)n >= size - len)
            break; /* six short names fit; a cut list still reads */
        len += (size_t)n;
    }
    return buf;
}

static void usage(FILE *out)
{
    char names[256];
    fprintf(out, "Usage: edgegate [OPTION]...\n\n"
                 "CloudFront-style HTTPS rules in front of your own servers: viewer protocol\n"
                 "policy per cache behavior, origin protocol policy, certificate checks and a\n"
                 "protocol-agnostic cache. Configure it with egctl.\n\n");
    for (size_t i = 0; i < EG_ARRAY_LEN(options); i++) {
        char left[64];
        const opt_t *o = &options[i];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-30s %s", left, o->help);
        if (o->def)
            fprintf(out, " [%s]", o->def);
        if (o->type == OT_VIEWER_POLICY)
            fprintf(out, "\n  %-30s one of %s", "", policy_names(names, sizeof(names)));
        fputc('\n', out);
    }
    fprintf(out, "\nEnvironment: EDGEGATE_DB names the database when --db is not given.\n");
}

static int parse_size(const char *s, long long *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    switch (*end) {
    case 'K': case 'k': v <<= 10; end++; break;
    case 'M': case 'm': v <<= 20; end++; break;
    case 'G': case 'g': v <<= 30; end++; break;
    default: break;
    }
    return *end == '\0' ? (*out = v, 0) : -1;
}

static int set_viewer_policy(eg_front_opts_t *eo, const opt_t *o, const char *val)
{
    char names[256];
    for (size_t i = 0; i < EG_ARRAY_LEN(viewer_policies); i++) {
        if (strcmp(val, viewer_policies[i].name) != 0)
            continue;
        if (viewer_policies[i].priorities == NULL) {
            fprintf(stderr, "edgegate: --%s %s: %s\n", o->name, val, viewer_policies[i].why_not);
            return -1;
        }
        eo->viewer_policy = viewer_policies[i].name;
        eo->viewer_priorities = viewer_policies[i].priorities;
        return 0;
    }
    fprintf(stderr, "edgegate: --%s: '%s' is not a CloudFront security policy; choose from %s\n",
            o->name, val, policy_names(names, sizeof(names)));
    return -1;
}

static int set_opt(eg_front_opts_t *eo, const opt_t *o, const char *val)
{
    char *base = (char *)eo + o->off;
    long long v;
    char *end;
    switch (o->type) {
    case OT_STR:
        free(*(char **)base);
        *(char **)base = eg_strdup(val);
        return 0;
    case OT_INT:
        errno = 0;
        v = strtoll(val, &end, 10);
        if (errno || *val == '\0' || *end || v < o->min || v > o->max) {
            fprintf(stderr, "edgegate: --%s: '%s' is not a whole number from %lld to %lld\n",
                    o->name, val, o->min, o->max);
            return -1;
        }
        *(int *)base = (int)v;
        return 0;
    case OT_SIZE:
        if (parse_size(val, &v) < 0) {
            fprintf(stderr, "edgegate: --%s: '%s' is not a size in bytes (K, M, G allowed)\n",
                    o->name, val);
            return -1;
        }
        *(long long *)base = v;
        return 0;
    case OT_LIST:
        if (strchr(val, ':') == NULL || val[0] == ':') {
            fprintf(stderr, "edgegate: --%s: '%s' is not HOST:ADDR\n", o->name, val);
            return -1;
        }
        eo->resolve = eg_realloc(eo->resolve, (eo->n_resolve + 1) * sizeof(char *));
        eo->resolve[eo->n_resolve++] = eg_strdup(val);
        return 0;
    case OT_VIEWER_POLICY:
        return set_viewer_policy(eo, o, val);
    case OT_FLAG:
        *(int *)base = 1;
        return 0;
    default:
        return 0;
    }
}

int eg_front_opts_parse(eg_front_opts_t *eo, int argc, char **argv)
{
    struct option lo[EG_ARRAY_LEN(options) + 1];
    int c, idx;
    memset(eo, 0, sizeof(*eo));
    for (size_t i = 0; i < EG_ARRAY_LEN(options); i++) {
        lo[i].name = options[i].name;
        lo[i].has_arg = options[i].arg ? required_argument : no_argument;
        lo[i].flag = NULL;
        lo[i].val = 1000 + (int)i;
        if (options[i].def && set_opt(eo, &options[i], options[i].def) < 0)
            abort(); /* a default that does not parse is a bug in the table */
    }
    memset(&lo[EG_ARRAY_LEN(options)], 0, sizeof(lo[0]));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
        const opt_t *o;
        if (c < 1000) {
            fprintf(stderr, "Try 'edgegate --help'.\n");
            return -1;
        }
        o = &options[c - 1000];
        if (o->type == OT_FLAG_HELP) {
            usage(stdout);
            return 1;
        }
        if (o->type == OT_FLAG_VERSION) {
            printf("edgegate %s\n", PACKAGE_VERSION);
            return 1;
        }
        if (set_opt(eo, o, optarg) < 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "edgegate: unexpected argument '%s'\nTry 'edgegate --help'.\n",
                argv[optind]);
        return -1;
    }
    if (eo->db == NULL) {
        const char *env = getenv("EDGEGATE_DB");
        eo->db = eg_strdup(env && *env ? env : "var/edgegate.db");
    }
    if (strcmp(eo->https, "off") != 0 && (eo->cert == NULL || eo->key == NULL)) {
        fprintf(stderr, "edgegate: the HTTPS listener needs --cert FILE and --key FILE "
                        "(or --https off)\n");
        return -1;
    }
    if (eo->admin_tls && strcmp(eo->admin, "off") == 0) {
        fprintf(stderr, "edgegate: --admin-tls without --admin ADDR:PORT\n");
        return -1;
    }
    if (eo->admin_tls && (eo->cert == NULL || eo->key == NULL)) {
        fprintf(stderr, "edgegate: --admin-tls needs --cert FILE and --key FILE\n");
        return -1;
    }
    eo->admin_priorities = viewer_policies[0].priorities; /* TLSv1.2_2021 */
    if (strcmp(eo->http, "off") == 0 && strcmp(eo->https, "off") == 0) {
        fprintf(stderr, "edgegate: --http and --https are both off; nothing to serve\n");
        return -1;
    }
    return 0;
}

void eg_front_opts_free(eg_front_opts_t *eo)
{
    for (size_t i = 0; i < EG_ARRAY_LEN(options); i++)
        if (options[i].type == OT_STR)
            free(*(char **)((char *)eo + options[i].off));
    for (size_t i = 0; i < eo->n_resolve; i++)
        free(eo->resolve[i]);
    free(eo->resolve);
}
