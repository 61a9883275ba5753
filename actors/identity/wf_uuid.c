/*  wf_uuid - uuids as lower-case text.  */
#include <assert.h>
#include <sodium.h>
#include "wf_uuid.h"

void
wf_uuid_format (const uint8_t bytes[16], char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t at = 0;
    for (size_t index = 0; index < 16; index++) {
        if (index == 4 || index == 6 || index == 8 || index == 10) {
            out[at++] = '-';
        }
        out[at++] = digits[bytes[index] >> 4];
        out[at++] = digits[bytes[index] & 15];
    }
    assert (at == WF_UUID_CHARS);
    out[at] = 0;
}

void
wf_uuid_v4 (char *out)
{
    uint8_t bytes[16];
    int rc = sodium_init ();
    assert (rc >= 0);
    randombytes_buf (bytes, sizeof bytes);
    bytes[6] = (uint8_t) ((bytes[6] & 0x0F) | 0x40); //  version 4
    bytes[8] = (uint8_t) ((bytes[8] & 0x3F) | 0x80); //  RFC 4122 variant
    wf_uuid_format (bytes, out);
}

//  The value of one hex digit, or -1.
static int
s_hex (char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

int
wf_uuid_parse (const char *text, size_t len, uint8_t bytes[16])
{
    if (!text || len != WF_UUID_CHARS) {
        return -1;
    }
    size_t out = 0;
    for (size_t at = 0; at < len;) {
        if (at == 8 || at == 13 || at == 18 || at == 23) {
            if (text[at] != '-') {
                return -1;
            }
            at++;
            continue;
        }
        int high = s_hex (text[at]);
        int low = s_hex (text[at + 1]);
        if (high < 0 || low < 0) {
            return -1;
        }
        bytes[out++] = (uint8_t) (high << 4 | low);
        at += 2;
    }
    assert (out == 16);
    return 0;
}
