/*  wf_account_codec - JSON for account events and snapshots.

    One table names every event field once (JSON name, kind, place in the
    struct) and one table says which fields each event type has; the encoder
    and the strict decoder both walk them, so adding a field is one line in
    each table.
*/
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "wf_account_codec.h"
#include <stdlib.h>

//  A slice of a NUL-terminated string.
static wf_str_t
wf_str_c_local (const char *text)
{
    return (wf_str_t){text, strlen (text)};
}

//  How a field is written and checked.
typedef enum {
    S_UUID,
    S_UUID_OPTIONAL, //  a UUID or ""
    S_NUMBER,
    S_CURRENCY,
    S_AMOUNT, //  int64 > 0
    S_MINOR,  //  int64 >= 0 (a limit, a time)
    S_TEXT
} s_kind_t;

typedef struct {
    const char *name; //  JSON member name
    s_kind_t kind;
    size_t offset; //  in wf_account_event_t
    size_t size;   //  bytes of the struct member
} s_field_t;

enum {
    F_ACCOUNT_ID,
    F_OWNER_ID,
    F_ACCOUNT_NUMBER,
    F_CURRENCY,
    F_TRANSACTION_ID,
    F_DESTINATION,
    F_SOURCE,
    F_AMOUNT,
    F_DESCRIPTION,
    F_REASON,
    F_HOLD_ID,
    F_HOLD_DESTINATION,
    F_HELD_AMOUNT,
    F_EXPIRES_AT,
    F_OVERDRAFT_LIMIT,
    F_ORIGINAL_ID,
    F_COUNT
};

#define S_FIELD(name, kind, member)                                                                \
    {                                                                                              \
        name, kind, offsetof (wf_account_event_t, member),                                         \
            sizeof (((wf_account_event_t *) 0)->member)                                            \
    }

static const s_field_t s_fields[F_COUNT] = {
    [F_ACCOUNT_ID] = S_FIELD ("accountId", S_UUID, account_id),
    [F_OWNER_ID] = S_FIELD ("ownerId", S_UUID, owner_id),
    [F_ACCOUNT_NUMBER] = S_FIELD ("accountNumber", S_NUMBER, account_number),
    [F_CURRENCY] = S_FIELD ("currency", S_CURRENCY, currency),
    [F_TRANSACTION_ID] = S_FIELD ("transactionId", S_UUID, transaction_id),
    [F_DESTINATION] = S_FIELD ("destinationAccountId", S_UUID, counterparty_id),
    [F_SOURCE] = S_FIELD ("sourceAccountId", S_UUID, counterparty_id),
    [F_AMOUNT] = S_FIELD ("amount", S_AMOUNT, amount),
    [F_DESCRIPTION] = S_FIELD ("description", S_TEXT, description),
    [F_REASON] = S_FIELD ("reason", S_TEXT, reason),
    [F_HOLD_ID] = S_FIELD ("holdId", S_UUID, hold_id),
    [F_HOLD_DESTINATION] = S_FIELD ("destinationAccountId", S_UUID_OPTIONAL, counterparty_id),
    [F_HELD_AMOUNT] = S_FIELD ("heldAmount", S_AMOUNT, held_amount),
    [F_EXPIRES_AT] = S_FIELD ("expiresAt", S_MINOR, expires_at_ms),
    [F_OVERDRAFT_LIMIT] = S_FIELD ("limit", S_MINOR, overdraft_limit),
    [F_ORIGINAL_ID] = S_FIELD ("originalId", S_UUID, original_id),
};

#define B(field) (1u << (field))

//  Each event type's stored name and fields.
static const struct {
    const char *name;
    unsigned fields;
} s_types[WF_ACCOUNT_EVENT_COUNT] = {
    [WF_ACCOUNT_EVENT_OPENED] = {"AccountOpened", B (F_ACCOUNT_ID) | B (F_OWNER_ID) |
                                                      B (F_ACCOUNT_NUMBER) | B (F_CURRENCY)},
    [WF_ACCOUNT_EVENT_DEPOSITED] = {"MoneyDeposited",
                                    B (F_TRANSACTION_ID) | B (F_AMOUNT) | B (F_DESCRIPTION)},
    [WF_ACCOUNT_EVENT_WITHDRAWN] = {"MoneyWithdrawn",
                                    B (F_TRANSACTION_ID) | B (F_AMOUNT) | B (F_DESCRIPTION)},
    [WF_ACCOUNT_EVENT_TRANSFER_SENT] = {"TransferSent", B (F_TRANSACTION_ID) | B (F_DESTINATION) |
                                                            B (F_AMOUNT) | B (F_DESCRIPTION)},
    [WF_ACCOUNT_EVENT_TRANSFER_RECEIVED] = {"TransferReceived", B (F_TRANSACTION_ID) |
                                                                    B (F_SOURCE) | B (F_AMOUNT) |
                                                                    B (F_DESCRIPTION)},
    [WF_ACCOUNT_EVENT_TRANSFER_REFUNDED] = {"TransferRefunded",
                                            B (F_TRANSACTION_ID) | B (F_AMOUNT) | B (F_REASON)},
    [WF_ACCOUNT_EVENT_SUSPENDED] = {"AccountSuspended", B (F_REASON)},
    [WF_ACCOUNT_EVENT_REACTIVATED] = {"AccountReactivated", 0},
    [WF_ACCOUNT_EVENT_HOLD_PLACED] = {"HoldPlaced", B (F_HOLD_ID) | B (F_AMOUNT) |
                                                        B (F_HOLD_DESTINATION) | B (F_DESCRIPTION) |
                                                        B (F_EXPIRES_AT)},
    [WF_ACCOUNT_EVENT_HOLD_CAPTURED] = {"HoldCaptured", B (F_HOLD_ID) | B (F_AMOUNT) |
                                                            B (F_HELD_AMOUNT) |
                                                            B (F_TRANSACTION_ID)},
    [WF_ACCOUNT_EVENT_HOLD_VOIDED] = {"HoldVoided", B (F_HOLD_ID) | B (F_HELD_AMOUNT)},
    [WF_ACCOUNT_EVENT_HOLD_EXPIRED] = {"HoldExpired", B (F_HOLD_ID) | B (F_HELD_AMOUNT)},
    [WF_ACCOUNT_EVENT_OVERDRAFT_SET] = {"OverdraftLimitSet", B (F_OVERDRAFT_LIMIT)},
    [WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED] = {"DepositRefunded", B (F_TRANSACTION_ID) |
                                                                  B (F_ORIGINAL_ID) | B (F_AMOUNT) |
                                                                  B (F_DESCRIPTION)},
    [WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED] = {"WithdrawalRefunded",
                                              B (F_TRANSACTION_ID) | B (F_ORIGINAL_ID) |
                                                  B (F_AMOUNT) | B (F_DESCRIPTION)},
    [WF_ACCOUNT_EVENT_TRANSFER_REVERSED] = {"TransferReversed",
                                            B (F_TRANSACTION_ID) | B (F_ORIGINAL_ID) |
                                                B (F_DESTINATION) | B (F_AMOUNT) |
                                                B (F_DESCRIPTION)},
};

//  Returns the stored name of a type, or NULL.
const char *
wf_account_event_type_name (wf_account_event_type_t type)
{
    if (type <= WF_ACCOUNT_EVENT_NONE || type >= WF_ACCOUNT_EVENT_COUNT)
        return NULL;
    return s_types[type].name;
}

//  Finds a type by its stored name.
wf_account_event_type_t
wf_account_event_type_lookup (const char *name)
{
    for (int type = WF_ACCOUNT_EVENT_NONE + 1; name && type < WF_ACCOUNT_EVENT_COUNT; type++)
        if (strcmp (name, s_types[type].name) == 0)
            return (wf_account_event_type_t) type;
    return WF_ACCOUNT_EVENT_NONE;
}

//  Sets a member, asserting success (jansson fails only on out of memory or
//  invalid UTF-8, and both are bugs or fatal here).
static void
s_set (json_t *object, const char *name, json_t *value)
{
    assert (value);
    int rc = json_object_set_new (object, name, value);
    assert (rc == 0);
}

//  True for the event types that may carry the caller's metadata.
static bool
s_has_metadata (wf_account_event_type_t type)
{
    return type == WF_ACCOUNT_EVENT_DEPOSITED || type == WF_ACCOUNT_EVENT_WITHDRAWN ||
           type == WF_ACCOUNT_EVENT_TRANSFER_SENT || type == WF_ACCOUNT_EVENT_DEPOSIT_REFUNDED ||
           type == WF_ACCOUNT_EVENT_HOLD_PLACED || type == WF_ACCOUNT_EVENT_WITHDRAWAL_REFUNDED ||
           type == WF_ACCOUNT_EVENT_TRANSFER_REVERSED;
}

//  Encodes an event as its type, time and table fields.
json_t *
wf_account_event_to_json (const wf_account_event_t *event)
{
    assert (event);
    const char *name = wf_account_event_type_name (event->type);
    assert (name);
    json_t *object = json_object ();
    assert (object);
    s_set (object, "type", json_string (name));
    s_set (object, "occurredAt", json_integer (event->occurred_at_ms));
    for (int field = 0; field < F_COUNT; field++) {
        if (!(s_types[event->type].fields & B (field)))
            continue;
        const s_field_t *info = &s_fields[field];
        const char *place = (const char *) event + info->offset;
        if (info->kind == S_AMOUNT || info->kind == S_MINOR)
            s_set (object, info->name, json_integer (*(const int64_t *) place));
        else
            s_set (object, info->name, json_string (place));
    }
    if (event->metadata[0]) {
        assert (s_has_metadata (event->type));
        json_error_t error;
        s_set (object, "metadata", json_loads (event->metadata, 0, &error));
    }
    return object;
}

//  Checks and copies one string field into its buffer.
static const char *
s_decode_text (const s_field_t *info, const json_t *value, char *place)
{
    if (!json_is_string (value))
        return "event field must be a string";
    const char *text = json_string_value (value);
    size_t length = json_string_length (value);
    if (strlen (text) != length)
        return "event field contains NUL";
    if (length >= info->size)
        return "event field is too long";
    wf_str_t slice = {text, length};
    if (info->kind == S_UUID && !wf_account_uuid_valid (slice))
        return "event field is not a lower-case UUID";
    if (info->kind == S_UUID_OPTIONAL && length && !wf_account_uuid_valid (slice))
        return "event field is not empty or a lower-case UUID";
    if (info->kind == S_NUMBER && !wf_account_number_valid (slice))
        return "event field is not a valid account number";
    if (info->kind == S_CURRENCY && !wf_currency_lookup (slice, NULL))
        return "event field is not a payment currency";
    memcpy (place, text, length + 1);
    return NULL;
}

//  Checks and stores one field of an event.
static const char *
s_decode_field (const s_field_t *info, const json_t *value, wf_account_event_t *event)
{
    char *place = (char *) event + info->offset;
    if (!value)
        return "event field is missing";
    if (info->kind != S_AMOUNT && info->kind != S_MINOR)
        return s_decode_text (info, value, place);
    if (!json_is_integer (value) || json_integer_value (value) < 0 ||
        (info->kind == S_AMOUNT && json_integer_value (value) == 0))
        return "event amount must be a positive integer of minor units";
    int64_t amount = json_integer_value (value);
    memcpy (place, &amount, sizeof amount);
    return NULL;
}

//  True when `key` is a member this event type may have.
static bool
s_member_known (wf_account_event_type_t type, const char *key)
{
    if (strcmp (key, "type") == 0 || strcmp (key, "occurredAt") == 0)
        return true;
    if (strcmp (key, "metadata") == 0)
        return s_has_metadata (type);
    for (int field = 0; field < F_COUNT; field++)
        if ((s_types[type].fields & B (field)) && strcmp (key, s_fields[field].name) == 0)
            return true;
    return false;
}

//  Fails a decode with a reason.
static int
s_fail (const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

//  Decodes an event strictly (see the header).
int
wf_account_event_from_json (const json_t *json, wf_account_event_t *event, const char **why)
{
    assert (event && why);
    memset (event, 0, sizeof (*event));
    if (!json_is_object (json))
        return s_fail (why, "event must be a JSON object");
    wf_account_event_type_t type =
        wf_account_event_type_lookup (json_string_value (json_object_get (json, "type")));
    if (type == WF_ACCOUNT_EVENT_NONE)
        return s_fail (why, "event type is missing or unknown");
    const json_t *occurred = json_object_get (json, "occurredAt");
    if (!json_is_integer (occurred) || json_integer_value (occurred) < 0)
        return s_fail (why, "event occurredAt must be a non-negative integer of ms");
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) json, key, value)
    {
        if (!s_member_known (type, key))
            return s_fail (why, "event has an unknown field");
    }
    event->type = type;
    event->occurred_at_ms = json_integer_value (occurred);
    for (int field = 0; field < F_COUNT; field++) {
        if (!(s_types[type].fields & B (field)))
            continue;
        const char *problem =
            s_decode_field (&s_fields[field], json_object_get (json, s_fields[field].name), event);
        if (problem) {
            memset (event, 0, sizeof (*event));
            return s_fail (why, problem);
        }
    }
    const json_t *metadata = json_object_get (json, "metadata");
    if (metadata) {
        char *text = json_dumps (metadata, JSON_COMPACT | JSON_SORT_KEYS);
        const char *problem = NULL;
        int rc =
            text ? wf_account_metadata_canonical (wf_str_c_local (text), event->metadata, &problem)
                 : -1;
        free (text);
        if (rc != 0 || !json_is_object (metadata) || !event->metadata[0]) {
            memset (event, 0, sizeof (*event));
            return s_fail (why, "event metadata is not a valid metadata object");
        }
    }
    *why = NULL;
    return 0;
}

//  Encodes the state with its snapshot version (2: with the overdraft limit
//  and the open holds).
json_t *
wf_account_snapshot_to_json (const wf_account_t *account)
{
    assert (account);
    const wf_account_state_t *state = wf_account_state (account);
    json_t *holds = json_array ();
    assert (holds);
    for (int i = 0; i < state->holds_count; i++) {
        const wf_account_hold_t *hold = &state->holds[i];
        json_t *item = json_pack ("{s:s, s:s, s:I, s:I}", "id", hold->id, "destinationAccountId",
                                  hold->destination_id, "amount", (json_int_t) hold->amount,
                                  "expiresAt", (json_int_t) hold->expires_at_ms);
        assert (item);
        json_array_append_new (holds, item);
    }
    json_t *object = json_pack (
        "{s:i, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:I, s:I, s:I, s:o}", "snapshotVersion",
        WF_ACCOUNT_SNAPSHOT_VERSION, "id", state->id, "ownerId", state->owner_id, "accountNumber",
        state->number, "currency", state->currency, "digits", state->digits, "balance",
        (json_int_t) state->balance, "held", (json_int_t) state->held, "status",
        wf_account_status_name (state->status), "version", (json_int_t) state->version, "createdAt",
        (json_int_t) state->created_at_ms, "overdraftLimit", (json_int_t) state->overdraft_limit,
        "holds", holds);
    assert (object);
    return object;
}

//  Copies a decoded string into a state buffer; false when it does not fit
//  or holds NUL.
static bool
s_copy_text (char *dest, size_t size, const char *text, size_t length)
{
    if (length >= size || strlen (text) != length)
        return false;
    memcpy (dest, text, length + 1);
    return true;
}

//  Returns the status with this AccountDto name, or NONE.
static wf_account_status_t
s_status_lookup (const char *name)
{
    for (int status = WF_ACCOUNT_STATUS_ACTIVE; status <= WF_ACCOUNT_STATUS_CLOSED; status++)
        if (strcmp (name, wf_account_status_name ((wf_account_status_t) status)) == 0)
            return (wf_account_status_t) status;
    return WF_ACCOUNT_STATUS_NONE;
}

//  Decodes the open holds of a version 2 snapshot into the state.
static const char *
s_decode_holds (const json_t *holds, wf_account_state_t *state)
{
    if (!json_is_array (holds) || json_array_size (holds) > WF_ACCOUNT_HOLDS_OPEN_MAX)
        return "snapshot holds must be an array of at most the open holds an account may have";
    for (size_t i = 0; i < json_array_size (holds); i++) {
        const char *id, *destination;
        size_t id_len, destination_len;
        json_int_t amount, expires;
        wf_account_hold_t *hold = &state->holds[i];
        if (json_unpack ((json_t *) json_array_get (holds, i), "{s:s%, s:s%, s:I, s:I !}", "id",
                         &id, &id_len, "destinationAccountId", &destination, &destination_len,
                         "amount", &amount, "expiresAt", &expires) != 0 ||
            !s_copy_text (hold->id, sizeof hold->id, id, id_len) ||
            !s_copy_text (hold->destination_id, sizeof hold->destination_id, destination,
                          destination_len))
            return "snapshot hold is malformed";
        hold->amount = amount;
        hold->expires_at_ms = expires;
    }
    state->holds_count = (int) json_array_size (holds);
    return NULL;
}

//  Decodes a snapshot strictly ('!' refuses unknown members) and restores it.
//  Version 1 (before holds and overdraft) restores with none of either.
int
wf_account_snapshot_from_json (const json_t *json, wf_account_t *account, const char **why)
{
    assert (account && why);
    json_int_t version, digits, balance, held, events, created, limit = 0;
    const char *id, *owner, *number, *currency, *status;
    size_t id_len, owner_len, number_len, currency_len;
    json_t *holds = NULL;
    json_t *v = json_is_object (json) ? json_object_get (json, "snapshotVersion") : NULL;
    bool v1 = json_is_integer (v) && json_integer_value (v) == 1;
    const char *format = v1 ? "{s:I, s:s%, s:s%, s:s%, s:s%, s:I, s:I, s:I, s:s, s:I, s:I !}"
                            : "{s:I, s:s%, s:s%, s:s%, s:s%, s:I, s:I, s:I, s:s, s:I, s:I, s:I, "
                              "s:o !}";
    if (!json ||
        json_unpack ((json_t *) json, format, "snapshotVersion", &version, "id", &id, &id_len,
                     "ownerId", &owner, &owner_len, "accountNumber", &number, &number_len,
                     "currency", &currency, &currency_len, "digits", &digits, "balance", &balance,
                     "held", &held, "status", &status, "version", &events, "createdAt", &created,
                     "overdraftLimit", &limit, "holds", &holds) != 0)
        return s_fail (why, "snapshot is not an object with exactly the expected members");
    if (version != 1 && version != WF_ACCOUNT_SNAPSHOT_VERSION)
        return s_fail (why, "snapshot version is not supported");
    wf_account_state_t state;
    memset (&state, 0, sizeof state);
    if (!s_copy_text (state.id, sizeof state.id, id, id_len) ||
        !s_copy_text (state.owner_id, sizeof state.owner_id, owner, owner_len) ||
        !s_copy_text (state.number, sizeof state.number, number, number_len) ||
        !s_copy_text (state.currency, sizeof state.currency, currency, currency_len))
        return s_fail (why, "snapshot text member is too long or holds NUL");
    if (digits < 0 || digits > WF_CURRENCY_DIGITS_MAX)
        return s_fail (why, "snapshot digits out of range");
    if (!v1 && (*why = s_decode_holds (holds, &state)) != NULL)
        return -1;
    state.digits = (int) digits;
    state.balance = balance;
    state.held = held;
    state.status = s_status_lookup (status);
    state.version = events;
    state.created_at_ms = created;
    state.overdraft_limit = limit;
    return wf_account_restore (account, &state, why);
}
