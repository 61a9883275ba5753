/*  wf_health_report - the HTTP answer of /health, /health/ready and /health/live.

    Pure logic, no I/O: from the health actor's latest report json (see wf_health.h), the
    kind of endpoint and the client's Accept, it renders the answer in the ASP.NET Core
    health-check convention.

        LIVE    the process answers: always Healthy (200), no entries; dependencies ignored.
        READY   postgres and broker are required: either Unhealthy -> Unhealthy (503);
                redis or rabbitmq Unhealthy -> Degraded (200); all Healthy -> Healthy (200).
                Lists the four dependency checks present in the report.
        ALL     the same rule, listing every check of the report; a check of another name
                counts like redis (Degraded when Unhealthy).

    A missing, unparsable or old report (ts older than 3 x its intervalMs, or ts 0 before the
    first round) proves nothing: every dependency check is then Unhealthy with description
    "no recent probe" (the checks the report lists, or all four when it lists none).

    The body is the bare status (text/plain) or, with want_json, the JSON of
    HealthChecks.UI's writer:
        {"status":"Degraded","totalDuration":"00:00:00.0012345",
         "entries":{"redis":{"status":"Unhealthy","duration":"00:00:00.0010000",
                             "description":"...","data":{},"tags":[]}, ...}}
    "data" is the check's own data object from the report (the AMQP backlog on rabbitmq, see
    wf_health.h), else {}. Durations are .NET TimeSpan text (7 fraction digits, 100 ns ticks);
    totalDuration is the sum of the listed checks' durations (the probes run one after another).
*/
#ifndef WF_HEALTH_REPORT_H_INCLUDED
#define WF_HEALTH_REPORT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WF_HEALTH_REPORT_ENTRIES_MAX 16 //  checks read from one report
#define WF_HEALTH_STALE_INTERVALS    3  //  a report older than this many intervals is stale
#define WF_HEALTH_NO_PROBE           "no recent probe"

typedef enum { WF_HEALTH_LIVE, WF_HEALTH_READY, WF_HEALTH_ALL } wf_health_kind_t;

//  Renders the answer for kind at now_ms (ms since epoch). Sets *http_status (200 or 503),
//  *body (a fresh string the caller frees) and *content_type ("text/plain" or
//  "application/json"; static). Returns 0, or -1 when report_json was given but is not
//  a report (the answer is then the one for a missing report, and still set).
int wf_health_render (const char *report_json, wf_health_kind_t kind, bool want_json,
                      int64_t now_ms, int *http_status, char **body, const char **content_type);

//  Writes a duration in microseconds as .NET TimeSpan text ("00:00:00.0012345", or
//  "1.02:03:04.0000000" past a day) into text (size >= 32).
void wf_health_timespan (int64_t duration_us, char *text, size_t size);

#endif
