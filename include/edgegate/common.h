/* Small helpers every module uses: allocation that aborts on OOM, logging, string copies.
 * Everything here is header-only so db/, gateway/ and admin/ can share it without a
 * library of their own. */
#ifndef EDGEGATE_COMMON_H
#define EDGEGATE_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EG_UNUSED __attribute__((unused))

/* Out of memory is not a condition edgegate can serve through: abort in one place. */
static inline void *eg_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fputs("edgegate: out of memory\n", stderr);
        abort();
    }
    return p;
}

static inline void *eg_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fputs("edgegate: out of memory\n", stderr);
        abort();
    }
    return p;
}

static inline void *eg_realloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (p == NULL) {
        fputs("edgegate: out of memory\n", stderr);
        abort();
    }
    return p;
}

static inline char *eg_strndup(const char *s, size_t n)
{
    char *p = (char *)eg_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static inline char *eg_strdup(const char *s)
{
    return eg_strndup(s, strlen(s));
}

/* Copies src into a fixed buffer; returns -1 (and leaves dst empty) when it does not fit. */
static inline int eg_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (n >= size) {
        if (size)
            dst[0] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

/* Formats an error into a caller's buffer; used by every function that takes (err, errlen). */
static inline void __attribute__((format(printf, 3, 4)))
eg_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* One log line on stderr: time, program, level, message (control bytes shown as '?'). */
static inline void __attribute__((format(printf, 2, 3))) eg_log(const char *level, const char *fmt,
                                                                ...)
{
    char buf[1024];
    char ts[32];
    struct tm tm;
    time_t now = time(NULL);
    va_list ap;
    int n;

    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(buf, sizeof(buf), "%s %s[%d] %s: ", ts, program_invocation_short_name,
                 (int)getpid(), level);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(buf))
        vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    /* one event, one line: what a message quotes (a user name typed at the console, a
     * worker's stderr) cannot forge lines or send escape sequences to a terminal */
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = '?';
    fprintf(stderr, "%s\n", buf);
}

#define eg_log_error(...) eg_log("error", __VA_ARGS__)
#define eg_log_warn(...) eg_log("warning", __VA_ARGS__)
#define eg_log_info(...) eg_log("info", __VA_ARGS__)

#endif
