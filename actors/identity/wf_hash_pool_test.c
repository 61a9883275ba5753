/*  wf_hash_pool_test - the hashing pool: completion, the bound, shutdown.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "wf_hash_pool.h"

#define PASSWORD "Correct horse 1!"
#define WAIT_MS  20000 //  generous: ASan and a shared 2-core machine

typedef struct {
    wf_password_t *password;
    zsock_t *done;
    char endpoint[64]; //  one per test: a closed inproc endpoint is released asynchronously
} fixture_t;

#define DONE_ENDPOINT fixture->endpoint

static int
s_setup (void **state)
{
    fixture_t *fixture = (fixture_t *) calloc (1, sizeof (fixture_t));
    wf_password_config_t config = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    fixture->password = wf_password_new (&config);
    static int tests_count = 0;
    snprintf (fixture->endpoint, sizeof fixture->endpoint, "inproc://wf-hash-pool-test-%d",
              ++tests_count);
    char bind[80];
    snprintf (bind, sizeof bind, "@%s", fixture->endpoint);
    fixture->done = zsock_new_pull (bind);
    if (!fixture->password || !fixture->done) {
        return -1;
    }
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    zsock_destroy (&fixture->done);
    wf_password_destroy (&fixture->password);
    free (fixture);
    return 0;
}

//  Wait for one report, with a timeout; NULL when none came.
static wf_hash_job_t *
s_next (wf_hash_pool_t *pool, zsock_t *done)
{
    wf_hash_job_t *job = wf_hash_pool_recv (pool, done);
    if (job) {
        return job;
    }
    zpoller_t *poller = zpoller_new (done, NULL);
    void *ready = zpoller_wait (poller, WAIT_MS);
    zpoller_destroy (&poller);
    return ready ? wf_hash_pool_recv (pool, done) : NULL;
}

static bool
s_wiped (const wf_hash_job_t *job)
{
    for (size_t index = 0; index < sizeof job->password; index++) {
        if (job->password[index]) {
            return false;
        }
    }
    return job->password_len == 0;
}

static void
test_jobs_complete (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    char stored[WF_HASH_STRING_BYTES_MAX + 1];
    assert_int_equal (wf_password_hash (fixture->password, PASSWORD, strlen (PASSWORD), stored), 0);
    wf_hash_pool_t *pool = wf_hash_pool_new (fixture->password, 2, 16, DONE_ENDPOINT);
    assert_non_null (pool);
    enum { JOBS = 12 };
    wf_hash_job_t jobs[JOBS];
    int contexts[JOBS];
    for (int index = 0; index < JOBS; index++) {
        contexts[index] = index;
        int kind = index % 4;
        int rc;
        if (kind == 0) {
            rc = wf_hash_job_init (&jobs[index], WF_HASH_JOB_HASH, PASSWORD, strlen (PASSWORD),
                                   NULL, &contexts[index]);
        } else if (kind == 1) {
            rc = wf_hash_job_init (&jobs[index], WF_HASH_JOB_VERIFY, PASSWORD, strlen (PASSWORD),
                                   stored, &contexts[index]);
        } else if (kind == 2) {
            rc = wf_hash_job_init (&jobs[index], WF_HASH_JOB_VERIFY, "wrong", 5, stored,
                                   &contexts[index]);
        } else {
            rc = wf_hash_job_init (&jobs[index], WF_HASH_JOB_VERIFY_DUMMY, PASSWORD,
                                   strlen (PASSWORD), NULL, &contexts[index]);
        }
        assert_int_equal (rc, 0);
        assert_int_equal (wf_hash_pool_submit (pool, &jobs[index]), 0);
    }
    assert_int_equal (wf_hash_pool_outstanding (pool), JOBS);
    bool seen[JOBS] = {false};
    for (int count = 0; count < JOBS; count++) {
        wf_hash_job_t *job = s_next (pool, fixture->done);
        assert_non_null (job);
        int index = *(int *) job->context;
        assert_ptr_equal (job, &jobs[index]);
        assert_false (seen[index]);
        seen[index] = true;
        assert_int_equal (job->status, WF_HASH_JOB_DONE);
        assert_true (s_wiped (job));
        switch (index % 4) {
            case 0:
                assert_int_equal (strncmp (job->hash, "$argon2id$", 10), 0);
                assert_int_equal (
                    wf_password_verify (fixture->password, job->hash, PASSWORD, strlen (PASSWORD)),
                    0);
                break;
            case 1:
                assert_true (job->matched);
                assert_false (job->needs_rehash);
                break;
            default:
                assert_false (job->matched);
                assert_false (job->needs_rehash);
        }
    }
    assert_int_equal (wf_hash_pool_outstanding (pool), 0);
    assert_null (wf_hash_pool_recv (pool, fixture->done));
    wf_hash_pool_destroy (&pool);
    assert_null (pool);
    wf_hash_pool_destroy (&pool);
}

//  A stored hash weaker than the pool's factors asks to be re-hashed.
static void
test_needs_rehash (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    char weak[WF_HASH_STRING_BYTES_MAX + 1];
    assert_int_equal (wf_password_hash (fixture->password, PASSWORD, strlen (PASSWORD), weak), 0);
    wf_password_config_t config = {crypto_pwhash_OPSLIMIT_MIN + 1, crypto_pwhash_MEMLIMIT_MIN};
    wf_password_t *stronger = wf_password_new (&config);
    wf_hash_pool_t *pool = wf_hash_pool_new (stronger, 1, 4, DONE_ENDPOINT);
    assert_non_null (pool);
    wf_hash_job_t job;
    assert_int_equal (
        wf_hash_job_init (&job, WF_HASH_JOB_VERIFY, PASSWORD, strlen (PASSWORD), weak, NULL), 0);
    assert_int_equal (wf_hash_pool_submit (pool, &job), 0);
    assert_ptr_equal (s_next (pool, fixture->done), &job);
    assert_true (job.matched);
    assert_true (job.needs_rehash);
    wf_hash_pool_destroy (&pool);
    wf_password_destroy (&stronger);
}

//  queue_max outstanding jobs are accepted, one more is refused until one is collected.
static void
test_busy (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    enum { QUEUE_MAX = 3 };
    wf_hash_pool_t *pool = wf_hash_pool_new (fixture->password, 1, QUEUE_MAX, DONE_ENDPOINT);
    assert_non_null (pool);
    wf_hash_job_t jobs[QUEUE_MAX + 1];
    for (int index = 0; index <= QUEUE_MAX; index++) {
        assert_int_equal (wf_hash_job_init (&jobs[index], WF_HASH_JOB_HASH, PASSWORD,
                                            strlen (PASSWORD), NULL, NULL),
                          0);
    }
    for (int index = 0; index < QUEUE_MAX; index++) {
        assert_int_equal (wf_hash_pool_submit (pool, &jobs[index]), 0);
    }
    //  Refused however long we wait: finished but uncollected jobs still count.
    assert_int_equal (wf_hash_pool_submit (pool, &jobs[QUEUE_MAX]), -1);
    assert_int_equal (jobs[QUEUE_MAX].status, WF_HASH_JOB_QUEUED);
    assert_int_equal (jobs[QUEUE_MAX].password_len, strlen (PASSWORD)); //  untouched
    wf_hash_job_t *job = s_next (pool, fixture->done);
    assert_non_null (job);
    assert_int_equal (wf_hash_pool_submit (pool, &jobs[QUEUE_MAX]), 0);
    assert_int_equal (wf_hash_pool_submit (pool, job), -1);
    for (int count = 0; count < QUEUE_MAX; count++) {
        job = s_next (pool, fixture->done);
        assert_non_null (job);
        assert_int_equal (job->status, WF_HASH_JOB_DONE);
    }
    assert_int_equal (wf_hash_pool_outstanding (pool), 0);
    wf_hash_job_wipe (&jobs[0]);
    assert_true (s_wiped (&jobs[0]));
    wf_hash_pool_destroy (&pool);
}

//  Destroy with work waiting: every job is reported, done or cancelled, wiped.
static void
test_destroy_pending (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    enum { JOBS = 40 };
    wf_hash_pool_t *pool = wf_hash_pool_new (fixture->password, 2, JOBS, DONE_ENDPOINT);
    assert_non_null (pool);
    wf_hash_job_t *jobs = (wf_hash_job_t *) calloc (JOBS, sizeof (wf_hash_job_t));
    for (int index = 0; index < JOBS; index++) {
        assert_int_equal (wf_hash_job_init (&jobs[index], WF_HASH_JOB_HASH, PASSWORD,
                                            strlen (PASSWORD), NULL, NULL),
                          0);
        assert_int_equal (wf_hash_pool_submit (pool, &jobs[index]), 0);
    }
    wf_hash_pool_destroy (&pool);
    //  Every job has been reported before destroy returned.
    for (int index = 0; index < JOBS; index++) {
        assert_int_not_equal (jobs[index].status, WF_HASH_JOB_QUEUED);
        assert_true (s_wiped (&jobs[index]));
    }
    int done = 0, cancelled = 0;
    for (int count = 0; count < JOBS; count++) {
        wf_hash_job_t *job = s_next (NULL, fixture->done);
        assert_non_null (job);
        done += job->status == WF_HASH_JOB_DONE;
        cancelled += job->status == WF_HASH_JOB_CANCELLED;
    }
    assert_int_equal (done + cancelled, JOBS);
    assert_null (wf_hash_pool_recv (NULL, fixture->done));
    free (jobs);
}

static void
test_arguments (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    assert_null (wf_hash_pool_new (fixture->password, 0, 4, DONE_ENDPOINT));
    assert_null (
        wf_hash_pool_new (fixture->password, WF_HASH_POOL_THREADS_MAX + 1, 4, DONE_ENDPOINT));
    assert_null (wf_hash_pool_new (fixture->password, 1, 0, DONE_ENDPOINT));
    assert_null (
        wf_hash_pool_new (fixture->password, 1, WF_HASH_POOL_QUEUE_MAX + 1, DONE_ENDPOINT));
    assert_null (wf_hash_pool_new (fixture->password, 1, 4, "tcp://127.0.0.1:5555"));
    assert_null (wf_hash_pool_new (fixture->password, 1, 4, NULL));
    wf_hash_job_t job;
    char big[WF_PASSWORD_BYTES_MAX + 1] = {0};
    assert_int_equal (wf_hash_job_init (&job, WF_HASH_JOB_HASH, big, sizeof big, NULL, NULL), -1);
    assert_true (s_wiped (&job));
    assert_int_equal (
        wf_hash_job_init (&job, WF_HASH_JOB_HASH, big, WF_PASSWORD_BYTES_MAX, NULL, NULL), 0);
    assert_int_equal (wf_hash_job_init (&job, WF_HASH_JOB_VERIFY, "p", 1, NULL, NULL), -1);
    char long_hash[WF_HASH_STRING_BYTES_MAX + 2];
    memset (long_hash, 'h', sizeof long_hash - 1);
    long_hash[sizeof long_hash - 1] = 0;
    assert_int_equal (wf_hash_job_init (&job, WF_HASH_JOB_VERIFY, "p", 1, long_hash, NULL), -1);
    //  A pool connected before its owner binds still delivers (inproc, ZeroMQ 4.x).
    wf_hash_pool_t *pool = wf_hash_pool_new (fixture->password, 1, 2, "inproc://wf-hash-late");
    assert_non_null (pool);
    assert_int_equal (wf_hash_job_init (&job, WF_HASH_JOB_VERIFY_DUMMY, "p", 1, NULL, NULL), 0);
    assert_int_equal (wf_hash_pool_submit (pool, &job), 0);
    zsock_t *late = zsock_new_pull ("@inproc://wf-hash-late");
    assert_non_null (late);
    assert_ptr_equal (s_next (pool, late), &job);
    wf_hash_pool_destroy (&pool);
    zsock_destroy (&late);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_jobs_complete, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_needs_rehash, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_busy, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_pending, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_arguments, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
