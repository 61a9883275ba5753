/*  wf_health - the health actor: probes the dependencies and publishes what it found.

    One zpoller loop on the pipe; its timeout is the time to the next round. A round runs the
    probes in a fixed order, builds the report, publishes it, updates the metrics and logs
    changes of state. The next round starts interval_ms after this one ended, so slow probes
    stretch the cadence instead of piling rounds up.
*/
#include "wf_health.h"

#include "wf_health_probe.h"
#include "wf_log.h"
#include "wf_metrics.h"

#include <assert.h>
#include <jansson.h>

#define S_ACTOR "health"

typedef enum { S_STATE_UNKNOWN, S_STATE_DOWN, S_STATE_UP } s_state_t;

typedef struct {
    zsock_t *pipe;
    zsock_t *publisher; //  NULL when not configured or not bound
    zpoller_t *poller;
    int interval_ms;
    wf_health_probe_t *probes[WF_HEALTH_CHECKS]; //  NULL for a skipped check
    s_state_t states[WF_HEALTH_CHECKS];
    wf_metrics_t *metrics;
    wf_metric_t *up[WF_HEALTH_CHECKS];
    wf_metric_t *durations[WF_HEALTH_CHECKS];
    wf_metric_t *failures[WF_HEALTH_CHECKS];
    char *report; //  latest report json
    bool terminated;
} self_t;

//  Builds the report json of one round; the caller frees it.
static char *
s_report_json (self_t *self, const wf_health_result_t *results, int count, int64_t ts_ms)
{
    json_t *checks = json_array ();
    for (int index = 0; index < count; index++) {
        const wf_health_result_t *result = &results[index];
        json_array_append_new (checks,
                               json_pack ("{s:s, s:s, s:f, s:s}", "name", result->name, "status",
                                          result->healthy ? "Healthy" : "Unhealthy", "durationMs",
                                          (double) result->duration_us / 1000.0, "description",
                                          result->description));
    }
    json_t *root = json_pack ("{s:o, s:I, s:i}", "checks", checks, "ts", (json_int_t) ts_ms,
                              "intervalMs", self->interval_ms);
    assert (root);
    char *text = json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (9));
    assert (text);
    json_decref (root);
    return text;
}

//  Registers the metrics of one check, so they show before its first probe.
static void
s_metrics_register (self_t *self, wf_health_check_t check)
{
    const char *name = wf_health_check_name (check);
    self->up[check] =
        wf_metrics_gauge (self->metrics, "wf_health_check_up",
                          "1 when the dependency answered its last probe", "check", name, NULL);
    self->durations[check] =
        wf_metrics_histogram (self->metrics, "wf_health_probe_duration_seconds",
                              "Duration of one dependency probe", "check", name, NULL);
    self->failures[check] = wf_metrics_counter (self->metrics, "wf_health_probe_failures_total",
                                                "Failed dependency probes", "check", name, NULL);
}

//  Creates the probe of a check when its target is configured.
static void
s_probe_add (self_t *self, const wf_health_config_t *config, wf_health_check_t check,
             const char *target)
{
    if (!target)
        return;
    self->probes[check] = wf_health_probe_new (check, target, config->probe_timeout_ms);
    s_metrics_register (self, check);
}

//  Sets up the actor's state from its configuration.
static self_t *
s_self_new (zsock_t *pipe, const wf_health_config_t *config)
{
    self_t *self = calloc (1, sizeof *self);
    assert (self);
    self->pipe = pipe;
    self->interval_ms =
        config->interval_ms > 0 ? config->interval_ms : WF_HEALTH_INTERVAL_MS_DEFAULT;
    self->metrics = wf_metrics_new (S_ACTOR);
    s_probe_add (self, config, WF_HEALTH_POSTGRES, config->pg_url);
    s_probe_add (self, config, WF_HEALTH_REDIS, config->redis_url);
    s_probe_add (self, config, WF_HEALTH_RABBITMQ, config->amqp_url);
    s_probe_add (self, config, WF_HEALTH_BROKER, config->broker_endpoint);
    self->report = s_report_json (self, NULL, 0, 0);
    if (config->publish_endpoint) {
        self->publisher = zsock_new (ZMQ_PUB);
        assert (self->publisher);
        zsock_set_sndhwm (self->publisher, WF_HEALTH_PUBLISH_HWM);
        if (zsock_bind (self->publisher, "%s", config->publish_endpoint) < 0) {
            //  The probes and REPORT still work; only the subscribers go without.
            char endpoint[WF_LOG_VALUE_BYTES_MAX], error[WF_LOG_VALUE_BYTES_MAX];
            wf_log_quote (error, sizeof error, zmq_strerror (zmq_errno ()));
            wf_log (WF_LOG_ERROR, S_ACTOR, "bind_failed", NULL, "endpoint=%s error=%s",
                    wf_log_quote (endpoint, sizeof endpoint, config->publish_endpoint), error);
            zsock_destroy (&self->publisher);
        }
    }
    self->poller = zpoller_new (pipe, NULL);
    assert (self->poller);
    return self;
}

//  Closes the probes' connections and frees the actor's state.
static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    for (int check = 0; check < WF_HEALTH_CHECKS; check++)
        wf_health_probe_destroy (&self->probes[check]);
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->publisher);
    wf_metrics_destroy (&self->metrics);
    free (self->report);
    free (self);
    *self_p = NULL;
}

//  Logs a change of state of one dependency, and only a change.
static void
s_log_change (self_t *self, wf_health_check_t check, const wf_health_result_t *result)
{
    s_state_t state = result->healthy ? S_STATE_UP : S_STATE_DOWN;
    if (state == self->states[check])
        return;
    char description[WF_LOG_VALUE_BYTES_MAX];
    wf_log_quote (description, sizeof description, result->description);
    const char *before = self->states[check] == S_STATE_UNKNOWN ? "unknown"
                         : self->states[check] == S_STATE_UP    ? "up"
                                                                : "down";
    wf_log (result->healthy ? WF_LOG_INFO : WF_LOG_WARN, S_ACTOR,
            result->healthy ? "dependency_up" : "dependency_down", NULL,
            "check=%s was=%s duration_ms=%.3f description=%s", result->name, before,
            (double) result->duration_us / 1000.0, description);
    self->states[check] = state;
}

//  Runs every configured probe, then publishes and records the round.
static void
s_round (self_t *self)
{
    wf_health_result_t results[WF_HEALTH_CHECKS];
    int count = 0;
    for (int check = 0; check < WF_HEALTH_CHECKS; check++) {
        if (!self->probes[check])
            continue;
        wf_health_result_t *result = &results[count++];
        wf_health_probe_run (self->probes[check], result);
        wf_metric_set (self->up[check], result->healthy ? 1 : 0);
        wf_metric_observe (self->durations[check], (double) result->duration_us / 1e6);
        if (!result->healthy)
            wf_metric_inc (self->failures[check], 1);
        s_log_change (self, (wf_health_check_t) check, result);
    }
    free (self->report);
    self->report = s_report_json (self, results, count, zclock_time ());
    if (self->publisher)
        zsock_send (self->publisher, "ss", WF_HEALTH_TOPIC, self->report);
}

//  Handles one command from the pipe.
static void
s_handle_pipe (self_t *self)
{
    zmsg_t *message = zmsg_recv (self->pipe);
    if (!message) {
        self->terminated = true; //  interrupted
        return;
    }
    char *command = zmsg_popstr (message);
    if (command && streq (command, "$TERM"))
        self->terminated = true;
    else if (command && streq (command, "REPORT"))
        zstr_send (self->pipe, self->report);
    else if (command && streq (command, "METRICS")) {
        char *text = wf_metrics_text (self->metrics);
        zstr_send (self->pipe, text);
        free (text);
    } else {
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_ERROR, S_ACTOR, "invalid_command", NULL, "command=%s",
                wf_log_quote (quoted, sizeof quoted, command));
    }
    free (command);
    zmsg_destroy (&message);
}

void
wf_health_actor (zsock_t *pipe, void *args)
{
    const wf_health_config_t *config = args;
    assert (config);
    self_t *self = s_self_new (pipe, config);
    zsock_signal (pipe, 0);
    int64_t next_round_ms = zclock_mono ();
    while (!self->terminated) {
        int64_t wait_ms = next_round_ms - zclock_mono ();
        void *which = zpoller_wait (self->poller, wait_ms > 0 ? (int) wait_ms : 0);
        if (which == pipe)
            s_handle_pipe (self);
        else if (zpoller_terminated (self->poller))
            break;
        if (!self->terminated && zclock_mono () >= next_round_ms) {
            s_round (self);
            next_round_ms = zclock_mono () + self->interval_ms;
        }
    }
    s_self_destroy (&self);
}
