/*  wf_token_bucket - token buckets in exact integer arithmetic, and a bounded
    table of them.

    A bucket holds up to `burst` tokens and refills at `per_min` tokens a
    minute; a request takes one token or is refused with the time until one
    is back. Tokens are counted in units of 1/60000 token, so a refill of
    per_min tokens a minute is exactly per_min units a millisecond: no
    fraction is ever lost, however often the bucket is looked at. The Redis
    script of wf_front_ratelimit.c does the same arithmetic, so the shared
    and the per-process limits agree.

    The table is set-associative (WF_TOKEN_BUCKET_WAYS entries a set),
    allocated once: a new key takes a free or full (idle) entry of its set,
    else evicts the entry that was used least recently. Evicting a bucket
    forgives what it owed, which errs on the side of serving. Keys are 64-bit
    digests chosen by the caller. Owned by one thread: no locks.
*/
#ifndef WF_TOKEN_BUCKET_H_INCLUDED
#define WF_TOKEN_BUCKET_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WF_TOKEN_BUCKET_UNITS       60000 //  units per token (ms per minute)
#define WF_TOKEN_BUCKET_PER_MIN_MAX 1000000
#define WF_TOKEN_BUCKET_BURST_MAX   1000000
#define WF_TOKEN_BUCKET_WAYS        8
#define WF_TOKEN_BUCKET_ENTRIES_MAX (1u << 20)

//  Limits stay far inside int64 (and inside the 2^53 of Redis's Lua numbers).
_Static_assert((int64_t) WF_TOKEN_BUCKET_BURST_MAX *WF_TOKEN_BUCKET_UNITS < (1LL << 53),
               "a full bucket fits a Lua number exactly");

typedef struct {
    int64_t per_min; //  refill, tokens a minute (1..WF_TOKEN_BUCKET_PER_MIN_MAX)
    int64_t burst;   //  capacity, tokens (1..WF_TOKEN_BUCKET_BURST_MAX)
} wf_token_rate_t;

typedef struct {
    int64_t units;      //  tokens * WF_TOKEN_BUCKET_UNITS
    int64_t updated_ms; //  when units was last brought up to date
} wf_token_bucket_t;

//  A full bucket at now_ms.
void wf_token_bucket_init (wf_token_bucket_t *bucket, const wf_token_rate_t *rate, int64_t now_ms);

//  Brings the bucket up to now_ms (time never runs backwards here).
void wf_token_bucket_refill (wf_token_bucket_t *bucket, const wf_token_rate_t *rate,
                             int64_t now_ms);

//  Takes one token at now_ms: true, or false with *retry_after_ms (>= 1), the
//  wait until a token is back. A refusal takes nothing.
bool wf_token_bucket_take (wf_token_bucket_t *bucket, const wf_token_rate_t *rate, int64_t now_ms,
                           int64_t *retry_after_ms);

//  Gives back one token (a request another limit refused after all).
void wf_token_bucket_refund (wf_token_bucket_t *bucket, const wf_token_rate_t *rate);

//  Whole milliseconds until the bucket holds `units` (0 when it does).
int64_t wf_token_bucket_wait_ms (const wf_token_bucket_t *bucket, const wf_token_rate_t *rate,
                                 int64_t units);

typedef struct _wf_token_table_t wf_token_table_t;

//  A table of entries_max buckets (rounded up to whole sets); NULL when 0 or
//  over WF_TOKEN_BUCKET_ENTRIES_MAX.
wf_token_table_t *wf_token_table_new (size_t entries_max);
void wf_token_table_destroy (wf_token_table_t **self_p);

//  The bucket of key (created full when absent). Valid until the next call.
wf_token_bucket_t *wf_token_table_get (wf_token_table_t *self, uint64_t key,
                                       const wf_token_rate_t *rate, int64_t now_ms);

//  Buckets in use (for tests and metrics).
size_t wf_token_table_size (const wf_token_table_t *self);

#endif
