/*  wf_currency - the ISO 4217 table and its lookups.

    The table lists ISO 4217 List One (current currencies and funds) with the
    minor unit digits ISO gives, sorted by code for binary search. Source: the
    ISO 4217 maintenance agency's List One; HRK is left out (Croatia moved to
    EUR on 2023-01-01) and the 2024/2025 additions ZWG and XCG are in. Codes
    still in List One during a changeover (ANG, CUC, SLL, ZWL) stay until ISO
    withdraws them.
*/
#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include "wf_currency.h"

struct _wf_currency_t {
    char code[WF_CURRENCY_CODE_BYTES + 1];
    int digits;
};

//  Payment currencies, sorted by code.
static const wf_currency_t s_currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4},
    {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2},
    {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2},
    {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2},
    {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0},
    {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2},
    {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2},
    {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2},
    {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2},
    {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
    {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2},
    {"SLE", 2}, {"SLL", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2},
    {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2},
    {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2},
    {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0},
    {"XCD", 2}, {"XCG", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
    {"ZWL", 2},
};

#define S_CURRENCY_COUNT (sizeof (s_currencies) / sizeof (s_currencies[0]))

//  ISO 4217 codes whose minor unit is "N.A.": units of account, metals, tests.
static const char *const s_not_payment[] = {
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
};

//  True when the slice is exactly three upper-case ASCII letters.
static bool
s_well_formed (wf_str_t code)
{
    if (code.len != WF_CURRENCY_CODE_BYTES || !code.ptr)
        return false;
    for (size_t i = 0; i < code.len; i++)
        if (code.ptr[i] < 'A' || code.ptr[i] > 'Z')
            return false;
    return true;
}

//  Sets *why when the caller asked for it.
static void
s_set_why (wf_currency_err_t *why, wf_currency_err_t value)
{
    if (why)
        *why = value;
}

//  Finds a payment currency by binary search over the sorted table, or says
//  why the code is not one.
const wf_currency_t *
wf_currency_lookup (wf_str_t code, wf_currency_err_t *why)
{
    if (!s_well_formed (code)) {
        s_set_why (why, WF_CURRENCY_MALFORMED);
        return NULL;
    }
    size_t low = 0, high = S_CURRENCY_COUNT;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = memcmp (code.ptr, s_currencies[middle].code, WF_CURRENCY_CODE_BYTES);
        if (order == 0) {
            s_set_why (why, WF_CURRENCY_OK);
            return &s_currencies[middle];
        }
        if (order < 0)
            high = middle;
        else
            low = middle + 1;
    }
    for (size_t i = 0; i < sizeof (s_not_payment) / sizeof (s_not_payment[0]); i++)
        if (memcmp (code.ptr, s_not_payment[i], WF_CURRENCY_CODE_BYTES) == 0) {
            s_set_why (why, WF_CURRENCY_NOT_PAYMENT);
            return NULL;
        }
    s_set_why (why, WF_CURRENCY_UNKNOWN);
    return NULL;
}

//  Returns the NUL-terminated code of a table row.
const char *
wf_currency_code (const wf_currency_t *self)
{
    assert (self);
    return self->code;
}

//  Returns the minor unit digits of a table row.
int
wf_currency_digits (const wf_currency_t *self)
{
    assert (self);
    assert (self->digits >= 0 && self->digits <= WF_CURRENCY_DIGITS_MAX);
    return self->digits;
}

//  Returns 10^digits; digits out of range is a programming error.
int64_t
wf_currency_scale (int digits)
{
    assert (digits >= 0 && digits <= WF_CURRENCY_DIGITS_MAX);
    int64_t scale = 1;
    for (int i = 0; i < digits; i++)
        scale *= 10;
    return scale;
}

//  Converts a configured limit in major units into minor units of this
//  currency; the limit's range makes the product fit (see the header).
int64_t
wf_currency_deposit_max_minor (const wf_currency_t *self, int64_t major_units_max)
{
    assert (self);
    assert (major_units_max >= 1 && major_units_max <= WF_DEPOSIT_MAJOR_UNITS_LIMIT);
    return major_units_max * wf_currency_scale (wf_currency_digits (self));
}

//  Returns the problem+json sentence for a lookup failure.
const char *
wf_currency_strerror (wf_currency_err_t why)
{
    switch (why) {
        case WF_CURRENCY_OK:
            return "ok";
        case WF_CURRENCY_MALFORMED:
            return "currency must be a three-letter upper-case ISO 4217 code, like USD";
        case WF_CURRENCY_UNKNOWN:
            return "currency is not an ISO 4217 currency code";
        case WF_CURRENCY_NOT_PAYMENT:
            return "currency is an ISO 4217 code without minor unit (metal, fund or test "
                   "code), not a payment currency";
    }
    return "invalid currency";
}

//  Returns the number of payment currencies.
size_t
wf_currency_count (void)
{
    return S_CURRENCY_COUNT;
}

//  Returns the index-th payment currency in code order, or NULL past the end.
const wf_currency_t *
wf_currency_at (size_t index)
{
    return index < S_CURRENCY_COUNT ? &s_currencies[index] : NULL;
}
