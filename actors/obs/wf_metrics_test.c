/*  wf_metrics_test - registry lookup, limits, bucket boundaries and the exact text rendered.  */
#include "wf_metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The whole exposition of counters, a gauge and a histogram, escapes included.
static void
test_render_exact (void **state)
{
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_metric_t *ok = wf_metrics_counter (metrics, "wf_http_requests_total", "HTTP requests",
                                          "route", "/api", "method", "GET", "status", "200", NULL);
    wf_metric_inc (ok, 3);
    wf_metric_t *odd =
        wf_metrics_counter (metrics, "wf_http_requests_total", "ignored help", "route",
                            "/a\"b\\c\nd", "method", "POST", "status", "500", NULL);
    wf_metric_inc (odd, 1);
    wf_metric_t *depth = wf_metrics_gauge (metrics, "wf_queue_depth", "Queued\nitems \\ now", NULL);
    wf_metric_set (depth, 2.5);
    wf_metric_t *latency =
        wf_metrics_histogram (metrics, "wf_latency_seconds", "Latency", "route", "x", NULL);
    wf_metric_observe (latency, 0.25);
    wf_metric_observe (latency, 0.5);
    wf_metric_observe (latency, 16);
    char *text = wf_metrics_text (metrics);
    assert_string_equal (
        text,
        "# HELP wf_http_requests_total HTTP requests\n"
        "# TYPE wf_http_requests_total counter\n"
        "wf_http_requests_total{route=\"/api\",method=\"GET\",status=\"200\"} 3\n"
        "wf_http_requests_total{route=\"/a\\\"b\\\\c\\nd\",method=\"POST\",status=\"500\"} 1\n"
        "# HELP wf_queue_depth Queued\\nitems \\\\ now\n"
        "# TYPE wf_queue_depth gauge\n"
        "wf_queue_depth 2.5\n"
        "# HELP wf_latency_seconds Latency\n"
        "# TYPE wf_latency_seconds histogram\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.0005\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.001\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.0025\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.005\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.01\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.025\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.05\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.1\"} 0\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.25\"} 1\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"0.5\"} 2\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"1\"} 2\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"2.5\"} 2\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"5\"} 2\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"10\"} 2\n"
        "wf_latency_seconds_bucket{route=\"x\",le=\"+Inf\"} 3\n"
        "wf_latency_seconds_sum{route=\"x\"} 16.75\n"
        "wf_latency_seconds_count{route=\"x\"} 3\n");
    free (text);
    wf_metrics_destroy (&metrics);
    assert_null (metrics);
    wf_metrics_destroy (&metrics);
}

//  Reads the cumulative count of bucket le from a histogram without labels.
static unsigned long long
s_bucket (const char *text, const char *name, const char *le)
{
    char prefix[128];
    snprintf (prefix, sizeof prefix, "%s_bucket{le=\"%s\"} ", name, le);
    const char *line = strstr (text, prefix);
    assert_non_null (line);
    return strtoull (line + strlen (prefix), NULL, 10);
}

//  A value equal to a bound falls in that bucket; the next double up falls in the next one.
static void
test_bucket_boundaries (void **state)
{
    static const double bounds[] = {.0005, .001, .0025, .005, .01, .025, .05,
                                    .1,    .25,  .5,    1,    2.5, 5,    10};
    static const char *labels[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                   "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                   "1",      "2.5",   "5",      "10",    "+Inf"};
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_metric_t *at = wf_metrics_histogram (metrics, "wf_at_seconds", "at bounds", NULL);
    wf_metric_t *above = wf_metrics_histogram (metrics, "wf_above_seconds", "above", NULL);
    for (size_t index = 0; index < sizeof bounds / sizeof bounds[0]; index++) {
        wf_metric_observe (at, bounds[index]);
        wf_metric_observe (above, nextafter (bounds[index], INFINITY));
    }
    wf_metric_observe (at, -1);       //  below every bound: first bucket
    wf_metric_observe (at, NAN);      //  ignored
    wf_metric_observe (above, 1e300); //  only in +Inf
    char *text = wf_metrics_text (metrics);
    for (size_t index = 0; index < 15; index++) {
        unsigned long long count = index < 14 ? index + 2 : 15;
        assert_int_equal (s_bucket (text, "wf_at_seconds", labels[index]), count);
        assert_int_equal (s_bucket (text, "wf_above_seconds", labels[index]),
                          index < 14 ? index : 15);
    }
    assert_non_null (strstr (text, "wf_at_seconds_count 15\n"));
    assert_non_null (strstr (text, "wf_above_seconds_count 15\n"));
    free (text);
    wf_metrics_destroy (&metrics);
}

//  Exactly WF_METRICS_SERIES_MAX series fit; the next one goes to the overflow counter.
static void
test_series_limit (void **state)
{
    wf_metrics_t *metrics = wf_metrics_new ("test");
    static wf_metric_t *handles[WF_METRICS_SERIES_MAX];
    char id[16];
    for (int index = 0; index < WF_METRICS_SERIES_MAX; index++) {
        snprintf (id, sizeof id, "%d", index);
        handles[index] = wf_metrics_counter (metrics, "wf_test_total", "test", "id", id, NULL);
        wf_metric_inc (handles[index], 1);
        for (int before = index - 1; before >= 0 && before > index - 4; before--)
            assert_ptr_not_equal (handles[before], handles[index]);
    }
    assert_int_equal (wf_metrics_series (metrics), WF_METRICS_SERIES_MAX);
    assert_int_equal (wf_metrics_dropped (metrics), 0);
    char *text = wf_metrics_text (metrics);
    assert_null (strstr (text, "dropped"));
    free (text);

    wf_metric_t *extra = wf_metrics_counter (metrics, "wf_test_total", "test", "id", "new", NULL);
    wf_metric_inc (extra, 5);
    wf_metric_t *gauge = wf_metrics_gauge (metrics, "wf_other", "other", NULL);
    wf_metric_set (gauge, 1);
    assert_int_equal (wf_metrics_series (metrics), WF_METRICS_SERIES_MAX);
    assert_int_equal (wf_metrics_dropped (metrics), 2);
    //  Known series are still found.
    assert_ptr_equal (wf_metrics_counter (metrics, "wf_test_total", "test", "id", "7", NULL),
                      handles[7]);
    text = wf_metrics_text (metrics);
    assert_non_null (strstr (text, "# TYPE wf_test_metrics_dropped_total counter\n"
                                   "wf_test_metrics_dropped_total 2\n"));
    assert_non_null (strstr (text, "wf_test_total{id=\"511\"} 1\n"));
    assert_null (strstr (text, "wf_other"));
    free (text);
    wf_metrics_destroy (&metrics);
}

//  Exactly WF_METRICS_FAMILIES_MAX families fit; a new family beyond goes to overflow.
static void
test_family_limit (void **state)
{
    wf_metrics_t *metrics = wf_metrics_new ("fam");
    char name[32];
    for (int index = 0; index < WF_METRICS_FAMILIES_MAX; index++) {
        snprintf (name, sizeof name, "wf_family_%d", index);
        wf_metric_inc (wf_metrics_counter (metrics, name, "f", "kind", "a", NULL), 1);
    }
    assert_int_equal (wf_metrics_dropped (metrics), 0);
    wf_metrics_counter_add (metrics, "wf_family_extra", "f", 9, "kind", "a", NULL);
    assert_int_equal (wf_metrics_dropped (metrics), 1);
    //  A new series of a known family still fits.
    wf_metrics_counter_add (metrics, "wf_family_3", "f", 2, "kind", "b", NULL);
    assert_int_equal (wf_metrics_dropped (metrics), 1);
    assert_int_equal (wf_metrics_series (metrics), WF_METRICS_FAMILIES_MAX + 1);
    wf_metrics_destroy (&metrics);
}

//  One series per (name, labels); label values are cut at the limit before comparing.
static void
test_lookup (void **state)
{
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_metric_t *first = wf_metrics_counter (metrics, "wf_a_total", "a", "k", "v", NULL);
    assert_ptr_equal (wf_metrics_counter (metrics, "wf_a_total", "a", "k", "v", NULL), first);
    assert_ptr_not_equal (wf_metrics_counter (metrics, "wf_a_total", "a", "k", "w", NULL), first);
    assert_ptr_not_equal (wf_metrics_counter (metrics, "wf_b_total", "b", "k", "v", NULL), first);
    char long_a[200], long_b[200];
    memset (long_a, 'x', sizeof long_a);
    memcpy (long_b, long_a, sizeof long_b);
    long_a[199] = long_b[199] = 0;
    long_b[150] = 'y';
    wf_metric_t *cut = wf_metrics_counter (metrics, "wf_a_total", "a", "k", long_a, NULL);
    assert_ptr_equal (wf_metrics_counter (metrics, "wf_a_total", "a", "k", long_b, NULL), cut);
    wf_metrics_counter_add (metrics, "wf_a_total", "a", 4, "k", "v", NULL);
    wf_metric_inc (first, 1);
    assert_int_equal (wf_metrics_series (metrics), 4);
    char *text = wf_metrics_text (metrics);
    assert_non_null (strstr (text, "wf_a_total{k=\"v\"} 5\n"));
    char expected[128];
    snprintf (expected, sizeof expected, "wf_a_total{k=\"%.*s\"} 0\n",
              WF_METRICS_VALUE_BYTES_MAX - 1, long_a);
    assert_non_null (strstr (text, expected));
    free (text);
    wf_metrics_destroy (&metrics);
}

//  Gauge values render exactly and shortest; specials use Prometheus spelling.
static void
test_values (void **state)
{
    wf_metrics_t *metrics = wf_metrics_new ("test");
    wf_metric_t *tenth = wf_metrics_gauge (metrics, "wf_g", "g", "v", "tenth", NULL);
    wf_metric_t *big = wf_metrics_gauge (metrics, "wf_g", "g", "v", "big", NULL);
    wf_metric_t *third = wf_metrics_gauge (metrics, "wf_g", "g", "v", "third", NULL);
    wf_metric_t *nan = wf_metrics_gauge (metrics, "wf_g", "g", "v", "nan", NULL);
    wf_metric_t *inf = wf_metrics_gauge (metrics, "wf_g", "g", "v", "inf", NULL);
    wf_metric_t *down = wf_metrics_gauge (metrics, "wf_g", "g", "v", "down", NULL);
    wf_metric_set (tenth, 0.1);
    wf_metric_set (big, 1e21);
    wf_metric_set (third, 1.0 / 3);
    wf_metric_set (nan, NAN);
    wf_metric_set (inf, -INFINITY);
    wf_metric_add (down, 2);
    wf_metric_add (down, -5);
    char *text = wf_metrics_text (metrics);
    assert_string_equal (text, "# HELP wf_g g\n# TYPE wf_g gauge\n"
                               "wf_g{v=\"tenth\"} 0.1\n"
                               "wf_g{v=\"big\"} 1e+21\n"
                               "wf_g{v=\"third\"} 0.33333333333333331\n"
                               "wf_g{v=\"nan\"} NaN\n"
                               "wf_g{v=\"inf\"} -Inf\n"
                               "wf_g{v=\"down\"} -3\n");
    free (text);
    wf_metrics_destroy (&metrics);
}

//  Rendering into a short buffer cuts and terminates, and reports the full length.
static void
test_render_buffer (void **state)
{
    wf_metrics_t *metrics = wf_metrics_new ("test");
    assert_int_equal (wf_metrics_render (metrics, NULL, 0), 0);
    char *empty = wf_metrics_text (metrics);
    assert_string_equal (empty, "");
    free (empty);
    wf_metrics_counter_add (metrics, "wf_c_total", "c", 1, NULL);
    char *text = wf_metrics_text (metrics);
    size_t length = strlen (text);
    char small[10];
    memset (small, '#', sizeof small);
    assert_int_equal (wf_metrics_render (metrics, small, sizeof small), length);
    assert_int_equal (strlen (small), sizeof small - 1);
    assert_memory_equal (small, text, sizeof small - 1);
    free (text);
    wf_metrics_destroy (&metrics);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_render_exact),  cmocka_unit_test (test_bucket_boundaries),
        cmocka_unit_test (test_series_limit),  cmocka_unit_test (test_family_limit),
        cmocka_unit_test (test_lookup),        cmocka_unit_test (test_values),
        cmocka_unit_test (test_render_buffer),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
