/*  wf_rate_table - bounded in-process counters in fixed time windows.

    The login rate limiter counts failures per email and per client address in
    Redis, so every identity process sees the same counts. When Redis is down
    (or slow) it falls back on this table, and it feeds the table on every
    failure anyway, so the fallback starts warm.

    A key is a 64-bit digest (the caller hashes its text with a secret key, so
    nobody can aim collisions). A key's window opens at its first hit and lasts
    window_ms; hits inside it add up, and once it ends the key counts from
    zero again - the same fixed window as INCR + EXPIRE in Redis.

    Bounded: the table is set-associative, WF_RATE_TABLE_WAYS entries per set,
    allocated once. A new key takes a free or expired entry of its set, else
    evicts the entry whose window ends first. Owned by one thread: no locks.
*/
#ifndef WF_RATE_TABLE_H_INCLUDED
#define WF_RATE_TABLE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define WF_RATE_TABLE_WAYS        8
#define WF_RATE_TABLE_ENTRIES_MAX (1u << 20)

typedef struct _wf_rate_table_t wf_rate_table_t;

//  Create a table of entries_max entries (rounded up to whole sets). NULL when
//  entries_max is 0 or over WF_RATE_TABLE_ENTRIES_MAX.
wf_rate_table_t *wf_rate_table_new (size_t entries_max);

//  Destroy it. Idempotent; nulls *self_p.
void wf_rate_table_destroy (wf_rate_table_t **self_p);

//  Count one hit of key at now_ms, opening a window of window_ms (> 0) when
//  none is open. Returns the count in the current window (>= 1).
uint32_t wf_rate_table_hit (wf_rate_table_t *self, uint64_t key, int64_t now_ms, int64_t window_ms);

//  The count of key in its open window at now_ms (0 when none), and in
//  *remaining_ms (when not NULL) the time until that window ends (0 when none).
uint32_t wf_rate_table_count (const wf_rate_table_t *self, uint64_t key, int64_t now_ms,
                              int64_t *remaining_ms);

//  Forget key (a successful login clears its email's failures).
void wf_rate_table_clear (wf_rate_table_t *self, uint64_t key);

//  Keys with an open window at now_ms (for tests and metrics).
size_t wf_rate_table_size (const wf_rate_table_t *self, int64_t now_ms);

#endif
