/*  make_corpus - writes the seed corpus of wf_msg_fuzz.

    Usage: wf_msg_make_corpus DIR. Each seed is one selector byte (0 for an
    envelope, else the message id, as wf_msg_fuzz.c reads it) followed by a
    valid frame: envelopes and bodies of every message encoded by the codec,
    plus a few written by hand to show the fuzzer forms our encoder never
    emits (absent optional fields, unknown keys, wide integer encodings).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wf_msg.h"

static const char *s_dir;

//  Writes one seed file: the selector byte, then the frame.
static void
s_write (const char *name, uint8_t selector, const void *frame, size_t size)
{
    char path[1024];
    snprintf (path, sizeof (path), "%s/%s", s_dir, name);
    FILE *file = fopen (path, "wb");
    if (!file || fwrite (&selector, 1, 1, file) != 1 || fwrite (frame, 1, size, file) != size) {
        fprintf (stderr, "make_corpus: cannot write %s\n", path);
        exit (1);
    }
    fclose (file);
}

//  Encodes an envelope and writes it as a seed.
static void
s_envelope (const char *name, const wf_envelope_t *env)
{
    wf_buf_t buf;
    wf_buf_init (&buf);
    if (wf_envelope_encode (env, &buf))
        exit (1);
    s_write (name, 0, buf.data, buf.size);
    wf_buf_free (&buf);
}

//  Encodes a body and writes it as a seed.
static void
s_body (const char *name, wf_msg_id_t id, const void *msg)
{
    wf_buf_t buf;
    wf_buf_init (&buf);
    if (wf_body_encode (id, msg, &buf))
        exit (1);
    s_write (name, (uint8_t) id, buf.data, buf.size);
    wf_buf_free (&buf);
}

//  The account and identity services' messages: one realistic body each
//  (also the replies the http target answers its calls with), and every
//  message encoded from zeroes.
static void
s_services (void)
{
    static wf_any_msg_t zero;
    for (int id = 1; id < WF_MSG_COUNT; id++) {
        char name[96];
        snprintf (name, sizeof name, "body_zero_%s", wf_msg_name ((wf_msg_id_t) id));
        s_body (name, (wf_msg_id_t) id, &zero);
    }
    wf_account_command_t command = {.kind = WF_STR ("deposit"),
                                    .account_id = WF_STR ("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
                                    .user_id = WF_STR ("11111111-1111-4111-8111-111111111111"),
                                    .role = WF_STR ("User"),
                                    .amount = WF_STR ("100.50"),
                                    .idempotency_key = WF_STR ("k1")};
    s_body ("body_account_command", WF_MSG_ACCOUNT_COMMAND, &command);
    wf_account_transaction_t transaction = {.id = WF_STR ("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"),
                                            .account_id =
                                                WF_STR ("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
                                            .amount = 10050,
                                            .currency = WF_STR ("ARS"),
                                            .digits = 2,
                                            .balance_after = 20050,
                                            .type = WF_STR ("Deposit"),
                                            .description = WF_STR ("salary"),
                                            .created_at_ms = 1764187200123,
                                            .seq = 7};
    s_body ("body_account_transaction", WF_MSG_ACCOUNT_TRANSACTION, &transaction);
    wf_account_info_t info = {.id = WF_STR ("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
                              .owner_id = WF_STR ("11111111-1111-4111-8111-111111111111"),
                              .number = WF_STR ("AR0120261126000000012K"),
                              .balance = 10050,
                              .currency = WF_STR ("CLF"),
                              .digits = 4,
                              .status = WF_STR ("Active"),
                              .created_at_ms = 1764187200123,
                              .version = 3,
                              .is_default = true};
    s_body ("body_account_info", WF_MSG_ACCOUNT_INFO, &info);
    static wf_account_list_t list;
    list.items[0] = info;
    list.items_count = 1;
    s_body ("body_account_list", WF_MSG_ACCOUNT_LIST, &list);
    static wf_account_history_t history;
    history.items[0] = transaction;
    history.items[1] = transaction;
    history.items[1].type = WF_STR ("TransferOut");
    history.items[1].destination_account_id = WF_STR ("cccccccc-cccc-4ccc-8ccc-cccccccccccc");
    history.items_count = 2;
    history.next_before = 6;
    s_body ("body_account_history", WF_MSG_ACCOUNT_HISTORY, &history);
    wf_account_transfer_t transfer = {
        .id = WF_STR ("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"),
        .source_account_id = WF_STR ("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"),
        .destination_account_id = WF_STR ("cccccccc-cccc-4ccc-8ccc-cccccccccccc"),
        .amount = 1,
        .currency = WF_STR ("JPY"),
        .digits = 0,
        .status = WF_STR ("InFlight"),
        .created_at_ms = 1764187200123};
    s_body ("body_account_transfer", WF_MSG_ACCOUNT_TRANSFER, &transfer);
    wf_identity_auth_reply_t auth = {.access_token = WF_STR ("a.b.c"),
                                     .refresh_token = WF_STR ("r"),
                                     .expires_at_s = 1764188100,
                                     .user_id = WF_STR ("11111111-1111-4111-8111-111111111111"),
                                     .email = WF_STR ("ana@example.com"),
                                     .first_name = WF_STR ("Ana"),
                                     .last_name = WF_STR ("D\xc3\xad"
                                                          "az"),
                                     .role = WF_STR ("User"),
                                     .status = WF_STR ("Active"),
                                     .created_at_ms = 1764187200123};
    s_body ("body_identity_auth_reply", WF_MSG_IDENTITY_AUTH_REPLY, &auth);
    wf_identity_user_reply_t user = {.user_id = auth.user_id,
                                     .email = auth.email,
                                     .first_name = auth.first_name,
                                     .last_name = auth.last_name,
                                     .role = WF_STR ("Admin"),
                                     .status = WF_STR ("Suspended"),
                                     .created_at_ms = -1};
    s_body ("body_identity_user_reply", WF_MSG_IDENTITY_USER_REPLY, &user);
    wf_identity_logout_reply_t logout = {.revoked = 3};
    s_body ("body_identity_logout_reply", WF_MSG_IDENTITY_LOGOUT_REPLY, &logout);
}

//  A byte string literal and its length.
#define S_RAW(literal) literal, sizeof (literal) - 1

int
main (int argc, char *argv[])
{
    if (argc != 2) {
        fprintf (stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    s_dir = argv[1];
    wf_envelope_t env = {WF_PROTO_VERSION,
                         WF_MSG_SYSTEM_INFO,
                         1,
                         WF_STR ("front"),
                         1767225600000,
                         WF_STR ("req-1"),
                         WF_STR ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")};
    s_envelope ("env_system_info", &env);
    env = (wf_envelope_t){.version = WF_PROTO_VERSION, .type = WF_MSG_ERROR};
    s_envelope ("env_error_empty", &env);
    env = (wf_envelope_t){WF_PROTO_VERSION,
                          WF_MSG_SYSTEM_INFO_REPLY,
                          UINT64_MAX,
                          WF_STR ("w\xc3\xa9"),
                          -1,
                          WF_STR ("r"),
                          WF_STR ("")};
    s_envelope ("env_system_info_reply", &env);
    //  Version as uint64 and correlation id as int8: widths our encoder never picks.
    s_write ("env_wide_ints", 0,
             S_RAW ("\x97\xcf\0\0\0\0\0\0\0\x01\xa5"
                    "error\xd0\x05\xa0\xd3\0\0\0\0\0\0\0\x01\xa0\xa0"));

    wf_field_error_t field_error = {0, WF_STR ("amount"), WF_STR ("must be positive")};
    s_body ("body_field_error", WF_MSG_FIELD_ERROR, &field_error);
    wf_error_t error = {.code = WF_ERR_NOT_FOUND, .detail = WF_STR ("no such account")};
    s_body ("body_error_empty_list", WF_MSG_ERROR, &error);
    error.code = WF_ERR_VALIDATION;
    error.errors_count = 1;
    error.errors[0] = field_error;
    s_body ("body_error_one", WF_MSG_ERROR, &error);
    error.errors_count = 16;
    for (int i = 0; i < 16; i++)
        error.errors[i] = (wf_field_error_t){0, WF_STR ("f"), WF_STR ("m")};
    s_body ("body_error_full_list", WF_MSG_ERROR, &error);
    s_write ("body_error_code_only", WF_MSG_ERROR,
             S_RAW ("\x81\xa4"
                    "code\xd3\x80\0\0\0\0\0\0\0"));
    wf_system_info_t info = {.probe = WF_STR ("ping")};
    s_body ("body_system_info", WF_MSG_SYSTEM_INFO, &info);
    s_write ("body_system_info_empty", WF_MSG_SYSTEM_INFO, S_RAW ("\x80"));
    s_write ("body_system_info_unknown_keys", WF_MSG_SYSTEM_INFO,
             S_RAW ("\x84\xa5probe\xa1x\xa3new\x92\x81\xa1k\xc0\xcb\0\0\0\0\0\0\0\0"
                    "\xa3"
                    "bin\xc4\x02\x00\xff\xa3"
                    "ext\xd5\x01zz"));
    wf_system_info_reply_t reply = {.schema_version = 3,
                                    .server_version = WF_STR ("15.10"),
                                    .worker = WF_STR ("host:4242/system"),
                                    .probe = WF_STR ("ping")};
    s_body ("body_system_info_reply", WF_MSG_SYSTEM_INFO_REPLY, &reply);
    s_services ();
    return 0;
}
