/*  wf_account - an account shard: the 7/MDP service "account.<shard>".

    It owns the aggregates of the accounts whose id hashes to its shard
    (proto/wf_shard.h), keeps them in a bounded cache, and serves:
      account.command  open, deposit, withdraw, transfer, suspend, reactivate
                       -> account.transaction | account.info | error
      outbox.deliver   UserRegistered (open the default wallet),
                       TransferSent (credit leg), TransferCreditFailed (refund)
                       -> outbox.ack | error (the relay retries)
    Group commit: per wake-up it drains up to batch_max requests, decides each
    against the in-memory aggregates, writes every resulting row (events, read
    models, outbox, transfers, idempotency keys, inbox) in ONE transaction,
    commits, and only then replies. If anything in the batch fails (a stale
    writer hitting the (stream_id, version) key, a lost connection), the batch
    rolls back, the aggregates it touched leave the cache, and each request is
    retried alone; a request that still fails gets an error, never a partial
    effect.

    Pipe commands: "$TERM", "METRICS" -> text.
*/
#ifndef WF_ACCOUNT_H_INCLUDED
#define WF_ACCOUNT_H_INCLUDED

#include <czmq.h>
#include "wf_account_aggregate.h"

#define WF_ACCOUNT_BATCH_MAX   128   //  requests per transaction
#define WF_ACCOUNT_CACHE_MAX   10000 //  aggregates kept in memory per shard
#define WF_ACCOUNT_RETRIES_MAX 3     //  transactions per request after its batch failed

typedef struct {
    const char *broker_endpoint;
    const char *pg_url;
    const char *redis_url; //  committed versions for the read cache; NULL = none
    int shard;
    int shards;
    const char *default_currency; //  of the wallet opened at registration ("ARS")
    wf_account_policy_t policy;
    int heartbeat_interval_ms;
    size_t batch_max;             //  0 = WF_ACCOUNT_BATCH_MAX
    size_t cache_max;             //  0 = WF_ACCOUNT_CACHE_MAX
    zcert_t *curve_client_cert;   //  NULL = plain
    const char *curve_server_key; //  broker's public key (Z85) when CURVE
} wf_account_config_t;

void wf_account_actor (zsock_t *pipe, void *args);

#endif
