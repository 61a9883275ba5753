/*  wf_metrics - one actor's metrics registry, rendered as Prometheus text.

    Each actor owns one registry; there is no global or shared state, so there are no locks.
    The actor answers a "METRICS" pipe command with wf_metrics_text, and the front joins the
    texts it collects. Family names must therefore be unique across actors (prefix them with
    the actor: wf_health_..., wf_http_...), or the joined text would repeat a # TYPE line.

    A series is a family name plus up to WF_METRICS_LABELS_MAX label pairs. Registration looks
    the series up (hashing name and labels) and returns a handle; updates through the handle
    (wf_metric_inc, _set, _add, _observe) touch only numbers: no allocation, no hashing. Keep
    handles for hot paths and register once.

    Everything is sized at wf_metrics_new: at most WF_METRICS_FAMILIES_MAX families and
    WF_METRICS_SERIES_MAX series. A registration beyond either limit returns the registry's
    overflow handle, whose every update counts one in wf_<owner>_metrics_dropped_total; the
    registry never grows. Label values longer than WF_METRICS_VALUE_BYTES_MAX - 1 bytes are
    cut, so two values that differ only beyond that share one series.

    Histograms use one fixed set of latency buckets in seconds:
        .0005 .001 .0025 .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 +Inf
    A bucket counts observations <= its bound ("le").

    Names, label names and kinds are the program's own: misuse is an assertion. Label values
    may come from outside and are escaped when rendered (\\ \" \n).
*/
#ifndef WF_METRICS_H_INCLUDED
#define WF_METRICS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define WF_METRICS_FAMILIES_MAX         64
#define WF_METRICS_SERIES_MAX           512
#define WF_METRICS_LABELS_MAX           3
#define WF_METRICS_NAME_BYTES_MAX       64  //  family name, NUL included
#define WF_METRICS_LABEL_NAME_BYTES_MAX 32  //  label name, NUL included
#define WF_METRICS_VALUE_BYTES_MAX      64  //  label value, NUL included; longer ones are cut
#define WF_METRICS_HELP_BYTES_MAX       160 //  help text, NUL included; longer ones are cut
#define WF_METRICS_OWNER_BYTES_MAX      24  //  owner ("health"), NUL included
#define WF_METRICS_BUCKETS              15  //  histogram buckets, +Inf included

typedef struct _wf_metrics_t wf_metrics_t;
typedef struct _wf_metric_t wf_metric_t;

//  Creates a registry for one owner (an actor name of [a-z0-9_]). Allocates all it will use.
wf_metrics_t *wf_metrics_new (const char *owner);

//  Destroys a registry and nulls the pointer; its handles die with it.
void wf_metrics_destroy (wf_metrics_t **self_p);

//  Finds or registers a counter series; the variable part is label name/value pairs, ended by
//  NULL. Returns the series handle, or the overflow handle beyond the limits; never NULL.
wf_metric_t *wf_metrics_counter (wf_metrics_t *self, const char *name, const char *help, ...)
    __attribute__ ((sentinel));

//  Finds or registers a gauge series, as wf_metrics_counter.
wf_metric_t *wf_metrics_gauge (wf_metrics_t *self, const char *name, const char *help, ...)
    __attribute__ ((sentinel));

//  Finds or registers a histogram series (latency buckets), as wf_metrics_counter.
wf_metric_t *wf_metrics_histogram (wf_metrics_t *self, const char *name, const char *help, ...)
    __attribute__ ((sentinel));

//  One-shot form for cold paths: finds or registers the counter, then adds n.
void wf_metrics_counter_add (wf_metrics_t *self, const char *name, const char *help, uint64_t n,
                             ...) __attribute__ ((sentinel));

//  Adds n to a counter.
void wf_metric_inc (wf_metric_t *metric, uint64_t n);

//  Sets a gauge.
void wf_metric_set (wf_metric_t *metric, double value);

//  Adds delta (may be negative) to a gauge.
void wf_metric_add (wf_metric_t *metric, double delta);

//  Records one observation in a histogram; NaN is ignored.
void wf_metric_observe (wf_metric_t *metric, double value);

//  Renders the registry in Prometheus text format 0.0.4 into buffer, snprintf-style: writes
//  at most size bytes (NUL included) and returns the length the whole text needs.
size_t wf_metrics_render (wf_metrics_t *self, char *buffer, size_t size);

//  Renders the registry into a fresh string the caller frees.
char *wf_metrics_text (wf_metrics_t *self);

//  Number of registered series (the overflow handle excluded).
size_t wf_metrics_series (wf_metrics_t *self);

//  Updates counted by the overflow handle so far.
uint64_t wf_metrics_dropped (wf_metrics_t *self);

#endif
