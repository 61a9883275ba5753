/*  wf_amqp_test_proxy - a TCP forwarder a test can hold or cut (test-only).  */
#include "wf_amqp_test_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_PAIRS_MAX   8
#define S_CHUNK_BYTES 65536

typedef struct {
    int client; //  -1 when the pair is free
    int upstream;
} s_pair_t;

typedef struct {
    int upstream_port;
    int listener;
    int port;
    bool hold;
    s_pair_t pairs[S_PAIRS_MAX];
} self_t;

//  Closes one forwarded connection.
static void
s_pair_close (s_pair_t *pair)
{
    if (pair->client >= 0)
        close (pair->client);
    if (pair->upstream >= 0)
        close (pair->upstream);
    pair->client = pair->upstream = -1;
}

//  Opens a loopback listener on a free port; -1 on failure.
static int
s_listen (self_t *self)
{
    self->listener = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (self->listener < 0 || bind (self->listener, (struct sockaddr *) &addr, sizeof addr) != 0 ||
        listen (self->listener, S_PAIRS_MAX) != 0 ||
        getsockname (self->listener, (struct sockaddr *) &addr, &len) != 0)
        return -1;
    self->port = ntohs (addr.sin_port);
    return 0;
}

//  Accepts a client and connects it upstream (blocking connect to loopback is immediate).
static void
s_accept (self_t *self)
{
    int client = accept (self->listener, NULL, NULL);
    if (client < 0)
        return;
    int upstream = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons (self->upstream_port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    s_pair_t *free_pair = NULL;
    for (int i = 0; i < S_PAIRS_MAX && !free_pair; i++)
        if (self->pairs[i].client < 0)
            free_pair = &self->pairs[i];
    if (!free_pair || upstream < 0 ||
        connect (upstream, (struct sockaddr *) &addr, sizeof addr) != 0) {
        close (client);
        if (upstream >= 0)
            close (upstream);
        return;
    }
    free_pair->client = client;
    free_pair->upstream = upstream;
}

//  Moves what one side has to the other; closes the pair at EOF or on an error.
static void
s_forward (s_pair_t *pair, int from, int to)
{
    char buffer[S_CHUNK_BYTES];
    ssize_t got = recv (from, buffer, sizeof buffer, 0);
    bool ok = got > 0;
    for (ssize_t sent = 0; ok && sent < got;) {
        ssize_t rc = send (to, buffer + sent, (size_t) (got - sent), MSG_NOSIGNAL);
        ok = rc > 0;
        sent += rc > 0 ? rc : 0;
    }
    if (!ok)
        s_pair_close (pair);
}

//  Answers one pipe command; false on $TERM.
static bool
s_command (self_t *self, zsock_t *pipe)
{
    char *command = zstr_recv (pipe);
    bool keep = command && !streq (command, "$TERM");
    if (command && streq (command, "PORT"))
        zstr_sendf (pipe, "%d", self->port);
    else if (command && (streq (command, "HOLD") || streq (command, "PASS"))) {
        self->hold = streq (command, "HOLD");
        zsock_signal (pipe, 0);
    } else if (command && streq (command, "CUT")) {
        for (int i = 0; i < S_PAIRS_MAX; i++)
            s_pair_close (&self->pairs[i]);
        zsock_signal (pipe, 0);
    }
    zstr_free (&command);
    return keep;
}

void
wf_amqp_test_proxy_actor (zsock_t *pipe, void *args)
{
    self_t self = {.upstream_port = *(int *) args};
    for (int i = 0; i < S_PAIRS_MAX; i++)
        self.pairs[i].client = self.pairs[i].upstream = -1;
    int rc = s_listen (&self);
    zsock_signal (pipe, rc == 0 ? 0 : 1);
    while (rc == 0) {
        zmq_pollitem_t items[2 + 2 * S_PAIRS_MAX];
        int count = 0;
        items[count++] = (zmq_pollitem_t){zsock_resolve (pipe), 0, ZMQ_POLLIN, 0};
        items[count++] = (zmq_pollitem_t){NULL, self.listener, ZMQ_POLLIN, 0};
        int index[2 * S_PAIRS_MAX];
        for (int i = 0; i < S_PAIRS_MAX; i++) {
            if (self.pairs[i].client < 0)
                continue;
            index[count - 2] = i;
            items[count++] = (zmq_pollitem_t){NULL, self.pairs[i].client, ZMQ_POLLIN, 0};
            if (!self.hold) {
                index[count - 2] = i;
                items[count++] = (zmq_pollitem_t){NULL, self.pairs[i].upstream, ZMQ_POLLIN, 0};
            }
        }
        if (zmq_poll (items, count, 1000) < 0)
            continue;
        if ((items[0].revents & ZMQ_POLLIN) && !s_command (&self, pipe))
            break;
        for (int k = 2; k < count; k++) {
            s_pair_t *pair = &self.pairs[index[k - 2]];
            if (!(items[k].revents & ZMQ_POLLIN) || pair->client < 0)
                continue;
            if (items[k].fd == pair->client)
                s_forward (pair, pair->client, pair->upstream);
            else if (items[k].fd == pair->upstream)
                s_forward (pair, pair->upstream, pair->client);
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_accept (&self);
    }
    for (int i = 0; i < S_PAIRS_MAX; i++)
        s_pair_close (&self.pairs[i]);
    if (self.listener >= 0)
        close (self.listener);
}
