/* Property: when the peer closes, an armed reader is told: HANGUP (with READABLE)
 * on Linux; on Windows, where a zero-byte receive cannot tell end-of-stream from
 * data, READABLE followed by a recv that returns 0. */
#include "poll_util.h"

int main(void)
{
    test_sock sv[2];
    CHECK(test_socketpair(sv) == 0);
    thredo_poller *p;
    thredo_poll_event ev;
    CHECK_EQ(thredo_poller_create(&p), 0);
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[1], THREDO_POLL_READABLE, 9), 0);
    CHECK_EQ(poll_one(p, &ev, 50), 0);
    test_closesock(sv[0]);
    CHECK_EQ(poll_one(p, &ev, 1000), 1);
    CHECK_EQ(ev.token, 9);
    printf("events after peer close: 0x%x\n", ev.events);
#if defined(_WIN32)
    CHECK(ev.events & (THREDO_POLL_READABLE | THREDO_POLL_HANGUP));
    char buf[4];
    CHECK(test_recv(sv[1], buf, sizeof buf) <= 0);
#else
    CHECK(ev.events & THREDO_POLL_HANGUP);
    CHECK(ev.events & THREDO_POLL_READABLE);
#endif
    thredo_poller_destroy(p);
    test_closesock(sv[1]);
    return 0;
}
