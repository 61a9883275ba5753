/*  wf_token_bucket - token buckets in integer arithmetic, and their table.  */
#include "wf_token_bucket.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

//  Refill older than a full bucket's worth is capped before multiplying, so
//  elapsed * per_min never overflows (and stays exact as a Lua number).
#define S_ELAPSED_MS_MAX (24LL * 3600 * 1000)
_Static_assert(S_ELAPSED_MS_MAX *WF_TOKEN_BUCKET_PER_MIN_MAX < (1LL << 53),
               "a capped refill fits a Lua number exactly");

//  Asserts a rate inside its limits.
static void
s_check_rate (const wf_token_rate_t *rate)
{
    assert (rate);
    assert (rate->per_min >= 1 && rate->per_min <= WF_TOKEN_BUCKET_PER_MIN_MAX);
    assert (rate->burst >= 1 && rate->burst <= WF_TOKEN_BUCKET_BURST_MAX);
}

void
wf_token_bucket_init (wf_token_bucket_t *bucket, const wf_token_rate_t *rate, int64_t now_ms)
{
    s_check_rate (rate);
    bucket->units = rate->burst * WF_TOKEN_BUCKET_UNITS;
    bucket->updated_ms = now_ms;
}

void
wf_token_bucket_refill (wf_token_bucket_t *bucket, const wf_token_rate_t *rate, int64_t now_ms)
{
    s_check_rate (rate);
    int64_t capacity = rate->burst * WF_TOKEN_BUCKET_UNITS;
    int64_t elapsed = now_ms - bucket->updated_ms;
    if (elapsed <= 0)
        return; //  a clock step backwards refills nothing
    if (elapsed > S_ELAPSED_MS_MAX)
        elapsed = S_ELAPSED_MS_MAX;
    int64_t units = bucket->units + elapsed * rate->per_min;
    bucket->units = units > capacity ? capacity : units;
    bucket->updated_ms = now_ms;
    assert (bucket->units >= 0 && bucket->units <= capacity);
}

int64_t
wf_token_bucket_wait_ms (const wf_token_bucket_t *bucket, const wf_token_rate_t *rate,
                         int64_t units)
{
    s_check_rate (rate);
    int64_t missing = units - bucket->units;
    return missing <= 0 ? 0 : (missing + rate->per_min - 1) / rate->per_min;
}

bool
wf_token_bucket_take (wf_token_bucket_t *bucket, const wf_token_rate_t *rate, int64_t now_ms,
                      int64_t *retry_after_ms)
{
    assert (retry_after_ms);
    wf_token_bucket_refill (bucket, rate, now_ms);
    if (bucket->units >= WF_TOKEN_BUCKET_UNITS) {
        bucket->units -= WF_TOKEN_BUCKET_UNITS;
        *retry_after_ms = 0;
        return true;
    }
    *retry_after_ms = wf_token_bucket_wait_ms (bucket, rate, WF_TOKEN_BUCKET_UNITS);
    assert (*retry_after_ms >= 1);
    return false;
}

void
wf_token_bucket_refund (wf_token_bucket_t *bucket, const wf_token_rate_t *rate)
{
    s_check_rate (rate);
    int64_t capacity = rate->burst * WF_TOKEN_BUCKET_UNITS;
    bucket->units += WF_TOKEN_BUCKET_UNITS;
    if (bucket->units > capacity)
        bucket->units = capacity;
}

typedef struct {
    uint64_t key;
    bool used;
    int64_t last_used_ms;
    wf_token_bucket_t bucket;
} s_entry_t;

struct _wf_token_table_t {
    s_entry_t *entries;
    size_t sets;
    size_t size;
};

wf_token_table_t *
wf_token_table_new (size_t entries_max)
{
    if (entries_max == 0 || entries_max > WF_TOKEN_BUCKET_ENTRIES_MAX)
        return NULL;
    wf_token_table_t *self = (wf_token_table_t *) calloc (1, sizeof (wf_token_table_t));
    assert (self);
    self->sets = (entries_max + WF_TOKEN_BUCKET_WAYS - 1) / WF_TOKEN_BUCKET_WAYS;
    self->entries = (s_entry_t *) calloc (self->sets * WF_TOKEN_BUCKET_WAYS, sizeof (s_entry_t));
    assert (self->entries);
    return self;
}

void
wf_token_table_destroy (wf_token_table_t **self_p)
{
    assert (self_p);
    wf_token_table_t *self = *self_p;
    if (self) {
        free (self->entries);
        free (self);
        *self_p = NULL;
    }
}

//  The entry a new key of this set replaces: a free one, else one whose
//  bucket has refilled completely (it remembers nothing), else the least
//  recently used.
static s_entry_t *
s_victim (s_entry_t *set, const wf_token_rate_t *rate, int64_t now_ms)
{
    s_entry_t *oldest = &set[0];
    for (size_t way = 0; way < WF_TOKEN_BUCKET_WAYS; way++) {
        s_entry_t *entry = &set[way];
        if (!entry->used)
            return entry;
        if (wf_token_bucket_wait_ms (&entry->bucket, rate, rate->burst * WF_TOKEN_BUCKET_UNITS) <=
            now_ms - entry->bucket.updated_ms)
            return entry;
        if (entry->last_used_ms < oldest->last_used_ms)
            oldest = entry;
    }
    return oldest;
}

wf_token_bucket_t *
wf_token_table_get (wf_token_table_t *self, uint64_t key, const wf_token_rate_t *rate,
                    int64_t now_ms)
{
    assert (self);
    //  Keys are uniform digests: the low bits pick the set.
    s_entry_t *set = self->entries + (key % self->sets) * WF_TOKEN_BUCKET_WAYS;
    for (size_t way = 0; way < WF_TOKEN_BUCKET_WAYS; way++)
        if (set[way].used && set[way].key == key) {
            set[way].last_used_ms = now_ms;
            return &set[way].bucket;
        }
    s_entry_t *entry = s_victim (set, rate, now_ms);
    if (!entry->used)
        self->size++;
    entry->used = true;
    entry->key = key;
    entry->last_used_ms = now_ms;
    wf_token_bucket_init (&entry->bucket, rate, now_ms);
    return &entry->bucket;
}

size_t
wf_token_table_size (const wf_token_table_t *self)
{
    assert (self);
    return self->size;
}
