/*  wf_rate_table - bounded in-process counters in fixed time windows.  */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "wf_rate_table.h"

typedef struct {
    uint64_t key;
    int64_t ends_ms; //  0: free
    uint32_t count;
} s_entry_t;

struct _wf_rate_table_t {
    s_entry_t *entries;
    size_t sets;
};

wf_rate_table_t *
wf_rate_table_new (size_t entries_max)
{
    if (entries_max == 0 || entries_max > WF_RATE_TABLE_ENTRIES_MAX) {
        return NULL;
    }
    wf_rate_table_t *self = (wf_rate_table_t *) calloc (1, sizeof (wf_rate_table_t));
    assert (self);
    self->sets = (entries_max + WF_RATE_TABLE_WAYS - 1) / WF_RATE_TABLE_WAYS;
    self->entries = (s_entry_t *) calloc (self->sets * WF_RATE_TABLE_WAYS, sizeof (s_entry_t));
    assert (self->entries);
    return self;
}

void
wf_rate_table_destroy (wf_rate_table_t **self_p)
{
    assert (self_p);
    wf_rate_table_t *self = *self_p;
    if (self) {
        free (self->entries);
        free (self);
        *self_p = NULL;
    }
}

//  The first entry of key's set.
static s_entry_t *
s_set (const wf_rate_table_t *self, uint64_t key)
{
    //  Keys are already uniform digests: the low bits pick the set.
    return self->entries + (key % self->sets) * WF_RATE_TABLE_WAYS;
}

//  The live entry of key at now_ms, or NULL.
static s_entry_t *
s_find (const wf_rate_table_t *self, uint64_t key, int64_t now_ms)
{
    s_entry_t *set = s_set (self, key);
    for (size_t way = 0; way < WF_RATE_TABLE_WAYS; way++) {
        if (set[way].ends_ms > now_ms && set[way].key == key) {
            return &set[way];
        }
    }
    return NULL;
}

uint32_t
wf_rate_table_hit (wf_rate_table_t *self, uint64_t key, int64_t now_ms, int64_t window_ms)
{
    assert (self);
    assert (window_ms > 0);
    s_entry_t *entry = s_find (self, key, now_ms);
    if (!entry) {
        //  A free or expired entry, else the one whose window ends first.
        s_entry_t *set = s_set (self, key);
        entry = &set[0];
        for (size_t way = 0; way < WF_RATE_TABLE_WAYS && entry->ends_ms > now_ms; way++) {
            if (set[way].ends_ms <= now_ms || set[way].ends_ms < entry->ends_ms) {
                entry = &set[way];
            }
        }
        entry->key = key;
        entry->ends_ms = now_ms + window_ms;
        entry->count = 0;
    }
    if (entry->count < UINT32_MAX) {
        entry->count++;
    }
    assert (entry->count >= 1 && entry->ends_ms > now_ms);
    return entry->count;
}

uint32_t
wf_rate_table_count (const wf_rate_table_t *self, uint64_t key, int64_t now_ms,
                     int64_t *remaining_ms)
{
    assert (self);
    const s_entry_t *entry = s_find (self, key, now_ms);
    if (remaining_ms) {
        *remaining_ms = entry ? entry->ends_ms - now_ms : 0;
    }
    return entry ? entry->count : 0;
}

void
wf_rate_table_clear (wf_rate_table_t *self, uint64_t key)
{
    assert (self);
    s_entry_t *set = s_set (self, key);
    for (size_t way = 0; way < WF_RATE_TABLE_WAYS; way++) {
        if (set[way].key == key) {
            memset (&set[way], 0, sizeof set[way]);
        }
    }
}

size_t
wf_rate_table_size (const wf_rate_table_t *self, int64_t now_ms)
{
    assert (self);
    size_t live = 0;
    for (size_t index = 0; index < self->sets * WF_RATE_TABLE_WAYS; index++) {
        live += self->entries[index].ends_ms > now_ms ? 1 : 0;
    }
    return live;
}
