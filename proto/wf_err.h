/*  wf_err - stable error codes that cross the wire, with their HTTP mapping.  */
#ifndef WF_ERR_H_INCLUDED
#define WF_ERR_H_INCLUDED

typedef enum {
#define WF_ERR(num, NAME, status, title) WF_ERR_##NAME = num,
#include "wf_err.def"
#undef WF_ERR
    WF_ERR_COUNT
} wf_err_t;

//  HTTP status for an error code; 500 for an unknown code.
int wf_err_http_status (wf_err_t err);
//  problem+json title for an error code; never NULL.
const char *wf_err_title (wf_err_t err);
//  Symbolic name ("NOT_FOUND"), for logs; never NULL.
const char *wf_err_name (wf_err_t err);

#endif
