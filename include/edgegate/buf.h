/* A growable byte buffer (owned storage), for building records and heads. Header-only. */
#ifndef EDGEGATE_BUF_H
#define EDGEGATE_BUF_H

#include "edgegate/common.h"

typedef struct eg_buf_s {
    char *data; /* owned */
    size_t len, cap;
} eg_buf_t;

static inline void eg_buf_reserve(eg_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra + 1)
            cap *= 2;
        b->data = (char *)eg_realloc(b->data, cap);
        b->cap = cap;
    }
}

static inline void eg_buf_add(eg_buf_t *b, const void *p, size_t n)
{
    eg_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void eg_buf_adds(eg_buf_t *b, const char *s)
{
    eg_buf_add(b, s, strlen(s));
}

static inline void __attribute__((format(printf, 2, 3))) eg_buf_printf(eg_buf_t *b,
                                                                       const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    eg_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static inline void eg_buf_free(eg_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

#endif
