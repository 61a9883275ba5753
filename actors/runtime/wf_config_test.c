/*  wf_config_test - flags over environment over defaults, and clear errors.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

//  Writes text to a fresh temporary file; its path goes to path.
static void
s_write_file (char *path, size_t size, const char *text)
{
    snprintf (path, size, "/tmp/wf_config_test.XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    FILE *file = fdopen (fd, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

//  A config file sets options by their flag names; the environment beats it,
//  flags beat both; comments and blank lines are skipped.
static void
test_config_file (void **state)
{
    wf_config_t config;
    char error[WF_CONFIG_ERROR_BYTES_MAX];
    char path[64];
    s_write_file (path, sizeof path,
                  "# host B\n"
                  "\n"
                  "actors = account,identity\n"
                  "  shards=0,1  \n"
                  "broker = tcp://10.0.0.1:5555\n"
                  "pg-url = postgresql://wf@db:5432/walletflow\n"
                  "http-port = 6000\n"
                  "heartbeat-ms = 500\n");
    s_env_clear ();
    s_env_names[0] = "WF_HEARTBEAT_MS";
    s_env_values[0] = "700";
    const char *args[] = {"--config", path, "--http-port", "7000", NULL};
    assert_int_equal (s_parse (&config, error, args), 0);
    assert_int_equal (config.actors, WF_ACTOR_ACCOUNT | WF_ACTOR_IDENTITY);
    assert_string_equal (config.shard_list, "0,1");
    assert_string_equal (config.broker_connect, "tcp://10.0.0.1:5555");
    assert_string_equal (config.pg_url, "postgresql://wf@db:5432/walletflow");
    assert_int_equal (config.heartbeat_interval_ms, 700); //  environment beats the file
    assert_int_equal (config.http_port, 7000);            //  flag beats both
    assert_string_equal (config.config_file, path);
    //  WF_CONFIG names the file too; --config=FILE as well.
    s_env_names[0] = "WF_CONFIG";
    s_env_values[0] = path;
    assert_int_equal (s_parse (&config, error, NULL), 0);
    assert_int_equal (config.heartbeat_interval_ms, 500);
    s_env_clear ();
    char inline_flag[80];
    snprintf (inline_flag, sizeof inline_flag, "--config=%s", path);
    const char *args_eq[] = {inline_flag, NULL};
    assert_int_equal (s_parse (&config, error, args_eq), 0);
    assert_string_equal (config.shard_list, "0,1");
    unlink (path);
}

//  Every mistake in a config file names the file, the line and the key.
static void
test_config_file_errors (void **state)
{
    wf_config_t config;
    char error[WF_CONFIG_ERROR_BYTES_MAX];
    char path[64];
    const struct {
        const char *text;
        const char *says;
    } cases[] = {
        {"pg-url = x\nhttp-prot = 1\n", ":2: unknown key \"http-prot\""},
        {"pg-url = x\nhttp-port = lots\n", ":2) must be a number"},
        {"pg-url = x\nhttp-port = 70000\n", "from 0 to 65535"},
        {"pg-url = x\njust words\n", ":2: expected \"key = value\""},
        {"pg-url = x\nactors = front,nope\n", "unknown actor"},
        {"pg-url =\n", ":1: pg-url has no value"},
        {"pg-url = x\nshards = 9\n", "--shards"},
    };
    s_env_clear ();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_write_file (path, sizeof path, cases[i].text);
        const char *args[] = {"--config", path, NULL};
        assert_int_equal (s_parse (&config, error, args), -1);
        if (!strstr (error, cases[i].says))
            fail_msg ("case %zu: \"%s\" does not say \"%s\"", i, error, cases[i].says);
        if (i < 6 && !strstr (error, path))
            fail_msg ("case %zu: \"%s\" does not name the file", i, error);
        unlink (path);
    }
    //  A line past the bound, and a missing file.
    char long_line[WF_CONFIG_LINE_BYTES_MAX + 64];
    memset (long_line, 'a', sizeof long_line - 2);
    memcpy (long_line, "pg-url = ", 9);
    long_line[sizeof long_line - 2] = '\n';
    long_line[sizeof long_line - 1] = 0;
    s_write_file (path, sizeof path, long_line);
    const char *args[] = {"--config", path, NULL};
    assert_int_equal (s_parse (&config, error, args), -1);
    assert_non_null (strstr (error, "line too long"));
    unlink (path);
    assert_int_equal (s_parse (&config, error, args), -1);
    assert_non_null (strstr (error, "cannot read"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults_and_env), cmocka_unit_test (test_amqp_settings),
        cmocka_unit_test (test_actor_sets),       cmocka_unit_test (test_errors_are_clear),
        cmocka_unit_test (test_config_file),      cmocka_unit_test (test_config_file_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
