/*  wf_notifier_dedup - a ring of ids with a chained hash index.

    Entries live in a fixed array used as a ring; buckets hold the index of
    the first entry of a chain, entries the index of the next. Forgetting the
    oldest entry unlinks it from its chain; chains stay short because the
    table has twice as many buckets as entries. The hash is keyed with a
    random seed, so nobody can aim many ids at one chain.
*/
#include "wf_notifier_dedup.h"
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_NONE UINT32_MAX

typedef struct {
    char id[WF_NOTIFIER_DEDUP_ID_BYTES_MAX];
    uint8_t len;
    uint32_t next;   //  next entry in the same chain, or S_NONE
    uint32_t bucket; //  the chain this entry is on
} s_entry_t;

struct _wf_notifier_dedup_t {
    s_entry_t *entries;
    uint32_t *buckets;
    size_t capacity;
    size_t buckets_count;
    size_t size;
    size_t oldest; //  ring position of the oldest entry
    uint8_t seed[crypto_shorthash_KEYBYTES];
};

_Static_assert(WF_NOTIFIER_DEDUP_ID_BYTES_MAX <= UINT8_MAX, "an id length fits its field");
_Static_assert(2ull * WF_NOTIFIER_DEDUP_CAPACITY_MAX < S_NONE, "indexes fit in 32 bits");

wf_notifier_dedup_t *
wf_notifier_dedup_new (size_t capacity)
{
    if (capacity == 0 || capacity > WF_NOTIFIER_DEDUP_CAPACITY_MAX || sodium_init () < 0)
        return NULL;
    wf_notifier_dedup_t *self = (wf_notifier_dedup_t *) calloc (1, sizeof *self);
    assert (self);
    self->capacity = capacity;
    self->buckets_count = 2 * capacity;
    self->entries = (s_entry_t *) calloc (capacity, sizeof (s_entry_t));
    self->buckets = (uint32_t *) malloc (self->buckets_count * sizeof (uint32_t));
    assert (self->entries && self->buckets);
    for (size_t i = 0; i < self->buckets_count; i++)
        self->buckets[i] = S_NONE;
    randombytes_buf (self->seed, sizeof self->seed);
    return self;
}

void
wf_notifier_dedup_destroy (wf_notifier_dedup_t **self_p)
{
    assert (self_p);
    wf_notifier_dedup_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self->buckets);
    free (self);
    *self_p = NULL;
}

//  The bucket of an id.
static uint32_t
s_bucket (wf_notifier_dedup_t *self, wf_str_t id)
{
    uint8_t hash[crypto_shorthash_BYTES];
    crypto_shorthash (hash, (const uint8_t *) id.ptr, id.len, self->seed);
    uint64_t value;
    memcpy (&value, hash, sizeof value);
    return (uint32_t) (value % self->buckets_count);
}

bool
wf_notifier_dedup_contains (wf_notifier_dedup_t *self, wf_str_t id)
{
    assert (self);
    if (id.len == 0 || id.len > WF_NOTIFIER_DEDUP_ID_BYTES_MAX)
        return false;
    for (uint32_t at = self->buckets[s_bucket (self, id)]; at != S_NONE;
         at = self->entries[at].next)
        if (self->entries[at].len == id.len && memcmp (self->entries[at].id, id.ptr, id.len) == 0)
            return true;
    return false;
}

//  Unlinks entry `index` from its chain.
static void
s_unlink (wf_notifier_dedup_t *self, uint32_t index)
{
    uint32_t *link = &self->buckets[self->entries[index].bucket];
    while (*link != index) {
        assert (*link != S_NONE); //  every stored entry is on its chain
        link = &self->entries[*link].next;
    }
    *link = self->entries[index].next;
}

void
wf_notifier_dedup_add (wf_notifier_dedup_t *self, wf_str_t id)
{
    assert (self);
    if (id.len == 0 || id.len > WF_NOTIFIER_DEDUP_ID_BYTES_MAX ||
        wf_notifier_dedup_contains (self, id))
        return;
    uint32_t index;
    if (self->size < self->capacity)
        index = (uint32_t) ((self->oldest + self->size++) % self->capacity);
    else {
        index = (uint32_t) self->oldest;
        s_unlink (self, index);
        self->oldest = (self->oldest + 1) % self->capacity;
    }
    s_entry_t *entry = &self->entries[index];
    memcpy (entry->id, id.ptr, id.len);
    entry->len = (uint8_t) id.len;
    entry->bucket = s_bucket (self, id);
    entry->next = self->buckets[entry->bucket];
    self->buckets[entry->bucket] = index;
    assert (self->size <= self->capacity);
}

size_t
wf_notifier_dedup_size (wf_notifier_dedup_t *self)
{
    assert (self);
    return self->size;
}
