/*  wf_account_default_id_test - the default account id: fixed, version 5
    shaped, independent of the user id's letter case; and wf_uuid.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "wf_account_default_id.h"
#include "wf_uuid.h"

#define USER_ID "3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5f"
//  SHA-256 (namespace bytes || user id bytes), cut to 16 bytes, version 5 and
//  variant bits set - computed independently with Python's hashlib and uuid.
#define USER_ACCOUNT_ID "59b18717-ae6a-5875-83ae-8259ea55a741"
#define TEXT_ACCOUNT_ID "76a4fb36-4a32-5166-b92e-11d9998720d7" //  of "user-1", hashed as text
#define UUIDS_COUNT     256

static void
test_known_vectors (void **state)
{
    char id[37];
    wf_account_default_id (USER_ID, id);
    assert_string_equal (id, USER_ACCOUNT_ID);
    wf_account_default_id ("3F0C6A3E-2D4B-4C55-9D0E-0A1B2C3D4E5F", id);
    assert_string_equal (id, USER_ACCOUNT_ID);
    wf_account_default_id ("user-1", id);
    assert_string_equal (id, TEXT_ACCOUNT_ID);
}

static void
test_shape_and_spread (void **state)
{
    static char ids[UUIDS_COUNT][37];
    for (size_t index = 0; index < UUIDS_COUNT; index++) {
        char user[37];
        wf_uuid_v4 (user);
        wf_account_default_id (user, ids[index]);
        char again[37];
        wf_account_default_id (user, again);
        assert_string_equal (ids[index], again);
        assert_string_not_equal (ids[index], user);
        uint8_t bytes[16];
        assert_int_equal (wf_uuid_parse (ids[index], strlen (ids[index]), bytes), 0);
        assert_int_equal (bytes[6] >> 4, 5);
        assert_int_equal (bytes[8] >> 6, 2);
        for (size_t other = 0; other < index; other++) {
            assert_string_not_equal (ids[index], ids[other]);
        }
    }
    char id[37];
    wf_account_default_id ("", id); //  not a uuid: still an id, no crash
    assert_int_equal (strlen (id), WF_UUID_CHARS);
}

static void
test_uuid (void **state)
{
    char text[WF_UUID_CHARS + 1];
    uint8_t bytes[16], again[16];
    for (size_t index = 0; index < UUIDS_COUNT; index++) {
        wf_uuid_v4 (text);
        assert_int_equal (strlen (text), WF_UUID_CHARS);
        assert_int_equal (strspn (text, "0123456789abcdef-"), WF_UUID_CHARS);
        assert_int_equal (wf_uuid_parse (text, WF_UUID_CHARS, bytes), 0);
        assert_int_equal (bytes[6] >> 4, 4);
        assert_int_equal (bytes[8] >> 6, 2);
        char formatted[WF_UUID_CHARS + 1];
        wf_uuid_format (bytes, formatted);
        assert_string_equal (formatted, text);
    }
    assert_int_equal (wf_uuid_parse (USER_ID, strlen (USER_ID), bytes), 0);
    assert_int_equal (wf_uuid_parse ("3F0C6A3E-2D4B-4C55-9D0E-0A1B2C3D4E5F", 36, again), 0);
    assert_memory_equal (bytes, again, 16);
    static const char *bad[] = {"",
                                "3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5",
                                "3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5ff",
                                "3f0c6a3e2d4b-4c55-9d0e-0a1b2c3d4e5f0",
                                "3f0c6a3e-2d4b-4c55-9d0e_0a1b2c3d4e5f",
                                "3f0c6a3g-2d4b-4c55-9d0e-0a1b2c3d4e5f",
                                "3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5 "};
    for (size_t index = 0; index < sizeof bad / sizeof *bad; index++) {
        assert_int_equal (wf_uuid_parse (bad[index], strlen (bad[index]), bytes), -1);
    }
    assert_int_equal (wf_uuid_parse (NULL, 36, bytes), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_known_vectors),
        cmocka_unit_test (test_shape_and_spread),
        cmocka_unit_test (test_uuid),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
