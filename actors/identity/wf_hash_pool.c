/*  wf_hash_pool - a bounded pool of threads for password hashing.

    Jobs wait in an intrusive FIFO (the job's own `next`) under one mutex;
    workers sleep on a condition variable. Each worker's PUSH socket is made
    and connected by wf_hash_pool_new on the caller's thread, used only by its
    worker thread, and closed after that thread is joined: thread creation and
    join are the full memory barriers ZeroMQ asks for when a socket changes
    threads.

    A report is written into the inproc pipe synchronously. The PUSH high-water
    mark is above queue_max, and never more than queue_max jobs are
    outstanding, so a send cannot block for want of room.
*/
#include <assert.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include "wf_hash_pool.h"

#define S_JOB_MAGIC 0x57464A42u //  "WFJB"

typedef struct {
    pthread_t thread;
    zsock_t *push;
    wf_hash_pool_t *pool;
} s_worker_t;

struct _wf_hash_pool_t {
    const wf_password_t *password;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    wf_hash_job_t *head; //  waiting jobs, oldest first
    wf_hash_job_t *tail;
    size_t outstanding; //  submitted, not yet collected
    size_t queue_max;
    bool stopping;
    s_worker_t *workers;
    size_t threads_count;
};

int
wf_hash_job_init (wf_hash_job_t *job, wf_hash_job_kind_t kind, const char *password,
                  size_t password_len, const char *stored_hash, void *context)
{
    assert (job);
    assert (kind == WF_HASH_JOB_HASH || kind == WF_HASH_JOB_VERIFY ||
            kind == WF_HASH_JOB_VERIFY_DUMMY);
    assert (password || password_len == 0);
    memset (job, 0, sizeof *job);
    size_t hash_len = stored_hash ? strnlen (stored_hash, sizeof job->hash) : 0;
    if (password_len > sizeof job->password || hash_len >= sizeof job->hash ||
        (kind == WF_HASH_JOB_VERIFY && !stored_hash)) {
        return -1;
    }
    job->kind = kind;
    if (password_len) {
        memcpy (job->password, password, password_len);
    }
    job->password_len = password_len;
    if (kind == WF_HASH_JOB_VERIFY) {
        memcpy (job->hash, stored_hash, hash_len + 1);
    }
    job->context = context;
    return 0;
}

void
wf_hash_job_wipe (wf_hash_job_t *job)
{
    assert (job);
    sodium_memzero (job->password, sizeof job->password);
    sodium_memzero (job->hash, sizeof job->hash);
    job->password_len = 0;
}

//  Run one job on a worker thread.
static void
s_job_run (const wf_password_t *password, wf_hash_job_t *job)
{
    job->matched = false;
    job->needs_rehash = false;
    job->status = WF_HASH_JOB_DONE;
    switch (job->kind) {
        case WF_HASH_JOB_HASH:
            if (wf_password_hash (password, job->password, job->password_len, job->hash) != 0) {
                job->status = WF_HASH_JOB_FAILED;
            }
            break;
        case WF_HASH_JOB_VERIFY:
            job->matched =
                wf_password_verify (password, job->hash, job->password, job->password_len) == 0;
            job->needs_rehash = job->matched && wf_password_needs_rehash (password, job->hash);
            break;
        case WF_HASH_JOB_VERIFY_DUMMY:
            wf_password_verify_dummy (password, job->password, job->password_len);
            break;
    }
}

//  Send the job's address to the owner; retries only an interrupted send.
static void
s_report (zsock_t *push, wf_hash_job_t *job)
{
    uint64_t address = (uint64_t) (uintptr_t) job;
    int rc;
    do {
        rc = zmq_send (zsock_resolve (push), &address, sizeof address, 0);
    } while (rc == -1 && zmq_errno () == EINTR);
    //  Any other failure means the context is terminating: the process is
    //  going down and nobody is left to read the report.
}

//  The worker thread: take jobs until the pool stops and the queue is empty.
static void *
s_worker_main (void *argument)
{
    s_worker_t *worker = (s_worker_t *) argument;
    wf_hash_pool_t *pool = worker->pool;
    while (true) {
        pthread_mutex_lock (&pool->lock);
        while (!pool->head && !pool->stopping) {
            pthread_cond_wait (&pool->wake, &pool->lock);
        }
        wf_hash_job_t *job = pool->head;
        if (job) {
            pool->head = job->next;
            pool->tail = pool->head ? pool->tail : NULL;
            job->next = NULL;
        }
        bool cancel = pool->stopping;
        pthread_mutex_unlock (&pool->lock);
        if (!job) {
            break;
        }
        assert (job->magic == S_JOB_MAGIC);
        if (cancel) {
            job->status = WF_HASH_JOB_CANCELLED;
        } else {
            s_job_run (pool->password, job);
        }
        sodium_memzero (job->password, sizeof job->password);
        job->password_len = 0;
        s_report (worker->push, job);
    }
    return NULL;
}

//  Make and connect one worker's PUSH socket.
static zsock_t *
s_push_new (const char *done_endpoint, size_t queue_max)
{
    zsock_t *push = zsock_new (ZMQ_PUSH);
    if (!push) {
        return NULL;
    }
    zsock_set_sndhwm (push, (int) queue_max + 1);
    zsock_set_linger (push, 0);
    if (zsock_connect (push, "%s", done_endpoint) != 0) {
        zsock_destroy (&push);
    }
    return push;
}

wf_hash_pool_t *
wf_hash_pool_new (const wf_password_t *password, size_t threads, size_t queue_max,
                  const char *done_endpoint)
{
    assert (password);
    if (threads == 0 || threads > WF_HASH_POOL_THREADS_MAX || queue_max == 0 ||
        queue_max > WF_HASH_POOL_QUEUE_MAX || !done_endpoint ||
        strncmp (done_endpoint, "inproc://", 9) != 0 || sodium_init () < 0) {
        return NULL;
    }
    wf_hash_pool_t *self = (wf_hash_pool_t *) zmalloc (sizeof (wf_hash_pool_t));
    self->password = password;
    self->queue_max = queue_max;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    self->workers = (s_worker_t *) zmalloc (threads * sizeof (s_worker_t));
    for (size_t index = 0; index < threads; index++) {
        s_worker_t *worker = &self->workers[index];
        worker->pool = self;
        worker->push = s_push_new (done_endpoint, queue_max);
        if (!worker->push || pthread_create (&worker->thread, NULL, s_worker_main, worker) != 0) {
            zsock_destroy (&worker->push);
            wf_hash_pool_destroy (&self);
            return NULL;
        }
        self->threads_count++;
    }
    return self;
}

void
wf_hash_pool_destroy (wf_hash_pool_t **self_p)
{
    assert (self_p);
    wf_hash_pool_t *self = *self_p;
    if (!self) {
        return;
    }
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    pthread_cond_broadcast (&self->wake);
    pthread_mutex_unlock (&self->lock);
    for (size_t index = 0; index < self->threads_count; index++) {
        pthread_join (self->workers[index].thread, NULL);
        zsock_destroy (&self->workers[index].push);
    }
    assert (self->head == NULL);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self->workers);
    free (self);
    *self_p = NULL;
}

int
wf_hash_pool_submit (wf_hash_pool_t *self, wf_hash_job_t *job)
{
    assert (self);
    assert (job);
    assert (job->kind == WF_HASH_JOB_HASH || job->kind == WF_HASH_JOB_VERIFY ||
            job->kind == WF_HASH_JOB_VERIFY_DUMMY);
    assert (job->password_len <= sizeof job->password);
    pthread_mutex_lock (&self->lock);
    if (self->stopping || self->outstanding >= self->queue_max) {
        pthread_mutex_unlock (&self->lock);
        return -1;
    }
    job->status = WF_HASH_JOB_QUEUED;
    job->matched = false;
    job->needs_rehash = false;
    job->magic = S_JOB_MAGIC;
    job->next = NULL;
    if (self->tail) {
        self->tail->next = job;
    } else {
        self->head = job;
    }
    self->tail = job;
    self->outstanding++;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

wf_hash_job_t *
wf_hash_pool_recv (wf_hash_pool_t *self, zsock_t *done)
{
    assert (done);
    uint64_t address;
    int size = zmq_recv (zsock_resolve (done), &address, sizeof address, ZMQ_DONTWAIT);
    if (size != (int) sizeof address) {
        return NULL; //  nothing waiting (only our workers write to this inproc socket)
    }
    wf_hash_job_t *job = (wf_hash_job_t *) (uintptr_t) address;
    assert (job && job->magic == S_JOB_MAGIC);
    assert (job->status != WF_HASH_JOB_QUEUED);
    job->magic = 0; //  a job is collected once
    if (self) {
        pthread_mutex_lock (&self->lock);
        assert (self->outstanding > 0);
        self->outstanding--;
        pthread_mutex_unlock (&self->lock);
    }
    return job;
}

size_t
wf_hash_pool_outstanding (wf_hash_pool_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    size_t outstanding = self->outstanding;
    pthread_mutex_unlock (&self->lock);
    return outstanding;
}
