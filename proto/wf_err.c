/*  wf_err - tables generated from wf_err.def.  */
#include "wf_err.h"

typedef struct {
    int status;
    const char *title;
    const char *name;
} s_err_info_t;

static const s_err_info_t s_errs[] = {
#define WF_ERR(num, NAME, status, title) [num] = {status, title, #NAME},
#include "wf_err.def"
#undef WF_ERR
};

//  Looks up the table entry, or NULL when the code is not ours.
static const s_err_info_t *
s_info (wf_err_t err)
{
    if ((unsigned) err >= sizeof (s_errs) / sizeof (s_errs[0]) || !s_errs[err].title)
        return 0;
    return &s_errs[err];
}

int
wf_err_http_status (wf_err_t err)
{
    const s_err_info_t *info = s_info (err);
    return info ? info->status : 500;
}

const char *
wf_err_title (wf_err_t err)
{
    const s_err_info_t *info = s_info (err);
    return info ? info->title : "Internal Server Error";
}

const char *
wf_err_name (wf_err_t err)
{
    const s_err_info_t *info = s_info (err);
    return info ? info->name : "UNKNOWN";
}
