/*  wf_identity_limits - the named limits of the identity actor's pure logic.

    Sizes of user input, of tokens and of the hashing pool. Limits shared with
    other areas live in proto/wf_limits.h; these concern identity alone. Every
    `_BYTES_MAX` excludes the terminating NUL of the buffers sized from it.
*/
#ifndef WF_IDENTITY_LIMITS_H_INCLUDED
#define WF_IDENTITY_LIMITS_H_INCLUDED

//  User input (register / login)
#define WF_EMAIL_BYTES_MAX       254 //  RFC 5321 path limit, after trimming
#define WF_EMAIL_LOCAL_BYTES_MAX 64  //  the part before '@'
#define WF_EMAIL_LABEL_BYTES_MAX 63  //  one DNS label of the domain
#define WF_NAME_CHARS_MIN        1   //  firstName / lastName, in code points
#define WF_NAME_CHARS_MAX        100
#define WF_NAME_BYTES_MAX        (WF_NAME_CHARS_MAX * 4)
#define WF_PASSWORD_CHARS_MIN    8 //  in code points
#define WF_PASSWORD_CHARS_MAX    128
#define WF_PASSWORD_BYTES_MAX    (WF_PASSWORD_CHARS_MAX * 4)
#define WF_IDENTITY_ERRORS_MAX   12 //  field errors of one request (error.errors holds 16)
#define WF_USER_ID_BYTES_MAX     64 //  a uuid is 36; room for foreign subjects
#define WF_ROLE_BYTES_MAX        32 //  "User", "Admin"

//  Access tokens (HS256 JWT)
#define WF_JWT_TOKEN_BYTES_MAX     4096 //  a token we accept or issue, as text
#define WF_JWT_HEADER_BYTES_MAX    512  //  decoded JOSE header
#define WF_JWT_KEY_BYTES_MIN       32   //  production secret
#define WF_JWT_KEY_BYTES_MAX       512
#define WF_JWT_GENERATED_KEY_BYTES 32 //  development secret made per run
#define WF_JWT_ISSUER_BYTES_MAX    256
#define WF_JWT_AUDIENCE_BYTES_MAX  256
#define WF_JWT_JTI_BYTES_MAX       64
#define WF_JWT_TTL_S_DEFAULT       (15 * 60)
#define WF_JWT_TTL_S_MAX           (24 * 3600)
#define WF_JWT_LEEWAY_S_MAX        300
#define WF_JWT_CACHE_WAYS          8 //  entries per set of the verified-token cache
#define WF_JWT_CACHE_ENTRIES_MAX   65536

//  Refresh tokens
#define WF_REFRESH_TOKEN_BYTES      32 //  256 random bits
#define WF_REFRESH_TOKEN_CHARS      43 //  base64url, no padding
#define WF_REFRESH_TOKEN_HASH_BYTES 32
#define WF_REFRESH_TOKEN_HASH_CHARS 64 //  lowercase hex

//  Password hashing pool
#define WF_HASH_POOL_THREADS_MAX 64
#define WF_HASH_POOL_QUEUE_MAX   65536
#define WF_HASH_STRING_BYTES_MAX 127 //  crypto_pwhash_STRBYTES - 1

_Static_assert(WF_EMAIL_LOCAL_BYTES_MAX + 1 + 3 <= WF_EMAIL_BYTES_MAX,
               "a maximal local part must leave room for '@' and a domain");
_Static_assert(WF_NAME_CHARS_MIN >= 1 && WF_NAME_CHARS_MIN <= WF_NAME_CHARS_MAX,
               "name length bounds are ordered");
_Static_assert(WF_PASSWORD_CHARS_MIN >= 8 && WF_PASSWORD_CHARS_MIN <= WF_PASSWORD_CHARS_MAX,
               "password length bounds are ordered");
//  A token carrying every claim at its maximum must fit: 2 names, an email, a
//  subject, a jti, a role, iss, aud, 3 times, JSON quoting and base64 growth.
_Static_assert((WF_NAME_BYTES_MAX * 2 + WF_EMAIL_BYTES_MAX + WF_USER_ID_BYTES_MAX +
                WF_JWT_JTI_BYTES_MAX + WF_ROLE_BYTES_MAX + WF_JWT_ISSUER_BYTES_MAX +
                WF_JWT_AUDIENCE_BYTES_MAX + 256) *
                           4 / 3 +
                       WF_JWT_HEADER_BYTES_MAX * 4 / 3 + 64 <=
                   WF_JWT_TOKEN_BYTES_MAX,
               "an issued token with maximal claims fits WF_JWT_TOKEN_BYTES_MAX");
_Static_assert(WF_JWT_GENERATED_KEY_BYTES >= WF_JWT_KEY_BYTES_MIN,
               "a generated development key meets the production minimum");
_Static_assert(WF_JWT_KEY_BYTES_MIN <= WF_JWT_KEY_BYTES_MAX, "key bounds are ordered");
_Static_assert(WF_REFRESH_TOKEN_CHARS == (WF_REFRESH_TOKEN_BYTES * 8 + 5) / 6,
               "refresh token text length is the unpadded base64 of its bytes");
_Static_assert(WF_JWT_CACHE_ENTRIES_MAX % WF_JWT_CACHE_WAYS == 0,
               "the cache bound is a whole number of sets");

#endif
