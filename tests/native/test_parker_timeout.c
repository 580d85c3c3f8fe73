/* Property: a timed wait with no wake returns -ETIMEDOUT, and not before its
 * timeout (only a lower bound is checked: CI machines may be slow); a wake from
 * another thread ends an infinite wait. */
#include "test_util.h"

static thredo_parker *p;

static void *waker(void *unused)
{
    (void)unused;
    test_sleep_ms(30);
    thredo_parker_wake(p);
    return NULL;
}

int main(void)
{
    CHECK_EQ(thredo_parker_create(100, &p), 0);
    int64_t t0 = test_now_ns();
    CHECK_EQ(thredo_parker_wait(p, 20 * 1000000LL), -ETIMEDOUT);
    int64_t took = test_now_ns() - t0;
    printf("20 ms timed wait took %.2f ms\n", took / 1e6);
    CHECK(took >= 20 * 1000000LL);

    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, waker, NULL), 0);
    CHECK_EQ(thredo_parker_wait(p, -1), 0);
    pthread_join(t, NULL);
    thredo_parker_destroy(p);
    return 0;
}
