/*  wf_query - the query side: the 7/MDP service "query" answering
    account.query from the read models the account shards write in the same
    transaction as their events (so a user reads their own writes).

    kinds:
      get           -> account.info       (owner only; another's -> NOT_FOUND)
      list          -> account.list       (the caller's accounts)
      transactions  -> account.history    (newest first, cursor `before`)
      transfer      -> account.transfer   (account_id = the transfer id; the
                                           owner of either side; InFlight while
                                           the credit leg is on its way)
    Redis caches `get` (AccountDto) for WF_QUERY_CACHE_TTL_S. The shards write
    each account's committed version to wf:account:<id>:v after every commit;
    a cached account older than that marker is a miss, so a reader never sees
    a balance older than a command that was already answered. Redis down:
    every read goes to PostgreSQL (slower, never wrong).
    Pipe commands: "$TERM", "METRICS" -> text.
*/
#ifndef WF_QUERY_H_INCLUDED
#define WF_QUERY_H_INCLUDED

#include <czmq.h>

#define WF_QUERY_PAGE_DEFAULT 50
#define WF_QUERY_PAGE_MAX     100 //  = the account.history list bound
#define WF_QUERY_CACHE_TTL_S  30

typedef struct {
    const char *broker_endpoint;
    const char *pg_url;
    const char *redis_url; //  read cache; NULL = always PostgreSQL
    int heartbeat_interval_ms;
    zcert_t *curve_client_cert;   //  NULL = plain
    const char *curve_server_key; //  broker's public key (Z85) when CURVE
} wf_query_config_t;

void wf_query_actor (zsock_t *pipe, void *args);

#endif
