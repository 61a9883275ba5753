/*  wf_account_number - human-facing account numbers with a check character.

    Format (22 characters):

        WF-<yyyymmdd>-<8 upper-case hex>-<check>      e.g. WF-20261126-1A2B3C4D-K

    The first 20 characters are exactly the original's look (the UTC date the
    account was opened and 32 random bits). The check character, after one
    more hyphen, is computed with ISO/IEC 7064 MOD 37-2 over the 16 date and
    hex characters, valued 0-9 -> 0..9 and A-Z -> 10..35. MOD 37-2 is the pure
    ISO 7064 system for alphanumeric data; its check character is one of
    0-9, A-Z or '*' (value 36), so about one number in 37 ends in '*'.

    Why MOD 37-2 and not the hybrid MOD 37,36 (whose check set has no '*'):
    the pure system, with prime modulus 37 and weights 2^i, detects every
    single substitution and every adjacent transposition. The hybrid system
    does not: an exhaustive check finds 72 (state, a, b) cases where swapping
    two neighbours leaves the check unchanged, e.g. "01" <-> "10" at some
    positions. MOD 11-2 works on decimal digits only, and our hex part has
    letters.

    Numbers are upper-case; validation rejects lower-case rather than folding
    it, like currency codes. The date must be a real calendar date from 1970
    on. Uniqueness is the database's job (a unique constraint): with 32 random
    bits a day, a caller that hits a duplicate draws new bits and retries.
*/
#ifndef WF_ACCOUNT_NUMBER_H_INCLUDED
#define WF_ACCOUNT_NUMBER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "wf_msg.h"

#define WF_ACCOUNT_NUMBER_LEN         22                          //  characters
#define WF_ACCOUNT_NUMBER_BYTES       (WF_ACCOUNT_NUMBER_LEN + 1) //  with the terminator
#define WF_ACCOUNT_NUMBER_TIME_MS_MAX 253402300799999LL           //  9999-12-31T23:59:59.999Z

//  Writes the number for an account opened at date_ms (ms since the Unix epoch,
//  0..WF_ACCOUNT_NUMBER_TIME_MS_MAX, UTC date) with the caller's random bits.
void wf_account_number_make (int64_t date_ms, uint32_t random_bits,
                             char out[WF_ACCOUNT_NUMBER_BYTES]);

//  True when text is a well-formed number whose check character matches.
bool wf_account_number_valid (wf_str_t text);

//  The MOD 37-2 check character for characters from 0-9 and A-Z; '\0' when
//  another character is present.
char wf_account_number_check_char (const char *text, size_t len);

#endif
