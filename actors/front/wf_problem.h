/*  wf_problem - RFC 7807 problem+json bodies, shaped as ASP.NET Core writes
    them (type, title, status, detail, traceId, errors{field: [messages]}),
    so the original's clients parse our errors unchanged.
*/
#ifndef WF_PROBLEM_H_INCLUDED
#define WF_PROBLEM_H_INCLUDED

#include <stddef.h>
#include "wf_msg.h"

//  Renders a problem; errors may be NULL/0. Returns a malloc'd NUL-terminated
//  JSON text (never NULL: allocation failure aborts).
char *wf_problem_render (int status, const char *title, const char *detail, const char *trace_id,
                         const wf_field_error_t *errors, size_t errors_count);

//  The RFC section URL ASP.NET uses as `type` for a status.
const char *wf_problem_type (int status);

#endif
