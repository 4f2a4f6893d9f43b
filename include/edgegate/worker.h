/* What the FastCGI worker programs (edgegate-policy, edgegate-admin) share at start: their
 * options (--db, --listen, --help, --version), the signal state a spawner may have left, and
 * where requests come from: the listening socket on standard input (the FastCGI convention),
 * a socket of their own (--listen), or, for a program that can, the one CGI request in the
 * environment. */
#ifndef EDGEGATE_WORKER_H
#define EDGEGATE_WORKER_H

#include <stdio.h>

typedef struct {
    const char *name;         /* "edgegate-policy": messages and --version */
    void (*usage)(FILE *out); /* --help */
    const char *db_path;      /* --db, else $EDGEGATE_DB, else var/edgegate.db */
    const char *listen;       /* --listen SOCKET, or NULL */
} eg_worker_args_t;

/* Parses argv into a (name and usage set by the caller); -1 to go on, else the exit status
 * to return at once (0 after --help or --version, 2 on bad usage, said on stderr). Going on,
 * it has cleared the signal mask the spawner may have left and ignores SIGPIPE. */
int eg_worker_args(eg_worker_args_t *a, int argc, char **argv);

/* FCGX_Init, then the socket requests come on: 0 with *fd for FCGX_InitRequest, or with
 * *cgi set when standard input is no FastCGI socket and cgi_ok (answer the one CGI request
 * in the environment); else the exit status (1 or 2) after saying why on stderr. */
int eg_worker_socket(const eg_worker_args_t *a, int cgi_ok, int *fd, int *cgi);

#endif
