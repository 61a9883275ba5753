/*  wf_hash_pool - a bounded pool of threads for password hashing.

    Argon2id costs ~100 ms of CPU per call, so no actor loop may run it. The
    owning actor fills a wf_hash_job_t (which it owns and keeps alive), submits
    it, and goes on polling. A worker thread runs the job, wipes the password
    inside it, and reports completion on done_endpoint: each worker has a PUSH
    socket connected there, and the actor binds a PULL socket to it and adds it
    to its poller. Each report is one frame of 8 bytes: the job's address.
    wf_hash_pool_recv turns a report back into the job.

    Protocol on done_endpoint (worker -> actor, one way):
        DONE = job address as 8 bytes (uint64, host order)
    The endpoint must be inproc://: a pointer means nothing elsewhere, and
    nothing from outside the process may reach that socket.

    Bounded: submit refuses (-1, "busy": answer 503/429) once queue_max jobs
    are outstanding, that is submitted and not yet collected by
    wf_hash_pool_recv, whether waiting, running or reported. Nothing queues
    without limit, and the report channel cannot fill up either.

    Job kinds:
        HASH          password -> hash (a new Argon2id string)
        VERIFY        password + stored hash -> matched, needs_rehash
        VERIFY_DUMMY  password -> never matched, same cost (unknown user)

    Thread use: submit and recv from the owning thread (they lock, so others
    would be safe too); the pool's threads touch a job only between submit and
    its report. wf_hash_pool_destroy stops the threads: jobs still waiting are
    reported CANCELLED, running ones finish and are reported DONE/FAILED; when
    it returns, every submitted job has been reported and none is touched again.
    Reports still unread after destroy are collected with
    wf_hash_pool_recv (NULL, done).
*/
#ifndef WF_HASH_POOL_H_INCLUDED
#define WF_HASH_POOL_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wf_identity_limits.h"
#include "wf_password.h"

typedef enum {
    WF_HASH_JOB_HASH = 1,
    WF_HASH_JOB_VERIFY,
    WF_HASH_JOB_VERIFY_DUMMY
} wf_hash_job_kind_t;

typedef enum {
    WF_HASH_JOB_QUEUED = 0, //  submitted, not yet reported
    WF_HASH_JOB_DONE,       //  ran; see hash / matched / needs_rehash
    WF_HASH_JOB_FAILED,     //  hashing failed (out of memory)
    WF_HASH_JOB_CANCELLED   //  the pool stopped before it ran
} wf_hash_job_status_t;

typedef struct _wf_hash_job_t wf_hash_job_t;
struct _wf_hash_job_t {
    //  Set by the caller (wf_hash_job_init).
    wf_hash_job_kind_t kind;
    char password[WF_PASSWORD_BYTES_MAX]; //  wiped by the pool once used
    size_t password_len;
    char hash[WF_HASH_STRING_BYTES_MAX + 1]; //  VERIFY: stored hash; HASH: the result
    void *context;                           //  the caller's, untouched by the pool
    //  Set by the pool before the report.
    wf_hash_job_status_t status;
    bool matched;      //  VERIFY: the password matched the hash
    bool needs_rehash; //  VERIFY, matched: store a fresh hash
    //  The pool's own.
    uint32_t magic;
    wf_hash_job_t *next;
};

typedef struct _wf_hash_pool_t wf_hash_pool_t;

//  Prepare a job. stored_hash is read for VERIFY only (NULL otherwise).
//  Returns -1 (job wiped) when the password or hash is too long.
int wf_hash_job_init (wf_hash_job_t *job, wf_hash_job_kind_t kind, const char *password,
                      size_t password_len, const char *stored_hash, void *context);

//  Wipe a job's password and hash, e.g. after a refused submit.
void wf_hash_job_wipe (wf_hash_job_t *job);

//  Start threads (1..WF_HASH_POOL_THREADS_MAX) hashing with password
//  (borrowed; must outlive the pool), accepting up to queue_max
//  (1..WF_HASH_POOL_QUEUE_MAX) outstanding jobs and reporting to
//  done_endpoint ("inproc://..."). NULL on bad arguments or socket failure.
wf_hash_pool_t *wf_hash_pool_new (const wf_password_t *password, size_t threads, size_t queue_max,
                                  const char *done_endpoint);

//  Stop the threads as described above. Idempotent; nulls *self_p.
void wf_hash_pool_destroy (wf_hash_pool_t **self_p);

//  Hand a job to the pool. Returns 0, or -1 when queue_max jobs are
//  outstanding or the pool is stopping: the job is then untouched and still
//  the caller's.
int wf_hash_pool_submit (wf_hash_pool_t *self, wf_hash_job_t *job);

//  Read one report from the caller's PULL socket without waiting. Returns the
//  job (now the caller's again), or NULL when no report is waiting. self may
//  be NULL after destroy.
wf_hash_job_t *wf_hash_pool_recv (wf_hash_pool_t *self, zsock_t *done);

//  Jobs submitted and not yet collected.
size_t wf_hash_pool_outstanding (wf_hash_pool_t *self);

#endif
