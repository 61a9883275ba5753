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
    Pipe commands: "$TERM", "METRICS" -> text.
*/
#ifndef WF_QUERY_H_INCLUDED
#define WF_QUERY_H_INCLUDED

#include <czmq.h>

#define WF_QUERY_PAGE_DEFAULT 50
#define WF_QUERY_PAGE_MAX     100    //  = the account.history list bound

typedef struct {
    const char *broker_endpoint;
    const char *pg_url;
    int heartbeat_interval_ms;
} wf_query_config_t;

void wf_query_actor (zsock_t *pipe, void *args);

#endif
