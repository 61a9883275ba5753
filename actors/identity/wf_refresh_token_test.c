/*  wf_refresh_token_test - refresh tokens: randomness, shape, hash.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "wf_refresh_token.h"

#define KNOWN_TOKEN "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" //  bytes 0..31
#define KNOWN_HASH  "ba285d7e0208bffd223ed32a2051a84f463d139b7e0d100a9b30efab23fbf04b"

#define TOKENS_COUNT 512

static void
test_generate (void **state)
{
    static char tokens[TOKENS_COUNT][WF_REFRESH_TOKEN_CHARS + 1];
    for (size_t index = 0; index < TOKENS_COUNT; index++) {
        assert_int_equal (wf_refresh_token_generate (tokens[index]), 0);
        assert_int_equal (strlen (tokens[index]), WF_REFRESH_TOKEN_CHARS);
        assert_int_equal (strspn (tokens[index], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                 "abcdefghijklmnopqrstuvwxyz0123456789-_"),
                          WF_REFRESH_TOKEN_CHARS);
        assert_int_equal (wf_refresh_token_check (tokens[index], WF_REFRESH_TOKEN_CHARS), 0);
        for (size_t other = 0; other < index; other++) {
            assert_string_not_equal (tokens[index], tokens[other]);
        }
    }
}

static void
test_hash (void **state)
{
    char hex[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    //  BLAKE2b-256 of the token text, as Python's hashlib.blake2b(digest_size=32) gives it.
    assert_int_equal (wf_refresh_token_hash (KNOWN_TOKEN, strlen (KNOWN_TOKEN), hex), 0);
    assert_string_equal (hex, KNOWN_HASH);
    char token[WF_REFRESH_TOKEN_CHARS + 1], again[WF_REFRESH_TOKEN_HASH_CHARS + 1];
    assert_int_equal (wf_refresh_token_generate (token), 0);
    assert_int_equal (wf_refresh_token_hash (token, strlen (token), hex), 0);
    assert_int_equal (strlen (hex), WF_REFRESH_TOKEN_HASH_CHARS);
    assert_int_equal (strspn (hex, "0123456789abcdef"), WF_REFRESH_TOKEN_HASH_CHARS);
    assert_int_equal (wf_refresh_token_hash (token, strlen (token), again), 0);
    assert_string_equal (hex, again);
    assert_string_not_equal (hex, KNOWN_HASH);
    //  The length given is what is hashed: trailing bytes beyond it do not matter.
    char padded[64];
    memcpy (padded, KNOWN_TOKEN "xyz", sizeof KNOWN_TOKEN + 3);
    assert_int_equal (wf_refresh_token_hash (padded, WF_REFRESH_TOKEN_CHARS, hex), 0);
    assert_string_equal (hex, KNOWN_HASH);
}

static void
test_shape (void **state)
{
    struct {
        const char *text;
        size_t len;
    } bad[] = {
        {"", 0},
        {KNOWN_TOKEN, 42},
        {KNOWN_TOKEN "A", 44},
        {KNOWN_TOKEN "=", 44},
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+", 43}, //  standard alphabet
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh/", 43},
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=", 43},
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh ", 43},
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh\0", 43},
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", 43}, //  leftover bits set: same bytes
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh\xC3", 43},
        {"\nAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 43},
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        if (wf_refresh_token_check (bad[index].text, bad[index].len) != -1) {
            print_error ("shape case %zu accepted\n", index);
        }
        assert_int_equal (wf_refresh_token_check (bad[index].text, bad[index].len), -1);
        char hex[WF_REFRESH_TOKEN_HASH_CHARS + 1] = "junk";
        assert_int_equal (wf_refresh_token_hash (bad[index].text, bad[index].len, hex), -1);
        assert_string_equal (hex, "");
    }
    assert_int_equal (wf_refresh_token_check (NULL, 43), -1);
    assert_int_equal (wf_refresh_token_check (KNOWN_TOKEN, 43), 0);
    //  Every one of the 64 characters is accepted in a non-final position.
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t index = 0; index < 64; index++) {
        char token[WF_REFRESH_TOKEN_CHARS + 1];
        memcpy (token, KNOWN_TOKEN, sizeof token);
        token[7] = alphabet[index];
        assert_int_equal (wf_refresh_token_check (token, WF_REFRESH_TOKEN_CHARS), 0);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_generate),
        cmocka_unit_test (test_hash),
        cmocka_unit_test (test_shape),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
