/* Entry points for native fibers run by the .NET kernel (tests/Thredo.Tests/Native): they block
 * only through thredo.h, so the kernel serves their waits. Pure C, as on every native fiber. */
#include <errno.h>
#include <stdint.h>

#include "thredo.h"

#if defined(_WIN32)
#  define ENTRY_API __declspec(dllexport)
#else
#  define ENTRY_API __attribute__((visibility("default")))
#endif

/* Sleeps ms milliseconds; returns ms, or the negative errno the sleep returned. */
ENTRY_API intptr_t thredo_test_sleep(intptr_t ms)
{
    int r = thredo_sleep_ms(ms);
    return r < 0 ? r : ms;
}

/* Sleeps until interrupted; returns what the sleep returned (-ECANCELED or -ETIMEDOUT),
 * after checking that the cancellation is no longer pending once delivered. */
ENTRY_API intptr_t thredo_test_sleep_until_interrupted(intptr_t unused)
{
    (void)unused;
    int r = thredo_sleep_ms(INT64_C(1) << 40);
    if (r == -ECANCELED && thredo_cancelled())
        return -1000;   /* delivery must clear the pending flag */
    return r;
}

/* Opens a timeout scope of ms, sleeps ten times longer inside it; returns the sleep's result. */
ENTRY_API intptr_t thredo_test_timeout_scope(intptr_t ms)
{
    if (thredo_timeout_push(ms) != 0)
        return -2000;
    int r = thredo_sleep_ms(ms * 10);
    if (thredo_timeout_pop() != 0)
        return -3000;
    return r;
}

/* Reads from fd until end of stream; returns the total bytes read or a negative errno. */
ENTRY_API intptr_t thredo_test_read_all(intptr_t fd)
{
    char buf[4096];
    int64_t total = 0;
    for (;;) {
        int64_t n = thredo_read(fd, buf, sizeof buf);
        if (n < 0)
            return n;
        if (n == 0)
            return total;
        total += n;
    }
}

/* Yields n times; returns its own fiber id (thredo_current). */
ENTRY_API intptr_t thredo_test_yield_and_id(intptr_t n)
{
    for (intptr_t i = 0; i < n; i++)
        if (thredo_yield() != 0)
            return -4000;
    return thredo_current();
}

/* Calls managed callback `callback` with 20 through thredo_call_managed; returns its result
 * or the negative status. */
ENTRY_API intptr_t thredo_test_call_managed(intptr_t callback)
{
    int64_t result = 0;
    int r = thredo_call_managed(callback, 20, &result);
    return r < 0 ? r : result;
}

/* The same through thredo_call_nested. */
ENTRY_API intptr_t thredo_test_call_nested(intptr_t callback)
{
    int64_t result = 0;
    int r = thredo_call_nested(callback, 20, &result);
    return r < 0 ? r : result;
}

/* Recurses until `depth` (absurdly deep when called by thredo_test_overflow): each frame
 * takes 512 bytes, so it runs into the guard page. */
static int recurse(volatile char *p, int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    (void)p;
    if (depth == 0)
        return 0;
    return recurse(frame, depth - 1) + frame[0];
}

ENTRY_API intptr_t thredo_test_overflow(intptr_t unused)
{
    (void)unused;
    return recurse(0, 1 << 30);
}

/* Yields n times through the kernel (thredo_yield); returns n. For the round-trip benchmark. */
ENTRY_API intptr_t thredo_test_yield_times(intptr_t n)
{
    for (intptr_t i = 0; i < n; i++)
        if (thredo_yield() != 0)
            return -1;
    return n;
}

/* Opens a timeout scope of INT64_MAX ms (in effect, none), sleeps 1 ms inside it; returns
 * the first failing call's result, else 0. */
ENTRY_API intptr_t thredo_test_huge_timeout(intptr_t unused)
{
    (void)unused;
    int r = thredo_timeout_push(INT64_MAX);
    if (r != 0)
        return r;
    r = thredo_sleep_ms(1);
    int p = thredo_timeout_pop();
    return r != 0 ? r : p;
}

/* Writes to fd until `n` bytes are written in 64 KiB pieces; returns n or a negative errno. */
ENTRY_API intptr_t thredo_test_write_megabyte(intptr_t fd)
{
    static const char buf[65536];
    int64_t total = 0;
    while (total < (1 << 20)) {
        int64_t w = thredo_write(fd, buf, sizeof buf);
        if (w < 0)
            return w;
        total += w;
    }
    return total;
}
