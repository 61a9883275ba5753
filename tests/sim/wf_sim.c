/*  wf_sim - the simulator's world: the scheduler, crashes, the drain and the
    command line (see wf_sim.h for what runs for real and what is modelled).

        wf_sim [--seeds N] [--first S] [--seed S] [--steps N] [--plant BUG]
               [--expect-failure] [--ambiguous-commits] [--keyed-only]
               [--trace] [--quiet]

    Each seed runs SIM_STEPS_DEFAULT (or --steps) steps with faults and
    clients on, then turns faults and clients off, restarts whatever is down
    and lets the system drain (bounded: not draining is a liveness failure),
    then runs the final checks. A failing seed prints its violations, its
    configuration and its last steps, and the command that replays it.
    --expect-failure inverts the exit status: for planted bugs, the run
    passes when some seed catches the bug.
*/
#include "wf_sim.h"
#include "wf_account_codec.h"
#include <assert.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const sim_fault_names[F_COUNT] = {
    "commit failed",   "commit ambiguous",      "statement failed", "relay statement failed",
    "message dropped", "message duplicated",    "message delayed",  "delivery reordered",
    "consumer error",  "worker crash",          "relay crash",      "process crash",
    "client resend",   "idempotency key reused"};

const char *const sim_coverage_names[C_COUNT] = {
    "batches retried one by one", "requests given up (503)",       "stale cache reloads",
    "stale writers refused",      "other constraint refusals",     "snapshot loads",
    "idempotent replays",         "keys refused for another body", "redeliveries deduplicated",
    "deadlines passed",           "credits refused (refunded)"};

const char *const sim_plant_names[PLANT_COUNT] = {"none",
                                                  "no-inbox-dedup",
                                                  "no-version-check",
                                                  "no-idempotency",
                                                  "torn-commit",
                                                  "reply-before-commit",
                                                  "retry-unknown-commit",
                                                  "expiry-in-memory",
                                                  "refund-unchecked"};

//  The world whose trace the abort handler prints (the simulator is one thread).
static sim_world_t *s_current;

//  ------------------------------------------------------------- helpers --

static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
sim_rng_next (sim_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = s_rotl (s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl (s[3], 45);
    return result;
}

//  Seeds the stream with splitmix64, as xoshiro's authors advise.
static void
s_rng_seed (sim_rng_t *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        rng->s[i] = z ^ (z >> 31);
    }
}

uint64_t
sim_below (sim_world_t *w, uint64_t n)
{
    assert (n > 0);
    return sim_rng_next (&w->rng) % n;
}

bool
sim_chance (sim_world_t *w, int permille)
{
    return permille > 0 && (int) sim_below (w, 1000) < permille;
}

//  A fault of `kind` happens with the given rate; counted when it does.
bool
sim_fault (sim_world_t *w, int permille, sim_fault_t kind)
{
    if (!sim_chance (w, permille))
        return false;
    w->stats.faults[kind]++;
    sim_trace (w, "  fault: %s", sim_fault_names[kind]);
    return true;
}

void
sim_trace (sim_world_t *w, const char *format, ...)
{
    char *line = w->trace[w->trace_count++ % SIM_TRACE_LINES];
    int used = snprintf (line, SIM_TRACE_LINE_BYTES, "%6lld t=%-8lld ", (long long) w->step,
                         (long long) (w->now_ms - SIM_START_MS));
    va_list args;
    va_start (args, format);
    vsnprintf (line + used, SIM_TRACE_LINE_BYTES - (size_t) used, format, args);
    va_end (args);
    if (w->trace_live)
        printf ("%s\n", line);
}

void
sim_violation (sim_world_t *w, const char *format, ...)
{
    if (w->violations_count < SIM_VIOLATIONS_MAX) {
        va_list args;
        va_start (args, format);
        vsnprintf (w->violations[w->violations_count], sizeof w->violations[0], format, args);
        va_end (args);
    }
    w->violations_count++;
}

//  A UUID-shaped id that carries its kind and number, so the checker can
//  index arrays by it: kind 0xa accounts, 0xb users, 0xc transactions,
//  0xd outbox messages, 0xe ids that name nothing.
void
sim_uuid (unsigned kind, unsigned n, char out[WF_UUID_BYTES])
{
    snprintf (out, WF_UUID_BYTES, "%08x-0000-4000-8000-%012x", 0x10000000u * kind + n, n);
}

//  The number of an id of `kind`, or -1.
int
sim_uuid_number (const char *text, unsigned kind)
{
    unsigned head = (unsigned) strtoul (text, NULL, 16);
    if (strlen (text) != WF_UUID_LEN || head / 0x10000000u != kind)
        return -1;
    return (int) (head % 0x10000000u);
}

int
sim_account_index (const sim_world_t *w, const char *id)
{
    for (int a = 0; a < w->accounts_count; a++)
        if (streq (w->accounts[a].id, id))
            return a;
    return -1;
}

//  Prints the violations, configuration and last steps of a failed seed.
static void
s_report_failure (sim_world_t *w, FILE *out)
{
    const sim_config_t *c = &w->config;
    fprintf (out, "SEED %llu FAILED at step %lld (plant %s)\n", (unsigned long long) w->seed,
             (long long) w->step, sim_plant_names[w->plant]);
    for (int i = 0; i < w->violations_count && i < SIM_VIOLATIONS_MAX; i++)
        fprintf (out, "  VIOLATION %s\n", w->violations[i]);
    fprintf (out,
             "  config: shards %d, workers/shard %d, relays %d, batch %zu, cache %zu, snapshot "
             "every %d; faults (per mille) commit %d statement %d relay-db %d drop %d dup %d "
             "delay %d consumer %d crashes %d/%d/%d\n",
             c->shards, c->workers, c->relays, c->batch_max, c->cache_max, c->snapshot_every,
             c->commit_fail, c->statement_fail, c->relay_db_fail, c->drop, c->duplicate, c->delay,
             c->consumer_error, c->worker_crash, c->relay_crash, c->process_crash);
    fprintf (out, "  last steps:\n");
    int64_t first = w->trace_count > SIM_TRACE_LINES ? w->trace_count - SIM_TRACE_LINES : 0;
    for (int64_t i = first; i < w->trace_count; i++)
        fprintf (out, "    %s\n", w->trace[i % SIM_TRACE_LINES]);
    fprintf (out, "  replay: wf_sim --seed %llu%s%s%s%s --trace\n", (unsigned long long) w->seed,
             w->plant ? " --plant " : "", w->plant ? sim_plant_names[w->plant] : "",
             c->ambiguous ? " --ambiguous-commits" : "", w->keyed_only ? " --keyed-only" : "");
}

//  An assertion inside the real code (or the model) still names the seed.
static void
s_on_abort (int signal_number)
{
    if (s_current) {
        sim_violation (s_current, "[assert] the process aborted");
        s_report_failure (s_current, stderr);
    }
    signal (SIGABRT, SIG_DFL);
    raise (signal_number);
}

//  ---------------------------------------------------------- the world --

//  Draws a seed's configuration: the shape of the system and its fault rates.
static void
s_config (sim_world_t *w, bool ambiguous)
{
    sim_config_t *c = &w->config;
    c->shards = 1 + (int) sim_below (w, SIM_SHARDS_MAX);
    c->workers = 1 + (int) sim_below (w, SIM_WORKERS_MAX);
    c->relays = 1 + (int) sim_below (w, SIM_RELAYS_MAX);
    c->batch_max = 1 + sim_below (w, SIM_BATCH_MAX);
    c->cache_max = 1 + sim_below (w, SIM_CACHE_MAX);
    c->snapshot_every = 2 + (int) sim_below (w, 8);
    c->commit_fail = (int) sim_below (w, 150);
    c->statement_fail = (int) sim_below (w, 15);
    c->relay_db_fail = (int) sim_below (w, 100);
    c->drop = (int) sim_below (w, 60);
    c->duplicate = (int) sim_below (w, 200);
    c->delay = (int) sim_below (w, 100);
    c->consumer_error = (int) sim_below (w, 100);
    c->worker_crash = (int) sim_below (w, 16); //  per mille of steps
    c->relay_crash = (int) sim_below (w, 16);
    c->process_crash = (int) sim_below (w, 6);
    c->resend = 1 + (int) sim_below (w, 4);
    c->key_reuse = (int) sim_below (w, 60);
    c->ambiguous = ambiguous;
}

//  Allocates what every seed reuses.
static void
s_world_init (sim_world_t *w)
{
    memset (w, 0, sizeof *w);
    sim_store_init (&w->store);
    w->net = (sim_net_t *) calloc (SIM_NET_MAX, sizeof (sim_net_t));
    w->cmds = (sim_cmd_t *) calloc (SIM_COMMANDS_MAX, sizeof (sim_cmd_t));
    wf_buf_init (&w->scratch);
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
        w->replay[a] = wf_account_new ();
    for (int s = 0; s < SIM_SHARDS_MAX; s++)
        for (int k = 0; k < SIM_WORKERS_MAX; k++)
            sim_worker_init (&w->workers[s][k], s, k);
}

//  Every message is lost (a crash of the whole process, or a new seed).
static bool
s_all (const sim_net_t *msg)
{
    (void) msg;
    return true;
}

//  Empties the world for a seed.
static void
s_world_reset (sim_world_t *w, uint64_t seed, sim_plant_t plant, bool ambiguous, bool keyed_only)
{
    sim_store_reset (&w->store);
    sim_net_clear (w, s_all);
    for (int s = 0; s < SIM_SHARDS_MAX; s++)
        for (int k = 0; k < SIM_WORKERS_MAX; k++) {
            sim_worker_crash (w, &w->workers[s][k]);
            w->workers[s][k].up = true;
            w->workers[s][k].batch = 0;
        }
    for (int r = 0; r < SIM_RELAYS_MAX; r++) {
        sim_relay_crash (w, &w->relays[r]);
        w->relays[r].up = true;
    }
    w->seed = seed;
    s_rng_seed (&w->rng, seed);
    w->plant = plant;
    w->keyed_only = keyed_only;
    w->faults_on = w->clients_on = true;
    w->now_ms = SIM_START_MS;
    for (int s = 0; s < SIM_SHARDS_MAX; s++)
        for (int k = 0; k < SIM_WORKERS_MAX; k++)
            w->workers[s][k].up_since_ms = SIM_START_MS;
    w->step = 0;
    w->net_seq = 0;
    w->users = 0;
    memset (w->registered, 0, sizeof w->registered);
    w->accounts_count = 0;
    w->cmds_count = 0;
    w->txids = 0;
    w->holds = 0;
    w->messages = 0;
    w->trace_count = 0;
    w->violations_count = 0;
    s_config (w, ambiguous);
}

static void
s_world_free (sim_world_t *w)
{
    sim_net_clear (w, s_all);
    for (int s = 0; s < SIM_SHARDS_MAX; s++)
        for (int k = 0; k < SIM_WORKERS_MAX; k++)
            sim_worker_free (&w->workers[s][k]);
    for (int a = 0; a < SIM_ACCOUNTS_MAX; a++)
        wf_account_destroy (&w->replay[a]);
    sim_store_free (&w->store);
    free (w->net);
    free (w->cmds);
    free (w->scratch_check);
    wf_buf_free (&w->scratch);
}

//  ---------------------------------------------------------- scheduler --

typedef enum {
    A_REGISTER,
    A_COMMAND,
    A_RESEND,
    A_WORKER,
    A_CLAIM,
    A_REPLIES,
    A_EXPIRE,
    A_DELIVER,
    A_CLOCK,
    A_CRASH_WORKER,
    A_CRASH_RELAY,
    A_CRASH_PROCESS,
    A_RESTART
} s_action_kind_t;

typedef struct {
    s_action_kind_t kind;
    int a, b;
    int weight;
} s_action_t;

#define ACTIONS_MAX 64

//  Adds an enabled action with its weight.
static void
s_offer (s_action_t *actions, int *count, s_action_kind_t kind, int a, int b, int weight)
{
    if (weight <= 0)
        return;
    assert (*count < ACTIONS_MAX);
    actions[(*count)++] = (s_action_t){kind, a, b, weight};
}

//  True when some component is down.
static bool
s_anything_down (const sim_world_t *w)
{
    for (int s = 0; s < w->config.shards; s++)
        for (int k = 0; k < w->config.workers; k++)
            if (!w->workers[s][k].up)
                return true;
    for (int r = 0; r < w->config.relays; r++)
        if (!w->relays[r].up)
            return true;
    return false;
}

//  Lists what may happen now.
static int
s_actions (sim_world_t *w, s_action_t *actions)
{
    int count = 0;
    const sim_config_t *c = &w->config;
    if (w->clients_on) {
        s_offer (actions, &count, A_REGISTER, 0, 0,
                 w->users < SIM_USERS_MAX && w->accounts_count < SIM_ACCOUNTS_MAX
                     ? (w->users < 2 ? 20 : 1)
                     : 0);
        s_offer (actions, &count, A_COMMAND, 0, 0,
                 w->users > 0 && w->cmds_count < SIM_COMMANDS_MAX - 1 ? 8 : 0);
        s_offer (actions, &count, A_RESEND, 0, 0, sim_client_resend (w, true) ? c->resend : 0);
    }
    for (int s = 0; s < c->shards; s++)
        for (int k = 0; k < c->workers; k++)
            s_offer (actions, &count, A_WORKER, s, k,
                     sim_worker_ready (w, &w->workers[s][k]) ? 10 : 0);
    for (int r = 0; r < c->relays; r++) {
        s_offer (actions, &count, A_CLAIM, r, 0, sim_relay_claimable (w, r) ? 3 : 0);
        s_offer (actions, &count, A_REPLIES, r, 0, sim_net_has (w, TO_RELAY, r) ? 4 : 0);
        s_offer (actions, &count, A_EXPIRE, r, 0, sim_relay_expired (w, r) ? 2 : 0);
    }
    s_offer (actions, &count, A_DELIVER, 0, 0, sim_net_ready (w) ? 10 : 0);
    s_offer (actions, &count, A_CLOCK, 0, 0, 1);
    s_offer (actions, &count, A_RESTART, 0, 0, s_anything_down (w) ? 4 : 0);
    return count;
}

//  Moves the clock: a jump to the next thing due, or a random stretch.
static void
s_clock (sim_world_t *w)
{
    int64_t next = sim_net_next_ms (w);
    int64_t relay = sim_relay_next_ms (w);
    next = relay < next ? relay : next;
    int64_t hold = sim_store_holds_next_ms (w); //  the shards' hold timers
    next = hold < next ? hold : next;
    if (next != INT64_MAX && next > w->now_ms && sim_chance (w, 500))
        w->now_ms = next;
    else
        w->now_ms += 1 + (int64_t) sim_below (w, 200);
    sim_trace (w, "clock");
}

//  Crashes one live worker, one live relay, or the whole process.
static void
s_crash (sim_world_t *w, s_action_kind_t kind)
{
    const sim_config_t *c = &w->config;
    if (kind == A_CRASH_WORKER) {
        sim_worker_t *worker =
            &w->workers[sim_below (w, (uint64_t) c->shards)][sim_below (w, (uint64_t) c->workers)];
        if (worker->up) {
            w->stats.faults[F_WORKER_CRASH]++;
            sim_trace (w, "CRASH worker %d.%d (phase %d)", worker->shard, worker->index,
                       (int) worker->phase);
            sim_worker_crash (w, worker);
        }
    } else if (kind == A_CRASH_RELAY) {
        int r = (int) sim_below (w, (uint64_t) c->relays);
        if (w->relays[r].up) {
            w->stats.faults[F_RELAY_CRASH]++;
            sim_trace (w, "CRASH relay %d", r);
            sim_relay_crash (w, &w->relays[r]);
        }
    } else {
        //  kill -9 of the process: broker queues, workers, relays, every
        //  message in flight inside it. Only the store survives.
        w->stats.faults[F_PROCESS_CRASH]++;
        sim_trace (w, "CRASH the whole process");
        for (int s = 0; s < c->shards; s++)
            for (int k = 0; k < c->workers; k++)
                if (w->workers[s][k].up)
                    sim_worker_crash (w, &w->workers[s][k]);
        for (int r = 0; r < c->relays; r++)
            if (w->relays[r].up)
                sim_relay_crash (w, &w->relays[r]);
        sim_net_clear (w, s_all);
    }
}

//  Brings every component that is down back up (a restart from the store:
//  empty caches, new relay incarnations).
static void
s_restart (sim_world_t *w)
{
    for (int s = 0; s < w->config.shards; s++)
        for (int k = 0; k < w->config.workers; k++)
            w->workers[s][k].up = true;
    for (int r = 0; r < w->config.relays; r++)
        w->relays[r].up = true;
    sim_trace (w, "restart");
}

//  Runs one chosen action.
static void
s_run (sim_world_t *w, const s_action_t *action)
{
    switch (action->kind) {
        case A_REGISTER:
            sim_client_register (w);
            break;
        case A_COMMAND:
            sim_client_command (w);
            break;
        case A_RESEND:
            sim_client_resend (w, false);
            break;
        case A_WORKER:
            sim_trace (w, "worker %d.%d", action->a, action->b);
            sim_worker_step (w, &w->workers[action->a][action->b]);
            break;
        case A_CLAIM:
            sim_relay_claim (w, action->a);
            break;
        case A_REPLIES:
            sim_relay_replies (w, action->a);
            break;
        case A_EXPIRE:
            sim_trace (w, "relay %d expires late deliveries", action->a);
            sim_relay_expire (w, action->a);
            break;
        case A_DELIVER:
            sim_net_deliver (w);
            break;
        case A_CLOCK:
            s_clock (w);
            break;
        case A_CRASH_WORKER:
        case A_CRASH_RELAY:
        case A_CRASH_PROCESS:
            s_crash (w, action->kind);
            break;
        case A_RESTART:
            s_restart (w);
            break;
    }
}

//  One step: pick an enabled action by weight, run it, check everything.
static void
s_step (sim_world_t *w)
{
    s_action_t actions[ACTIONS_MAX];
    int count = s_actions (w, actions);
    int total = 0;
    for (int i = 0; i < count; i++)
        total += actions[i].weight;
    int pick = (int) sim_below (w, (uint64_t) total);
    int i = 0;
    while (pick >= actions[i].weight)
        pick -= actions[i++].weight;
    w->step++;
    w->now_ms += (int64_t) sim_below (w, 4);
    //  A crash may take the place of any step, so it falls between any two.
    s_action_t crash = {A_CLOCK, 0, 0, 0};
    if (w->faults_on && sim_chance (w, w->config.worker_crash))
        crash.kind = A_CRASH_WORKER;
    else if (w->faults_on && sim_chance (w, w->config.relay_crash))
        crash.kind = A_CRASH_RELAY;
    else if (w->faults_on && sim_chance (w, w->config.process_crash))
        crash.kind = A_CRASH_PROCESS;
    s_run (w, crash.kind != A_CLOCK ? &crash : &actions[i]);
    sim_check (w, w->step % 32 == 0);
}

//  True when nothing is left to do: no message, no batch, no row in hand,
//  every outbox row delivered.
static bool
s_quiet (sim_world_t *w)
{
    if (w->net_high > 0)
        return false;
    for (int s = 0; s < w->config.shards; s++)
        for (int k = 0; k < w->config.workers; k++)
            if (w->workers[s][k].phase != PHASE_IDLE)
                return false;
    for (int r = 0; r < w->config.relays; r++)
        if (w->relays[r].rows_used)
            return false;
    for (size_t i = 0; i < w->store.outbox_count; i++)
        if (!w->store.outbox[i].delivered)
            return false;
    return sim_store_holds_open (w) < 0; //  every hold captured, voided or expired
}

//  Runs one seed; true when it passed.
static bool
s_run_seed (sim_world_t *w, uint64_t seed, int64_t steps, sim_plant_t plant, bool ambiguous,
            bool keyed_only)
{
    s_world_reset (w, seed, plant, ambiguous, keyed_only);
    s_current = w;
    sim_trace (w, "seed %llu", (unsigned long long) seed);
    for (int64_t i = 0; i < steps && !w->violations_count; i++)
        s_step (w);
    if (!w->violations_count) {
        sim_trace (w, "--- faults and clients stop; draining");
        w->faults_on = w->clients_on = false;
        s_restart (w);
        int64_t drained = 0;
        while (!s_quiet (w) && !w->violations_count && drained++ < SIM_QUIESCE_STEPS_MAX)
            s_step (w);
        if (s_quiet (w) && drained > w->stats.drain_steps_max)
            w->stats.drain_steps_max = drained;
        if (!w->violations_count && !s_quiet (w)) {
            size_t stuck = 0;
            while (stuck < w->store.outbox_count && w->store.outbox[stuck].delivered)
                stuck++;
            const sim_outbox_t *row =
                stuck < w->store.outbox_count ? &w->store.outbox[stuck] : NULL;
            int hold = sim_store_holds_open (w);
            if (hold >= 0)
                sim_violation (w,
                               "[holds] hold %d (account %d) still open %lld ms after it was "
                               "due, when the system drained",
                               hold, w->store.holds[hold].account,
                               (long long) (w->now_ms - w->store.holds[hold].expires_at_ms));
            if (hold < 0 || row)
                sim_violation (w,
                               "[liveness] the system did not drain in %d steps (first "
                               "undelivered outbox row: %zu %s, %d attempts, pending %x)",
                               SIM_QUIESCE_STEPS_MAX, stuck + 1, row ? row->type : "none",
                               row ? row->attempts : 0, row ? row->pending : 0);
        }
    }
    if (!w->violations_count)
        sim_check_final (w);
    w->stats.steps += w->step;
    s_current = NULL;
    return w->violations_count == 0;
}

//  -------------------------------------------------------------- main --

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: wf_sim [--seeds N] [--first S] [--seed S] [--steps N] [--plant BUG]\n"
                  "              [--expect-failure] [--ambiguous-commits] [--keyed-only]\n"
                  "              [--trace] [--quiet]\n"
                  "planted bugs:");
    for (int p = 1; p < PLANT_COUNT; p++)
        fprintf (out, " %s", sim_plant_names[p]);
    fprintf (out, "\n");
}

//  Prints the totals of a run.
static void
s_summary (const sim_world_t *w, int64_t seeds, int64_t failed, double seconds)
{
    const sim_stats_t *s = &w->stats;
    printf ("wf_sim: %lld seeds, %lld failed, %lld steps, %lld events committed in %lld "
            "transactions, %lld commands (%lld acknowledged), %lld messages delivered, %.1f s "
            "(%.0f steps/s)\n",
            (long long) seeds, (long long) failed, (long long) s->steps, (long long) s->events,
            (long long) s->txns, (long long) s->commands, (long long) s->acked,
            (long long) s->deliveries, seconds, seconds > 0 ? (double) s->steps / seconds : 0);
    printf ("faults injected:");
    for (int f = 0; f < F_COUNT; f++)
        printf ("%s %s %lld", f ? "," : "", sim_fault_names[f], (long long) s->faults[f]);
    printf ("\npaths taken:");
    for (int c = 0; c < C_COUNT; c++)
        printf ("%s %s %lld", c ? "," : "", sim_coverage_names[c], (long long) s->coverage[c]);
    printf ("\nlongest drain: %lld steps", (long long) s->drain_steps_max);
    printf ("\nevents committed:");
    for (int t = 1; t < WF_ACCOUNT_EVENT_COUNT; t++)
        printf ("%s %s %lld", t > 1 ? "," : "", wf_account_event_type_name (t),
                (long long) s->events_by_type[t]);
    printf ("\n");
}

int
main (int argc, char *argv[])
{
    uint64_t first = 1, seeds = 1;
    int64_t steps = SIM_STEPS_DEFAULT;
    sim_plant_t plant = PLANT_NONE;
    bool expect_failure = false, ambiguous = false, keyed_only = false, trace = false,
         quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (streq (arg, "--seeds") && value)
            seeds = strtoull (value, NULL, 10), i++;
        else if (streq (arg, "--first") && value)
            first = strtoull (value, NULL, 10), i++;
        else if (streq (arg, "--seed") && value)
            first = strtoull (value, NULL, 10), seeds = 1, i++;
        else if (streq (arg, "--steps") && value)
            steps = strtoll (value, NULL, 10), i++;
        else if (streq (arg, "--plant") && value) {
            plant = PLANT_COUNT;
            for (int p = 0; p < PLANT_COUNT; p++)
                if (streq (value, sim_plant_names[p]))
                    plant = (sim_plant_t) p;
            i++;
            if (plant == PLANT_COUNT) {
                s_usage (stderr);
                return 2;
            }
        } else if (streq (arg, "--expect-failure"))
            expect_failure = true;
        else if (streq (arg, "--ambiguous-commits"))
            ambiguous = true;
        else if (streq (arg, "--keyed-only"))
            keyed_only = true;
        else if (streq (arg, "--trace"))
            trace = true;
        else if (streq (arg, "--quiet"))
            quiet = true;
        else {
            s_usage (streq (arg, "--help") ? stdout : stderr);
            return streq (arg, "--help") ? 0 : 2;
        }
    }
    if (steps < 1 || steps > SIM_STEPS_MAX || seeds < 1) {
        fprintf (stderr, "wf_sim: --steps must be 1..%d and --seeds at least 1\n", SIM_STEPS_MAX);
        return 2;
    }
    json_object_seed (0x5eed); //  jansson's hash order, fixed
    signal (SIGABRT, s_on_abort);
    sim_world_t *w = (sim_world_t *) calloc (1, sizeof (sim_world_t));
    s_world_init (w);
    w->trace_live = trace;
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    int64_t failed = 0, ran = 0;
    uint64_t first_failure = 0;
    for (uint64_t seed = first; seed < first + seeds; seed++) {
        ran++;
        if (!s_run_seed (w, seed, steps, plant, ambiguous, keyed_only)) {
            if (!failed)
                first_failure = seed;
            failed++;
            if (!quiet || !expect_failure)
                s_report_failure (w, stdout);
            if (expect_failure)
                break; //  caught: one is enough
        }
    }
    clock_gettime (CLOCK_MONOTONIC, &end);
    double seconds =
        (double) (end.tv_sec - start.tv_sec) + (double) (end.tv_nsec - start.tv_nsec) / 1e9;
    s_summary (w, ran, failed, seconds);
    if (expect_failure)
        printf ("planted bug %s: %s\n", sim_plant_names[plant], failed ? "caught" : "NOT caught");
    if (expect_failure && failed)
        printf ("caught at seed %llu, after %lld seeds\n", (unsigned long long) first_failure,
                (long long) ran);
    s_world_free (w);
    free (w);
    return expect_failure ? (failed ? 0 : 1) : (failed ? 1 : 0);
}
