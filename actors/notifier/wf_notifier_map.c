/*  wf_notifier_map - account events to BalanceUpdated notifications.  */
#include "wf_notifier_map.h"
#include "wf_currency.h"
#include "wf_events.h"
#include "wf_money.h"
#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

//  The balance events and the notification type each becomes.
static const struct {
    const char *event;
    const char *type;
} s_types[] = {
    {"MoneyDeposited", "Deposit"},
    {"MoneyWithdrawn", "Withdrawal"},
    {"TransferSent", "TransferSent"},
    {"TransferReceived", "TransferReceived"},
    {"TransferRefunded", "TransferRefunded"},
    {"HoldPlaced", "HoldPlaced"},
    {"HoldCaptured", "HoldCaptured"},
    {"HoldVoided", "HoldReleased"},
    {"HoldExpired", "HoldReleased"},
    {"DepositRefunded", "Refund"},
    {"WithdrawalRefunded", "Refund"},
    {"TransferReversed", "Refund"},
};

//  True when text[0..len) is 1..len_max bytes of letters, digits and `extra`.
static bool
s_token_ok (const char *text, size_t len, size_t len_max, const char *extra)
{
    if (len == 0 || len > len_max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (c == 0 || !strchr (extra, c)))
            return false;
    }
    return true;
}

bool
wf_notifier_user_id_valid (const char *text, size_t len)
{
    return s_token_ok (text, len, WF_NOTIFIER_USER_ID_BYTES_MAX, "._-");
}

//  A string member that is a token of at most len_max bytes, else NULL.
static const char *
s_token_member (json_t *root, const char *key, size_t len_max, const char *extra)
{
    json_t *value = json_object_get (root, key);
    if (!json_is_string (value) ||
        !s_token_ok (json_string_value (value), json_string_length (value), len_max, extra))
        return NULL;
    return json_string_value (value);
}

//  An integer member >= 0, else -1.
static int64_t
s_minor_member (json_t *root, const char *key)
{
    json_t *value = json_object_get (root, key);
    if (!json_is_integer (value) || json_integer_value (value) < 0)
        return -1;
    return (int64_t) json_integer_value (value);
}

//  Builds the notification from a parsed payload; INVALID with *reason.
static wf_notifier_map_result_t
s_build (json_t *root, const char *type, wf_notification_t *notification, const char **reason)
{
    const char *owner = s_token_member (root, "ownerId", WF_NOTIFIER_USER_ID_BYTES_MAX, "._-");
    const char *account = s_token_member (root, "accountId", WF_NOTIFIER_ID_BYTES_MAX, "._-");
    const char *transaction =
        s_token_member (root, "transactionId", WF_NOTIFIER_ID_BYTES_MAX, "._-");
    const char *occurred =
        s_token_member (root, "occurredAt", WF_NOTIFIER_TIMESTAMP_BYTES_MAX, ":.+-");
    json_t *code = json_object_get (root, "currency");
    int64_t amount = s_minor_member (root, "amount");
    //  A balance may be negative on an account with an overdraft limit.
    json_t *balance_value = json_object_get (root, "balanceAfter");
    int64_t balance = json_is_integer (balance_value) ? json_integer_value (balance_value) : 0;
    const wf_currency_t *currency =
        json_is_string (code)
            ? wf_currency_lookup ((wf_str_t){json_string_value (code), json_string_length (code)},
                                  NULL)
            : NULL;
    if (!owner || !account || !transaction || !occurred) {
        *reason = "ownerId, accountId, transactionId or occurredAt is missing or malformed";
        return WF_NOTIFIER_MAP_INVALID;
    }
    if (amount < 0 || !json_is_integer (balance_value) || !currency) {
        *reason = "amount, balanceAfter or currency is missing or malformed";
        return WF_NOTIFIER_MAP_INVALID;
    }
    int digits = wf_currency_digits (currency);
    json_t *doc = json_object ();
    json_object_set_new (doc, "type", json_string (type));
    json_object_set_new (doc, "amount", wf_money_json_value (amount, digits));
    json_object_set_new (doc, "currency", json_string (wf_currency_code (currency)));
    json_object_set_new (doc, "newBalance", wf_money_json_value (balance, digits));
    json_object_set_new (doc, "timestamp", json_string (occurred));
    json_object_set_new (doc, "accountId", json_string (account));
    json_object_set_new (doc, "transactionId", json_string (transaction));
    char *text = wf_money_json_dumps (doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (doc);
    assert (text); //  no placeholder is a key: only out of memory fails, and that aborts
    size_t len = strlen (text);
    //  Every field is bounded above, so the text always fits.
    assert (len <= WF_NOTIFIER_NOTIFICATION_BYTES_MAX);
    memcpy (notification->json, text, len + 1);
    notification->json_len = len;
    free (text);
    snprintf (notification->user_id, sizeof notification->user_id, "%s", owner);
    return WF_NOTIFIER_MAP_OK;
}

//  SessionsRevoked: the revocation word for the payload's userId.
static wf_notifier_map_result_t
s_revocation (json_t *root, wf_notification_t *notification, const char **reason)
{
    const char *user = s_token_member (root, "userId", WF_NOTIFIER_USER_ID_BYTES_MAX, "._-");
    if (!user) {
        *reason = "userId is missing or malformed";
        return WF_NOTIFIER_MAP_INVALID;
    }
    snprintf (notification->user_id, sizeof notification->user_id, "%s", user);
    notification->json_len = strlen (WF_NOTIFY_SESSIONS_REVOKED);
    memcpy (notification->json, WF_NOTIFY_SESSIONS_REVOKED, notification->json_len + 1);
    return WF_NOTIFIER_MAP_OK;
}

wf_notifier_map_result_t
wf_notifier_map (wf_str_t event_type, wf_str_t payload, wf_notification_t *notification,
                 const char **reason)
{
    memset (notification, 0, sizeof *notification);
    bool revocation = wf_str_eq (event_type, WF_EVENT_SESSIONS_REVOKED);
    const char *type = NULL;
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
        if (wf_str_eq (event_type, s_types[i].event))
            type = s_types[i].type;
    if (!type && !revocation) {
        *reason = "not a balance event";
        return WF_NOTIFIER_MAP_IGNORED;
    }
    json_error_t error;
    json_t *root =
        payload.ptr ? json_loadb (payload.ptr, payload.len, JSON_REJECT_DUPLICATES, &error) : NULL;
    wf_notifier_map_result_t result = WF_NOTIFIER_MAP_INVALID;
    if (!json_is_object (root))
        *reason = "the payload is not a JSON object";
    else if (revocation)
        result = s_revocation (root, notification, reason);
    else
        result = s_build (root, type, notification, reason);
    json_decref (root);
    return result;
}
