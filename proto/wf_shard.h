/*  wf_shard - which account shard serves a stream: FNV-1a of the id's text
    (lower-case uuid), modulo the shard count. Every process must agree, so
    this is the one definition.
*/
#ifndef WF_SHARD_H_INCLUDED
#define WF_SHARD_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WF_SHARDS_MAX 256

//  The shard number of a stream id (0 <= result < shards).
static inline int
wf_shard_of (const char *id, size_t len, int shards)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        hash ^= (uint8_t) id[i];
        hash *= 16777619u;
    }
    return shards > 0 ? (int) (hash % (uint32_t) shards) : 0;
}

//  Writes the service name of a shard ("account.3").
static inline void
wf_shard_service (int shard, char *name, size_t size)
{
    snprintf (name, size, "account.%d", shard);
}

#endif
