/*  wf_money_test - exact parsing, scaled formatting and JSON splicing.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "wf_money.h"

//  Parses a C string; returns the reason (WF_MONEY_OK on success).
static wf_money_err_t
s_parse (const char *text, int digits, int64_t *minor)
{
    wf_money_err_t why = WF_MONEY_OK;
    int64_t value = -1;
    int rc = wf_money_parse ((wf_str_t){text, strlen (text)}, digits, &value, &why);
    assert_int_equal (rc, why == WF_MONEY_OK ? 0 : -1);
    if (minor)
        *minor = value;
    return why;
}

//  Plain decimals parse exactly into minor units.
static void
test_plain_decimals_parse_exactly (void **state)
{
    static const struct {
        const char *text;
        int digits;
        int64_t minor;
    } cases[] = {
        {"100.5", 2, 10050},
        {"100.50", 2, 10050},
        {"0.01", 2, 1},
        {"1", 2, 100},
        {"100", 0, 100},
        {"1.2345", 4, 12345},
        {"0.5", 1, 5},
        {"1000000.00", 2, 100000000},
        {"0.001", 3, 1},
        {"92233720368547758.07", 2, INT64_MAX},
        {"9223372036854775807", 0, INT64_MAX},
        {"92233720368547758", 2, 9223372036854775800LL},
        {"922337203685477.5807", 4, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        int64_t minor;
        assert_int_equal (s_parse (cases[i].text, cases[i].digits, &minor), WF_MONEY_OK);
        assert_int_equal (minor, cases[i].minor);
    }
}

//  Every refusal has its reason.
static void
test_each_refusal_has_its_reason (void **state)
{
    static const struct {
        const char *text;
        int digits;
        wf_money_err_t why;
    } cases[] = {
        {"", 2, WF_MONEY_EMPTY},
        {"+1", 2, WF_MONEY_SYNTAX},
        {"-", 2, WF_MONEY_SYNTAX},
        {"--1", 2, WF_MONEY_SYNTAX},
        {" 1", 2, WF_MONEY_SYNTAX},
        {"1 ", 2, WF_MONEY_SYNTAX},
        {"1 000", 2, WF_MONEY_SYNTAX},
        {"1,5", 2, WF_MONEY_SYNTAX},
        {".5", 2, WF_MONEY_SYNTAX},
        {"5.", 2, WF_MONEY_SYNTAX},
        {"1.2.3", 2, WF_MONEY_SYNTAX},
        {"0x10", 2, WF_MONEY_SYNTAX},
        {"NaN", 2, WF_MONEY_SYNTAX},
        {"Infinity", 2, WF_MONEY_SYNTAX},
        {"-Infinity", 2, WF_MONEY_SYNTAX},
        {"1e", 2, WF_MONEY_SYNTAX},
        {"1e+", 2, WF_MONEY_SYNTAX},
        {"\"1\"", 2, WF_MONEY_SYNTAX},
        {"\xd9\xa1", 2, WF_MONEY_SYNTAX}, //  Arabic-Indic digit one
        {"01", 2, WF_MONEY_LEADING_ZERO},
        {"00.5", 2, WF_MONEY_LEADING_ZERO},
        {"-01", 2, WF_MONEY_LEADING_ZERO},
        {"1e2", 2, WF_MONEY_EXPONENT},
        {"1E+2", 2, WF_MONEY_EXPONENT},
        {"1.5e-1", 2, WF_MONEY_EXPONENT},
        {"1e309", 2, WF_MONEY_EXPONENT},
        {"-1e2", 2, WF_MONEY_EXPONENT},
        {"0", 2, WF_MONEY_NOT_POSITIVE},
        {"0.00", 2, WF_MONEY_NOT_POSITIVE},
        {"-0", 2, WF_MONEY_NOT_POSITIVE},
        {"-5", 2, WF_MONEY_NOT_POSITIVE},
        {"-5.123", 2, WF_MONEY_NOT_POSITIVE},
        {"0", 0, WF_MONEY_NOT_POSITIVE},
        {"1.000", 2, WF_MONEY_TOO_MANY_DECIMALS},
        {"0.001", 2, WF_MONEY_TOO_MANY_DECIMALS},
        {"100.0", 0, WF_MONEY_TOO_MANY_DECIMALS},
        {"0.00000", 4, WF_MONEY_TOO_MANY_DECIMALS},
        {"92233720368547758.08", 2, WF_MONEY_TOO_LARGE},
        {"92233720368547759", 2, WF_MONEY_TOO_LARGE},
        {"9223372036854775808", 0, WF_MONEY_TOO_LARGE},
        {"99999999999999999999999999999999999999", 0, WF_MONEY_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_money_err_t why = s_parse (cases[i].text, cases[i].digits, NULL);
        if (why != cases[i].why)
            fail_msg ("\"%s\" (%d digits): got %d, want %d", cases[i].text, cases[i].digits, why,
                      cases[i].why);
    }
}

//  A slice is read by its length, not up to a terminator, and NUL is refused.
static void
test_slices_are_read_by_length (void **state)
{
    int64_t minor = 0;
    wf_money_err_t why;
    assert_int_equal (wf_money_parse ((wf_str_t){"12345", 3}, 2, &minor, &why), 0);
    assert_int_equal (minor, 12300);
    assert_int_equal (wf_money_parse ((wf_str_t){"1\0", 2}, 2, &minor, &why), -1);
    assert_int_equal (why, WF_MONEY_SYNTAX);
    assert_int_equal (wf_money_parse ((wf_str_t){NULL, 0}, 2, &minor, &why), -1);
    assert_int_equal (why, WF_MONEY_EMPTY);
}

//  Every reason has its own message.
static void
test_messages_are_distinct (void **state)
{
    for (int why = WF_MONEY_OK; why <= WF_MONEY_TOO_LARGE; why++)
        for (int other = WF_MONEY_OK; other < why; other++)
            assert_string_not_equal (wf_money_strerror ((wf_money_err_t) why),
                                     wf_money_strerror ((wf_money_err_t) other));
}

//  Formatting keeps the currency's scale, including negative and extreme values.
static void
test_format_keeps_the_scale (void **state)
{
    static const struct {
        int64_t minor;
        int digits;
        const char *text;
    } cases[] = {
        {10050, 2, "100.50"},
        {-307, 2, "-3.07"},
        {0, 2, "0.00"},
        {100, 0, "100"},
        {5, 3, "0.005"},
        {1, 4, "0.0001"},
        {-1, 2, "-0.01"},
        {0, 0, "0"},
        {INT64_MAX, 2, "92233720368547758.07"},
        {INT64_MIN, 2, "-92233720368547758.08"},
        {INT64_MIN, 0, "-9223372036854775808"},
        {INT64_MIN, 4, "-922337203685477.5808"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char buf[WF_MONEY_TEXT_BYTES_MAX];
        int length = wf_money_format (cases[i].minor, cases[i].digits, buf, sizeof buf);
        assert_int_equal (length, strlen (cases[i].text));
        assert_string_equal (buf, cases[i].text);
        assert_int_equal (wf_money_json_literal (cases[i].minor, cases[i].digits, buf, sizeof buf),
                          length);
    }
}

//  A buffer one byte short fails; an exact one works.
static void
test_format_refuses_a_short_buffer (void **state)
{
    char buf[8];
    assert_int_equal (wf_money_format (10050, 2, buf, 6), -1);
    assert_int_equal (wf_money_format (10050, 2, buf, 7), 6);
    assert_string_equal (buf, "100.50");
}

//  Formatting then parsing gives the value back, for every digit count.
static void
test_format_then_parse_round_trips (void **state)
{
    srand (4217);
    for (int i = 0; i < 100000; i++) {
        int digits = i % 5;
        int64_t minor = ((int64_t) rand () << 31 ^ rand ()) % 100000000000000LL + 1;
        char buf[WF_MONEY_TEXT_BYTES_MAX];
        assert_true (wf_money_format (minor, digits, buf, sizeof buf) > 0);
        int64_t back = 0;
        assert_int_equal (s_parse (buf, digits, &back), WF_MONEY_OK);
        assert_int_equal (back, minor);
    }
}

//  Placeholders become number literals with their scale, anywhere in a document.
static void
test_json_dumps_splices_literals (void **state)
{
    json_t *doc =
        json_pack ("{s:o, s:s, s:[o, o], s:o, s:o, s:s}", "amount", wf_money_json_value (10050, 2),
                   "currency", "USD", "list", wf_money_json_value (100, 0),
                   wf_money_json_value (5, 3), "zero", wf_money_json_value (0, 2), "negative",
                   wf_money_json_value (-307, 2), "note", "say \"hi\" \\u0000wf-money:1");
    assert_non_null (doc);
    char *text = wf_money_json_dumps (doc, JSON_COMPACT);
    assert_non_null (text);
    assert_string_equal (text, "{\"amount\":100.50,\"currency\":\"USD\",\"list\":[100,0.005],"
                               "\"zero\":0.00,\"negative\":-3.07,"
                               "\"note\":\"say \\\"hi\\\" \\\\u0000wf-money:1\"}");
    json_error_t error;
    json_t *back = json_loads (text, 0, &error);
    assert_non_null (back);
    assert_true (json_is_real (json_object_get (back, "amount")));
    json_decref (back);
    free (text);
    text = wf_money_json_dumps (doc, JSON_INDENT (2));
    assert_non_null (text);
    assert_non_null (strstr (text, "\"amount\": 100.50"));
    free (text);
    json_decref (doc);
}

//  A bare placeholder dumps as a bare literal (JSON_ENCODE_ANY).
static void
test_json_dumps_of_a_bare_value (void **state)
{
    json_t *value = wf_money_json_value (123456, 4);
    char *text = wf_money_json_dumps (value, JSON_ENCODE_ANY);
    assert_string_equal (text, "12.3456");
    free (text);
    json_decref (value);
}

//  A placeholder used as a key, or one with a forged literal, fails closed.
static void
test_json_dumps_fails_closed (void **state)
{
    json_t *doc = json_object ();
    static const char key[] = "\0wf-money:1.00";
    assert_int_equal (json_object_setn_new (doc, key, sizeof key - 1, json_integer (1)), 0);
    assert_null (wf_money_json_dumps (doc, JSON_COMPACT));
    json_decref (doc);

    static const char forged[] = "\0wf-money:1,\"admin\":true";
    doc = json_pack ("{s:o}", "a", json_stringn (forged, sizeof forged - 1));
    assert_null (wf_money_json_dumps (doc, JSON_COMPACT));
    json_decref (doc);
}

//  Runs every test of this class.
int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_plain_decimals_parse_exactly),
        cmocka_unit_test (test_each_refusal_has_its_reason),
        cmocka_unit_test (test_slices_are_read_by_length),
        cmocka_unit_test (test_messages_are_distinct),
        cmocka_unit_test (test_format_keeps_the_scale),
        cmocka_unit_test (test_format_refuses_a_short_buffer),
        cmocka_unit_test (test_format_then_parse_round_trips),
        cmocka_unit_test (test_json_dumps_splices_literals),
        cmocka_unit_test (test_json_dumps_of_a_bare_value),
        cmocka_unit_test (test_json_dumps_fails_closed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
