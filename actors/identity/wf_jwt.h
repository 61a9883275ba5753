/*  wf_jwt - HS256 access tokens: issue with libjwt, verify on our own terms.

    Issuing uses libjwt (jwt_new, jwt_add_grant*, jwt_encode_str) and carries
    the original's claims: sub (user id), email, jti (random uuid), firstName,
    lastName, role, plus iat, nbf, exp (now + ttl), iss and aud.

    Verifying does not trust libjwt, whose 1.10 jwt_decode accepts unsigned
    tokens when given no key, checks no time claims and compares MACs with
    strcmp. wf_jwt_verify splits the three parts itself, decodes them as strict
    base64url (no padding, no stray bits), requires the header's alg to be
    exactly "HS256" (typ "JWT" or absent, no crit), recomputes HMAC-SHA256 over
    "header.payload" with libsodium and compares in constant time, and only then
    parses the claims: exp > now - leeway, nbf <= now + leeway, iat present,
    iss equal to ours, aud ours (a string, or an array containing ours), sub
    present. Each failure has its own reason, for logs; callers answer every
    one with 401.

    A wf_jwt_t is immutable after wf_jwt_new: several threads may issue and
    verify with one instance at once.

    The key comes from configuration: wf_jwt_secret_load applies the secret
    policy (production: at least WF_JWT_KEY_BYTES_MIN bytes from the
    environment and no known sample value; development: a random key per run).
*/
#ifndef WF_JWT_H_INCLUDED
#define WF_JWT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wf_identity_limits.h"

#define WF_JWT_ISSUER_DEFAULT   "WalletFlow.Identity"
#define WF_JWT_AUDIENCE_DEFAULT "WalletFlow"

//  Why a token was refused. Stable names via wf_jwt_reason_name.
typedef enum {
    WF_JWT_OK = 0,
    WF_JWT_MALFORMED,     //  not three canonical base64url parts of JSON objects, or too long
    WF_JWT_BAD_ALG,       //  header alg is not exactly HS256 (or bad typ / crit)
    WF_JWT_BAD_SIGNATURE, //  MAC mismatch or wrong MAC length
    WF_JWT_EXPIRED,       //  exp <= now - leeway
    WF_JWT_NOT_YET_VALID, //  nbf > now + leeway
    WF_JWT_BAD_ISSUER,    //  iss is not ours
    WF_JWT_BAD_AUDIENCE,  //  aud does not name us
    WF_JWT_MISSING_CLAIM, //  exp, nbf, iat, iss, aud or sub absent
    WF_JWT_REASON_COUNT
} wf_jwt_reason_t;

//  Flags for wf_jwt_verify.
#define WF_JWT_VERIFY_IGNORE_EXP 1u //  refresh: an expired token of ours still names its user

typedef struct {
    const uint8_t *key;   //  secret bytes, copied by wf_jwt_new
    size_t key_len;       //  1..WF_JWT_KEY_BYTES_MAX
    const char *issuer;   //  NULL: WF_JWT_ISSUER_DEFAULT
    const char *audience; //  NULL: WF_JWT_AUDIENCE_DEFAULT
    int64_t ttl_s;        //  access token lifetime; 0: WF_JWT_TTL_S_DEFAULT
    int64_t leeway_s;     //  clock skew allowed on exp/nbf; default 0
} wf_jwt_config_t;

//  Who a token is issued to. All strings NUL-terminated UTF-8.
typedef struct {
    const char *user_id;
    const char *email;
    const char *first_name;
    const char *last_name;
    const char *role;
} wf_jwt_subject_t;

//  Claims of a verified token. Absent optional claims are empty strings.
typedef struct {
    char sub[WF_USER_ID_BYTES_MAX + 1];
    char email[WF_EMAIL_BYTES_MAX + 1];
    char role[WF_ROLE_BYTES_MAX + 1];
    char jti[WF_JWT_JTI_BYTES_MAX + 1];
    char first_name[WF_NAME_BYTES_MAX + 1];
    char last_name[WF_NAME_BYTES_MAX + 1];
    int64_t exp; //  seconds since the epoch
    int64_t iat;
} wf_jwt_claims_t;

typedef struct _wf_jwt_t wf_jwt_t;

//  Create a token issuer/verifier. Returns NULL when the configuration is out
//  of bounds (empty or oversized key, issuer or audience, ttl, leeway).
wf_jwt_t *wf_jwt_new (const wf_jwt_config_t *config);

//  Destroy it, wiping the key. Idempotent; nulls *self_p.
void wf_jwt_destroy (wf_jwt_t **self_p);

//  Issue an access token valid from now_s for the configured ttl. Writes the
//  NUL-terminated token into token (token_size bytes; WF_JWT_TOKEN_BYTES_MAX +
//  1 always suffices) and its exp into *exp_s. Returns 0, or -1 when a claim
//  is not valid UTF-8, libjwt fails or the token does not fit.
int wf_jwt_issue (const wf_jwt_t *self, const wf_jwt_subject_t *subject, int64_t now_s, char *token,
                  size_t token_size, int64_t *exp_s);

//  Verify a token (token_len bytes, need not be NUL-terminated) at now_s.
//  flags: 0 or WF_JWT_VERIFY_IGNORE_EXP. Fills claims on WF_JWT_OK; on any
//  other reason claims is zeroed.
wf_jwt_reason_t wf_jwt_verify (const wf_jwt_t *self, const char *token, size_t token_len,
                               int64_t now_s, unsigned flags, wf_jwt_claims_t *claims);

//  The configured leeway, for callers that cache verified tokens.
int64_t wf_jwt_leeway_s (const wf_jwt_t *self);

//  The stable lower-case name of a reason ("bad_signature"), for logs.
const char *wf_jwt_reason_name (wf_jwt_reason_t reason);

//  Apply the secret policy. key holds *len bytes on entry (at least
//  WF_JWT_KEY_BYTES_MAX); on success *len is the key length. env_value is the
//  secret from the environment (NULL or "" when unset).
//  production: refuses (-1) a missing secret, one shorter than
//  WF_JWT_KEY_BYTES_MIN, a known sample value or one of very few distinct
//  bytes. development: uses env_value when set, else fills
//  WF_JWT_GENERATED_KEY_BYTES random bytes and sets *generated.
int wf_jwt_secret_load (const char *env_value, bool production, uint8_t *key, size_t *len,
                        bool *generated);

#endif
