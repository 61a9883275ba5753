/*  wf_account_default_id - the id of a user's default wallet account.  */
#include <assert.h>
#include <sodium.h>
#include <string.h>
#include "wf_account_default_id.h"
#include "wf_uuid.h"

void
wf_account_default_id (const char *user_id, char out[37])
{
    assert (user_id);
    assert (out);
    uint8_t namespace_bytes[16];
    int rc = wf_uuid_parse (WF_ACCOUNT_DEFAULT_ID_NAMESPACE,
                            strlen (WF_ACCOUNT_DEFAULT_ID_NAMESPACE), namespace_bytes);
    assert (rc == 0);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    crypto_hash_sha256_update (&state, namespace_bytes, sizeof namespace_bytes);
    uint8_t user_bytes[16];
    size_t user_len = strlen (user_id);
    if (wf_uuid_parse (user_id, user_len, user_bytes) == 0) {
        crypto_hash_sha256_update (&state, user_bytes, sizeof user_bytes);
    } else {
        crypto_hash_sha256_update (&state, (const uint8_t *) user_id, user_len);
    }
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, digest);
    digest[6] = (uint8_t) ((digest[6] & 0x0F) | 0x50); //  version 5
    digest[8] = (uint8_t) ((digest[8] & 0x3F) | 0x80); //  RFC 4122 variant
    wf_uuid_format (digest, out);
}
