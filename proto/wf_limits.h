/*  wf_limits - every named limit of WalletFlow in one place.

    A limit is a number with a unit in its name. Relations between limits are
    checked at compile time so a change to one cannot silently break another.
*/
#ifndef WF_LIMITS_H_INCLUDED
#define WF_LIMITS_H_INCLUDED

#define WF_PROTO_VERSION 1

//  Wire format
#define WF_FRAME_BYTES_MAX        (256 * 1024) //  one ZeroMQ frame we accept (ZMQ_MAXMSGSIZE)
#define WF_ENVELOPE_BYTES_MAX     1024         //  an encoded envelope
#define WF_MSG_TYPE_BYTES_MAX     64           //  "account.deposit"
#define WF_REPLY_TO_BYTES_MAX     128
#define WF_REQUEST_ID_BYTES_MAX   64
#define WF_TRACEPARENT_BYTES_MAX  55   //  W3C traceparent version 00
#define WF_MSGPACK_DEPTH_MAX      8    //  nesting of maps/arrays in a body
#define WF_MSGPACK_ITEMS_MAX      4096 //  declared elements in one container
#define WF_SERVICE_NAME_BYTES_MAX 64

//  Broker
#define WF_HEARTBEAT_INTERVAL_MS   1000
#define WF_HEARTBEAT_LIVENESS      3     //  beats missed before a peer is dead
#define WF_SERVICE_QUEUE_DEPTH_MAX 10000 //  requests waiting per service
#define WF_WORKER_CREDIT_MAX       256   //  requests in flight per worker
#define WF_SERVICES_MAX            1024
#define WF_WORKERS_MAX             4096
#define WF_REQUEST_TIMEOUT_MS      5000   //  default deadline when a request has none
#define WF_SOCKET_HWM              100000 //  messages queued per ZeroMQ socket

//  HTTP front
#define WF_HTTP_PORT_DEFAULT     5000
#define WF_HTTP_BODY_BYTES_MAX   (64 * 1024)
#define WF_HTTP_URL_BYTES_MAX    2048
#define WF_HTTP_HEADER_BYTES_MAX 8192 //  all headers of one request
#define WF_HTTP_CONNECTIONS_MAX  4096
#define WF_HTTP_PENDING_MAX      4096 //  requests waiting for a worker reply
#define WF_HTTP_ROUTE_PARAMS_MAX 4
#define WF_HTTP_IDLE_TIMEOUT_S   30
#define WF_HTTP_BODY_TIMEOUT_S   10 //  a whole request body, from its headers on
#define WF_JSON_DEPTH_MAX        16

_Static_assert(WF_HTTP_BODY_BYTES_MAX + WF_ENVELOPE_BYTES_MAX < WF_FRAME_BYTES_MAX,
               "a maximal HTTP body must fit in one frame with its envelope");
_Static_assert(WF_HEARTBEAT_LIVENESS >= 3, "MDP recommends 3-5 beats of liveness");
_Static_assert(WF_HTTP_PENDING_MAX <= WF_SERVICE_QUEUE_DEPTH_MAX,
               "one front must not overrun one service queue alone");

#endif
