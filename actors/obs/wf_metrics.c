/*  wf_metrics - one actor's metrics registry, rendered as Prometheus text.

    The registry is three fixed arrays allocated in wf_metrics_new: families, series, and an
    open-addressing index from a hash of (name, labels) to a series. Series of one family are
    chained in registration order, which is the order they are rendered in. Handles point
    into the series array, which never moves.
*/
#include "wf_metrics.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_INDEX_SLOTS 1024 //  power of two, at least twice the series limit
_Static_assert((S_INDEX_SLOTS & (S_INDEX_SLOTS - 1)) == 0, "index slots: a power of two");
_Static_assert(S_INDEX_SLOTS >= 2 * WF_METRICS_SERIES_MAX, "index stays at most half full");

typedef enum { S_KIND_COUNTER, S_KIND_GAUGE, S_KIND_HISTOGRAM, S_KIND_OVERFLOW } s_kind_t;

static const char *s_kind_names[] = {"counter", "gauge", "histogram", "counter"};

//  Finite bucket bounds, and their labels as rendered (the last label is +Inf).
static const double s_bounds[WF_METRICS_BUCKETS - 1] = {.0005, .001, .0025, .005, .01, .025, .05,
                                                        .1,    .25,  .5,    1,    2.5, 5,    10};
static const char *s_bound_labels[WF_METRICS_BUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",   "0.5",   "1",      "2.5",   "5",    "10",    "+Inf"};

typedef struct {
    char name[WF_METRICS_NAME_BYTES_MAX];
    char help[WF_METRICS_HELP_BYTES_MAX];
    s_kind_t kind;
    int first; //  first series of the family, -1 when none
    int last;
} s_family_t;

struct _wf_metric_t {
    s_kind_t kind;
    int family;
    int next; //  next series of the same family, -1 at the end
    uint32_t hash;
    int label_count;
    char label_names[WF_METRICS_LABELS_MAX][WF_METRICS_LABEL_NAME_BYTES_MAX];
    char label_values[WF_METRICS_LABELS_MAX][WF_METRICS_VALUE_BYTES_MAX];
    uint64_t count;                       //  counter value, histogram count, overflow count
    double value;                         //  gauge value, histogram sum
    uint64_t buckets[WF_METRICS_BUCKETS]; //  per bucket, not cumulative
};

struct _wf_metrics_t {
    char owner[WF_METRICS_OWNER_BYTES_MAX];
    s_family_t *families;
    int family_count;
    wf_metric_t *series;
    int series_count;
    int *index; //  S_INDEX_SLOTS entries: series number, or -1
    wf_metric_t overflow;
};

//  True when name matches [a-zA-Z_:][a-zA-Z0-9_:]* (colons only when allowed).
static bool
s_valid_name (const char *name, bool colons)
{
    if (!name || !*name || (*name >= '0' && *name <= '9'))
        return false;
    for (const char *p = name; *p; p++) {
        bool letter = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
        bool digit = *p >= '0' && *p <= '9';
        if (!letter && !digit && *p != '_' && !(colons && *p == ':'))
            return false;
    }
    return true;
}

wf_metrics_t *
wf_metrics_new (const char *owner)
{
    assert (s_valid_name (owner, false));
    assert (strlen (owner) < WF_METRICS_OWNER_BYTES_MAX);
    wf_metrics_t *self = calloc (1, sizeof *self);
    assert (self);
    strcpy (self->owner, owner);
    self->families = calloc (WF_METRICS_FAMILIES_MAX, sizeof *self->families);
    self->series = calloc (WF_METRICS_SERIES_MAX, sizeof *self->series);
    self->index = malloc (S_INDEX_SLOTS * sizeof *self->index);
    assert (self->families && self->series && self->index);
    for (int slot = 0; slot < S_INDEX_SLOTS; slot++)
        self->index[slot] = -1;
    self->overflow.kind = S_KIND_OVERFLOW;
    self->overflow.family = -1;
    self->overflow.next = -1;
    return self;
}

void
wf_metrics_destroy (wf_metrics_t **self_p)
{
    assert (self_p);
    wf_metrics_t *self = *self_p;
    if (!self)
        return;
    free (self->families);
    free (self->series);
    free (self->index);
    free (self);
    *self_p = NULL;
}

//  Copies at most size - 1 bytes of source and terminates; cuts long text.
static void
s_copy (char *target, size_t size, const char *source)
{
    size_t length = strnlen (source, size - 1);
    memcpy (target, source, length);
    target[length] = 0;
}

//  FNV-1a over a string and its terminator, continuing from hash.
static uint32_t
s_hash (uint32_t hash, const char *text)
{
    const unsigned char *p = (const unsigned char *) text;
    do {
        hash ^= *p;
        hash *= 16777619u;
    } while (*p++);
    return hash;
}

//  Fills key with the (cut) labels from the argument list, and its hash with name.
static void
s_key_fill (wf_metric_t *key, const char *name, va_list args)
{
    memset (key, 0, sizeof *key);
    key->hash = s_hash (2166136261u, name);
    const char *label_name;
    while ((label_name = va_arg (args, const char *))) {
        const char *label_value = va_arg (args, const char *);
        assert (key->label_count < WF_METRICS_LABELS_MAX);
        assert (s_valid_name (label_name, false) && strcmp (label_name, "le") != 0);
        assert (strlen (label_name) < WF_METRICS_LABEL_NAME_BYTES_MAX);
        int at = key->label_count++;
        strcpy (key->label_names[at], label_name);
        s_copy (key->label_values[at], WF_METRICS_VALUE_BYTES_MAX, label_value ? label_value : "");
        key->hash = s_hash (s_hash (key->hash, key->label_names[at]), key->label_values[at]);
    }
}

//  True when series has the labels of key.
static bool
s_same_labels (const wf_metric_t *series, const wf_metric_t *key)
{
    if (series->label_count != key->label_count)
        return false;
    for (int at = 0; at < key->label_count; at++)
        if (strcmp (series->label_names[at], key->label_names[at]) != 0 ||
            strcmp (series->label_values[at], key->label_values[at]) != 0)
            return false;
    return true;
}

//  Finds a family by name, or registers it; -1 when the family limit is reached.
static int
s_family (wf_metrics_t *self, const char *name, const char *help, s_kind_t kind)
{
    for (int at = 0; at < self->family_count; at++)
        if (strcmp (self->families[at].name, name) == 0) {
            assert (self->families[at].kind == kind);
            return at;
        }
    if (self->family_count == WF_METRICS_FAMILIES_MAX)
        return -1;
    s_family_t *family = &self->families[self->family_count];
    strcpy (family->name, name);
    s_copy (family->help, sizeof family->help, help ? help : "");
    family->kind = kind;
    family->first = family->last = -1;
    return self->family_count++;
}

//  Adds series number at to its family's chain.
static void
s_chain (wf_metrics_t *self, int at)
{
    wf_metric_t *series = &self->series[at];
    s_family_t *family = &self->families[series->family];
    if (family->last >= 0) {
        //  One family, one set of label names, in one order.
        const wf_metric_t *first = &self->series[family->first];
        assert (first->label_count == series->label_count);
        for (int label = 0; label < series->label_count; label++)
            assert (strcmp (first->label_names[label], series->label_names[label]) == 0);
        self->series[family->last].next = at;
    } else
        family->first = at;
    family->last = at;
}

//  Finds or registers the series (kind, name, labels in args).
static wf_metric_t *
s_lookup (wf_metrics_t *self, s_kind_t kind, const char *name, const char *help, va_list args)
{
    assert (self);
    assert (s_valid_name (name, true) && strlen (name) < WF_METRICS_NAME_BYTES_MAX);
    wf_metric_t key;
    s_key_fill (&key, name, args);
    unsigned slot = key.hash & (S_INDEX_SLOTS - 1);
    for (; self->index[slot] >= 0; slot = (slot + 1) & (S_INDEX_SLOTS - 1)) {
        wf_metric_t *series = &self->series[self->index[slot]];
        if (series->hash == key.hash && s_same_labels (series, &key) &&
            strcmp (self->families[series->family].name, name) == 0) {
            assert (series->kind == kind);
            return series;
        }
    }
    if (self->series_count == WF_METRICS_SERIES_MAX)
        return &self->overflow;
    int family = s_family (self, name, help, kind);
    if (family < 0)
        return &self->overflow;
    int at = self->series_count++;
    wf_metric_t *series = &self->series[at];
    *series = key;
    series->kind = kind;
    series->family = family;
    series->next = -1;
    self->index[slot] = at;
    s_chain (self, at);
    return series;
}

wf_metric_t *
wf_metrics_counter (wf_metrics_t *self, const char *name, const char *help, ...)
{
    va_list args;
    va_start (args, help);
    wf_metric_t *series = s_lookup (self, S_KIND_COUNTER, name, help, args);
    va_end (args);
    return series;
}

wf_metric_t *
wf_metrics_gauge (wf_metrics_t *self, const char *name, const char *help, ...)
{
    va_list args;
    va_start (args, help);
    wf_metric_t *series = s_lookup (self, S_KIND_GAUGE, name, help, args);
    va_end (args);
    return series;
}

wf_metric_t *
wf_metrics_histogram (wf_metrics_t *self, const char *name, const char *help, ...)
{
    va_list args;
    va_start (args, help);
    wf_metric_t *series = s_lookup (self, S_KIND_HISTOGRAM, name, help, args);
    va_end (args);
    return series;
}

void
wf_metrics_counter_add (wf_metrics_t *self, const char *name, const char *help, uint64_t n, ...)
{
    va_list args;
    va_start (args, n);
    wf_metric_inc (s_lookup (self, S_KIND_COUNTER, name, help, args), n);
    va_end (args);
}

void
wf_metric_inc (wf_metric_t *metric, uint64_t n)
{
    assert (metric);
    assert (metric->kind == S_KIND_COUNTER || metric->kind == S_KIND_OVERFLOW);
    metric->count += metric->kind == S_KIND_OVERFLOW ? 1 : n;
}

void
wf_metric_set (wf_metric_t *metric, double value)
{
    assert (metric);
    assert (metric->kind == S_KIND_GAUGE || metric->kind == S_KIND_OVERFLOW);
    if (metric->kind == S_KIND_OVERFLOW)
        metric->count++;
    else
        metric->value = value;
}

void
wf_metric_add (wf_metric_t *metric, double delta)
{
    assert (metric);
    assert (metric->kind == S_KIND_GAUGE || metric->kind == S_KIND_OVERFLOW);
    if (metric->kind == S_KIND_OVERFLOW)
        metric->count++;
    else
        metric->value += delta;
}

void
wf_metric_observe (wf_metric_t *metric, double value)
{
    assert (metric);
    assert (metric->kind == S_KIND_HISTOGRAM || metric->kind == S_KIND_OVERFLOW);
    if (metric->kind == S_KIND_OVERFLOW) {
        metric->count++;
        return;
    }
    if (isnan (value))
        return;
    int bucket = 0;
    while (bucket < WF_METRICS_BUCKETS - 1 && value > s_bounds[bucket])
        bucket++;
    metric->buckets[bucket]++;
    metric->count++;
    metric->value += value;
}

size_t
wf_metrics_series (wf_metrics_t *self)
{
    assert (self);
    return (size_t) self->series_count;
}

uint64_t
wf_metrics_dropped (wf_metrics_t *self)
{
    assert (self);
    return self->overflow.count;
}

//  Rendering ---------------------------------------------------------------------------

//  An snprintf-style output: counts every byte, stores those that fit.
typedef struct {
    char *data;
    size_t size;
    size_t length;
} s_out_t;

//  Appends n bytes (as many as fit stay in the buffer; all are counted).
static void
s_out (s_out_t *out, const char *bytes, size_t n)
{
    if (out->length + 1 < out->size) {
        size_t room = out->size - 1 - out->length;
        memcpy (out->data + out->length, bytes, n < room ? n : room);
    }
    out->length += n;
}

//  Appends a C string.
static void
s_outs (s_out_t *out, const char *text)
{
    s_out (out, text, strlen (text));
}

//  Appends text with the escapes of HELP lines (\\ \n) or, with quote, of label values (\").
static void
s_out_escaped (s_out_t *out, const char *text, bool quote)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            s_outs (out, "\\\\");
        else if (*p == '\n')
            s_outs (out, "\\n");
        else if (*p == '"' && quote)
            s_outs (out, "\\\"");
        else
            s_out (out, p, 1);
    }
}

//  Appends a sample value: the shortest of %.15g / %.17g that reads back exactly.
static void
s_out_double (s_out_t *out, double value)
{
    char text[40];
    if (isnan (value))
        strcpy (text, "NaN");
    else if (isinf (value))
        strcpy (text, value > 0 ? "+Inf" : "-Inf");
    else {
        snprintf (text, sizeof text, "%.15g", value);
        if (strtod (text, NULL) != value)
            snprintf (text, sizeof text, "%.17g", value);
    }
    s_outs (out, text);
}

//  Appends an unsigned integer sample value.
static void
s_out_u64 (s_out_t *out, uint64_t value)
{
    char text[24];
    snprintf (text, sizeof text, "%llu", (unsigned long long) value);
    s_outs (out, text);
}

//  Appends "name{labels,le="..."} " for one series; le may be NULL.
static void
s_out_series (s_out_t *out, const char *name, const char *suffix, const wf_metric_t *series,
              const char *le)
{
    s_outs (out, name);
    s_outs (out, suffix);
    if (series->label_count > 0 || le) {
        s_outs (out, "{");
        for (int at = 0; at < series->label_count; at++) {
            s_outs (out, at ? "," : "");
            s_outs (out, series->label_names[at]);
            s_outs (out, "=\"");
            s_out_escaped (out, series->label_values[at], true);
            s_outs (out, "\"");
        }
        if (le) {
            s_outs (out, series->label_count ? ",le=\"" : "le=\"");
            s_outs (out, le);
            s_outs (out, "\"");
        }
        s_outs (out, "}");
    }
    s_outs (out, " ");
}

//  Appends the lines of one histogram series: cumulative buckets, sum, count.
static void
s_out_histogram (s_out_t *out, const char *name, const wf_metric_t *series)
{
    uint64_t cumulative = 0;
    for (int bucket = 0; bucket < WF_METRICS_BUCKETS; bucket++) {
        cumulative += series->buckets[bucket];
        s_out_series (out, name, "_bucket", series, s_bound_labels[bucket]);
        s_out_u64 (out, cumulative);
        s_outs (out, "\n");
    }
    s_out_series (out, name, "_sum", series, NULL);
    s_out_double (out, series->value);
    s_outs (out, "\n");
    s_out_series (out, name, "_count", series, NULL);
    s_out_u64 (out, series->count);
    s_outs (out, "\n");
}

//  Appends the # HELP and # TYPE lines of a family.
static void
s_out_family_head (s_out_t *out, const char *name, const char *help, s_kind_t kind)
{
    s_outs (out, "# HELP ");
    s_outs (out, name);
    s_outs (out, " ");
    s_out_escaped (out, help, false);
    s_outs (out, "\n# TYPE ");
    s_outs (out, name);
    s_outs (out, " ");
    s_outs (out, s_kind_names[kind]);
    s_outs (out, "\n");
}

//  Appends one family with all its series.
static void
s_out_family (s_out_t *out, wf_metrics_t *self, const s_family_t *family)
{
    s_out_family_head (out, family->name, family->help, family->kind);
    for (int at = family->first; at >= 0; at = self->series[at].next) {
        const wf_metric_t *series = &self->series[at];
        if (family->kind == S_KIND_HISTOGRAM) {
            s_out_histogram (out, family->name, series);
            continue;
        }
        s_out_series (out, family->name, "", series, NULL);
        if (family->kind == S_KIND_COUNTER)
            s_out_u64 (out, series->count);
        else
            s_out_double (out, series->value);
        s_outs (out, "\n");
    }
}

size_t
wf_metrics_render (wf_metrics_t *self, char *buffer, size_t size)
{
    assert (self);
    assert (buffer || size == 0);
    s_out_t out = {buffer, size, 0};
    for (int at = 0; at < self->family_count; at++)
        s_out_family (&out, self, &self->families[at]);
    //  The overflow counter appears once something was dropped.
    if (self->overflow.count > 0) {
        char name[WF_METRICS_NAME_BYTES_MAX + WF_METRICS_OWNER_BYTES_MAX];
        snprintf (name, sizeof name, "wf_%s_metrics_dropped_total", self->owner);
        s_out_family_head (&out, name, "Metric updates dropped: the registry was full",
                           S_KIND_COUNTER);
        s_out_series (&out, name, "", &self->overflow, NULL);
        s_out_u64 (&out, self->overflow.count);
        s_outs (&out, "\n");
    }
    if (size > 0)
        buffer[out.length < size ? out.length : size - 1] = 0;
    return out.length;
}

char *
wf_metrics_text (wf_metrics_t *self)
{
    size_t length = wf_metrics_render (self, NULL, 0);
    char *text = malloc (length + 1);
    assert (text);
    size_t written = wf_metrics_render (self, text, length + 1);
    assert (written == length);
    return text;
}
