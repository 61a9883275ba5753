/*  wf_account_fuzz - libFuzzer target for every parser of the account folder
    (actors/account): amounts, the strict JSON scanner, account numbers,
    currencies, and the event and snapshot JSON decoders.

    One input feeds, in turn: the strict JSON scanner (and, for each member,
    the money parser at every digit count), the money parser on the whole
    input, the account number check, the currency lookup, UTF-8 validation,
    and the event and snapshot decoders (through jansson).
    Properties besides no crash:
    - money is exact: wf_money_parse agrees, accept or refuse and value, with
      an integer-only reference parser of the grammar in wf_money.h (so no
      amount is ever read through floating point: 9007199254740993 stays
      ...993); an accepted amount formats and parses back to itself, and
      survives wf_money_json_dumps -> wf_json_raw_scan -> wf_money_parse;
    - the strict scanner and jansson agree: when both accept an object, it
      has as many members, and every unescaped string member has the same
      text in both;
    - a valid account number's check character is that of its date and hex
      characters, and every number wf_account_number_make writes is valid;
    - a decoded event encodes again and decodes to the same JSON.
    Built only with -DWF_FUZZ=ON (clang).
*/
#include "../common/wf_fuzz.h"
#include "wf_account_codec.h"
#include "wf_account_number.h"
#include "wf_currency.h"
#include "wf_json_raw.h"
#include "wf_money.h"

//  The reference: the grammar of wf_money.h, evaluated with integers only.
//  Returns 1 with *minor when the text is an accepted amount, else 0.
static int
s_money_reference (const char *text, size_t len, int digits, int64_t *minor)
{
    size_t at = 0;
    bool negative = false;
    if (at < len && text[at] == '-') {
        negative = true;
        at++;
    }
    size_t int_start = at;
    while (at < len && text[at] >= '0' && text[at] <= '9')
        at++;
    size_t int_len = at - int_start;
    if (int_len == 0 || (int_len > 1 && text[int_start] == '0'))
        return 0;
    size_t frac_start = at, frac_len = 0;
    if (at < len && text[at] == '.') {
        frac_start = ++at;
        while (at < len && text[at] >= '0' && text[at] <= '9')
            at++;
        frac_len = at - frac_start;
        if (frac_len == 0)
            return 0;
    }
    if (at != len || negative || frac_len > (size_t) digits)
        return 0;
    //  value = int * 10^digits + frac * 10^(digits - frac_len), overflow-checked
    uint64_t value = 0;
    const uint64_t limit = (uint64_t) INT64_MAX;
    for (size_t i = 0; i < int_len + (size_t) digits; i++) {
        int digit = 0;
        if (i < int_len)
            digit = text[int_start + i] - '0';
        else if (i - int_len < frac_len)
            digit = text[frac_start + i - int_len] - '0';
        if (value > (limit - (uint64_t) digit) / 10)
            return 0; //  too large
        value = value * 10 + (uint64_t) digit;
    }
    if (value == 0)
        return 0;
    *minor = (int64_t) value;
    return 1;
}

//  Runs the money parser over a slice at every supported digit count.
static void
s_money (wf_str_t text)
{
    for (int digits = 0; digits <= WF_CURRENCY_DIGITS_MAX; digits++) {
        int64_t minor = 0, expected = 0;
        wf_money_err_t why = WF_MONEY_OK;
        int rc = wf_money_parse (text, digits, &minor, &why);
        int reference = s_money_reference (text.ptr, text.len, digits, &expected);
        WF_FUZZ_CHECK ((rc == 0) == (reference == 1));
        if (rc != 0) {
            WF_FUZZ_CHECK (why != WF_MONEY_OK && wf_money_strerror (why) != NULL);
            continue;
        }
        WF_FUZZ_CHECK (minor == expected && minor > 0);
        //  format -> parse gives the amount back
        char buf[WF_MONEY_TEXT_BYTES_MAX];
        int len = wf_money_format (minor, digits, buf, sizeof buf);
        WF_FUZZ_CHECK (len > 0);
        int64_t again = 0;
        WF_FUZZ_CHECK (wf_money_parse ((wf_str_t){buf, (size_t) len}, digits, &again, &why) == 0);
        WF_FUZZ_CHECK (again == minor);
        //  a JSON document carrying it -> the strict scanner -> the same amount
        json_t *doc = json_object ();
        json_object_set_new (doc, "amount", wf_money_json_value (minor, digits));
        char *json = wf_money_json_dumps (doc, JSON_COMPACT);
        json_decref (doc);
        WF_FUZZ_CHECK (json != NULL);
        wf_json_raw_t *raw = (wf_json_raw_t *) malloc (sizeof *raw);
        WF_FUZZ_CHECK (wf_json_raw_scan (json, strlen (json), raw) == 0);
        const wf_json_raw_member_t *member = wf_json_raw_find (raw, "amount");
        WF_FUZZ_CHECK (member && member->kind == WF_JSON_NUMBER);
        WF_FUZZ_CHECK (wf_money_parse (member->raw, digits, &again, &why) == 0 && again == minor);
        free (raw);
        free (json);
    }
}

//  The strict scanner and jansson read the same members.
static void
s_json_agree (const char *text, size_t size, const wf_json_raw_t *raw)
{
    json_error_t error;
    json_t *root = json_loadb (
        text, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &error);
    if (!root)
        return;
    if (json_is_object (root)) {
        WF_FUZZ_CHECK (json_object_size (root) == raw->count);
        for (size_t i = 0; i < raw->count; i++) {
            const wf_json_raw_member_t *m = &raw->members[i];
            if (m->key_escaped)
                continue;
            json_t *value = json_object_getn (root, m->key.ptr, m->key.len);
            WF_FUZZ_CHECK (value != NULL);
            if (m->kind == WF_JSON_STRING && !m->escaped) {
                WF_FUZZ_CHECK (json_is_string (value));
                WF_FUZZ_CHECK (json_string_length (value) == m->raw.len &&
                               memcmp (json_string_value (value), m->raw.ptr, m->raw.len) == 0);
            }
        }
    }
    json_decref (root);
}

//  Feeds decoded JSON to the event and snapshot decoders.
static void
s_decoders (const uint8_t *data, size_t size)
{
    json_error_t error;
    json_t *json = json_loadb ((const char *) data, size, 0, &error);
    if (!json)
        return;
    wf_account_event_t event;
    const char *why;
    if (wf_account_event_from_json (json, &event, &why) == 0) {
        json_t *again = wf_account_event_to_json (&event);
        WF_FUZZ_CHECK (again != NULL);
        wf_account_event_t event_again;
        WF_FUZZ_CHECK (wf_account_event_from_json (again, &event_again, &why) == 0);
        json_t *third = wf_account_event_to_json (&event_again);
        WF_FUZZ_CHECK (json_equal (again, third));
        json_decref (third);
        json_decref (again);
    }
    wf_account_t *account = wf_account_new ();
    wf_account_snapshot_from_json (json, account, &why);
    wf_account_destroy (&account);
    json_decref (json);
}

//  Account numbers: a valid one ("WF-<date>-<hex>-<check>") has the check
//  character of its 16 date and hex characters; one made from the input's
//  first bytes is valid.
static void
s_account_number (const char *text, size_t size)
{
    if (wf_account_number_valid ((wf_str_t){text, size})) {
        WF_FUZZ_CHECK (size == WF_ACCOUNT_NUMBER_LEN);
        char body[16];
        memcpy (body, text + 3, 8);
        memcpy (body + 8, text + 12, 8);
        WF_FUZZ_CHECK (wf_account_number_check_char (body, sizeof body) == text[21]);
    }
    if (size >= 12) {
        uint64_t date = 0;
        uint32_t bits = 0;
        memcpy (&date, text, 8);
        memcpy (&bits, text + 8, 4);
        char number[WF_ACCOUNT_NUMBER_BYTES];
        wf_account_number_make ((int64_t) (date % (WF_ACCOUNT_NUMBER_TIME_MS_MAX + 1)), bits,
                                number);
        WF_FUZZ_CHECK (wf_account_number_valid ((wf_str_t){number, strlen (number)}));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    wf_json_raw_t *doc = (wf_json_raw_t *) malloc (sizeof *doc);
    if (wf_json_raw_scan (text, size, doc) == 0) {
        for (size_t i = 0; i < doc->count; i++)
            s_money (doc->members[i].raw);
        s_json_agree (text, size, doc);
    }
    free (doc);
    s_money ((wf_str_t){text, size});
    s_account_number (text, size);
    wf_currency_err_t currency_why;
    const wf_currency_t *currency = wf_currency_lookup ((wf_str_t){text, size}, &currency_why);
    if (currency) {
        int digits = wf_currency_digits (currency);
        WF_FUZZ_CHECK (digits >= 0 && digits <= WF_CURRENCY_DIGITS_MAX);
        WF_FUZZ_CHECK (strlen (wf_currency_code (currency)) == 3);
    }
    wf_json_raw_utf8_valid (text, size);
    s_decoders (data, size);
    return 0;
}
