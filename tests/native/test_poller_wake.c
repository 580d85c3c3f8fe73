/* Property: thredo_poller_wake from another thread ends an infinite wait, which
 * reports no event for it; a wake before the wait is kept; wakes coalesce. */
#include "test_util.h"

static thredo_poller *p;

static void *waker(void *unused)
{
    (void)unused;
    test_sleep_ms(30);
    CHECK_EQ(thredo_poller_wake(p), 0);
    return NULL;
}

int main(void)
{
    thredo_poll_event ev[4];
    CHECK_EQ(thredo_poller_create(&p), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, waker, NULL), 0);
    CHECK_EQ(thredo_poller_wait(p, ev, 4, -1), 0); /* hangs if the wake is lost */
    pthread_join(t, NULL);

    CHECK_EQ(thredo_poller_wake(p), 0);
    CHECK_EQ(thredo_poller_wake(p), 0);
    CHECK_EQ(thredo_poller_wait(p, ev, 4, -1), 0); /* pending wake: returns at once */
    int64_t t0 = test_now_ns();
    CHECK_EQ(thredo_poller_wait(p, ev, 4, 20 * 1000000LL), 0); /* coalesced: none left */
    CHECK(test_now_ns() - t0 >= 20 * 1000000LL);
    thredo_poller_destroy(p);
    return 0;
}
