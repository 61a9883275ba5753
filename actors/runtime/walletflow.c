/*  walletflow - the one binary: runs any set of WalletFlow actors.

    By default every actor runs here as a thread over inproc://; flags choose
    the actor set and tcp:// endpoints, so the same binary runs the broker
    alone or workers alone on other hosts (see --help).

    Start: migrations (when an actor here needs PostgreSQL), then the broker,
    the workers, the health actor and last the front. Stop (SIGINT/SIGTERM):
    the reverse order, the front first so it drains in-flight requests while
    the workers can still answer them. Exit 0 after a clean stop.
*/
#include <czmq.h>
#include "wf_broker.h"
#include "wf_mdp_client.h"
#include <sys/stat.h>
#include "wf_config.h"
#include "wf_front.h"
#include "wf_health.h"
#include "wf_log.h"
#include "wf_migrate.h"
#include "wf_audit.h"
#include "wf_pg.h"
#include "wf_system.h"
#include "wf_account.h"
#include "wf_query.h"
#include "wf_relay.h"
#include "wf_amqp_bridge.h"
#include "wf_notifier.h"
#include "wf_jwt.h"
#include "wf_identity.h"
#include "wf_identity_store.h"
#include "wf_identity_validate.h"
#include <sodium.h>
#include "wf_shard.h"

#define WATCH_INTERVAL_MS  100
#define METRICS_PUBLISH_MS 1000

//  Applies pending migrations; 0 or -1 (logged).
static int
s_migrate (const wf_config_t *config)
{
    PGconn *conn = wf_pg_connect_url (config->pg_url);
    if (!conn) {
        wf_log (WF_LOG_ERROR, "main", "migrate_failed", NULL,
                "reason=\"cannot connect to postgres\"");
        return -1;
    }
    char err[512];
    int version = wf_migrate_apply (conn, err, sizeof err);
    PQfinish (conn);
    char quoted[600];
    if (version < 0) {
        wf_log (WF_LOG_ERROR, "main", "migrate_failed", NULL, "reason=%s",
                wf_log_quote (quoted, sizeof quoted, err));
        return -1;
    }
    wf_log (WF_LOG_INFO, "main", "schema_ready", NULL, "version=%d", version);
    return 0;
}

//  Asks an actor for its metrics text and publishes it to the front.
static void
s_publish_metrics (zactor_t *actor, const char *owner, zsock_t *pub)
{
    if (!actor || !pub)
        return;
    zstr_send (actor, "METRICS");
    char *text = zstr_recv (actor);
    if (text)
        zsock_send (pub, "ss", owner, text);
    zstr_free (&text);
}

typedef struct {
    wf_broker_config_t broker;
    wf_system_config_t system;
    wf_account_config_t account[WF_SHARDS_MAX];
    bool served[WF_SHARDS_MAX];
    wf_relay_config_t relay;
    wf_query_config_t query;
    wf_amqp_bridge_config_t amqp;
    wf_notifier_config_t notifier;
    wf_identity_config_t identity;
    wf_health_config_t health;
    wf_front_config_t front;
    char worker_name[128];
} actor_configs_t;

//  Fills every actor's configuration from the process configuration.
static void
s_actor_configs (const wf_config_t *config, actor_configs_t *ac)
{
    memset (ac, 0, sizeof *ac);
    char *host = zsys_hostname ();
    snprintf (ac->worker_name, sizeof ac->worker_name, "%s:%d", host ? host : "?", (int) getpid ());
    zstr_free (&host);
    ac->broker.endpoint = "inproc://wf-broker";
    ac->broker.heartbeat_interval_ms = config->heartbeat_interval_ms;
    ac->broker.request_timeout_ms = config->request_timeout_ms;
    ac->system.broker_endpoint = config->broker_connect;
    ac->system.pg_url = config->pg_url;
    ac->system.worker_name = ac->worker_name;
    ac->system.heartbeat_interval_ms = config->heartbeat_interval_ms;
    wf_config_shards (config, ac->served, WF_SHARDS_MAX);
    for (int i = 0; i < config->account_shards; i++) {
        ac->account[i].broker_endpoint = config->broker_connect;
        ac->account[i].pg_url = config->pg_url;
        ac->account[i].redis_url = *config->redis_url ? config->redis_url : NULL;
        ac->account[i].shard = i;
        ac->account[i].shards = config->account_shards;
        ac->account[i].default_currency = config->default_currency;
        ac->account[i].policy = WF_ACCOUNT_POLICY_DEFAULT;
        ac->account[i].heartbeat_interval_ms = config->heartbeat_interval_ms;
    }
    ac->relay.broker_endpoint = config->broker_connect;
    ac->relay.pg_url = config->pg_url;
    ac->relay.shards = config->account_shards;
    ac->query.broker_endpoint = config->broker_connect;
    ac->query.pg_url = config->pg_url;
    ac->query.redis_url = *config->redis_url ? config->redis_url : NULL;
    ac->query.heartbeat_interval_ms = config->heartbeat_interval_ms;
    ac->amqp.broker_endpoint = config->broker_connect;
    ac->amqp.amqp_url = config->amqp_url;
    ac->amqp.heartbeat_interval_ms = config->heartbeat_interval_ms;
    ac->amqp.default_currency = *config->default_currency ? config->default_currency : NULL;
    ac->amqp.amqp_heartbeat_s = config->amqp_heartbeat_s > 0 ? config->amqp_heartbeat_s : -1;
    ac->amqp.amqp_tls_ca = *config->amqp_tls_ca ? config->amqp_tls_ca : NULL;
    ac->amqp.amqp_tls_no_verify = !config->amqp_tls_verify;
    ac->front.http.account_shards = config->account_shards;
    ac->front.http.hub_replay_messages_max = (size_t) config->hub_replay_messages_max;
    ac->front.http.hub_reconnect_window_ms = config->hub_reconnect_window_ms;
    ac->front.http.web_client_js = config->web_client_js;
    ac->front.http.ratelimit = (wf_front_ratelimit_config_t){
        .disabled = !config->rate_limit,
        .redis_url = config->redis_url,
        .prefix = config->rate_limit_prefix,
        .timeout_ms = config->rate_limit_timeout_ms,
        .auth_address = {config->rate_auth_address_per_min, config->rate_auth_address_burst},
        .auth_user = {config->rate_auth_user_per_min, config->rate_auth_user_burst},
        .money_user = {config->rate_money_user_per_min, config->rate_money_user_burst},
        .money_address = {config->rate_money_address_per_min, config->rate_money_address_burst},
    };
    ac->front.http.tls_cert = config->tls_cert;
    ac->front.http.tls_key = config->tls_key;
    ac->front.http.cors_origins = config->cors_origins;
    ac->health.pg_url = *config->pg_url ? config->pg_url : NULL;
    ac->health.redis_url = *config->redis_url ? config->redis_url : NULL;
    ac->health.amqp_url = *config->amqp_url ? config->amqp_url : NULL;
    ac->health.amqp_tls_ca = *config->amqp_tls_ca ? config->amqp_tls_ca : NULL;
    ac->health.amqp_tls_no_verify = !config->amqp_tls_verify;
    ac->health.broker_endpoint = config->broker_connect;
    ac->health.publish_endpoint = config->health_endpoint;
    ac->front.http.port = config->http_port == 0 ? -1 : config->http_port;
    ac->front.http.interface = *config->http_interface ? config->http_interface : NULL;
    ac->front.http.request_timeout_ms = config->request_timeout_ms;
    ac->front.broker_endpoint = config->broker_connect;
    ac->front.health_endpoint = config->health_endpoint;
    ac->front.metrics_endpoint = config->metrics_endpoint;
    ac->front.notifier_endpoint = config->notifier_endpoint;
    ac->notifier.broker_endpoint = config->broker_connect;
    ac->notifier.publish_endpoint = config->notifier_endpoint;
    ac->notifier.heartbeat_interval_ms = config->heartbeat_interval_ms;
    ac->identity.broker_endpoint = config->broker_connect;
    ac->identity.pg_url = config->pg_url;
    ac->identity.worker_name = ac->worker_name;
    ac->identity.heartbeat_interval_ms = config->heartbeat_interval_ms;
    ac->identity.hash_threads = (size_t) config->hash_threads;
    ac->identity.hash_queue_max = (size_t) config->hash_queue_max;
    ac->identity.refresh_ttl_s = config->refresh_ttl_s;
    ac->identity.refresh_reuse_grace_ms = config->refresh_reuse_grace_ms;
    ac->identity.login_limit.redis_url = *config->redis_url ? config->redis_url : NULL;
    ac->identity.login_limit.prefix = config->login_limit_prefix;
    ac->identity.login_limit.email_failures_max = config->login_email_failures_max;
    ac->identity.login_limit.address_failures_max = config->login_address_failures_max;
    ac->identity.login_limit.window_s = config->login_failure_window_s;
}

static volatile sig_atomic_t s_stop_signal;

//  SIGINT/SIGTERM: ask the main loop to stop; a second signal is fatal.
static void
s_on_signal (int signum)
{
    if (s_stop_signal)
        _exit (128 + signum);
    s_stop_signal = signum;
}

//  Starts one actor; logs and returns NULL when it cannot start.
static zactor_t *
s_start (zactor_fn *fn, void *config, const char *name)
{
    zactor_t *actor = zactor_new (fn, config);
    if (!actor)
        wf_log (WF_LOG_ERROR, "main", "actor_failed", NULL, "actor=%s", name);
    return actor;
}

//  CURVE material of this process: the broker's certificate and its zauth
//  (which checks every tcp client's key against --curve-allowed), and the
//  client certificate and broker key the connecting actors use.
typedef struct {
    zcert_t *server_cert;
    zcert_t *client_cert;
    char server_key[41];
    zactor_t *auth;
} curve_t;

//  Loads a certificate that must hold a secret key; NULL (logged) when not.
static zcert_t *
s_curve_cert_load (const char *file, const char *flag)
{
    zcert_t *cert = zcert_load (file);
    if (cert && streq (zcert_secret_txt (cert), "0000000000000000000000000000000000000000"))
        zcert_destroy (&cert);
    if (!cert)
        wf_log (WF_LOG_ERROR, "main", "curve_cert_refused", NULL,
                "flag=%s file=\"%s\" reason=\"missing, unreadable or without a secret key\"", flag,
                file);
    return cert;
}

//  Reads the process's CURVE settings and starts zauth for the broker;
//  0, or -1 (logged) on any missing or malformed key.
static int
s_curve_load (const wf_config_t *config, curve_t *curve)
{
    memset (curve, 0, sizeof *curve);
    if (*config->curve_client_cert) {
        curve->client_cert = s_curve_cert_load (config->curve_client_cert, "--curve-client-cert");
        if (!curve->client_cert)
            return -1;
        const char *key = config->curve_server_key;
        zcert_t *public_cert =
            strlen (key) == 40 && !zsys_file_exists (key) ? NULL : zcert_load (key);
        if (public_cert)
            key = zcert_public_txt (public_cert);
        if (strlen (key) != 40) {
            wf_log (WF_LOG_ERROR, "main", "curve_key_refused", NULL,
                    "reason=\"--curve-server-key is neither 40 Z85 characters nor a certificate\"");
            zcert_destroy (&public_cert);
            return -1;
        }
        memcpy (curve->server_key, key, 41);
        zcert_destroy (&public_cert);
    }
    if (*config->curve_server_cert) {
        curve->server_cert = s_curve_cert_load (config->curve_server_cert, "--curve-server-cert");
        if (!curve->server_cert)
            return -1;
        if (!zsys_file_exists (config->curve_allowed)) {
            wf_log (WF_LOG_ERROR, "main", "curve_allowed_refused", NULL,
                    "reason=\"--curve-allowed is not a directory\" dir=\"%s\"",
                    config->curve_allowed);
            return -1;
        }
        curve->auth = zactor_new (zauth, NULL);
        zstr_sendx (curve->auth, "CURVE", config->curve_allowed, NULL);
        zsock_wait (curve->auth);
    }
    return 0;
}

//  Stops zauth and frees the certificates.
static void
s_curve_free (curve_t *curve)
{
    zactor_destroy (&curve->auth);
    zcert_destroy (&curve->server_cert);
    zcert_destroy (&curve->client_cert);
}

//  Gives every actor that connects to the broker the client certificate and
//  the broker's key, and the broker its own certificate.
static void
s_curve_apply (const wf_config_t *config, const curve_t *curve, actor_configs_t *ac)
{
    ac->broker.curve_server_cert = curve->server_cert;
    ac->front.curve_server_cert = curve->server_cert;
    if (!curve->client_cert)
        return;
    const char *key = curve->server_key;
    ac->system.curve_client_cert = curve->client_cert;
    ac->system.curve_server_key = key;
    for (int i = 0; i < config->account_shards; i++) {
        ac->account[i].curve_client_cert = curve->client_cert;
        ac->account[i].curve_server_key = key;
    }
    ac->relay.curve_client_cert = curve->client_cert;
    ac->relay.curve_server_key = key;
    ac->query.curve_client_cert = curve->client_cert;
    ac->query.curve_server_key = key;
    ac->amqp.curve_client_cert = curve->client_cert;
    ac->amqp.curve_server_key = key;
    ac->notifier.curve_client_cert = curve->client_cert;
    ac->notifier.curve_server_key = key;
    ac->identity.curve_client_cert = curve->client_cert;
    ac->identity.curve_server_key = key;
    ac->front.curve_client_cert = curve->client_cert;
    ac->front.curve_server_key = key;
}

//  walletflow keygen DIR [NAME]: writes DIR/NAME.cert (public, for the
//  broker's --curve-allowed directory or --curve-server-key) and
//  DIR/NAME.cert_secret (mode 0600). Returns the exit code.
static int
s_keygen (const char *dir, const char *name)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s.cert", dir, name);
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    int rc = zsys_dir_create ("%s", dir) == 0 ? zcert_save (cert, path) : -1;
    if (rc == 0) {
        char secret[1100];
        snprintf (secret, sizeof secret, "%s_secret", path);
        chmod (secret, 0600);
        printf ("%s\n", zcert_public_txt (cert));
    } else
        fprintf (stderr, "walletflow: keygen: cannot write %s\n", path);
    zcert_destroy (&cert);
    return rc == 0 ? 0 : 1;
}

//  walletflow check-broker [SERVICE]: asks the broker (--broker, with the
//  CURVE flags when set) through MMI; exit 0 when it answers (and, with
//  SERVICE, when that service has a worker). A container health check.
static int
s_check_broker (const wf_config_t *config, const char *service)
{
    curve_t curve;
    if (s_curve_load (config, &curve) != 0)
        return 1;
    wf_mdp_client_t *client =
        wf_mdp_client_new_curve (config->broker_connect, curve.client_cert, curve.server_key);
    zmsg_t *body = zmsg_new ();
    zmsg_addstr (body, service ? service : "mmi.service");
    zmsg_t *reply =
        client ? wf_mdp_client_request (client, "mmi.service", &body, config->request_timeout_ms)
               : NULL;
    zmsg_destroy (&body);
    char *code = reply ? zmsg_popstr (reply) : NULL;
    int rc = !code ? 1 : (service && !streq (code, "200")) ? 3 : 0;
    printf ("walletflow: broker %s: %s\n", config->broker_connect,
            !code     ? "no answer"
            : rc == 3 ? "answers; service has no worker"
                      : "answers");
    zstr_free (&code);
    zmsg_destroy (&reply);
    wf_mdp_client_destroy (&client);
    s_curve_free (&curve);
    return rc;
}

//  The access token signer/verifier the front (the REST API and the hub) and the
//  identity service share: the key
//  from WF_JWT_SECRET under the secret policy of wf_jwt_secret_load (production
//  refuses a missing or weak one; development makes a random one per run).
//  NULL (logged) when the policy refuses.
static wf_jwt_t *
s_jwt_load (const wf_config_t *config)
{
    uint8_t key[WF_JWT_KEY_BYTES_MAX];
    size_t len = sizeof key;
    bool generated = false;
    const char *secret = getenv ("WF_JWT_SECRET");
    if (wf_jwt_secret_load (secret, config->production, key, &len, &generated) != 0) {
        wf_log (WF_LOG_ERROR, "main", "jwt_secret_refused", NULL,
                "reason=\"WF_JWT_SECRET is missing or too weak for production\"");
        return NULL;
    }
    if (generated)
        wf_log (WF_LOG_WARN, "main", "jwt_secret_generated", NULL,
                "reason=\"WF_JWT_SECRET unset: tokens last until this process stops\"");
    wf_jwt_config_t jwt_config = {.key = key,
                                  .key_len = len,
                                  .issuer = config->jwt_issuer,
                                  .audience = config->jwt_audience,
                                  .ttl_s = config->jwt_ttl_s};
    wf_jwt_t *jwt = wf_jwt_new (&jwt_config);
    sodium_memzero (key, sizeof key);
    if (!jwt)
        wf_log (WF_LOG_ERROR, "main", "jwt_config_refused", NULL,
                "reason=\"--jwt-issuer, --jwt-audience or --jwt-ttl-s out of bounds\"");
    return jwt;
}

//  The identity service's Argon2id hasher at the configured work factors, and
//  a check of its limiter settings, made here where a mistake can stop the
//  start. NULL (logged) when either is refused.
static wf_password_t *
s_identity_password (const wf_config_t *config, const wf_identity_config_t *identity)
{
    wf_login_limit_t *limit = wf_login_limit_new (&identity->login_limit);
    bool limit_ok = limit != NULL;
    wf_login_limit_destroy (&limit);
    if (!limit_ok) {
        wf_log (WF_LOG_ERROR, "main", "login_limit_config_refused", NULL,
                "reason=\"malformed --redis-url or --login-limit-prefix\"");
        return NULL;
    }
    wf_password_config_t password_config = {(unsigned long long) config->argon2_ops,
                                            (size_t) config->argon2_mem_kib * 1024};
    wf_password_t *password = wf_password_new (&password_config);
    if (!password)
        wf_log (WF_LOG_ERROR, "main", "argon2_config_refused", NULL,
                "reason=\"--argon2-ops or --argon2-mem-kib outside libsodium's bounds\" ops=%d "
                "mem_kib=%d",
                config->argon2_ops, config->argon2_mem_kib);
    return password;
}

//  walletflow admin grant EMAIL: gives the user the role Admin. Tokens carry
//  the role, so it shows from the user's next login. Returns the exit code.
static int
s_admin_grant (const wf_config_t *config, const char *email)
{
    char normalized[WF_EMAIL_BYTES_MAX + 1];
    const char *message = NULL;
    if (wf_identity_validate_email (wf_str_c (email), normalized, &message) != 0) {
        fprintf (stderr, "walletflow: admin grant: not a valid email address: %s\n", message);
        return 1;
    }
    PGconn *conn = wf_pg_connect_url (config->pg_url);
    if (!conn) {
        fprintf (stderr, "walletflow: admin grant: cannot connect to PostgreSQL\n");
        return 1;
    }
    wf_store_result_t result = wf_identity_store_set_role (conn, normalized, "Admin");
    PQfinish (conn);
    if (result == WF_STORE_NOT_FOUND) {
        fprintf (stderr, "walletflow: admin grant: no user has the email %s\n", normalized);
        return 1;
    }
    if (result != WF_STORE_OK) {
        fprintf (stderr, "walletflow: admin grant: the update failed\n");
        return 1;
    }
    printf ("walletflow: %s is an Admin now (from their next login)\n", normalized);
    return 0;
}

//  Runs the actors until a stop signal; returns the exit code.
static int
s_run (const wf_config_t *config)
{
    actor_configs_t ac;
    s_actor_configs (config, &ac);
    curve_t curve;
    zactor_t *broker = NULL, *system = NULL, *health = NULL, *front = NULL;
    zactor_t *relay = NULL, *query = NULL, *shards[WF_SHARDS_MAX] = {NULL};
    zactor_t *amqp = NULL, *notifier = NULL, *identity = NULL;
    bool ok = s_curve_load (config, &curve) == 0;
    s_curve_apply (config, &curve, &ac);
    wf_jwt_t *jwt = NULL;
    wf_password_t *password = NULL;
    if (ok && (config->actors & (WF_ACTOR_FRONT | WF_ACTOR_IDENTITY))) {
        ok = (jwt = s_jwt_load (config)) != NULL;
        ac.front.http.jwt = jwt;
        ac.identity.jwt = jwt;
    }
    if (ok && (config->actors & WF_ACTOR_IDENTITY))
        ok = (ac.identity.password = password = s_identity_password (config, &ac.identity)) != NULL;
    if (ok && (config->actors & WF_ACTOR_BROKER)) {
        ok = (broker = s_start (wf_broker_actor, &ac.broker, "broker")) != NULL;
        if (ok && *config->broker_bind) {
            zstr_sendm (broker, "BIND");
            zstr_send (broker, config->broker_bind);
            ok = zsock_wait (broker) == 0;
            if (!ok)
                wf_log (WF_LOG_ERROR, "main", "bind_failed", NULL, "endpoint=%s",
                        config->broker_bind);
        }
    }
    if (ok && (config->actors & WF_ACTOR_SYSTEM))
        ok = (system = s_start (wf_system_actor, &ac.system, "system")) != NULL;
    if (ok && (config->actors & WF_ACTOR_IDENTITY))
        ok = (identity = s_start (wf_identity_actor, &ac.identity, "identity")) != NULL;
    for (int i = 0; ok && (config->actors & WF_ACTOR_ACCOUNT) && i < config->account_shards; i++)
        if (ac.served[i])
            ok = (shards[i] = s_start (wf_account_actor, &ac.account[i], "account")) != NULL;
    if (ok && (config->actors & WF_ACTOR_QUERY))
        ok = (query = s_start (wf_query_actor, &ac.query, "query")) != NULL;
    //  The notifier, too, starts before the relay that delivers to it.
    if (ok && (config->actors & WF_ACTOR_NOTIFIER))
        ok = (notifier = s_start (wf_notifier_actor, &ac.notifier, "notifier")) != NULL;
    //  The AMQP bridge starts before the relay that delivers to it; without a URL it does not
    //  run (events wait in the outbox).
    if (ok && (config->actors & WF_ACTOR_AMQP) && !*config->amqp_url)
        wf_log (WF_LOG_WARN, "main", "actor_skipped", NULL, "actor=amqp reason=\"no --amqp-url\"");
    else if (ok && (config->actors & WF_ACTOR_AMQP))
        ok = (amqp = s_start (wf_amqp_bridge_actor, &ac.amqp, "amqp")) != NULL;
    if (ok && (config->actors & WF_ACTOR_RELAY))
        ok = (relay = s_start (wf_relay_actor, &ac.relay, "relay")) != NULL;
    if (ok && (config->actors & WF_ACTOR_HEALTH))
        ok = (health = s_start (wf_health_actor, &ac.health, "health")) != NULL;
    if (ok && (config->actors & WF_ACTOR_FRONT))
        ok = (front = s_start (wf_front_actor, &ac.front, "front")) != NULL;
    if (ok && front) {
        //  A front that could not listen (port taken, TLS files refused)
        //  answers -1.
        zstr_send (front, "PORT");
        char *port = zstr_recv (front);
        ok = port && atoi (port) > 0;
        if (!ok)
            wf_log (WF_LOG_ERROR, "main", "actor_failed", NULL, "actor=front");
        zstr_free (&port);
    }

    //  Metrics of this process's actors go to the front that collects them
    //  (in-process only when a front runs here).
    zsock_t *metrics_pub = NULL;
    bool remote_front = strncmp (config->metrics_endpoint, "inproc:", 7) != 0;
    if (ok && ((config->actors & WF_ACTOR_FRONT) || remote_front)) {
        metrics_pub = zsock_new (ZMQ_PUB);
        zsock_set_sndhwm (metrics_pub, 100);
        if (config->actors & WF_ACTOR_FRONT)
            //  The front here also binds an inproc endpoint: no keys needed.
            zsock_connect (metrics_pub, "%s",
                           remote_front ? WF_FRONT_METRICS_LOCAL : config->metrics_endpoint);
        else {
            //  To a remote front: CURVE when this process talks CURVE to the broker.
            if (curve.client_cert && strncmp (config->metrics_endpoint, "tcp://", 6) == 0) {
                zcert_apply (curve.client_cert, metrics_pub);
                zsock_set_curve_serverkey (metrics_pub, curve.server_key);
            }
            zsock_connect (metrics_pub, "%s", config->metrics_endpoint);
        }
    }
    wf_log (WF_LOG_INFO, "main", ok ? "started" : "start_failed", NULL, "pid=%d", (int) getpid ());
    int64_t metrics_at = zclock_mono ();
    while (ok && !s_stop_signal) {
        zclock_sleep (WATCH_INTERVAL_MS);
        if (zclock_mono () >= metrics_at) {
            s_publish_metrics (broker, "broker", metrics_pub);
            s_publish_metrics (health, "health", metrics_pub);
            s_publish_metrics (relay, "relay", metrics_pub);
            s_publish_metrics (query, "query", metrics_pub);
            s_publish_metrics (amqp, "amqp", metrics_pub);
            s_publish_metrics (notifier, "notifier", metrics_pub);
            s_publish_metrics (identity, "identity", metrics_pub);
            for (int i = 0; i < config->account_shards; i++) {
                char owner[32];
                snprintf (owner, sizeof owner, "account.%d", i);
                s_publish_metrics (shards[i], owner, metrics_pub);
            }
            metrics_at = zclock_mono () + METRICS_PUBLISH_MS;
        }
    }
    if (s_stop_signal)
        wf_log (WF_LOG_INFO, "main", "stopping", NULL, "signal=%d", (int) s_stop_signal);
    //  Reverse order: the front drains while the workers still answer.
    zactor_destroy (&front);
    zactor_destroy (&health);
    zactor_destroy (&relay);
    zactor_destroy (&amqp);
    zactor_destroy (&notifier);
    zactor_destroy (&query);
    for (int i = 0; i < WF_SHARDS_MAX; i++)
        zactor_destroy (&shards[i]);
    zactor_destroy (&identity);
    zactor_destroy (&system);
    zactor_destroy (&broker);
    s_curve_free (&curve);
    zsock_destroy (&metrics_pub);
    wf_password_destroy (&password);
    wf_jwt_destroy (&jwt);
    wf_log (WF_LOG_INFO, "main", "stopped", NULL, NULL);
    return ok ? 0 : 1;
}

//  getenv with the const signature the configuration parser takes.
static const char *
s_getenv (const char *name)
{
    return getenv (name);
}

int
main (int argc, char **argv)
{
    wf_log_init ();
    bool migrate_only = argc > 1 && streq (argv[1], "migrate");
    bool audit = argc > 1 && streq (argv[1], "audit");
    if (migrate_only || audit) {
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    //  walletflow admin grant EMAIL [options]
    const char *grant_email = NULL;
    if (argc > 1 && streq (argv[1], "admin")) {
        if (argc < 4 || !streq (argv[2], "grant") || argv[3][0] == '-') {
            fprintf (stderr, "usage: walletflow admin grant EMAIL [options]\n");
            return 2;
        }
        grant_email = argv[3];
        argv[3] = argv[0];
        argc -= 3;
        argv += 3;
    }
    //  walletflow keygen DIR [NAME]
    if (argc > 1 && streq (argv[1], "keygen")) {
        if (argc < 3 || argc > 4 || argv[2][0] == '-') {
            fprintf (stderr, "usage: walletflow keygen DIR [NAME]\n");
            return 2;
        }
        return s_keygen (argv[2], argc == 4 ? argv[3] : "walletflow");
    }
    //  walletflow check-broker [SERVICE] [options]: parsed as a front-only
    //  process (no PostgreSQL needed; --broker must be tcp://).
    const char *check_service = NULL;
    bool check_broker = argc > 1 && streq (argv[1], "check-broker");
    char *check_argv[128];
    if (check_broker) {
        int first = 2;
        if (argc > 2 && argv[2][0] != '-')
            check_service = argv[first++];
        if (argc - first + 3 > 127) {
            fprintf (stderr, "walletflow: check-broker: too many arguments\n");
            return 2;
        }
        int n = 0;
        check_argv[n++] = argv[0];
        check_argv[n++] = "--actors";
        check_argv[n++] = "front";
        for (int i = first; i < argc; i++)
            check_argv[n++] = argv[i];
        check_argv[n] = NULL;
        argc = n;
        argv = check_argv;
    }
    wf_config_t config;
    char error[WF_CONFIG_ERROR_BYTES_MAX];
    if (wf_config_parse (&config, argc, argv, s_getenv, error, sizeof error) != 0) {
        fprintf (stderr, "walletflow: %s\n", error);
        return 2;
    }
    if (config.help) {
        wf_config_usage (stdout);
        return 0;
    }
    if (check_broker) {
        zsys_init ();
        int rc = s_check_broker (&config, check_service);
        zsys_shutdown ();
        return rc;
    }
    //  We order the shutdown ourselves: CZMQ must not interrupt the actors.
    zsys_handler_set (NULL);
    zsys_init ();
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    signal (SIGPIPE, SIG_IGN);
    bool needs_pg = (config.actors & WF_ACTORS_PG) || migrate_only || audit || grant_email;
    if (grant_email && !*config.pg_url) {
        fprintf (stderr, "walletflow: admin grant needs PostgreSQL: set --pg-url or WF_PG_URL\n");
        return 2;
    }
    if (needs_pg && s_migrate (&config) != 0)
        return 1;
    if (migrate_only)
        return 0;
    if (grant_email)
        return s_admin_grant (&config, grant_email);
    if (audit) {
        PGconn *conn = *config.pg_url ? wf_pg_connect_url (config.pg_url) : NULL;
        int violations = conn ? wf_audit_run (conn, stdout) : -1;
        if (conn)
            PQfinish (conn);
        if (violations != 0)
            fprintf (stderr, "walletflow audit: %s\n",
                     violations < 0 ? "could not read the event store" : "invariants violated");
        return violations == 0 ? 0 : 1;
    }
    int rc = s_run (&config);
    zsys_shutdown ();
    return rc;
}
