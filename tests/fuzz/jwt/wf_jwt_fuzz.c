/*  wf_jwt_fuzz - libFuzzer target for access tokens (actors/identity/wf_jwt.c).

    The first byte picks the mode; the rest is its input:
      0  the bytes as a token: wf_jwt_verify (flags 0 and IGNORE_EXP) and the
         front's verifier, wf_jwt_cache_verify, twice (a miss, then a hit)
      1  "bytes" + "." + a valid MAC under our key, so the header and claim
         checks behind the signature are reached, through both verifiers
      2  issue -> verify round trip: the bytes split at '\n' into user id,
         email, first name, last name, role; when wf_jwt_issue accepts them,
         the token must verify and give back exactly those claims
      3  tamper: a valid token of a fixed user with the byte at position
         (bytes[0] bytes[1]) replaced by bytes[2]; any change must be refused
    Properties: the cached verifier always agrees with wf_jwt_verify (on a
    hit too); an accepted token names a non-empty subject; claims are
    NUL-terminated within their buffers. Built only with -DWF_FUZZ=ON (clang).
*/
#include <sodium.h>
#include "../common/wf_fuzz.h"
#include "wf_jwt.h"
#include "wf_jwt_cache.h"

#define S_KEY "fuzz-key-0123456789-0123456789-0123"
#define S_NOW 1700000000

static wf_jwt_t *s_jwt;
static wf_jwt_cache_t *s_cache;

//  Claims are C strings that fit their buffers.
static void
s_check_claims (const wf_jwt_claims_t *claims)
{
    WF_FUZZ_CHECK (claims->sub[0] != 0);
    WF_FUZZ_CHECK (strnlen (claims->sub, sizeof claims->sub) < sizeof claims->sub);
    WF_FUZZ_CHECK (strnlen (claims->email, sizeof claims->email) < sizeof claims->email);
    WF_FUZZ_CHECK (strnlen (claims->role, sizeof claims->role) < sizeof claims->role);
    WF_FUZZ_CHECK (strnlen (claims->jti, sizeof claims->jti) < sizeof claims->jti);
    WF_FUZZ_CHECK (strnlen (claims->first_name, sizeof claims->first_name) <
                   sizeof claims->first_name);
    WF_FUZZ_CHECK (strnlen (claims->last_name, sizeof claims->last_name) <
                   sizeof claims->last_name);
}

//  Verifies token with wf_jwt_verify and through the cache (miss, then hit);
//  all must agree. The cache verifies at wall-clock time, so its now is the
//  real clock: compare it with wf_jwt_verify at the same now.
static wf_jwt_reason_t
s_verify_all (const char *token, size_t len, int64_t now_s, wf_jwt_claims_t *claims)
{
    wf_jwt_claims_t other;
    wf_jwt_reason_t direct = wf_jwt_verify (s_jwt, token, len, now_s, 0, claims);
    if (direct == WF_JWT_OK)
        s_check_claims (claims);
    wf_jwt_reason_t lenient =
        wf_jwt_verify (s_jwt, token, len, now_s, WF_JWT_VERIFY_IGNORE_EXP, &other);
    //  Ignoring exp can only accept more.
    WF_FUZZ_CHECK (direct != WF_JWT_OK || lenient == WF_JWT_OK);
    for (int pass = 0; pass < 2; pass++) {
        wf_jwt_reason_t cached = wf_jwt_cache_verify (s_cache, token, len, now_s, &other);
        WF_FUZZ_CHECK (cached == direct);
        if (cached == WF_JWT_OK)
            WF_FUZZ_CHECK (strcmp (other.sub, claims->sub) == 0 && other.exp == claims->exp);
    }
    return direct;
}

//  Appends a valid MAC to the input and verifies the result.
static void
s_verify_signed (const uint8_t *data, size_t size)
{
    if (size > WF_JWT_TOKEN_BYTES_MAX)
        return;
    char *token = (char *) malloc (size + 1 + 44);
    memcpy (token, data, size);
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, (const uint8_t *) S_KEY, strlen (S_KEY));
    crypto_auth_hmacsha256_update (&state, data, size);
    crypto_auth_hmacsha256_final (&state, mac);
    token[size] = '.';
    sodium_bin2base64 (token + size + 1, 44, mac, sizeof mac,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    wf_jwt_claims_t claims;
    s_verify_all (token, size + 1 + strlen (token + size + 1), S_NOW, &claims);
    free (token);
}

//  Issues a token for the fields and checks it verifies to the same claims.
static void
s_round_trip (const uint8_t *data, size_t size)
{
    wf_fuzz_field_t fields[5];
    wf_fuzz_split (data, size, '\n', fields, 5);
    char *text[5];
    for (int f = 0; f < 5; f++)
        text[f] = wf_fuzz_strdup (fields[f]);
    wf_jwt_subject_t subject = {text[0], text[1], text[2], text[3], text[4]};
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    int64_t exp_s;
    if (wf_jwt_issue (s_jwt, &subject, S_NOW, token, sizeof token, &exp_s) == 0) {
        WF_FUZZ_CHECK (strlen (token) <= WF_JWT_TOKEN_BYTES_MAX);
        wf_jwt_claims_t claims;
        WF_FUZZ_CHECK (s_verify_all (token, strlen (token), S_NOW, &claims) == WF_JWT_OK);
        WF_FUZZ_CHECK (strcmp (claims.sub, text[0]) == 0);
        WF_FUZZ_CHECK (strcmp (claims.email, text[1]) == 0);
        WF_FUZZ_CHECK (strcmp (claims.first_name, text[2]) == 0);
        WF_FUZZ_CHECK (strcmp (claims.last_name, text[3]) == 0);
        WF_FUZZ_CHECK (strcmp (claims.role, text[4]) == 0);
        WF_FUZZ_CHECK (claims.exp == exp_s && claims.iat == S_NOW);
        //  Valid until exp plus the leeway, expired from then on.
        int64_t leeway_s = wf_jwt_leeway_s (s_jwt);
        WF_FUZZ_CHECK (wf_jwt_verify (s_jwt, token, strlen (token), exp_s + leeway_s - 1, 0,
                                      &claims) == WF_JWT_OK);
        WF_FUZZ_CHECK (wf_jwt_verify (s_jwt, token, strlen (token), exp_s + leeway_s, 0, &claims) ==
                       WF_JWT_EXPIRED);
    }
    for (int f = 0; f < 5; f++)
        free (text[f]);
}

//  Changes one byte of a valid token: never accepted unless unchanged.
static void
s_tamper (const uint8_t *data, size_t size)
{
    static char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    static size_t len;
    if (!len) {
        wf_jwt_subject_t subject = {"11111111-1111-4111-8111-111111111111", "ana@example.com",
                                    "Ana", "Diaz", "User"};
        int64_t exp_s;
        WF_FUZZ_CHECK (wf_jwt_issue (s_jwt, &subject, S_NOW, token, sizeof token, &exp_s) == 0);
        len = strlen (token);
    }
    if (size < 3)
        return;
    size_t at = ((size_t) data[0] << 8 | data[1]) % (len + 1);
    char copy[WF_JWT_TOKEN_BYTES_MAX + 2];
    memcpy (copy, token, len + 1);
    size_t copy_len = len;
    if (at == len)
        copy[copy_len++] = (char) data[2]; //  one byte appended
    else
        copy[at] = (char) data[2];
    bool changed = copy_len != len || memcmp (copy, token, len) != 0;
    wf_jwt_claims_t claims;
    wf_jwt_reason_t reason = wf_jwt_verify (s_jwt, copy, copy_len, S_NOW, 0, &claims);
    WF_FUZZ_CHECK ((reason == WF_JWT_OK) == !changed);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    WF_FUZZ_CHECK (sodium_init () >= 0);
    wf_jwt_config_t config = {(const uint8_t *) S_KEY, strlen (S_KEY), NULL, NULL, 0, 5};
    s_jwt = wf_jwt_new (&config);
    s_cache = wf_jwt_cache_new (s_jwt, 16);
    WF_FUZZ_CHECK (s_jwt && s_cache);
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    wf_jwt_claims_t claims;
    switch (mode % 4) {
        case 0:
            s_verify_all ((const char *) data, size, S_NOW, &claims);
            break;
        case 1:
            s_verify_signed (data, size);
            break;
        case 2:
            s_round_trip (data, size);
            break;
        default:
            s_tamper (data, size);
    }
    return 0;
}
