/*  wf_currency_test - the ISO 4217 table, lookups and the deposit limit.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "wf_currency.h"

//  Looks up a C string, returning the currency or NULL and the reason.
static const wf_currency_t *
s_lookup (const char *code, wf_currency_err_t *why)
{
    return wf_currency_lookup ((wf_str_t){code, strlen (code)}, why);
}

//  Known codes have the digits ISO gives them.
static void
test_known_codes_have_their_minor_digits (void **state)
{
    static const struct {
        const char *code;
        int digits;
    } cases[] = {{"ARS", 2}, {"USD", 2}, {"EUR", 2}, {"JPY", 0}, {"KWD", 3}, {"BHD", 3},
                 {"CLF", 4}, {"UYW", 4}, {"CLP", 0}, {"ISK", 0}, {"TND", 3}, {"XCG", 2},
                 {"ZWG", 2}, {"XOF", 0}, {"UYI", 0}, {"AED", 2}, {"ZWL", 2}};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_currency_err_t why = WF_CURRENCY_UNKNOWN;
        const wf_currency_t *currency = s_lookup (cases[i].code, &why);
        assert_non_null (currency);
        assert_int_equal (why, WF_CURRENCY_OK);
        assert_string_equal (wf_currency_code (currency), cases[i].code);
        assert_int_equal (wf_currency_digits (currency), cases[i].digits);
    }
}

//  The table is sorted, well formed, and every row is found by lookup.
static void
test_table_is_sorted_and_every_row_is_found (void **state)
{
    size_t count = wf_currency_count ();
    assert_true (count >= 150);
    assert_null (wf_currency_at (count));
    for (size_t i = 0; i < count; i++) {
        const wf_currency_t *row = wf_currency_at (i);
        const char *code = wf_currency_code (row);
        assert_int_equal (strlen (code), 3);
        for (int c = 0; c < 3; c++)
            assert_true (code[c] >= 'A' && code[c] <= 'Z');
        if (i > 0)
            assert_true (strcmp (wf_currency_code (wf_currency_at (i - 1)), code) < 0);
        assert_in_range (wf_currency_digits (row), 0, WF_CURRENCY_DIGITS_MAX);
        assert_ptr_equal (s_lookup (code, NULL), row);
    }
}

//  Anything but three upper-case letters is malformed; lower case is not folded.
static void
test_malformed_codes_are_rejected (void **state)
{
    static const char *cases[] = {"usd", "Usd", "US", "USDD", "", "U$D", "US ", " USD", "U1D"};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_currency_err_t why = WF_CURRENCY_OK;
        assert_null (s_lookup (cases[i], &why));
        assert_int_equal (why, WF_CURRENCY_MALFORMED);
    }
    wf_currency_err_t why = WF_CURRENCY_OK;
    assert_null (wf_currency_lookup ((wf_str_t){NULL, 0}, &why));
    assert_int_equal (why, WF_CURRENCY_MALFORMED);
    assert_null (wf_currency_lookup ((wf_str_t){"US\0", 3}, &why));
    assert_int_equal (why, WF_CURRENCY_MALFORMED);
    //  A slice is read by length: "USDX" cut to three letters is USD.
    assert_non_null (wf_currency_lookup ((wf_str_t){"USDX", 3}, NULL));
}

//  Well-formed codes that ISO does not list (or withdrew) are unknown.
static void
test_unknown_codes_are_unknown (void **state)
{
    static const char *cases[] = {"ABC", "HRK", "DEM", "AAA", "ZZZ", "BTC"};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_currency_err_t why = WF_CURRENCY_OK;
        assert_null (s_lookup (cases[i], &why));
        assert_int_equal (why, WF_CURRENCY_UNKNOWN);
    }
}

//  Metals, units of account and test codes are not payment currencies.
static void
test_codes_without_minor_unit_are_not_payment_currencies (void **state)
{
    static const char *cases[] = {"XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XXX", "XTS", "XUA"};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_currency_err_t why = WF_CURRENCY_OK;
        assert_null (s_lookup (cases[i], &why));
        assert_int_equal (why, WF_CURRENCY_NOT_PAYMENT);
    }
}

//  The deposit limit is 1,000,000 major units in minor units, configurable.
static void
test_deposit_max_is_one_million_major_units (void **state)
{
    assert_int_equal (
        wf_currency_deposit_max_minor (s_lookup ("USD", NULL), WF_DEPOSIT_MAJOR_UNITS_DEFAULT),
        100000000);
    assert_int_equal (
        wf_currency_deposit_max_minor (s_lookup ("ARS", NULL), WF_DEPOSIT_MAJOR_UNITS_DEFAULT),
        100000000);
    assert_int_equal (
        wf_currency_deposit_max_minor (s_lookup ("JPY", NULL), WF_DEPOSIT_MAJOR_UNITS_DEFAULT),
        1000000);
    assert_int_equal (
        wf_currency_deposit_max_minor (s_lookup ("KWD", NULL), WF_DEPOSIT_MAJOR_UNITS_DEFAULT),
        1000000000);
    assert_int_equal (
        wf_currency_deposit_max_minor (s_lookup ("CLF", NULL), WF_DEPOSIT_MAJOR_UNITS_DEFAULT),
        10000000000LL);
    assert_int_equal (wf_currency_deposit_max_minor (s_lookup ("USD", NULL), 5), 500);
    assert_int_equal (
        wf_currency_deposit_max_minor (s_lookup ("CLF", NULL), WF_DEPOSIT_MAJOR_UNITS_LIMIT),
        WF_DEPOSIT_MAJOR_UNITS_LIMIT * 10000);
}

//  Scales and messages.
static void
test_scale_and_messages (void **state)
{
    assert_int_equal (wf_currency_scale (0), 1);
    assert_int_equal (wf_currency_scale (2), 100);
    assert_int_equal (wf_currency_scale (4), 10000);
    const char *seen[4];
    for (int why = WF_CURRENCY_OK; why <= WF_CURRENCY_NOT_PAYMENT; why++) {
        seen[why] = wf_currency_strerror ((wf_currency_err_t) why);
        assert_non_null (seen[why]);
        for (int other = 0; other < why; other++)
            assert_string_not_equal (seen[other], seen[why]);
    }
}

//  Runs every test of this class.
int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_known_codes_have_their_minor_digits),
        cmocka_unit_test (test_table_is_sorted_and_every_row_is_found),
        cmocka_unit_test (test_malformed_codes_are_rejected),
        cmocka_unit_test (test_unknown_codes_are_unknown),
        cmocka_unit_test (test_codes_without_minor_unit_are_not_payment_currencies),
        cmocka_unit_test (test_deposit_max_is_one_million_major_units),
        cmocka_unit_test (test_scale_and_messages),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
