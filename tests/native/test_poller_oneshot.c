/* Property: registrations are one-shot and level-triggered: a ready socket is
 * reported once and not again until modify re-arms it; re-arming while the data is
 * still unread reports it again at once (the readiness is not lost); modify can
 * change the token. */
#include "poll_util.h"

int main(void)
{
    test_sock sv[2];
    CHECK(test_socketpair(sv) == 0);
    thredo_poller *p;
    thredo_poll_event ev;
    CHECK_EQ(thredo_poller_create(&p), 0);
    CHECK_EQ(test_send(sv[0], "data", 4), 4); /* ready before it is even armed */
    CHECK_EQ(thredo_poller_add(p, (intptr_t)sv[1], THREDO_POLL_READABLE, 1), 0);
    CHECK_EQ(poll_one(p, &ev, 1000), 1);
    CHECK_EQ(ev.token, 1);
    CHECK(ev.events & THREDO_POLL_READABLE);
    CHECK_EQ(poll_one(p, &ev, 50), 0); /* still readable, but disarmed */

    CHECK_EQ(thredo_poller_modify(p, (intptr_t)sv[1], THREDO_POLL_READABLE, 2), 0);
    CHECK_EQ(poll_one(p, &ev, 1000), 1);
    CHECK_EQ(ev.token, 2);
    CHECK(ev.events & THREDO_POLL_READABLE);
    CHECK_EQ(poll_one(p, &ev, 50), 0);

    CHECK_EQ(thredo_poller_remove(p, (intptr_t)sv[1]), 0);
    thredo_poller_destroy(p);
    test_closesock(sv[0]);
    test_closesock(sv[1]);
    return 0;
}
