/* "Try a request": what edgegate would answer one viewer request under one distribution,
 * worked out by the policy worker's own functions (eg_uri_parse, eg_policy_decide,
 * eg_policy_location, eg_policy_answer) over the saved configuration. The console's
 * Behaviors tab and `egctl try` show it. */
#ifndef EDGEGATE_POLICY_TRY_H
#define EDGEGATE_POLICY_TRY_H

#include "edgegate/buf.h"
#include "edgegate/config.h"
#include "edgegate/policy.h"
#include "edgegate/uri.h"

typedef struct {
    char method[16];
    int https, http10;
    char host[EG_NAME_MAX]; /* the Host asked with */
    const char *target;     /* the request target (path and query), into the url given */
    int refused;            /* the target itself is refused (status 400 and why) */
    const char *why;
    eg_uri_t uri;                    /* the normalized target; owned */
    eg_policy_decision_t d;          /* status 0 forwards; pointers into the configuration */
    char location[EG_URI_MAX + 512]; /* a redirect's Location */
    eg_buf_t raw;                    /* the head of the worker's own answer; owned */
} eg_policy_try_t;

/* The methods a try may use, in the order a form offers them. */
extern const char *const eg_policy_try_methods[];
extern const size_t eg_policy_try_nmethods;

/* method: one of GET HEAD POST PUT DELETE OPTIONS PATCH. url: a path ("/a?b", asked with the
 * distribution's first alternate domain name that is no wildcard as Host, else a wildcard's
 * name with www for its "*", else www.example.com) or an http:// or
 * https:// URL (its scheme then wins over https). The distribution answers every Host, as
 * if it were the only one. -1 with the reason for a method or URL that cannot be tried. */
int eg_policy_try(const eg_config_t *c, const eg_dist_t *dist, const char *method, int https,
                  int http10, const char *url, eg_policy_try_t *t, const char **err);
void eg_policy_try_free(eg_policy_try_t *t);

#endif
