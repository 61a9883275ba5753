/*  wf_jwt_cache - remembers verified access tokens until they expire.

    Full verification costs ~10 µs (two base64 decodes, a MAC, a JSON parse);
    a client presents the same token for up to its whole lifetime, so the front
    keeps the claims of tokens it verified, keyed by a keyed BLAKE2b-256 hash
    of the token text (the token itself is not stored). A hit is honoured only
    while now < exp + leeway; nbf needs no recheck, time only moves forward.

    Bounded: the table is set-associative, WF_JWT_CACHE_WAYS entries per set,
    allocated once. A new token replaces, within its set, a free or expired
    entry, else the one that expires first. Only plain verification is cached;
    WF_JWT_VERIFY_IGNORE_EXP goes straight to wf_jwt_verify.

    Owned by one thread: no locks.
*/
#ifndef WF_JWT_CACHE_H_INCLUDED
#define WF_JWT_CACHE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "wf_jwt.h"

typedef struct _wf_jwt_cache_t wf_jwt_cache_t;

//  Create a cache in front of jwt (borrowed; must outlive the cache) holding up
//  to entries_max tokens, rounded up to whole sets. NULL when entries_max is 0
//  or over WF_JWT_CACHE_ENTRIES_MAX.
wf_jwt_cache_t *wf_jwt_cache_new (const wf_jwt_t *jwt, size_t entries_max);

//  Destroy the cache. Idempotent; nulls *self_p.
void wf_jwt_cache_destroy (wf_jwt_cache_t **self_p);

//  Verify like wf_jwt_verify (self's jwt, flags 0), answering from the cache
//  when it can and remembering tokens that verify.
wf_jwt_reason_t wf_jwt_cache_verify (wf_jwt_cache_t *self, const char *token, size_t token_len,
                                     int64_t now_s, wf_jwt_claims_t *claims);

//  Entries in use, and lookups answered from / missed by the cache (for /metrics).
size_t wf_jwt_cache_size (const wf_jwt_cache_t *self);
uint64_t wf_jwt_cache_hits (const wf_jwt_cache_t *self);
uint64_t wf_jwt_cache_misses (const wf_jwt_cache_t *self);

#endif
