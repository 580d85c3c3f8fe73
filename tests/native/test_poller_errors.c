/* Property: poller misuse is reported as negative errno: -EEXIST on a double add,
 * -ENOENT on removing or modifying an unregistered descriptor, -EINVAL on bad
 * arguments, -EBADF (Linux) on a descriptor that is not open. */
#include "test_util.h"

int main(void)
{
    thredo_poller *p;
    thredo_poll_event ev[2];
    test_sock sv[2];
    CHECK(test_socketpair(sv) == 0);
    CHECK_EQ(thredo_poller_create(NULL), -EINVAL);
    CHECK_EQ(thredo_poller_create(&p), 0);
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[0], THREDO_POLL_READABLE, 1), 0);
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[0], THREDO_POLL_READABLE, 1), -EEXIST);
    CHECK_EQ(thredo_poller_remove(p, (intptr_t)sv[1]), -ENOENT);
    CHECK_EQ(thredo_poller_modify(p, (intptr_t)sv[1], THREDO_POLL_READABLE, 1), -ENOENT);
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[1], 0x100, 1), -EINVAL); /* unknown bit */
    CHECK_EQ(thredo_poller_add(NULL, (intptr_t)sv[1], THREDO_POLL_READABLE, 1), -EINVAL);
    CHECK_EQ(thredo_poller_wait(p, ev, 0, 0), -EINVAL);
    CHECK_EQ(thredo_poller_wait(p, NULL, 2, 0), -EINVAL);
    CHECK_EQ(thredo_poller_wait(NULL, ev, 2, 0), -EINVAL);
    CHECK_EQ(thredo_poller_wake(NULL), -EINVAL);
#if !defined(_WIN32)
    CHECK_EQ(thredo_poller_add(p, -1, THREDO_POLL_READABLE, 1), -EINVAL);
    CHECK_EQ(thredo_poller_add(p, 1000000, THREDO_POLL_READABLE, 1), -EBADF);
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[1], THREDO_POLL_READABLE, UINT64_MAX), -EINVAL);
#endif
    CHECK_EQ(thredo_poller_remove(p, (intptr_t)sv[0]), 0);
    CHECK_EQ(thredo_poller_remove(p, (intptr_t)sv[0]), -ENOENT); /* removed twice */
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[0], THREDO_POLL_READABLE, 1), 0); /* re-add */
    thredo_poller_destroy(p);
    test_closesock(sv[0]);
    test_closesock(sv[1]);
    return 0;
}
