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
#include <inttypes.h>
#include <jansson.h>
#include <math.h>

#define S_ACTOR "health"

typedef enum { S_STATE_UNKNOWN, S_STATE_DOWN, S_STATE_UP } s_state_t;

//  What one round found besides the probes: the AMQP backlog, when it could be measured.
typedef struct {
    bool measured;
    wf_health_backlog_t backlog;
} s_extra_t;

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
    wf_metric_t *backlog_rows, *backlog_age; //  NULL unless postgres and rabbitmq are probed
    int backlog_age_ms_max;
    bool backlog_failing; //  the last backlog query failed (logged once per change)
    char *report;         //  latest report json
    bool terminated;
} self_t;

//  The report status of one result. RabbitMQ is optional by design: while it is down, or while
//  its backlog is older than backlog_age_ms_max, events wait in the outbox and nothing is lost,
//  so its check says Degraded rather than Unhealthy.
static const char *
s_status (self_t *self, const wf_health_result_t *result, const s_extra_t *extra)
{
    if (strcmp (result->name, wf_health_check_name (WF_HEALTH_RABBITMQ)) != 0)
        return result->healthy ? "Healthy" : "Unhealthy";
    bool stale =
        extra->measured && extra->backlog.oldest_age_s * 1000.0 > (double) self->backlog_age_ms_max;
    return result->healthy && !stale ? "Healthy" : "Degraded";
}

//  The data object of one check: the AMQP backlog on the rabbitmq check, else empty.
static json_t *
s_data (const wf_health_result_t *result, const s_extra_t *extra)
{
    if (!extra->measured || strcmp (result->name, wf_health_check_name (WF_HEALTH_RABBITMQ)) != 0)
        return json_object ();
    return json_pack ("{s:I, s:f, s:b}", "backlogRows", (json_int_t) extra->backlog.rows,
                      "backlogOldestSeconds", round (extra->backlog.oldest_age_s * 1000.0) / 1000.0,
                      "backlogCapped", extra->backlog.rows >= WF_HEALTH_BACKLOG_ROWS_MAX);
}

//  Builds the report json of one round; the caller frees it.
static char *
s_report_json (self_t *self, const wf_health_result_t *results, int count, int64_t ts_ms,
               const s_extra_t *extra)
{
    json_t *checks = json_array ();
    for (int index = 0; index < count; index++) {
        const wf_health_result_t *result = &results[index];
        json_array_append_new (checks,
                               json_pack ("{s:s, s:s, s:f, s:s, s:o}", "name", result->name,
                                          "status", s_status (self, result, extra), "durationMs",
                                          (double) result->duration_us / 1000.0, "description",
                                          result->description, "data", s_data (result, extra)));
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
    if (check == WF_HEALTH_RABBITMQ)
        wf_health_probe_set_tls (self->probes[check], config->amqp_tls_ca,
                                 !config->amqp_tls_no_verify);
    s_metrics_register (self, check);
}

//  Registers the backlog gauges when both ends of the backlog are probed.
static void
s_backlog_register (self_t *self, const wf_health_config_t *config)
{
    self->backlog_age_ms_max = config->amqp_backlog_age_ms_max > 0
                                   ? config->amqp_backlog_age_ms_max
                                   : WF_HEALTH_AMQP_BACKLOG_AGE_MS_MAX_DEFAULT;
    if (!self->probes[WF_HEALTH_POSTGRES] || !self->probes[WF_HEALTH_RABBITMQ])
        return;
    self->backlog_rows =
        wf_metrics_gauge (self->metrics, "wf_amqp_backlog_rows",
                          "Outbox rows waiting for RabbitMQ (counted up to 100000)", NULL);
    self->backlog_age =
        wf_metrics_gauge (self->metrics, "wf_amqp_backlog_age_seconds",
                          "Age of the oldest outbox row waiting for RabbitMQ", NULL);
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
    s_backlog_register (self, config);
    s_extra_t none = {.measured = false};
    self->report = s_report_json (self, NULL, 0, 0, &none);
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

//  Measures the AMQP backlog after a healthy postgres probe; logs a failing query once.
static void
s_backlog (self_t *self, const wf_health_result_t *postgres, s_extra_t *extra)
{
    extra->measured = false;
    if (!self->backlog_rows || !postgres || !postgres->healthy)
        return;
    char error[WF_HEALTH_DESCRIPTION_BYTES_MAX];
    extra->measured =
        wf_health_probe_backlog (self->probes[WF_HEALTH_POSTGRES], &extra->backlog, error) == 0;
    if (!extra->measured && !self->backlog_failing) {
        char quoted[WF_LOG_VALUE_BYTES_MAX];
        wf_log (WF_LOG_WARN, S_ACTOR, "backlog_unknown", NULL, "reason=%s",
                wf_log_quote (quoted, sizeof quoted, error));
    }
    self->backlog_failing = !extra->measured;
    if (extra->measured) {
        wf_metric_set (self->backlog_rows, (double) extra->backlog.rows);
        wf_metric_set (self->backlog_age, extra->backlog.oldest_age_s);
    }
}

//  Puts the backlog in front of the rabbitmq check's description (so it is never the part
//  cut), and says why a reachable RabbitMQ is degraded when its backlog is too old.
static void
s_describe_backlog (self_t *self, wf_health_result_t *rabbitmq, const s_extra_t *extra)
{
    if (!rabbitmq || !extra->measured)
        return;
    char probe[WF_HEALTH_DESCRIPTION_BYTES_MAX];
    snprintf (probe, sizeof probe, "%s", rabbitmq->description);
    bool stale = extra->backlog.oldest_age_s * 1000.0 > (double) self->backlog_age_ms_max;
    int length = snprintf (
        rabbitmq->description, sizeof rabbitmq->description,
        "backlog %s%" PRId64 " outbox rows waiting for RabbitMQ, oldest %.1f s%s; %s",
        extra->backlog.rows >= WF_HEALTH_BACKLOG_ROWS_MAX ? ">= " : "", extra->backlog.rows,
        extra->backlog.oldest_age_s,
        rabbitmq->healthy && stale ? " (RabbitMQ answers but events are not flowing)" : "", probe);
    assert (length > 0); //  cut when long: the probe's own words are the part that goes
}

//  Runs every configured probe, then publishes and records the round.
static void
s_round (self_t *self)
{
    wf_health_result_t results[WF_HEALTH_CHECKS];
    wf_health_result_t *by_check[WF_HEALTH_CHECKS] = {NULL};
    int count = 0;
    for (int check = 0; check < WF_HEALTH_CHECKS; check++) {
        if (!self->probes[check])
            continue;
        wf_health_result_t *result = by_check[check] = &results[count++];
        wf_health_probe_run (self->probes[check], result);
        wf_metric_set (self->up[check], result->healthy ? 1 : 0);
        wf_metric_observe (self->durations[check], (double) result->duration_us / 1e6);
        if (!result->healthy)
            wf_metric_inc (self->failures[check], 1);
        s_log_change (self, (wf_health_check_t) check, result);
    }
    s_extra_t extra;
    s_backlog (self, by_check[WF_HEALTH_POSTGRES], &extra);
    s_describe_backlog (self, by_check[WF_HEALTH_RABBITMQ], &extra);
    free (self->report);
    self->report = s_report_json (self, results, count, zclock_time (), &extra);
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
