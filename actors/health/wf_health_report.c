/*  wf_health_report - the HTTP answer of /health, /health/ready and /health/live.

    The report is read into a small fixed view (at most WF_HEALTH_REPORT_ENTRIES_MAX entries
    that point into the parsed json), the view decides the status, and the body is rendered
    from the view. The report comes from our own actor, but it is still read defensively:
    anything unexpected in it reads as "no report", never as healthy.
*/
#include "wf_health_report.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CHECK_NAMES     4
#define S_DURATION_US_MAX (1000LL * 1000 * 1000 * 1000) //  beyond this a duration is nonsense

typedef enum { S_HEALTHY, S_DEGRADED, S_UNHEALTHY } s_status_t;

static const char *s_status_names[] = {"Healthy", "Degraded", "Unhealthy"};

//  The dependency checks we know, in report order; the first and last are required.
static const char *s_check_names[S_CHECK_NAMES] = {"postgres", "redis", "rabbitmq", "broker"};

typedef struct {
    const char *name;
    s_status_t status;
    int64_t duration_us;
    const char *description;
    json_t *data;  //  the check's data object (borrowed from the report), or NULL
    bool required; //  Unhealthy makes the whole answer Unhealthy, not Degraded
} s_entry_t;

typedef struct {
    s_entry_t entries[WF_HEALTH_REPORT_ENTRIES_MAX];
    int count;
} s_view_t;

void
wf_health_timespan (int64_t duration_us, char *text, size_t size)
{
    assert (text && size >= 32);
    if (duration_us < 0)
        duration_us = 0;
    int64_t seconds = duration_us / 1000000;
    int ticks = (int) (duration_us % 1000000) * 10;
    int days = (int) (seconds / 86400);
    int hours = (int) (seconds / 3600 % 24);
    int minutes = (int) (seconds / 60 % 60);
    if (days > 0)
        snprintf (text, size, "%d.%02d:%02d:%02d.%07d", days, hours, minutes, (int) (seconds % 60),
                  ticks);
    else
        snprintf (text, size, "%02d:%02d:%02d.%07d", hours, minutes, (int) (seconds % 60), ticks);
}

//  Index of a known dependency check, or -1.
static int
s_known (const char *name)
{
    for (int index = 0; index < S_CHECK_NAMES; index++)
        if (strcmp (name, s_check_names[index]) == 0)
            return index;
    return -1;
}

//  True when the view already has an entry of this name.
static bool
s_listed (const s_view_t *view, const char *name)
{
    for (int index = 0; index < view->count; index++)
        if (strcmp (view->entries[index].name, name) == 0)
            return true;
    return false;
}

//  Adds an entry for name; a fresh check carries its own result, a stale one "no probe".
static void
s_add (s_view_t *view, const char *name, json_t *check)
{
    if (view->count == WF_HEALTH_REPORT_ENTRIES_MAX || s_listed (view, name))
        return;
    int known = s_known (name);
    s_entry_t *entry = &view->entries[view->count++];
    entry->name = name;
    entry->required = known == 0 || known == S_CHECK_NAMES - 1;
    entry->status = S_UNHEALTHY;
    entry->duration_us = 0;
    entry->description = WF_HEALTH_NO_PROBE;
    entry->data = NULL;
    if (!check)
        return;
    json_t *data = json_object_get (check, "data");
    entry->data = json_is_object (data) ? data : NULL;
    const char *status = json_string_value (json_object_get (check, "status"));
    if (status && strcmp (status, "Healthy") == 0)
        entry->status = S_HEALTHY;
    else if (status && strcmp (status, "Degraded") == 0)
        entry->status = S_DEGRADED;
    double duration_ms = json_number_value (json_object_get (check, "durationMs"));
    if (isfinite (duration_ms) && duration_ms > 0)
        entry->duration_us = duration_ms * 1000 < (double) S_DURATION_US_MAX
                                 ? llround (duration_ms * 1000)
                                 : S_DURATION_US_MAX;
    const char *description = json_string_value (json_object_get (check, "description"));
    entry->description = description ? description : "";
}

//  Fills the view from the report's checks; fresh says whether their results still count.
static void
s_collect (s_view_t *view, json_t *checks, wf_health_kind_t kind, bool fresh)
{
    size_t index;
    json_t *check;
    json_array_foreach (checks, index, check)
    {
        const char *name = json_string_value (json_object_get (check, "name"));
        if (!name || !*name || (kind == WF_HEALTH_READY && s_known (name) < 0))
            continue;
        s_add (view, name, fresh ? check : NULL);
    }
    if (!fresh && view->count == 0)
        for (int known = 0; known < S_CHECK_NAMES; known++)
            s_add (view, s_check_names[known], NULL);
}

//  Reads a report's checks, and whether it is recent; NULL checks when it is not a report.
static json_t *
s_report_checks (json_t *root, int64_t now_ms, bool *fresh)
{
    *fresh = false;
    json_t *checks = json_object_get (root, "checks");
    json_t *ts = json_object_get (root, "ts");
    if (!json_is_array (checks) || !json_is_integer (ts))
        return NULL;
    json_int_t interval_ms = json_integer_value (json_object_get (root, "intervalMs"));
    if (interval_ms <= 0)
        interval_ms = 1000;
    json_int_t ts_ms = json_integer_value (ts);
    *fresh = ts_ms > 0 && now_ms - ts_ms <= WF_HEALTH_STALE_INTERVALS * interval_ms;
    return checks;
}

//  The answer's status: the worst of the entries, an optional check weighing Degraded.
static s_status_t
s_overall (const s_view_t *view)
{
    s_status_t overall = S_HEALTHY;
    for (int index = 0; index < view->count; index++) {
        const s_entry_t *entry = &view->entries[index];
        s_status_t weight = entry->status;
        if (weight == S_UNHEALTHY && !entry->required)
            weight = S_DEGRADED;
        if (weight > overall)
            overall = weight;
    }
    return overall;
}

//  Renders the JSON body of HealthChecks.UI's writer.
static char *
s_json_body (const s_view_t *view, s_status_t overall)
{
    json_t *entries = json_object ();
    int64_t total_us = 0;
    char duration[32];
    for (int index = 0; index < view->count; index++) {
        const s_entry_t *entry = &view->entries[index];
        total_us += entry->duration_us;
        wf_health_timespan (entry->duration_us, duration, sizeof duration);
        json_t *data = entry->data ? json_deep_copy (entry->data) : json_object ();
        json_t *value = json_pack ("{s:s, s:s, s:s, s:o, s:[]}", "status",
                                   s_status_names[entry->status], "duration", duration,
                                   "description", entry->description, "data", data, "tags");
        assert (value);
        json_object_set_new (entries, entry->name, value);
    }
    wf_health_timespan (total_us, duration, sizeof duration);
    json_t *root = json_pack ("{s:s, s:s, s:o}", "status", s_status_names[overall], "totalDuration",
                              duration, "entries", entries);
    assert (root);
    char *body = json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (9));
    assert (body);
    json_decref (root);
    return body;
}

int
wf_health_render (const char *report_json, wf_health_kind_t kind, bool want_json, int64_t now_ms,
                  int *http_status, char **body, const char **content_type)
{
    assert (kind == WF_HEALTH_LIVE || kind == WF_HEALTH_READY || kind == WF_HEALTH_ALL);
    assert (http_status && body && content_type);
    int rc = 0;
    json_t *root = NULL;
    json_t *checks = NULL;
    bool fresh = false;
    if (report_json) {
        root = json_loads (report_json, JSON_REJECT_DUPLICATES, NULL);
        checks = root ? s_report_checks (root, now_ms, &fresh) : NULL;
        rc = checks ? 0 : -1;
    }
    s_view_t view = {.count = 0};
    if (kind != WF_HEALTH_LIVE) {
        json_t *none = json_array ();
        s_collect (&view, checks ? checks : none, kind, fresh && checks);
        json_decref (none);
    }
    s_status_t overall = s_overall (&view);
    *http_status = overall == S_UNHEALTHY ? 503 : 200;
    if (want_json) {
        *body = s_json_body (&view, overall);
        *content_type = "application/json";
    } else {
        *body = strdup (s_status_names[overall]);
        assert (*body);
        *content_type = "text/plain";
    }
    json_decref (root);
    return rc;
}
