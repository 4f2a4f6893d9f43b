/* The worker programs' shared start (worker.h). */
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "edgegate/worker.h"

int eg_worker_args(eg_worker_args_t *a, int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    sigset_t none;
    int c;
    a->db_path = getenv("EDGEGATE_DB");
    a->listen = NULL;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->db_path = optarg;
            break;
        case 'l':
            a->listen = optarg;
            break;
        case 'h':
            a->usage(stdout);
            return 0;
        case 'V':
            printf("%s %s\n", a->name, PACKAGE_VERSION);
            return 0;
        default:
            a->usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", a->name, argv[optind]);
        return 2;
    }
    if (a->db_path == NULL || *a->db_path == '\0')
        a->db_path = "var/edgegate.db";
    /* whatever mask the spawner had (the front blocks what it sigwait()s for), this process
     * takes its signals */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_IGN);
    return -1;
}

int eg_worker_socket(const eg_worker_args_t *a, int cgi_ok, int *fd, int *cgi)
{
    *fd = 0;
    *cgi = 0;
    if (FCGX_Init() != 0) {
        fprintf(stderr, "%s: FCGX_Init failed\n", a->name);
        return 1;
    }
    if (a->listen) {
        *fd = FCGX_OpenSocket(a->listen, 64);
        if (*fd < 0) {
            fprintf(stderr, "%s: cannot listen on %s\n", a->name, a->listen);
            return 1;
        }
        return 0;
    }
    if (FCGX_IsCGI()) {
        if (cgi_ok) {
            *cgi = 1;
            return 0;
        }
        fprintf(stderr,
                "%s: standard input is not a FastCGI socket; run it from edgegate, a "
                "FastCGI server, or with --listen\n",
                a->name);
        return 2;
    }
    return 0;
}
