/* Operator passwords and session tokens (auth.h): scrypt through OpenSSL 3's KDF, tokens from
 * its random generator. A stored hash names its own cost, so verify reads ln, r and p from
 * the string, and bounds them first: the string comes from the database, and a hostile one
 * must not make a sign-in allocate gigabytes or run for minutes. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdint.h>

#include "edgegate/auth.h"
#include "edgegate/common.h"

/* the cost of new hashes: N = 2^15, 32 MiB and some 50 ms per derivation */
#define HASH_LN 15
#define HASH_R 8
#define HASH_P 1
#define SALT_LEN 16
#define KEY_LEN 32

/* what a stored hash may ask for: each parameter, and the memory scrypt takes (128 r N
 * bytes), which the first two alone would let reach 2 GiB */
#define MAX_LN 20
#define MAX_R 16
#define MAX_P 4
#define MAX_MEM (256ULL << 20)
#define MIN_SALT 8
#define MAX_SALT 64
#define MIN_KEY 16
#define MAX_KEY 64

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Base64 of in without padding into out; the characters written, or 0 when out is short. */
static size_t b64_encode(const char *alphabet, const unsigned char *in, size_t n, char *out,
                         size_t outlen)
{
    size_t o = 0, need = (n * 4 + 2) / 3;
    if (outlen < need + 1)
        return 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
    return o;
}

/* Strict base64 (standard alphabet, no padding) of len characters into at most max bytes:
 * the length, or -1 for anything not written by b64_encode (other characters, a length no
 * encoding has, bits left over that are not zero). */
static long b64_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
    uint32_t acc = 0;
    size_t o = 0;
    int bits = 0;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        const char *at = s[i] ? strchr(b64_std, s[i]) : NULL;
        if (at == NULL)
            return -1;
        acc = (acc << 6) | (uint32_t)(at - b64_std);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == max)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* a canonical encoding leaves zero bits */
        return -1;
    return (long)o;
}

static int derive(const char *password, const unsigned char *salt, size_t saltlen, int ln, int r,
                  int p, unsigned char *key, size_t keylen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    uint64_t n = (uint64_t)1 << ln, maxmem = 2 * MAX_MEM;
    uint32_t rr = (uint32_t)r, pp = (uint32_t)p;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
                                          strlen(password)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    int rc = ctx && EVP_KDF_derive(ctx, key, keylen, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

int eg_auth_password_ok(const char *password, char *err, size_t errlen)
{
    size_t len = password ? strlen(password) : 0;
    if (len < EG_AUTH_PASSWORD_MIN) {
        eg_errf(err, errlen, "the password is too short: it needs at least %d characters",
                EG_AUTH_PASSWORD_MIN);
        return -1;
    }
    if (len > EG_AUTH_PASSWORD_MAX) {
        eg_errf(err, errlen, "the password is too long: at most %d bytes", EG_AUTH_PASSWORD_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)password[i] < 0x20 || password[i] == 0x7f) {
            eg_errf(err, errlen,
                    "the password holds a control character (a tab, a line break or the like)");
            return -1;
        }
    return 0;
}

int eg_auth_hash(const char *password, char *out, size_t outlen, char *err, size_t errlen)
{
    unsigned char salt[SALT_LEN], key[KEY_LEN];
    char salt64[SALT_LEN * 2], key64[KEY_LEN * 2];
    int n, rc = -1;
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        eg_errf(err, errlen, "no random salt: the system's random generator failed");
        goto out;
    }
    if (derive(password, salt, sizeof(salt), HASH_LN, HASH_R, HASH_P, key, sizeof(key)) < 0) {
        eg_errf(err, errlen, "scrypt failed (OpenSSL)");
        goto out;
    }
    if (!b64_encode(b64_std, salt, sizeof(salt), salt64, sizeof(salt64)) ||
        !b64_encode(b64_std, key, sizeof(key), key64, sizeof(key64)))
        abort(); /* the buffers are sized for the constants */
    n = snprintf(out, outlen, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", HASH_LN, HASH_R, HASH_P, salt64,
                 key64);
    if (n < 0 || (size_t)n >= outlen) {
        eg_errf(err, errlen, "no room for the password hash (%d bytes)", n);
        if (outlen)
            out[0] = '\0';
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* A small decimal number as written by eg_auth_hash: 1 or 2 digits, no sign, no leading
 * zero; moves *s past it. */
static int number(const char **s, int *v)
{
    const char *p = *s;
    if (p[0] < '1' || p[0] > '9')
        return -1;
    *v = p[0] - '0';
    if (p[1] >= '0' && p[1] <= '9') {
        *v = *v * 10 + (p[1] - '0');
        p++;
    }
    *s = p + 1;
    return 0;
}

static int literal(const char **s, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(*s, word, n) != 0)
        return -1;
    *s += n;
    return 0;
}

typedef struct {
    int ln, r, p;
    unsigned char salt[MAX_SALT], key[MAX_KEY];
    size_t saltlen, keylen;
} stored_t;

/* "$scrypt$ln=L,r=R,p=P$SALT$KEY", each part within bounds; 0 or -1. */
static int parse(const char *s, stored_t *h)
{
    const char *salt, *dollar;
    long n;
    if (literal(&s, "$scrypt$ln=") < 0 || number(&s, &h->ln) < 0 || literal(&s, ",r=") < 0 ||
        number(&s, &h->r) < 0 || literal(&s, ",p=") < 0 || number(&s, &h->p) < 0 ||
        literal(&s, "$") < 0)
        return -1;
    if (h->ln > MAX_LN || h->r > MAX_R || h->p > MAX_P ||
        ((unsigned long long)128 * (unsigned)h->r << h->ln) > MAX_MEM)
        return -1;
    salt = s;
    if ((dollar = strchr(salt, '$')) == NULL || strchr(dollar + 1, '$') != NULL)
        return -1;
    n = b64_decode(salt, (size_t)(dollar - salt), h->salt, sizeof(h->salt));
    if (n < MIN_SALT)
        return -1;
    h->saltlen = (size_t)n;
    n = b64_decode(dollar + 1, strlen(dollar + 1), h->key, sizeof(h->key));
    if (n < MIN_KEY)
        return -1;
    h->keylen = (size_t)n;
    return 0;
}

int eg_auth_verify(const char *password, const char *stored)
{
    stored_t h;
    unsigned char key[MAX_KEY];
    int rc = -1;
    if (password == NULL || stored == NULL || parse(stored, &h) < 0)
        return -1;
    if (derive(password, h.salt, h.saltlen, h.ln, h.r, h.p, key, h.keylen) == 0)
        rc = CRYPTO_memcmp(key, h.key, h.keylen) == 0;
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

void eg_auth_verify_dummy(const char *password)
{
    static const unsigned char salt[SALT_LEN] = {0};
    unsigned char key[KEY_LEN];
    /* the cost eg_auth_hash gives every new hash; the result is thrown away */
    if (derive(password ? password : "", salt, sizeof(salt), HASH_LN, HASH_R, HASH_P, key,
               sizeof(key)) < 0)
        eg_log_warn("scrypt failed (OpenSSL) in a sign-in for an unknown user");
    OPENSSL_cleanse(key, sizeof(key));
}

int eg_auth_token(char *out, size_t outlen)
{
    unsigned char raw[32];
    int rc = -1;
    if (outlen < EG_AUTH_TOKEN_LEN + 1) {
        if (outlen)
            out[0] = '\0';
        return -1;
    }
    if (RAND_bytes(raw, sizeof(raw)) == 1 &&
        b64_encode(b64_url, raw, sizeof(raw), out, outlen) == EG_AUTH_TOKEN_LEN)
        rc = 0;
    else
        out[0] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    return rc;
}

void eg_auth_token_digest(const char *token, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        /* "" matches no stored session: eg_db_session_create refuses an empty digest */
        eg_log_error("SHA-256 failed (OpenSSL)");
        out[0] = '\0';
        return;
    }
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}
