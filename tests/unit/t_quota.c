/* Per-address job counts: a bound per key, keys apart, counts given back, no bound at 0. */
#include "edgegate/quota.h"
#include "tap.h"

int main(void)
{
    eg_quota_t *q = eg_quota_new(2), *free_for_all = eg_quota_new(0);
    is_int(eg_quota_take(q, "192.0.2.1"), 0, "first of two");
    is_int(eg_quota_take(q, "192.0.2.1"), 0, "second of two");
    is_int(eg_quota_take(q, "192.0.2.1"), -1, "a third is refused");
    is_int(eg_quota_held(q, "192.0.2.1"), 2, "the refusal counted nothing");
    is_int(eg_quota_take(q, "192.0.2.10"), 0, "another address has its own count");
    is_int(eg_quota_take(q, "2001:db8::1"), 0, "an IPv6 address too");
    eg_quota_give(q, "192.0.2.1");
    is_int(eg_quota_take(q, "192.0.2.1"), 0, "one given back can be taken again");
    eg_quota_give(q, "192.0.2.1");
    eg_quota_give(q, "192.0.2.1");
    is_int(eg_quota_held(q, "192.0.2.1"), 0, "all given back: the address holds nothing");
    eg_quota_give(q, "192.0.2.99"); /* never taken: nothing happens */
    is_int(eg_quota_held(q, "192.0.2.99"), 0, "giving back what was never taken changes nothing");
    for (int i = 0; i < 1000; i++) /* many keys share buckets */
        if (eg_quota_take(free_for_all, "x") < 0)
            break;
    is_int(eg_quota_take(free_for_all, "x"), 0, "no bound: always taken");
    {
        char key[32];
        int refused = 0;
        for (int i = 0; i < 600; i++) {
            snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
            refused += eg_quota_take(q, key) < 0;
            refused += eg_quota_take(q, key) < 0;
            refused += eg_quota_take(q, key) == 0; /* the third must be refused */
        }
        is_int(refused, 0, "600 addresses across the buckets, two each and no more");
        for (int i = 0; i < 600; i++) {
            snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
            eg_quota_give(q, key);
            eg_quota_give(q, key);
        }
        is_int(eg_quota_held(q, "10.0.1.44"), 0, "and all given back");
    }
    eg_quota_free(q);
    eg_quota_free(free_for_all);
    return done();
}
