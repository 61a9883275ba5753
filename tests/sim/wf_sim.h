/*  wf_sim - deterministic simulation of the money core (issue 9, part 6).

    In the spirit of TigerBeetle's VOPR: one seed picks a configuration
    (shards, workers per shard, relays, batch size, cache size, snapshot
    interval, fault rates) and drives a whole run from a single pseudo-random
    stream, so the same seed always replays the same run, step for step.

    What runs for real: the account aggregate (wf_account_aggregate: every
    decide and apply), its JSON codec (every event and snapshot is stored as
    the text the shard writes, and loaded back through the strict decoder),
    money parsing (wf_money), account numbers, the default wallet id, and the
    wire codec (every command, delivery and reply crosses the simulated
    network as msgpack bytes and is decoded by the receiver).

    What is modelled, mirroring the real files function by function:
      wf_sim_store.c  PostgreSQL: events with the (stream_id, version) key,
                      snapshots, accounts, transactions, transfers, outbox,
                      inbox, idempotency_keys; all-or-nothing transactions
                      whose reads see their own writes (schema/0001, 0003)
      wf_sim_shard.c  the shard: group commit of a batch, per-batch version
                      check of cached aggregates, one-by-one retry after a
                      failed batch (actors/account/wf_account.c)
      wf_sim_handle.c its handlers: idempotency keys and inbox rows in the
                      same transaction as the effect, the transfer saga
                      (wf_account_handle.c, wf_account_store.c), holds and
                      overdraft (wf_account_holds.c), refunds
                      (wf_account_refunds.c); the hold timer runs in
                      wf_sim_shard.c (wf_account_holds_expire_due)
      wf_sim_relay.c  the outbox relay (claim in id order with a lease,
                      per-destination acks, backoff, expiry; actors/relay),
                      the network (drops, duplicates, delays, reordering)
                      and the notifier/AMQP consumers
      wf_sim_check.c  every invariant of DESIGN.md section 5, after each step
      wf_sim_client.c users and their commands, retries and key reuse
      wf_sim.c        the scheduler, crashes, the command line

    One step is one atomic action of one component (a client sends, a worker
    decides its batch, a worker commits, the relay claims rows, the network
    delivers one message, a component crashes...). Crashes fall between any
    two steps: a crash loses the component's memory and keeps what was
    committed. After every step the checker runs over the committed store.
*/
#ifndef WF_SIM_H_INCLUDED
#define WF_SIM_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <czmq.h>
#include "wf_msg.h"
#include "wf_err.h"
#include "wf_account_aggregate.h"

//  Limits: everything is a fixed array sized here.
#define SIM_SHARDS_MAX           3
#define SIM_WORKERS_MAX          2 //  per shard (two writers of one shard are allowed)
#define SIM_RELAYS_MAX           2
#define SIM_USERS_MAX            8
#define SIM_ACCOUNTS_MAX         40 //  default wallets + opened accounts
#define SIM_EVENTS_MAX           12000
#define SIM_OUTBOX_MAX           12000
#define SIM_COMMANDS_MAX         3000
#define SIM_TXIDS_MAX            8000 //  transaction ids minted by the shards
#define SIM_NET_MAX              4096 //  messages in flight or queued
#define SIM_BATCH_MAX            8
#define SIM_CACHE_MAX            8
#define SIM_TXN_OPS_MAX          160
#define SIM_RELAY_ROWS_MAX       16
#define SIM_DESTINATIONS         3 //  account, notifier, amqp
#define SIM_TRACE_LINES          64
#define SIM_TRACE_LINE_BYTES     200
#define SIM_VIOLATIONS_MAX       8
#define SIM_STEPS_DEFAULT        400
#define SIM_STEPS_MAX            1500  //  keeps commands and transaction ids within their arrays
#define SIM_QUIESCE_STEPS_MAX    10000 //  drains take at most ~1,000 (see the summary)
#define SIM_RETRIES_MAX          3     //  WF_ACCOUNT_RETRIES_MAX
#define SIM_RELAY_LEASE_MS       15000 //  WF_RELAY_LEASE_S
#define SIM_RELAY_TIMEOUT_MS     5000  //  WF_RELAY_DELIVERY_TIMEOUT_MS
#define SIM_RELAY_BACKOFF_MS_MAX 30000 //  WF_RELAY_BACKOFF_MS_MAX
#define SIM_CLIENT_TIMEOUT_MS    5000  //  WF_REQUEST_TIMEOUT_MS, the front's deadline
#define SIM_IDEM_KEY_BYTES       32
#define SIM_START_MS             1795651200000LL //  2026-11-26T00:00:00Z
#define SIM_HOLDS_MAX            2000            //  hold ids minted by the shards
#define SIM_HOLD_SCAN_MS         1000            //  WF_ACCOUNT_HOLD_SCAN_INTERVAL_MS
#define SIM_HOLD_EXPIRY_BATCH    64              //  EXPIRY_BATCH_MAX (wf_account_holds.c)
#define SIM_HOLD_SECONDS_MAX     4 //  holds the clients place live 1..4 s (a run's span)

_Static_assert(SIM_BATCH_MAX * 12 < SIM_TXN_OPS_MAX, "a batch's rows fit one transaction");
_Static_assert(SIM_STEPS_MAX *(1 + SIM_RETRIES_MAX) < SIM_TXIDS_MAX,
               "every decision of every command gets its transaction id");
_Static_assert(SIM_STEPS_MAX < SIM_COMMANDS_MAX, "one command per step at most");

//  Destinations of an outbox row (bits), as in outbox.destinations.
enum { DEST_ACCOUNT = 0, DEST_NOTIFIER = 1, DEST_AMQP = 2 };
#define DEST_BIT(d) (1u << (d))

//  Planted bugs: the simulator must catch each (tests/sim/CMakeLists.txt).
typedef enum {
    PLANT_NONE = 0,
    PLANT_NO_INBOX_DEDUP,       //  the consumer applies a redelivered message again
    PLANT_NO_VERSION_CHECK,     //  the store accepts a second event at (stream, version)
    PLANT_NO_IDEMPOTENCY,       //  the shard ignores Idempotency-Key
    PLANT_TORN_COMMIT,          //  a failed commit keeps the first half of its rows
    PLANT_REPLY_BEFORE_COMMIT,  //  the shard answers before the commit succeeded
    PLANT_RETRY_UNKNOWN_COMMIT, //  a keyless command is retried after an ambiguous COMMIT
    PLANT_EXPIRY_IN_MEMORY,     //  the expiry timer forgets holds placed before its restart
    PLANT_REFUND_UNCHECKED,     //  a refund ignores what was already refunded
    PLANT_COUNT
} sim_plant_t;

//  Fault kinds, counted for the report.
typedef enum {
    F_COMMIT_FAILED,
    F_COMMIT_AMBIGUOUS,
    F_STATEMENT_FAILED,
    F_RELAY_DB_FAILED,
    F_DROPPED,
    F_DUPLICATED,
    F_DELAYED,
    F_REORDERED,
    F_CONSUMER_ERROR,
    F_WORKER_CRASH,
    F_RELAY_CRASH,
    F_PROCESS_CRASH,
    F_CLIENT_RESEND,
    F_KEY_REUSED,
    F_COUNT
} sim_fault_t;

extern const char *const sim_fault_names[F_COUNT];
extern const char *const sim_plant_names[PLANT_COUNT];

//  The pseudo-random stream (xoshiro256**, seeded with splitmix64).
typedef struct {
    uint64_t s[4];
} sim_rng_t;

//  ---------------------------------------------------------------- store --

typedef struct {
    int account;
    int64_t version;
    wf_account_event_t event; //  as decided (the checker's fast path)
    char *json;               //  as the shard stores it (events.data)
} sim_event_t;

typedef struct {
    bool exists;
    int owner; //  user index
    char currency[4];
    int64_t balance;
    int64_t held, overdraft_limit; //  accounts.held, accounts.overdraft_limit (schema/0005)
    wf_account_status_t status;
    int64_t version;
    bool is_default;
} sim_account_row_t;

typedef enum {
    TRANSFER_NONE = 0,
    TRANSFER_IN_FLIGHT,
    TRANSFER_COMPLETED,
    TRANSFER_REFUNDED
} sim_transfer_status_t;

typedef struct {
    int source, destination;
    int64_t amount;
    sim_transfer_status_t status;
} sim_transfer_t;

//  holds (schema/0005_holds_overdraft.sql), by hold number.
typedef enum {
    HOLD_NONE = 0,
    HOLD_OPEN,
    HOLD_CAPTURED,
    HOLD_VOIDED,
    HOLD_EXPIRED
} sim_hold_status_t;

typedef struct {
    int account, destination; //  destination -1 = a capture withdraws
    int shard;                //  holds.shard: whose timer expires it
    int64_t amount, captured_amount;
    int64_t expires_at_ms, created_at_ms;
    sim_hold_status_t status;
    int capture_txid; //  -1 when none
    char description[16];
} sim_hold_row_t;

typedef struct {
    bool used;
    char message_id[WF_UUID_BYTES];
    char type[32];
    int stream;                     //  account index or -1
    char route_key[WF_UUID_BYTES];  //  "" when none
    char *payload;                  //  JSON
    unsigned destinations, pending; //  DEST_BIT sets
    int attempts;
    int64_t next_attempt_at_ms;
    int64_t lease_until_ms; //  0 = none
    bool delivered;
    int received[SIM_DESTINATIONS]; //  deliveries that reached each consumer
} sim_outbox_t;

typedef struct {
    char key[WF_UUID_BYTES + SIM_IDEM_KEY_BYTES + 2]; //  "user|key"
    char fingerprint[65];
    wf_msg_id_t reply_type;
    uint8_t *reply;
    size_t reply_size;
} sim_idem_t;

typedef enum {
    OP_EVENT,
    OP_ACCOUNT,
    OP_HISTORY,
    OP_SNAPSHOT,
    OP_OUTBOX,
    OP_INBOX,
    OP_TRANSFER_BEGIN,
    OP_TRANSFER_END,
    OP_IDEM,
    OP_HOLD_INSERT,
    OP_HOLD_CLOSE,
    OP_REFUNDED //  UPDATE transactions SET refunded = refunded + $2 WHERE id = $1 AND ...
} sim_op_kind_t;

//  One row written by an open transaction (owned until commit or rollback).
typedef struct {
    sim_op_kind_t kind;
    int account;
    int64_t version;
    int txid; //  transaction id number (OP_HISTORY, OP_TRANSFER_*); hold number (OP_HOLD_*)
    wf_account_event_type_t event_type;
    int64_t amount;   //  OP_HISTORY: the row's amount; OP_REFUNDED: the refund's
    int counterparty; //  OP_HISTORY of a TransferReceived: the sender
    wf_account_event_t event;
    sim_account_row_t row;
    sim_transfer_t transfer;
    sim_hold_row_t hold;
    sim_outbox_t outbox;
    sim_idem_t idem;
    char key[WF_UUID_BYTES]; //  inbox message id
    char *json;              //  event or snapshot text
} sim_op_t;

typedef struct {
    bool open;
    size_t count;
    sim_op_t ops[SIM_TXN_OPS_MAX];
} sim_txn_t;

typedef struct {
    sim_event_t *events; //  commit order
    size_t events_count;
    int *stream[SIM_ACCOUNTS_MAX]; //  event indexes per account, commit order
    size_t stream_count[SIM_ACCOUNTS_MAX];
    int64_t snapshot_version[SIM_ACCOUNTS_MAX];
    char *snapshot_json[SIM_ACCOUNTS_MAX];
    sim_account_row_t accounts[SIM_ACCOUNTS_MAX];
    int history[SIM_ACCOUNTS_MAX]; //  history rows per account (unique by construction)
    uint8_t *history_keys;         //  [txid][account][type] written once
    sim_transfer_t *transfers;     //  by txid
    sim_hold_row_t *holds;         //  by hold number
    int64_t *tx_amount;            //  transactions.amount, by txid (every row of an id agrees)
    int64_t *tx_refunded;          //  transactions.refunded, by txid
    int *tx_sender;                //  a TransferReceived row's counterparty, by txid
    sim_outbox_t *outbox;          //  id - 1
    size_t outbox_count;
    size_t outbox_low; //  rows before it are all delivered (a scan start, not a rule)
    zhashx_t *inbox;   //  message id -> "1"
    zhashx_t *idem;    //  "user|key" -> sim_idem_t *
    int64_t txns_committed;
} sim_store_t;

//  ------------------------------------------------------------- network --

typedef enum { TO_SHARD, TO_NOTIFIER, TO_AMQP, TO_RELAY, TO_CLIENT } sim_to_t;

//  One message: an envelope's worth of routing plus the encoded body.
typedef struct {
    bool used;
    bool queued; //  arrived at its queue (shard) or mailbox (relay)
    sim_to_t to;
    int to_index; //  shard, relay or command
    int64_t deliver_at_ms;
    int64_t deadline_ms;
    wf_msg_id_t type;
    uint64_t correlation;
    int reply_to_relay; //  -1 = a client
    int incarnation;    //  of the relay that sent it
    uint64_t seq;       //  order of sending (for FIFO and reordering)
    uint8_t *bytes;
    size_t size;
} sim_net_t;

//  ------------------------------------------------------------- shards --

typedef struct {
    bool present;
    wf_account_t *account;
    bool touched;
    uint64_t checked_batch;
} sim_entry_t;

typedef struct {
    bool used;
    sim_net_t msg; //  owns its bytes; decoded slices point into them
    wf_any_msg_t body;
    bool valid;
    bool internal; //  made by the shard's hold timer: no client, no reply
    bool decided;
    bool replied; //  answered early (the planted reply-before-commit bug)
    bool settled; //  answered 503 after a COMMIT of unknown outcome: not retried
    wf_msg_id_t reply_type;
    wf_buf_t reply;
    wf_err_t err;
    char detail[128];
} sim_item_t;

typedef enum {
    PHASE_IDLE,
    PHASE_BATCH_COMMIT, //  the batch is decided, its transaction open
    PHASE_RETRY_DECIDE, //  the batch failed: one item alone, attempt n
    PHASE_RETRY_COMMIT,
    PHASE_REPLY
} sim_phase_t;

typedef struct {
    int shard, index;
    bool up;
    sim_entry_t cache[SIM_ACCOUNTS_MAX];
    size_t cache_size;
    uint64_t batch;
    sim_item_t items[SIM_BATCH_MAX];
    size_t count;
    sim_phase_t phase;
    size_t retry_item;
    int retry_attempt;
    sim_txn_t *txn;
    int64_t hold_scan_at_ms; //  next scan for due holds (self->hold_scan_at_ms)
    int64_t up_since_ms;     //  last restart (the planted in-memory timer forgets before it)
    //  batch_keys: "user|key" -> item, for keys this transaction stored.
    char batch_key[SIM_BATCH_MAX][WF_UUID_BYTES + SIM_IDEM_KEY_BYTES + 2];
    int batch_key_item[SIM_BATCH_MAX];
    size_t batch_keys;
} sim_worker_t;

//  --------------------------------------------------------------- relay --

typedef struct {
    bool used;
    uint32_t generation;
    int64_t id;
    int attempts;
    int outstanding;
    bool failed;
    int64_t deadline_ms;
    int dest[SIM_DESTINATIONS];
    int dest_count;
    bool answered[SIM_DESTINATIONS];
    bool touched;
} sim_relay_row_t;

typedef struct {
    bool up;
    int incarnation;
    sim_relay_row_t rows[SIM_RELAY_ROWS_MAX];
    int rows_used;
    bool failing[SIM_DESTINATIONS];
} sim_relay_t;

//  ------------------------------------------------------------- clients --

typedef enum {
    CMD_OPEN,
    CMD_DEPOSIT,
    CMD_WITHDRAW,
    CMD_TRANSFER,
    CMD_SUSPEND,
    CMD_REACTIVATE,
    CMD_HOLD,
    CMD_CAPTURE,
    CMD_VOID,
    CMD_OVERDRAFT,
    CMD_REFUND
} sim_kind_t;

typedef struct {
    sim_kind_t kind;
    int user;    //  who sends it (admins may suspend any account)
    int account; //  account index
    int destination;
    int hold;          //  capture, void: the hold number (-1 = one that does not exist)
    int original;      //  refund: the txid refunded (-1 = one that does not exist)
    int64_t expires_s; //  hold
    char amount[32];
    char currency[4];
    bool keyed;
    char key[SIM_IDEM_KEY_BYTES];
    int key_group; //  the command that first used the key
    char fingerprint[65];
    int sends;
    bool outstanding;
    int64_t timeout_at_ms;
    bool acked;
    int sends_at_ack; //  sends made before the first acknowledgement arrived
    int acked_txid;   //  -1 when the reply carries none
    int acked_hold;   //  hold replies: the hold's number, else -1
    int64_t acked_version;
    wf_err_t last_err;
} sim_cmd_t;

typedef struct {
    char id[WF_UUID_BYTES];
    int user; //  owner chosen by the client
    bool is_default;
    int shard;
    char currency[4];
} sim_account_id_t;

//  ------------------------------------------------------------- config --

typedef struct {
    int shards, workers, relays;
    size_t batch_max, cache_max;
    int snapshot_every;
    //  Fault rates in parts per thousand.
    int commit_fail, statement_fail, relay_db_fail;
    int drop, duplicate, delay, consumer_error;
    int worker_crash, relay_crash, process_crash;
    int resend, key_reuse;
    bool ambiguous; //  a commit that applied but reported a failure
} sim_config_t;

//  Paths taken, counted to show the run reached them.
typedef enum {
    C_BATCH_FAILED,    //  a batch rolled back and was retried one by one
    C_RETRY_GAVE_UP,   //  a request answered 503 after SIM_RETRIES_MAX attempts
    C_STALE_CACHE,     //  the per-batch version check reloaded an aggregate
    C_STALE_WRITER,    //  (stream_id, version) refused a commit
    C_CONSTRAINT,      //  another constraint (inbox, key, transfer) refused a commit
    C_SNAPSHOT_LOAD,   //  an aggregate loaded from a snapshot plus later events
    C_IDEM_REPLAY,     //  a first response replayed for its key
    C_IDEM_REUSED,     //  a key refused for another body
    C_INBOX_DUPLICATE, //  a redelivered message recognised by the inbox
    C_DEADLINE,        //  a request refused because its deadline had passed
    C_CREDIT_REFUSED,  //  a credit that could not apply (refund asked)
    C_COUNT
} sim_coverage_t;

extern const char *const sim_coverage_names[C_COUNT];

typedef struct {
    int64_t steps, events, commands, acked, deliveries, txns;
    int64_t drain_steps_max; //  the longest drain of a seed that drained
    int64_t faults[F_COUNT];
    int64_t coverage[C_COUNT];
    int64_t events_by_type[WF_ACCOUNT_EVENT_COUNT];
} sim_stats_t;

//  ------------------------------------------------------------- world --

typedef struct {
    uint64_t seed;
    sim_rng_t rng;
    sim_config_t config;
    sim_plant_t plant;
    bool keyed_only;
    bool faults_on; //  off while quiescing
    bool clients_on;
    int64_t now_ms;
    int64_t step;
    sim_store_t store;
    sim_worker_t workers[SIM_SHARDS_MAX][SIM_WORKERS_MAX];
    sim_relay_t relays[SIM_RELAYS_MAX];
    sim_net_t *net;
    int net_high; //  slots at and above it are free
    uint64_t net_seq;
    int users;
    bool admin[SIM_USERS_MAX];
    char user_id[SIM_USERS_MAX][WF_UUID_BYTES];
    sim_account_id_t accounts[SIM_ACCOUNTS_MAX];
    int accounts_count;
    sim_cmd_t *cmds;
    int cmds_count;
    int txids; //  minted so far
    int holds; //  hold numbers minted so far
    int messages;
    sim_stats_t stats;
    wf_buf_t scratch;
    wf_account_t *replay[SIM_ACCOUNTS_MAX]; //  the checker's real-aggregate replay
    struct sim_scratch_t *scratch_check;    //  the checker's working arrays
    bool registered[SIM_USERS_MAX];         //  UserRegistered committed
    char trace[SIM_TRACE_LINES][SIM_TRACE_LINE_BYTES];
    int64_t trace_count;
    bool trace_live;
    char violations[SIM_VIOLATIONS_MAX][256];
    int violations_count;
} sim_world_t;

//  wf_sim.c
uint64_t sim_rng_next (sim_rng_t *rng);
uint64_t sim_below (sim_world_t *w, uint64_t n);
bool sim_chance (sim_world_t *w, int permille);
bool sim_fault (sim_world_t *w, int permille, sim_fault_t kind);
void sim_trace (sim_world_t *w, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
void sim_violation (sim_world_t *w, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
void sim_uuid (unsigned kind, unsigned n, char out[WF_UUID_BYTES]);
int sim_uuid_number (const char *text, unsigned kind);
int sim_account_index (const sim_world_t *w, const char *id);
void sim_client_reply (sim_world_t *w, sim_net_t *msg);

//  wf_sim_client.c
void sim_client_register (sim_world_t *w);
void sim_client_command (sim_world_t *w);
bool sim_client_resend (sim_world_t *w, bool dry_run); //  dry run: is there one to resend?

//  wf_sim_store.c
void sim_store_init (sim_store_t *store);
void sim_store_reset (sim_store_t *store);
void sim_store_free (sim_store_t *store);
sim_txn_t *sim_txn_new (void);
void sim_txn_begin (sim_txn_t *txn);
void sim_txn_rollback (sim_txn_t *txn);
sim_op_t *sim_txn_add (sim_txn_t *txn, sim_op_kind_t kind);
int sim_txn_commit (sim_world_t *w, sim_txn_t *txn);
int64_t sim_store_version (sim_world_t *w, sim_txn_t *txn, int account);
int sim_store_load (sim_world_t *w, sim_txn_t *txn, int account, wf_account_t *into);
int sim_store_inbox (sim_world_t *w, sim_txn_t *txn, const char *message_id);
const sim_idem_t *sim_store_idem_get (sim_world_t *w, sim_txn_t *txn, const char *key);
const sim_account_row_t *sim_store_peek (sim_world_t *w, sim_txn_t *txn, int account);
sim_transfer_status_t sim_store_transfer (sim_world_t *w, sim_txn_t *txn, int txid);
//  The holds row as the transaction sees it (status HOLD_NONE when none).
sim_hold_row_t sim_store_hold (sim_world_t *w, sim_txn_t *txn, int hold);
//  The transactions row of txid with this event type as the transaction sees
//  it: its account (-1 = none), amount, refunded and sender.
int sim_store_history (sim_world_t *w, sim_txn_t *txn, int txid, wf_account_event_type_t type,
                       int64_t *amount, int64_t *refunded, int *sender);
int64_t sim_store_holds_next_ms (const sim_world_t *w); //  earliest open expiry, or INT64_MAX
int sim_store_holds_open (const sim_world_t *w);        //  the first open hold, or -1
void sim_store_outbox_insert (sim_world_t *w, const sim_outbox_t *row);
bool sim_db_ok (sim_world_t *w);

//  wf_sim_shard.c
sim_entry_t *sim_shard_entry (sim_world_t *w, sim_worker_t *worker, int account);
void sim_shard_refuse (sim_item_t *item, wf_err_t code, const char *detail);

#define SIM_COMMIT_UNKNOWN -2 //  sim_txn_commit: applied or not, the caller cannot know
void sim_worker_init (sim_worker_t *worker, int shard, int index);
void sim_worker_free (sim_worker_t *worker);
void sim_worker_crash (sim_world_t *w, sim_worker_t *worker);
bool sim_worker_ready (sim_world_t *w, sim_worker_t *worker);
void sim_worker_step (sim_world_t *w, sim_worker_t *worker);

//  wf_sim_handle.c: decide one request inside the worker's open transaction;
//  0 when decided (done or refused), -1 when a statement failed.
int sim_handle_command (sim_world_t *w, sim_worker_t *worker, sim_item_t *item);
int sim_handle_delivery (sim_world_t *w, sim_worker_t *worker, sim_item_t *item);

//  wf_sim_relay.c
void sim_net_send (sim_world_t *w, const sim_net_t *msg);
void sim_net_clear (sim_world_t *w, bool (*lost) (const sim_net_t *msg));
void sim_net_release (sim_world_t *w, sim_net_t *msg);
int sim_net_ready (sim_world_t *w);
void sim_net_deliver (sim_world_t *w);
sim_net_t *sim_net_take (sim_world_t *w, sim_to_t to, int index);
bool sim_net_has (sim_world_t *w, sim_to_t to, int index);
int64_t sim_net_next_ms (sim_world_t *w);
void sim_relay_crash (sim_world_t *w, sim_relay_t *relay);
void sim_relay_claim (sim_world_t *w, int r);
void sim_relay_replies (sim_world_t *w, int r);
bool sim_relay_expired (sim_world_t *w, int r);
void sim_relay_expire (sim_world_t *w, int r);
bool sim_relay_claimable (sim_world_t *w, int r);
int64_t sim_relay_next_ms (sim_world_t *w);

//  wf_sim_check.c
void sim_check (sim_world_t *w, bool deep);
void sim_check_final (sim_world_t *w);

#endif
