/*  wf_jwt_tool - issue or verify an access token from the command line.

    A test helper (end-to-end and interop tests), not shipped. The secret is
    read from the environment variable WF_JWT_SECRET, as raw bytes, never from
    the command line, so it does not show in process listings.

        wf_jwt_tool issue  [--iss I] [--aud A] [--ttl S] [--now S] SUB EMAIL FIRST LAST ROLE
            prints the token on stdout
        wf_jwt_tool verify [--iss I] [--aud A] [--now S] [--leeway S] [--ignore-exp] TOKEN
            prints the claims as JSON and exits 0, or prints the reason
            ("bad_signature") on stderr and exits 1

    Exit status 2 on a usage error.
*/
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wf_jwt.h"

typedef struct {
    const char *issuer;
    const char *audience;
    int64_t ttl_s;
    int64_t leeway_s;
    int64_t now_s;
    unsigned flags;
} s_options_t;

static int
s_usage (void)
{
    fprintf (stderr, "usage: wf_jwt_tool issue [--iss I] [--aud A] [--ttl S] [--now S] "
                     "SUB EMAIL FIRST LAST ROLE\n"
                     "       wf_jwt_tool verify [--iss I] [--aud A] [--now S] [--leeway S] "
                     "[--ignore-exp] TOKEN\n"
                     "       (secret in the environment variable WF_JWT_SECRET)\n");
    return 2;
}

//  Parse options after the command word; returns the index of the first operand or -1.
static int
s_parse (int argc, char **argv, s_options_t *options)
{
    static const struct option longs[] = {{"iss", required_argument, NULL, 'i'},
                                          {"aud", required_argument, NULL, 'a'},
                                          {"ttl", required_argument, NULL, 't'},
                                          {"now", required_argument, NULL, 'n'},
                                          {"leeway", required_argument, NULL, 'l'},
                                          {"ignore-exp", no_argument, NULL, 'x'},
                                          {NULL, 0, NULL, 0}};
    int option;
    optind = 2;
    while ((option = getopt_long (argc, argv, "", longs, NULL)) != -1) {
        switch (option) {
            case 'i':
                options->issuer = optarg;
                break;
            case 'a':
                options->audience = optarg;
                break;
            case 't':
                options->ttl_s = strtoll (optarg, NULL, 10);
                break;
            case 'n':
                options->now_s = strtoll (optarg, NULL, 10);
                break;
            case 'l':
                options->leeway_s = strtoll (optarg, NULL, 10);
                break;
            case 'x':
                options->flags |= WF_JWT_VERIFY_IGNORE_EXP;
                break;
            default:
                return -1;
        }
    }
    return optind;
}

//  Print verified claims as one JSON object.
static void
s_print_claims (const wf_jwt_claims_t *claims)
{
    json_t *object = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "sub", claims->sub,
                                "email", claims->email, "role", claims->role, "jti", claims->jti,
                                "firstName", claims->first_name, "lastName", claims->last_name,
                                "exp", (json_int_t) claims->exp, "iat", (json_int_t) claims->iat);
    char *text = object ? json_dumps (object, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    printf ("%s\n", text ? text : "{}");
    free (text);
    json_decref (object);
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        return s_usage ();
    }
    s_options_t options = {.now_s = (int64_t) time (NULL)};
    int first = s_parse (argc, argv, &options);
    const char *secret = getenv ("WF_JWT_SECRET");
    if (first < 0 || !secret || !*secret) {
        return s_usage ();
    }
    wf_jwt_config_t config = {(const uint8_t *) secret, strlen (secret), options.issuer,
                              options.audience,         options.ttl_s,   options.leeway_s};
    wf_jwt_t *jwt = wf_jwt_new (&config);
    if (!jwt) {
        fprintf (stderr, "wf_jwt_tool: configuration out of bounds\n");
        return 2;
    }
    int status = 2;
    if (strcmp (argv[1], "issue") == 0 && argc - first == 5) {
        wf_jwt_subject_t subject = {argv[first], argv[first + 1], argv[first + 2], argv[first + 3],
                                    argv[first + 4]};
        char token[WF_JWT_TOKEN_BYTES_MAX + 1];
        int64_t exp_s;
        status = wf_jwt_issue (jwt, &subject, options.now_s, token, sizeof token, &exp_s) ? 1 : 0;
        if (status == 0) {
            printf ("%s\n", token);
        }
    } else if (strcmp (argv[1], "verify") == 0 && argc - first == 1) {
        wf_jwt_claims_t claims;
        wf_jwt_reason_t reason = wf_jwt_verify (jwt, argv[first], strlen (argv[first]),
                                                options.now_s, options.flags, &claims);
        status = reason == WF_JWT_OK ? 0 : 1;
        if (reason == WF_JWT_OK) {
            s_print_claims (&claims);
        } else {
            fprintf (stderr, "%s\n", wf_jwt_reason_name (reason));
        }
    } else {
        s_usage ();
    }
    wf_jwt_destroy (&jwt);
    return status;
}
