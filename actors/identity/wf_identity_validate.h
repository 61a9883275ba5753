/*  wf_identity_validate - checks and normalizes register / login input.

    Pure functions, no state, no I/O. Each validator takes the raw fields as
    slices (a slice whose ptr is NULL is an absent field, as after a decode
    that did not find it), writes the normalized values into fixed buffers and
    appends one error per broken rule to a wf_identity_errors_t, which the front
    turns into the problem+json `errors` map: {field: [message, ...]}.

    Rules (issue 3):
    - email: trimmed, lower-cased (ASCII) so uniqueness ignores case, at most
      WF_EMAIL_BYTES_MAX bytes, one '@', a dot-atom local part of at most
      WF_EMAIL_LOCAL_BYTES_MAX bytes, a domain of two or more DNS labels
      (letters, digits, hyphens; no hyphen at either end; top label not all
      digits). Spaces, control and non-ASCII characters are refused.
    - firstName / lastName: valid UTF-8; trimmed of Unicode white space;
      WF_NAME_CHARS_MIN..WF_NAME_CHARS_MAX code points; no control characters
      (C0, DEL, C1), line/paragraph separators or bidi embedding controls.
    - password (register): valid UTF-8, WF_PASSWORD_CHARS_MIN..MAX code points,
      no control characters, at least one ASCII upper-case letter, one lower-case
      letter, one digit and one symbol (any other visible character, non-ASCII
      included). Never trimmed, never copied.
    - confirmPassword: when present, byte-equal to password.
    - login: a valid email (normalized as above) and a password of 1..MAX code
      points; the strength rules are not applied to login.

    Field names are the JSON names; messages are static sentences worded like
    ASP.NET Core's DataAnnotations ("The Email field is not a valid e-mail
    address."). Messages never quote the input.
*/
#ifndef WF_IDENTITY_VALIDATE_H_INCLUDED
#define WF_IDENTITY_VALIDATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "wf_msg.h"
#include "wf_identity_limits.h"

//  One broken rule. Both strings are static.
typedef struct {
    const char *field;   //  JSON name: "email", "firstName", ...
    const char *message; //  a sentence for people
} wf_identity_field_error_t;

//  The errors of one request, in field order. Errors past WF_IDENTITY_ERRORS_MAX
//  are dropped (the rules cannot produce that many).
typedef struct {
    wf_identity_field_error_t items[WF_IDENTITY_ERRORS_MAX];
    size_t count;
} wf_identity_errors_t;

//  Raw register fields; ptr == NULL means absent.
typedef struct {
    wf_str_t email;
    wf_str_t first_name;
    wf_str_t last_name;
    wf_str_t password;
    wf_str_t confirm_password;
} wf_identity_register_input_t;

//  Normalized register fields, NUL-terminated. Valid only when validation
//  returned 0.
typedef struct {
    char email[WF_EMAIL_BYTES_MAX + 1];
    char first_name[WF_NAME_BYTES_MAX + 1];
    char last_name[WF_NAME_BYTES_MAX + 1];
} wf_identity_register_output_t;

//  Empty the error list.
void wf_identity_errors_reset (wf_identity_errors_t *errors);

//  Validate a registration. Fills output and returns 0 when every rule holds;
//  returns -1 with errors appended otherwise.
int wf_identity_validate_register (const wf_identity_register_input_t *input,
                                   wf_identity_register_output_t *output,
                                   wf_identity_errors_t *errors);

//  Validate a login. email_out receives the normalized email (at least
//  WF_EMAIL_BYTES_MAX + 1 bytes). Returns 0 when valid, else -1 with errors.
int wf_identity_validate_login (wf_str_t email, wf_str_t password, char *email_out,
                                wf_identity_errors_t *errors);

//  Normalize and check one email address. normalized must hold
//  WF_EMAIL_BYTES_MAX + 1 bytes. Returns 0, or -1 and sets *message (static).
int wf_identity_validate_email (wf_str_t email, char *normalized, const char **message);

//  Count the code points of a UTF-8 string; returns -1 when it is not valid
//  UTF-8 (overlong forms, surrogates and values past U+10FFFF are invalid).
long wf_identity_utf8_chars (wf_str_t text);

#endif
