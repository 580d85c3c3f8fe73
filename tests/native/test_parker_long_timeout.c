/* Property: the largest timeouts the header allows do not overflow the deadline
 * (run under UBSan: signed overflow aborts there); a wake still ends the wait. */
#include "test_util.h"
#include <pthread.h>

static void *waker(void *arg)
{
    test_sleep_ms(20);
    thredo_parker_wake(arg);
    return NULL;
}

int main(void)
{
    thredo_parker *p;
    CHECK_EQ(thredo_parker_create(0, &p), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, waker, p), 0);
    CHECK_EQ(thredo_parker_wait(p, INT64_MAX), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(thredo_parker_wake(p), 0);
    CHECK_EQ(thredo_parker_wait(p, INT64_MAX - 1), 0); /* permit first: no sleep */
    thredo_parker_destroy(p);
    return 0;
}
