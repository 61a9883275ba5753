/*  wf_account_number_test - format, dates, and error detection of the check.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "wf_account_number.h"

//  True when the C string is a valid number.
static bool
s_valid (const char *text)
{
    return wf_account_number_valid ((wf_str_t){text, strlen (text)});
}

//  Known dates and bits give the numbers an independent implementation gives.
static void
test_make_matches_known_numbers (void **state)
{
    static const struct {
        int64_t date_ms;
        uint32_t bits;
        const char *number;
    } cases[] = {
        {1795651200000LL, 0x1A2B3C4D, "WF-20261126-1A2B3C4D-K"},
        {0, 0, "WF-19700101-00000000-C"},
        {1709251199999LL, 0xFFFFFFFF, "WF-20240229-FFFFFFFF-Z"}, //  last ms of a leap day
        {253402300799999LL, 0xDEADBEEF, "WF-99991231-DEADBEEF-0"},
        {1764115200000LL, 0x1A2B3C4D, "WF-20251126-1A2B3C4D-Z"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char number[WF_ACCOUNT_NUMBER_BYTES];
        wf_account_number_make (cases[i].date_ms, cases[i].bits, number);
        assert_string_equal (number, cases[i].number);
        assert_true (s_valid (number));
    }
}

//  The check satisfies the ISO 7064 pure-system equation, computed here as a
//  weighted sum rather than by the recursion the code uses.
static void
test_check_satisfies_the_iso_7064_equation (void **state)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";
    srand (7064);
    for (int i = 0; i < 10000; i++) {
        char body[16];
        for (int j = 0; j < 16; j++)
            body[j] = alphabet[rand () % 36];
        char check = wf_account_number_check_char (body, 16);
        int sum = (int) (strchr (alphabet, check) - alphabet); //  weight 2^0
        int weight = 2;
        for (int j = 15; j >= 0; j--, weight = weight * 2 % 37)
            sum = (sum + (int) (strchr (alphabet, body[j]) - alphabet) * weight) % 37;
        assert_int_equal (sum, 1);
    }
    assert_int_equal (wf_account_number_check_char ("12a4", 4), '\0');
    assert_int_equal (wf_account_number_check_char ("12-4", 4), '\0');
}

//  Some numbers end in '*', and they validate like any other.
static void
test_star_check_character_exists_and_validates (void **state)
{
    int stars = 0;
    for (uint32_t bits = 0; bits < 2000; bits++) {
        char number[WF_ACCOUNT_NUMBER_BYTES];
        wf_account_number_make (1764115200000LL, bits * 2654435761u, number);
        assert_true (s_valid (number));
        stars += number[21] == '*';
    }
    assert_true (stars > 10 && stars < 200);
}

//  Malformed numbers and impossible dates are refused.
static void
test_malformed_numbers_are_refused (void **state)
{
    static const char *cases[] = {
        "",
        "WF-20261126-1A2B3C4D",    //  the original's look, without check
        "WF-20261126-1A2B3C4D-KK", //  too long
        "wf-20261126-1A2B3C4D-K",  //  lower-case prefix
        "WF-20261126-1a2b3c4d-K",  //  lower-case hex
        "WF-20261126-1A2B3C4D-k",  //  lower-case check
        "WX-20261126-1A2B3C4D-K",  //  another prefix
        "WF_20261126-1A2B3C4D-K",  //  wrong separator
        "WF-20261126+1A2B3C4D-K",
        "WF-20261126-1A2B3C4D+K",
        "WF-20261126-1A2B3G4D-K", //  not hex
        "WF-20230229-00000000-0", //  not a leap year
        "WF-20231301-00000000-0", //  month 13
        "WF-20230100-00000000-0", //  day 0
        "WF-20230431-00000000-0", //  April 31
        "WF-19691231-00000000-0", //  before 1970
        "WF-2026112-61A2B3C4D-K",
        " WF-20261126-1A2B3C4D-K",
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
        if (s_valid (cases[i]))
            fail_msg ("accepted %s", cases[i]);
    assert_false (wf_account_number_valid ((wf_str_t){NULL, 0}));
    //  A valid prefix of a longer buffer is read by length.
    assert_true (wf_account_number_valid ((wf_str_t){"WF-20261126-1A2B3C4D-Kxyz", 22}));
}

//  Dates that exist are accepted, including 29 February of leap years.
static void
test_real_dates_are_accepted (void **state)
{
    static const char *dates[] = {"20000229", "20240229", "19700101", "99991231", "20261130"};
    for (size_t i = 0; i < sizeof (dates) / sizeof (dates[0]); i++) {
        char body[17];
        memcpy (body, dates[i], 8);
        memcpy (body + 8, "0000ABCD", 8);
        char number[WF_ACCOUNT_NUMBER_BYTES];
        snprintf (number, sizeof number, "WF-%.8s-%.8s-%c", body, body + 8,
                  wf_account_number_check_char (body, 16));
        assert_true (s_valid (number));
    }
}

//  Every single-character typo (any byte at any position) and every adjacent
//  transposition is detected, over many random numbers.
static void
test_every_typo_and_adjacent_transposition_is_detected (void **state)
{
    srand (37);
    for (int n = 0; n < 1000; n++) {
        int64_t date_ms =
            ((int64_t) rand () * 4096 + rand () % 4096) % WF_ACCOUNT_NUMBER_TIME_MS_MAX;
        uint32_t bits = (uint32_t) rand () << 16 ^ (uint32_t) rand ();
        char number[WF_ACCOUNT_NUMBER_BYTES];
        wf_account_number_make (date_ms, bits, number);
        assert_true (s_valid (number));
        for (int pos = 0; pos < WF_ACCOUNT_NUMBER_LEN; pos++) {
            for (int byte = 1; byte < 256; byte++) {
                if (byte == (unsigned char) number[pos])
                    continue;
                char typo[WF_ACCOUNT_NUMBER_BYTES];
                memcpy (typo, number, sizeof typo);
                typo[pos] = (char) byte;
                if (s_valid (typo))
                    fail_msg ("typo not detected: %s -> %s", number, typo);
            }
            if (pos + 1 < WF_ACCOUNT_NUMBER_LEN && number[pos] != number[pos + 1]) {
                char swapped[WF_ACCOUNT_NUMBER_BYTES];
                memcpy (swapped, number, sizeof swapped);
                swapped[pos] = number[pos + 1];
                swapped[pos + 1] = number[pos];
                if (s_valid (swapped))
                    fail_msg ("transposition not detected: %s -> %s", number, swapped);
            }
        }
    }
}

//  Runs every test of this class.
int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_make_matches_known_numbers),
        cmocka_unit_test (test_check_satisfies_the_iso_7064_equation),
        cmocka_unit_test (test_star_check_character_exists_and_validates),
        cmocka_unit_test (test_malformed_numbers_are_refused),
        cmocka_unit_test (test_real_dates_are_accepted),
        cmocka_unit_test (test_every_typo_and_adjacent_transposition_is_detected),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
