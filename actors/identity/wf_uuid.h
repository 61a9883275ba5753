/*  wf_uuid - uuids as lower-case text: random ones, and parsing.

    The identity service names users with random (version 4) uuids made from
    libsodium's generator, in the canonical 8-4-4-4-12 lower-case form that
    PostgreSQL prints, so ids compare as text everywhere. Stateless; safe from
    any thread.
*/
#ifndef WF_UUID_H_INCLUDED
#define WF_UUID_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define WF_UUID_CHARS 36 //  "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"

//  Write a new random version 4 uuid into out (WF_UUID_CHARS + 1 bytes).
void wf_uuid_v4 (char *out);

//  Write the 16 bytes as canonical lower-case text into out (WF_UUID_CHARS + 1).
void wf_uuid_format (const uint8_t bytes[16], char *out);

//  Parse canonical uuid text (either letter case, exactly 36 characters with
//  hyphens at 8, 13, 18, 23) into bytes. Returns 0, or -1 when text is not one.
int wf_uuid_parse (const char *text, size_t len, uint8_t bytes[16]);

#endif
