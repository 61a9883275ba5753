/*  wf_config_test - flags over environment over defaults, and clear errors.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "wf_config.h"

static const char *s_env_names[8];
static const char *s_env_values[8];

//  A fake environment for the parser.
static const char *
s_getenv (const char *name)
{
    for (int i = 0; i < 8 && s_env_names[i]; i++)
        if (strcmp (s_env_names[i], name) == 0)
            return s_env_values[i];
    return NULL;
}

static void
s_env_clear (void)
{
    memset (s_env_names, 0, sizeof s_env_names);
}

//  Parses a NULL-terminated argument list.
static int
s_parse (wf_config_t *config, char *error, const char **args)
{
    char *argv[16] = {"walletflow"};
    int argc = 1;
    while (args && args[argc - 1])
        argv[argc] = (char *) args[argc - 1], argc++;
    return wf_config_parse (config, argc, argv, s_getenv, error, WF_CONFIG_ERROR_BYTES_MAX);
}

static void
test_defaults_and_env (void **state)
{
    wf_config_t config;
    char error[WF_CONFIG_ERROR_BYTES_MAX];
    s_env_clear ();
    s_env_names[0] = "WF_PG_URL";
    s_env_values[0] = "postgresql://x@127.0.0.1:1/db";
    s_env_names[1] = "WF_HTTP_PORT";
    s_env_values[1] = "6000";
    assert_int_equal (s_parse (&config, error, NULL), 0);
    assert_int_equal (config.actors, WF_ACTORS_ALL);
    assert_int_equal (config.http_port, 6000);
    assert_string_equal (config.broker_connect, "inproc://wf-broker");
    assert_false (config.production);
    const char *args[] = {"--http-port", "7000", "--mode=production", NULL};
    assert_int_equal (s_parse (&config, error, args), 0);
    assert_int_equal (config.http_port, 7000); //  flag beats environment
    assert_true (config.production);
}

//  The AMQP connection settings: URL, heartbeat, TLS CA and verification, with defaults.
static void
test_amqp_settings (void **state)
{
    wf_config_t config;
    char error[WF_CONFIG_ERROR_BYTES_MAX];
    s_env_clear ();
    s_env_names[0] = "WF_PG_URL";
    s_env_values[0] = "postgresql://x@127.0.0.1:1/db";
    assert_int_equal (s_parse (&config, error, NULL), 0);
    assert_int_equal (config.amqp_heartbeat_s, 5);
    assert_string_equal (config.amqp_tls_ca, "/etc/ssl/certs/ca-certificates.crt");
    assert_int_equal (config.amqp_tls_verify, 1);
    s_env_names[1] = "WF_AMQP_HEARTBEAT_S";
    s_env_values[1] = "0";
    const char *args[] = {"--amqp-url",  "amqps://u:p@mq:5671/v", "--amqp-tls-ca",
                          "/tmp/ca.pem", "--amqp-tls-verify",     "0",
                          NULL};
    assert_int_equal (s_parse (&config, error, args), 0);
    assert_string_equal (config.amqp_url, "amqps://u:p@mq:5671/v");
    assert_int_equal (config.amqp_heartbeat_s, 0);
    assert_string_equal (config.amqp_tls_ca, "/tmp/ca.pem");
    assert_int_equal (config.amqp_tls_verify, 0);
    const char *production[] = {"--amqp-tls-verify", "0", "--mode", "production", NULL};
    assert_int_equal (s_parse (&config, error, production), -1);
    assert_non_null (strstr (error, "--amqp-tls-verify"));
    const char *bad_heartbeat[] = {"--amqp-heartbeat-s", "3601", NULL};
    assert_int_equal (s_parse (&config, error, bad_heartbeat), -1);
    assert_non_null (strstr (error, "--amqp-heartbeat-s"));
}

static void
test_actor_sets (void **state)
{
    unsigned actors;
    assert_int_equal (wf_config_actors ("broker", &actors), 0);
    assert_int_equal (actors, WF_ACTOR_BROKER);
    assert_int_equal (wf_config_actors ("front,system", &actors), 0);
    assert_int_equal (actors, WF_ACTOR_FRONT | WF_ACTOR_SYSTEM);
    assert_int_equal (wf_config_actors ("all", &actors), 0);
    assert_int_equal (actors, WF_ACTORS_ALL);
    assert_int_equal (wf_config_actors ("brokers", &actors), -1);
    assert_int_equal (wf_config_actors ("", &actors), -1);
    assert_int_equal (wf_config_actors ("front,,", &actors), -1);
}

static void
test_errors_are_clear (void **state)
{
    wf_config_t config;
    char error[WF_CONFIG_ERROR_BYTES_MAX];
    s_env_clear ();
    const char *bad_port[] = {"--http-port", "70000", "--pg-url", "x", NULL};
    assert_int_equal (s_parse (&config, error, bad_port), -1);
    assert_non_null (strstr (error, "--http-port"));
    const char *unknown[] = {"--bogus", NULL};
    assert_int_equal (s_parse (&config, error, unknown), -1);
    assert_non_null (strstr (error, "--bogus"));
    const char *missing_value[] = {"--broker", NULL};
    assert_int_equal (s_parse (&config, error, missing_value), -1);
    assert_non_null (strstr (error, "needs a value"));
    const char *no_pg[] = {"--actors", "system", "--broker", "tcp://127.0.0.1:1", NULL};
    assert_int_equal (s_parse (&config, error, no_pg), -1);
    assert_non_null (strstr (error, "PostgreSQL"));
    const char *no_broker[] = {"--actors", "front", NULL};
    assert_int_equal (s_parse (&config, error, no_broker), -1);
    assert_non_null (strstr (error, "tcp://"));
    const char *worker[] = {"--actors", "front", "--broker", "tcp://127.0.0.1:5555", NULL};
    assert_int_equal (s_parse (&config, error, worker), 0);
    const char *bad_mode[] = {"--mode", "prod", "--pg-url", "x", NULL};
    assert_int_equal (s_parse (&config, error, bad_mode), -1);
    s_env_names[0] = "WF_ACTORS";
    s_env_values[0] = "nope";
    assert_int_equal (s_parse (&config, error, NULL), -1);
    assert_non_null (strstr (error, "WF_ACTORS"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults_and_env),
        cmocka_unit_test (test_amqp_settings),
        cmocka_unit_test (test_actor_sets),
        cmocka_unit_test (test_errors_are_clear),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
