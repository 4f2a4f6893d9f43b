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
    return done();
}
