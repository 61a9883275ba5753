/*  wf_identity_fuzz - libFuzzer target for identity's input rules
    (actors/identity/wf_identity_validate.c, wf_refresh_token.c).

    The first byte picks the parser; the rest is its input, split at '\n'
    into fields (a missing field is an absent JSON member):
      0  wf_identity_validate_register: email, firstName, lastName, password,
         confirmPassword
      1  wf_identity_validate_login: email, password
      2  wf_identity_validate_email and wf_identity_utf8_chars on the bytes
      3  wf_refresh_token_check / _hash on the bytes
    Properties: a rejection lists at least one field error (at most
    WF_IDENTITY_ERRORS_MAX); normalization is idempotent (the normalized
    email and names validate again to themselves), a normalized email is
    lower-case ASCII of at most WF_EMAIL_BYTES_MAX bytes with one '@'; a login
    accepted for an email normalizes it as register does; a refresh token that
    passes the shape check is spelled in the base64url alphabet only and
    hashes, one that does not is never hashed.
    JWTs have their own target (tests/fuzz/jwt). Built only with -DWF_FUZZ=ON.
*/
#include <ctype.h>
#include "../common/wf_fuzz.h"
#include "wf_identity_validate.h"
#include "wf_refresh_token.h"

//  A field as the validators take it ({NULL, 0} when absent).
static wf_str_t
s_str (wf_fuzz_field_t field)
{
    return (wf_str_t){field.ptr, field.len};
}

//  A normalized email: lower-case, one '@', within its limit, stable.
static void
s_check_email (const char *email)
{
    size_t len = strlen (email);
    WF_FUZZ_CHECK (len > 0 && len <= WF_EMAIL_BYTES_MAX);
    const char *at = strchr (email, '@');
    WF_FUZZ_CHECK (at && strchr (at + 1, '@') == NULL);
    for (size_t i = 0; i < len; i++)
        WF_FUZZ_CHECK (!isupper ((unsigned char) email[i]));
    char again[WF_EMAIL_BYTES_MAX + 1];
    const char *message = NULL;
    WF_FUZZ_CHECK (wf_identity_validate_email (wf_str_c (email), again, &message) == 0);
    WF_FUZZ_CHECK (strcmp (again, email) == 0);
}

static void
s_register (const uint8_t *data, size_t size)
{
    wf_fuzz_field_t f[5];
    wf_fuzz_split (data, size, '\n', f, 5);
    wf_identity_register_input_t input = {s_str (f[0]), s_str (f[1]), s_str (f[2]), s_str (f[3]),
                                          s_str (f[4])};
    wf_identity_register_output_t output;
    wf_identity_errors_t errors;
    wf_identity_errors_reset (&errors);
    if (wf_identity_validate_register (&input, &output, &errors) != 0) {
        WF_FUZZ_CHECK (errors.count >= 1 && errors.count <= WF_IDENTITY_ERRORS_MAX);
        return;
    }
    WF_FUZZ_CHECK (errors.count == 0);
    s_check_email (output.email);
    WF_FUZZ_CHECK (wf_identity_utf8_chars (wf_str_c (output.first_name)) > 0);
    WF_FUZZ_CHECK (wf_identity_utf8_chars (wf_str_c (output.last_name)) > 0);
    //  The normalized form is accepted again and unchanged.
    wf_identity_register_input_t again_in = {wf_str_c (output.email), wf_str_c (output.first_name),
                                             wf_str_c (output.last_name), input.password,
                                             input.confirm_password};
    wf_identity_register_output_t again;
    WF_FUZZ_CHECK (wf_identity_validate_register (&again_in, &again, &errors) == 0);
    WF_FUZZ_CHECK (strcmp (again.email, output.email) == 0);
    WF_FUZZ_CHECK (strcmp (again.first_name, output.first_name) == 0);
    WF_FUZZ_CHECK (strcmp (again.last_name, output.last_name) == 0);
    //  Whoever registered can log in with the same email text and password.
    char email[WF_EMAIL_BYTES_MAX + 1];
    WF_FUZZ_CHECK (wf_identity_validate_login (input.email, input.password, email, &errors) == 0);
    WF_FUZZ_CHECK (strcmp (email, output.email) == 0);
}

static void
s_login (const uint8_t *data, size_t size)
{
    wf_fuzz_field_t f[2];
    wf_fuzz_split (data, size, '\n', f, 2);
    char email[WF_EMAIL_BYTES_MAX + 1];
    wf_identity_errors_t errors;
    wf_identity_errors_reset (&errors);
    if (wf_identity_validate_login (s_str (f[0]), s_str (f[1]), email, &errors) != 0) {
        WF_FUZZ_CHECK (errors.count >= 1 && errors.count <= WF_IDENTITY_ERRORS_MAX);
        return;
    }
    s_check_email (email);
}

static void
s_email (const uint8_t *data, size_t size)
{
    wf_str_t text = {(const char *) data, size};
    char email[WF_EMAIL_BYTES_MAX + 1];
    const char *message = NULL;
    if (wf_identity_validate_email (text, email, &message) == 0)
        s_check_email (email);
    else
        WF_FUZZ_CHECK (message != NULL);
    long chars = wf_identity_utf8_chars (text);
    WF_FUZZ_CHECK (chars >= -1 && chars <= (long) size);
}

static void
s_refresh (const uint8_t *data, size_t size)
{
    char hex[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    int shape = wf_refresh_token_check ((const char *) data, size);
    int hashed = wf_refresh_token_hash ((const char *) data, size, hex);
    WF_FUZZ_CHECK (shape == hashed);
    if (hashed == 0) {
        WF_FUZZ_CHECK (strlen (hex) == WF_REFRESH_TOKEN_HASH_CHARS);
        //  One spelling per token: only the base64url alphabet passes.
        for (size_t i = 0; i < size; i++)
            WF_FUZZ_CHECK (data[i] && strchr ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789-_",
                                              data[i]));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    switch (mode % 4) {
        case 0:
            s_register (data, size);
            break;
        case 1:
            s_login (data, size);
            break;
        case 2:
            s_email (data, size);
            break;
        default:
            s_refresh (data, size);
    }
    return 0;
}
