/*  wf_jwt_secret_test - the signing-secret policy: production and development.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "wf_jwt.h"

static void
test_secret_policy (void **state)
{
    uint8_t key[WF_JWT_KEY_BYTES_MAX];
    size_t len;
    bool generated;
    struct {
        const char *env;
        bool production;
        int rc;
    } cases[] = {
        {NULL, true, -1},
        {"", true, -1},
        {"Zq8#vN2!kL5@pW9$xR3%tY7^mB4&cF6*", true, 0},
        {"Zq8#vN2!kL5@pW9$xR3%tY7^mB4&cF6", true, -1}, //  31 bytes
        {"your-super-secret-key-with-at-least-32-characters", true, -1},
        {"YourSuperSecretKeyThatIsAtLeast32CharactersLong!", true, -1},
        {"your-super-secret-key-min-32-chars-0000", true, -1},
        {"changeme-changeme-changeme-changeme", true, -1},
        {"secretsecretsecretsecretsecretsecret", true, -1},
        {"K7hQ2mZp-change-me-in-production-Lx9", true, -1},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, -1},
        {"abababababababababababababababab", true, -1},
        {"3c6e0b8a9c15224a8228b9a98ca1531d3c6e0b8a9c15224a", true, 0},
        {"short", false, 0},
        {"changeme", false, 0},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        len = sizeof key;
        int rc =
            wf_jwt_secret_load (cases[index].env, cases[index].production, key, &len, &generated);
        if (rc != cases[index].rc) {
            print_error ("secret case %zu\n", index);
        }
        assert_int_equal (rc, cases[index].rc);
        if (rc == 0) {
            assert_false (generated);
            assert_int_equal (len, strlen (cases[index].env));
            assert_memory_equal (key, cases[index].env, len);
        }
    }
    //  Development without a secret: 32 random bytes, new each time.
    uint8_t first[WF_JWT_KEY_BYTES_MAX];
    len = sizeof first;
    assert_int_equal (wf_jwt_secret_load (NULL, false, first, &len, &generated), 0);
    assert_true (generated);
    assert_int_equal (len, WF_JWT_GENERATED_KEY_BYTES);
    len = sizeof key;
    assert_int_equal (wf_jwt_secret_load ("", false, key, &len, &generated), 0);
    assert_true (generated);
    assert_memory_not_equal (first, key, WF_JWT_GENERATED_KEY_BYTES);
    //  Longer than the caller's buffer, or than the limit.
    char long_secret[WF_JWT_KEY_BYTES_MAX + 2];
    for (size_t index = 0; index < sizeof long_secret - 1; index++) {
        long_secret[index] = (char) ('!' + index % 90);
    }
    long_secret[sizeof long_secret - 1] = 0;
    len = sizeof key;
    assert_int_equal (wf_jwt_secret_load (long_secret, true, key, &len, &generated), -1);
    long_secret[WF_JWT_KEY_BYTES_MAX] = 0;
    len = sizeof key;
    assert_int_equal (wf_jwt_secret_load (long_secret, true, key, &len, &generated), 0);
    assert_int_equal (len, WF_JWT_KEY_BYTES_MAX);
    len = 64;
    assert_int_equal (wf_jwt_secret_load (long_secret, true, key, &len, &generated), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_secret_policy),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
