/* A whole distribution written at once (eg_db_dist_replace, what an import does) against a
 * real SQLite file: created, replaced over another, all or nothing when any part is refused,
 * refused when the distribution changed since it was read, its generation kept (the front's
 * cached objects stay), one audit row. */
#include <sys/stat.h>

#include "edgegate/common.h"
#include "edgegate/config.h"
#include "edgegate/db.h"
#include "tap.h"

static char dir[] = "/tmp/eg-t_db_replace-XXXXXX";
static char err[512];

static eg_origin_t origin(const char *id, const char *domain, int protocol)
{
    eg_origin_t o;
    memset(&o, 0, sizeof(o));
    eg_fields_defaults(eg_origin_fields, eg_origin_nfields, &o);
    snprintf(o.id, sizeof(o.id), "%s", id);
    snprintf(o.domain, sizeof(o.domain), "%s", domain);
    o.protocol = protocol;
    return o;
}

static eg_behavior_t behavior(const char *pattern, const char *origin_id, int vpp)
{
    eg_behavior_t b;
    memset(&b, 0, sizeof(b));
    eg_fields_defaults(eg_behavior_fields, eg_behavior_nfields, &b);
    snprintf(b.path_pattern, sizeof(b.path_pattern), "%s", pattern);
    snprintf(b.origin_id, sizeof(b.origin_id), "%s", origin_id);
    b.viewer_protocol = vpp;
    return b;
}

/* A distribution built in memory: n origins and behaviors copied in (owned by d). */
static void build(eg_dist_t *d, const char *id, const char *comment, const char *aliases,
                  const eg_origin_t *o, size_t no, const eg_behavior_t *b, size_t nb)
{
    memset(d, 0, sizeof(*d));
    eg_fields_defaults(eg_dist_fields, eg_dist_nfields, &d->info);
    snprintf(d->info.id, sizeof(d->info.id), "%s", id);
    snprintf(d->info.comment, sizeof(d->info.comment), "%s", comment);
    snprintf(d->info.aliases, sizeof(d->info.aliases), "%s", aliases);
    d->origins = eg_calloc(no, sizeof(*o));
    memcpy(d->origins, o, no * sizeof(*o));
    d->n_origins = no;
    d->behaviors = eg_calloc(nb, sizeof(*b));
    memcpy(d->behaviors, b, nb * sizeof(*b));
    d->n_behaviors = nb;
}

static long long generation(eg_db_t *db, const char *id)
{
    eg_dist_gen_t *g = NULL;
    size_t n = 0;
    long long v = -1;
    if (eg_db_dist_generations(db, &g, &n, err, sizeof(err)) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(g[i].id, id) == 0)
            v = g[i].generation;
    free(g);
    return v;
}

int main(void)
{
    char path[256];
    eg_db_t *db = NULL;
    eg_dist_t a, b, got, none;
    long long gen;
    int r;

    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/t.db", dir);
    if (!ok(eg_db_open(path, EG_DB_CREATE, &db, err, sizeof(err)) == 0, "open: %s", err))
        return done();
    eg_db_set_actor(db, "unix:test");
    memset(&none, 0, sizeof(none));

    {
        eg_origin_t o[] = {origin("web", "www.example.com", EG_OPP_HTTP_ONLY),
                           origin("api", "api.example.com", EG_OPP_HTTPS_ONLY)};
        eg_behavior_t bs[] = {behavior("/api/*", "api", EG_VPP_HTTPS_ONLY),
                              behavior("/img/*", "web", EG_VPP_ALLOW_ALL),
                              behavior("*", "web", EG_VPP_REDIRECT_TO_HTTPS)};
        build(&a, "shop", "first", "shop.example.com", o, 2, bs, 3);
    }
    r = eg_db_dist_replace(db, &a, &none, "created", err, sizeof(err));
    ok(r == 0, "a new distribution is created: %s", r ? err : "");
    r = eg_db_dist_load(db, "shop", &got, err, sizeof(err));
    ok(r == 1, "and loads");
    /* stored origins come back by id; a's are web, api */
    ok(got.n_origins == 2 && strcmp(got.origins[0].id, "api") == 0 &&
           got.origins[0].protocol == EG_OPP_HTTPS_ONLY,
       "its origins are stored");
    ok(got.n_behaviors == 3 && strcmp(got.behaviors[0].path_pattern, "/api/*") == 0 &&
           strcmp(got.behaviors[1].path_pattern, "/img/*") == 0 &&
           strcmp(got.behaviors[2].path_pattern, "*") == 0 &&
           got.behaviors[2].viewer_protocol == EG_VPP_REDIRECT_TO_HTTPS,
       "its behaviors in order, the default last");
    is_str(got.info.aliases, "shop.example.com", "its alias");
    gen = generation(db, "shop");
    ok(gen > 0, "it has a generation");

    /* replace: api goes, cdn comes, web changes, the default moves to cdn, order changes */
    {
        eg_origin_t o[] = {origin("web", "www2.example.com", EG_OPP_HTTP_ONLY),
                           origin("cdn", "cdn.example.com", EG_OPP_MATCH_VIEWER)};
        eg_behavior_t bs[] = {behavior("/img/*", "web", EG_VPP_HTTPS_ONLY),
                              behavior("/static/*", "cdn", EG_VPP_REDIRECT_TO_HTTPS),
                              behavior("*", "cdn", EG_VPP_HTTPS_ONLY)};
        build(&b, "shop", "second", "", o, 2, bs, 3);
    }
    r = eg_db_dist_replace(db, &b, &got, "replaced", err, sizeof(err));
    ok(r == 0, "replaced over the distribution as read: %s", r ? err : "");
    eg_dist_clear(&got);
    eg_db_dist_load(db, "shop", &got, err, sizeof(err));
    ok(got.n_origins == 2 && strcmp(got.origins[0].id, "cdn") == 0 &&
           strcmp(got.origins[1].id, "web") == 0 &&
           strcmp(got.origins[1].domain, "www2.example.com") == 0,
       "origins: api removed, cdn added, web changed");
    ok(got.n_behaviors == 3 && strcmp(got.behaviors[1].path_pattern, "/static/*") == 0 &&
           strcmp(got.behaviors[2].origin_id, "cdn") == 0 &&
           got.behaviors[0].viewer_protocol == EG_VPP_HTTPS_ONLY,
       "behaviors replaced, the default now targets cdn");
    is_str(got.info.comment, "second", "settings updated");
    is_str(got.info.aliases, "", "aliases removed");
    is_int(generation(db, "shop"), gen, "the generation is kept (cached objects stay)");

    /* all or nothing: a behavior naming an origin the file lacks */
    {
        eg_dist_t bad;
        eg_origin_t o[] = {origin("web", "changed.example.com", EG_OPP_HTTP_ONLY)};
        eg_behavior_t bs[] = {behavior("/x/*", "nosuch", EG_VPP_ALLOW_ALL),
                              behavior("*", "web", EG_VPP_ALLOW_ALL)};
        eg_dist_t before;
        build(&bad, "shop", "third", "", o, 1, bs, 2);
        eg_db_dist_load(db, "shop", &before, err, sizeof(err));
        r = eg_db_dist_replace(db, &bad, NULL, NULL, err, sizeof(err));
        ok(r == -1 && strstr(err, "nosuch") != NULL, "an unknown origin is refused: %s", err);
        eg_dist_clear(&got);
        eg_db_dist_load(db, "shop", &got, err, sizeof(err));
        ok(eg_dist_equal(&got, &before), "and nothing changed");
        eg_dist_clear(&before);
        eg_dist_clear(&bad);
    }

    /* an alias another distribution holds: refused, nothing changed */
    {
        eg_dist_t other, mine, before;
        eg_origin_t o[] = {origin("o", "o.example.com", EG_OPP_HTTP_ONLY)};
        eg_behavior_t bs[] = {behavior("*", "o", EG_VPP_ALLOW_ALL)};
        build(&other, "other", "", "taken.example.com", o, 1, bs, 1);
        ok(eg_db_dist_replace(db, &other, NULL, NULL, err, sizeof(err)) == 0,
           "another distribution with an alias");
        build(&mine, "shop", "fourth", "taken.example.com", o, 1, bs, 1);
        eg_db_dist_load(db, "shop", &before, err, sizeof(err));
        r = eg_db_dist_replace(db, &mine, NULL, NULL, err, sizeof(err));
        ok(r == -1 && strstr(err, "taken.example.com") != NULL,
           "an alias of another distribution is refused: %s", err);
        eg_dist_clear(&got);
        eg_db_dist_load(db, "shop", &got, err, sizeof(err));
        ok(eg_dist_equal(&got, &before), "and nothing changed (origins kept too)");
        eg_dist_clear(&before);
        eg_dist_clear(&mine);
        eg_dist_clear(&other);
    }

    /* a change made since the distribution was read: a conflict, nothing written */
    {
        eg_origin_t w;
        r = eg_db_origin_get(db, "shop", "web", &w, err, sizeof(err));
        snprintf(w.domain, sizeof(w.domain), "edited.example.com");
        w.rev = 0;
        ok(eg_db_origin_put(db, "shop", &w, 0, err, sizeof(err)) == 0, "someone edits web");
        r = eg_db_dist_replace(db, &a, &got, NULL, err, sizeof(err));
        ok(r == EG_DB_CONFLICT, "an import of what was read before is refused: %s", err);
        ok(eg_db_origin_get(db, "shop", "web", &w, err, sizeof(err)) == 1 &&
               strcmp(w.domain, "edited.example.com") == 0,
           "and the edit stays");
        r = eg_db_dist_replace(db, &a, &none, NULL, err, sizeof(err));
        ok(r == EG_DB_CONFLICT, "expecting no distribution where one is: a conflict");
    }

    /* no change at all: nothing bumps the configuration version */
    {
        long long v1 = 0, v2 = 0;
        eg_dist_clear(&got);
        eg_db_dist_load(db, "shop", &got, err, sizeof(err));
        eg_db_config_version(db, &v1, err, sizeof(err));
        r = eg_db_dist_replace(db, &got, &got, NULL, err, sizeof(err));
        eg_db_config_version(db, &v2, err, sizeof(err));
        ok(r == 0, "the same distribution again");
        /* the cache behaviors are written again, so the version moves; the rows stay equal */
        ok(v2 >= v1, "configuration version %lld -> %lld", v1, v2);
    }

    {
        eg_audit_t *v = NULL;
        size_t n = 0, imports = 0;
        eg_db_audit_list(db, "shop", 100, &v, &n, err, sizeof(err));
        for (size_t i = 0; i < n; i++)
            if (strcmp(v[i].action, "dist.import") == 0)
                imports++;
        ok(imports == 3 && n > 0 && strcmp(v[0].action, "dist.import") == 0 &&
               strcmp(v[0].detail, "no change") == 0,
           "one audit row per import that landed (%zu)", imports);
        free(v);
    }

    eg_dist_clear(&got);
    eg_dist_clear(&a);
    eg_dist_clear(&b);
    eg_db_close(db);
    {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return done();
}
