/* Property: on a connected socket pair, a socket is reported writable at once and
 * readable after the peer writes, each with its own token. */
#include "poll_util.h"

int main(void)
{
    test_sock sv[2];
    CHECK(test_socketpair(sv) == 0);
    thredo_poller *p;
    thredo_poll_event ev;
    CHECK_EQ(thredo_poller_create(&p), 0);
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[0], THREDO_POLL_WRITABLE, 5), 0);
    CHECK_EQ(poll_one(p, &ev, 1000), 1);
    CHECK_EQ(ev.token, 5);
    CHECK_EQ(ev.events, THREDO_POLL_WRITABLE);

    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[1], THREDO_POLL_READABLE, 6), 0);
    CHECK_EQ(poll_one(p, &ev, 50), 0); /* nothing to read yet */
    CHECK_EQ(test_send(sv[0], "ping", 4), 4);
    CHECK_EQ(poll_one(p, &ev, 1000), 1);
    CHECK_EQ(ev.token, 6);
    CHECK_EQ(ev.events, THREDO_POLL_READABLE);
    char buf[8];
    CHECK_EQ(test_recv(sv[1], buf, sizeof buf), 4);
    thredo_poller_destroy(p);
    test_closesock(sv[0]);
    test_closesock(sv[1]);
    return 0;
}
