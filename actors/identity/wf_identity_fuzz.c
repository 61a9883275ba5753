/*  wf_identity_fuzz - libFuzzer target for identity's parsers of hostile input.

    The first byte picks the parser; the rest is its input:
      0  wf_jwt_verify on the bytes as a token
      1  wf_jwt_verify on "bytes" + "." + a valid MAC, so the header and claim
         checks behind the signature are reached too
      2  wf_identity_validate_register on the bytes split at 0xFF into fields
      3  wf_identity_validate_login, same split
      4  wf_refresh_token_check / _hash
    Built only with -DWF_FUZZ=ON (clang).
*/
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "wf_identity_validate.h"
#include "wf_jwt.h"
#include "wf_refresh_token.h"

#define S_KEY "fuzz-key-0123456789-0123456789-0123"
#define S_NOW 1700000000

//  Split data at 0xFF into up to count slices (absent when missing).
static void
s_split (const uint8_t *data, size_t size, wf_str_t *fields, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        fields[index] = (wf_str_t){NULL, 0};
    }
    size_t field = 0, start = 0;
    for (size_t at = 0; at <= size && field < count; at++) {
        if (at == size || data[at] == 0xFF) {
            fields[field++] = (wf_str_t){(const char *) data + start, at - start};
            start = at + 1;
        }
    }
}

//  Append a valid MAC to the input and verify the result.
static void
s_verify_signed (const wf_jwt_t *jwt, const uint8_t *data, size_t size)
{
    if (size > WF_JWT_TOKEN_BYTES_MAX) {
        return;
    }
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
    wf_jwt_verify (jwt, token, strlen (token + size + 1) + size + 1, S_NOW, 0, &claims);
    wf_jwt_verify (jwt, token, strlen (token + size + 1) + size + 1, S_NOW,
                   WF_JWT_VERIFY_IGNORE_EXP, &claims);
    free (token);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static wf_jwt_t *jwt = NULL;
    if (!jwt) {
        wf_jwt_config_t config = {(const uint8_t *) S_KEY, strlen (S_KEY), NULL, NULL, 0, 5};
        jwt = wf_jwt_new (&config);
    }
    if (size == 0) {
        return 0;
    }
    uint8_t mode = data[0];
    data++, size--;
    wf_jwt_claims_t claims;
    wf_str_t fields[5];
    wf_identity_errors_t errors;
    switch (mode % 5) {
        case 0:
            wf_jwt_verify (jwt, (const char *) data, size, S_NOW, 0, &claims);
            break;
        case 1:
            s_verify_signed (jwt, data, size);
            break;
        case 2: {
            s_split (data, size, fields, 5);
            wf_identity_register_input_t input = {fields[0], fields[1], fields[2], fields[3],
                                                  fields[4]};
            wf_identity_register_output_t output;
            wf_identity_errors_reset (&errors);
            wf_identity_validate_register (&input, &output, &errors);
            break;
        }
        case 3: {
            s_split (data, size, fields, 2);
            char email[WF_EMAIL_BYTES_MAX + 1];
            wf_identity_errors_reset (&errors);
            wf_identity_validate_login (fields[0], fields[1], email, &errors);
            break;
        }
        default: {
            char hex[WF_REFRESH_TOKEN_HASH_CHARS + 1];
            wf_refresh_token_check ((const char *) data, size);
            wf_refresh_token_hash ((const char *) data, size, hex);
        }
    }
    return 0;
}
