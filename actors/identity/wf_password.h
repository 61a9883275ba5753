/*  wf_password - Argon2id password hashes through libsodium.

    Hashes are libsodium's self-describing strings ("$argon2id$v=19$m=...,t=...,
    p=1$salt$hash"), made with crypto_pwhash_str at the configured work
    factors and checked with crypto_pwhash_str_verify. needs_rehash tells the
    login path to store a fresh hash when the stored one is weaker than the
    current factors (or not Argon2id at all).

    When a login names no known user, the caller verifies against a dummy hash
    made at start with the current factors, so both answers take the same time.

    Every call costs ~100 ms of CPU at the default factors: run them on
    wf_hash_pool, never on an actor loop. A wf_password_t is immutable after
    wf_password_new, so pool threads share one.
*/
#ifndef WF_PASSWORD_H_INCLUDED
#define WF_PASSWORD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "wf_identity_limits.h"

//  Work factors; 0 means libsodium's INTERACTIVE value. Tests use
//  crypto_pwhash_OPSLIMIT_MIN / MEMLIMIT_MIN to stay fast.
typedef struct {
    unsigned long long opslimit;
    size_t memlimit; //  bytes
} wf_password_config_t;

typedef struct _wf_password_t wf_password_t;

//  Create a hasher; computes the dummy hash (one full hash). NULL when the
//  factors are outside libsodium's bounds or hashing fails (out of memory).
wf_password_t *wf_password_new (const wf_password_config_t *config);

//  Destroy it. Idempotent; nulls *self_p.
void wf_password_destroy (wf_password_t **self_p);

//  Hash a password into hash (WF_HASH_STRING_BYTES_MAX + 1 bytes). Returns 0,
//  or -1 on an oversized password or when memory runs out.
int wf_password_hash (const wf_password_t *self, const char *password, size_t password_len,
                      char *hash);

//  Returns 0 when password matches the stored hash (NUL-terminated), -1 when
//  it does not or the hash is not one we can read.
int wf_password_verify (const wf_password_t *self, const char *hash, const char *password,
                        size_t password_len);

//  Verify against the dummy hash: same cost as a real verify, always -1.
int wf_password_verify_dummy (const wf_password_t *self, const char *password, size_t password_len);

//  True when hash should be replaced: not Argon2id, unreadable, or weaker
//  than the current factors in memory or in passes.
bool wf_password_needs_rehash (const wf_password_t *self, const char *hash);

#endif
