/*  wf_identity_validate_test - table-driven tests of register/login validation.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "wf_identity_validate.h"

#define MSG_EMAIL_INVALID  "The Email field is not a valid e-mail address."
#define MSG_EMAIL_REQUIRED "The Email field is required."
#define MSG_EMAIL_LONG     "The field Email must be a string with a maximum length of 254."
#define MSG_FIRST_REQUIRED "The FirstName field is required."
#define MSG_FIRST_LENGTH                                                                           \
    "The field FirstName must be a string with a minimum length of 1 and a maximum length of "     \
    "100."
#define MSG_FIRST_CONTROL "The FirstName field must not contain control characters."
#define MSG_FIRST_UTF8    "The FirstName field must be valid UTF-8 text."
#define MSG_PW_LENGTH                                                                              \
    "The field Password must be a string with a minimum length of 8 and a maximum length of "      \
    "128."
#define MSG_PW_UPPER    "The Password field must contain at least one uppercase letter."
#define MSG_PW_LOWER    "The Password field must contain at least one lowercase letter."
#define MSG_PW_DIGIT    "The Password field must contain at least one digit."
#define MSG_PW_SYMBOL   "The Password field must contain at least one symbol."
#define MSG_PW_CONTROL  "The Password field must not contain control characters."
#define MSG_PW_REQUIRED "The Password field is required."
#define MSG_CONFIRM     "'ConfirmPassword' and 'Password' do not match."

static const wf_str_t s_absent = {NULL, 0};

//  Slice of a C string.
static wf_str_t
s_cstr (const char *text)
{
    return (wf_str_t){text, strlen (text)};
}

//  A string made of `count` copies of `unit`, in a static buffer per slot.
static wf_str_t
s_repeat (int slot, const char *unit, size_t count, const char *suffix)
{
    static char buffers[4][2048];
    char *buffer = buffers[slot];
    size_t len = 0, unit_len = strlen (unit);
    for (size_t index = 0; index < count; index++) {
        assert_true (len + unit_len < sizeof buffers[slot]);
        memcpy (buffer + len, unit, unit_len);
        len += unit_len;
    }
    size_t suffix_len = strlen (suffix);
    assert_true (len + suffix_len < sizeof buffers[slot]);
    memcpy (buffer + len, suffix, suffix_len + 1);
    return (wf_str_t){buffer, len + suffix_len};
}

typedef struct {
    wf_str_t input;
    const char *normalized; //  NULL: invalid
    const char *message;    //  expected message when invalid
} email_case_t;

static void
test_email_table (void **state)
{
    const email_case_t cases[] = {
        {WF_STR ("user@example.com"), "user@example.com", NULL},
        {WF_STR ("  User@Example.COM  "), "user@example.com", NULL},
        {WF_STR ("\tFirst.Last+tag@Sub.Example.co.uk\r\n"), "first.last+tag@sub.example.co.uk",
         NULL},
        {WF_STR ("\xC2\xA0user@example.com\xE3\x80\x80"), "user@example.com", NULL},
        {WF_STR ("a@b.co"), "a@b.co", NULL},
        {WF_STR ("o'neil@example.org"), "o'neil@example.org", NULL},
        {WF_STR ("user@my-domain.example"), "user@my-domain.example", NULL},
        {WF_STR ("1234@123.com"), "1234@123.com", NULL},
        {WF_STR ("user@example.c0m"), "user@example.c0m", NULL},
        {WF_STR ("user@xn--80ak6aa92e.xn--p1ai"), "user@xn--80ak6aa92e.xn--p1ai", NULL},
        {WF_STR ("!#$%&'*+/=?^_`{|}~-@example.com"), "!#$%&'*+/=?^_`{|}~-@example.com", NULL},
        {s_absent, NULL, MSG_EMAIL_REQUIRED},
        {WF_STR (""), NULL, MSG_EMAIL_REQUIRED},
        {WF_STR ("   \t "), NULL, MSG_EMAIL_REQUIRED},
        {WF_STR ("plainaddress"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("us@er@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("a@b@c@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@example"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@.example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@example..com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@example.com."), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@-example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@example-.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@example.-com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR (".user@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user.@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("us..er@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("us er@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@exa mple.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@example.com\x01"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user\x7f@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user\0@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("us\xC3\xA9r@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@ex\xC3\xA4mple.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("\xFF@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@1.2.3.4"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@[127.0.0.1]"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("\"quoted\"@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@exam_ple.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user(comment)@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user@example.com,other@example.com"), NULL, MSG_EMAIL_INVALID},
        {WF_STR ("user;@example.com"), NULL, MSG_EMAIL_INVALID},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char normalized[WF_EMAIL_BYTES_MAX + 1];
        const char *message = NULL;
        int rc = wf_identity_validate_email (cases[index].input, normalized, &message);
        if (cases[index].normalized) {
            if (rc != 0) {
                print_error ("case %zu should be valid: %s\n", index, message);
            }
            assert_int_equal (rc, 0);
            assert_string_equal (normalized, cases[index].normalized);
        } else {
            if (rc != -1) {
                print_error ("case %zu should be invalid\n", index);
            }
            assert_int_equal (rc, -1);
            assert_string_equal (message, cases[index].message);
            assert_string_equal (normalized, "");
        }
    }
}

static void
test_email_limits (void **state)
{
    char normalized[WF_EMAIL_BYTES_MAX + 1];
    const char *message;
    //  Local part at 64 and 65 bytes.
    assert_int_equal (
        wf_identity_validate_email (s_repeat (0, "a", 64, "@example.com"), normalized, &message),
        0);
    assert_int_equal (
        wf_identity_validate_email (s_repeat (0, "a", 65, "@example.com"), normalized, &message),
        -1);
    assert_string_equal (message, MSG_EMAIL_INVALID);
    //  A domain label at 63 and 64 bytes.
    char text[512];
    wf_str_t label63 = s_repeat (1, "b", 63, ".com");
    snprintf (text, sizeof text, "u@%.*s", (int) label63.len, label63.ptr);
    assert_int_equal (wf_identity_validate_email (s_cstr (text), normalized, &message), 0);
    wf_str_t label64 = s_repeat (1, "b", 64, ".com");
    snprintf (text, sizeof text, "u@%.*s", (int) label64.len, label64.ptr);
    assert_int_equal (wf_identity_validate_email (s_cstr (text), normalized, &message), -1);
    assert_string_equal (message, MSG_EMAIL_INVALID);
    //  Whole address at 254 and 255 bytes: 64 + '@' + 60.60.60.6x labels.
    for (size_t total = 254; total <= 255; total++) {
        size_t domain = total - 65;
        char address[300];
        memset (address, 'a', 64);
        address[64] = '@';
        for (size_t at = 0; at < domain; at++) {
            address[65 + at] = (at % 61 == 60) ? '.' : 'd';
        }
        address[total] = 0;
        address[total - 1] = 'x'; //  never end on a dot
        int rc = wf_identity_validate_email ((wf_str_t){address, total}, normalized, &message);
        if (total == 254) {
            assert_int_equal (rc, 0);
            assert_int_equal (strlen (normalized), 254);
        } else {
            assert_int_equal (rc, -1);
            assert_string_equal (message, MSG_EMAIL_LONG);
        }
    }
    //  Trimming happens before the length check.
    char padded[300];
    memset (padded, ' ', 10);
    memcpy (padded + 10, "a@example.com", 13);
    memset (padded + 23, ' ', 250);
    assert_int_equal (wf_identity_validate_email ((wf_str_t){padded, 273}, normalized, &message),
                      0);
    assert_string_equal (normalized, "a@example.com");
}

typedef struct {
    wf_str_t input;
    const char *normalized; //  NULL: invalid
    const char *message;
} name_case_t;

static void
test_name_table (void **state)
{
    const name_case_t cases[] = {
        {WF_STR ("Ada"), "Ada", NULL},
        {WF_STR ("  Ada  "), "Ada", NULL},
        {WF_STR ("\xC2\xA0\xE2\x80\x83"
                 "Ada\xE3\x80\x80"),
         "Ada", NULL},
        {WF_STR ("Jos\xC3\xA9"), "Jos\xC3\xA9", NULL},
        {WF_STR ("\xE6\x9D\x8E"), "\xE6\x9D\x8E", NULL},
        {WF_STR ("O'Brien-Smith"), "O'Brien-Smith", NULL},
        {WF_STR ("Anne Marie"), "Anne Marie", NULL},
        {WF_STR ("X"), "X", NULL},
        {WF_STR ("\xF0\x9D\x84\x9E"), "\xF0\x9D\x84\x9E", NULL},
        {WF_STR ("\xC2\x85"
                 "Ada\xC2\x85"),
         "Ada", NULL}, //  NEL at the ends is white space
        {s_absent, NULL, MSG_FIRST_REQUIRED},
        {WF_STR (""), NULL, MSG_FIRST_REQUIRED},
        {WF_STR ("   "), NULL, MSG_FIRST_REQUIRED},
        {WF_STR ("\xC2\xA0\t\r\n"), NULL, MSG_FIRST_REQUIRED},
        {WF_STR ("A\x01"
                 "B"),
         NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\tB"), NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\nB"), NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\x7F"), NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\0B"), NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\xC2\x85"
                 "B"),
         NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\xC2\x9F"
                 "B"),
         NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\xE2\x80\xAE"
                 "B"),
         NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\xE2\x81\xA6"
                 "B"),
         NULL, MSG_FIRST_CONTROL},
        {WF_STR ("A\xE2\x80\xA8"
                 "B"),
         NULL, MSG_FIRST_CONTROL},
        {WF_STR ("\xC0\xAF"), NULL, MSG_FIRST_UTF8},
        {WF_STR ("\xE0\x80\xAF"), NULL, MSG_FIRST_UTF8},
        {WF_STR ("\xED\xA0\x80"), NULL, MSG_FIRST_UTF8},
        {WF_STR ("\xF4\x90\x80\x80"), NULL, MSG_FIRST_UTF8},
        {WF_STR ("\xF5\x80\x80\x80"), NULL, MSG_FIRST_UTF8},
        {WF_STR ("Ab\xE2\x82"), NULL, MSG_FIRST_UTF8},
        {WF_STR ("\x80"
                 "Ab"),
         NULL, MSG_FIRST_UTF8},
        {WF_STR ("A\xC3\x28"), NULL, MSG_FIRST_UTF8},
        {WF_STR ("\xFE\xFF"), NULL, MSG_FIRST_UTF8},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        wf_identity_register_input_t input = {WF_STR ("a@example.com"), cases[index].input,
                                              WF_STR ("Lovelace"), WF_STR ("Passw0rd!"), s_absent};
        wf_identity_register_output_t output;
        wf_identity_errors_t errors;
        wf_identity_errors_reset (&errors);
        int rc = wf_identity_validate_register (&input, &output, &errors);
        if (cases[index].normalized) {
            if (rc != 0) {
                print_error ("name case %zu should be valid: %s\n", index, errors.items[0].message);
            }
            assert_int_equal (rc, 0);
            assert_int_equal (errors.count, 0);
            assert_string_equal (output.first_name, cases[index].normalized);
            assert_string_equal (output.last_name, "Lovelace");
        } else {
            if (rc != -1 || errors.count != 1) {
                print_error ("name case %zu should give one error\n", index);
            }
            assert_int_equal (rc, -1);
            assert_int_equal (errors.count, 1);
            assert_string_equal (errors.items[0].field, "firstName");
            assert_string_equal (errors.items[0].message, cases[index].message);
        }
    }
}

//  Lengths count code points: 100 two-byte or four-byte characters fit, 101 do not.
static void
test_name_limits (void **state)
{
    struct {
        const char *unit;
        size_t count;
        int rc;
    } cases[] = {{"a", 100, 0},
                 {"a", 101, -1},
                 {"\xC3\xA9", 100, 0},
                 {"\xC3\xA9", 101, -1},
                 {"\xF0\x9D\x84\x9E", 100, 0},
                 {"\xF0\x9D\x84\x9E", 101, -1}};
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        wf_str_t name = s_repeat (0, cases[index].unit, cases[index].count, "");
        wf_identity_register_input_t input = {WF_STR ("a@example.com"), WF_STR ("Ada"), name,
                                              WF_STR ("Passw0rd!"), s_absent};
        wf_identity_register_output_t output;
        wf_identity_errors_t errors;
        wf_identity_errors_reset (&errors);
        assert_int_equal (wf_identity_validate_register (&input, &output, &errors),
                          cases[index].rc);
        if (cases[index].rc == 0) {
            assert_int_equal (strlen (output.last_name), name.len);
        } else {
            assert_string_equal (errors.items[0].field, "lastName");
            assert_non_null (strstr (errors.items[0].message, "LastName"));
        }
    }
    //  Surrounding white space does not count toward the limit.
    wf_str_t padded = s_repeat (0, "a", 100, "      ");
    wf_identity_register_input_t input = {WF_STR ("a@example.com"), WF_STR ("Ada"), padded,
                                          WF_STR ("Passw0rd!"), s_absent};
    wf_identity_register_output_t output;
    wf_identity_errors_t errors;
    wf_identity_errors_reset (&errors);
    assert_int_equal (wf_identity_validate_register (&input, &output, &errors), 0);
}

typedef struct {
    wf_str_t password;
    const char *messages[6]; //  expected, in order, NULL-terminated; {NULL} = valid
} password_case_t;

static void
test_password_table (void **state)
{
    const password_case_t cases[] = {
        {WF_STR ("Passw0rd!"), {NULL}},
        {WF_STR ("Aa1!Aa1!"), {NULL}},
        {WF_STR ("P\xC3\xA4ssw0rd"), {NULL}}, //  a non-ASCII letter is a symbol
        {WF_STR ("\xC3\x84\xC3\xA4"
                 "1!\xC3\xA4\xC3\xA4"
                 "aB"),
         {NULL}}, //  8 code points, 12 bytes
        {WF_STR ("Correct Horse 1!"), {NULL}},
        {WF_STR ("Pass w0rd"), {MSG_PW_SYMBOL, NULL}}, //  a space is not a symbol
        {WF_STR ("Pa0!"), {MSG_PW_LENGTH, NULL}},
        {WF_STR ("\xC3\x84\xC3\xA4"
                 "1!\xC3\xA4\xC3\xA4"
                 "a"),
         {MSG_PW_LENGTH, MSG_PW_UPPER, NULL}},
        {WF_STR ("password"), {MSG_PW_UPPER, MSG_PW_DIGIT, MSG_PW_SYMBOL, NULL}},
        {WF_STR ("PASSW0RD!"), {MSG_PW_LOWER, NULL}},
        {WF_STR ("Password!"), {MSG_PW_DIGIT, NULL}},
        {WF_STR ("passw0rd!"), {MSG_PW_UPPER, NULL}},
        {WF_STR ("Passw0rd"), {MSG_PW_SYMBOL, NULL}},
        {WF_STR ("Passw0rd!\x01"), {MSG_PW_CONTROL, NULL}},
        {WF_STR ("Passw0rd!\0"), {MSG_PW_CONTROL, NULL}},
        {WF_STR ("Passw0rd!\xFF"), {"The Password field must be valid UTF-8 text.", NULL}},
        {WF_STR (""), {MSG_PW_REQUIRED, NULL}},
        {s_absent, {MSG_PW_REQUIRED, NULL}},
        {WF_STR ("a"), {MSG_PW_LENGTH, MSG_PW_UPPER, MSG_PW_DIGIT, MSG_PW_SYMBOL, NULL}},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        wf_identity_register_input_t input = {WF_STR ("a@example.com"), WF_STR ("Ada"),
                                              WF_STR ("Lovelace"), cases[index].password, s_absent};
        wf_identity_register_output_t output;
        wf_identity_errors_t errors;
        wf_identity_errors_reset (&errors);
        int rc = wf_identity_validate_register (&input, &output, &errors);
        size_t expected = 0;
        while (cases[index].messages[expected]) {
            expected++;
        }
        if (errors.count != expected) {
            print_error ("password case %zu: %zu errors, expected %zu\n", index, errors.count,
                         expected);
        }
        assert_int_equal (errors.count, expected);
        assert_int_equal (rc, expected ? -1 : 0);
        for (size_t at = 0; at < expected; at++) {
            assert_string_equal (errors.items[at].field, "password");
            assert_string_equal (errors.items[at].message, cases[index].messages[at]);
        }
    }
}

static void
test_password_limits (void **state)
{
    //  128 and 129 code points, of one- and of four-byte characters.
    struct {
        const char *unit;
        size_t count;
        int rc;
    } cases[] = {
        {"a", 124, 0}, {"a", 125, -1}, {"\xF0\x9F\x94\x91", 124, 0}, {"\xF0\x9F\x94\x91", 125, -1},
        {"a", 4, 0},   {"a", 3, -1}};
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        wf_str_t password = s_repeat (0, cases[index].unit, cases[index].count, "A1!b");
        wf_identity_register_input_t input = {WF_STR ("a@example.com"), WF_STR ("Ada"),
                                              WF_STR ("Lovelace"), password, password};
        wf_identity_register_output_t output;
        wf_identity_errors_t errors;
        wf_identity_errors_reset (&errors);
        assert_int_equal (wf_identity_validate_register (&input, &output, &errors),
                          cases[index].rc);
        if (cases[index].rc) {
            assert_int_equal (errors.count, 1);
            assert_string_equal (errors.items[0].message, MSG_PW_LENGTH);
        }
    }
}

static void
test_confirm_password (void **state)
{
    struct {
        wf_str_t confirm;
        int rc;
    } cases[] = {{s_absent, 0},
                 {WF_STR ("Passw0rd!"), 0},
                 {WF_STR ("Passw0rd?"), -1},
                 {WF_STR ("Passw0rd"), -1},
                 {WF_STR ("Passw0rd!!"), -1},
                 {WF_STR ("passw0rd!"), -1},
                 {WF_STR (""), -1}};
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        wf_identity_register_input_t input = {WF_STR ("a@example.com"), WF_STR ("Ada"),
                                              WF_STR ("Lovelace"), WF_STR ("Passw0rd!"),
                                              cases[index].confirm};
        wf_identity_register_output_t output;
        wf_identity_errors_t errors;
        wf_identity_errors_reset (&errors);
        assert_int_equal (wf_identity_validate_register (&input, &output, &errors),
                          cases[index].rc);
        if (cases[index].rc) {
            assert_int_equal (errors.count, 1);
            assert_string_equal (errors.items[0].field, "confirmPassword");
            assert_string_equal (errors.items[0].message, MSG_CONFIRM);
        }
    }
}

//  Everything wrong at once: one error per field, in field order, within the bound.
static void
test_register_all_wrong (void **state)
{
    wf_identity_register_input_t input = {WF_STR ("nope"), WF_STR (""), WF_STR ("A\x01"),
                                          WF_STR ("a"), WF_STR ("b")};
    wf_identity_register_output_t output;
    wf_identity_errors_t errors;
    wf_identity_errors_reset (&errors);
    assert_int_equal (wf_identity_validate_register (&input, &output, &errors), -1);
    const char *fields[] = {"email",    "firstName", "lastName", "password",
                            "password", "password",  "password", "confirmPassword"};
    assert_int_equal (errors.count, sizeof fields / sizeof fields[0]);
    assert_true (errors.count <= WF_IDENTITY_ERRORS_MAX);
    for (size_t index = 0; index < errors.count; index++) {
        assert_string_equal (errors.items[index].field, fields[index]);
        //  Messages never echo the input.
        assert_null (strstr (errors.items[index].message, "nope"));
    }
    //  All absent.
    wf_identity_register_input_t empty = {s_absent, s_absent, s_absent, s_absent, s_absent};
    wf_identity_errors_reset (&errors);
    assert_int_equal (wf_identity_validate_register (&empty, &output, &errors), -1);
    assert_int_equal (errors.count, 4);
    assert_string_equal (errors.items[0].message, MSG_EMAIL_REQUIRED);
    assert_string_equal (errors.items[1].message, MSG_FIRST_REQUIRED);
    assert_string_equal (errors.items[2].message, "The LastName field is required.");
    assert_string_equal (errors.items[3].message, MSG_PW_REQUIRED);
}

static void
test_register_good (void **state)
{
    wf_identity_register_input_t input = {WF_STR (" Ada.Lovelace@Example.ORG "), WF_STR ("  Ada "),
                                          WF_STR ("King-Lovelace\xC2\xA0"), WF_STR ("Analytical1!"),
                                          WF_STR ("Analytical1!")};
    wf_identity_register_output_t output;
    wf_identity_errors_t errors;
    wf_identity_errors_reset (&errors);
    assert_int_equal (wf_identity_validate_register (&input, &output, &errors), 0);
    assert_int_equal (errors.count, 0);
    assert_string_equal (output.email, "ada.lovelace@example.org");
    assert_string_equal (output.first_name, "Ada");
    assert_string_equal (output.last_name, "King-Lovelace");
}

static void
test_login (void **state)
{
    char email[WF_EMAIL_BYTES_MAX + 1];
    wf_identity_errors_t errors;
    //  Strength rules do not apply to login: a weak password is the server's to refuse.
    wf_identity_errors_reset (&errors);
    assert_int_equal (
        wf_identity_validate_login (WF_STR ("  USER@example.com"), WF_STR ("a"), email, &errors),
        0);
    assert_string_equal (email, "user@example.com");
    wf_identity_errors_reset (&errors);
    assert_int_equal (wf_identity_validate_login (s_absent, s_absent, email, &errors), -1);
    assert_int_equal (errors.count, 2);
    assert_string_equal (errors.items[0].field, "email");
    assert_string_equal (errors.items[1].message, MSG_PW_REQUIRED);
    wf_identity_errors_reset (&errors);
    assert_int_equal (wf_identity_validate_login (WF_STR ("user@example.com"),
                                                  s_repeat (0, "a", 129, ""), email, &errors),
                      -1);
    assert_string_equal (errors.items[0].message,
                         "The field Password must be a string with a maximum length of 128.");
    wf_identity_errors_reset (&errors);
    assert_int_equal (wf_identity_validate_login (WF_STR ("user@example.com"),
                                                  s_repeat (0, "\xC3\xA9", 128, ""), email,
                                                  &errors),
                      0);
    wf_identity_errors_reset (&errors);
    assert_int_equal (
        wf_identity_validate_login (WF_STR ("user@example"), WF_STR ("\xC0\x80"), email, &errors),
        -1);
    assert_int_equal (errors.count, 2);
    assert_string_equal (errors.items[0].message, MSG_EMAIL_INVALID);
    assert_string_equal (errors.items[1].message, "The Password field must be valid UTF-8 text.");
}

static void
test_utf8_chars (void **state)
{
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("")), 0);
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("abc")), 3);
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("\xC3\xA9\xE6\x9D\x8E\xF0\x9D\x84\x9E")), 3);
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("\xEF\xBF\xBF")), 1);      //  U+FFFF
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("\xF4\x8F\xBF\xBF")), 1);  //  U+10FFFF
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("\xF0\x80\x80\x80")), -1); //  overlong
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("\xED\xBF\xBF")), -1);     //  surrogate
    assert_int_equal (wf_identity_utf8_chars (WF_STR ("\xC3")), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_email_table),      cmocka_unit_test (test_email_limits),
        cmocka_unit_test (test_name_table),       cmocka_unit_test (test_name_limits),
        cmocka_unit_test (test_password_table),   cmocka_unit_test (test_password_limits),
        cmocka_unit_test (test_confirm_password), cmocka_unit_test (test_register_all_wrong),
        cmocka_unit_test (test_register_good),    cmocka_unit_test (test_login),
        cmocka_unit_test (test_utf8_chars),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
