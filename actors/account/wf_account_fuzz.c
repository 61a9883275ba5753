/*  wf_account_fuzz - libFuzzer target for every parser of the account folder.

    One input feeds, in turn: the strict JSON scanner (and, for each member,
    the money parser at every digit count), the account number check, the
    currency lookup, and the strict event and snapshot decoders (through
    jansson). Built only with -DWF_FUZZ=ON (clang).
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "wf_account_codec.h"
#include "wf_json_raw.h"
#include "wf_money.h"

//  Runs the money parser over a slice at every supported digit count and
//  checks that what it accepts formats back to a positive amount.
static void
s_money (wf_str_t text)
{
    for (int digits = 0; digits <= WF_CURRENCY_DIGITS_MAX; digits++) {
        int64_t minor = 0;
        wf_money_err_t why;
        if (wf_money_parse (text, digits, &minor, &why) == 0) {
            char buf[WF_MONEY_TEXT_BYTES_MAX];
            if (minor <= 0 || wf_money_format (minor, digits, buf, sizeof buf) <= 0)
                abort ();
        }
    }
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
        json_decref (again);
    }
    wf_account_t *account = wf_account_new ();
    wf_account_snapshot_from_json (json, account, &why);
    wf_account_destroy (&account);
    json_decref (json);
}

//  Feeds one input to every parser; a crash or an abort is a finding.
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    wf_json_raw_t doc;
    if (wf_json_raw_scan (text, size, &doc) == 0)
        for (size_t i = 0; i < doc.count; i++)
            s_money (doc.members[i].raw);
    s_money ((wf_str_t){text, size});
    wf_account_number_valid ((wf_str_t){text, size});
    wf_currency_lookup ((wf_str_t){text, size}, NULL);
    wf_json_raw_utf8_valid (text, size);
    s_decoders (data, size);
    return 0;
}
