/*  wf_password_test - Argon2id hashing at the lowest work factors (fast).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include "wf_password.h"

#define PASSWORD "Correct horse 1!"

static wf_password_t *
s_low (void)
{
    wf_password_config_t config = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    wf_password_t *password = wf_password_new (&config);
    assert_non_null (password);
    return password;
}

static void
test_hash_verify (void **state)
{
    wf_password_t *hasher = s_low ();
    char hash[WF_HASH_STRING_BYTES_MAX + 1], other[WF_HASH_STRING_BYTES_MAX + 1];
    assert_int_equal (wf_password_hash (hasher, PASSWORD, strlen (PASSWORD), hash), 0);
    assert_int_equal (strncmp (hash, "$argon2id$v=19$m=8,t=1,p=1$", 27), 0);
    assert_null (strstr (hash, PASSWORD));
    assert_int_equal (wf_password_verify (hasher, hash, PASSWORD, strlen (PASSWORD)), 0);
    assert_int_equal (wf_password_verify (hasher, hash, "Correct horse 1?", 16), -1);
    assert_int_equal (wf_password_verify (hasher, hash, PASSWORD, strlen (PASSWORD) - 1), -1);
    assert_int_equal (wf_password_verify (hasher, hash, "", 0), -1);
    //  Salted: the same password hashes differently each time, both verify.
    assert_int_equal (wf_password_hash (hasher, PASSWORD, strlen (PASSWORD), other), 0);
    assert_string_not_equal (hash, other);
    assert_int_equal (wf_password_verify (hasher, other, PASSWORD, strlen (PASSWORD)), 0);
    //  Bytes after the given length are not part of the password.
    assert_int_equal (wf_password_verify (hasher, hash, PASSWORD "xyz", strlen (PASSWORD)), 0);
    //  Embedded NUL and non-ASCII bytes are password bytes like any other.
    assert_int_equal (wf_password_hash (hasher, "a\0b\xC3\xA9", 5, other), 0);
    assert_int_equal (wf_password_verify (hasher, other, "a\0b\xC3\xA9", 5), 0);
    assert_int_equal (wf_password_verify (hasher, other, "a\0c\xC3\xA9", 5), -1);
    wf_password_destroy (&hasher);
    assert_null (hasher);
    wf_password_destroy (&hasher);
}

static void
test_bad_input (void **state)
{
    wf_password_t *hasher = s_low ();
    char hash[WF_HASH_STRING_BYTES_MAX + 1];
    char big[WF_PASSWORD_BYTES_MAX + 1];
    memset (big, 'x', sizeof big);
    assert_int_equal (wf_password_hash (hasher, big, WF_PASSWORD_BYTES_MAX, hash), 0);
    assert_int_equal (wf_password_verify (hasher, hash, big, WF_PASSWORD_BYTES_MAX), 0);
    assert_int_equal (wf_password_hash (hasher, big, WF_PASSWORD_BYTES_MAX + 1, hash), -1);
    assert_string_equal (hash, "");
    assert_int_equal (wf_password_verify (hasher, hash, big, WF_PASSWORD_BYTES_MAX + 1), -1);
    //  Stored hashes that are not ours.
    const char *junk[] = {"", "x", "$2a$12$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=8,t=1,p=1$",
                          "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"};
    for (size_t index = 0; index < sizeof junk / sizeof junk[0]; index++) {
        assert_int_equal (wf_password_verify (hasher, junk[index], PASSWORD, strlen (PASSWORD)),
                          -1);
        assert_true (wf_password_needs_rehash (hasher, junk[index]));
    }
    assert_int_equal (wf_password_verify (hasher, NULL, PASSWORD, strlen (PASSWORD)), -1);
    char unterminated[WF_HASH_STRING_BYTES_MAX + 8];
    memset (unterminated, 'a', sizeof unterminated - 1);
    unterminated[sizeof unterminated - 1] = 0;
    assert_int_equal (wf_password_verify (hasher, unterminated, PASSWORD, strlen (PASSWORD)), -1);
    wf_password_destroy (&hasher);
}

static void
test_dummy (void **state)
{
    wf_password_t *hasher = s_low ();
    assert_int_equal (wf_password_verify_dummy (hasher, PASSWORD, strlen (PASSWORD)), -1);
    assert_int_equal (wf_password_verify_dummy (hasher, "", 0), -1);
    char big[WF_PASSWORD_BYTES_MAX + 1] = {0};
    assert_int_equal (wf_password_verify_dummy (hasher, big, sizeof big), -1);
    wf_password_destroy (&hasher);
}

static void
test_needs_rehash (void **state)
{
    wf_password_t *low = s_low ();
    wf_password_config_t config = {crypto_pwhash_OPSLIMIT_MIN + 1, crypto_pwhash_MEMLIMIT_MIN * 2};
    wf_password_t *higher = wf_password_new (&config);
    assert_non_null (higher);
    config = (wf_password_config_t){crypto_pwhash_OPSLIMIT_MIN + 1, crypto_pwhash_MEMLIMIT_MIN};
    wf_password_t *more_passes = wf_password_new (&config);
    assert_non_null (more_passes);
    char weak[WF_HASH_STRING_BYTES_MAX + 1], strong[WF_HASH_STRING_BYTES_MAX + 1];
    assert_int_equal (wf_password_hash (low, PASSWORD, strlen (PASSWORD), weak), 0);
    assert_int_equal (wf_password_hash (higher, PASSWORD, strlen (PASSWORD), strong), 0);
    assert_false (wf_password_needs_rehash (low, weak));
    assert_false (wf_password_needs_rehash (higher, strong));
    assert_true (wf_password_needs_rehash (higher, weak));
    assert_true (wf_password_needs_rehash (more_passes, weak));
    //  A stronger stored hash is kept after the configuration was lowered.
    assert_false (wf_password_needs_rehash (low, strong));
    assert_false (wf_password_needs_rehash (more_passes, strong));
    //  More passes but less memory than configured: weaker in one dimension.
    char mixed[WF_HASH_STRING_BYTES_MAX + 1];
    assert_int_equal (wf_password_hash (more_passes, PASSWORD, strlen (PASSWORD), mixed), 0);
    config = (wf_password_config_t){crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN * 2};
    wf_password_t *more_memory = wf_password_new (&config);
    assert_non_null (more_memory);
    assert_true (wf_password_needs_rehash (more_memory, mixed));
    assert_true (wf_password_needs_rehash (more_passes, weak));
    wf_password_destroy (&more_memory);
    //  Any verifier reads any factors.
    assert_int_equal (wf_password_verify (low, strong, PASSWORD, strlen (PASSWORD)), 0);
    //  Argon2i is not Argon2id.
    char argon2i[crypto_pwhash_argon2i_STRBYTES];
    assert_int_equal (crypto_pwhash_argon2i_str (argon2i, PASSWORD, strlen (PASSWORD), 3,
                                                 crypto_pwhash_argon2i_MEMLIMIT_MIN),
                      0);
    assert_true (wf_password_needs_rehash (low, argon2i));
    assert_true (wf_password_needs_rehash (low, NULL));
    wf_password_destroy (&more_passes);
    wf_password_destroy (&higher);
    wf_password_destroy (&low);
}

static void
test_config (void **state)
{
    wf_password_config_t bad[] = {
        {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN - 1},
        {crypto_pwhash_OPSLIMIT_MAX + 1ULL, crypto_pwhash_MEMLIMIT_MIN},
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        assert_null (wf_password_new (&bad[index]));
    }
    //  Defaults are libsodium's INTERACTIVE factors (one real hash: ~0.1 s).
    wf_password_config_t defaults = {0, 0};
    wf_password_t *hasher = wf_password_new (&defaults);
    assert_non_null (hasher);
    char hash[WF_HASH_STRING_BYTES_MAX + 1];
    assert_int_equal (wf_password_hash (hasher, PASSWORD, strlen (PASSWORD), hash), 0);
    assert_int_equal (crypto_pwhash_str_needs_rehash (hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                      crypto_pwhash_MEMLIMIT_INTERACTIVE),
                      0);
    assert_int_equal (wf_password_verify (hasher, hash, PASSWORD, strlen (PASSWORD)), 0);
    wf_password_destroy (&hasher);
}

int
main (void)
{
    assert_true (sodium_init () >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hash_verify), cmocka_unit_test (test_bad_input),
        cmocka_unit_test (test_dummy),       cmocka_unit_test (test_needs_rehash),
        cmocka_unit_test (test_config),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
