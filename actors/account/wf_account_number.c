/*  wf_account_number - making and checking WF-yyyymmdd-XXXXXXXX-C numbers.

    The UTC date comes from the day count since the epoch with Howard
    Hinnant's civil_from_days, so no time zone or libc time call is involved.
*/
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "wf_account_number.h"

#define S_MS_PER_DAY 86400000LL
#define S_MOD        37
#define S_BODY_CHARS 16 //  8 date digits + 8 hex digits
static const char s_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

//  Returns the ISO 7064 value of a character (0..35), or -1.
static int
s_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return -1;
}

//  Computes the MOD 37-2 check character over text (see the header).
char
wf_account_number_check_char (const char *text, size_t len)
{
    assert (text || len == 0);
    int product = 0;
    for (size_t i = 0; i < len; i++) {
        int value = s_value (text[i]);
        if (value < 0)
            return '\0';
        product = ((product + value) * 2) % S_MOD;
    }
    return s_alphabet[(S_MOD + 1 - product) % S_MOD];
}

//  Converts days since 1970-01-01 to a civil (proleptic Gregorian) date.
static void
s_civil_from_days (int64_t days, int *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_index = (5 * day_of_year + 2) / 153;
    *day = (int) (day_of_year - (153 * month_index + 2) / 5 + 1);
    *month = (int) (month_index < 10 ? month_index + 3 : month_index - 9);
    *year = (int) (year_of_era + era * 400 + (*month <= 2));
}

//  Writes the number for an opening date and 32 random bits.
void
wf_account_number_make (int64_t date_ms, uint32_t random_bits, char out[WF_ACCOUNT_NUMBER_BYTES])
{
    assert (out);
    assert (date_ms >= 0 && date_ms <= WF_ACCOUNT_NUMBER_TIME_MS_MAX);
    int year, month, day;
    s_civil_from_days (date_ms / S_MS_PER_DAY, &year, &month, &day);
    char body[S_BODY_CHARS + 1];
    int length = snprintf (body, sizeof (body), "%04d%02d%02d%08X", year, month, day,
                           (unsigned) random_bits);
    assert (length == S_BODY_CHARS);
    char check = wf_account_number_check_char (body, S_BODY_CHARS);
    assert (check);
    length = snprintf (out, WF_ACCOUNT_NUMBER_BYTES, "WF-%.8s-%.8s-%c", body, body + 8, check);
    assert (length == WF_ACCOUNT_NUMBER_LEN);
}

//  Reads `count` decimal digits; -1 when one is not a digit.
static int
s_decimal (const char *text, int count)
{
    int value = 0;
    for (int i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

//  True when yyyymmdd at text is a calendar date from 1970 through 9999.
static bool
s_date_valid (const char *text)
{
    int year = s_decimal (text, 4), month = s_decimal (text + 4, 2), day = s_decimal (text + 6, 2);
    if (year < 1970 || month < 1 || month > 12 || day < 1)
        return false;
    static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days_in_month[month - 1] + (month == 2 && leap);
}

//  Checks the layout, the date, the hex digits and the check character.
bool
wf_account_number_valid (wf_str_t text)
{
    if (!text.ptr || text.len != WF_ACCOUNT_NUMBER_LEN)
        return false;
    const char *p = text.ptr;
    if (memcmp (p, "WF-", 3) != 0 || p[11] != '-' || p[20] != '-')
        return false;
    if (!s_date_valid (p + 3))
        return false;
    for (int i = 12; i < 20; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'F')))
            return false;
    char body[S_BODY_CHARS];
    memcpy (body, p + 3, 8);
    memcpy (body + 8, p + 12, 8);
    return wf_account_number_check_char (body, S_BODY_CHARS) == p[21];
}
