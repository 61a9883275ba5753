/*  wf_refresh_token - opaque refresh tokens: make, check shape, hash.

    A refresh token is WF_REFRESH_TOKEN_BYTES (256) random bits from libsodium,
    written as unpadded base64url: WF_REFRESH_TOKEN_CHARS (43) characters. The
    client gets it once; the database stores only its BLAKE2b-256 hash
    (crypto_generichash, 32 bytes) as WF_REFRESH_TOKEN_HASH_CHARS (64)
    lower-case hex characters. A fast hash is right here: the token carries 256
    bits of entropy, so there is nothing to brute-force.

    A presented token is checked for shape (exact length, alphabet, canonical
    last character) before it is hashed, so junk never reaches the database.
    Stateless functions; safe from any thread.
*/
#ifndef WF_REFRESH_TOKEN_H_INCLUDED
#define WF_REFRESH_TOKEN_H_INCLUDED

#include <stddef.h>
#include "wf_identity_limits.h"

//  Make a new token into token (WF_REFRESH_TOKEN_CHARS + 1 bytes, NUL-terminated).
//  Returns 0, or -1 when libsodium cannot initialize.
int wf_refresh_token_generate (char *token);

//  Returns 0 when text (len bytes, need not be NUL-terminated) has the exact
//  shape of a token we issue, else -1.
int wf_refresh_token_check (const char *text, size_t len);

//  Hash a presented token for lookup or storage into hex
//  (WF_REFRESH_TOKEN_HASH_CHARS + 1 bytes, NUL-terminated). Returns -1 (hex
//  set to "") when the token's shape is wrong.
int wf_refresh_token_hash (const char *text, size_t len, char *hex);

#endif
