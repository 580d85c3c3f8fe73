/* Property: reserving the futex hash grows it to a power of two covering the
 * waiters, never shrinks it, and is a clean no-op where the kernel has no
 * private futex hash (before Linux 6.16, Windows): a negative errno, no crash. */
#include "test_util.h"

static void *idle(void *arg) { return arg; }

int main(void)
{
    /* Linux gives a process its private hash with its second thread, as a .NET process has. */
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, idle, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);

    int before = thredo_futex_hash_reserve(1);
    if (before < 0 || before == 0) {
        printf("no private futex hash here (%d): nothing to size\n", before);
        CHECK(before == 0 || before == -EINVAL || before == -ENOSYS);
        return 0;
    }
    CHECK_EQ(before & (before - 1), 0);                 /* a power of two */
    int grown = thredo_futex_hash_reserve(3000);
    CHECK(grown >= 3000 && grown < 2 * 4096 + 1);
    CHECK_EQ(grown & (grown - 1), 0);
    CHECK_EQ(thredo_futex_hash_reserve(10), grown);      /* never shrinks */
    CHECK_EQ(thredo_futex_hash_reserve(INT64_MAX), 131072); /* capped */

    /* Parkers still work after the rehash. */
    thredo_parker *p;
    CHECK_EQ(thredo_parker_create(0, &p), 0);
    CHECK_EQ(thredo_parker_wake(p), 0);
    CHECK_EQ(thredo_parker_wait(p, -1), 0);
    CHECK_EQ(thredo_parker_wait(p, 1000000), -ETIMEDOUT);
    thredo_parker_destroy(p);
    return 0;
}
