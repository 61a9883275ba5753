/*  wf_fuzz - helpers shared by the libFuzzer targets of tests/fuzz.

    A target checks properties beyond "no crash" with WF_FUZZ_CHECK: a failed
    property prints where and aborts, so libFuzzer records the input as a
    crash. wf_fuzz_split cuts an input into fields at a separator byte, which
    keeps seeds readable (one field per line).
*/
#ifndef WF_FUZZ_H_INCLUDED
#define WF_FUZZ_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Aborts with a message when a property fails; libFuzzer records the input.
#define WF_FUZZ_CHECK(cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf (stderr, "fuzz property failed: %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
            abort ();                                                                              \
        }                                                                                          \
    } while (0)

//  One slice of the input (not NUL-terminated; ptr is NULL for a missing field).
typedef struct {
    const char *ptr;
    size_t len;
} wf_fuzz_field_t;

//  Splits data at each `separator` into at most count fields; the last field
//  takes the rest. Returns how many fields the input had (missing ones are
//  {NULL, 0}).
static inline size_t
wf_fuzz_split (const uint8_t *data, size_t size, uint8_t separator, wf_fuzz_field_t *fields,
               size_t count)
{
    for (size_t index = 0; index < count; index++)
        fields[index] = (wf_fuzz_field_t){NULL, 0};
    size_t field = 0, start = 0;
    for (size_t at = 0; at <= size && field < count; at++) {
        bool last = field + 1 == count;
        if (at == size || (!last && data[at] == separator)) {
            fields[field++] = (wf_fuzz_field_t){(const char *) data + start, at - start};
            start = at + 1;
        }
    }
    return field;
}

//  A malloc'd NUL-terminated copy of a field ("" for a missing one).
static inline char *
wf_fuzz_strdup (wf_fuzz_field_t field)
{
    char *copy = (char *) malloc (field.len + 1);
    if (field.len)
        memcpy (copy, field.ptr, field.len);
    copy[field.len] = 0;
    return copy;
}

#endif
