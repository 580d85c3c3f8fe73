/* Property: on a pipe, the read end is reported readable (once) after a write, with
 * its token, and the write end is reported writable at once. */
#include "poll_util.h"

#if defined(_WIN32)
int main(void)
{
    SKIP("the IOCP poller registers sockets only; anonymous pipes use overlapped I/O");
}
#else
int main(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    thredo_poller *p;
    thredo_poll_event ev;
    CHECK_EQ(thredo_poller_create(&p), 0);
    CHECK_EQ(thredo_poller_add(p, fds[0], THREDO_POLL_READABLE, 11), 0);
    CHECK_EQ(poll_one(p, &ev, 0), 0); /* nothing written yet */
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(poll_one(p, &ev, 1000), 1);
    CHECK_EQ(ev.token, 11);
    CHECK(ev.events & THREDO_POLL_READABLE);

    CHECK_EQ(thredo_poller_add(p, fds[1], THREDO_POLL_WRITABLE, 22), 0);
    CHECK_EQ(poll_one(p, &ev, 1000), 1);
    CHECK_EQ(ev.token, 22);
    CHECK_EQ(ev.events, THREDO_POLL_WRITABLE);
    thredo_poller_destroy(p);
    close(fds[0]);
    close(fds[1]);
    return 0;
}
#endif
