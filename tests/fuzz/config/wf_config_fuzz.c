/*  wf_config_fuzz - libFuzzer target for the process configuration
    (actors/runtime/wf_config.c): flags over environment over defaults.

    The input is lines (split at '\n', at most S_LINES_MAX): a line
    "WF_NAME=value" is an environment variable, any other line one argv
    entry. wf_config_parse runs on them, then wf_config_shards and
    wf_config_actors on what it read.
    Properties: a refusal says why (a non-empty sentence that fits its
    buffer); an accepted configuration has every number within its flag's
    range, text fields NUL-terminated, a non-empty actor set within
    WF_ACTORS_ALL, PostgreSQL set when an actor needs it, shards listed within
    0..account_shards-1; parsing is deterministic (twice gives the same
    bytes). Built only with -DWF_FUZZ=ON (clang).
*/
#include "../common/wf_fuzz.h"
#include "wf_config.h"

#define S_LINES_MAX 32

static char *s_env_names[S_LINES_MAX];
static char *s_env_values[S_LINES_MAX];
static size_t s_env_count;

//  The fuzzed environment (the last definition of a name wins, as setenv would).
static const char *
s_getenv (const char *name)
{
    const char *value = NULL;
    for (size_t i = 0; i < s_env_count; i++)
        if (strcmp (s_env_names[i], name) == 0)
            value = s_env_values[i];
    return value;
}

//  True when a text field ends within its buffer.
#define S_TEXT_OK(field) (strnlen ((field), sizeof (field)) < sizeof (field))

static void
s_check_accepted (const wf_config_t *config)
{
    if (config->help)
        return;
    WF_FUZZ_CHECK (config->actors != 0 && (config->actors & ~(unsigned) WF_ACTORS_ALL) == 0);
    WF_FUZZ_CHECK (config->http_port >= 0 && config->http_port <= 65535);
    WF_FUZZ_CHECK (config->account_shards >= 1 && config->account_shards <= 256);
    WF_FUZZ_CHECK (config->request_timeout_ms >= 10 && config->request_timeout_ms <= 600000);
    WF_FUZZ_CHECK (config->heartbeat_interval_ms >= 10 && config->heartbeat_interval_ms <= 60000);
    WF_FUZZ_CHECK (config->jwt_ttl_s >= 60 && config->jwt_ttl_s <= 86400);
    WF_FUZZ_CHECK (config->amqp_tls_verify == 0 || config->amqp_tls_verify == 1);
    WF_FUZZ_CHECK (!config->production || config->amqp_tls_verify == 1);
    WF_FUZZ_CHECK (!(config->actors & WF_ACTORS_PG) || config->pg_url[0] != 0);
    WF_FUZZ_CHECK (S_TEXT_OK (config->http_interface) && S_TEXT_OK (config->broker_bind) &&
                   S_TEXT_OK (config->broker_connect) && S_TEXT_OK (config->pg_url) &&
                   S_TEXT_OK (config->redis_url) && S_TEXT_OK (config->amqp_url) &&
                   S_TEXT_OK (config->shard_list) && S_TEXT_OK (config->default_currency) &&
                   S_TEXT_OK (config->jwt_issuer) && S_TEXT_OK (config->jwt_audience) &&
                   S_TEXT_OK (config->login_limit_prefix) && S_TEXT_OK (config->web_client_js));
    bool served[256];
    int count = wf_config_shards (config, served, 256);
    WF_FUZZ_CHECK (count >= 0 && count <= config->account_shards);
    int marked = 0;
    for (int i = 0; i < config->account_shards; i++)
        marked += served[i];
    WF_FUZZ_CHECK (marked == count);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wf_fuzz_field_t lines[S_LINES_MAX];
    size_t count = wf_fuzz_split (data, size, '\n', lines, S_LINES_MAX);
    char *argv[S_LINES_MAX + 2];
    int argc = 0;
    argv[argc++] = strdup ("walletflow");
    s_env_count = 0;
    for (size_t i = 0; i < count; i++) {
        char *line = wf_fuzz_strdup (lines[i]);
        char *eq = strchr (line, '=');
        if (strncmp (line, "WF_", 3) == 0 && eq) {
            *eq = 0;
            s_env_names[s_env_count] = line;
            s_env_values[s_env_count] = eq + 1;
            s_env_count++;
        } else
            argv[argc++] = line;
    }
    argv[argc] = NULL;
    wf_config_t *config = (wf_config_t *) malloc (sizeof *config);
    wf_config_t *again = (wf_config_t *) malloc (sizeof *again);
    char error[WF_CONFIG_ERROR_BYTES_MAX], error_again[WF_CONFIG_ERROR_BYTES_MAX];
    error[0] = error_again[0] = 0;
    int rc = wf_config_parse (config, argc, argv, s_getenv, error, sizeof error);
    int rc_again = wf_config_parse (again, argc, argv, s_getenv, error_again, sizeof error_again);
    WF_FUZZ_CHECK (rc == rc_again);
    if (rc == 0) {
        WF_FUZZ_CHECK (memcmp (config, again, sizeof *config) == 0);
        s_check_accepted (config);
    } else {
        WF_FUZZ_CHECK (rc == -1);
        WF_FUZZ_CHECK (error[0] != 0 && strnlen (error, sizeof error) < sizeof error);
        WF_FUZZ_CHECK (strcmp (error, error_again) == 0);
    }
    //  The actor list parser alone, on the first line.
    if (count > 0) {
        char *list = wf_fuzz_strdup (lines[0]);
        unsigned actors = 0;
        if (wf_config_actors (list, &actors) == 0)
            WF_FUZZ_CHECK (actors != 0 && (actors & ~(unsigned) WF_ACTORS_ALL) == 0);
        free (list);
    }
    free (config);
    free (again);
    for (int i = 0; i < argc; i++)
        free (argv[i]);
    for (size_t i = 0; i < s_env_count; i++)
        free (s_env_names[i]);
    return 0;
}
