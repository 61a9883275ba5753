/*  wf_money - exact amounts: parsing from JSON text, formatting with scale.

    Money is an int64 count of minor units (cents) plus the currency's number of
    minor digits. Nothing here ever touches floating point.

    Parsing takes the raw text of an amount as it appeared in the request body:
    a JSON number literal exactly as written (`100.50`) or the contents of a
    JSON string (`"100.50"` gives `100.50`). The accepted grammar is the JSON
    number grammar without exponent:

        amount = [ "-" ] int [ "." 1*DIGIT ]       ; "-" only to say "not positive"
        int    = "0" / ( %x31-39 *DIGIT )

    and the value must be > 0, with at most `digits` decimals, and fit in int64
    minor units. Decisions, each with its own reason code:
    - Trailing zeros count as decimals: `1.000` for a 2-digit currency is "too
      many decimal places". The text states a precision the currency lacks, and
      a rule with no exceptions is easier to explain than "unless they are 0".
      (The original's .NET decimal check accepted 1.000; no client we know sends
      it: JavaScript and System.Text.Json both write 1 or 1.5.)
    - Exponent notation (`1e2`, `1E+2`, `1.5e-1`, `1e309`) is refused as
      "exponent notation": JSON encoders only emit it for numbers far outside
      any valid amount (JavaScript from 1e21 up or below 1e-6), so the honest
      answer is "write it in plain digits", never a guess at the value.
    - No leading '+', no leading zeros (`01`), no whitespace, no NaN/Infinity,
      no bare `.5` or `5.`: those are "not a plain decimal number" (or "leading
      zero"). Zero and negative values are "must be greater than zero".
    - A value above INT64_MAX minor units is "too large"; the caller compares
      the result with its own limits (the deposit maximum, for instance).

    Output keeps the scale: 10050 with 2 digits is `100.50`, -307 is `-3.07`, 0
    is `0.00`, and JPY 100 is `100`. That text is also a valid JSON number
    literal, but jansson cannot emit a number with trailing zeros (it prints
    reals with %.17g). So money goes into a jansson document as a placeholder
    (wf_money_json_value) and wf_money_json_dumps replaces each placeholder by
    the literal after dumping. A placeholder is a JSON string that starts with a
    NUL character and a marker; no user text can forge it, because jansson
    parses input without JSON_ALLOW_NUL, wf_json_raw refuses NUL, and PostgreSQL
    text cannot hold NUL. The splice still checks every literal it writes and
    fails closed (NULL) on a placeholder used as an object key.
*/
#ifndef WF_MONEY_H_INCLUDED
#define WF_MONEY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "wf_msg.h"

//  Enough for any int64 with up to 4 decimals, a sign and a terminator
//  ("-922337203685477.5808" is 21 characters).
#define WF_MONEY_TEXT_BYTES_MAX 32

//  Why an amount was refused; each has a message for problem+json.
typedef enum {
    WF_MONEY_OK = 0,
    WF_MONEY_EMPTY,             //  no characters at all
    WF_MONEY_SYNTAX,            //  not a plain decimal number
    WF_MONEY_LEADING_ZERO,      //  01, 00.5
    WF_MONEY_EXPONENT,          //  1e2
    WF_MONEY_NOT_POSITIVE,      //  0, 0.00, -5
    WF_MONEY_TOO_MANY_DECIMALS, //  more decimals than the currency has minor digits
    WF_MONEY_TOO_LARGE,         //  more than INT64_MAX minor units
} wf_money_err_t;

//  Parses amount text into minor units for a currency with `digits` minor
//  digits (0..4). Returns 0 with *minor set, or -1 with *why set.
int wf_money_parse (wf_str_t text, int digits, int64_t *minor, wf_money_err_t *why);

//  A sentence for problem+json ("amount has more decimal places than the
//  currency allows"); never NULL.
const char *wf_money_strerror (wf_money_err_t why);

//  Writes minor units with the currency's scale ("100.50", "-3.07", "0.00",
//  "100") and a terminator into buf. Returns the length written, or -1 when
//  buf is too small (WF_MONEY_TEXT_BYTES_MAX always suffices).
int wf_money_format (int64_t minor, int digits, char *buf, size_t size);

//  The JSON number literal for an amount: the same text as wf_money_format,
//  named for the callers that splice it into JSON by hand.
int wf_money_json_literal (int64_t minor, int digits, char *buf, size_t size);

//  A new jansson value standing for the amount; put it in a document and dump
//  the document with wf_money_json_dumps to get `"balance": 100.50`.
json_t *wf_money_json_value (int64_t minor, int digits);

//  json_dumps, then each placeholder replaced by its number literal. Returns a
//  malloc'd string for free(), or NULL when jansson fails or a placeholder was
//  used as an object key.
char *wf_money_json_dumps (const json_t *doc, size_t flags);

#endif
