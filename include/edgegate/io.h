/* Time and waiting helpers for code that does I/O with deadlines (the policy client, origin
 * connections, the cache's clocks), and the hash of the front's tables. Header-only. */
#ifndef EDGEGATE_IO_H
#define EDGEGATE_IO_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds on the monotonic clock. */
static inline long long eg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline (eg_now_ms) passes: 0 ready, -1 with
 * errno ETIMEDOUT or poll's error. */
static inline int eg_wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        long long left = deadline - eg_now_ms();
        int r;
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        r = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* FNV-1a from a seed, then a 64-bit finalizer: for hash tables whose keys viewers choose
 * (the object and route caches), each seeded at random when made, so colliding keys cannot
 * be worked out offline from the source (a keyed FNV, not a cryptographic MAC). */
static inline uint64_t eg_hash_seeded(uint64_t seed, const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* A random seed for eg_hash_seeded (the clock and the process when the kernel has none). */
static inline uint64_t eg_hash_seed(void)
{
    uint64_t seed;
    struct timespec ts;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        return seed;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
}

#endif
