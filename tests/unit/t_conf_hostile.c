/* Configuration files: hostile XML. An external entity naming a file, one naming a URL, an
 * external DTD, a parameter entity, billion laughs, XInclude: each refused, without the file's
 * contents appearing anywhere, without any connection made, and at once. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <fcntl.h>

#include "conf_fixture.h"

static char secret_path[] = "/tmp/eg-t_conf_hostile-XXXXXX";
static const char marker[] = "EG-SECRET-7f3a9c";

static void hostile(const char *what, const char *text, const char *says)
{
    eg_dist_t d;
    eg_conf_msgs_t m = {0};
    eg_buf_t t = {0};
    struct timespec a, b;
    double secs;
    int rc;
    clock_gettime(CLOCK_MONOTONIC, &a);
    rc = eg_conf_read(text, strlen(text), "shop", &d, NULL, &m);
    clock_gettime(CLOCK_MONOTONIC, &b);
    secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    eg_conf_msgs_format(&m, &t);
    if (!ok(rc == -1 && t.data && strstr(t.data, says) && !strstr(t.data, marker),
            "%s: refused (%.3f s)", what, secs))
        fx_diag(t.data);
    eg_buf_free(&t);
    eg_conf_msgs_free(&m);
    eg_dist_clear(&d);
}

int main(void)
{
    char text[4096], laughs[2048];
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int fd, lsn, port;
    size_t used = 0;

    eg_conf_init();
    fd = mkstemp(secret_path);
    if (fd < 0 || write(fd, marker, strlen(marker)) < 0)
        return 1;
    close(fd);
    lsn = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lsn, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lsn, 8) < 0 ||
        getsockname(lsn, (struct sockaddr *)&sa, &salen) < 0)
        return 1;
    port = ntohs(sa.sin_port);
    fcntl(lsn, F_SETFL, O_NONBLOCK);

    snprintf(text, sizeof(text),
             "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY e SYSTEM \"file://%s\">]>\n"
             "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"
             "<CallerReference>&e;</CallerReference><Comment>&e;</Comment>"
             "</DistributionConfig>\n",
             secret_path);
    hostile("an external entity naming a file", text, "line 2: a DOCTYPE is not allowed");
    snprintf(text, sizeof(text),
             "<!DOCTYPE d [<!ENTITY e SYSTEM \"http://127.0.0.1:%d/x\">]>\n"
             "<DistributionConfig><Comment>&e;</Comment></DistributionConfig>\n",
             port);
    hostile("an external entity naming a URL", text, "a DOCTYPE is not allowed");
    snprintf(text, sizeof(text),
             "<?xml version=\"1.0\"?>\n<!DOCTYPE DistributionConfig SYSTEM "
             "\"http://127.0.0.1:%d/d.dtd\">\n<DistributionConfig/>\n",
             port);
    hostile("an external DTD", text, "a DOCTYPE is not allowed");
    snprintf(text, sizeof(text),
             "<!DOCTYPE d [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]>\n<DistributionConfig/>\n",
             secret_path);
    hostile("a parameter entity", text, "a DOCTYPE is not allowed");
    used = (size_t)snprintf(laughs, sizeof(laughs), "<!ENTITY l0 \"lol\">");
    for (int i = 1; i < 10; i++) {
        used += (size_t)snprintf(laughs + used, sizeof(laughs) - used, "<!ENTITY l%d \"", i);
        for (int k = 0; k < 10; k++)
            used += (size_t)snprintf(laughs + used, sizeof(laughs) - used, "&l%d;", i - 1);
        used += (size_t)snprintf(laughs + used, sizeof(laughs) - used, "\">");
    }
    snprintf(text, sizeof(text),
             "<?xml version=\"1.0\"?>\n<!DOCTYPE d [%s]>\n"
             "<DistributionConfig><Comment>&l9;</Comment></DistributionConfig>\n",
             laughs);
    hostile("billion laughs", text, "a DOCTYPE is not allowed");
    snprintf(text, sizeof(text),
             "<DistributionConfig xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\" "
             "xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
             "<Comment><xi:include href=\"file://%s\" parse=\"text\"/></Comment>"
             "</DistributionConfig>\n",
             secret_path);
    hostile("XInclude", text, "in another namespace");
    hostile("an undeclared entity", "<DistributionConfig><Comment>&e;</Comment></DistributionConfig>",
            "error: line 1: Entity 'e' not defined");
    {
        int c = accept(lsn, NULL, NULL);
        ok(c < 0, "no connection was ever made to 127.0.0.1:%d", port);
        if (c >= 0)
            close(c);
    }
    close(lsn);
    unlink(secret_path);
    return done();
}
