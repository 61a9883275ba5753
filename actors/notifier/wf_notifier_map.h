/*  wf_notifier_map - turns a committed account event into the BalanceUpdated
    notification its owner's clients receive. Pure: no I/O.

    Input: an outbox row's event type and JSON payload (see proto/wf_events.h).
    The five balance events map to a notification for the payload's ownerId:

        MoneyDeposited   -> Deposit          TransferReceived -> TransferReceived
        MoneyWithdrawn   -> Withdrawal       TransferRefunded -> TransferRefunded
        TransferSent     -> TransferSent

    The notification keeps the original WalletFlow's fields and adds two:

        {"type":"Deposit","amount":100.50,"currency":"USD","newBalance":250.00,
         "timestamp":"2026-11-26T20:00:00.123Z","accountId":"...","transactionId":"..."}

    Money arrives as integer minor units and leaves as a JSON number with the
    currency's minor digits (wf_money_json_value), so 10050 USD is 100.50 and
    100 JPY is 100. timestamp is the event's occurredAt, unchanged.

    SessionsRevoked (identity revoked a refresh family: logout, a reused
    refresh token) maps to a control message for its userId: json holds
    WF_NOTIFY_SESSIONS_REVOKED (proto/wf_events.h), not JSON, and the front
    closes that user's hub connections.

    Every other event type is WF_NOTIFIER_MAP_IGNORED. A payload that is not a
    JSON object, lacks a field, carries one of the wrong type or out of bounds,
    or names a currency we do not know is WF_NOTIFIER_MAP_INVALID with a
    reason: it was committed that way, so retrying cannot help; the actor
    acknowledges it and counts it.
*/
#ifndef WF_NOTIFIER_MAP_H_INCLUDED
#define WF_NOTIFIER_MAP_H_INCLUDED

#include <stddef.h>
#include "wf_msg.h"

#define WF_NOTIFIER_USER_ID_BYTES_MAX      64  //  ownerId: the topic of the notification
#define WF_NOTIFIER_ID_BYTES_MAX           64  //  accountId, transactionId
#define WF_NOTIFIER_TIMESTAMP_BYTES_MAX    40  //  occurredAt
#define WF_NOTIFIER_NOTIFICATION_BYTES_MAX 512 //  the JSON text of one notification

typedef enum {
    WF_NOTIFIER_MAP_OK = 0,
    WF_NOTIFIER_MAP_IGNORED, //  an event the notifier does not turn into a notification
    WF_NOTIFIER_MAP_INVALID, //  a balance event whose payload cannot be read
} wf_notifier_map_result_t;

//  One notification: the user it is for and its JSON text, NUL-terminated.
typedef struct {
    char user_id[WF_NOTIFIER_USER_ID_BYTES_MAX + 1];
    char json[WF_NOTIFIER_NOTIFICATION_BYTES_MAX + 1];
    size_t json_len;
} wf_notification_t;

//  Maps one event. OK with *notification filled; IGNORED; or INVALID with
//  *reason (a static sentence for logs).
wf_notifier_map_result_t wf_notifier_map (wf_str_t event_type, wf_str_t payload,
                                          wf_notification_t *notification, const char **reason);

//  True when text is a user id we publish under: 1..WF_NOTIFIER_USER_ID_BYTES_MAX
//  bytes of [A-Za-z0-9._-] (uuids, and room for foreign subjects).
bool wf_notifier_user_id_valid (const char *text, size_t len);

#endif
