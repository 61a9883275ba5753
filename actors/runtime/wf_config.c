/*  wf_config - the process configuration (flags > environment > defaults).  */
#include "wf_config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { KIND_TEXT, KIND_INT, KIND_ACTORS, KIND_MODE } kind_t;

typedef struct {
    const char *flag; //  "--http-port"
    const char *env;  //  "WF_HTTP_PORT"
    kind_t kind;
    size_t offset;
    size_t size;   //  text buffers
    long min, max; //  ints
    const char *help;
} option_t;

#define TEXT(field)                                                                                \
    KIND_TEXT, offsetof (wf_config_t, field), sizeof (((wf_config_t *) 0)->field), 0, 0
#define INT(field, lo, hi) KIND_INT, offsetof (wf_config_t, field), 0, lo, hi

static const option_t s_options[] = {
    {"--actors", "WF_ACTORS", KIND_ACTORS, offsetof (wf_config_t, actors), 0, 0, 0,
     "actors this process runs: all, or a list of broker,front,system,health,account,relay,"
     "query,amqp,notifier,identity"},
    {"--mode", "WF_MODE", KIND_MODE, offsetof (wf_config_t, production), 0, 0, 0,
     "development (default) or production (refuses default secrets)"},
    {"--http-port", "WF_HTTP_PORT", INT (http_port, 0, 65535),
     "HTTP port of the front (default 5000; 0 = any free port)"},
    {"--http-interface", "WF_HTTP_INTERFACE", TEXT (http_interface),
     "address the front listens on (default: all)"},
    {"--broker-bind", "WF_BROKER_BIND", TEXT (broker_bind),
     "extra endpoint the in-process broker binds, e.g. tcp://*:5555"},
    {"--broker", "WF_BROKER", TEXT (broker_connect),
     "broker endpoint the actors connect to (default inproc://wf-broker)"},
    {"--metrics-endpoint", "WF_METRICS_ENDPOINT", TEXT (metrics_endpoint),
     "where the front collects other actors' metrics (default inproc://wf-metrics)"},
    {"--health-endpoint", "WF_HEALTH_ENDPOINT", TEXT (health_endpoint),
     "where the health actor publishes (default inproc://wf-health)"},
    {"--notifier-endpoint", "WF_NOTIFIER_ENDPOINT", TEXT (notifier_endpoint),
     "notifier's PUB: the notifier binds it, fronts connect (default inproc://wf-notifier)"},
    {"--pg-url", "WF_PG_URL", TEXT (pg_url), "PostgreSQL URL (postgresql://user@host:port/db)"},
    {"--redis-url", "WF_REDIS_URL", TEXT (redis_url), "Redis URL (redis://host:port)"},
    {"--amqp-url", "WF_AMQP_URL", TEXT (amqp_url),
     "RabbitMQ URL: amqp://user:pass@host:port/vhost, amqps:// for TLS"},
    {"--amqp-heartbeat-s", "WF_AMQP_HEARTBEAT_S", INT (amqp_heartbeat_s, 0, 3600),
     "AMQP heartbeat of the bridge in seconds (default 5; 0 = off)"},
    {"--amqp-tls-ca", "WF_AMQP_TLS_CA", TEXT (amqp_tls_ca),
     "CA bundle checking RabbitMQ's certificate with amqps:// (default: the system's)"},
    {"--amqp-tls-verify", "WF_AMQP_TLS_VERIFY", INT (amqp_tls_verify, 0, 1),
     "1 (default): check RabbitMQ's certificate and host name; 0: do not (tests only)"},
    {"--request-timeout-ms", "WF_REQUEST_TIMEOUT_MS", INT (request_timeout_ms, 10, 600000),
     "deadline of a request through the broker (default 5000)"},
    {"--heartbeat-ms", "WF_HEARTBEAT_MS", INT (heartbeat_interval_ms, 10, 60000),
     "broker/worker heartbeat interval (default 1000)"},
    {"--account-shards", "WF_ACCOUNT_SHARDS", INT (account_shards, 1, 256),
     "number of account shards, the same in every process (default 4)"},
    {"--shards", "WF_SHARDS", TEXT (shard_list),
     "account shards this process serves, e.g. 0,1 (default: all)"},
    {"--default-currency", "WF_DEFAULT_CURRENCY", TEXT (default_currency),
     "currency of the wallet opened at registration (default ARS)"},
    {"--jwt-ttl-s", "WF_JWT_TTL_S", INT (jwt_ttl_s, 60, 86400),
     "access token lifetime (default 900); the secret is WF_JWT_SECRET"},
    {"--jwt-issuer", "WF_JWT_ISSUER", TEXT (jwt_issuer),
     "access token iss (default WalletFlow.Identity)"},
    {"--jwt-audience", "WF_JWT_AUDIENCE", TEXT (jwt_audience),
     "access token aud (default WalletFlow)"},
    {"--refresh-ttl-s", "WF_REFRESH_TTL_S", INT (refresh_ttl_s, 60, 31536000),
     "refresh token lifetime (default 604800, 7 days)"},
    {"--refresh-reuse-grace-ms", "WF_REFRESH_REUSE_GRACE_MS",
     INT (refresh_reuse_grace_ms, 0, 60000),
     "a used refresh token presented again within this is refused without revoking its family "
     "(default 2000)"},
    {"--argon2-ops", "WF_ARGON2_OPS", INT (argon2_ops, 0, 64),
     "Argon2id passes (default 0: libsodium INTERACTIVE)"},
    {"--argon2-mem-kib", "WF_ARGON2_MEM_KIB", INT (argon2_mem_kib, 0, 4194304),
     "Argon2id memory in KiB (default 0: libsodium INTERACTIVE, 64 MiB)"},
    {"--hash-threads", "WF_HASH_THREADS", INT (hash_threads, 1, 64),
     "password hashing threads (default 2)"},
    {"--hash-queue-max", "WF_HASH_QUEUE_MAX", INT (hash_queue_max, 1, 4096),
     "hashing jobs outstanding before sign-ins get 503 (default 32)"},
    {"--login-email-failures-max", "WF_LOGIN_EMAIL_FAILURES_MAX",
     INT (login_email_failures_max, 1, 100000),
     "failed logins per email per window before 429 (default 5)"},
    {"--login-address-failures-max", "WF_LOGIN_ADDRESS_FAILURES_MAX",
     INT (login_address_failures_max, 1, 100000),
     "failed logins per client address per window before 429 (default 20)"},
    {"--login-failure-window-s", "WF_LOGIN_FAILURE_WINDOW_S",
     INT (login_failure_window_s, 1, 86400), "failed-login counting window (default 900)"},
    {"--login-limit-prefix", "WF_LOGIN_LIMIT_PREFIX", TEXT (login_limit_prefix),
     "Redis key prefix of the failed-login counters (default wf:login:)"},
    {"--curve-server-cert", "WF_CURVE_SERVER_CERT", TEXT (curve_server_cert),
     "broker's CURVE certificate (walletflow keygen): its tcp endpoints require CURVE"},
    {"--curve-allowed", "WF_CURVE_ALLOWED", TEXT (curve_allowed),
     "directory of client certificates the broker accepts (with --curve-server-cert)"},
    {"--curve-client-cert", "WF_CURVE_CLIENT_CERT", TEXT (curve_client_cert),
     "this process's CURVE certificate for connecting to a remote broker"},
    {"--curve-server-key", "WF_CURVE_SERVER_KEY", TEXT (curve_server_key),
     "the broker's public key: 40 Z85 characters or its public certificate file"},
    {"--hub-replay-messages-max", "WF_HUB_REPLAY_MESSAGES_MAX",
     INT (hub_replay_messages_max, 1, 4096),
     "unacknowledged notifications kept per stateful SignalR connection; past it the client "
     "is told to resync (default 256)"},
    {"--hub-reconnect-window-ms", "WF_HUB_RECONNECT_WINDOW_MS",
     INT (hub_reconnect_window_ms, 15000, 300000),
     "how long a dropped stateful SignalR connection waits for its client (default 30000)"},
    {"--web-client-js", "WF_WEB_CLIENT_JS", TEXT (web_client_js),
     "the SignalR browser client (npm @microsoft/signalr dist/browser/signalr.min.js) the web "
     "page at / loads (default: tests/e2e/node_modules of the source tree)"},
    {"--rate-limit", "WF_RATE_LIMIT", INT (rate_limit, 0, 1),
     "1 (default): token-bucket limits on the auth and money endpoints, shared through "
     "--redis-url, per process while Redis is down; 0: off (benchmarks)"},
    {"--rate-limit-prefix", "WF_RATE_LIMIT_PREFIX", TEXT (rate_limit_prefix),
     "Redis key prefix of the rate-limit buckets (default wf:rl:)"},
    {"--rate-limit-timeout-ms", "WF_RATE_LIMIT_TIMEOUT_MS", INT (rate_limit_timeout_ms, 1, 1000),
     "bound of one rate-limit Redis round trip (default 50)"},
    {"--rate-auth-address-per-min", "WF_RATE_AUTH_ADDRESS_PER_MIN",
     INT (rate_auth_address_per_min, 1, 1000000),
     "register/login/refresh requests a minute per client address (default 300)"},
    {"--rate-auth-address-burst", "WF_RATE_AUTH_ADDRESS_BURST",
     INT (rate_auth_address_burst, 1, 1000000),
     "of which at once, the bucket's size (default 100)"},
    {"--rate-auth-user-per-min", "WF_RATE_AUTH_USER_PER_MIN",
     INT (rate_auth_user_per_min, 1, 1000000),
     "register/login requests a minute per email, refresh requests per refresh token (default 60)"},
    {"--rate-auth-user-burst", "WF_RATE_AUTH_USER_BURST", INT (rate_auth_user_burst, 1, 1000000),
     "of which at once (default 20)"},
    {"--rate-money-user-per-min", "WF_RATE_MONEY_USER_PER_MIN",
     INT (rate_money_user_per_min, 1, 1000000),
     "money requests (POST/PUT/PATCH/DELETE under /api/accounts, /api/holds, "
     "/api/transactions) a minute per user (default 1200)"},
    {"--rate-money-user-burst", "WF_RATE_MONEY_USER_BURST", INT (rate_money_user_burst, 1, 1000000),
     "of which at once per user (default 200)"},
    {"--rate-money-address-per-min", "WF_RATE_MONEY_ADDRESS_PER_MIN",
     INT (rate_money_address_per_min, 1, 1000000),
     "money requests a minute per client address (default 6000)"},
    {"--rate-money-address-burst", "WF_RATE_MONEY_ADDRESS_BURST",
     INT (rate_money_address_burst, 1, 1000000),
     "of which at once per client address (default 1000)"},
    {"--tls-cert", "WF_TLS_CERT", TEXT (tls_cert),
     "PEM certificate (chain) file: the front serves HTTPS and WSS only (with --tls-key)"},
    {"--tls-key", "WF_TLS_KEY", TEXT (tls_key), "PEM private key file of --tls-cert"},
    {"--cors-origins", "WF_CORS_ORIGINS", TEXT (cors_origins),
     "origins allowed to call the API from a browser, comma-separated exact origins such as "
     "https://app.example.com (default: none, CORS off)"},
};
#define OPTIONS (sizeof s_options / sizeof s_options[0])

//  The config file option (read before everything else, so not in s_options'
//  loop over the environment; --help lists it with them).
static const option_t s_config_option = {
    "--config", "WF_CONFIG", TEXT (config_file),
    "a file of \"key = value\" lines, key = a flag without its dashes (http-port = 5000); "
    "the environment and flags override it"};

int
wf_config_actors (const char *list, unsigned *actors)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"broker", WF_ACTOR_BROKER},     {"front", WF_ACTOR_FRONT}, {"account", WF_ACTOR_ACCOUNT},
        {"relay", WF_ACTOR_RELAY},       {"query", WF_ACTOR_QUERY}, {"system", WF_ACTOR_SYSTEM},
        {"health", WF_ACTOR_HEALTH},     {"amqp", WF_ACTOR_AMQP},   {"notifier", WF_ACTOR_NOTIFIER},
        {"identity", WF_ACTOR_IDENTITY}, {"all", WF_ACTORS_ALL}};
    *actors = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn (p, ",");
        bool known = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (len == strlen (names[i].name) && strncmp (p, names[i].name, len) == 0) {
                *actors |= names[i].bit;
                known = true;
            }
        if (!known)
            return -1;
        p += len;
        if (*p == ',')
            p++;
    }
    return *actors ? 0 : -1;
}

//  Stores one option's value; -1 with error set when it is invalid.
static int
s_set (wf_config_t *config, const option_t *option, const char *value, const char *source,
       char *error, size_t error_size)
{
    char *field = (char *) config + option->offset;
    if (option->kind == KIND_TEXT) {
        if (strlen (value) >= option->size) {
            snprintf (error, error_size, "%s (%s) is longer than %zu bytes", option->flag, source,
                      option->size - 1);
            return -1;
        }
        memcpy (field, value, strlen (value) + 1);
        return 0;
    }
    if (option->kind == KIND_INT) {
        char *end = NULL;
        errno = 0;
        long n = strtol (value, &end, 10);
        if (!*value || *end || errno || n < option->min || n > option->max) {
            snprintf (error, error_size, "%s (%s) must be a number from %ld to %ld, not \"%.64s\"",
                      option->flag, source, option->min, option->max, value);
            return -1;
        }
        *(int *) field = (int) n;
        return 0;
    }
    if (option->kind == KIND_ACTORS) {
        if (wf_config_actors (value, (unsigned *) field) != 0) {
            snprintf (error, error_size, "%s (%s): unknown actor in \"%.64s\" (see --help)",
                      option->flag, source, value);
            return -1;
        }
        return 0;
    }
    if (strcmp (value, "production") != 0 && strcmp (value, "development") != 0) {
        snprintf (error, error_size, "%s (%s) must be development or production, not \"%.64s\"",
                  option->flag, source, value);
        return -1;
    }
    *(bool *) field = strcmp (value, "production") == 0;
    return 0;
}

//  Finds an option by flag name (the part before any '=').
static const option_t *
s_find (const char *arg, size_t len)
{
    for (size_t i = 0; i < OPTIONS; i++)
        if (strlen (s_options[i].flag) == len && strncmp (arg, s_options[i].flag, len) == 0)
            return &s_options[i];
    if (strlen (s_config_option.flag) == len && strncmp (arg, s_config_option.flag, len) == 0)
        return &s_config_option;
    return NULL;
}

//  Trims blanks at both ends of text in place; returns its start.
static char *
s_trim (char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t len = strlen (text);
    while (len > 0 && strchr (" \t\r\n", text[len - 1]))
        text[--len] = 0;
    return text;
}

//  Applies one "key = value" line; -1 with error set.
static int
s_config_line (wf_config_t *config, char *line, const char *where, char *error, size_t error_size)
{
    char *eq = strchr (line, '=');
    if (!eq) {
        snprintf (error, error_size, "%s: expected \"key = value\", not \"%.64s\"", where, line);
        return -1;
    }
    *eq = 0;
    char *key = s_trim (line);
    char *value = s_trim (eq + 1);
    char flag[80];
    snprintf (flag, sizeof flag, "--%.64s", key);
    const option_t *option = s_find (flag, strlen (flag));
    if (!option) {
        snprintf (error, error_size,
                  "%s: unknown key \"%.64s\" (keys are the flags of --help "
                  "without their dashes)",
                  where, key);
        return -1;
    }
    if (!*value) {
        snprintf (error, error_size, "%s: %s has no value", where, key);
        return -1;
    }
    return s_set (config, option, value, where, error, error_size);
}

int
wf_config_file_apply (wf_config_t *config, const char *path, char *error, size_t error_size)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (error, error_size, "--config: cannot read %.200s: %s", path, strerror (errno));
        return -1;
    }
    char line[WF_CONFIG_LINE_BYTES_MAX + 2];
    int number = 0, rc = 0;
    while (rc == 0 && fgets (line, sizeof line, file)) {
        char where[WF_CONFIG_TEXT_BYTES_MAX + 16];
        snprintf (where, sizeof where, "%.200s:%d", path, ++number);
        if (number > WF_CONFIG_FILE_LINES_MAX ||
            (strlen (line) > WF_CONFIG_LINE_BYTES_MAX && line[WF_CONFIG_LINE_BYTES_MAX] != '\n')) {
            snprintf (error, error_size, "%s: %s", where,
                      number > WF_CONFIG_FILE_LINES_MAX ? "too many lines" : "line too long");
            rc = -1;
            break;
        }
        char *text = s_trim (line);
        if (*text && *text != '#')
            rc = s_config_line (config, text, where, error, error_size);
    }
    fclose (file);
    return rc;
}

//  The config file named by argv (--config FILE or --config=FILE), else by
//  the environment; NULL when none.
static const char *
s_config_path (int argc, char **argv, wf_config_getenv_fn getenv_fn)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strncmp (argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    if (!path && getenv_fn)
        path = getenv_fn ("WF_CONFIG");
    return path && *path ? path : NULL;
}

//  Applies argv over the environment's values.
static int
s_parse_argv (wf_config_t *config, int argc, char **argv, char *error, size_t error_size)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
            config->help = true;
            continue;
        }
        const char *eq = strchr (arg, '=');
        size_t len = eq ? (size_t) (eq - arg) : strlen (arg);
        const option_t *option = s_find (arg, len);
        if (!option) {
            snprintf (error, error_size, "unknown option \"%.64s\" (see --help)", arg);
            return -1;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            snprintf (error, error_size, "%s needs a value", option->flag);
            return -1;
        }
        if (option == &s_config_option)
            continue; //  read first, by s_config_path
        if (s_set (config, option, value, "command line", error, error_size) != 0)
            return -1;
    }
    return 0;
}

int
wf_config_parse (wf_config_t *config, int argc, char **argv, wf_config_getenv_fn getenv_fn,
                 char *error, size_t error_size)
{
    memset (config, 0, sizeof *config);
    config->actors = WF_ACTORS_ALL;
    config->http_port = 5000;
    strcpy (config->broker_connect, "inproc://wf-broker");
    strcpy (config->metrics_endpoint, "inproc://wf-metrics");
    strcpy (config->health_endpoint, "inproc://wf-health");
    strcpy (config->notifier_endpoint, "inproc://wf-notifier");
    config->request_timeout_ms = 5000;
    config->amqp_heartbeat_s = 5;
    strcpy (config->amqp_tls_ca, "/etc/ssl/certs/ca-certificates.crt");
    config->amqp_tls_verify = 1;
    config->heartbeat_interval_ms = 1000;
    config->account_shards = 4;
    strcpy (config->default_currency, "ARS");
    config->jwt_ttl_s = 900;
    strcpy (config->jwt_issuer, "WalletFlow.Identity");
    strcpy (config->jwt_audience, "WalletFlow");
    config->refresh_ttl_s = 7 * 24 * 3600;
    config->refresh_reuse_grace_ms = 2000;
    config->hash_threads = 2;
    config->hash_queue_max = 32;
    config->login_email_failures_max = 5;
    config->login_address_failures_max = 20;
    config->login_failure_window_s = 900;
    strcpy (config->login_limit_prefix, "wf:login:");
    config->rate_limit = 1;
    strcpy (config->rate_limit_prefix, "wf:rl:");
#ifdef WF_WEB_CLIENT_JS_DEFAULT
    snprintf (config->web_client_js, sizeof config->web_client_js, "%s", WF_WEB_CLIENT_JS_DEFAULT);
#endif
    const char *config_path = s_config_path (argc, argv, getenv_fn);
    if (config_path) {
        if (s_set (config, &s_config_option, config_path, "--config", error, error_size) != 0 ||
            wf_config_file_apply (config, config->config_file, error, error_size) != 0)
            return -1;
    }
    for (size_t i = 0; i < OPTIONS; i++) {
        const char *value = getenv_fn ? getenv_fn (s_options[i].env) : NULL;
        if (value && *value &&
            s_set (config, &s_options[i], value, s_options[i].env, error, error_size) != 0)
            return -1;
    }
    if (s_parse_argv (config, argc, argv, error, error_size) != 0)
        return -1;
    if (config->help)
        return 0;
    bool needs_pg = config->actors & WF_ACTORS_PG;
    if (needs_pg && !*config->pg_url) {
        snprintf (error, error_size,
                  "the system, account, relay, query and identity actors need PostgreSQL: set "
                  "--pg-url or WF_PG_URL");
        return -1;
    }
    if (config->production && !config->amqp_tls_verify) {
        snprintf (error, error_size, "--amqp-tls-verify 0 is refused in production");
        return -1;
    }
    bool served[256];
    if (wf_config_shards (config, served, 256) < 0) {
        snprintf (error, error_size, "--shards \"%.64s\" must list numbers from 0 to %d",
                  config->shard_list, config->account_shards - 1);
        return -1;
    }
    if (!*config->curve_server_cert != !*config->curve_allowed) {
        snprintf (error, error_size, "--curve-server-cert and --curve-allowed go together");
        return -1;
    }
    if (!*config->tls_cert != !*config->tls_key) {
        snprintf (error, error_size, "--tls-cert and --tls-key go together");
        return -1;
    }
    if (!*config->curve_client_cert != !*config->curve_server_key) {
        snprintf (error, error_size, "--curve-client-cert and --curve-server-key go together");
        return -1;
    }
    if (!(config->actors & WF_ACTOR_BROKER) &&
        strncmp (config->broker_connect, "inproc:", 7) == 0) {
        snprintf (error, error_size,
                  "no broker runs in this process: --broker must name a tcp:// endpoint");
        return -1;
    }
    return 0;
}

void
wf_config_usage (FILE *out)
{
    fprintf (out, "usage: walletflow [options]\n"
                  "       walletflow migrate [options]   apply schema migrations, then exit\n"
                  "       walletflow audit [options]     check the money invariants, exit 1 on "
                  "a violation\n"
                  "       walletflow admin grant EMAIL   make that user an Admin, then exit\n"
                  "       walletflow keygen DIR [NAME]   write a CURVE certificate pair NAME.cert "
                  "and NAME.cert_secret\n"
                  "       walletflow check-broker [options]   exit 0 when the broker answers "
                  "(health check)\n\n"
                  "Each option can also come from the environment variable shown, or from a\n"
                  "config file (--config FILE): one \"key = value\" per line, the key being the\n"
                  "flag without its dashes (http-port = 5000), '#' starts a comment line.\n"
                  "Flags override the environment, which overrides the file.\n"
                  "Secrets (WF_JWT_SECRET) come from the environment only.\n"
                  "Options:\n");
    fprintf (out, "  %-22s %-22s %s\n", s_config_option.flag, s_config_option.env,
             s_config_option.help);
    for (size_t i = 0; i < OPTIONS; i++)
        fprintf (out, "  %-22s %-22s %s\n", s_options[i].flag, s_options[i].env, s_options[i].help);
}

int
wf_config_shards (const wf_config_t *config, bool *served, size_t served_size)
{
    int shards = config->account_shards;
    if (shards <= 0 || (size_t) shards > served_size)
        return -1;
    for (int i = 0; i < shards; i++)
        served[i] = !*config->shard_list;
    if (!*config->shard_list)
        return shards;
    int count = 0;
    for (const char *p = config->shard_list; *p;) {
        char *end = NULL;
        long n = strtol (p, &end, 10);
        if (end == p || n < 0 || n >= shards || (*end && *end != ','))
            return -1;
        if (!served[n])
            count++;
        served[n] = true;
        p = *end ? end + 1 : end;
    }
    return count;
}
