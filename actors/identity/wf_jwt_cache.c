/*  wf_jwt_cache - remembers verified access tokens until they expire.

    The hash key is random per cache, so which set a token lands in cannot be
    chosen by a client; and only tokens that verified are ever inserted, so a
    client cannot fill the cache with junk either.
*/
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "wf_jwt_cache.h"

#define S_DIGEST_BYTES 32

typedef struct {
    uint8_t digest[S_DIGEST_BYTES];
    int64_t valid_until_s; //  exp + leeway; 0 = free slot
    wf_jwt_claims_t claims;
} s_entry_t;

struct _wf_jwt_cache_t {
    const wf_jwt_t *jwt;
    uint8_t hash_key[crypto_generichash_KEYBYTES];
    s_entry_t *entries; //  sets_count * WF_JWT_CACHE_WAYS
    size_t sets_count;
    size_t size;
    uint64_t hits;
    uint64_t misses;
};

wf_jwt_cache_t *
wf_jwt_cache_new (const wf_jwt_t *jwt, size_t entries_max)
{
    assert (jwt);
    if (entries_max == 0 || entries_max > WF_JWT_CACHE_ENTRIES_MAX || sodium_init () < 0) {
        return NULL;
    }
    wf_jwt_cache_t *self = (wf_jwt_cache_t *) calloc (1, sizeof (wf_jwt_cache_t));
    assert (self);
    self->jwt = jwt;
    self->sets_count = (entries_max + WF_JWT_CACHE_WAYS - 1) / WF_JWT_CACHE_WAYS;
    self->entries = (s_entry_t *) calloc (self->sets_count * WF_JWT_CACHE_WAYS, sizeof (s_entry_t));
    assert (self->entries);
    randombytes_buf (self->hash_key, sizeof self->hash_key);
    return self;
}

void
wf_jwt_cache_destroy (wf_jwt_cache_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        wf_jwt_cache_t *self = *self_p;
        sodium_memzero (self->entries, self->sets_count * WF_JWT_CACHE_WAYS * sizeof (s_entry_t));
        free (self->entries);
        sodium_memzero (self, sizeof *self);
        free (self);
        *self_p = NULL;
    }
}

//  The first entry of the set a digest belongs to.
static s_entry_t *
s_set_of (wf_jwt_cache_t *self, const uint8_t *digest)
{
    uint64_t position;
    memcpy (&position, digest, sizeof position);
    return self->entries + (position % self->sets_count) * WF_JWT_CACHE_WAYS;
}

//  Find a live entry for digest; frees the entry if it has expired.
static s_entry_t *
s_lookup (wf_jwt_cache_t *self, s_entry_t *set, const uint8_t *digest, int64_t now_s)
{
    for (size_t way = 0; way < WF_JWT_CACHE_WAYS; way++) {
        s_entry_t *entry = set + way;
        if (entry->valid_until_s != 0 && memcmp (entry->digest, digest, S_DIGEST_BYTES) == 0) {
            if (now_s < entry->valid_until_s) {
                return entry;
            }
            entry->valid_until_s = 0;
            self->size--;
            return NULL;
        }
    }
    return NULL;
}

//  Pick the entry to overwrite: free, else expired, else soonest to expire.
static s_entry_t *
s_victim (wf_jwt_cache_t *self, s_entry_t *set)
{
    s_entry_t *victim = set;
    for (size_t way = 0; way < WF_JWT_CACHE_WAYS; way++) {
        s_entry_t *entry = set + way;
        if (entry->valid_until_s == 0) {
            self->size++;
            return entry;
        }
        if (entry->valid_until_s < victim->valid_until_s) {
            victim = entry;
        }
    }
    return victim;
}

wf_jwt_reason_t
wf_jwt_cache_verify (wf_jwt_cache_t *self, const char *token, size_t token_len, int64_t now_s,
                     wf_jwt_claims_t *claims)
{
    assert (self);
    assert (claims);
    if (!token || token_len == 0 || token_len > WF_JWT_TOKEN_BYTES_MAX) {
        memset (claims, 0, sizeof *claims);
        return WF_JWT_MALFORMED;
    }
    uint8_t digest[S_DIGEST_BYTES];
    crypto_generichash (digest, sizeof digest, (const uint8_t *) token, token_len, self->hash_key,
                        sizeof self->hash_key);
    s_entry_t *set = s_set_of (self, digest);
    s_entry_t *entry = s_lookup (self, set, digest, now_s);
    if (entry) {
        self->hits++;
        *claims = entry->claims;
        return WF_JWT_OK;
    }
    self->misses++;
    wf_jwt_reason_t reason = wf_jwt_verify (self->jwt, token, token_len, now_s, 0, claims);
    if (reason == WF_JWT_OK) {
        entry = s_victim (self, set);
        memcpy (entry->digest, digest, S_DIGEST_BYTES);
        entry->valid_until_s = claims->exp + wf_jwt_leeway_s (self->jwt);
        entry->claims = *claims;
        assert (entry->valid_until_s > now_s);
        assert (self->size <= self->sets_count * WF_JWT_CACHE_WAYS);
    }
    return reason;
}

size_t
wf_jwt_cache_size (const wf_jwt_cache_t *self)
{
    assert (self);
    return self->size;
}

uint64_t
wf_jwt_cache_hits (const wf_jwt_cache_t *self)
{
    assert (self);
    return self->hits;
}

uint64_t
wf_jwt_cache_misses (const wf_jwt_cache_t *self)
{
    assert (self);
    return self->misses;
}
