/* Operator passwords and session tokens for the console (edgegate-admin) and egctl's user
 * commands. Passwords are stored as OpenSSL 3's scrypt KDF output, never a plain hash, in one
 * self-describing string:
 *   $scrypt$ln=15,r=8,p=1$<salt, base64>$<derived key, base64>
 * so the cost can be raised later without breaking stored ones. */
#ifndef EDGEGATE_AUTH_H
#define EDGEGATE_AUTH_H

#include <stddef.h>

#define EG_AUTH_HASH_MAX 192 /* = EG_HASH_MAX in db.h */
#define EG_AUTH_TOKEN_LEN 43 /* 32 random bytes, base64url without padding */
#define EG_AUTH_PASSWORD_MIN 8
#define EG_AUTH_PASSWORD_MAX 1024

/* 0 when a password is acceptable (EG_AUTH_PASSWORD_MIN to _MAX bytes, no control
 * characters), else -1 with the reason. */
int eg_auth_password_ok(const char *password, char *err, size_t errlen);
/* Derives the stored form of password with a new random salt; -1 with the reason. */
int eg_auth_hash(const char *password, char *out, size_t outlen, char *err, size_t errlen);
/* 1 when password matches stored, 0 when not, -1 when stored is not a hash this knows. The
 * comparison takes the same time wherever the keys differ. */
int eg_auth_verify(const char *password, const char *stored);
/* Does the work of one verification against nothing: a sign-in for an unknown user takes as
 * long as one for a known user. */
void eg_auth_verify_dummy(const char *password);
/* A new random token (EG_AUTH_TOKEN_LEN characters of [A-Za-z0-9_-]); out must hold
 * EG_AUTH_TOKEN_LEN + 1. -1 when there is no randomness. */
int eg_auth_token(char *out, size_t outlen);
/* The token's digest as stored in the database: SHA-256, lower-case hex (65 bytes). */
void eg_auth_token_digest(const char *token, char out[65]);

#endif
