/* echo_admin: a stand-in for edgegate-admin in tests/e2e/test_admin_front.py. A FastCGI
 * responder started as the front starts its admin workers (listening socket on fd 0,
 * `--db PATH`) whose answers the tests steer by path:
 *   /params         every variable it got, NAME=VALUE a line, then BODY-LEN=N
 *   /body           the request body back as it came (application/octet-stream)
 *   /redirect       303 with a Location and two Set-Cookie fields
 *   /hop            hop-by-hop fields and one a Connection field names, beside X-Kept
 *   /big?N          N bytes of body
 *   /sleep?S        answers after S seconds
 *   /exit           exits without an answer
 *   /pid            its process id
 *   /badhead        a field name with a space in it
 *   /status?CODE    Status: CODE
 * anything else is a 404. Each request it reads is logged on stderr (edgegate's log). */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_body(FCGX_Request *rq, char **body, size_t *len)
{
    size_t cap = 65536;
    int n;
    *len = 0;
    *body = malloc(cap);
    if (*body == NULL)
        abort();
    while ((n = FCGX_GetStr(*body + *len, (int)(cap - *len), rq->in)) > 0) {
        *len += (size_t)n;
        if (*len == cap) {
            cap *= 2;
            *body = realloc(*body, cap);
            if (*body == NULL)
                abort();
        }
    }
}

static void serve(FCGX_Request *rq)
{
    const char *path = FCGX_GetParam("PATH_INFO", rq->envp);
    const char *query = FCGX_GetParam("QUERY_STRING", rq->envp);
    char *body;
    size_t len;
    read_body(rq, &body, &len);
    /* in edgegate's log: what reached the worker (tests assert on it) */
    fprintf(stderr, "echo_admin[%d] got %s %s with %zu body bytes\n", (int)getpid(),
            FCGX_GetParam("REQUEST_METHOD", rq->envp), FCGX_GetParam("REQUEST_URI", rq->envp), len);
    if (path == NULL)
        path = "";
    if (query == NULL)
        query = "";
    if (strcmp(path, "/params") == 0) {
        FCGX_FPrintF(rq->out, "Content-Type: text/plain\r\n\r\n");
        for (char **e = rq->envp; *e; e++)
            FCGX_FPrintF(rq->out, "%s\n", *e);
        FCGX_FPrintF(rq->out, "BODY-LEN=%d\n", (int)len);
    } else if (strcmp(path, "/body") == 0) {
        FCGX_FPrintF(rq->out, "Content-Type: application/octet-stream\r\nX-Body-Len: %d\r\n\r\n",
                     (int)len);
        FCGX_PutStr(body, (int)len, rq->out);
    } else if (strcmp(path, "/redirect") == 0) {
        FCGX_FPrintF(rq->out, "Status: 303 See Other\r\nLocation: /next\r\n"
                              "Set-Cookie: a=1; HttpOnly\r\nSet-Cookie: b=2\r\n"
                              "Content-Type: text/plain\r\n\r\nsee /next\n");
    } else if (strcmp(path, "/hop") == 0) {
        FCGX_FPrintF(rq->out, "Content-Type: text/plain\r\nConnection: close, X-Private\r\n"
                              "Keep-Alive: timeout=1\r\nTransfer-Encoding: chunked\r\n"
                              "Upgrade: h2c\r\nProxy-Connection: close\r\nX-Private: secret\r\n"
                              "X-Kept: yes\r\n\r\nhop\n");
    } else if (strcmp(path, "/big") == 0) {
        long n = atol(query);
        char chunk[4096];
        FCGX_FPrintF(rq->out, "Content-Type: application/octet-stream\r\n\r\n");
        for (long i = 0; i < n;) {
            int k = n - i < (long)sizeof(chunk) ? (int)(n - i) : (int)sizeof(chunk);
            for (int j = 0; j < k; j++)
                chunk[j] = (char)('a' + (i + j) % 26);
            FCGX_PutStr(chunk, k, rq->out);
            i += k;
        }
    } else if (strcmp(path, "/sleep") == 0) {
        sleep((unsigned)atoi(query));
        FCGX_FPrintF(rq->out, "Content-Type: text/plain\r\n\r\nslept\n");
    } else if (strcmp(path, "/exit") == 0) {
        _exit(3);
    } else if (strcmp(path, "/pid") == 0) {
        FCGX_FPrintF(rq->out, "Content-Type: text/plain\r\n\r\npid=%d\n", (int)getpid());
    } else if (strcmp(path, "/badhead") == 0) {
        FCGX_FPrintF(rq->out, "Content-Type: text/plain\r\nBad Header: x\r\n\r\nbad\n");
    } else if (strcmp(path, "/status") == 0) {
        FCGX_FPrintF(rq->out, "Status: %s\r\nContent-Type: text/plain\r\n\r\nstatus\n", query);
    } else {
        FCGX_FPrintF(rq->out,
                     "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n"
                     "no %s\n",
                     path);
    }
    free(body);
}

int main(int argc, char **argv)
{
    FCGX_Request rq;
    if (argc != 3 || strcmp(argv[1], "--db") != 0) {
        fprintf(stderr, "usage: echo_admin --db PATH (as edgegate starts it)\n");
        return 2;
    }
    if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0)
        return 1;
    while (FCGX_Accept_r(&rq) >= 0) {
        serve(&rq);
        FCGX_Finish_r(&rq);
    }
    return 0;
}
