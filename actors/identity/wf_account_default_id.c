/*  wf_account_default_id - the default wallet's id, derived from the user id.  */
#include "wf_account_default_id.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

//  A fixed namespace: changing it would orphan every default wallet.
static const char s_namespace[] = "walletflow:default-account:v1:";

void
wf_account_default_id (const char *user_id, char out[37])
{
    unsigned char hash[16];
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, sizeof hash);
    crypto_generichash_update (&state, (const unsigned char *) s_namespace,
                               sizeof s_namespace - 1);
    crypto_generichash_update (&state, (const unsigned char *) user_id, strlen (user_id));
    crypto_generichash_final (&state, hash, sizeof hash);
    hash[6] = (unsigned char) ((hash[6] & 0x0f) | 0x50);   //  version 5 (name-based)
    hash[8] = (unsigned char) ((hash[8] & 0x3f) | 0x80);   //  RFC 4122 variant
    char hex[33];
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    snprintf (out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}
