/*  wf_identity_validate - checks and normalizes register / login input.

    Everything here walks its input once, in bounded steps, and writes only
    into the caller's fixed buffers after the lengths are known to fit. Input
    is untrusted: nothing is asserted about it, only about our own arguments.
*/
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "wf_identity_validate.h"

//  Messages, one per rule and field, worded like ASP.NET Core's.
#define S_REQUIRED(F) "The " F " field is required."
#define S_NOT_UTF8(F) "The " F " field must be valid UTF-8 text."
#define S_CONTROL(F)  "The " F " field must not contain control characters."
#define S_LENGTH(F, A, B)                                                                          \
    "The field " F " must be a string with a minimum length of " A " and a maximum length of " B "."

typedef struct {
    const char *field;
    const char *required;
    const char *not_utf8;
    const char *control;
    const char *length;
} s_name_rules_t;

static const s_name_rules_t s_first_name_rules = {"firstName", S_REQUIRED ("FirstName"),
                                                  S_NOT_UTF8 ("FirstName"), S_CONTROL ("FirstName"),
                                                  S_LENGTH ("FirstName", "1", "100")};
static const s_name_rules_t s_last_name_rules = {"lastName", S_REQUIRED ("LastName"),
                                                 S_NOT_UTF8 ("LastName"), S_CONTROL ("LastName"),
                                                 S_LENGTH ("LastName", "1", "100")};

_Static_assert(WF_NAME_CHARS_MIN == 1 && WF_NAME_CHARS_MAX == 100,
               "the name length message spells out the limits");
_Static_assert(WF_PASSWORD_CHARS_MIN == 8 && WF_PASSWORD_CHARS_MAX == 128,
               "the password length message spells out the limits");
_Static_assert(WF_EMAIL_BYTES_MAX == 254, "the email length message spells out the limit");

//  Decode one code point at text[0..len). Returns its length in bytes, or 0 when
//  the bytes there are not the shortest UTF-8 form of a scalar value.
static size_t
s_utf8_decode (const uint8_t *text, size_t len, uint32_t *code_point)
{
    assert (len > 0);
    uint8_t lead = text[0];
    if (lead < 0x80) {
        *code_point = lead;
        return 1;
    }
    size_t size;
    uint32_t value, minimum;
    if (lead >= 0xC2 && lead <= 0xDF) {
        size = 2, value = lead & 0x1F, minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        size = 3, value = lead & 0x0F, minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        size = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
        return 0; //  continuation byte, overlong 0xC0/0xC1, or past U+10FFFF
    }
    if (len < size) {
        return 0;
    }
    for (size_t index = 1; index < size; index++) {
        if ((text[index] & 0xC0) != 0x80) {
            return 0;
        }
        value = (value << 6) | (text[index] & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return 0;
    }
    *code_point = value;
    return size;
}

//  White space as .NET's char.IsWhiteSpace sees it, which string.Trim removes.
static bool
s_is_space (uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

//  Control characters refused inside names and passwords: C0, DEL, C1, the
//  line/paragraph separators, and the bidi embedding/override/isolate controls
//  that can make a name display as something it is not.
static bool
s_is_control (uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

long
wf_identity_utf8_chars (wf_str_t text)
{
    const uint8_t *bytes = (const uint8_t *) text.ptr;
    long chars = 0;
    size_t offset = 0;
    while (offset < text.len) {
        uint32_t cp;
        size_t size = s_utf8_decode (bytes + offset, text.len - offset, &cp);
        if (size == 0) {
            return -1;
        }
        offset += size;
        chars++;
    }
    return chars;
}

//  Trim white space at both ends. Returns -1 when text is not valid UTF-8.
static int
s_trim (wf_str_t text, wf_str_t *trimmed)
{
    const uint8_t *bytes = (const uint8_t *) text.ptr;
    size_t offset = 0, start = text.len, end = 0;
    while (offset < text.len) {
        uint32_t cp;
        size_t size = s_utf8_decode (bytes + offset, text.len - offset, &cp);
        if (size == 0) {
            return -1;
        }
        if (!s_is_space (cp)) {
            if (start == text.len) {
                start = offset;
            }
            end = offset + size;
        }
        offset += size;
    }
    if (start == text.len) {
        *trimmed = (wf_str_t){text.ptr, 0};
    } else {
        *trimmed = (wf_str_t){text.ptr + start, end - start};
    }
    return 0;
}

void
wf_identity_errors_reset (wf_identity_errors_t *errors)
{
    assert (errors);
    errors->count = 0;
}

//  Append one error; drops it past the bound rather than overflow.
static void
s_error_add (wf_identity_errors_t *errors, const char *field, const char *message)
{
    if (errors->count < WF_IDENTITY_ERRORS_MAX) {
        errors->items[errors->count++] = (wf_identity_field_error_t){field, message};
    }
}

//  Characters allowed in a dot-atom local part besides letters, digits, '.'.
static bool
s_is_atext (uint8_t ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
        return true;
    }
    return ch != 0 && strchr ("!#$%&'*+/=?^_`{|}~-", ch) != NULL;
}

//  Check the local part (already lower-cased): dot-atom, 1..64 bytes.
static bool
s_local_part_ok (const char *local, size_t len)
{
    if (len == 0 || len > WF_EMAIL_LOCAL_BYTES_MAX || local[0] == '.' || local[len - 1] == '.') {
        return false;
    }
    for (size_t index = 0; index < len; index++) {
        uint8_t ch = (uint8_t) local[index];
        if (ch == '.') {
            if (local[index + 1] == '.') {
                return false;
            }
        } else if (!s_is_atext (ch)) {
            return false;
        }
    }
    return true;
}

//  Check the domain (already lower-cased): two or more labels of letters,
//  digits and inner hyphens, each 1..63 bytes; the last not all digits.
static bool
s_domain_ok (const char *domain, size_t len)
{
    size_t labels = 0, label_start = 0;
    for (size_t index = 0; index <= len; index++) {
        if (index < len && domain[index] != '.') {
            uint8_t ch = (uint8_t) domain[index];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) {
                return false;
            }
            continue;
        }
        size_t label_len = index - label_start;
        if (label_len == 0 || label_len > WF_EMAIL_LABEL_BYTES_MAX || domain[label_start] == '-' ||
            domain[index - 1] == '-') {
            return false;
        }
        labels++;
        if (index == len) {
            bool all_digits = true;
            for (size_t at = label_start; at < index; at++) {
                all_digits = all_digits && domain[at] >= '0' && domain[at] <= '9';
            }
            if (all_digits) {
                return false;
            }
        }
        label_start = index + 1;
    }
    return labels >= 2;
}

int
wf_identity_validate_email (wf_str_t email, char *normalized, const char **message)
{
    assert (normalized);
    assert (message);
    normalized[0] = 0;
    wf_str_t trimmed;
    if (email.ptr == NULL || s_trim (email, &trimmed) != 0) {
        *message =
            email.ptr ? "The Email field is not a valid e-mail address." : S_REQUIRED ("Email");
        return -1;
    }
    if (trimmed.len == 0) {
        *message = S_REQUIRED ("Email");
        return -1;
    }
    if (trimmed.len > WF_EMAIL_BYTES_MAX) {
        *message = "The field Email must be a string with a maximum length of 254.";
        return -1;
    }
    size_t at = trimmed.len;
    for (size_t index = 0; index < trimmed.len; index++) {
        char ch = trimmed.ptr[index];
        normalized[index] = (ch >= 'A' && ch <= 'Z') ? (char) (ch - 'A' + 'a') : ch;
        if (ch == '@') {
            at = at == trimmed.len ? index : trimmed.len + 1; //  a second '@' poisons it
        }
    }
    normalized[trimmed.len] = 0;
    if (at >= trimmed.len || !s_local_part_ok (normalized, at) ||
        !s_domain_ok (normalized + at + 1, trimmed.len - at - 1)) {
        normalized[0] = 0;
        *message = "The Email field is not a valid e-mail address.";
        return -1;
    }
    return 0;
}

//  Check one name and copy its trimmed form into out (WF_NAME_BYTES_MAX + 1).
static int
s_validate_name (wf_str_t name, const s_name_rules_t *rules, char *out,
                 wf_identity_errors_t *errors)
{
    out[0] = 0;
    wf_str_t trimmed;
    if (name.ptr == NULL) {
        s_error_add (errors, rules->field, rules->required);
        return -1;
    }
    if (s_trim (name, &trimmed) != 0) {
        s_error_add (errors, rules->field, rules->not_utf8);
        return -1;
    }
    if (trimmed.len == 0) {
        s_error_add (errors, rules->field, rules->required);
        return -1;
    }
    long chars = 0;
    bool control = false;
    for (size_t offset = 0; offset < trimmed.len; chars++) {
        uint32_t cp;
        size_t size =
            s_utf8_decode ((const uint8_t *) trimmed.ptr + offset, trimmed.len - offset, &cp);
        assert (size > 0); //  s_trim has checked the encoding
        offset += size;
        control = control || s_is_control (cp);
    }
    if (chars < WF_NAME_CHARS_MIN || chars > WF_NAME_CHARS_MAX) {
        s_error_add (errors, rules->field, rules->length);
        return -1;
    }
    if (control) {
        s_error_add (errors, rules->field, rules->control);
        return -1;
    }
    assert (trimmed.len <= WF_NAME_BYTES_MAX);
    memcpy (out, trimmed.ptr, trimmed.len);
    out[trimmed.len] = 0;
    return 0;
}

//  Classify the password's characters; returns its length in code points, or
//  -1 when it is not UTF-8.
static long
s_password_scan (wf_str_t password, bool *upper, bool *lower, bool *digit, bool *symbol,
                 bool *control)
{
    long chars = 0;
    for (size_t offset = 0; offset < password.len; chars++) {
        uint32_t cp;
        size_t size =
            s_utf8_decode ((const uint8_t *) password.ptr + offset, password.len - offset, &cp);
        if (size == 0) {
            return -1;
        }
        offset += size;
        if (cp >= 'A' && cp <= 'Z') {
            *upper = true;
        } else if (cp >= 'a' && cp <= 'z') {
            *lower = true;
        } else if (cp >= '0' && cp <= '9') {
            *digit = true;
        } else if (s_is_control (cp)) {
            *control = true;
        } else if (!s_is_space (cp)) {
            *symbol = true;
        }
    }
    return chars;
}

//  Apply the strength rules of registration to a password.
static int
s_validate_password (wf_str_t password, wf_identity_errors_t *errors)
{
    if (password.ptr == NULL || password.len == 0) {
        s_error_add (errors, "password", S_REQUIRED ("Password"));
        return -1;
    }
    bool upper = false, lower = false, digit = false, symbol = false, control = false;
    long chars = s_password_scan (password, &upper, &lower, &digit, &symbol, &control);
    if (chars < 0) {
        s_error_add (errors, "password", S_NOT_UTF8 ("Password"));
        return -1;
    }
    size_t count_before = errors->count;
    if (chars < WF_PASSWORD_CHARS_MIN || chars > WF_PASSWORD_CHARS_MAX) {
        s_error_add (errors, "password", S_LENGTH ("Password", "8", "128"));
    }
    if (control) {
        s_error_add (errors, "password", S_CONTROL ("Password"));
    }
    if (!upper) {
        s_error_add (errors, "password",
                     "The Password field must contain at least one uppercase letter.");
    }
    if (!lower) {
        s_error_add (errors, "password",
                     "The Password field must contain at least one lowercase letter.");
    }
    if (!digit) {
        s_error_add (errors, "password", "The Password field must contain at least one digit.");
    }
    if (!symbol) {
        s_error_add (errors, "password", "The Password field must contain at least one symbol.");
    }
    return errors->count == count_before ? 0 : -1;
}

int
wf_identity_validate_register (const wf_identity_register_input_t *input,
                               wf_identity_register_output_t *output, wf_identity_errors_t *errors)
{
    assert (input);
    assert (output);
    assert (errors);
    size_t count_before = errors->count;
    const char *message;
    if (wf_identity_validate_email (input->email, output->email, &message) != 0) {
        s_error_add (errors, "email", message);
    }
    s_validate_name (input->first_name, &s_first_name_rules, output->first_name, errors);
    s_validate_name (input->last_name, &s_last_name_rules, output->last_name, errors);
    s_validate_password (input->password, errors);
    const wf_str_t *confirm = &input->confirm_password;
    if (confirm->ptr != NULL &&
        (input->password.ptr == NULL || confirm->len != input->password.len ||
         memcmp (confirm->ptr, input->password.ptr, confirm->len) != 0)) {
        s_error_add (errors, "confirmPassword", "'ConfirmPassword' and 'Password' do not match.");
    }
    return errors->count == count_before ? 0 : -1;
}

int
wf_identity_validate_login (wf_str_t email, wf_str_t password, char *email_out,
                            wf_identity_errors_t *errors)
{
    assert (email_out);
    assert (errors);
    size_t count_before = errors->count;
    const char *message;
    if (wf_identity_validate_email (email, email_out, &message) != 0) {
        s_error_add (errors, "email", message);
    }
    long chars = password.ptr ? wf_identity_utf8_chars (password) : 0;
    if (password.ptr == NULL || password.len == 0) {
        s_error_add (errors, "password", S_REQUIRED ("Password"));
    } else if (chars < 0) {
        s_error_add (errors, "password", S_NOT_UTF8 ("Password"));
    } else if (chars > WF_PASSWORD_CHARS_MAX) {
        s_error_add (errors, "password",
                     "The field Password must be a string with a maximum length of 128.");
    }
    return errors->count == count_before ? 0 : -1;
}
