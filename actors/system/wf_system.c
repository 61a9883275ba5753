/*  wf_system - the `system` service actor.  */
#include "wf_system.h"
#include "wf_mdp_worker.h"
#include "wf_pg.h"
#include "wf_wire.h"

#define SYSTEM_BATCH_MAX 64

typedef struct {
    const wf_system_config_t *config;
    wf_mdp_worker_t *worker;
    wf_pg_t *pg;
    wf_buf_t scratch;
    wf_any_msg_t *body; //  decoded request, allocated once
} self_t;

//  Answers one system.info request.
static void
s_info (self_t *self, zframe_t *client, const wf_envelope_t *env, const wf_system_info_t *req)
{
    PGconn *conn = wf_pg_conn (self->pg);
    PGresult *res = conn ? PQexec (conn, "SELECT coalesce (max (version), 0), "
                                         "current_setting ('server_version') "
                                         "FROM schema_migrations")
                         : NULL;
    if (!res || PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1) {
        if (conn)
            wf_pg_failed (self->pg);
        wf_mdp_worker_reply_error (self->worker, client, env, WF_ERR_UNAVAILABLE,
                                   "the database is unavailable", &self->scratch);
        PQclear (res);
        return;
    }
    wf_system_info_reply_t reply = {
        .schema_version = atoll (PQgetvalue (res, 0, 0)),
        .server_version = wf_str_c (PQgetvalue (res, 0, 1)),
        .worker = wf_str_c (self->config->worker_name),
        .probe = req->probe,
    };
    if (reply.server_version.len > 64)
        reply.server_version.len = 64;
    wf_mdp_worker_reply (self->worker, client, env, WF_MSG_SYSTEM_INFO_REPLY, &reply,
                         &self->scratch);
    PQclear (res);
}

//  Decodes one request from the broker and answers it.
static void
s_handle (self_t *self, zmsg_t *request)
{
    zframe_t *client = zmsg_pop (request);
    wf_envelope_t env;
    wf_any_msg_t *body = self->body;
    wf_codec_err_t err;
    int rc = wf_wire_decode (request, &env, body, &err);
    if (rc != 0)
        zsys_warning ("wf_system: rejected malformed request: %s", err.detail);
    else if (env.type == WF_MSG_SYSTEM_INFO)
        s_info (self, client, &env, &body->system_info);
    else
        wf_mdp_worker_reply_error (self->worker, client, &env, WF_ERR_BAD_REQUEST,
                                   "the system service does not handle this message",
                                   &self->scratch);
    zframe_destroy (&client);
}

//  wf_mdp_worker_serve's handler.
static void
s_serve (void *arg, zmsg_t *request)
{
    s_handle ((self_t *) arg, request);
}

void
wf_system_actor (zsock_t *pipe, void *args)
{
    self_t self = {.config = (const wf_system_config_t *) args};
    wf_mdp_worker_config_t worker_config = {
        .broker_endpoint = self.config->broker_endpoint,
        .service = "system",
        .heartbeat_interval_ms = self.config->heartbeat_interval_ms,
        .curve_client_cert = self.config->curve_client_cert,
        .curve_server_key = self.config->curve_server_key,
    };
    self.worker = wf_mdp_worker_new (&worker_config);
    self.pg = wf_pg_new (self.config->pg_url, "wf_system");
    wf_buf_init (&self.scratch);
    self.body = (wf_any_msg_t *) zmalloc (sizeof (wf_any_msg_t));
    zsock_signal (pipe, self.worker ? 0 : 1);
    zpoller_t *poller =
        self.worker ? zpoller_new (pipe, wf_mdp_worker_sock (self.worker), NULL) : NULL;
    while (poller) {
        void *which = zpoller_wait (poller, wf_mdp_worker_timeout_ms (self.worker));
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        } else if (which) {
            wf_mdp_worker_serve (self.worker, SYSTEM_BATCH_MAX, s_serve, &self);
        } else if (zpoller_terminated (poller))
            break;
        wf_mdp_worker_tick (self.worker);
    }
    zpoller_destroy (&poller);
    wf_mdp_worker_destroy (&self.worker);
    wf_pg_destroy (&self.pg);
    wf_buf_free (&self.scratch);
    free (self.body);
}
