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
    return 0;
}
