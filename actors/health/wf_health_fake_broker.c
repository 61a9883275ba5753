/*  wf_health_fake_broker - a test-only 7/MDP broker that answers mmi.service and nothing else.  */
#include "wf_health_fake_broker.h"

#include <assert.h>

#define S_HELD_MAX 16

typedef struct {
    zsock_t *router;
    char code[8];
    bool holding;
    zmsg_t *held[S_HELD_MAX];
    int held_count;
} s_fake_t;

//  Answers one request (identity first) with the current code; drops what is no request.
static void
s_answer (s_fake_t *fake, zmsg_t **request_p)
{
    zmsg_t *request = *request_p;
    zframe_t *identity = zmsg_pop (request);
    if (identity && zmsg_size (request) == 4) {
        zmsg_t *reply = zmsg_new ();
        zmsg_append (reply, &identity);
        zmsg_addstr (reply, "");
        zmsg_addstr (reply, "MDPC01");
        zmsg_addstr (reply, "mmi.service");
        if (!streq (fake->code, "bad"))
            zmsg_addstr (reply, fake->code);
        zmsg_send (&reply, fake->router);
    }
    zframe_destroy (&identity);
    zmsg_destroy (request_p);
}

//  Handles one pipe command; false on $TERM.
static bool
s_command (s_fake_t *fake, zsock_t *pipe)
{
    char *command = NULL, *argument = NULL;
    zstr_recvx (pipe, &command, &argument, NULL);
    bool running = command && !streq (command, "$TERM");
    if (command && streq (command, "CODE") && argument)
        snprintf (fake->code, sizeof fake->code, "%s", argument);
    else if (command && streq (command, "HOLD"))
        fake->holding = true;
    else if (command && streq (command, "RELEASE")) {
        for (int index = 0; index < fake->held_count; index++)
            s_answer (fake, &fake->held[index]);
        fake->held_count = 0;
        fake->holding = false;
    }
    zstr_free (&command);
    zstr_free (&argument);
    if (running)
        zsock_signal (pipe, 0);
    return running;
}

void
wf_health_fake_broker (zsock_t *pipe, void *args)
{
    s_fake_t fake = {.code = "200"};
    fake.router = zsock_new (ZMQ_ROUTER);
    assert (fake.router);
    zsock_set_linger (fake.router, 0);
    int port = zsock_bind (fake.router, "tcp://127.0.0.1:*");
    assert (port > 0);
    zsock_signal (pipe, 0);
    zstr_sendf (pipe, "tcp://127.0.0.1:%d", port);
    zpoller_t *poller = zpoller_new (pipe, fake.router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (!which)
            break;
        if (which == pipe && !s_command (&fake, pipe))
            break;
        if (which != fake.router)
            continue;
        zmsg_t *request = zmsg_recv (fake.router);
        if (request && fake.holding && fake.held_count < S_HELD_MAX)
            fake.held[fake.held_count++] = request;
        else if (request)
            s_answer (&fake, &request);
        else
            break;
    }
    for (int index = 0; index < fake.held_count; index++)
        zmsg_destroy (&fake.held[index]);
    zpoller_destroy (&poller);
    zsock_destroy (&fake.router);
}
