/*  wf_jwt_secret - the policy for the access-token signing secret.

    Part of wf_jwt (declared in wf_jwt.h), kept apart because it is policy,
    not token handling. Production refuses to start on a secret that is
    missing, short, a sample copied from documentation ("your-super-secret-key-
    with-at-least-32-characters" and its many cousins), or too uniform to be
    random. Development without a secret gets a random one per run: tokens do
    not survive a restart, which is the point.
*/
#include <assert.h>
#include <sodium.h>
#include <string.h>
#include "wf_jwt.h"

#define S_DISTINCT_BYTES_MIN 8 //  a random 32-byte secret has ~25

//  Sample secrets, compared on their letters and digits only, lower-cased.
static const char *s_sample_prefixes[] = {
    "yoursupersecret", "yoursecret",  "supersecret", "mysupersecret", "mysecret",
    "changeme",        "changethis",  "replaceme",   "replacethis",   "replacewith",
    "insertyour",      "putyour",     "enteryour",   "secretkey",     "jwtsecret",
    "defaultsecret",   "placeholder", "example",     "secret",        "password"};
static const char *s_sample_words[] = {"changeme", "changethis", "inproduction",   "atleast32",
                                       "min32",    "minimum32",  "32char",         "32byte",
                                       "donotuse", "notforprod", "yoursupersecret"};

//  True when the secret looks like a documentation sample.
static bool
s_is_sample (const char *secret, size_t len)
{
    char folded[WF_JWT_KEY_BYTES_MAX + 1];
    size_t folded_len = 0;
    for (size_t index = 0; index < len && folded_len < WF_JWT_KEY_BYTES_MAX; index++) {
        char ch = secret[index];
        if (ch >= 'A' && ch <= 'Z') {
            folded[folded_len++] = (char) (ch - 'A' + 'a');
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            folded[folded_len++] = ch;
        }
    }
    folded[folded_len] = 0;
    bool sample = false;
    for (size_t index = 0; index < sizeof s_sample_prefixes / sizeof *s_sample_prefixes; index++) {
        const char *prefix = s_sample_prefixes[index];
        sample = sample || strncmp (folded, prefix, strlen (prefix)) == 0;
    }
    for (size_t index = 0; index < sizeof s_sample_words / sizeof *s_sample_words; index++) {
        sample = sample || strstr (folded, s_sample_words[index]) != NULL;
    }
    sodium_memzero (folded, sizeof folded);
    return sample;
}

//  How many different byte values the secret uses.
static size_t
s_distinct_bytes (const char *secret, size_t len)
{
    bool seen[256] = {false};
    size_t distinct = 0;
    for (size_t index = 0; index < len; index++) {
        uint8_t byte = (uint8_t) secret[index];
        distinct += seen[byte] ? 0 : 1;
        seen[byte] = true;
    }
    return distinct;
}

int
wf_jwt_secret_load (const char *env_value, bool production, uint8_t *key, size_t *len,
                    bool *generated)
{
    assert (key);
    assert (len);
    assert (generated);
    assert (*len >= WF_JWT_GENERATED_KEY_BYTES);
    *generated = false;
    size_t env_len = env_value ? strnlen (env_value, WF_JWT_KEY_BYTES_MAX + 1) : 0;
    if (env_len == 0) {
        if (production || sodium_init () < 0) {
            return -1;
        }
        randombytes_buf (key, WF_JWT_GENERATED_KEY_BYTES);
        *len = WF_JWT_GENERATED_KEY_BYTES;
        *generated = true;
        return 0;
    }
    if (env_len > WF_JWT_KEY_BYTES_MAX || env_len > *len) {
        return -1;
    }
    if (production && (env_len < WF_JWT_KEY_BYTES_MIN || s_is_sample (env_value, env_len) ||
                       s_distinct_bytes (env_value, env_len) < S_DISTINCT_BYTES_MIN)) {
        return -1;
    }
    memcpy (key, env_value, env_len);
    *len = env_len;
    return 0;
}
