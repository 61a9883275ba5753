/*  wf_password - Argon2id password hashes through libsodium.

    libsodium's crypto_pwhash_str_needs_rehash answers "the parameters
    differ", which would also re-hash to *weaker* factors after a deliberate
    downgrade of the configuration and, for an Argon2i string, says nothing
    about the algorithm. We use it as the first filter, then re-hash only a
    string that is not Argon2id or whose m or t is below the current ones.
*/
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "wf_password.h"

_Static_assert(WF_HASH_STRING_BYTES_MAX + 1 == crypto_pwhash_STRBYTES,
               "hash strings fit libsodium's buffer exactly");

#define S_ARGON2ID_PREFIX "$argon2id$"

struct _wf_password_t {
    unsigned long long opslimit;
    size_t memlimit;
    char dummy_hash[crypto_pwhash_STRBYTES];
};

wf_password_t *
wf_password_new (const wf_password_config_t *config)
{
    assert (config);
    unsigned long long opslimit =
        config->opslimit ? config->opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t memlimit = config->memlimit ? config->memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (sodium_init () < 0 || opslimit < crypto_pwhash_OPSLIMIT_MIN ||
        opslimit > crypto_pwhash_OPSLIMIT_MAX || memlimit < crypto_pwhash_MEMLIMIT_MIN ||
        memlimit > crypto_pwhash_MEMLIMIT_MAX) {
        return NULL;
    }
    wf_password_t *self = (wf_password_t *) calloc (1, sizeof (wf_password_t));
    assert (self);
    self->opslimit = opslimit;
    self->memlimit = memlimit;
    //  The dummy's password is random and forgotten: nothing can match it.
    char password[32];
    randombytes_buf (password, sizeof password);
    int rc = wf_password_hash (self, password, sizeof password, self->dummy_hash);
    sodium_memzero (password, sizeof password);
    if (rc != 0) {
        wf_password_destroy (&self);
    }
    return self;
}

void
wf_password_destroy (wf_password_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

int
wf_password_hash (const wf_password_t *self, const char *password, size_t password_len, char *hash)
{
    assert (self);
    assert (password || password_len == 0);
    assert (hash);
    hash[0] = 0;
    if (password_len > WF_PASSWORD_BYTES_MAX) {
        return -1;
    }
    return crypto_pwhash_str (hash, password ? password : "", password_len, self->opslimit,
                              self->memlimit) == 0
               ? 0
               : -1;
}

int
wf_password_verify (const wf_password_t *self, const char *hash, const char *password,
                    size_t password_len)
{
    assert (self);
    assert (password || password_len == 0);
    if (!hash || password_len > WF_PASSWORD_BYTES_MAX ||
        strnlen (hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES) {
        return -1;
    }
    return crypto_pwhash_str_verify (hash, password ? password : "", password_len) == 0 ? 0 : -1;
}

int
wf_password_verify_dummy (const wf_password_t *self, const char *password, size_t password_len)
{
    assert (self);
    //  Bounded like a real verify so an oversized password is as cheap here as there.
    if (password_len <= WF_PASSWORD_BYTES_MAX) {
        wf_password_verify (self, self->dummy_hash, password, password_len);
    }
    return -1;
}

//  Read "m=<KiB>,t=<passes>" from an Argon2id string; -1 when unreadable.
static int
s_read_factors (const char *hash, unsigned long long *memory_kib, unsigned long long *passes)
{
    const char *params = strstr (hash + strlen (S_ARGON2ID_PREFIX), "$m=");
    if (!params) {
        return -1;
    }
    char *end;
    *memory_kib = strtoull (params + 3, &end, 10);
    if (end == params + 3 || strncmp (end, ",t=", 3) != 0) {
        return -1;
    }
    const char *passes_text = end + 3;
    *passes = strtoull (passes_text, &end, 10);
    return end == passes_text || *end != ',' ? -1 : 0;
}

bool
wf_password_needs_rehash (const wf_password_t *self, const char *hash)
{
    assert (self);
    if (!hash || strnlen (hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES ||
        strncmp (hash, S_ARGON2ID_PREFIX, strlen (S_ARGON2ID_PREFIX)) != 0) {
        return true;
    }
    int differs = crypto_pwhash_str_needs_rehash (hash, self->opslimit, self->memlimit);
    if (differs == 0) {
        return false;
    }
    unsigned long long memory_kib, passes;
    if (differs < 0 || s_read_factors (hash, &memory_kib, &passes) != 0) {
        return true;
    }
    return memory_kib < self->memlimit / 1024 || passes < self->opslimit;
}
