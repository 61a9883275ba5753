/*  wf_jwt - HS256 access tokens: issue with libjwt, verify on our own terms.

    Verification order matters: the header is checked before any MAC work (so
    "alg":"none" and foreign algorithms are refused by name), and the payload
    is parsed only after its MAC matched, so untrusted claims never reach the
    JSON parser. Base64url decoding is libsodium's constant-time decoder in its
    URL-safe, no-padding variant, which also refuses non-zero leftover bits:
    every accepted token has exactly one spelling.
*/
#include <assert.h>
#include <jansson.h>
#include <jwt.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "wf_jwt.h"

#define S_MAC_BYTES      crypto_auth_hmacsha256_BYTES
#define S_PART_BYTES_MAX (WF_JWT_TOKEN_BYTES_MAX * 3 / 4 + 3) //  one decoded part
#define S_UUID_CHARS     36
#define S_TIME_S_MAX     253402300799LL //  9999-12-31T23:59:59Z

struct _wf_jwt_t {
    uint8_t key[WF_JWT_KEY_BYTES_MAX];
    size_t key_len;
    char issuer[WF_JWT_ISSUER_BYTES_MAX + 1];
    char audience[WF_JWT_AUDIENCE_BYTES_MAX + 1];
    int64_t ttl_s;
    int64_t leeway_s;
};

//  Copy a configured string with its default; -1 when empty or too long.
static int
s_copy_setting (char *dest, size_t size, const char *value, const char *fallback)
{
    const char *source = value ? value : fallback;
    size_t len = strlen (source);
    if (len == 0 || len >= size) {
        return -1;
    }
    memcpy (dest, source, len + 1);
    return 0;
}

wf_jwt_t *
wf_jwt_new (const wf_jwt_config_t *config)
{
    assert (config);
    int64_t ttl_s = config->ttl_s ? config->ttl_s : WF_JWT_TTL_S_DEFAULT;
    if (!config->key || config->key_len == 0 || config->key_len > WF_JWT_KEY_BYTES_MAX ||
        ttl_s < 1 || ttl_s > WF_JWT_TTL_S_MAX || config->leeway_s < 0 ||
        config->leeway_s > WF_JWT_LEEWAY_S_MAX || sodium_init () < 0) {
        return NULL;
    }
    wf_jwt_t *self = (wf_jwt_t *) calloc (1, sizeof (wf_jwt_t));
    assert (self);
    if (s_copy_setting (self->issuer, sizeof self->issuer, config->issuer, WF_JWT_ISSUER_DEFAULT) !=
            0 ||
        s_copy_setting (self->audience, sizeof self->audience, config->audience,
                        WF_JWT_AUDIENCE_DEFAULT) != 0) {
        wf_jwt_destroy (&self);
        return NULL;
    }
    memcpy (self->key, config->key, config->key_len);
    self->key_len = config->key_len;
    self->ttl_s = ttl_s;
    self->leeway_s = config->leeway_s;
    return self;
}

void
wf_jwt_destroy (wf_jwt_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        sodium_memzero (*self_p, sizeof (wf_jwt_t));
        free (*self_p);
        *self_p = NULL;
    }
}

int64_t
wf_jwt_leeway_s (const wf_jwt_t *self)
{
    assert (self);
    return self->leeway_s;
}

const char *
wf_jwt_reason_name (wf_jwt_reason_t reason)
{
    static const char *names[WF_JWT_REASON_COUNT] = {
        "ok",         "malformed",    "bad_alg",      "bad_signature", "expired", "not_yet_valid",
        "bad_issuer", "bad_audience", "missing_claim"};
    return (unsigned) reason < WF_JWT_REASON_COUNT ? names[reason] : "unknown";
}

//  A random (version 4) uuid in lower-case text; out holds S_UUID_CHARS + 1.
static void
s_uuid4 (char *out)
{
    uint8_t bytes[16];
    randombytes_buf (bytes, sizeof bytes);
    bytes[6] = (uint8_t) ((bytes[6] & 0x0F) | 0x40);
    bytes[8] = (uint8_t) ((bytes[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    for (size_t index = 0; index < 16; index++) {
        if (index == 4 || index == 6 || index == 8 || index == 10) {
            out[at++] = '-';
        }
        out[at++] = hex[bytes[index] >> 4];
        out[at++] = hex[bytes[index] & 0x0F];
    }
    out[at] = 0;
    assert (at == S_UUID_CHARS);
}

//  True when a subject's strings are present and within the claim limits, so
//  that the token fits WF_JWT_TOKEN_BYTES_MAX and verifies back into claims.
static bool
s_subject_ok (const wf_jwt_subject_t *subject)
{
    return subject->user_id && subject->email && subject->first_name && subject->last_name &&
           subject->role && subject->user_id[0] &&
           strlen (subject->user_id) <= WF_USER_ID_BYTES_MAX &&
           strlen (subject->email) <= WF_EMAIL_BYTES_MAX &&
           strlen (subject->first_name) <= WF_NAME_BYTES_MAX &&
           strlen (subject->last_name) <= WF_NAME_BYTES_MAX &&
           strlen (subject->role) <= WF_ROLE_BYTES_MAX;
}

int
wf_jwt_issue (const wf_jwt_t *self, const wf_jwt_subject_t *subject, int64_t now_s, char *token,
              size_t token_size, int64_t *exp_s)
{
    assert (self);
    assert (subject);
    assert (token);
    assert (exp_s);
    if (!s_subject_ok (subject) || now_s < 0 || now_s > S_TIME_S_MAX - self->ttl_s) {
        return -1;
    }
    char jti[S_UUID_CHARS + 1];
    s_uuid4 (jti);
    int64_t exp = now_s + self->ttl_s;
    jwt_t *jwt = NULL;
    if (jwt_new (&jwt) != 0) {
        return -1;
    }
    int rc = jwt_set_alg (jwt, JWT_ALG_HS256, self->key, (int) self->key_len);
    rc = rc ? rc : jwt_add_grant (jwt, "sub", subject->user_id);
    rc = rc ? rc : jwt_add_grant (jwt, "email", subject->email);
    rc = rc ? rc : jwt_add_grant (jwt, "jti", jti);
    rc = rc ? rc : jwt_add_grant (jwt, "firstName", subject->first_name);
    rc = rc ? rc : jwt_add_grant (jwt, "lastName", subject->last_name);
    rc = rc ? rc : jwt_add_grant (jwt, "role", subject->role);
    rc = rc ? rc : jwt_add_grant_int (jwt, "iat", (long) now_s);
    rc = rc ? rc : jwt_add_grant_int (jwt, "nbf", (long) now_s);
    rc = rc ? rc : jwt_add_grant_int (jwt, "exp", (long) exp);
    rc = rc ? rc : jwt_add_grant (jwt, "iss", self->issuer);
    rc = rc ? rc : jwt_add_grant (jwt, "aud", self->audience);
    char *encoded = rc == 0 ? jwt_encode_str (jwt) : NULL;
    jwt_free (jwt); //  libjwt scrubs its copy of the key
    size_t len = encoded ? strlen (encoded) : 0;
    int result = -1;
    if (encoded && len <= WF_JWT_TOKEN_BYTES_MAX && len < token_size) {
        memcpy (token, encoded, len + 1);
        *exp_s = exp;
        result = 0;
    }
    free (encoded);
    return result;
}

//  True when text holds only base64url characters.
static bool
s_base64url_alphabet (const char *text, size_t len)
{
    for (size_t index = 0; index < len; index++) {
        char c = text[index];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

//  Strict base64url (no padding, canonical) decode; -1 on any other spelling.
static int
s_base64url_decode (const char *text, size_t len, uint8_t *out, size_t out_max, size_t *out_len)
{
    //  libsodium 1.0.18 decodes some bytes above 0x7F as if they were letters,
    //  so a token would have other spellings: check the alphabet first.
    if (len == 0 || !s_base64url_alphabet (text, len)) {
        return -1;
    }
    return sodium_base642bin (out, out_max, text, len, NULL, out_len, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0
               ? 0
               : -1;
}

//  True when a JSON value is a string exactly equal to expected (a string with
//  an embedded NUL never matches).
static bool
s_json_equals (const json_t *value, const char *expected)
{
    return json_is_string (value) && json_string_length (value) == strlen (expected) &&
           memcmp (json_string_value (value), expected, strlen (expected)) == 0;
}

//  Decode a part that must be a JSON object; NULL when it is not.
static json_t *
s_load_object (const char *text, size_t len, uint8_t *scratch, size_t scratch_size)
{
    size_t decoded_len;
    if (s_base64url_decode (text, len, scratch, scratch_size, &decoded_len) != 0) {
        return NULL;
    }
    json_error_t error;
    json_t *object =
        json_loadb ((const char *) scratch, decoded_len, JSON_REJECT_DUPLICATES, &error);
    if (object && !json_is_object (object)) {
        json_decref (object);
        object = NULL;
    }
    return object;
}

//  Check the JOSE header: alg exactly HS256, typ JWT when present, no crit.
static wf_jwt_reason_t
s_check_header (const char *text, size_t len)
{
    uint8_t scratch[WF_JWT_HEADER_BYTES_MAX];
    json_t *header = s_load_object (text, len, scratch, sizeof scratch);
    if (!header) {
        return WF_JWT_MALFORMED;
    }
    json_t *typ = json_object_get (header, "typ");
    wf_jwt_reason_t reason = WF_JWT_OK;
    if (!s_json_equals (json_object_get (header, "alg"), "HS256") ||
        (typ && !s_json_equals (typ, "JWT")) || json_object_get (header, "crit")) {
        reason = WF_JWT_BAD_ALG;
    }
    json_decref (header);
    return reason;
}

//  Recompute the MAC over "header.payload" and compare in constant time.
static wf_jwt_reason_t
s_check_signature (const wf_jwt_t *self, const char *token, size_t signed_len,
                   const char *signature, size_t signature_len)
{
    uint8_t presented[S_PART_BYTES_MAX]; //  room to tell a long MAC from junk
    size_t presented_len;
    if (s_base64url_decode (signature, signature_len, presented, sizeof presented,
                            &presented_len) != 0) {
        return signature_len == 0 ? WF_JWT_BAD_SIGNATURE : WF_JWT_MALFORMED;
    }
    if (presented_len != S_MAC_BYTES) {
        return WF_JWT_BAD_SIGNATURE;
    }
    uint8_t expected[S_MAC_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, self->key, self->key_len);
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) token, signed_len);
    crypto_auth_hmacsha256_final (&state, expected);
    sodium_memzero (&state, sizeof state);
    int differ = sodium_memcmp (expected, presented, S_MAC_BYTES);
    sodium_memzero (expected, sizeof expected);
    return differ ? WF_JWT_BAD_SIGNATURE : WF_JWT_OK;
}

//  Read a NumericDate claim: 1 absent, -1 not a sane number, 0 read.
static int
s_claim_time (const json_t *payload, const char *name, int64_t *value)
{
    const json_t *claim = json_object_get (payload, name);
    if (!claim) {
        return 1;
    }
    if (json_is_integer (claim)) {
        json_int_t number = json_integer_value (claim);
        if (number < 0 || number > S_TIME_S_MAX) {
            return -1;
        }
        *value = (int64_t) number;
        return 0;
    }
    if (json_is_real (claim)) {
        double number = json_real_value (claim);
        if (!isfinite (number) || number < 0 || number > (double) S_TIME_S_MAX) {
            return -1;
        }
        *value = (int64_t) floor (number);
        return 0;
    }
    return -1;
}

//  Copy a string claim: 1 absent (out is ""), -1 not a string or too long, 0 copied.
static int
s_claim_copy (const json_t *payload, const char *name, char *out, size_t size)
{
    out[0] = 0;
    const json_t *claim = json_object_get (payload, name);
    if (!claim) {
        return 1;
    }
    if (!json_is_string (claim) || json_string_length (claim) >= size) {
        return -1;
    }
    size_t len = json_string_length (claim);
    memcpy (out, json_string_value (claim), len);
    out[len] = 0;
    return strlen (out) == len ? 0 : -1; //  no embedded NUL
}

//  True when aud names us: our string, or an array holding it.
static bool
s_audience_ok (const wf_jwt_t *self, const json_t *aud)
{
    if (json_is_array (aud)) {
        size_t index;
        const json_t *item;
        json_array_foreach (aud, index, item)
        {
            if (s_json_equals (item, self->audience)) {
                return true;
            }
        }
        return false;
    }
    return s_json_equals (aud, self->audience);
}

//  Read the string claims into the output; missing sub is a missing claim.
static wf_jwt_reason_t
s_read_strings (const json_t *payload, wf_jwt_claims_t *claims)
{
    int sub = s_claim_copy (payload, "sub", claims->sub, sizeof claims->sub);
    if (sub == 1 || (sub == 0 && claims->sub[0] == 0)) {
        return WF_JWT_MISSING_CLAIM;
    }
    if (sub < 0 || s_claim_copy (payload, "email", claims->email, sizeof claims->email) < 0 ||
        s_claim_copy (payload, "role", claims->role, sizeof claims->role) < 0 ||
        s_claim_copy (payload, "jti", claims->jti, sizeof claims->jti) < 0 ||
        s_claim_copy (payload, "firstName", claims->first_name, sizeof claims->first_name) < 0 ||
        s_claim_copy (payload, "lastName", claims->last_name, sizeof claims->last_name) < 0) {
        return WF_JWT_MALFORMED;
    }
    return WF_JWT_OK;
}

//  Check the registered claims, then copy ours into claims.
static wf_jwt_reason_t
s_check_claims (const wf_jwt_t *self, const json_t *payload, int64_t now_s, unsigned flags,
                wf_jwt_claims_t *claims)
{
    int64_t exp = 0, nbf = 0, iat = 0;
    int exp_rc = s_claim_time (payload, "exp", &exp);
    int nbf_rc = s_claim_time (payload, "nbf", &nbf);
    int iat_rc = s_claim_time (payload, "iat", &iat);
    const json_t *iss = json_object_get (payload, "iss");
    const json_t *aud = json_object_get (payload, "aud");
    if (exp_rc == 1 || nbf_rc == 1 || iat_rc == 1 || !iss || !aud) {
        return WF_JWT_MISSING_CLAIM;
    }
    if (exp_rc < 0 || nbf_rc < 0 || iat_rc < 0) {
        return WF_JWT_MALFORMED;
    }
    if (!s_json_equals (iss, self->issuer)) {
        return WF_JWT_BAD_ISSUER;
    }
    if (!s_audience_ok (self, aud)) {
        return WF_JWT_BAD_AUDIENCE;
    }
    if (!(flags & WF_JWT_VERIFY_IGNORE_EXP) && exp <= now_s - self->leeway_s) {
        return WF_JWT_EXPIRED;
    }
    if (nbf > now_s + self->leeway_s) {
        return WF_JWT_NOT_YET_VALID;
    }
    claims->exp = exp;
    claims->iat = iat;
    return s_read_strings (payload, claims);
}

//  Split a token into its three parts; -1 unless there are exactly two dots.
static int
s_split (const char *token, size_t len, const char **parts, size_t *lens)
{
    const char *first = memchr (token, '.', len);
    if (!first) {
        return -1;
    }
    const char *rest = first + 1;
    const char *second = memchr (rest, '.', len - (size_t) (rest - token));
    if (!second) {
        return -1;
    }
    const char *third = second + 1;
    size_t third_len = len - (size_t) (third - token);
    if (memchr (third, '.', third_len)) {
        return -1;
    }
    parts[0] = token, lens[0] = (size_t) (first - token);
    parts[1] = rest, lens[1] = (size_t) (second - rest);
    parts[2] = third, lens[2] = third_len;
    return lens[0] && lens[1] ? 0 : -1;
}

wf_jwt_reason_t
wf_jwt_verify (const wf_jwt_t *self, const char *token, size_t token_len, int64_t now_s,
               unsigned flags, wf_jwt_claims_t *claims)
{
    assert (self);
    assert (claims);
    memset (claims, 0, sizeof *claims);
    const char *parts[3];
    size_t lens[3];
    if (!token || token_len == 0 || token_len > WF_JWT_TOKEN_BYTES_MAX ||
        s_split (token, token_len, parts, lens) != 0) {
        return WF_JWT_MALFORMED;
    }
    wf_jwt_reason_t reason = s_check_header (parts[0], lens[0]);
    if (reason == WF_JWT_OK) {
        reason = s_check_signature (self, token, lens[0] + 1 + lens[1], parts[2], lens[2]);
    }
    if (reason != WF_JWT_OK) {
        return reason;
    }
    uint8_t scratch[S_PART_BYTES_MAX];
    json_t *payload = s_load_object (parts[1], lens[1], scratch, sizeof scratch);
    if (!payload) {
        return WF_JWT_MALFORMED;
    }
    reason = s_check_claims (self, payload, now_s, flags, claims);
    json_decref (payload);
    if (reason != WF_JWT_OK) {
        memset (claims, 0, sizeof *claims);
    }
    return reason;
}
