/*  wf_signalr_fuzz - libFuzzer target for the SignalR parsers that face clients.

    The first byte picks the parser; the rest is its input:
      0  wf_signalr_handshake_parse, then every record after it as JSON
      1  every MessagePack record of the bytes, as a connection reads them
      2  every JSON record of the bytes
      3  wf_signalr_query_param and wf_signalr_connection_token_check on the
         bytes as a NUL-terminated string
    Built only with -DWF_FUZZ=ON (clang).
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "wf_signalr.h"

//  Parses records of one protocol until the bytes end or one is invalid.
static void
s_records (wf_signalr_protocol_t protocol, const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (at < size) {
        size_t consumed = 0;
        wf_signalr_message_t message;
        const char *reason = NULL;
        wf_signalr_result_t result =
            wf_signalr_parse (protocol, data + at, size - at, &consumed, &message, &reason);
        if (result != WF_SIGNALR_OK)
            return;
        assert (consumed > 0 && consumed <= size - at);
        assert (strlen (message.target) <= WF_SIGNALR_TARGET_BYTES_MAX);
        assert (message.sequence_id >= 0);
        at += consumed;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *input = data + 1;
    size_t len = size - 1;
    switch (data[0] % 4) {
        case 0: {
            size_t consumed = 0;
            wf_signalr_protocol_t protocol;
            int version = 0;
            const char *reason = NULL;
            if (wf_signalr_handshake_parse (input, len, &consumed, &protocol, &version, &reason) ==
                WF_SIGNALR_OK) {
                assert (consumed <= len && version >= 1 && version <= WF_SIGNALR_VERSION_MAX);
                s_records (WF_SIGNALR_JSON, input + consumed, len - consumed);
            }
            break;
        }
        case 1:
            s_records (WF_SIGNALR_MESSAGEPACK, input, len);
            break;
        case 2:
            s_records (WF_SIGNALR_JSON, input, len);
            break;
        default: {
            char *text = (char *) malloc (len + 1);
            memcpy (text, input, len);
            text[len] = 0;
            char value[WF_SIGNALR_QUERY_VALUE_BYTES_MAX];
            wf_signalr_query_param (text, "id", value, sizeof value);
            static const uint8_t key[WF_SIGNALR_KEY_BYTES] = {1};
            char connection_id[WF_SIGNALR_CONNECTION_ID_CHARS + 1];
            wf_signalr_token_info_t info;
            wf_signalr_connection_token_check (key, "user", text, connection_id, &info);
            free (text);
            break;
        }
    }
    return 0;
}
