/*  wf_jwt_test - issuing and, above all, refusing access tokens.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jwt.h>
#include <sodium.h>
#include "wf_jwt.h"

#define NOW   1700000000LL
#define TTL   900
#define KEY   "0123456789abcdef0123456789ABCDEF-test-key"
#define OTHER "0123456789abcdef0123456789ABCDEF-test-kez"

#define HEADER_HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static wf_jwt_t *
s_jwt_new (int64_t leeway_s)
{
    wf_jwt_config_t config = {(const uint8_t *) KEY, strlen (KEY), NULL, NULL, TTL, leeway_s};
    wf_jwt_t *jwt = wf_jwt_new (&config);
    assert_non_null (jwt);
    return jwt;
}

//  Base64url without padding.
static void
s_b64 (const void *data, size_t len, char *out, size_t out_size)
{
    assert_true (sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING) <=
                 out_size);
    sodium_bin2base64 (out, out_size, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

//  HMAC-SHA256 with a key of any length.
static void
s_hmac (const char *key, const char *data, size_t len, uint8_t *mac)
{
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, (const uint8_t *) key, strlen (key));
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) data, len);
    crypto_auth_hmacsha256_final (&state, mac);
}

//  Build "b64(header).b64(payload).b64(HMAC(key))" into a static buffer.
static const char *
s_token (const char *header, const char *payload, const char *key)
{
    static char token[3 * 4096];
    char part[8192];
    s_b64 (header, strlen (header), part, sizeof part);
    snprintf (token, sizeof token, "%s.", part);
    s_b64 (payload, strlen (payload), part, sizeof part);
    strcat (token, part);
    uint8_t mac[32];
    s_hmac (key, token, strlen (token), mac);
    s_b64 (mac, sizeof mac, part, sizeof part);
    strcat (token, ".");
    strcat (token, part);
    return token;
}

//  A standard payload with iat = nbf = NOW, exp = NOW + TTL, and `extra`
//  claims appended (",\"k\":v"), with iss/aud overridable (NULL = ours).
static const char *
s_payload (const char *iss, const char *aud, int64_t nbf, int64_t exp, const char *extra)
{
    static char payload[8192];
    snprintf (payload, sizeof payload,
              "{\"sub\":\"u-1\",\"email\":\"ada@example.com\",\"jti\":\"j-1\",\"firstName\":"
              "\"Ada\",\"lastName\":\"Lovelace\",\"role\":\"User\",\"iat\":%lld,\"nbf\":%lld,"
              "\"exp\":%lld,\"iss\":%s,\"aud\":%s%s}",
              (long long) NOW, (long long) nbf, (long long) exp,
              iss ? iss : "\"WalletFlow.Identity\"", aud ? aud : "\"WalletFlow\"",
              extra ? extra : "");
    return payload;
}

static const char *
s_good_payload (void)
{
    return s_payload (NULL, NULL, NOW, NOW + TTL, NULL);
}

static wf_jwt_reason_t
s_verify (wf_jwt_t *jwt, const char *token, int64_t now, unsigned flags)
{
    wf_jwt_claims_t claims;
    return wf_jwt_verify (jwt, token, strlen (token), now, flags, &claims);
}

static void
test_round_trip (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    wf_jwt_subject_t subject = {"3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5f", "ada@example.com",
                                "Ada \xC3\xA9\"q\"", "Lovelace", "User"};
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    int64_t exp_s = 0;
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, token, sizeof token, &exp_s), 0);
    assert_int_equal (exp_s, NOW + TTL);
    wf_jwt_claims_t claims;
    assert_int_equal (wf_jwt_verify (jwt, token, strlen (token), NOW, 0, &claims), WF_JWT_OK);
    assert_string_equal (claims.sub, subject.user_id);
    assert_string_equal (claims.email, subject.email);
    assert_string_equal (claims.first_name, subject.first_name);
    assert_string_equal (claims.last_name, subject.last_name);
    assert_string_equal (claims.role, "User");
    assert_int_equal (claims.exp, NOW + TTL);
    assert_int_equal (claims.iat, NOW);
    assert_int_equal (strlen (claims.jti), 36);
    assert_int_equal (claims.jti[14], '4'); //  uuid version 4
    //  Valid for its whole life and not a second longer.
    assert_int_equal (s_verify (jwt, token, NOW + TTL - 1, 0), WF_JWT_OK);
    assert_int_equal (s_verify (jwt, token, NOW + TTL, 0), WF_JWT_EXPIRED);
    assert_int_equal (s_verify (jwt, token, NOW - 1, 0), WF_JWT_NOT_YET_VALID);
    //  A second token has another jti.
    char second[WF_JWT_TOKEN_BYTES_MAX + 1];
    wf_jwt_claims_t second_claims;
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, second, sizeof second, &exp_s), 0);
    assert_int_equal (wf_jwt_verify (jwt, second, strlen (second), NOW, 0, &second_claims),
                      WF_JWT_OK);
    assert_string_not_equal (claims.jti, second_claims.jti);
    wf_jwt_destroy (&jwt);
    assert_null (jwt);
    wf_jwt_destroy (&jwt);
}

//  libjwt, given the key, reads our tokens: the format is the standard one.
static void
test_libjwt_reads_ours (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    wf_jwt_subject_t subject = {"u-7", "b@example.com", "Bob", "Builder", "Admin"};
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    int64_t exp_s;
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, token, sizeof token, &exp_s), 0);
    jwt_t *decoded = NULL;
    assert_int_equal (jwt_decode (&decoded, token, (const unsigned char *) KEY, strlen (KEY)), 0);
    assert_int_equal (jwt_get_alg (decoded), JWT_ALG_HS256);
    assert_string_equal (jwt_get_grant (decoded, "sub"), "u-7");
    assert_string_equal (jwt_get_grant (decoded, "role"), "Admin");
    assert_string_equal (jwt_get_grant (decoded, "iss"), WF_JWT_ISSUER_DEFAULT);
    assert_string_equal (jwt_get_grant (decoded, "aud"), WF_JWT_AUDIENCE_DEFAULT);
    assert_int_equal (jwt_get_grant_int (decoded, "nbf"), NOW);
    assert_int_equal (jwt_get_grant_int (decoded, "exp"), NOW + TTL);
    jwt_free (decoded);
    wf_jwt_destroy (&jwt);
}

//  Tokens made by libjwt: ours with the right key, refused with another key.
static void
test_libjwt_tokens (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    const char *keys[] = {KEY, OTHER};
    wf_jwt_reason_t expected[] = {WF_JWT_OK, WF_JWT_BAD_SIGNATURE};
    for (size_t index = 0; index < 2; index++) {
        jwt_t *made = NULL;
        assert_int_equal (jwt_new (&made), 0);
        assert_int_equal (jwt_set_alg (made, JWT_ALG_HS256, (const unsigned char *) keys[index],
                                       (int) strlen (keys[index])),
                          0);
        assert_int_equal (jwt_add_grants_json (made, s_good_payload ()), 0);
        char *token = jwt_encode_str (made);
        assert_non_null (token);
        assert_int_equal (s_verify (jwt, token, NOW, 0), expected[index]);
        free (token);
        jwt_free (made);
    }
    wf_jwt_destroy (&jwt);
}

static void
test_hand_made_token_verifies (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    assert_int_equal (s_verify (jwt, s_token (HEADER_HS256, s_good_payload (), KEY), NOW, 0),
                      WF_JWT_OK);
    //  typ is optional, other header fields are ignored.
    assert_int_equal (
        s_verify (jwt, s_token ("{\"alg\":\"HS256\"}", s_good_payload (), KEY), NOW, 0), WF_JWT_OK);
    assert_int_equal (s_verify (jwt,
                                s_token ("{\"kid\":\"k1\",\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                                         s_good_payload (), KEY),
                                NOW, 0),
                      WF_JWT_OK);
    //  A fractional NumericDate is allowed (RFC 7519), rounded down.
    wf_jwt_claims_t claims;
    char payload[2048];
    snprintf (payload, sizeof payload,
              "{\"sub\":\"u\",\"iat\":%lld.25,\"nbf\":%lld.5,\"exp\":%lld.75,\"iss\":"
              "\"WalletFlow.Identity\",\"aud\":\"WalletFlow\"}",
              (long long) NOW, (long long) NOW, (long long) NOW + 10);
    const char *token = s_token (HEADER_HS256, payload, KEY);
    assert_int_equal (wf_jwt_verify (jwt, token, strlen (token), NOW, 0, &claims), WF_JWT_OK);
    assert_int_equal (claims.exp, NOW + 10);
    assert_string_equal (claims.role, ""); //  absent optional claims are empty
    wf_jwt_destroy (&jwt);
}

static void
test_bad_alg (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    const char *headers[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"none\"}",
        "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256 \",\"typ\":\"JWT\"}",
        "{\"alg\":\"\",\"typ\":\"JWT\"}",
        "{\"alg\":256}",
        "{\"alg\":null}",
        "{\"alg\":[\"HS256\"]}",
        "{\"typ\":\"JWT\"}",
        "{}",
        "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
        "{\"alg\":\"HS256\",\"typ\":1}",
        "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
    };
    for (size_t index = 0; index < sizeof headers / sizeof headers[0]; index++) {
        //  With an HS256 MAC under our key, with an empty and with a junk signature.
        const char *token = s_token (headers[index], s_good_payload (), KEY);
        if (s_verify (jwt, token, NOW, 0) != WF_JWT_BAD_ALG) {
            print_error ("header %zu accepted\n", index);
        }
        assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_BAD_ALG);
        char unsigned_token[8192];
        snprintf (unsigned_token, sizeof unsigned_token, "%s", token);
        *(strrchr (unsigned_token, '.') + 1) = 0;
        assert_int_equal (s_verify (jwt, unsigned_token, NOW, 0), WF_JWT_BAD_ALG);
        strcat (unsigned_token, "c2lnbmF0dXJl");
        assert_int_equal (s_verify (jwt, unsigned_token, NOW, 0), WF_JWT_BAD_ALG);
    }
    //  "HS256" followed by an escaped NUL must not pass a C string compare.
    assert_int_equal (
        s_verify (jwt, s_token ("{\"alg\":\"HS256\\u0000\"}", s_good_payload (), KEY), NOW, 0),
        WF_JWT_MALFORMED); //  Jansson refuses NUL in strings
    wf_jwt_destroy (&jwt);
}

static void
test_bad_signature (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    //  Wrong key.
    assert_int_equal (s_verify (jwt, s_token (HEADER_HS256, s_good_payload (), OTHER), NOW, 0),
                      WF_JWT_BAD_SIGNATURE);
    assert_int_equal (s_verify (jwt, s_token (HEADER_HS256, s_good_payload (), ""), NOW, 0),
                      WF_JWT_BAD_SIGNATURE);
    //  Every single-bit flip of the MAC.
    char token[8192];
    snprintf (token, sizeof token, "%s", s_token (HEADER_HS256, s_good_payload (), KEY));
    char *signature = strrchr (token, '.') + 1;
    uint8_t mac[32];
    size_t mac_len;
    assert_int_equal (sodium_base642bin (mac, sizeof mac, signature, strlen (signature), NULL,
                                         &mac_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                      0);
    for (size_t bit = 0; bit < 256; bit++) {
        mac[bit / 8] ^= (uint8_t) (1u << (bit % 8));
        s_b64 (mac, sizeof mac, signature, 64);
        assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_BAD_SIGNATURE);
        mac[bit / 8] ^= (uint8_t) (1u << (bit % 8));
    }
    s_b64 (mac, sizeof mac, signature, 64);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_OK);
    //  A changed payload under the old MAC.
    char *payload = strchr (token, '.') + 1;
    payload[5] = payload[5] == 'A' ? 'B' : 'A';
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_BAD_SIGNATURE);
    wf_jwt_destroy (&jwt);
}

//  The MAC part itself: empty, short, long, padded, non-canonical.
static void
test_signature_shape (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    char token[8192];
    snprintf (token, sizeof token, "%s", s_token (HEADER_HS256, s_good_payload (), KEY));
    char *signature = strrchr (token, '.') + 1;
    char good[64];
    snprintf (good, sizeof good, "%s", signature);
    assert_int_equal (strlen (good), 43);
    struct {
        const char *text;
        wf_jwt_reason_t reason;
    } cases[] = {
        {"", WF_JWT_BAD_SIGNATURE},
        {"AAAAAAAAAAAAAAAAAAAAAA", WF_JWT_BAD_SIGNATURE}, //  16 bytes
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
         WF_JWT_BAD_SIGNATURE}, //  64 bytes
        {"A", WF_JWT_MALFORMED},
        {"!!!!", WF_JWT_MALFORMED},
        {"AAAA+AAA", WF_JWT_MALFORMED}, //  standard, not URL-safe, alphabet
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        strcpy (signature, cases[index].text);
        assert_int_equal (s_verify (jwt, token, NOW, 0), cases[index].reason);
    }
    //  Padding appended to the right MAC.
    snprintf (signature, 64, "%s=", good);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_MALFORMED);
    //  The last character carries 4 bits and 2 zero bits; setting a zero bit
    //  keeps the bytes but changes the spelling: refused.
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    snprintf (signature, 64, "%s", good);
    size_t value = (size_t) (strchr (alphabet, good[42]) - alphabet);
    signature[42] = alphabet[value | 1];
    assert_true (value % 4 == 0);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_MALFORMED);
    snprintf (signature, 64, "%s", good);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_OK);
    wf_jwt_destroy (&jwt);
}

static void
test_time_claims (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    const char *token = s_token (HEADER_HS256, s_payload (NULL, NULL, NOW, NOW + 60, NULL), KEY);
    assert_int_equal (s_verify (jwt, token, NOW + 59, 0), WF_JWT_OK);
    assert_int_equal (s_verify (jwt, token, NOW + 60, 0), WF_JWT_EXPIRED);
    assert_int_equal (s_verify (jwt, token, NOW + 100000, 0), WF_JWT_EXPIRED);
    //  Refresh may accept an expired token, still checking everything else.
    wf_jwt_claims_t claims;
    assert_int_equal (
        wf_jwt_verify (jwt, token, strlen (token), NOW + 100000, WF_JWT_VERIFY_IGNORE_EXP, &claims),
        WF_JWT_OK);
    assert_string_equal (claims.sub, "u-1");
    const char *forged = s_token (HEADER_HS256, s_payload (NULL, NULL, NOW, NOW + 60, NULL), OTHER);
    assert_int_equal (s_verify (jwt, forged, NOW + 100000, WF_JWT_VERIFY_IGNORE_EXP),
                      WF_JWT_BAD_SIGNATURE);
    //  Not yet valid.
    token = s_token (HEADER_HS256, s_payload (NULL, NULL, NOW + 10, NOW + 60, NULL), KEY);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_NOT_YET_VALID);
    assert_int_equal (s_verify (jwt, token, NOW + 9, WF_JWT_VERIFY_IGNORE_EXP),
                      WF_JWT_NOT_YET_VALID);
    assert_int_equal (s_verify (jwt, token, NOW + 10, 0), WF_JWT_OK);
    wf_jwt_destroy (&jwt);
    //  With leeway, both edges move by it.
    jwt = s_jwt_new (30);
    token = s_token (HEADER_HS256, s_payload (NULL, NULL, NOW + 10, NOW + 60, NULL), KEY);
    assert_int_equal (s_verify (jwt, token, NOW - 20, 0), WF_JWT_OK);
    assert_int_equal (s_verify (jwt, token, NOW - 21, 0), WF_JWT_NOT_YET_VALID);
    assert_int_equal (s_verify (jwt, token, NOW + 89, 0), WF_JWT_OK);
    assert_int_equal (s_verify (jwt, token, NOW + 90, 0), WF_JWT_EXPIRED);
    assert_int_equal (wf_jwt_leeway_s (jwt), 30);
    wf_jwt_destroy (&jwt);
}

static void
test_issuer_audience (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    struct {
        const char *iss;
        const char *aud;
        wf_jwt_reason_t reason;
    } cases[] = {
        {"\"WalletFlow.Identity\"", "[\"Other\",\"WalletFlow\"]", WF_JWT_OK},
        {"\"WalletFlow.Identity\"", "[\"WalletFlow\"]", WF_JWT_OK},
        {"\"Evil.Identity\"", NULL, WF_JWT_BAD_ISSUER},
        {"\"walletflow.identity\"", NULL, WF_JWT_BAD_ISSUER},
        {"\"WalletFlow.Identity \"", NULL, WF_JWT_BAD_ISSUER},
        {"\"\"", NULL, WF_JWT_BAD_ISSUER},
        {"7", NULL, WF_JWT_BAD_ISSUER},
        {"[\"WalletFlow.Identity\"]", NULL, WF_JWT_BAD_ISSUER},
        {"null", NULL, WF_JWT_BAD_ISSUER},
        {NULL, "\"Other\"", WF_JWT_BAD_AUDIENCE},
        {NULL, "\"walletflow\"", WF_JWT_BAD_AUDIENCE},
        {NULL, "\"WalletFlowX\"", WF_JWT_BAD_AUDIENCE},
        {NULL, "[]", WF_JWT_BAD_AUDIENCE},
        {NULL, "[\"Other\",\"Another\"]", WF_JWT_BAD_AUDIENCE},
        {NULL, "[[\"WalletFlow\"]]", WF_JWT_BAD_AUDIENCE},
        {NULL, "{\"aud\":\"WalletFlow\"}", WF_JWT_BAD_AUDIENCE},
        {NULL, "1", WF_JWT_BAD_AUDIENCE},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        const char *token = s_token (
            HEADER_HS256, s_payload (cases[index].iss, cases[index].aud, NOW, NOW + 60, NULL), KEY);
        if (s_verify (jwt, token, NOW, 0) != cases[index].reason) {
            print_error ("iss/aud case %zu\n", index);
        }
        assert_int_equal (s_verify (jwt, token, NOW, 0), cases[index].reason);
    }
    wf_jwt_destroy (&jwt);
    //  Configured values replace the defaults.
    wf_jwt_config_t config = {(const uint8_t *) KEY, strlen (KEY), "issuer-x", "aud-y", 60, 0};
    jwt = wf_jwt_new (&config);
    assert_non_null (jwt);
    const char *token =
        s_token (HEADER_HS256, s_payload ("\"issuer-x\"", "\"aud-y\"", NOW, NOW + 60, NULL), KEY);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_OK);
    token = s_token (HEADER_HS256, s_good_payload (), KEY);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_BAD_ISSUER);
    wf_jwt_destroy (&jwt);
}

static void
test_missing_claims (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    const char *base = "\"iss\":\"WalletFlow.Identity\",\"aud\":\"WalletFlow\"";
    struct {
        const char *claims;
        wf_jwt_reason_t reason;
    } cases[] = {
        {"\"sub\":\"u\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700000060", WF_JWT_OK},
        {"\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700000060", WF_JWT_MISSING_CLAIM},
        {"\"sub\":\"\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700000060",
         WF_JWT_MISSING_CLAIM},
        {"\"sub\":\"u\",\"nbf\":1700000000,\"exp\":1700000060", WF_JWT_MISSING_CLAIM},
        {"\"sub\":\"u\",\"iat\":1700000000,\"exp\":1700000060", WF_JWT_MISSING_CLAIM},
        {"\"sub\":\"u\",\"iat\":1700000000,\"nbf\":1700000000", WF_JWT_MISSING_CLAIM},
        {"\"sub\":7,\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700000060", WF_JWT_MALFORMED},
        {"\"sub\":\"u\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":\"1700000060\"",
         WF_JWT_MALFORMED},
        {"\"sub\":\"u\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":-1", WF_JWT_MALFORMED},
        {"\"sub\":\"u\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1e300", WF_JWT_MALFORMED},
        {"\"sub\":\"u\",\"iat\":true,\"nbf\":1700000000,\"exp\":1700000060", WF_JWT_MALFORMED},
        {"\"sub\":\"u\",\"role\":[\"Admin\"],\"iat\":1700000000,\"nbf\":1700000000,\"exp\":"
         "1700000060",
         WF_JWT_MALFORMED},
        {"\"sub\":\"u\",\"sub\":\"v\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700000060",
         WF_JWT_MALFORMED},
        //  65 bytes of subject do not fit the claims buffer.
        {"\"sub\":\"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\",\"iat\":"
         "1700000000,\"nbf\":1700000000,\"exp\":1700000060",
         WF_JWT_MALFORMED},
        {"\"sub\":\"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\",\"iat\":"
         "1700000000,\"nbf\":1700000000,\"exp\":1700000060",
         WF_JWT_OK},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char payload[2048];
        snprintf (payload, sizeof payload, "{%s,%s}", cases[index].claims, base);
        const char *token = s_token (HEADER_HS256, payload, KEY);
        if (s_verify (jwt, token, NOW, 0) != cases[index].reason) {
            print_error ("claims case %zu\n", index);
        }
        assert_int_equal (s_verify (jwt, token, NOW, 0), cases[index].reason);
    }
    //  No iss, no aud.
    const char *token = s_token (
        HEADER_HS256,
        "{\"sub\":\"u\",\"iat\":1,\"nbf\":1,\"exp\":1700000060,\"aud\":\"WalletFlow\"}", KEY);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_MISSING_CLAIM);
    token = s_token (HEADER_HS256,
                     "{\"sub\":\"u\",\"iat\":1,\"nbf\":1,\"exp\":1700000060,\"iss\":"
                     "\"WalletFlow.Identity\"}",
                     KEY);
    assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_MISSING_CLAIM);
    wf_jwt_destroy (&jwt);
}

static void
test_malformed (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    char good[8192];
    snprintf (good, sizeof good, "%s", s_token (HEADER_HS256, s_good_payload (), KEY));
    const char *payload_dot = strchr (good, '.');
    const char *cases[] = {
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        ".eyJ9.sig",
        "eyJ9..sig",
        "..",
        "...",
        "@@@.eyJ9.AAAA",
        "eyJhbGciOiJIUzI1NiJ9=.eyJ9.AAAA", //  padded header
        "eyJhbGciOiJIUzI1NiJ9 .eyJ9.AAAA",
        "eyJhbGciOiJIUzI1NiJ9\n.eyJ9.AAAA",
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        if (s_verify (jwt, cases[index], NOW, 0) != WF_JWT_MALFORMED) {
            print_error ("malformed case %zu\n", index);
        }
        assert_int_equal (s_verify (jwt, cases[index], NOW, 0), WF_JWT_MALFORMED);
    }
    //  Headers that are not one JSON object.
    const char *headers[] = {"not json",
                             "[\"HS256\"]",
                             "\"HS256\"",
                             "{\"alg\":\"HS256\"",
                             "{\"alg\":\"HS256\"} x",
                             "{\"alg\":\"none\",\"alg\":\"HS256\"}",
                             ""};
    for (size_t index = 0; index < sizeof headers / sizeof headers[0]; index++) {
        assert_int_equal (s_verify (jwt, s_token (headers[index], s_good_payload (), KEY), NOW, 0),
                          WF_JWT_MALFORMED);
    }
    //  A header whose last character has non-zero leftover bits: the same bytes,
    //  another spelling. Refused as malformed, before any MAC is computed.
    const char *header16 = "{\"alg\":\"HS256\" }"; //  16 bytes: 4 leftover bits
    char odd[8192];
    snprintf (odd, sizeof odd, "%s", s_token (header16, s_good_payload (), KEY));
    assert_int_equal (s_verify (jwt, odd, NOW, 0), WF_JWT_OK);
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *last = strchr (odd, '.') - 1;
    size_t value = (size_t) (strchr (alphabet, *last) - alphabet);
    assert_int_equal (value % 16, 0);
    *last = alphabet[value | 1];
    assert_int_equal (s_verify (jwt, odd, NOW, 0), WF_JWT_MALFORMED);
    //  A payload that is not JSON, correctly signed.
    assert_int_equal (s_verify (jwt, s_token (HEADER_HS256, "not json", KEY), NOW, 0),
                      WF_JWT_MALFORMED);
    assert_int_equal (s_verify (jwt, s_token (HEADER_HS256, "[1,2]", KEY), NOW, 0),
                      WF_JWT_MALFORMED);
    //  Embedded NUL: the length given is what counts.
    char with_nul[8192];
    size_t good_len = strlen (good);
    memcpy (with_nul, good, good_len);
    with_nul[payload_dot - good + 3] = 0;
    wf_jwt_claims_t claims;
    assert_int_not_equal (wf_jwt_verify (jwt, with_nul, good_len, NOW, 0, &claims), WF_JWT_OK);
    assert_int_equal (wf_jwt_verify (jwt, NULL, 0, NOW, 0, &claims), WF_JWT_MALFORMED);
    wf_jwt_destroy (&jwt);
}

//  Tokens at WF_JWT_TOKEN_BYTES_MAX verify; one byte more is refused unread.
static void
test_token_length_limit (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    bool found = false;
    for (size_t kid = 0; kid < 4 && !found; kid++) {
        for (size_t pad = 2800; pad < 3100 && !found; pad++) {
            char header[64], extra[3200];
            snprintf (header, sizeof header, "{\"alg\":\"HS256\",\"kid\":\"%.*s\"}", (int) kid,
                      "kkkk");
            snprintf (extra, sizeof extra, ",\"pad\":\"%0*d\"", (int) pad, 0);
            const char *token = s_token (header, s_payload (NULL, NULL, NOW, NOW + 60, extra), KEY);
            if (strlen (token) == WF_JWT_TOKEN_BYTES_MAX) {
                found = true;
                assert_int_equal (s_verify (jwt, token, NOW, 0), WF_JWT_OK);
                char longer[WF_JWT_TOKEN_BYTES_MAX + 2];
                memcpy (longer, token, WF_JWT_TOKEN_BYTES_MAX);
                memcpy (longer + WF_JWT_TOKEN_BYTES_MAX, "A", 2);
                assert_int_equal (s_verify (jwt, longer, NOW, 0), WF_JWT_MALFORMED);
            }
        }
    }
    assert_true (found);
    //  A huge token is refused.
    size_t huge_len = 1024 * 1024;
    char *huge = malloc (huge_len + 1);
    assert_non_null (huge);
    memset (huge, 'A', huge_len);
    huge[10] = '.';
    huge[20] = '.';
    huge[huge_len] = 0;
    assert_int_equal (s_verify (jwt, huge, NOW, 0), WF_JWT_MALFORMED);
    free (huge);
    wf_jwt_destroy (&jwt);
}

static void
test_issue_limits (void **state)
{
    wf_jwt_t *jwt = s_jwt_new (0);
    char token[WF_JWT_TOKEN_BYTES_MAX + 1];
    int64_t exp_s;
    //  Maximal claims still fit and verify back.
    char name[WF_NAME_BYTES_MAX + 1], email[WF_EMAIL_BYTES_MAX + 1], id[WF_USER_ID_BYTES_MAX + 1];
    for (size_t index = 0; index < WF_NAME_BYTES_MAX; index += 4) {
        memcpy (name + index, "\xF0\x9F\x94\x91", 4);
    }
    name[WF_NAME_BYTES_MAX] = 0;
    memset (email, 'e', WF_EMAIL_BYTES_MAX);
    email[WF_EMAIL_BYTES_MAX] = 0;
    memset (id, 'i', WF_USER_ID_BYTES_MAX);
    id[WF_USER_ID_BYTES_MAX] = 0;
    wf_jwt_subject_t big = {id, email, name, name, "Administrator-Of-Everything-1234"};
    assert_int_equal (wf_jwt_issue (jwt, &big, NOW, token, sizeof token, &exp_s), 0);
    wf_jwt_claims_t claims;
    assert_int_equal (wf_jwt_verify (jwt, token, strlen (token), NOW, 0, &claims), WF_JWT_OK);
    assert_string_equal (claims.first_name, name);
    assert_string_equal (claims.sub, id);
    //  Too small a buffer, oversized or missing fields, invalid UTF-8.
    wf_jwt_subject_t subject = {"u", "e@x.io", "A", "B", "User"};
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, token, 20, &exp_s), -1);
    char long_id[WF_USER_ID_BYTES_MAX + 2];
    memset (long_id, 'i', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    subject.user_id = long_id;
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, token, sizeof token, &exp_s), -1);
    subject.user_id = "";
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, token, sizeof token, &exp_s), -1);
    subject.user_id = "u";
    subject.first_name = "\xC0\xAF";
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, token, sizeof token, &exp_s), -1);
    subject.first_name = NULL;
    assert_int_equal (wf_jwt_issue (jwt, &subject, NOW, token, sizeof token, &exp_s), -1);
    wf_jwt_destroy (&jwt);
}

static void
test_config_bounds (void **state)
{
    uint8_t key[WF_JWT_KEY_BYTES_MAX + 1] = {1};
    wf_jwt_config_t config = {key, 1, NULL, NULL, 0, 0};
    wf_jwt_t *jwt = wf_jwt_new (&config);
    assert_non_null (jwt); //  any key length works for HMAC; policy is wf_jwt_secret_load's
    wf_jwt_destroy (&jwt);
    config.key_len = WF_JWT_KEY_BYTES_MAX;
    jwt = wf_jwt_new (&config);
    assert_non_null (jwt);
    wf_jwt_destroy (&jwt);
    wf_jwt_config_t bad[] = {
        {key, 0, NULL, NULL, 0, 0},
        {NULL, 32, NULL, NULL, 0, 0},
        {key, WF_JWT_KEY_BYTES_MAX + 1, NULL, NULL, 0, 0},
        {key, 32, "", NULL, 0, 0},
        {key, 32, NULL, "", 0, 0},
        {key, 32, NULL, NULL, -1, 0},
        {key, 32, NULL, NULL, WF_JWT_TTL_S_MAX + 1, 0},
        {key, 32, NULL, NULL, 0, -1},
        {key, 32, NULL, NULL, 0, WF_JWT_LEEWAY_S_MAX + 1},
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        assert_null (wf_jwt_new (&bad[index]));
    }
}

static void
test_reason_names (void **state)
{
    for (int first = 0; first < WF_JWT_REASON_COUNT; first++) {
        for (int second = first + 1; second < WF_JWT_REASON_COUNT; second++) {
            assert_string_not_equal (wf_jwt_reason_name (first), wf_jwt_reason_name (second));
        }
    }
    assert_string_equal (wf_jwt_reason_name (WF_JWT_BAD_SIGNATURE), "bad_signature");
    assert_string_equal (wf_jwt_reason_name (WF_JWT_REASON_COUNT), "unknown");
}

int
main (void)
{
    assert_true (sodium_init () >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip),      cmocka_unit_test (test_libjwt_reads_ours),
        cmocka_unit_test (test_libjwt_tokens),   cmocka_unit_test (test_hand_made_token_verifies),
        cmocka_unit_test (test_bad_alg),         cmocka_unit_test (test_bad_signature),
        cmocka_unit_test (test_signature_shape), cmocka_unit_test (test_time_claims),
        cmocka_unit_test (test_issuer_audience), cmocka_unit_test (test_missing_claims),
        cmocka_unit_test (test_malformed),       cmocka_unit_test (test_token_length_limit),
        cmocka_unit_test (test_issue_limits),    cmocka_unit_test (test_config_bounds),
        cmocka_unit_test (test_reason_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
