/*  wf_json_raw_test - strict validation, raw member text, hostile input.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "wf_json_raw.h"
#include "wf_limits.h"

//  A document using every kind of value, escapes and multi-byte UTF-8.
static const char s_rich[] =
    " {\"amount\": 100.50, \"currency\":\"USD\",\n"
    "  \"description\":\"caf\\u00e9 \\ud83d\\ude00 \xe2\x82\xac \\\"q\\\"\","
    "\"n\":null,\"t\":true,\"f\":false,\"neg\":-1.5e-3,"
    "\"arr\":[1, 2,{\"x\":[]}, \"\xf0\x9f\x98\x80\"],\"obj\":{\"a\":\"b\"},"
    "\"s\":\"100.50\", \"\\u006Bey\":0}\r\n";

//  Scans a C string and returns the error (WF_JSON_RAW_OK on success).
static wf_json_raw_err_t
s_scan (const char *json, size_t len)
{
    wf_json_raw_t doc;
    int rc = wf_json_raw_scan (json, len, &doc);
    assert_int_equal (rc, doc.err == WF_JSON_RAW_OK ? 0 : -1);
    if (rc)
        assert_int_equal (doc.count, 0);
    return doc.err;
}

//  Asserts a member's kind and raw text.
static void
s_assert_member (const wf_json_raw_t *doc, const char *key, wf_json_kind_t kind, const char *raw,
                 bool escaped)
{
    const wf_json_raw_member_t *member = wf_json_raw_find (doc, key);
    assert_non_null (member);
    assert_int_equal (member->kind, kind);
    assert_int_equal (member->raw.len, strlen (raw));
    assert_memory_equal (member->raw.ptr, raw, member->raw.len);
    assert_int_equal (member->escaped, escaped);
}

//  Every top-level member comes back with its exact text.
static void
test_members_keep_their_raw_text (void **state)
{
    wf_json_raw_t doc;
    assert_int_equal (wf_json_raw_scan (s_rich, sizeof s_rich - 1, &doc), 0);
    assert_int_equal (doc.count, 11);
    s_assert_member (&doc, "amount", WF_JSON_NUMBER, "100.50", false);
    s_assert_member (&doc, "currency", WF_JSON_STRING, "USD", false);
    s_assert_member (&doc, "description", WF_JSON_STRING,
                     "caf\\u00e9 \\ud83d\\ude00 \xe2\x82\xac \\\"q\\\"", true);
    s_assert_member (&doc, "n", WF_JSON_NULL, "null", false);
    s_assert_member (&doc, "t", WF_JSON_TRUE, "true", false);
    s_assert_member (&doc, "f", WF_JSON_FALSE, "false", false);
    s_assert_member (&doc, "neg", WF_JSON_NUMBER, "-1.5e-3", false);
    s_assert_member (&doc, "arr", WF_JSON_ARRAY, "[1, 2,{\"x\":[]}, \"\xf0\x9f\x98\x80\"]", false);
    s_assert_member (&doc, "obj", WF_JSON_OBJECT, "{\"a\":\"b\"}", false);
    s_assert_member (&doc, "s", WF_JSON_STRING, "100.50", false);
    s_assert_member (&doc, "key", WF_JSON_NUMBER, "0", false); //  "\u006Bey" is "key"
    assert_true (doc.members[10].key_escaped);
    assert_null (wf_json_raw_find (&doc, "missing"));
    assert_null (wf_json_raw_find (&doc, "amoun"));
    assert_null (wf_json_raw_find (&doc, "amounts"));
}

//  The one-shot form tells found, absent and invalid apart.
static void
test_member_one_shot (void **state)
{
    wf_str_t raw;
    wf_json_kind_t kind;
    bool escaped = true;
    const char *json = "{\"amount\":\"12.30\",\"x\":1}";
    assert_int_equal (wf_json_raw_member (json, strlen (json), "amount", &raw, &kind, &escaped), 1);
    assert_int_equal (kind, WF_JSON_STRING);
    assert_false (escaped);
    assert_int_equal (raw.len, 5);
    assert_memory_equal (raw.ptr, "12.30", 5);
    assert_int_equal (wf_json_raw_member (json, strlen (json), "nope", &raw, &kind, NULL), 0);
    assert_int_equal (wf_json_raw_member ("{\"amount\":1,}", 13, "amount", &raw, &kind, NULL), -1);
    const char *weird = "{\"a\\\\b\":true}"; //  the key is a\b
    assert_int_equal (wf_json_raw_member (weird, strlen (weird), "a\\b", &raw, &kind, NULL), 1);
    assert_int_equal (kind, WF_JSON_TRUE);
}

//  Documents that are valid, including edge forms.
static void
test_valid_documents (void **state)
{
    static const char *cases[] = {
        "{}",
        " \t\r\n{ } \n",
        "{\"\":0}",
        "{\"a\":[]}",
        "{\"a\":[[],{}]}",
        "{\"a\":-0}",
        "{\"a\":0.0e+0}",
        "{\"a\":1E9}",
        "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"}",
        "{\"a\":1e309}",
        "{\"o\":{\"a\":1,\"a\":2}}",
        "{\"a\":\"\\uFFFF\\u0001\"}",
        "{\"a\":\"\xf4\x8f\xbf\xbf\"}",
        "{\"a\":\"\xed\x9f\xbf\xee\x80\x80\"}",
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
        if (s_scan (cases[i], strlen (cases[i])) != WF_JSON_RAW_OK)
            fail_msg ("refused a valid document: %s", cases[i]);
}

//  Invalid documents, each with its reason.
static void
test_invalid_documents_have_their_reason (void **state)
{
    static const struct {
        const char *json;
        wf_json_raw_err_t err;
    } cases[] = {
        {"", WF_JSON_RAW_EMPTY},
        {" \n ", WF_JSON_RAW_EMPTY},
        {"[]", WF_JSON_RAW_NOT_OBJECT},
        {"1", WF_JSON_RAW_NOT_OBJECT},
        {"\"x\"", WF_JSON_RAW_NOT_OBJECT},
        {"null", WF_JSON_RAW_NOT_OBJECT},
        {"\xef\xbb\xbf{}", WF_JSON_RAW_SYNTAX}, //  byte-order mark
        {"{", WF_JSON_RAW_TRUNCATED},
        {"{\"a\"", WF_JSON_RAW_TRUNCATED},
        {"{\"a\":1,}", WF_JSON_RAW_SYNTAX},
        {"{,}", WF_JSON_RAW_SYNTAX},
        {"{\"a\" 1}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":1 \"b\":2}", WF_JSON_RAW_SYNTAX},
        {"{a:1}", WF_JSON_RAW_SYNTAX},
        {"{'a':1}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":01}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":+1}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":.5}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":1.}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":1e}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":NaN}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":Infinity}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":tru}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":True}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":[1,]}", WF_JSON_RAW_SYNTAX},
        {"{\"a\":1}x", WF_JSON_RAW_TRAILING},
        {"{\"a\":1}{}", WF_JSON_RAW_TRAILING},
        {"{} // comment", WF_JSON_RAW_TRAILING},
        {"{\"a\":1,\"a\":2}", WF_JSON_RAW_DUPLICATE_KEY},
        {"{\"a\":1,\"\\u0061\":2}", WF_JSON_RAW_DUPLICATE_KEY},
        {"{\"\\u00e9\":1,\"\xc3\xa9\":2}", WF_JSON_RAW_DUPLICATE_KEY},
        {"{\"a\":\"\x01\"}", WF_JSON_RAW_CONTROL_CHAR},
        {"{\"a\":\"tab\there\"}", WF_JSON_RAW_CONTROL_CHAR},
        {"{\"a\":\"\\x\"}", WF_JSON_RAW_BAD_ESCAPE},
        {"{\"a\":\"\\u12G4\"}", WF_JSON_RAW_BAD_ESCAPE},
        {"{\"a\":\"\\ud800\"}", WF_JSON_RAW_BAD_ESCAPE},
        {"{\"a\":\"\\udc00\"}", WF_JSON_RAW_BAD_ESCAPE},
        {"{\"a\":\"\\ud800\\ud800\"}", WF_JSON_RAW_BAD_ESCAPE},
        {"{\"a\":\"\\ud800\\n.....\"}", WF_JSON_RAW_BAD_ESCAPE},
        {"{\"a\":\"\\u0000\"}", WF_JSON_RAW_NUL},
        {"{\"a\":\"\xc0\xaf\"}", WF_JSON_RAW_BAD_UTF8},         //  overlong '/'
        {"{\"a\":\"\xe0\x80\xaf\"}", WF_JSON_RAW_BAD_UTF8},     //  overlong, 3 bytes
        {"{\"a\":\"\xed\xa0\x80\"}", WF_JSON_RAW_BAD_UTF8},     //  a surrogate
        {"{\"a\":\"\xf4\x90\x80\x80\"}", WF_JSON_RAW_BAD_UTF8}, //  above U+10FFFF
        {"{\"a\":\"\xf5\x80\x80\x80\"}", WF_JSON_RAW_BAD_UTF8},
        {"{\"a\":\"\x80\"}", WF_JSON_RAW_BAD_UTF8},
        {"{\"a\":\"\xe2\x82\"}", WF_JSON_RAW_BAD_UTF8},
        {"{\"a\":\"\xff\"}", WF_JSON_RAW_BAD_UTF8},
        {"{\xc3\xa9:1}", WF_JSON_RAW_SYNTAX},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        wf_json_raw_err_t err = s_scan (cases[i].json, strlen (cases[i].json));
        if (err != cases[i].err)
            fail_msg ("case %zu %s: got %d, want %d", i, cases[i].json, err, cases[i].err);
    }
}

//  NUL bytes are refused wherever they are, with their offset.
static void
test_nul_bytes_are_refused (void **state)
{
    static const char with_nul[] = "{\"a\":\"x\0y\"}";
    wf_json_raw_t doc;
    assert_int_equal (wf_json_raw_scan (with_nul, sizeof with_nul - 1, &doc), -1);
    assert_int_equal (doc.err, WF_JSON_RAW_NUL);
    assert_int_equal (doc.err_offset, 7);
    assert_int_equal (s_scan ("{}\0", 3), WF_JSON_RAW_NUL);
    assert_int_equal (s_scan ("\0{}", 3), WF_JSON_RAW_NUL);
}

//  Builds `{"a":` + n brackets + closers + `}`, for n nested arrays.
static char *
s_nested (size_t arrays, bool close)
{
    char *json = malloc (arrays * 2 + 16);
    size_t pos = 0;
    pos += (size_t) sprintf (json, "{\"a\":");
    memset (json + pos, '[', arrays);
    pos += arrays;
    if (close) {
        memset (json + pos, ']', arrays);
        pos += arrays;
        json[pos++] = '}';
    }
    json[pos] = '\0';
    return json;
}

//  Nesting is allowed to WF_JSON_DEPTH_MAX containers and refused beyond, even
//  far beyond, without deep recursion.
static void
test_depth_limit (void **state)
{
    char *json = s_nested (WF_JSON_DEPTH_MAX - 1, true);
    assert_int_equal (s_scan (json, strlen (json)), WF_JSON_RAW_OK);
    free (json);
    json = s_nested (WF_JSON_DEPTH_MAX, true);
    assert_int_equal (s_scan (json, strlen (json)), WF_JSON_RAW_TOO_DEEP);
    free (json);
    json = s_nested (1000000, false);
    assert_int_equal (s_scan (json, strlen (json)), WF_JSON_RAW_TOO_DEEP);
    free (json);
}

//  Builds an object with n members "k0".."k<n-1>".
static char *
s_members (int count)
{
    char *json = malloc ((size_t) count * 16 + 4);
    size_t pos = 0;
    json[pos++] = '{';
    for (int i = 0; i < count; i++)
        pos += (size_t) sprintf (json + pos, "%s\"k%d\":%d", i ? "," : "", i, i);
    json[pos++] = '}';
    json[pos] = '\0';
    return json;
}

//  Top-level members are counted: N is fine, N + 1 is refused.
static void
test_member_limit (void **state)
{
    char *json = s_members (WF_JSON_RAW_MEMBERS_MAX);
    wf_json_raw_t doc;
    assert_int_equal (wf_json_raw_scan (json, strlen (json), &doc), 0);
    assert_int_equal (doc.count, WF_JSON_RAW_MEMBERS_MAX);
    free (json);
    json = s_members (WF_JSON_RAW_MEMBERS_MAX + 1);
    assert_int_equal (s_scan (json, strlen (json)), WF_JSON_RAW_TOO_MANY_MEMBERS);
    free (json);
}

//  Every strict prefix of a valid document is refused as empty or truncated.
static void
test_truncation_at_every_byte (void **state)
{
    size_t len = sizeof s_rich - 1;
    while (s_rich[len - 1] == '\n' || s_rich[len - 1] == '\r')
        len--; //  the trailing whitespace is optional
    for (size_t cut = 0; cut < len; cut++) {
        char *copy = malloc (cut + 1); //  exact size, so ASan sees any overread
        memcpy (copy, s_rich, cut);
        wf_json_raw_err_t err = s_scan (copy, cut);
        if (err != WF_JSON_RAW_TRUNCATED && err != WF_JSON_RAW_EMPTY)
            fail_msg ("prefix of %zu bytes: got %d", cut, err);
        free (copy);
    }
}

//  Every single-byte change of a valid document is scanned without harm.
static void
test_every_byte_mutation_is_safe (void **state)
{
    size_t len = sizeof s_rich - 1;
    char *copy = malloc (len);
    for (size_t pos = 0; pos < len; pos++)
        for (int byte = 0; byte < 256; byte++) {
            memcpy (copy, s_rich, len);
            copy[pos] = (char) byte;
            wf_json_raw_t doc;
            int rc = wf_json_raw_scan (copy, len, &doc);
            assert_true (rc == 0 || doc.err != WF_JSON_RAW_OK);
            assert_true (doc.err_offset <= len);
        }
    free (copy);
}

//  Random bytes from a JSON-ish alphabet never crash the scanner.
static void
test_random_input_is_safe (void **state)
{
    static const char alphabet[] =
        "{}[]\":,\\u0123456789abcdefABCDEF.eE+- \ntrufalsn\xc3\xa9\x80\xed";
    srand (8259);
    char buf[64];
    int valid = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = (size_t) rand () % sizeof buf;
        for (size_t j = 0; j < len; j++)
            buf[j] = alphabet[rand () % (sizeof alphabet - 1)];
        if (len > 0)
            buf[0] = '{';
        wf_json_raw_t doc;
        int rc = wf_json_raw_scan (buf, len, &doc);
        assert_int_equal (rc == 0, doc.err == WF_JSON_RAW_OK);
        for (size_t m = 0; m < doc.count; m++) {
            const wf_json_raw_member_t *member = &doc.members[m];
            assert_true (member->raw.ptr >= buf && member->raw.ptr + member->raw.len <= buf + len);
            assert_true (member->key.ptr >= buf && member->key.ptr + member->key.len <= buf + len);
        }
        valid += rc == 0;
    }
    assert_true (valid > 0); //  the alphabet does produce some valid documents
}

//  Huge numbers are valid JSON: the raw text is handed out untouched.
static void
test_huge_numbers_are_handed_out_raw (void **state)
{
    char json[2100];
    size_t pos = (size_t) sprintf (json, "{\"amount\":");
    memset (json + pos, '9', 2000);
    pos += 2000;
    pos += (size_t) sprintf (json + pos, "}");
    wf_str_t raw;
    wf_json_kind_t kind;
    assert_int_equal (wf_json_raw_member (json, pos, "amount", &raw, &kind, NULL), 1);
    assert_int_equal (kind, WF_JSON_NUMBER);
    assert_int_equal (raw.len, 2000);
}

//  The UTF-8 check for text that did not come through the scanner.
static void
test_utf8_valid (void **state)
{
    assert_true (wf_json_raw_utf8_valid ("", 0));
    assert_true (wf_json_raw_utf8_valid (NULL, 0));
    assert_true (wf_json_raw_utf8_valid ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
    assert_false (wf_json_raw_utf8_valid ("a\0b", 3));
    assert_false (wf_json_raw_utf8_valid ("\xc3", 1));
    assert_false (wf_json_raw_utf8_valid ("\xc0\x80", 2));
    assert_false (wf_json_raw_utf8_valid ("\xed\xb0\x80", 3));
    assert_false (wf_json_raw_utf8_valid ("\xf8\x88\x80\x80\x80", 5));
}

//  Every reason has its own message.
static void
test_messages_are_distinct (void **state)
{
    for (int err = WF_JSON_RAW_OK; err <= WF_JSON_RAW_CONTROL_CHAR; err++)
        for (int other = WF_JSON_RAW_OK; other < err; other++)
            assert_string_not_equal (wf_json_raw_strerror ((wf_json_raw_err_t) err),
                                     wf_json_raw_strerror ((wf_json_raw_err_t) other));
}

//  Runs every test of this class.
int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_members_keep_their_raw_text),
        cmocka_unit_test (test_member_one_shot),
        cmocka_unit_test (test_valid_documents),
        cmocka_unit_test (test_invalid_documents_have_their_reason),
        cmocka_unit_test (test_nul_bytes_are_refused),
        cmocka_unit_test (test_depth_limit),
        cmocka_unit_test (test_member_limit),
        cmocka_unit_test (test_truncation_at_every_byte),
        cmocka_unit_test (test_every_byte_mutation_is_safe),
        cmocka_unit_test (test_random_input_is_safe),
        cmocka_unit_test (test_huge_numbers_are_handed_out_raw),
        cmocka_unit_test (test_utf8_valid),
        cmocka_unit_test (test_messages_are_distinct),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
