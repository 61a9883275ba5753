/*  wf_login_limit - rate limits on failed logins (Redis + in-process fallback).  */
#include <assert.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "wf_log.h"
#include "wf_login_limit.h"
#include "wf_rate_table.h"

#define S_HOST_BYTES_MAX     256
#define S_PASSWORD_BYTES_MAX 256
#define S_KEY_BYTES_MAX      (WF_LOGIN_LIMIT_PREFIX_BYTES_MAX + 64)
#define S_DIGEST_BYTES       16 //  of an email or address, in Redis key names
//  A fixed context for the Redis key digests: every process must derive the
//  same key names, so this digest cannot be keyed with a per-process secret.
#define S_DIGEST_CONTEXT "walletflow login limit v1"

typedef enum { S_EMAIL = 0, S_ADDRESS = 1, S_KINDS = 2 } s_kind_t;

struct _wf_login_limit_t {
    char prefix[WF_LOGIN_LIMIT_PREFIX_BYTES_MAX + 1];
    uint32_t failures_max[S_KINDS];
    int window_s;
    int timeout_ms;
    bool use_redis;
    char host[S_HOST_BYTES_MAX];
    int port;
    char password[S_PASSWORD_BYTES_MAX]; //  "" when none
    int db;
    redisContext *redis;
    bool redis_up;           //  the last round trip worked
    bool redis_state_logged; //  the current state was logged
    int64_t retry_at_ms;     //  no reconnect before this (monotonic)
    int64_t backoff_ms;
    wf_rate_table_t *table;
    uint8_t table_key[crypto_shorthash_KEYBYTES];
};

//  Parse redis://[[user]:password@]host[:port][/db] into self; -1 when malformed.
static int
s_parse_url (wf_login_limit_t *self, const char *url)
{
    if (strncmp (url, "redis://", 8) != 0) {
        return -1;
    }
    const char *host = url + 8;
    const char *at = strrchr (host, '@');
    if (at) {
        const char *colon = memchr (host, ':', (size_t) (at - host));
        size_t len = colon ? (size_t) (at - colon - 1) : 0;
        if (len >= sizeof self->password) {
            return -1;
        }
        memcpy (self->password, colon ? colon + 1 : "", len);
        self->password[len] = 0;
        host = at + 1;
    }
    size_t host_len = strcspn (host, ":/");
    if (host_len == 0 || host_len >= sizeof self->host) {
        return -1;
    }
    memcpy (self->host, host, host_len);
    self->host[host_len] = 0;
    const char *rest = host + host_len;
    self->port = 6379;
    char *end = NULL;
    if (*rest == ':') {
        long port = strtol (rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535) {
            return -1;
        }
        self->port = (int) port;
        rest = end;
    }
    if (*rest == '/' && rest[1]) {
        long db = strtol (rest + 1, &end, 10);
        if (end == rest + 1 || *end || db < 0 || db > 1000) {
            return -1;
        }
        self->db = (int) db;
    } else if (*rest && strcmp (rest, "/") != 0) {
        return -1;
    }
    return 0;
}

wf_login_limit_t *
wf_login_limit_new (const wf_login_limit_config_t *config)
{
    assert (config);
    if (sodium_init () < 0 || config->email_failures_max < 0 || config->address_failures_max < 0 ||
        config->window_s < 0 || config->timeout_ms < 0) {
        return NULL;
    }
    wf_login_limit_t *self = (wf_login_limit_t *) calloc (1, sizeof (wf_login_limit_t));
    assert (self);
    const char *prefix = config->prefix ? config->prefix : WF_LOGIN_LIMIT_PREFIX_DEFAULT;
    self->failures_max[S_EMAIL] = config->email_failures_max
                                      ? (uint32_t) config->email_failures_max
                                      : WF_LOGIN_LIMIT_EMAIL_FAILURES_DEFAULT;
    self->failures_max[S_ADDRESS] = config->address_failures_max
                                        ? (uint32_t) config->address_failures_max
                                        : WF_LOGIN_LIMIT_ADDR_FAILURES_DEFAULT;
    self->window_s = config->window_s ? config->window_s : WF_LOGIN_LIMIT_WINDOW_S_DEFAULT;
    self->timeout_ms = config->timeout_ms ? config->timeout_ms : WF_LOGIN_LIMIT_TIMEOUT_MS_DEFAULT;
    self->backoff_ms = WF_LOGIN_LIMIT_BACKOFF_MS_MIN;
    self->table = wf_rate_table_new (WF_LOGIN_LIMIT_TABLE_ENTRIES);
    crypto_shorthash_keygen (self->table_key);
    bool ok = strlen (prefix) <= WF_LOGIN_LIMIT_PREFIX_BYTES_MAX && self->table;
    if (ok) {
        strcpy (self->prefix, prefix);
    }
    if (ok && config->redis_url && *config->redis_url) {
        self->use_redis = true;
        ok = s_parse_url (self, config->redis_url) == 0;
    }
    if (!ok) {
        wf_login_limit_destroy (&self);
    }
    return self;
}

void
wf_login_limit_destroy (wf_login_limit_t **self_p)
{
    assert (self_p);
    wf_login_limit_t *self = *self_p;
    if (self) {
        if (self->redis) {
            redisFree (self->redis);
        }
        wf_rate_table_destroy (&self->table);
        sodium_memzero (self->password, sizeof self->password);
        free (self);
        *self_p = NULL;
    }
}

//  Milliseconds on the monotonic clock.
static int64_t
s_mono_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  Log a change of Redis state, once per change.
static void
s_redis_state (wf_login_limit_t *self, bool up, const char *detail)
{
    if (self->redis_up == up && self->redis_state_logged) {
        return;
    }
    self->redis_up = up;
    self->redis_state_logged = true;
    char quoted[WF_LOG_VALUE_BYTES_MAX];
    if (up) {
        wf_log (WF_LOG_INFO, "identity", "login_limit_redis_up", NULL, "host=%s port=%d",
                self->host, self->port);
    } else {
        wf_log (WF_LOG_WARN, "identity", "login_limit_redis_down", NULL,
                "host=%s port=%d detail=%s fallback=in_process", self->host, self->port,
                wf_log_quote (quoted, sizeof quoted, detail));
    }
}

//  Drop the connection after a failure and schedule the next attempt.
static void
s_redis_failed (wf_login_limit_t *self, const char *detail)
{
    if (self->redis) {
        redisFree (self->redis);
        self->redis = NULL;
    }
    s_redis_state (self, false, detail);
    self->retry_at_ms = s_mono_ms () + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > WF_LOGIN_LIMIT_BACKOFF_MS_MAX
                           ? WF_LOGIN_LIMIT_BACKOFF_MS_MAX
                           : self->backoff_ms * 2;
}

//  Run one command synchronously, expecting an OK status; 0 or -1.
static int
s_redis_setup_command (wf_login_limit_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    redisReply *reply = (redisReply *) redisvCommand (self->redis, format, args);
    va_end (args);
    int rc = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (reply) {
        freeReplyObject (reply);
    }
    return rc;
}

//  A live connection, or NULL while Redis is down or backing off.
static redisContext *
s_redis (wf_login_limit_t *self)
{
    if (!self->use_redis) {
        return NULL;
    }
    if (self->redis) {
        return self->redis;
    }
    if (s_mono_ms () < self->retry_at_ms) {
        return NULL;
    }
    struct timeval timeout = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    self->redis = redisConnectWithTimeout (self->host, self->port, timeout);
    assert (self->redis); //  NULL only when out of memory
    if (self->redis->err) {
        char detail[160];
        snprintf (detail, sizeof detail, "connect: %s", self->redis->errstr);
        s_redis_failed (self, detail);
        return NULL;
    }
    redisSetTimeout (self->redis, timeout);
    if ((*self->password && s_redis_setup_command (self, "AUTH %s", self->password) != 0) ||
        (self->db && s_redis_setup_command (self, "SELECT %d", self->db) != 0)) {
        s_redis_failed (self, "AUTH or SELECT refused");
        return NULL;
    }
    return self->redis;
}

//  Send `count` appended commands' worth of replies into replies; 0 or -1
//  (then the connection is dropped and every reply freed).
static int
s_redis_collect (wf_login_limit_t *self, redisReply **replies, size_t count)
{
    memset (replies, 0, count * sizeof *replies);
    for (size_t index = 0; index < count; index++) {
        void *reply = NULL;
        if (redisGetReply (self->redis, &reply) != REDIS_OK || !reply ||
            ((redisReply *) reply)->type == REDIS_REPLY_ERROR) {
            bool timed_out =
                self->redis->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
            char detail[160];
            snprintf (detail, sizeof detail, "%s",
                      timed_out          ? "timed out"
                      : reply            ? "error reply"
                      : self->redis->err ? self->redis->errstr
                                         : "no reply");
            if (reply) {
                freeReplyObject (reply);
            }
            for (size_t done = 0; done < index; done++) {
                freeReplyObject (replies[done]);
            }
            s_redis_failed (self, detail);
            return -1;
        }
        replies[index] = (redisReply *) reply;
    }
    self->backoff_ms = WF_LOGIN_LIMIT_BACKOFF_MS_MIN;
    s_redis_state (self, true, NULL);
    return 0;
}

//  Redis key and table key of one email or address.
static void
s_keys (const wf_login_limit_t *self, s_kind_t kind, const char *text, char *redis_key,
        uint64_t *table_key)
{
    uint8_t digest[S_DIGEST_BYTES];
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, sizeof digest);
    crypto_generichash_update (&state, (const uint8_t *) S_DIGEST_CONTEXT, sizeof S_DIGEST_CONTEXT);
    crypto_generichash_update (&state, (const uint8_t *) (kind == S_EMAIL ? "e" : "a"), 1);
    crypto_generichash_update (&state, (const uint8_t *) text, strlen (text));
    crypto_generichash_final (&state, digest, sizeof digest);
    char hex[S_DIGEST_BYTES * 2 + 1];
    sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
    snprintf (redis_key, S_KEY_BYTES_MAX, "%s%s:%s", self->prefix,
              kind == S_EMAIL ? "email" : "addr", hex);
    uint8_t short_digest[crypto_shorthash_BYTES];
    crypto_shorthash (short_digest, digest, sizeof digest, self->table_key);
    memcpy (table_key, short_digest, sizeof *table_key);
}

//  An integer reply's value (strings are parsed; nil is 0).
static long long
s_integer (const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_INTEGER) {
        return reply->integer;
    }
    if (reply->type == REDIS_REPLY_STRING) {
        return strtoll (reply->str, NULL, 10);
    }
    return 0;
}

int
wf_login_limit_check (wf_login_limit_t *self, const char *email, const char *address,
                      int64_t now_ms, int64_t *retry_after_s)
{
    assert (self && email && address && retry_after_s);
    const char *texts[S_KINDS] = {email, address};
    char redis_keys[S_KINDS][S_KEY_BYTES_MAX];
    uint64_t table_keys[S_KINDS];
    uint64_t counts[S_KINDS];
    int64_t remaining_ms[S_KINDS];
    for (int kind = 0; kind < S_KINDS; kind++) {
        s_keys (self, (s_kind_t) kind, texts[kind], redis_keys[kind], &table_keys[kind]);
        counts[kind] =
            wf_rate_table_count (self->table, table_keys[kind], now_ms, &remaining_ms[kind]);
    }
    redisContext *redis = s_redis (self);
    if (redis) {
        for (int kind = 0; kind < S_KINDS; kind++) {
            redisAppendCommand (redis, "GET %s", redis_keys[kind]);
            redisAppendCommand (redis, "PTTL %s", redis_keys[kind]);
        }
        redisReply *replies[S_KINDS * 2];
        if (s_redis_collect (self, replies, S_KINDS * 2) == 0) {
            for (int kind = 0; kind < S_KINDS; kind++) {
                long long count = s_integer (replies[kind * 2]);
                long long pttl = s_integer (replies[kind * 2 + 1]);
                if (count > 0 && (uint64_t) count >= counts[kind]) {
                    counts[kind] = (uint64_t) count;
                    //  No TTL (-1) cannot last: the next failure sets one.
                    remaining_ms[kind] = pttl > 0 ? pttl : (int64_t) self->window_s * 1000;
                }
            }
            for (size_t index = 0; index < S_KINDS * 2; index++) {
                freeReplyObject (replies[index]);
            }
        }
    }
    int64_t wait_ms = 0;
    for (int kind = 0; kind < S_KINDS; kind++) {
        bool blocked = (kind == S_EMAIL || *address) && counts[kind] >= self->failures_max[kind];
        if (blocked && remaining_ms[kind] > wait_ms) {
            wait_ms = remaining_ms[kind];
        }
    }
    *retry_after_s = wait_ms > 0 ? (wait_ms + 999) / 1000 : 0;
    return wait_ms > 0 ? -1 : 0;
}

void
wf_login_limit_fail (wf_login_limit_t *self, const char *email, const char *address, int64_t now_ms)
{
    assert (self && email && address);
    const char *texts[S_KINDS] = {email, address};
    char redis_keys[S_KINDS][S_KEY_BYTES_MAX];
    int kinds = *address ? S_KINDS : 1;
    for (int kind = 0; kind < kinds; kind++) {
        uint64_t table_key;
        s_keys (self, (s_kind_t) kind, texts[kind], redis_keys[kind], &table_key);
        wf_rate_table_hit (self->table, table_key, now_ms, (int64_t) self->window_s * 1000);
    }
    redisContext *redis = s_redis (self);
    if (!redis) {
        return;
    }
    for (int kind = 0; kind < kinds; kind++) {
        redisAppendCommand (redis, "INCR %s", redis_keys[kind]);
        redisAppendCommand (redis, "TTL %s", redis_keys[kind]);
    }
    redisReply *replies[S_KINDS * 2];
    if (s_redis_collect (self, replies, (size_t) kinds * 2) != 0) {
        return;
    }
    int expires = 0;
    for (int kind = 0; kind < kinds; kind++) {
        //  TTL -1: the key has no expiry yet (just created, or an EXPIRE was
        //  lost when a process died between the two): give it one.
        if (s_integer (replies[kind * 2 + 1]) == -1) {
            redisAppendCommand (redis, "EXPIRE %s %d", redis_keys[kind], self->window_s);
            expires++;
        }
    }
    for (int index = 0; index < kinds * 2; index++) {
        freeReplyObject (replies[index]);
    }
    if (expires > 0 && s_redis_collect (self, replies, (size_t) expires) == 0) {
        for (int index = 0; index < expires; index++) {
            freeReplyObject (replies[index]);
        }
    }
}

void
wf_login_limit_succeed (wf_login_limit_t *self, const char *email)
{
    assert (self && email);
    char redis_key[S_KEY_BYTES_MAX];
    uint64_t table_key;
    s_keys (self, S_EMAIL, email, redis_key, &table_key);
    wf_rate_table_clear (self->table, table_key);
    redisContext *redis = s_redis (self);
    if (redis) {
        redisAppendCommand (redis, "DEL %s", redis_key);
        redisReply *reply;
        if (s_redis_collect (self, &reply, 1) == 0) {
            freeReplyObject (reply);
        }
    }
}

bool
wf_login_limit_redis_up (const wf_login_limit_t *self)
{
    assert (self);
    return self->use_redis && self->redis_up;
}
