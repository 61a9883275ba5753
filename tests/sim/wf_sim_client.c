/*  wf_sim_client - the clients: users registered through identity's
    UserRegistered outbox row, and the commands they send through the front
    (open, deposit, withdraw, transfer, suspend, reactivate), with invalid
    amounts, foreign currencies, missing and suspended destinations,
    retries with the same Idempotency-Key after a timeout or a 503, and keys
    reused with another body. The answers they receive feed the checker:
    what was acknowledged, with which transaction id.
*/
#include "wf_sim.h"
#include "wf_account_default_id.h"
#include "wf_events.h"
#include "wf_money.h"
#include "wf_shard.h"
#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_currencies[] = {"ARS", "USD", "JPY"};

//  Registers a user: identity commits UserRegistered to the outbox (the
//  account shard of the default wallet and the AMQP bridge).
void
sim_client_register (sim_world_t *w)
{
    int u = w->users;
    char user[WF_UUID_BYTES], id[WF_UUID_BYTES];
    sim_uuid (0xb, (unsigned) u, user);
    if (w->faults_on && sim_fault (w, w->config.commit_fail, F_COMMIT_FAILED))
        return; //  the registration failed; the client tries again later
    wf_account_default_id (user, id);
    sim_account_id_t *account = &w->accounts[w->accounts_count++];
    snprintf (account->id, sizeof account->id, "%s", id);
    account->user = u;
    account->is_default = true;
    account->shard = wf_shard_of (id, strlen (id), w->config.shards);
    snprintf (account->currency, sizeof account->currency, "ARS");
    snprintf (w->user_id[u], sizeof w->user_id[u], "%s", user);
    w->admin[u] = u == 0;
    w->registered[u] = true;
    w->users++;
    json_t *p = json_pack ("{s:s,s:s}", "userId", user, "email", "user@example.com");
    sim_outbox_t row = {.stream = -1,
                        .payload = json_dumps (p, JSON_COMPACT | JSON_SORT_KEYS),
                        .destinations = DEST_BIT (DEST_ACCOUNT) | DEST_BIT (DEST_AMQP)};
    json_decref (p);
    snprintf (row.type, sizeof row.type, "%s", WF_EVENT_USER_REGISTERED);
    snprintf (row.route_key, sizeof row.route_key, "%s", id);
    sim_store_outbox_insert (w, &row);
    sim_trace (w, "register user %d (default account %d)", u, w->accounts_count - 1);
}

//  Sends (or sends again) a command to its account's shard.
static void
s_send (sim_world_t *w, int n)
{
    sim_cmd_t *cmd = &w->cmds[n];
    static const char *const kinds[] = {"open",    "deposit",    "withdraw", "transfer",
                                        "suspend", "reactivate", "hold",     "capture",
                                        "void",    "overdraft",  "refund"};
    const sim_account_id_t *account = &w->accounts[cmd->account];
    char description[16], reason[16], hold_id[WF_UUID_BYTES];
    //  A hold's description goes to its capture's debit: not a command's "c<n>".
    snprintf (description, sizeof description, "%c%d", cmd->kind == CMD_HOLD ? 'h' : 'c', n);
    //  A refund's reason is its event's description: "c<n>" names the command.
    snprintf (reason, sizeof reason, "%c%d", cmd->kind == CMD_REFUND ? 'c' : 'r', n);
    char original[WF_UUID_BYTES] = "";
    if (cmd->kind == CMD_REFUND)
        sim_uuid (0xc, (unsigned) (cmd->original >= 0 ? cmd->original : SIM_TXIDS_MAX + n),
                  original);
    bool by_hold = cmd->kind == CMD_CAPTURE || cmd->kind == CMD_VOID;
    hold_id[0] = 0;
    if (by_hold)
        sim_uuid (0xd, (unsigned) (cmd->hold >= 0 ? cmd->hold : SIM_HOLDS_MAX + n), hold_id);
    wf_account_command_t body = {
        .kind = wf_str_c (kinds[cmd->kind]),
        .account_id = wf_str_c (by_hold || cmd->kind == CMD_REFUND ? "" : account->id),
        .transaction_id = wf_str_c (original),
        .hold_id = wf_str_c (hold_id),
        .expires_in_s = cmd->expires_s,
        .user_id = wf_str_c (w->user_id[cmd->user]),
        .role = wf_str_c (w->admin[cmd->user] ? "Admin" : "User"),
        .amount = wf_str_c (cmd->amount),
        .currency = wf_str_c (cmd->currency),
        .destination_account_id =
            wf_str_c (cmd->destination >= 0
                          ? w->accounts[cmd->destination].id
                          : (cmd->kind == CMD_HOLD ? "" //  a hold captured out
                                                   : "e0000000-0000-4000-8000-000000000000")),
        .description = wf_str_c (description),
        .reason = wf_str_c (reason),
        .idempotency_key = wf_str_c (cmd->keyed ? cmd->key : ""),
        .fingerprint = wf_str_c (cmd->fingerprint)};
    wf_buf_reset (&w->scratch);
    wf_body_encode (WF_MSG_ACCOUNT_COMMAND, &body, &w->scratch);
    sim_net_t msg = {.to = TO_SHARD,
                     //  a refund goes to its transaction id's shard
                     .to_index = cmd->kind == CMD_REFUND
                                     ? wf_shard_of (original, WF_UUID_LEN, w->config.shards)
                                     : account->shard,
                     .deadline_ms = w->now_ms + SIM_CLIENT_TIMEOUT_MS,
                     .type = WF_MSG_ACCOUNT_COMMAND,
                     .correlation = (uint64_t) n | (uint64_t) (cmd->sends + 1) << 32,
                     .reply_to_relay = -1,
                     .bytes = w->scratch.data,
                     .size = w->scratch.size};
    sim_net_send (w, &msg);
    cmd->sends++;
    cmd->outstanding = true;
    cmd->timeout_at_ms = w->now_ms + SIM_CLIENT_TIMEOUT_MS + 1000;
    sim_trace (w, "client: command %d %s account %d amount %s key %s (send %d)", n,
               kinds[cmd->kind], cmd->account, cmd->amount, cmd->keyed ? cmd->key : "-",
               cmd->sends);
}

//  A random account of user u (or any account when u < 0); -1 when none.
static int
s_pick_account (sim_world_t *w, int u)
{
    //  Mostly one the client has seen in its account list (the read model).
    bool listed = sim_chance (w, 900);
    int candidates[SIM_ACCOUNTS_MAX], count = 0;
    for (int a = 0; a < w->accounts_count; a++)
        if ((u < 0 || w->accounts[a].user == u) && (!listed || w->store.accounts[a].exists))
            candidates[count++] = a;
    return count ? candidates[sim_below (w, (uint64_t) count)] : -1;
}

//  The amount text of a new money command: mostly valid, sometimes not.
static void
s_amount (sim_world_t *w, sim_cmd_t *cmd, int64_t max_minor)
{
    static const char *const bad[] = {"0", "-5", "1.234", "1e3", "", "01", "12.", "abc"};
    if (sim_chance (w, 30)) {
        snprintf (cmd->amount, sizeof cmd->amount, "%s", bad[sim_below (w, 8)]);
        return;
    }
    int digits = streq (w->accounts[cmd->account].currency, "JPY") ? 0 : 2;
    wf_money_format (1 + (int64_t) sim_below (w, (uint64_t) max_minor), digits, cmd->amount,
                     sizeof cmd->amount);
}

//  A hold for a capture or a void: mostly one the user placed (its answer
//  named it), sometimes any placed hold, sometimes one that does not exist.
static bool
s_pick_hold (sim_world_t *w, sim_cmd_t *cmd)
{
    int candidates[64], count = 0;
    bool own = sim_chance (w, 900);
    for (int k = w->cmds_count - 1; k >= 0 && count < 64; k--)
        if (w->cmds[k].kind == CMD_HOLD && w->cmds[k].acked_hold >= 0 &&
            (!own || w->cmds[k].user == cmd->user))
            candidates[count++] = k;
    if (sim_chance (w, 20)) {
        cmd->account = s_pick_account (w, cmd->user);
        cmd->hold = -1;
        return cmd->account >= 0;
    }
    if (count == 0 || sim_chance (w, 500)) {
        //  One from the holds list (the read model), whatever its status.
        count = 0;
        for (int h = w->holds - 1; h >= 0 && count < 64; h--) {
            const sim_hold_row_t *row = &w->store.holds[h];
            if (row->status != HOLD_NONE && (!own || w->accounts[row->account].user == cmd->user))
                candidates[count++] = h;
        }
        if (count == 0)
            return false;
        cmd->hold = candidates[sim_below (w, (uint64_t) count)];
        cmd->account = w->store.holds[cmd->hold].account;
        return true;
    }
    const sim_cmd_t *placed = &w->cmds[candidates[sim_below (w, (uint64_t) count)]];
    cmd->account = placed->account;
    cmd->hold = placed->acked_hold;
    return true;
}

//  A movement to refund: mostly a deposit or withdrawal the user made, or a
//  transfer one of its accounts received (their answers named them);
//  sometimes another user's, sometimes one that does not exist.
static bool
s_pick_original (sim_world_t *w, sim_cmd_t *cmd)
{
    int candidates[64], count = 0;
    bool own = sim_chance (w, 900);
    for (int k = w->cmds_count - 1; k >= 0 && count < 64; k--) {
        const sim_cmd_t *c = &w->cmds[k];
        if (!c->acked || c->acked_txid < 0)
            continue;
        int holder = c->kind == CMD_TRANSFER ? c->destination : c->account;
        if ((c->kind == CMD_DEPOSIT || c->kind == CMD_WITHDRAW || c->kind == CMD_TRANSFER ||
             c->kind == CMD_REFUND) &&
            holder >= 0 && (!own || w->accounts[holder].user == cmd->user))
            candidates[count++] = k;
    }
    if (count == 0 || sim_chance (w, 30)) {
        cmd->account = s_pick_account (w, cmd->user);
        cmd->original = -1;
        return cmd->account >= 0;
    }
    const sim_cmd_t *c = &w->cmds[candidates[sim_below (w, (uint64_t) count)]];
    cmd->account = c->kind == CMD_TRANSFER ? c->destination : c->account;
    cmd->original = c->acked_txid;
    return true;
}

//  A new command from a registered user.
void
sim_client_command (sim_world_t *w)
{
    assert (w->cmds_count < SIM_COMMANDS_MAX);
    int n = w->cmds_count;
    sim_cmd_t *cmd = &w->cmds[n];
    memset (cmd, 0, sizeof *cmd);
    cmd->user = (int) sim_below (w, (uint64_t) w->users);
    cmd->destination = -1;
    cmd->acked_txid = -1;
    cmd->hold = -1;
    cmd->original = -1;
    cmd->acked_hold = -1;
    uint64_t roll = sim_below (w, 106); //  98..105: refunds
    cmd->kind = roll < 7    ? CMD_OPEN
                : roll < 30 ? CMD_DEPOSIT
                : roll < 46 ? CMD_WITHDRAW
                : roll < 68 ? CMD_TRANSFER
                : roll < 78 ? CMD_HOLD
                : roll < 88 ? CMD_CAPTURE
                : roll < 93 ? CMD_VOID
                : roll < 95 ? CMD_OVERDRAFT
                : roll < 97 ? CMD_SUSPEND
                : roll < 98 ? CMD_REACTIVATE
                            : CMD_REFUND;
    if (cmd->kind == CMD_OPEN && w->accounts_count < SIM_ACCOUNTS_MAX) {
        sim_account_id_t *account = &w->accounts[w->accounts_count];
        sim_uuid (0xa, (unsigned) w->accounts_count, account->id);
        account->user = cmd->user;
        account->shard = wf_shard_of (account->id, WF_UUID_LEN, w->config.shards);
        snprintf (account->currency, 4, "%s", s_currencies[sim_below (w, 3)]);
        snprintf (cmd->currency, sizeof cmd->currency, "%s", account->currency);
        cmd->account = w->accounts_count++;
    } else {
        if (cmd->kind == CMD_OPEN)
            cmd->kind = CMD_DEPOSIT;
        if (cmd->kind == CMD_CAPTURE || cmd->kind == CMD_VOID) {
            if (!s_pick_hold (w, cmd))
                return;
        } else if (cmd->kind == CMD_REFUND) {
            if (!s_pick_original (w, cmd))
                return;
            if (sim_chance (w, 500))
                s_amount (w, cmd, 10000); //  partial (or too much); else the whole rest
        } else {
            bool admin_kind = cmd->kind == CMD_SUSPEND || cmd->kind == CMD_REACTIVATE ||
                              cmd->kind == CMD_OVERDRAFT;
            cmd->account = s_pick_account (w, admin_kind ? -1 : cmd->user);
            if (cmd->account < 0)
                return;
            if (cmd->kind == CMD_OVERDRAFT && sim_chance (w, 800))
                cmd->user = 0; //  mostly the admin
        }
        if (cmd->kind == CMD_TRANSFER)
            cmd->destination = sim_chance (w, 30) ? -1 : s_pick_account (w, -1);
        if (cmd->kind == CMD_HOLD) {
            //  Mostly a hold that the capture withdraws; some to an account.
            cmd->destination = sim_chance (w, 600) ? -1 : s_pick_account (w, -1);
            cmd->expires_s = sim_chance (w, 20) ? (int64_t) sim_below (w, 2) * 3000000
                                                : 1 + (int64_t) sim_below (w, SIM_HOLD_SECONDS_MAX);
        }
        if ((cmd->kind >= CMD_DEPOSIT && cmd->kind <= CMD_TRANSFER) || cmd->kind == CMD_HOLD)
            s_amount (w, cmd, cmd->kind == CMD_DEPOSIT ? 50000 : 20000);
        if (cmd->kind == CMD_HOLD && sim_chance (w, 500))
            s_amount (w, cmd, 5000);
        if (cmd->kind == CMD_CAPTURE && sim_chance (w, 600))
            s_amount (w, cmd, 15000); //  else the whole hold
        if (cmd->kind == CMD_OVERDRAFT) {
            if (sim_chance (w, 300))
                snprintf (cmd->amount, sizeof cmd->amount, "0");
            else
                s_amount (w, cmd, 30000);
        }
        if (sim_chance (w, 100))
            snprintf (cmd->currency, sizeof cmd->currency, "%s", s_currencies[sim_below (w, 3)]);
    }
    cmd->keyed = cmd->kind != CMD_OPEN && (w->keyed_only || sim_chance (w, 700));
    cmd->key_group = n;
    snprintf (cmd->key, sizeof cmd->key, "k%d", n);
    snprintf (cmd->fingerprint, sizeof cmd->fingerprint, "fp%d", n);
    if (cmd->keyed && w->faults_on && sim_chance (w, w->config.key_reuse)) {
        //  The same key with another body: refused once the first was stored.
        for (int k = n - 1; k >= 0 && k >= n - 20; k--)
            if (w->cmds[k].keyed && w->cmds[k].user == cmd->user) {
                w->stats.faults[F_KEY_REUSED]++;
                cmd->key_group = w->cmds[k].key_group;
                snprintf (cmd->key, sizeof cmd->key, "%s", w->cmds[k].key);
                break;
            }
    }
    w->cmds_count++;
    w->stats.commands++;
    s_send (w, n);
}

//  True when a keyed command may be sent again with its key.
static bool
s_resendable (const sim_world_t *w, const sim_cmd_t *cmd)
{
    if (!cmd->keyed || cmd->sends >= 6)
        return false;
    if (cmd->outstanding)
        return cmd->timeout_at_ms <= w->now_ms;
    return !cmd->acked ? cmd->last_err == WF_ERR_UNAVAILABLE || cmd->last_err == WF_ERR_TIMEOUT
                       : true;
}

//  A client sends a command again with the same key (after a timeout, a 503,
//  or just twice).
bool
sim_client_resend (sim_world_t *w, bool dry_run)
{
    int candidates[64], count = 0;
    for (int n = w->cmds_count - 1; n >= 0 && count < 64; n--)
        if (s_resendable (w, &w->cmds[n]))
            candidates[count++] = n;
    if (count == 0 || dry_run)
        return count > 0;
    w->stats.faults[F_CLIENT_RESEND]++;
    s_send (w, candidates[sim_below (w, (uint64_t) count)]);
    return true;
}

//  A reply reached the client of command msg->to_index.
void
sim_client_reply (sim_world_t *w, sim_net_t *msg)
{
    int n = msg->to_index;
    assert (n >= 0 && n < w->cmds_count && (uint64_t) n == (msg->correlation & 0xffffffff));
    sim_cmd_t *cmd = &w->cmds[n];
    cmd->outstanding = false;
    wf_any_msg_t body;
    wf_codec_err_t err;
    if (wf_body_decode (msg->type, msg->bytes, msg->size, &body, &err) != 0) {
        sim_violation (w, "[wire] the reply to command %d does not decode: %s", n, err.detail);
        return;
    }
    if (msg->type == WF_MSG_ERROR) {
        wf_err_t code = (wf_err_t) body.error.code;
        cmd->last_err = code;
        //  A send made after the acknowledgement arrived finds the key's row,
        //  committed before that answer left: it must replay, never refuse.
        //  (An earlier send may have been refused before the success.)
        int send = (int) (msg->correlation >> 32);
        if (cmd->acked && cmd->keyed && send > cmd->sends_at_ack && code != WF_ERR_UNAVAILABLE &&
            code != WF_ERR_TIMEOUT)
            sim_violation (w, "[idempotency] command %d was acknowledged, its send %d got error %d",
                           n, send, (int) code);
        sim_trace (w, "client: command %d refused (%s)", n, wf_err_name (code));
        return;
    }
    int txid = -1;
    int64_t version = 0;
    if (msg->type == WF_MSG_ACCOUNT_TRANSACTION) {
        char id[WF_UUID_BYTES];
        snprintf (id, sizeof id, "%.*s", (int) body.account_transaction.id.len,
                  body.account_transaction.id.ptr);
        txid = sim_uuid_number (id, 0xc);
    } else if (msg->type == WF_MSG_ACCOUNT_INFO)
        version = body.account_info.version;
    int hold = -1;
    if (msg->type == WF_MSG_ACCOUNT_HOLD_INFO) {
        char id[WF_UUID_BYTES];
        snprintf (id, sizeof id, "%.*s", (int) body.account_hold_info.id.len,
                  body.account_hold_info.id.ptr);
        hold = sim_uuid_number (id, 0xd);
        snprintf (id, sizeof id, "%.*s", (int) body.account_hold_info.transaction_id.len,
                  body.account_hold_info.transaction_id.ptr);
        txid = id[0] ? sim_uuid_number (id, 0xc) : -1;
        if (hold < 0 || (cmd->hold >= 0 && hold != cmd->hold))
            sim_violation (w, "[holds] command %d on hold %d answered for hold %d", n, cmd->hold,
                           hold);
    }
    if (cmd->acked && cmd->acked_hold != hold)
        sim_violation (w, "[idempotency] command %d answered for hold %d, then %d", n,
                       cmd->acked_hold, hold);
    if (cmd->acked && (cmd->acked_txid != txid || cmd->acked_version != version))
        sim_violation (w,
                       "[idempotency] command %d answered twice differently (%d@%lld, then "
                       "%d@%lld)",
                       n, cmd->acked_txid, (long long) cmd->acked_version, txid,
                       (long long) version);
    if (!cmd->acked) {
        w->stats.acked++;
        cmd->sends_at_ack = cmd->sends;
    }
    cmd->acked = true;
    cmd->acked_txid = txid;
    cmd->acked_version = version;
    cmd->acked_hold = hold;
    sim_trace (w, "client: command %d acknowledged (transaction %d, version %lld)", n, txid,
               (long long) version);
}
