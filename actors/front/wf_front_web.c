/*  wf_front_web - the web page's routes (see the header).  */
#include "wf_front_web.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_CSP                                                                                      \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "                \
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

//  The headers every file goes out with (nosniff, referrer-policy and
//  x-frame-options come with every response: wf_front_security.h).
static void
s_headers (wf_http_response_t *resp)
{
    wf_http_add_header (resp, "cache-control:", "no-cache");
    wf_http_add_header (resp, "content-security-policy:", S_CSP);
}

//  Answers with a copy of len bytes.
static void
s_respond_bytes (wf_http_response_t *resp, const char *content_type, const void *data, size_t len)
{
    free (resp->body);
    resp->status = 200;
    resp->content_type = content_type;
    resp->body = (char *) malloc (len ? len : 1);
    assert (resp->body);
    memcpy (resp->body, data, len);
    resp->body_len = len;
    s_headers (resp);
}

//  GET / , /app.js, /app.css: the embedded file of that exact path.
static wf_handler_result_t
s_asset (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    (void) http;
    size_t count;
    const wf_web_asset_t *assets = wf_web_assets (&count);
    for (size_t i = 0; i < count; i++)
        if (strcmp (assets[i].path, req->path) == 0) {
            s_respond_bytes (resp, assets[i].content_type, assets[i].data, assets[i].len);
            return WF_HANDLER_DONE;
        }
    //  Only the table's paths are routed here.
    wf_http_respond_problem (resp, req, 404, "Not Found", "no resource at this path");
    return WF_HANDLER_DONE;
}

//  Reads the whole regular file at path, at most size_max bytes, into a new
//  buffer; NULL (errno set) when it is missing, not a regular file or too big.
static char *
s_read_file (const char *path, size_t size_max, size_t *len)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat info;
    char *data = NULL;
    if (fstat (fd, &info) == 0 && S_ISREG (info.st_mode) && (size_t) info.st_size <= size_max) {
        size_t size = (size_t) info.st_size, done = 0;
        data = (char *) malloc (size ? size : 1);
        assert (data);
        while (done < size) {
            ssize_t n = read (fd, data + done, size - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            done += (size_t) n;
        }
        if (done != size) {
            free (data);
            data = NULL;
        }
        *len = done;
    } else
        errno = EINVAL;
    close (fd);
    return data;
}

//  GET /signalr.min.js: the configured SignalR client file.
static wf_handler_result_t
s_client_js (wf_front_http_t *http, const wf_http_request_t *req, wf_http_response_t *resp)
{
    const char *path = wf_front_http_config (http)->web_client_js;
    size_t len = 0;
    char *data = path && *path ? s_read_file (path, WF_WEB_CLIENT_JS_BYTES_MAX, &len) : NULL;
    if (!data) {
        wf_http_respond_problem (resp, req, 404, "Not Found",
                                 "the SignalR client is not installed (--web-client-js)");
        return WF_HANDLER_DONE;
    }
    free (resp->body);
    resp->status = 200;
    resp->content_type = WF_WEB_TYPE_JS;
    resp->body = data;
    resp->body_len = len;
    s_headers (resp);
    return WF_HANDLER_DONE;
}

static const wf_front_route_def_t s_routes[] = {
    {{WF_HTTP_GET, "/", 0}, "/", s_asset, NULL},
    {{WF_HTTP_GET, "/app.js", 0}, "/app.js", s_asset, NULL},
    {{WF_HTTP_GET, "/app.css", 0}, "/app.css", s_asset, NULL},
    {{WF_HTTP_GET, WF_WEB_CLIENT_JS_PATH, 0}, WF_WEB_CLIENT_JS_PATH, s_client_js, NULL},
};

const wf_front_route_def_t *
wf_front_web_routes (size_t *count)
{
    *count = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
