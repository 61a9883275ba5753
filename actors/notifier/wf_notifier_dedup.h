/*  wf_notifier_dedup - a bounded window of recently published message ids.

    The outbox relay delivers at least once: when an ack is lost it delivers
    the same row again. A repeated BalanceUpdated is harmless to a client, but
    cheap to avoid, so the notifier remembers the last `capacity` message ids
    it published and acknowledges a repeat without publishing it. The window
    is a ring (the oldest id is forgotten first) indexed by a chained hash
    table; everything is allocated by wf_notifier_dedup_new, nothing after.
    An id longer than WF_NOTIFIER_DEDUP_ID_BYTES_MAX is never remembered (it
    is always "new"), which only costs a possible duplicate push.

    Owned by one thread: no locks.
*/
#ifndef WF_NOTIFIER_DEDUP_H_INCLUDED
#define WF_NOTIFIER_DEDUP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "wf_msg.h"

#define WF_NOTIFIER_DEDUP_ID_BYTES_MAX     36      //  a uuid in text
#define WF_NOTIFIER_DEDUP_CAPACITY_MAX     1000000 //  ids one window may hold
#define WF_NOTIFIER_DEDUP_CAPACITY_DEFAULT 4096

typedef struct _wf_notifier_dedup_t wf_notifier_dedup_t;

//  A window of `capacity` ids (1..WF_NOTIFIER_DEDUP_CAPACITY_MAX); NULL outside.
wf_notifier_dedup_t *wf_notifier_dedup_new (size_t capacity);

//  Destroys the window and nulls the pointer; idempotent.
void wf_notifier_dedup_destroy (wf_notifier_dedup_t **self_p);

//  True when id is in the window.
bool wf_notifier_dedup_contains (wf_notifier_dedup_t *self, wf_str_t id);

//  Remembers id (forgetting the oldest when full); no effect when id is
//  already in the window or too long.
void wf_notifier_dedup_add (wf_notifier_dedup_t *self, wf_str_t id);

//  Ids in the window.
size_t wf_notifier_dedup_size (wf_notifier_dedup_t *self);

#endif
