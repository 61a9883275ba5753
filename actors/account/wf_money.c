/*  wf_money - exact amounts without floating point.

    Parsing runs in two passes: a syntax scan that records where the integer
    part, the fraction and any exponent are, then checked arithmetic over the
    digits. Splitting them keeps each rule in one place and fixes the order in
    which reasons are reported: syntax, exponent, sign, decimals, size, zero.
*/
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wf_currency.h"
#include "wf_money.h"

//  Where the parts of a number literal sit in its text.
typedef struct {
    bool negative;
    size_t int_start, int_len;   //  the integer digits
    size_t frac_start, frac_len; //  the digits after '.', frac_len 0 if none
    bool exponent;               //  an e/E part was present
} s_number_t;

//  Returns the number of ASCII digits at text[pos...].
static size_t
s_digits_at (wf_str_t text, size_t pos)
{
    size_t count = 0;
    while (pos + count < text.len && text.ptr[pos + count] >= '0' && text.ptr[pos + count] <= '9')
        count++;
    return count;
}

//  Scans a JSON number literal; returns WF_MONEY_OK and fills *number, or the
//  syntax reason.
static wf_money_err_t
s_scan (wf_str_t text, s_number_t *number)
{
    memset (number, 0, sizeof (*number));
    size_t pos = 0;
    if (pos < text.len && text.ptr[pos] == '-') {
        number->negative = true;
        pos++;
    }
    number->int_start = pos;
    number->int_len = s_digits_at (text, pos);
    if (number->int_len == 0)
        return WF_MONEY_SYNTAX;
    if (number->int_len > 1 && text.ptr[pos] == '0')
        return WF_MONEY_LEADING_ZERO;
    pos += number->int_len;
    if (pos < text.len && text.ptr[pos] == '.') {
        number->frac_start = ++pos;
        number->frac_len = s_digits_at (text, pos);
        if (number->frac_len == 0)
            return WF_MONEY_SYNTAX;
        pos += number->frac_len;
    }
    if (pos < text.len && (text.ptr[pos] == 'e' || text.ptr[pos] == 'E')) {
        number->exponent = true;
        pos++;
        if (pos < text.len && (text.ptr[pos] == '+' || text.ptr[pos] == '-'))
            pos++;
        size_t exponent_len = s_digits_at (text, pos);
        if (exponent_len == 0)
            return WF_MONEY_SYNTAX;
        pos += exponent_len;
    }
    return pos == text.len ? WF_MONEY_OK : WF_MONEY_SYNTAX;
}

//  Appends decimal digits to *value with overflow checks; false on overflow.
static bool
s_accumulate (int64_t *value, const char *digits, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (__builtin_mul_overflow (*value, 10, value) ||
            __builtin_add_overflow (*value, digits[i] - '0', value))
            return false;
    }
    return true;
}

//  Fails a parse with a reason.
static int
s_fail (wf_money_err_t *why, wf_money_err_t reason)
{
    *why = reason;
    return -1;
}

//  Parses amount text exactly into minor units (rules in the header).
int
wf_money_parse (wf_str_t text, int digits, int64_t *minor, wf_money_err_t *why)
{
    assert (minor && why);
    assert (digits >= 0 && digits <= WF_CURRENCY_DIGITS_MAX);
    assert (text.ptr || text.len == 0);
    if (text.len == 0)
        return s_fail (why, WF_MONEY_EMPTY);
    s_number_t number;
    wf_money_err_t syntax = s_scan (text, &number);
    if (syntax != WF_MONEY_OK)
        return s_fail (why, syntax);
    if (number.exponent)
        return s_fail (why, WF_MONEY_EXPONENT);
    if (number.negative)
        return s_fail (why, WF_MONEY_NOT_POSITIVE);
    if (number.frac_len > (size_t) digits)
        return s_fail (why, WF_MONEY_TOO_MANY_DECIMALS);
    int64_t value = 0;
    if (!s_accumulate (&value, text.ptr + number.int_start, number.int_len) ||
        !s_accumulate (&value, text.ptr + number.frac_start, number.frac_len))
        return s_fail (why, WF_MONEY_TOO_LARGE);
    for (size_t i = number.frac_len; i < (size_t) digits; i++)
        if (__builtin_mul_overflow (value, 10, &value))
            return s_fail (why, WF_MONEY_TOO_LARGE);
    if (value == 0)
        return s_fail (why, WF_MONEY_NOT_POSITIVE);
    *minor = value;
    *why = WF_MONEY_OK;
    return 0;
}

//  Returns the problem+json sentence for a parse failure.
const char *
wf_money_strerror (wf_money_err_t why)
{
    switch (why) {
        case WF_MONEY_OK:
            return "ok";
        case WF_MONEY_EMPTY:
            return "amount is empty";
        case WF_MONEY_SYNTAX:
            return "amount must be a plain decimal number, like 100.50";
        case WF_MONEY_LEADING_ZERO:
            return "amount must not have leading zeros";
        case WF_MONEY_EXPONENT:
            return "amount must be written in plain digits, without exponent notation";
        case WF_MONEY_NOT_POSITIVE:
            return "amount must be greater than zero";
        case WF_MONEY_TOO_MANY_DECIMALS:
            return "amount has more decimal places than the currency allows";
        case WF_MONEY_TOO_LARGE:
            return "amount is too large";
    }
    return "invalid amount";
}

//  Formats minor units with the currency's scale; the magnitude is taken as
//  unsigned so INT64_MIN formats too.
int
wf_money_format (int64_t minor, int digits, char *buf, size_t size)
{
    assert (buf && size > 0);
    assert (digits >= 0 && digits <= WF_CURRENCY_DIGITS_MAX);
    uint64_t magnitude = minor < 0 ? (uint64_t) 0 - (uint64_t) minor : (uint64_t) minor;
    uint64_t scale = (uint64_t) wf_currency_scale (digits);
    const char *sign = minor < 0 ? "-" : "";
    int length;
    if (digits == 0)
        length = snprintf (buf, size, "%s%llu", sign, (unsigned long long) magnitude);
    else
        length =
            snprintf (buf, size, "%s%llu.%0*llu", sign, (unsigned long long) (magnitude / scale),
                      digits, (unsigned long long) (magnitude % scale));
    if (length < 0 || (size_t) length >= size)
        return -1;
    return length;
}

//  Returns the JSON number literal of an amount (see the header).
int
wf_money_json_literal (int64_t minor, int digits, char *buf, size_t size)
{
    return wf_money_format (minor, digits, buf, size);
}

//  The placeholder text: a NUL (unforgeable, see the header) and a marker.
static const char s_marker[] = "\0wf-money:";
#define S_MARKER_BYTES (sizeof (s_marker) - 1)
//  The same marker as json_dumps writes it inside the quotes.
static const char s_marker_dumped[] = "\\u0000wf-money:";
#define S_MARKER_DUMPED_BYTES (sizeof (s_marker_dumped) - 1)

//  Makes a placeholder string value carrying the amount's literal.
json_t *
wf_money_json_value (int64_t minor, int digits)
{
    char text[S_MARKER_BYTES + WF_MONEY_TEXT_BYTES_MAX];
    memcpy (text, s_marker, S_MARKER_BYTES);
    int length = wf_money_format (minor, digits, text + S_MARKER_BYTES, WF_MONEY_TEXT_BYTES_MAX);
    assert (length > 0);
    json_t *value = json_stringn (text, S_MARKER_BYTES + (size_t) length);
    assert (value); //  out of memory aborts
    return value;
}

//  True when text is a literal wf_money_format can produce.
static bool
s_literal_ok (const char *text, size_t len)
{
    s_number_t number;
    return len > 0 && len < WF_MONEY_TEXT_BYTES_MAX &&
           s_scan ((wf_str_t){text, len}, &number) == WF_MONEY_OK && !number.exponent;
}

//  Returns the end of the JSON string token whose opening quote is at
//  text[start] (the index just past its closing quote).
static size_t
s_string_end (const char *text, size_t start)
{
    size_t pos = start + 1;
    while (text[pos] != '"') {
        assert (text[pos] != '\0'); //  json_dumps output is well formed
        pos += text[pos] == '\\' ? 2 : 1;
    }
    return pos + 1;
}

//  Rewrites the placeholder token text[start..end) as its bare literal at
//  text[write...]; returns the literal's length, or -1 when it must not be.
static int
s_splice (char *text, size_t start, size_t end, size_t write)
{
    const char *literal = text + start + 1 + S_MARKER_DUMPED_BYTES;
    size_t length = end - 1 - (size_t) (literal - text);
    if (!s_literal_ok (literal, length))
        return -1;
    size_t after = end;
    while (text[after] == ' ' || text[after] == '\n' || text[after] == '\t')
        after++;
    if (text[after] == ':')
        return -1; //  a placeholder used as an object key
    memmove (text + write, literal, length);
    return (int) length;
}

//  Dumps a document and splices the money literals in place; the text only
//  shrinks, so one buffer serves.
char *
wf_money_json_dumps (const json_t *doc, size_t flags)
{
    char *text = json_dumps (doc, flags);
    if (!text)
        return NULL;
    size_t read = 0, write = 0;
    while (text[read]) {
        if (text[read] != '"') {
            text[write++] = text[read++];
            continue;
        }
        size_t end = s_string_end (text, read);
        if (end - read > S_MARKER_DUMPED_BYTES + 2 &&
            memcmp (text + read + 1, s_marker_dumped, S_MARKER_DUMPED_BYTES) == 0) {
            int length = s_splice (text, read, end, write);
            if (length < 0) {
                free (text);
                return NULL;
            }
            write += (size_t) length;
        } else {
            memmove (text + write, text + read, end - read);
            write += end - read;
        }
        read = end;
    }
    text[write] = '\0';
    return text;
}
