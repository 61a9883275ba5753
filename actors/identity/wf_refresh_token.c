/*  wf_refresh_token - opaque refresh tokens: make, check shape, hash.  */
#include <assert.h>
#include <sodium.h>
#include <string.h>
#include "wf_refresh_token.h"

#define S_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_Static_assert(WF_REFRESH_TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
                   WF_REFRESH_TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX,
               "the hash size is one BLAKE2b can produce");
_Static_assert(WF_REFRESH_TOKEN_HASH_CHARS == WF_REFRESH_TOKEN_HASH_BYTES * 2,
               "hex doubles the hash");

int
wf_refresh_token_generate (char *token)
{
    assert (token);
    if (sodium_init () < 0) {
        return -1;
    }
    uint8_t bytes[WF_REFRESH_TOKEN_BYTES];
    randombytes_buf (bytes, sizeof bytes);
    sodium_bin2base64 (token, WF_REFRESH_TOKEN_CHARS + 1, bytes, sizeof bytes,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero (bytes, sizeof bytes);
    assert (strlen (token) == WF_REFRESH_TOKEN_CHARS);
    return 0;
}

int
wf_refresh_token_check (const char *text, size_t len)
{
    if (!text || len != WF_REFRESH_TOKEN_CHARS) {
        return -1;
    }
    //  Only the URL-safe alphabet: libsodium 1.0.18 decodes some bytes above
    //  0x7F as letters. The decoder refuses padding, and a last character with
    //  non-zero leftover bits.
    for (size_t index = 0; index < len; index++) {
        if (!strchr (S_ALPHABET, text[index]) || text[index] == 0) {
            return -1;
        }
    }
    uint8_t bytes[WF_REFRESH_TOKEN_BYTES];
    size_t bytes_len = 0;
    int rc = sodium_base642bin (bytes, sizeof bytes, text, len, NULL, &bytes_len, NULL,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero (bytes, sizeof bytes);
    return rc == 0 && bytes_len == WF_REFRESH_TOKEN_BYTES ? 0 : -1;
}

int
wf_refresh_token_hash (const char *text, size_t len, char *hex)
{
    assert (hex);
    hex[0] = 0;
    if (wf_refresh_token_check (text, len) != 0 || sodium_init () < 0) {
        return -1;
    }
    uint8_t digest[WF_REFRESH_TOKEN_HASH_BYTES];
    crypto_generichash (digest, sizeof digest, (const uint8_t *) text, len, NULL, 0);
    sodium_bin2hex (hex, WF_REFRESH_TOKEN_HASH_CHARS + 1, digest, sizeof digest);
    return 0;
}
