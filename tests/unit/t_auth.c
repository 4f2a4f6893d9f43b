/* Operator passwords and session tokens (gateway/auth.c): the stored form round trips and
 * matches RFC 7914's scrypt vector, every tampered or malformed string is refused, a hostile
 * cost is refused before any work, tokens are what the console puts in cookies, and the
 * digest is SHA-256. */
#include <openssl/evp.h>
#include <stdint.h>
#include <time.h>

#include "edgegate/auth.h"
#include "edgegate/common.h"
#include "tap.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* base64 without padding, written here again so the test does not trust auth.c's */
static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = a[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
}

static void hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

static void round_trip(void)
{
    char h1[EG_AUTH_HASH_MAX], h2[EG_AUTH_HASH_MAX], err[256], salt[64], key[128];
    int ok1 = eg_auth_hash("correct horse battery", h1, sizeof(h1), err, sizeof(err)) == 0;
    ok(ok1, "a password is hashed: %s", ok1 ? h1 : err);
    ok(strncmp(h1, "$scrypt$ln=15,r=8,p=1$", 22) == 0, "  in the documented form, N=2^15 r=8 p=1");
    ok(sscanf(h1, "$scrypt$ln=15,r=8,p=1$%63[^$]$%127s", salt, key) == 2 && strlen(salt) == 22 &&
           strlen(key) == 43,
       "  with a 16-byte salt and a 32-byte key in base64 (%zu, %zu characters)", strlen(salt),
       strlen(key));
    ok(strlen(h1) < EG_AUTH_HASH_MAX, "  which fits EG_AUTH_HASH_MAX");
    is_int(eg_auth_verify("correct horse battery", h1), 1, "the password verifies");
    is_int(eg_auth_verify("correct horse batterY", h1), 0, "another one does not");
    is_int(eg_auth_verify("", h1), 0, "nor the empty one");
    is_int(eg_auth_verify("correct horse battery ", h1), 0, "nor one with a byte more");
    ok(eg_auth_hash("correct horse battery", h2, sizeof(h2), err, sizeof(err)) == 0 &&
           strcmp(h1, h2) != 0 && eg_auth_verify("correct horse battery", h2) == 1,
       "hashing it again gives another string (a new salt) that verifies too");
    ok(eg_auth_hash("correct horse battery", h2, 40, err, sizeof(err)) == -1 && h2[0] == '\0',
       "a buffer too small is refused: %s", err);

    /* one character of the salt, then of the key, changed (still valid base64) */
    {
        char t[EG_AUTH_HASH_MAX];
        size_t salt_at = 22, key_at = strlen(h1) - 5;
        snprintf(t, sizeof(t), "%s", h1);
        t[salt_at] = t[salt_at] == 'A' ? 'B' : 'A';
        is_int(eg_auth_verify("correct horse battery", t), 0, "a tampered salt: no match");
        snprintf(t, sizeof(t), "%s", h1);
        t[key_at] = t[key_at] == 'A' ? 'B' : 'A';
        is_int(eg_auth_verify("correct horse battery", t), 0, "a tampered key: no match");
        snprintf(t, sizeof(t), "%s", h1);
        memcpy(t + 8, "ln=14", 5);
        is_int(eg_auth_verify("correct horse battery", t), 0, "a tampered cost: no match");
    }
}

/* RFC 7914 section 12, the N = 16384 vector, in the stored form: verify derives with the
 * parameters the string names, the salt and key decoded from it. */
static void known_vector(void)
{
    unsigned char dk[64];
    char stored[256], salt64[64], key64[128];
    hex_to_bytes("7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
                 "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887",
                 dk, sizeof(dk));
    b64((const unsigned char *)"SodiumChloride", 14, salt64);
    b64(dk, sizeof(dk), key64);
    snprintf(stored, sizeof(stored), "$scrypt$ln=14,r=8,p=1$%s$%s", salt64, key64);
    is_int(eg_auth_verify("pleaseletmein", stored), 1,
           "RFC 7914's scrypt vector (N=16384, r=8, p=1, 64-byte key) verifies");
    is_int(eg_auth_verify("pleaseletmeiN", stored), 0, "  and not with another password");
    /* the same string with another cost in it derives another key */
    stored[12] = '3'; /* ln=13 */
    is_int(eg_auth_verify("pleaseletmein", stored), 0, "  nor under another N");
}

static void malformed(void)
{
    char good[EG_AUTH_HASH_MAX], err[256], t[512];
    const char *salt = "AAAAAAAAAAAAAAAAAAAAAA", *key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    static const char *const bad[] = {
        "",
        "$scrypt$",
        "scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$bcrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$",
        "$scrypt$ln=15,r=8,p=1$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$r=8,ln=15,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=x,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=-15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=+15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=015,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15 ,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        /* not base64, padded, a length no encoding has, bits left over */
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAA!A$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAB$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
        /* a salt or key too short, a key too long, a part more */
        "$scrypt$ln=15,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$",
    };
    int all = 1;
    for (size_t i = 0; i < EG_ARRAY_LEN(bad); i++) {
        int r = eg_auth_verify("password", bad[i]);
        if (r != -1) {
            all = 0;
            printf("#   verify gave %d for '%s'\n", r, bad[i]);
        }
    }
    ok(all, "%zu malformed stored strings are each refused (-1)", EG_ARRAY_LEN(bad));
    snprintf(t, sizeof(t), "$scrypt$ln=4,r=8,p=1$%s$%s", salt, key);
    is_int(eg_auth_verify("password", t), 0,
           "the well-formed one they were made from is merely no match");
    ok(eg_auth_hash("x", good, sizeof(good), err, sizeof(err)) == 0 &&
           eg_auth_verify(NULL, good) == -1 && eg_auth_verify("x", NULL) == -1,
       "NULL is refused");
}

/* A stored string asking for an absurd cost is refused before any work: each in well under
 * the time of one real derivation. */
static void absurd_costs(void)
{
    static const char *const costs[] = {
        "ln=21,r=8,p=1", "ln=99,r=8,p=1", "ln=15,r=17,p=1", "ln=15,r=99,p=1", "ln=15,r=8,p=5",
        "ln=15,r=8,p=99", "ln=20,r=16,p=4", "ln=20,r=8,p=1", /* 1 GiB */
        "ln=19,r=16,p=1",                                    /* 1 GiB */
        "ln=999999999999,r=8,p=1", "ln=15,r=4294967297,p=1", "ln=0,r=8,p=1", "ln=15,r=0,p=1",
        "ln=15,r=8,p=0"};
    char t[256];
    int all = 1;
    double worst = 0;
    for (size_t i = 0; i < EG_ARRAY_LEN(costs); i++) {
        double t0 = now_s(), dt;
        int r;
        snprintf(t, sizeof(t), "$scrypt$%s$AAAAAAAAAAAAAAAAAAAAAA$%s", costs[i],
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        r = eg_auth_verify("password", t);
        dt = now_s() - t0;
        worst = dt > worst ? dt : worst;
        if (r != -1) {
            all = 0;
            printf("#   %s gave %d\n", costs[i], r);
        }
    }
    ok(all, "absurd costs (ln > 20, r > 16, p > 4, over 256 MiB, zero) are refused");
    ok(worst < 0.05, "  at once, well under one derivation (the slowest in %.4f s)", worst);
    snprintf(t, sizeof(t), "$scrypt$ln=10,r=16,p=4$AAAAAAAAAAAAAAAAAAAAAA$%s",
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    is_int(eg_auth_verify("password", t), 0, "a cost within the bounds is derived (no match)");
}

static void dummy(void)
{
    char h[EG_AUTH_HASH_MAX], err[256];
    double t0, real = 1e9, fake = 1e9;
    eg_auth_hash("some password", h, sizeof(h), err, sizeof(err));
    for (int i = 0; i < 2; i++) {
        double dt;
        t0 = now_s();
        eg_auth_verify("other password", h);
        dt = now_s() - t0;
        real = dt < real ? dt : real;
        t0 = now_s();
        eg_auth_verify_dummy("other password");
        dt = now_s() - t0;
        fake = dt < fake ? dt : fake;
    }
    ok(fake > real * 0.3 && fake < real * 3 + 0.05,
       "a dummy verification takes as long as a real one (%.3f s, %.3f s)", fake, real);
}

static int cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void tokens(void)
{
    enum { N = 2000 };
    static char t[N][EG_AUTH_TOKEN_LEN + 1];
    char small[EG_AUTH_TOKEN_LEN];
    int shape = 1, distinct = 1;
    for (int i = 0; i < N; i++) {
        if (eg_auth_token(t[i], sizeof(t[i])) < 0 || strlen(t[i]) != EG_AUTH_TOKEN_LEN ||
            strspn(t[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
                EG_AUTH_TOKEN_LEN)
            shape = 0;
    }
    ok(shape, "%d tokens, each 43 characters of [A-Za-z0-9_-]", N);
    qsort(t, N, sizeof(t[0]), cmp);
    for (int i = 1; i < N; i++)
        distinct = distinct && strcmp(t[i - 1], t[i]) != 0;
    ok(distinct, "  all different");
    ok(eg_auth_token(small, sizeof(small)) == -1 && small[0] == '\0',
       "a buffer without room for the NUL is refused");
}

static void digest(void)
{
    char d[65];
    eg_auth_token_digest("abc", d);
    is_str(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "the digest of 'abc' is SHA-256's (FIPS 180-2 vector), lower-case hex");
    eg_auth_token_digest("", d);
    is_str(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           "the digest of '' too");
}

static void passwords(void)
{
    char err[256], big[EG_AUTH_PASSWORD_MAX + 2];
    ok(eg_auth_password_ok("seven77", err, sizeof(err)) == -1 && strstr(err, "too short") &&
           strstr(err, "8"),
       "7 characters are too few: %s", err);
    is_int(eg_auth_password_ok("eight888", err, sizeof(err)), 0, "8 are enough");
    ok(eg_auth_password_ok("tab\there123", err, sizeof(err)) == -1 && strstr(err, "control"),
       "a tab is refused: %s", err);
    ok(eg_auth_password_ok("line\nbreak123", err, sizeof(err)) == -1 &&
           eg_auth_password_ok("del\x7f" "character", err, sizeof(err)) == -1,
       "a line break and DEL too");
    is_int(eg_auth_password_ok("caf\xc3\xa9 cr\xc3\xa8" "me br\xc3\xbbl\xc3\xa9" "e", err, sizeof(err)),
           0, "spaces and UTF-8 are fine");
    memset(big, 'a', EG_AUTH_PASSWORD_MAX);
    big[EG_AUTH_PASSWORD_MAX] = '\0';
    is_int(eg_auth_password_ok(big, err, sizeof(err)), 0, "1024 bytes are fine");
    big[EG_AUTH_PASSWORD_MAX] = 'a';
    big[EG_AUTH_PASSWORD_MAX + 1] = '\0';
    ok(eg_auth_password_ok(big, err, sizeof(err)) == -1 && strstr(err, "too long"),
       "1025 are too many: %s", err);
    ok(eg_auth_password_ok(NULL, err, sizeof(err)) == -1, "NULL is refused");
}

int main(void)
{
    round_trip();
    known_vector();
    malformed();
    absurd_costs();
    dummy();
    tokens();
    digest();
    passwords();
    return done();
}
