/*  wf_sim_check - the invariants of DESIGN.md section 5, checked against the
    committed store after every step (the same list `walletflow audit` runs
    in SQL, actors/runtime/wf_audit.c, plus what only the simulator knows:
    which commands were acknowledged, and with which answer).

      1 versions    each stream's versions run 1..n in commit order
      2 no negative the balance replayed with plain arithmetic never goes
                    below zero nor overflows; AccountOpened first, once
      3 conservation per currency: balances + in flight = deposits - withdrawals
      4 credits     every transfer closed (TransferReceived or
                    TransferRefunded) at most once, for its amount, in its
                    currency, the refund to its source
      5 commands    every acknowledged command is in the store exactly once,
                    with the transaction id its answer named; no command,
                    and no idempotency key, takes effect twice
      6 read model  accounts, transfers and history rows equal the replay;
                    the real aggregate replayed from the events agrees
      7 holds       placed once, closed at most once, a capture within its
                    hold, an expiry only when due; available >= -limit at
                    every version; held == the open holds (events, holds
                    table, accounts row, aggregate)
      8 refunds     of a movement of the same account and the right kind,
                    a reversal to the original sender, never past the
                    original; transactions.refunded equals the events
    and, every few steps and at the end ("deep"): every stored event's JSON
    decodes to the event decided, every snapshot equals the replay at its
    version, every clean cached aggregate equals the replay.
    At the end, after the faults stop and the system drains: every outbox
    row reached every destination, nothing is in flight, every registered
    user has a default wallet.

    The independent replay runs first: the real aggregate asserts its own
    invariants when applying, so it only replays a store that passed.
*/
#include "wf_sim.h"
#include "wf_account_codec.h"
#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CURRENCIES_MAX 8

struct sim_scratch_t {
    int64_t sent_amount[SIM_TXIDS_MAX];
    int sent_account[SIM_TXIDS_MAX];
    int closed[SIM_TXIDS_MAX];
    wf_account_event_type_t closed_type[SIM_TXIDS_MAX];
    //  refunds, by the original's txid
    wf_account_event_type_t orig_type[SIM_TXIDS_MAX];
    int orig_account[SIM_TXIDS_MAX], orig_sender[SIM_TXIDS_MAX];
    int64_t orig_amount[SIM_TXIDS_MAX], refunded[SIM_TXIDS_MAX];
    int applied[SIM_COMMANDS_MAX];
    int applied_txid[SIM_COMMANDS_MAX];
    int group_applied[SIM_COMMANDS_MAX];
    int64_t balance[SIM_ACCOUNTS_MAX];
    int64_t held[SIM_ACCOUNTS_MAX], limit[SIM_ACCOUNTS_MAX];
    //  holds, by hold number, from the events
    int hold_account[SIM_HOLDS_MAX]; //  -1 = not placed
    int64_t hold_amount[SIM_HOLDS_MAX], hold_expires[SIM_HOLDS_MAX], hold_captured[SIM_HOLDS_MAX];
    int hold_closes[SIM_HOLDS_MAX];
    int hold_capture_txid[SIM_HOLDS_MAX];
    wf_account_event_type_t hold_close_type[SIM_HOLDS_MAX];
    int money_events[SIM_ACCOUNTS_MAX];
    wf_account_status_t status[SIM_ACCOUNTS_MAX];
    char currency[SIM_ACCOUNTS_MAX][4];
    char codes[CURRENCIES_MAX][4];
    int64_t balances[CURRENCIES_MAX], deposits[CURRENCIES_MAX], withdrawals[CURRENCIES_MAX],
        flight[CURRENCIES_MAX], deposit_refunds[CURRENCIES_MAX], withdrawal_refunds[CURRENCIES_MAX];
    int codes_count;
};

//  The slot of a currency in the totals.
static int
s_code (struct sim_scratch_t *c, const char *code)
{
    for (int i = 0; i < c->codes_count; i++)
        if (streq (c->codes[i], code))
            return i;
    assert (c->codes_count < CURRENCIES_MAX);
    snprintf (c->codes[c->codes_count], 4, "%s", code);
    return c->codes_count++;
}

//  The command a money event came from ("c<n>" in its description), or -1.
static int
s_command_of (const sim_world_t *w, const wf_account_event_t *event)
{
    if (event->description[0] != 'c')
        return -1;
    int n = atoi (event->description + 1);
    return n >= 0 && n < w->cmds_count ? n : -1;
}

//  Adds to a balance; false on overflow (how low it may go is the overdraft's check).
static bool
s_add (int64_t *balance, int64_t amount)
{
    int64_t result;
    if (__builtin_add_overflow (*balance, amount, &result))
        return false;
    *balance = result;
    return true;
}

//  A hold event of account a: placed once, closed at most once, a capture
//  within its hold, an expiry only when due. False after a violation.
static bool
s_replay_hold (sim_world_t *w, struct sim_scratch_t *c, int a, const wf_account_event_t *e)
{
    int h = sim_uuid_number (e->hold_id, 0xd);
    if (h < 0 || h >= w->holds) {
        sim_violation (w, "[holds] account %d: %s of an unknown hold %s", a,
                       wf_account_event_type_name (e->type), e->hold_id);
        return false;
    }
    if (e->type == WF_ACCOUNT_EVENT_HOLD_PLACED) {
        if (c->hold_account[h] >= 0 || e->amount <= 0) {
            sim_violation (w, "[holds] hold %d placed twice or for %lld", h, (long long) e->amount);
            return false;
        }
        c->hold_account[h] = a;
        c->hold_amount[h] = e->amount;
        c->hold_expires[h] = e->expires_at_ms;
        c->held[a] += e->amount;
        return true;
    }
    if (c->hold_account[h] != a) {
        sim_violation (w, "[holds] account %d: %s of hold %d, placed on account %d", a,
                       wf_account_event_type_name (e->type), h, c->hold_account[h]);
        return false;
    }
    if (++c->hold_closes[h] > 1) {
        sim_violation (w, "[holds] hold %d closed twice (%s after %s)", h,
                       wf_account_event_type_name (e->type),
                       wf_account_event_type_name (c->hold_close_type[h]));
        return false;
    }
    c->hold_close_type[h] = e->type;
    if (e->held_amount != c->hold_amount[h]) {
        sim_violation (w, "[holds] hold %d of %lld released as %lld", h,
                       (long long) c->hold_amount[h], (long long) e->held_amount);
        return false;
    }
    if (e->type == WF_ACCOUNT_EVENT_HOLD_CAPTURED) {
        if (e->amount <= 0 || e->amount > c->hold_amount[h]) {
            sim_violation (w, "[holds] hold %d of %lld captured for %lld", h,
                           (long long) c->hold_amount[h], (long long) e->amount);
            return false;
        }
        c->hold_captured[h] = e->amount;
        c->hold_capture_txid[h] = sim_uuid_number (e->transaction_id, 0xc);
    }
    if (e->type == WF_ACCOUNT_EVENT_HOLD_EXPIRED && e->occurred_at_ms < c->hold_expires[h]) {
        sim_violation (w, "[holds] hold %d expired %lld ms before it was due", h,
                       (long long) (c->hold_expires[h] - e->occurred_at_ms));
        return false;
    }
    c->held[a] -= c->hold_amount[h];
    return true;
}

//  A refund of account a: of a movement of the same account and the right
//  kind (a reversal's credit to the original sender), never past the original.
static bool
s_replay_refund (sim_world_t *w, struct sim_scratch_t *c, int a, const wf_account_event_t *e)
{
    int o = sim_uuid_number (e->original_id, 0xc);
    wf_account_event_type_t want =
        e->type == WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED      ? WF_ACCOUNT_EVENT_DEPOSITED
        : e->type == WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED ? WF_ACCOUNT_EVENT_WITHDRAWN
                                                          : WF_ACCOUNT_EVENT_TRANSFER_RECEIVED;
    if (o < 0 || o >= w->txids || c->orig_account[o] != a || c->orig_type[o] != want) {
        sim_violation (w, "[refunds] account %d: %s of %s, which is no %s of this account", a,
                       wf_account_event_type_name (e->type), e->original_id,
                       wf_account_event_type_name (want));
        return false;
    }
    if (e->type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED &&
        sim_account_index (w, e->counterparty_id) != c->orig_sender[o]) {
        sim_violation (w, "[refunds] transfer %d reversed to account %d, not its sender %d", o,
                       sim_account_index (w, e->counterparty_id), c->orig_sender[o]);
        return false;
    }
    c->refunded[o] += e->amount;
    if (c->refunded[o] > c->orig_amount[o]) {
        sim_violation (w, "[refunds] transaction %d of %lld refunded %lld", o,
                       (long long) c->orig_amount[o], (long long) c->refunded[o]);
        return false;
    }
    return true;
}

//  Invariants 1 and 2 for one stream, collecting what 3-6 need.
static void
s_replay_stream (sim_world_t *w, struct sim_scratch_t *c, int a)
{
    const sim_store_t *store = &w->store;
    c->balance[a] = 0;
    c->held[a] = 0;
    c->limit[a] = 0;
    c->money_events[a] = 0;
    c->status[a] = WF_ACCOUNT_STATUS_NONE;
    c->currency[a][0] = 0;
    for (size_t k = 0; k < store->stream_count[a]; k++) {
        const sim_event_t *stored = &store->events[store->stream[a][k]];
        const wf_account_event_t *e = &stored->event;
        if (stored->version != (int64_t) k + 1) {
            sim_violation (w, "[versions] account %d: event %zu has version %lld", a, k + 1,
                           (long long) stored->version);
            return;
        }
        if ((e->type == WF_ACCOUNT_EVENT_OPENED) != (k == 0)) {
            sim_violation (w,
                           "[no negative] account %d: AccountOpened is not exactly the first "
                           "event (version %zu)",
                           a, k + 1);
            return;
        }
        int cmd = s_command_of (w, e);
        int txid = e->transaction_id[0] ? sim_uuid_number (e->transaction_id, 0xc) : -1;
        int code = e->type == WF_ACCOUNT_EVENT_OPENED ? s_code (c, e->currency)
                                                      : s_code (c, c->currency[a]);
        bool ok = true;
        switch (e->type) {
            case WF_ACCOUNT_EVENT_OPENED:
                snprintf (c->currency[a], 4, "%s", e->currency);
                c->status[a] = WF_ACCOUNT_STATUS_ACTIVE;
                break;
            case WF_ACCOUNT_EVENT_DEPOSITED:
            case WF_ACCOUNT_EVENT_WITHDRAWN:
            case WF_ACCOUNT_EVENT_TRANSFER_SENT: {
                bool credit = e->type == WF_ACCOUNT_EVENT_DEPOSITED;
                ok = e->amount > 0 && s_add (&c->balance[a], credit ? e->amount : -e->amount);
                if (e->type != WF_ACCOUNT_EVENT_TRANSFER_SENT && txid >= 0) {
                    c->orig_type[txid] = e->type;
                    c->orig_account[txid] = a;
                    c->orig_amount[txid] = e->amount;
                }
                if (credit)
                    c->deposits[code] += e->amount;
                else if (e->type == WF_ACCOUNT_EVENT_WITHDRAWN)
                    c->withdrawals[code] += e->amount;
                else if (txid >= 0) {
                    c->sent_amount[txid] = e->amount;
                    c->sent_account[txid] = a;
                }
                if (cmd >= 0) {
                    c->applied[cmd]++;
                    c->applied_txid[cmd] = txid;
                }
                c->money_events[a]++;
                break;
            }
            case WF_ACCOUNT_EVENT_TRANSFER_RECEIVED:
            case WF_ACCOUNT_EVENT_TRANSFER_REFUNDED:
                ok = e->amount > 0 && s_add (&c->balance[a], e->amount);
                if (txid >= 0 && e->type == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED) {
                    c->orig_type[txid] = e->type;
                    c->orig_account[txid] = a;
                    c->orig_amount[txid] = e->amount;
                    c->orig_sender[txid] = sim_account_index (w, e->counterparty_id);
                }
                if (txid >= 0) {
                    c->closed[txid]++;
                    c->closed_type[txid] = e->type;
                    //  The checks against the TransferSent run after every stream.
                    c->flight[code] -= e->amount;
                }
                c->money_events[a]++;
                break;
            case WF_ACCOUNT_EVENT_SUSPENDED:
                c->status[a] = WF_ACCOUNT_STATUS_SUSPENDED;
                break;
            case WF_ACCOUNT_EVENT_REACTIVATED:
                c->status[a] = WF_ACCOUNT_STATUS_ACTIVE;
                break;
            case WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED:
            case WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED:
            case WF_ACCOUNT_EVENT_TRANSFER_REVERSED: {
                bool credit = e->type == WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED;
                ok = e->amount > 0 && s_add (&c->balance[a], credit ? e->amount : -e->amount);
                if (!ok || !s_replay_refund (w, c, a, e))
                    break;
                if (e->type == WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED)
                    c->deposit_refunds[code] += e->amount;
                else if (credit)
                    c->withdrawal_refunds[code] += e->amount;
                else if (txid >= 0) { //  its credit leg travels like a TransferSent's
                    c->sent_amount[txid] = e->amount;
                    c->sent_account[txid] = a;
                }
                if (cmd >= 0) {
                    c->applied[cmd]++;
                    c->applied_txid[cmd] = txid;
                }
                c->money_events[a]++;
                break;
            }
            case WF_ACCOUNT_EVENT_OVERDRAFT_SET:
                ok = e->overdraft_limit >= 0;
                c->limit[a] = e->overdraft_limit;
                break;
            case WF_ACCOUNT_EVENT_HOLD_PLACED:
            case WF_ACCOUNT_EVENT_HOLD_CAPTURED:
            case WF_ACCOUNT_EVENT_HOLD_VOIDED:
            case WF_ACCOUNT_EVENT_HOLD_EXPIRED:
                ok = s_replay_hold (w, c, a, e);
                if (!ok)
                    return;
                break;
            default:
                ok = false;
        }
        //  The overdraft rule at every version: available = balance - held >= -limit.
        if (ok && (c->held[a] < 0 || c->balance[a] - c->held[a] < -c->limit[a])) {
            sim_violation (w,
                           "[overdraft] account %d at version %zu (%s): balance %lld - held %lld "
                           "< -limit %lld",
                           a, k + 1, wf_account_event_type_name (e->type),
                           (long long) c->balance[a], (long long) c->held[a],
                           (long long) c->limit[a]);
            return;
        }
        if (!ok) {
            sim_violation (w,
                           "[no negative] account %d: balance %lld breaks at version %zu (%s %lld)",
                           a, (long long) c->balance[a], k + 1,
                           wf_account_event_type_name (e->type), (long long) e->amount);
            return;
        }
    }
    if (c->currency[a][0])
        c->balances[s_code (c, c->currency[a])] += c->balance[a];
}

//  Invariant 4, and the money in flight for invariant 3.
static void
s_check_transfers (sim_world_t *w, struct sim_scratch_t *c)
{
    for (int t = 0; t < w->txids; t++) {
        bool sent = c->sent_amount[t] > 0;
        if (c->closed[t] > 1)
            sim_violation (w, "[credits] transfer %d closed %d times", t, c->closed[t]);
        if (c->closed[t] && !sent)
            sim_violation (w, "[credits] transfer %d closed without a TransferSent", t);
        if (!sent)
            continue;
        int source = c->sent_account[t];
        int code = s_code (c, c->currency[source]);
        c->flight[code] += c->sent_amount[t]; //  closings subtracted their amounts already
        const sim_transfer_t *row = &w->store.transfers[t];
        sim_transfer_status_t expected =
            !c->closed[t]
                ? TRANSFER_IN_FLIGHT
                : (c->closed_type[t] == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED ? TRANSFER_COMPLETED
                                                                           : TRANSFER_REFUNDED);
        if (row->status != expected)
            sim_violation (w, "[read model] transfer %d row says %d, the events %d", t,
                           (int) row->status, (int) expected);
        if (c->closed[t] && c->closed_type[t] == WF_ACCOUNT_EVENT_TRANSFER_REFUNDED &&
            row->source != source)
            sim_violation (w, "[credits] transfer %d refunded to another account", t);
    }
}

//  Invariant 4's amounts and currencies: checked from the closing events.
static void
s_check_closings (sim_world_t *w, struct sim_scratch_t *c)
{
    const sim_store_t *store = &w->store;
    for (size_t i = 0; i < store->events_count; i++) {
        const wf_account_event_t *e = &store->events[i].event;
        if (e->type != WF_ACCOUNT_EVENT_TRANSFER_RECEIVED &&
            e->type != WF_ACCOUNT_EVENT_TRANSFER_REFUNDED)
            continue;
        int t = sim_uuid_number (e->transaction_id, 0xc);
        if (t < 0 || c->sent_amount[t] == 0)
            continue;
        if (e->amount != c->sent_amount[t])
            sim_violation (w, "[credits] transfer %d closed for %lld instead of %lld", t,
                           (long long) e->amount, (long long) c->sent_amount[t]);
        int a = store->events[i].account;
        if (e->type == WF_ACCOUNT_EVENT_TRANSFER_RECEIVED &&
            strcmp (c->currency[a], c->currency[c->sent_account[t]]) != 0)
            sim_violation (w, "[credits] transfer %d crosses currencies", t);
    }
}

//  Invariant 3.
static void
s_check_conservation (sim_world_t *w, struct sim_scratch_t *c)
{
    for (int i = 0; i < c->codes_count; i++)
        if (c->balances[i] + c->flight[i] !=
            c->deposits[i] - c->withdrawals[i] - c->deposit_refunds[i] + c->withdrawal_refunds[i])
            sim_violation (w,
                           "[conservation] %s: balances %lld + in flight %lld != deposits %lld "
                           "- withdrawals %lld - deposits refunded %lld + withdrawals refunded "
                           "%lld",
                           c->codes[i], (long long) c->balances[i], (long long) c->flight[i],
                           (long long) c->deposits[i], (long long) c->withdrawals[i],
                           (long long) c->deposit_refunds[i], (long long) c->withdrawal_refunds[i]);
    //  The transactions read model's `refunded` equals the refund events.
    for (int t = 0; t < w->txids; t++)
        if (w->store.tx_refunded[t] != c->refunded[t])
            sim_violation (w,
                           "[refunds] transaction %d: refunded %lld in the read model, %lld "
                           "in the events",
                           t, (long long) w->store.tx_refunded[t], (long long) c->refunded[t]);
}

//  Invariant 5.
static void
s_check_commands (sim_world_t *w, struct sim_scratch_t *c)
{
    for (int n = 0; n < w->cmds_count; n++) {
        const sim_cmd_t *cmd = &w->cmds[n];
        if (c->applied[n] > 1)
            sim_violation (w, "[commands] command %d applied %d times", n, c->applied[n]);
        if (cmd->keyed)
            c->group_applied[cmd->key_group] += c->applied[n];
        if (!cmd->acked)
            continue;
        const sim_store_t *store = &w->store;
        switch (cmd->kind) {
            case CMD_DEPOSIT:
            case CMD_WITHDRAW:
            case CMD_TRANSFER:
            case CMD_REFUND:
                if (c->applied[n] != 1 || c->applied_txid[n] != cmd->acked_txid)
                    sim_violation (w,
                                   "[commands] command %d acknowledged with transaction %d "
                                   "but applied %d times (last as %d)",
                                   n, cmd->acked_txid, c->applied[n],
                                   c->applied[n] ? c->applied_txid[n] : -1);
                break;
            case CMD_HOLD:
                if (cmd->acked_hold < 0 || c->hold_account[cmd->acked_hold] != cmd->account)
                    sim_violation (w,
                                   "[commands] hold command %d acknowledged (hold %d) but not "
                                   "placed on its account",
                                   n, cmd->acked_hold);
                break;
            case CMD_CAPTURE:
            case CMD_VOID: {
                int h = cmd->acked_hold;
                wf_account_event_type_t want = cmd->kind == CMD_CAPTURE
                                                   ? WF_ACCOUNT_EVENT_HOLD_CAPTURED
                                                   : WF_ACCOUNT_EVENT_HOLD_VOIDED;
                if (h < 0 || h != cmd->hold || c->hold_closes[h] != 1 ||
                    c->hold_close_type[h] != want ||
                    (cmd->kind == CMD_CAPTURE && c->hold_capture_txid[h] != cmd->acked_txid))
                    sim_violation (w,
                                   "[commands] command %d acknowledged on hold %d, which the "
                                   "events do not close that way",
                                   n, h);
                break;
            }
            case CMD_OPEN:
            case CMD_SUSPEND:
            case CMD_REACTIVATE:
            case CMD_OVERDRAFT:
                if ((int64_t) store->stream_count[cmd->account] < cmd->acked_version)
                    sim_violation (w,
                                   "[commands] command %d acknowledged at version %lld, the "
                                   "stream has %zu events",
                                   n, (long long) cmd->acked_version,
                                   store->stream_count[cmd->account]);
                break;
        }
    }
    for (int n = 0; n < w->cmds_count; n++)
        if (c->group_applied[n] > 1)
            sim_violation (w, "[commands] idempotency key of command %d took effect %d times", n,
                           c->group_applied[n]);
}

//  Invariant 6: the read models, then the real aggregate's replay.
static void
s_check_read_model (sim_world_t *w, struct sim_scratch_t *c, bool replay)
{
    const sim_store_t *store = &w->store;
    for (int a = 0; a < w->accounts_count; a++) {
        const sim_account_row_t *row = &store->accounts[a];
        int64_t n = (int64_t) store->stream_count[a];
        if (row->exists != (n > 0) ||
            (n > 0 && (row->balance != c->balance[a] || row->version != n ||
                       row->status != c->status[a] || strcmp (row->currency, c->currency[a]))))
            sim_violation (w, "[read model] account %d: row %lld@%lld, replay %lld@%lld", a,
                           (long long) row->balance, (long long) row->version,
                           (long long) c->balance[a], (long long) n);
        if (n > 0 && (row->held != c->held[a] || row->overdraft_limit != c->limit[a]))
            sim_violation (w, "[read model] account %d: row held %lld limit %lld, events %lld %lld",
                           a, (long long) row->held, (long long) row->overdraft_limit,
                           (long long) c->held[a], (long long) c->limit[a]);
        if (store->history[a] != c->money_events[a])
            sim_violation (w, "[read model] account %d: %d history rows for %d money events", a,
                           store->history[a], c->money_events[a]);
        if (!replay)
            continue;
        wf_account_t *fresh = wf_account_new ();
        wf_account_copy (w->replay[a], fresh);
        wf_account_destroy (&fresh);
        for (size_t k = 0; k < store->stream_count[a]; k++)
            wf_account_apply (w->replay[a], &store->events[store->stream[a][k]].event);
        const wf_account_state_t *state = wf_account_state (w->replay[a]);
        if (state->balance != c->balance[a] || state->version != n ||
            state->status != c->status[a] || state->held != c->held[a] ||
            state->overdraft_limit != c->limit[a])
            sim_violation (w, "[read model] account %d: the aggregate replays to %lld@%lld", a,
                           (long long) state->balance, (long long) state->version);
    }
}

//  The holds table against the events: each row's status, amounts and
//  capture; held == the sum of the account's open holds.
static void
s_check_holds (sim_world_t *w, struct sim_scratch_t *c)
{
    int64_t open[SIM_ACCOUNTS_MAX] = {0};
    for (int h = 0; h < w->holds; h++) {
        const sim_hold_row_t *row = &w->store.holds[h];
        sim_hold_status_t expected = HOLD_NONE;
        if (c->hold_account[h] >= 0)
            expected = !c->hold_closes[h]                                        ? HOLD_OPEN
                       : c->hold_close_type[h] == WF_ACCOUNT_EVENT_HOLD_CAPTURED ? HOLD_CAPTURED
                       : c->hold_close_type[h] == WF_ACCOUNT_EVENT_HOLD_VOIDED   ? HOLD_VOIDED
                                                                                 : HOLD_EXPIRED;
        if (row->status != expected ||
            (expected != HOLD_NONE &&
             (row->account != c->hold_account[h] || row->amount != c->hold_amount[h] ||
              row->expires_at_ms != c->hold_expires[h])) ||
            (expected == HOLD_CAPTURED && (row->captured_amount != c->hold_captured[h] ||
                                           row->capture_txid != c->hold_capture_txid[h]))) {
            sim_violation (w, "[read model] hold %d: row says %d, the events %d", h,
                           (int) row->status, (int) expected);
            continue;
        }
        if (row->status == HOLD_OPEN)
            open[row->account] += row->amount;
    }
    for (int a = 0; a < w->accounts_count; a++)
        if (open[a] != c->held[a])
            sim_violation (w, "[holds] account %d: held %lld, its open holds %lld", a,
                           (long long) c->held[a], (long long) open[a]);
}

//  Deep: events and snapshots through the codec, clean caches.
static void
s_check_deep (sim_world_t *w)
{
    const sim_store_t *store = &w->store;
    for (size_t i = 0; i < store->events_count; i++) {
        json_error_t error;
        json_t *json = json_loads (store->events[i].json, 0, &error);
        wf_account_event_t decoded;
        const char *why = NULL;
        if (!json || wf_account_event_from_json (json, &decoded, &why) != 0 ||
            memcmp (&decoded, &store->events[i].event, sizeof decoded) != 0)
            sim_violation (w, "[codec] event %zu does not decode to what was decided (%s)", i,
                           why ? why : "differs");
        json_decref (json);
    }
    sim_txn_t *none = sim_txn_new ();
    bool faults = w->faults_on;
    w->faults_on = false; //  the checker's own reads never fail
    for (int a = 0; a < w->accounts_count; a++) {
        wf_account_t *loaded = wf_account_new ();
        if (sim_store_load (w, none, a, loaded) < 0 || !wf_account_equal (loaded, w->replay[a]))
            sim_violation (w,
                           "[snapshot] account %d loads (snapshot %lld + events) to another "
                           "state than its replay",
                           a, (long long) store->snapshot_version[a]);
        for (int s = 0; s < w->config.shards; s++)
            for (int k = 0; k < w->config.workers; k++) {
                const sim_entry_t *entry = &w->workers[s][k].cache[a];
                if (w->workers[s][k].up && entry->present && !entry->touched &&
                    wf_account_state (entry->account)->version ==
                        (int64_t) store->stream_count[a] &&
                    !wf_account_equal (entry->account, w->replay[a]))
                    sim_violation (w,
                                   "[cache] worker %d.%d holds account %d at its committed "
                                   "version with another state",
                                   s, k, a);
            }
        wf_account_destroy (&loaded);
    }
    w->faults_on = faults;
    free (none);
}

//  Every invariant over the committed store; violations go to the world.
void
sim_check (sim_world_t *w, bool deep)
{
    if (!w->scratch_check)
        w->scratch_check = (struct sim_scratch_t *) calloc (1, sizeof (struct sim_scratch_t));
    struct sim_scratch_t *c = w->scratch_check;
    memset (c->sent_amount, 0, (size_t) w->txids * sizeof (int64_t));
    memset (c->closed, 0, (size_t) w->txids * sizeof (int));
    memset (c->applied, 0, (size_t) w->cmds_count * sizeof (int));
    memset (c->group_applied, 0, (size_t) w->cmds_count * sizeof (int));
    memset (c->balances, 0, sizeof c->balances);
    memset (c->deposits, 0, sizeof c->deposits);
    memset (c->withdrawals, 0, sizeof c->withdrawals);
    memset (c->flight, 0, sizeof c->flight);
    memset (c->deposit_refunds, 0, sizeof c->deposit_refunds);
    memset (c->withdrawal_refunds, 0, sizeof c->withdrawal_refunds);
    memset (c->orig_account, 0xff, (size_t) w->txids * sizeof (int));
    memset (c->refunded, 0, (size_t) w->txids * sizeof (int64_t));
    memset (c->hold_account, 0xff, (size_t) w->holds * sizeof (int));
    memset (c->hold_closes, 0, (size_t) w->holds * sizeof (int));
    c->codes_count = 0;
    int before = w->violations_count;
    for (int a = 0; a < w->accounts_count; a++)
        s_replay_stream (w, c, a);
    if (w->violations_count > before)
        return; //  the rest would only repeat it
    s_check_transfers (w, c);
    s_check_closings (w, c);
    s_check_conservation (w, c);
    s_check_commands (w, c);
    s_check_holds (w, c);
    s_check_read_model (w, c, w->violations_count == before);
    if (deep && w->violations_count == before)
        s_check_deep (w);
}

//  After the drain: delivery, nothing in flight, default wallets.
void
sim_check_final (sim_world_t *w)
{
    sim_check (w, true);
    const sim_store_t *store = &w->store;
    for (size_t i = 0; i < store->outbox_count; i++) {
        const sim_outbox_t *row = &store->outbox[i];
        if (!row->delivered || row->pending)
            sim_violation (w, "[delivery] outbox row %zu (%s) not delivered", i + 1, row->type);
        for (int d = DEST_NOTIFIER; d <= DEST_AMQP; d++)
            if ((row->destinations & DEST_BIT (d)) && row->received[d] == 0)
                sim_violation (w, "[delivery] outbox row %zu never reached destination %d", i + 1,
                               d);
        if ((row->destinations & DEST_BIT (DEST_ACCOUNT)) &&
            !zhashx_lookup (store->inbox, row->message_id))
            sim_violation (w, "[delivery] outbox row %zu never applied by its account shard",
                           i + 1);
    }
    for (int t = 0; t < w->txids; t++)
        if (store->transfers[t].status == TRANSFER_IN_FLIGHT)
            sim_violation (w, "[credits] transfer %d still in flight after the drain", t);
    for (int u = 0; u < w->users; u++) {
        if (!w->registered[u])
            continue;
        bool found = false;
        for (int a = 0; a < w->accounts_count; a++)
            found |= w->accounts[a].is_default && w->accounts[a].user == u &&
                     store->accounts[a].exists && store->accounts[a].is_default;
        if (!found)
            sim_violation (w, "[delivery] user %d registered but has no default wallet", u);
    }
}
