/*  wf_notify_send - plays the outbox relay for one row: sends outbox.deliver
    to the notifier service through a broker and waits for outbox.ack.

    A test helper for end-to-end tests (not installed):

        wf_notify_send BROKER TYPE MESSAGE_ID PAYLOAD_JSON
            e.g. wf_notify_send tcp://127.0.0.1:5555 MoneyDeposited 3b1f...-uuid '{"ownerId":...}'

    Exit status 0 on outbox.ack, 1 on an error reply or no reply within the
    timeout, 2 on a usage error.
*/
#include <czmq.h>
#include "wf_mdp_client.h"
#include "wf_wire.h"

#define S_TIMEOUT_MS 5000

int
main (int argc, char **argv)
{
    if (argc != 5) {
        fprintf (stderr, "usage: wf_notify_send BROKER TYPE MESSAGE_ID PAYLOAD_JSON\n");
        return 2;
    }
    zsys_init ();
    wf_mdp_client_t *client = wf_mdp_client_new (argv[1]);
    if (!client) {
        fprintf (stderr, "wf_notify_send: cannot connect to %s\n", argv[1]);
        return 2;
    }
    wf_outbox_deliver_t deliver = {
        .message_id = wf_str_c (argv[3]),
        .outbox_id = 1,
        .type = wf_str_c (argv[2]),
        .destination = wf_str_c ("notifier"),
        .payload = wf_str_c (argv[4]),
        .occurred_at_ms = wf_clock_ms (),
        .attempt = 1,
    };
    wf_envelope_t env = {.version = WF_PROTO_VERSION,
                         .type = WF_MSG_OUTBOX_DELIVER,
                         .correlation_id = 1,
                         .deadline_ms = wf_clock_ms () + S_TIMEOUT_MS,
                         .request_id = wf_str_c ("wf_notify_send")};
    wf_buf_t scratch;
    wf_buf_init (&scratch);
    zmsg_t *request = zmsg_new ();
    int status = 1;
    if (wf_wire_append (request, &env, &deliver, &scratch) != 0)
        fprintf (stderr, "wf_notify_send: the message does not fit a frame\n");
    else {
        zmsg_t *reply = wf_mdp_client_request (client, "notifier", &request, S_TIMEOUT_MS);
        wf_envelope_t reply_env;
        wf_any_msg_t *body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
        wf_codec_err_t err;
        if (!reply)
            fprintf (stderr, "wf_notify_send: no reply within %d ms\n", S_TIMEOUT_MS);
        else if (wf_wire_decode (reply, &reply_env, body, &err) != 0)
            fprintf (stderr, "wf_notify_send: undecodable reply: %s\n", err.detail);
        else if (reply_env.type == WF_MSG_OUTBOX_ACK)
            status = 0;
        else
            fprintf (stderr, "wf_notify_send: reply %s\n", wf_msg_name (reply_env.type));
        free (body);
        zmsg_destroy (&reply);
    }
    zmsg_destroy (&request);
    wf_buf_free (&scratch);
    wf_mdp_client_destroy (&client);
    return status;
}
