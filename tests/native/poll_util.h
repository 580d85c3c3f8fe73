/* poll_util.h: wait for exactly the events a poller test expects. */
#ifndef THREDO_POLL_UTIL_H
#define THREDO_POLL_UTIL_H
#include "test_util.h"

/* Wait up to timeout_ms; return the count and the first event in *ev. */
static inline int poll_one(thredo_poller *p, thredo_poll_event *ev, int timeout_ms)
{
    thredo_poll_event evs[8];
    int64_t deadline = test_now_ns() + (int64_t)timeout_ms * 1000000;
    int n;
    /* a wait may return 0 early (a consumed wake, or a stale completion on IOCP) */
    do {
        int64_t left = deadline - test_now_ns();
        n = thredo_poller_wait(p, evs, 8, left > 0 ? left : 0);
        CHECK(n >= 0);
    } while (n == 0 && test_now_ns() < deadline);
    if (n > 0)
        *ev = evs[0];
    return n;
}
#endif
