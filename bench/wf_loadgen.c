/*  wf_loadgen - an open-loop (fixed rate) HTTP/1.1 load generator for money commands.

    wrk measures a closed loop: each connection sends its next request when the
    previous answer arrives, so a slow server is offered less load and its
    stalls hide ("coordinated omission"). Debian has no wrk2, so this is the
    small open-loop generator the benchmark needs: requests are due at a fixed
    rate whatever the server does, and each latency is measured from the
    moment the request was *due*, not from when a free connection sent it.

    Each thread owns connections/threads keep-alive connections and rate/threads
    of the schedule. A due request goes to an idle connection; when none is
    idle it waits in the thread's queue and its wait counts in its latency
    (wrk2's correction). One request in flight per connection, no pipelining.
    With --rate 0 it runs closed-loop instead (a cross-check of wrk).

    Requests are the benchmark's mix of deposits, withdrawals and transfers over
    the users file (one "ACCOUNT_ID TOKEN" per line), each with a Bearer token
    and a unique Idempotency-Key. Output: one `key=value ...` line on stdout
    (the format run.sh parses, the same wrk's money.lua prints).

        wf_loadgen --port P --users FILE --rate R --duration S [--host 127.0.0.1]
                   [--connections 64] [--threads 2] [--warmup 2] [--mix 40,30,30]
                   [--run-id ID] [--drain 5]
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define USERS_MAX         1000000
#define LINE_BYTES_MAX    4096
#define REQUEST_BYTES_MAX 4096
#define HEADER_BYTES_MAX  8192
#define THREADS_MAX       64
#define CONNECTIONS_MAX   4096
#define QUEUE_SLOTS       (1u << 20) //  due but unsent requests per thread
#define STATUS_MAX        600
#define STALL_TIMEOUT_US  10000000 //  an answer slower than this counts as a timeout
//  Latency histogram: exact below 256 us, then 128 sub-buckets per power of two
//  (under 1 % error), up to 2^40 us.
#define HIST_SUB_BITS 7
#define HIST_SUB      (1 << HIST_SUB_BITS)
#define HIST_BUCKETS  ((40 - HIST_SUB_BITS) * HIST_SUB + 2 * HIST_SUB)

typedef struct {
    char *account;
    char *token;
} user_t;

typedef struct {
    const char *host;
    int port;
    const char *users_path;
    double rate; //  requests/s over all threads; 0 = closed loop
    double duration_s;
    double warmup_s;
    double drain_s;
    int connections;
    int threads;
    int mix[3]; //  deposit, withdraw, transfer weights
    const char *run_id;
    user_t *users;
    size_t users_count;
} options_t;

typedef enum { CONN_IDLE, CONN_BUSY, CONN_DEAD } conn_state_t;

typedef struct {
    int fd;
    conn_state_t state;
    int64_t due_us;  //  when the request in flight was due (open loop) or sent
    int64_t sent_us; //  when it was actually sent
    char out[REQUEST_BYTES_MAX];
    size_t out_len, out_off;
    char in[HEADER_BYTES_MAX];
    size_t in_len;
    bool header_done;
    int status;
    bool close_after;
    int64_t body_left;
} conn_t;

typedef struct {
    uint64_t buckets[HIST_BUCKETS];
    uint64_t count, max_us;
    double sum_us;
} hist_t;

typedef struct {
    const options_t *options;
    int index;
    int epoll_fd;
    conn_t *conns;
    int conns_count;
    int64_t *queue; //  ring of due times
    size_t queue_head, queue_len;
    uint64_t rng;
    uint64_t sequence;
    hist_t hist;
    uint64_t statuses[STATUS_MAX];
    uint64_t sent, err_connect, err_read, err_write, err_timeout, err_parse, queue_overflow;
    uint64_t unsent_at_end, inflight_at_end;
    int64_t measure_from_us, stop_at_us;
} worker_t;

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

//  xorshift64*: a per-thread generator, good enough to pick users and amounts.
static uint64_t
s_random (worker_t *self)
{
    self->rng ^= self->rng >> 12;
    self->rng ^= self->rng << 25;
    self->rng ^= self->rng >> 27;
    return self->rng * 2685821657736338717ULL;
}

static size_t
s_hist_index (uint64_t us)
{
    if (us < 2 * HIST_SUB)
        return (size_t) us;
    int msb = 63 - __builtin_clzll (us);
    size_t index =
        (size_t) (msb - HIST_SUB_BITS) * HIST_SUB + (size_t) (us >> (msb - HIST_SUB_BITS));
    return index < HIST_BUCKETS ? index : HIST_BUCKETS - 1;
}

//  The lower bound of a bucket, in microseconds (inverse of s_hist_index).
static uint64_t
s_hist_value (size_t index)
{
    if (index < 2 * HIST_SUB)
        return index;
    size_t msb = index / HIST_SUB + HIST_SUB_BITS - 1;
    uint64_t sub = index % HIST_SUB + HIST_SUB;
    return sub << (msb - HIST_SUB_BITS);
}

static void
s_hist_record (hist_t *hist, int64_t us)
{
    if (us < 0)
        us = 0;
    hist->buckets[s_hist_index ((uint64_t) us)]++;
    hist->count++;
    hist->sum_us += (double) us;
    if ((uint64_t) us > hist->max_us)
        hist->max_us = (uint64_t) us;
}

static uint64_t
s_hist_percentile (const hist_t *hist, double percentile)
{
    if (!hist->count)
        return 0;
    uint64_t rank = (uint64_t) ((percentile / 100.0) * (double) hist->count + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += hist->buckets[i];
        if (seen >= rank)
            return s_hist_value (i);
    }
    return hist->max_us;
}

//  Reads the users file: one "ACCOUNT_ID TOKEN" per line.
static int
s_load_users (options_t *options)
{
    FILE *file = fopen (options->users_path, "r");
    if (!file) {
        fprintf (stderr, "wf_loadgen: cannot open %s: %s\n", options->users_path, strerror (errno));
        return -1;
    }
    size_t capacity = 1024;
    options->users = calloc (capacity, sizeof (user_t));
    char line[LINE_BYTES_MAX];
    while (fgets (line, sizeof line, file) && options->users_count < USERS_MAX) {
        char account[128], token[LINE_BYTES_MAX];
        if (sscanf (line, "%127s %4095s", account, token) != 2)
            continue;
        if (options->users_count == capacity) {
            capacity *= 2;
            options->users = realloc (options->users, capacity * sizeof (user_t));
        }
        options->users[options->users_count].account = strdup (account);
        options->users[options->users_count].token = strdup (token);
        options->users_count++;
    }
    fclose (file);
    if (options->users_count < 2) {
        fprintf (stderr, "wf_loadgen: %s holds fewer than 2 users\n", options->users_path);
        return -1;
    }
    return 0;
}

//  Writes the next money command into the connection's output buffer.
static void
s_build_request (worker_t *self, conn_t *conn)
{
    const options_t *o = self->options;
    size_t u = (size_t) (s_random (self) % o->users_count);
    int total = o->mix[0] + o->mix[1] + o->mix[2];
    int roll = (int) (s_random (self) % (uint64_t) total);
    char body[256];
    const char *kind;
    if (roll < o->mix[0]) {
        int cents = 100 + (int) (s_random (self) % 19901); //  1.00 .. 200.00
        kind = "deposit";
        snprintf (body, sizeof body, "{\"amount\":%d.%02d,\"description\":\"bench\"}", cents / 100,
                  cents % 100);
    } else if (roll < o->mix[0] + o->mix[1]) {
        int cents = 1 + (int) (s_random (self) % 5000); //  0.01 .. 50.00
        kind = "withdraw";
        snprintf (body, sizeof body, "{\"amount\":%d.%02d,\"description\":\"bench\"}", cents / 100,
                  cents % 100);
    } else {
        size_t v = (u + 1 + (size_t) (s_random (self) % (o->users_count - 1))) % o->users_count;
        int cents = 1 + (int) (s_random (self) % 5000);
        kind = "transfer";
        snprintf (body, sizeof body,
                  "{\"destinationAccountId\":\"%s\",\"amount\":%d.%02d,\"description\":\"bench\"}",
                  o->users[v].account, cents / 100, cents % 100);
    }
    int len = snprintf (conn->out, sizeof conn->out,
                        "POST /api/accounts/%s/%s HTTP/1.1\r\n"
                        "Host: %s:%d\r\n"
                        "Authorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\n"
                        "Idempotency-Key: %s-o%d-%" PRIu64 "\r\n"
                        "Content-Length: %zu\r\n\r\n%s",
                        o->users[u].account, kind, o->host, o->port, o->users[u].token, o->run_id,
                        self->index, ++self->sequence, strlen (body), body);
    conn->out_len = len > 0 && (size_t) len < sizeof conn->out ? (size_t) len : 0;
    conn->out_off = 0;
}

//  Opens a keep-alive connection (blocking connect on loopback, then non-blocking I/O).
static int
s_connect (worker_t *self, conn_t *conn)
{
    const options_t *o = self->options;
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) o->port)};
    inet_pton (AF_INET, o->host, &addr.sin_addr);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        close (fd);
        return -1;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK) != 0) {
        close (fd);
        return -1;
    }
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = conn};
    if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
        close (fd);
        return -1;
    }
    conn->fd = fd;
    conn->state = CONN_IDLE;
    return 0;
}

//  Closes a connection (its request in flight, if any, was counted as an error
//  by the caller) and opens a fresh one.
static void
s_reconnect (worker_t *self, conn_t *conn)
{
    if (conn->fd >= 0) {
        epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
        close (conn->fd);
        conn->fd = -1;
    }
    conn->state = CONN_DEAD;
    if (s_connect (self, conn) != 0)
        self->err_connect++;
}

//  Writes what is left of the request; waits for EPOLLOUT when the socket is full.
static void
s_flush (worker_t *self, conn_t *conn)
{
    while (conn->out_off < conn->out_len) {
        ssize_t n =
            send (conn->fd, conn->out + conn->out_off, conn->out_len - conn->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            conn->out_off += (size_t) n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.ptr = conn};
            epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
            return;
        }
        self->err_write++;
        s_reconnect (self, conn);
        return;
    }
}

//  Sends a new request on an idle connection; due_us is when it was due.
static void
s_start (worker_t *self, conn_t *conn, int64_t due_us)
{
    s_build_request (self, conn);
    conn->state = CONN_BUSY;
    conn->due_us = due_us;
    conn->sent_us = s_now_us ();
    conn->in_len = 0;
    conn->header_done = false;
    conn->close_after = false;
    conn->status = 0;
    conn->body_left = 0;
    self->sent++;
    s_flush (self, conn);
}

static bool
s_queue_pop (worker_t *self, int64_t *due_us)
{
    if (!self->queue_len)
        return false;
    *due_us = self->queue[self->queue_head];
    self->queue_head = (self->queue_head + 1) % QUEUE_SLOTS;
    self->queue_len--;
    return true;
}

static void
s_queue_push (worker_t *self, int64_t due_us)
{
    if (self->queue_len == QUEUE_SLOTS) {
        self->queue_overflow++;
        return;
    }
    self->queue[(self->queue_head + self->queue_len) % QUEUE_SLOTS] = due_us;
    self->queue_len++;
}

//  Hands queued requests to idle connections.
static void
s_dispatch (worker_t *self)
{
    for (int i = 0; i < self->conns_count && self->queue_len; i++) {
        conn_t *conn = &self->conns[i];
        if (conn->state == CONN_DEAD)
            s_reconnect (self, conn);
        if (conn->state != CONN_IDLE)
            continue;
        int64_t due_us = 0;
        if (!s_queue_pop (self, &due_us))
            break;
        s_start (self, conn, due_us);
    }
}

//  One answer is complete: record it, then reuse the connection.
static void
s_complete (worker_t *self, conn_t *conn)
{
    int64_t now = s_now_us ();
    if (conn->due_us >= self->measure_from_us && conn->due_us < self->stop_at_us) {
        s_hist_record (&self->hist, now - conn->due_us);
        self->statuses[conn->status > 0 && conn->status < STATUS_MAX ? conn->status : 0]++;
    }
    conn->state = CONN_IDLE;
    if (conn->close_after)
        s_reconnect (self, conn);
    if (now >= self->stop_at_us || conn->state != CONN_IDLE)
        return;
    if (self->options->rate <= 0)
        s_start (self, conn, now);
    else {
        int64_t due_us = 0;
        if (s_queue_pop (self, &due_us))
            s_start (self, conn, due_us);
    }
}

//  Parses the status line and the headers we need once the header block is in.
static int
s_parse_header (conn_t *conn, size_t header_len)
{
    if (header_len < 12 || strncmp (conn->in, "HTTP/1.", 7) != 0)
        return -1;
    conn->status = atoi (conn->in + 9);
    int64_t length = 0;
    for (char *line = strstr (conn->in, "\r\n"); line && (size_t) (line - conn->in) < header_len;
         line = strstr (line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp (h, "content-length:", 15) == 0)
            length = atoll (h + 15);
        else if (strncasecmp (h, "transfer-encoding:", 18) == 0)
            return -1; //  chunked answers are not expected from either server
        else if (strncasecmp (h, "connection:", 11) == 0 && strcasestr (h, "close") &&
                 strcasestr (h, "close") < strstr (h, "\r\n"))
            conn->close_after = true;
    }
    conn->body_left = length - (int64_t) (conn->in_len - header_len);
    conn->header_done = true;
    return 0;
}

//  Reads what the socket holds; completes the answer when it is all in.
static void
s_readable (worker_t *self, conn_t *conn)
{
    for (;;) {
        char scratch[16384];
        char *into = conn->header_done ? scratch : conn->in + conn->in_len;
        size_t room = conn->header_done ? sizeof scratch : sizeof conn->in - 1 - conn->in_len;
        if (!room) {
            self->err_parse++;
            s_reconnect (self, conn);
            return;
        }
        ssize_t n = recv (conn->fd, into, room, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (conn->state == CONN_BUSY)
                self->err_read++;
            s_reconnect (self, conn);
            return;
        }
        if (conn->state != CONN_BUSY)
            continue; //  bytes nobody asked for: ignore
        if (conn->header_done)
            conn->body_left -= n;
        else {
            conn->in_len += (size_t) n;
            conn->in[conn->in_len] = 0;
            char *end = strstr (conn->in, "\r\n\r\n");
            if (end && s_parse_header (conn, (size_t) (end + 4 - conn->in)) != 0) {
                self->err_parse++;
                s_reconnect (self, conn);
                return;
            }
        }
        if (conn->header_done && conn->body_left <= 0) {
            s_complete (self, conn);
            if (conn->state != CONN_BUSY)
                return;
        }
    }
}

//  Counts answers slower than STALL_TIMEOUT_US as timeouts and replaces their connection.
static void
s_check_stalls (worker_t *self, int64_t now)
{
    for (int i = 0; i < self->conns_count; i++) {
        conn_t *conn = &self->conns[i];
        if (conn->state == CONN_BUSY && now - conn->sent_us > STALL_TIMEOUT_US) {
            self->err_timeout++;
            s_reconnect (self, conn);
        } else if (conn->state == CONN_DEAD)
            s_reconnect (self, conn);
    }
}

//  Waits for socket events until `until_us` at the latest, and handles them.
static void
s_poll (worker_t *self, int64_t until_us)
{
    struct epoll_event events[256];
    int64_t wait_us = until_us - s_now_us ();
    if (wait_us < 0)
        wait_us = 0;
    struct timespec timeout = {.tv_sec = wait_us / 1000000, .tv_nsec = (wait_us % 1000000) * 1000};
    int n = epoll_pwait2 (self->epoll_fd, events, 256, &timeout, NULL);
    for (int i = 0; i < n; i++) {
        conn_t *conn = (conn_t *) events[i].data.ptr;
        if (conn->fd < 0)
            continue;
        if (events[i].events & EPOLLOUT) {
            struct epoll_event event = {.events = EPOLLIN, .data.ptr = conn};
            epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
            s_flush (self, conn);
        }
        if (conn->fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            s_readable (self, conn);
    }
}

static int64_t s_start_us; //  set by main before the threads start

//  One thread: its connections, its share of the schedule.
static void *
s_worker (void *args)
{
    worker_t *self = (worker_t *) args;
    const options_t *o = self->options;
    for (int i = 0; i < self->conns_count; i++) {
        self->conns[i].fd = -1;
        if (s_connect (self, &self->conns[i]) != 0) {
            self->err_connect++;
            self->conns[i].state = CONN_DEAD;
        }
    }
    self->measure_from_us = s_start_us + (int64_t) (o->warmup_s * 1e6);
    self->stop_at_us = self->measure_from_us + (int64_t) (o->duration_s * 1e6);
    while (s_now_us () < s_start_us)
        s_poll (self, s_start_us);
    double interval_us = o->rate > 0 ? 1e6 * o->threads / o->rate : 0;
    double next_due = (double) s_start_us + interval_us * self->index / o->threads;
    if (o->rate <= 0)
        for (int i = 0; i < self->conns_count; i++)
            if (self->conns[i].state == CONN_IDLE)
                s_start (self, &self->conns[i], s_now_us ());
    int64_t stall_check_at = s_start_us;
    for (int64_t now = s_now_us (); now < self->stop_at_us; now = s_now_us ()) {
        if (o->rate > 0) {
            while (next_due <= (double) now) {
                s_queue_push (self, (int64_t) next_due);
                next_due += interval_us;
            }
            s_dispatch (self);
        }
        if (now >= stall_check_at) {
            s_check_stalls (self, now);
            stall_check_at = now + 100000;
        }
        int64_t until = o->rate > 0 ? (int64_t) next_due : now + 100000;
        s_poll (self, until < self->stop_at_us ? until : self->stop_at_us);
    }
    //  Drain: answers to requests due in the window still count; nothing new starts.
    int64_t drain_until = self->stop_at_us + (int64_t) (o->drain_s * 1e6);
    for (;;) {
        int busy = 0;
        for (int i = 0; i < self->conns_count; i++)
            busy += self->conns[i].state == CONN_BUSY;
        if (!busy || s_now_us () >= drain_until) {
            self->inflight_at_end = (uint64_t) busy;
            break;
        }
        s_poll (self, drain_until);
    }
    self->unsent_at_end = self->queue_len;
    for (int i = 0; i < self->conns_count; i++)
        if (self->conns[i].fd >= 0)
            close (self->conns[i].fd);
    return NULL;
}

static int
s_usage (void)
{
    fprintf (stderr,
             "usage: wf_loadgen --port P --users FILE --duration S [--rate R (0 = closed loop)]\n"
             "                  [--host 127.0.0.1] [--connections 64] [--threads 2] [--warmup 2]\n"
             "                  [--mix 40,30,30] [--run-id ID] [--drain 5]\n");
    return 2;
}

static int
s_parse (options_t *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value)
            return -1;
        i++;
        if (!strcmp (flag, "--host"))
            o->host = value;
        else if (!strcmp (flag, "--port"))
            o->port = atoi (value);
        else if (!strcmp (flag, "--users"))
            o->users_path = value;
        else if (!strcmp (flag, "--rate"))
            o->rate = atof (value);
        else if (!strcmp (flag, "--duration"))
            o->duration_s = atof (value);
        else if (!strcmp (flag, "--warmup"))
            o->warmup_s = atof (value);
        else if (!strcmp (flag, "--drain"))
            o->drain_s = atof (value);
        else if (!strcmp (flag, "--connections"))
            o->connections = atoi (value);
        else if (!strcmp (flag, "--threads"))
            o->threads = atoi (value);
        else if (!strcmp (flag, "--run-id"))
            o->run_id = value;
        else if (!strcmp (flag, "--mix")) {
            if (sscanf (value, "%d,%d,%d", &o->mix[0], &o->mix[1], &o->mix[2]) != 3)
                return -1;
        } else
            return -1;
    }
    bool mix_ok =
        o->mix[0] >= 0 && o->mix[1] >= 0 && o->mix[2] >= 0 && o->mix[0] + o->mix[1] + o->mix[2] > 0;
    if (!o->users_path || o->port <= 0 || o->port > 65535 || o->duration_s <= 0 || o->rate < 0 ||
        o->threads < 1 || o->threads > THREADS_MAX || o->connections < o->threads ||
        o->connections > CONNECTIONS_MAX || !mix_ok || strlen (o->run_id) > 64)
        return -1;
    return 0;
}

//  Prints the merged figures as one key=value line.
static void
s_report (const options_t *o, worker_t *workers)
{
    hist_t *all = calloc (1, sizeof (hist_t));
    uint64_t statuses[STATUS_MAX] = {0}, sent = 0, connect = 0, read = 0, write = 0, timeout = 0;
    uint64_t parse = 0, overflow = 0, unsent = 0, inflight = 0;
    for (int t = 0; t < o->threads; t++) {
        worker_t *w = &workers[t];
        for (size_t i = 0; i < HIST_BUCKETS; i++)
            all->buckets[i] += w->hist.buckets[i];
        all->count += w->hist.count;
        all->sum_us += w->hist.sum_us;
        if (w->hist.max_us > all->max_us)
            all->max_us = w->hist.max_us;
        for (int s = 0; s < STATUS_MAX; s++)
            statuses[s] += w->statuses[s];
        sent += w->sent, connect += w->err_connect, read += w->err_read, write += w->err_write;
        timeout += w->err_timeout, parse += w->err_parse, overflow += w->queue_overflow;
        unsent += w->unsent_at_end, inflight += w->inflight_at_end;
    }
    uint64_t ok = 0;
    char status_text[1024] = "";
    size_t used = 0;
    for (int s = 0; s < STATUS_MAX; s++) {
        if (!statuses[s])
            continue;
        if (s >= 200 && s < 300)
            ok += statuses[s];
        used += (size_t) snprintf (status_text + used, sizeof status_text - used, "%s%d:%" PRIu64,
                                   used ? "," : "", s, statuses[s]);
        if (used >= sizeof status_text)
            break;
    }
    printf (
        "tool=wf_loadgen mode=%s rate_target=%.0f duration_s=%.1f connections=%d threads=%d "
        "requests=%" PRIu64 " rps=%.1f ok=%" PRIu64 " ok_rps=%.1f p50_ms=%.3f p90_ms=%.3f "
        "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f statuses=%s "
        "errors=connect:%" PRIu64 ",read:%" PRIu64 ",write:%" PRIu64 ",timeout:%" PRIu64
        ",parse:%" PRIu64 " sent=%" PRIu64 " unsent_at_end=%" PRIu64 " inflight_at_end=%" PRIu64
        " queue_overflow=%" PRIu64 "\n",
        o->rate > 0 ? "open" : "closed", o->rate, o->duration_s, o->connections, o->threads,
        all->count, (double) all->count / o->duration_s, ok, (double) ok / o->duration_s,
        (double) s_hist_percentile (all, 50) / 1000, (double) s_hist_percentile (all, 90) / 1000,
        (double) s_hist_percentile (all, 99) / 1000, (double) s_hist_percentile (all, 99.9) / 1000,
        (double) all->max_us / 1000, all->count ? all->sum_us / (double) all->count / 1000 : 0.0,
        *status_text ? status_text : "none", connect, read, write, timeout, parse, sent, unsent,
        inflight, overflow);
    free (all);
}

int
main (int argc, char **argv)
{
    options_t o = {.host = "127.0.0.1",
                   .connections = 64,
                   .threads = 2,
                   .warmup_s = 2,
                   .drain_s = 5,
                   .mix = {40, 30, 30},
                   .run_id = "lg"};
    if (s_parse (&o, argc, argv) != 0)
        return s_usage ();
    if (s_load_users (&o) != 0)
        return 1;
    worker_t *workers = calloc ((size_t) o.threads, sizeof (worker_t));
    pthread_t threads[THREADS_MAX];
    s_start_us = s_now_us () + 300000;
    for (int t = 0; t < o.threads; t++) {
        worker_t *w = &workers[t];
        w->options = &o;
        w->index = t;
        w->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
        w->conns_count = o.connections / o.threads + (t < o.connections % o.threads);
        w->conns = calloc ((size_t) w->conns_count, sizeof (conn_t));
        w->queue = calloc (QUEUE_SLOTS, sizeof (int64_t));
        w->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t) s_now_us () * 1315423911u + (uint64_t) t);
        if (w->epoll_fd < 0 || !w->conns || !w->queue) {
            fprintf (stderr, "wf_loadgen: out of resources\n");
            return 1;
        }
    }
    for (int t = 0; t < o.threads; t++)
        pthread_create (&threads[t], NULL, s_worker, &workers[t]);
    for (int t = 0; t < o.threads; t++)
        pthread_join (threads[t], NULL);
    s_report (&o, workers);
    return 0;
}
