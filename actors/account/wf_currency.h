/*  wf_currency - the ISO 4217 currencies an account may hold.

    A static table of the active ISO 4217 alphabetic codes with their minor unit
    digits (USD 2, JPY 0, KWD 3, CLF 4, ...). Codes whose minor unit is "N.A."
    in ISO 4217 (precious metals XAU, XAG, XPT, XPD, bond market units XBA..XBD,
    XDR, XSU, XUA, the test code XTS and "no currency" XXX) are known but are not
    payment currencies: lookup refuses them with their own reason, so the API can
    say "XAU is not a payment currency" instead of "unknown code".

    Codes are exactly three upper-case ASCII letters. Lower-case input ("usd")
    is rejected as malformed, not normalized: every stored and echoed code is
    then byte-identical to what ISO prints, and clients learn the one spelling.

    The per-operation deposit limit is configured in major units (1,000,000 by
    default, as in the original) and turned into minor units per currency:
    1,000,000 x 10^digits, so 1,000,000.00 USD = 100,000,000 minor units and
    1,000,000 JPY = 1,000,000 minor units.

    The table is data: when ISO 4217 changes (a new code, a withdrawn one) edit
    the table in wf_currency.c. Never change the digits of a code that accounts
    already hold: their balances are stored in minor units of those digits.
*/
#ifndef WF_CURRENCY_H_INCLUDED
#define WF_CURRENCY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "wf_msg.h"

#define WF_CURRENCY_CODE_BYTES         3               //  "USD", without a terminator
#define WF_CURRENCY_DIGITS_MAX         4               //  CLF and UYW have 4 minor digits
#define WF_DEPOSIT_MAJOR_UNITS_DEFAULT 1000000         //  per operation, as in the original
#define WF_DEPOSIT_MAJOR_UNITS_LIMIT   1000000000000LL //  highest value a config may set

_Static_assert(WF_DEPOSIT_MAJOR_UNITS_LIMIT <= INT64_MAX / 10000,
               "the largest deposit limit in minor units must fit in int64");

//  One row of the table; opaque, read through the accessors below.
typedef struct _wf_currency_t wf_currency_t;

//  Why a lookup failed.
typedef enum {
    WF_CURRENCY_OK = 0,
    WF_CURRENCY_MALFORMED,   //  not exactly three upper-case ASCII letters
    WF_CURRENCY_UNKNOWN,     //  well-formed but not an ISO 4217 code we list
    WF_CURRENCY_NOT_PAYMENT, //  an ISO 4217 code without minor unit (XAU, XDR, XXX...)
} wf_currency_err_t;

//  Finds a payment currency by its code; NULL with *why set when there is none.
//  why may be NULL.
const wf_currency_t *wf_currency_lookup (wf_str_t code, wf_currency_err_t *why);

//  The code as a NUL-terminated string ("USD").
const char *wf_currency_code (const wf_currency_t *self);

//  Number of minor unit digits (0..WF_CURRENCY_DIGITS_MAX).
int wf_currency_digits (const wf_currency_t *self);

//  The per-operation deposit limit in minor units for a limit in major units:
//  major_units_max x 10^digits. major_units_max must be in
//  1..WF_DEPOSIT_MAJOR_UNITS_LIMIT (asserted: it is configuration, not input).
int64_t wf_currency_deposit_max_minor (const wf_currency_t *self, int64_t major_units_max);

//  10^digits for 0..WF_CURRENCY_DIGITS_MAX, the minor units of one major unit.
int64_t wf_currency_scale (int digits);

//  A sentence for problem+json saying why a lookup failed; never NULL.
const char *wf_currency_strerror (wf_currency_err_t why);

//  Number of payment currencies in the table, and the i-th of them (for
//  listings such as openapi.json and for tests).
size_t wf_currency_count (void);
const wf_currency_t *wf_currency_at (size_t index);

#endif
