/*
 * hooks_sleep.c: sleep, usleep, nanosleep and clock_nanosleep on a native fiber.
 *
 * The kernel sleeps in whole milliseconds, so a duration is rounded up (a sleep never
 * ends early); zero yields. An interrupted sleep reports errno ECANCELED or ETIMEDOUT,
 * not EINTR: callers retry EINTR with the time left, which would swallow the
 * cancellation (it is delivered once).
 */
#define _GNU_SOURCE
#include "hooks.h"
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL

static int valid(const struct timespec *ts)
{
    return ts && ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NS_PER_S;
}

static int64_t ts_ns(const struct timespec *ts)
{
    if (ts->tv_sec >= INT64_MAX / NS_PER_S - 1)
        return INT64_MAX / 2;
    return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return -1;
    return ts_ns(&ts);
}

/* Sleep ns on the fiber; 0, or the positive errno that interrupted it with *left_ns set. */
static int fiber_sleep_ns(int64_t ns, int64_t *left_ns)
{
    int64_t start = now_ns(CLOCK_MONOTONIC);
    int64_t r = thredo_sleep_request((ns + 999999) / 1000000);
    if (r == 0)
        return 0;
    int64_t left = ns - (now_ns(CLOCK_MONOTONIC) - start);
    *left_ns = left > 0 ? left : 0;
    return (int)-r;
}

static void set_ts(struct timespec *ts, int64_t ns)
{
    if (ts) {
        ts->tv_sec = (time_t)(ns / NS_PER_S);
        ts->tv_nsec = (long)(ns % NS_PER_S);
    }
}

int thredo_hook_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!thredo_fiber_current())
        return nanosleep(req, rem);
    if (!valid(req)) {
        errno = EINVAL;
        return -1;
    }
    int64_t left = 0;
    int err = fiber_sleep_ns(ts_ns(req), &left);
    if (!err)
        return 0;
    set_ts(rem, left);
    errno = err;
    return -1;
}

/* Returns the error number, as clock_nanosleep does (errno untouched). */
int thredo_hook_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                                struct timespec *rem)
{
    if (!thredo_fiber_current())
        return clock_nanosleep(clock, flags, req, rem);
    if (!valid(req))
        return EINVAL;
    int64_t ns = ts_ns(req);
    if (flags & TIMER_ABSTIME) {
        int64_t now = now_ns(clock);
        if (now < 0)
            return EINVAL;
        ns = ns > now ? ns - now : 0;
    }
    int64_t left = 0;
    int err = fiber_sleep_ns(ns, &left);
    if (err && !(flags & TIMER_ABSTIME))
        set_ts(rem, left);
    return err;
}

int thredo_hook_usleep(useconds_t usec)
{
    if (!thredo_fiber_current())
        return usleep(usec);
    int64_t left = 0;
    int err = fiber_sleep_ns((int64_t)usec * 1000, &left);
    if (!err)
        return 0;
    errno = err;
    return -1;
}

/* Returns the whole seconds not slept (rounded up) when interrupted, as sleep does. */
unsigned int thredo_hook_sleep(unsigned int seconds)
{
    if (!thredo_fiber_current())
        return sleep(seconds);
    int64_t left = 0;
    int err = fiber_sleep_ns((int64_t)seconds * NS_PER_S, &left);
    if (!err)
        return 0;
    errno = err;
    return (unsigned int)((left + NS_PER_S - 1) / NS_PER_S);
}
