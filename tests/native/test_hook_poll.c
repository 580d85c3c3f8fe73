/* Property: poll, ppoll and select in a hooked library wait on the kernel: one descriptor
 * or several (one wait), with their timeouts honoured (0 ready, sets cleared), revents
 * as poll(2) reports them, a taken address of poll (GLOB_DAT) hooked too, and a
 * cancelled fiber's poll failing with ECANCELED. */
#include "hook_test.h"

static hook_target t;
static int a[2], b[2];
static mk_fiber *sleeper;
static int timeouts_done;   /* the poller's timed-out calls are over: the writer may go on */

static intptr_t poller(intptr_t unused)
{
    (void)unused;
    /* one fd: the writer fiber makes it readable */
    struct pollfd one = { .fd = a[0], .events = POLLIN };
    CHECK_EQ(t.poll(&one, 1, -1), 1);
    CHECK(one.revents & POLLIN);
    char c;
    CHECK_EQ(read(a[0], &c, 1), 1);
    /* two fds, data arrives on the second */
    struct pollfd two[2] = { { .fd = a[0], .events = POLLIN }, { .fd = b[0], .events = POLLIN } };
    CHECK_EQ(t.poll(two, 2, 5000), 1);
    CHECK_EQ(two[0].revents, 0);
    CHECK(two[1].revents & POLLIN);
    CHECK_EQ(read(b[0], &c, 1), 1);
    /* timeouts: nothing arrives */
    int64_t t0 = test_now_ns();
    CHECK_EQ(t.poll(two, 2, 30), 0);
    CHECK(test_now_ns() - t0 >= 30 * 1000000LL);
    struct timespec ts = { 0, 20 * 1000000 };
    CHECK_EQ(t.ppoll(&one, 1, &ts), 0);
    CHECK_EQ(t.poll(NULL, 0, 10), 0);   /* a sleep */
    fd_set r;
    FD_ZERO(&r);
    FD_SET(a[0], &r);
    FD_SET(b[0], &r);
    struct timeval tv = { 0, 20000 };
    CHECK_EQ(t.select((a[0] > b[0] ? a[0] : b[0]) + 1, &r, NULL, NULL, &tv), 0);
    CHECK(!FD_ISSET(a[0], &r) && !FD_ISSET(b[0], &r));
    CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);
    /* select: the writer's second byte on b */
    timeouts_done = 1;
    FD_SET(a[0], &r);
    FD_SET(b[0], &r);
    tv.tv_sec = 5;
    CHECK_EQ(t.select((a[0] > b[0] ? a[0] : b[0]) + 1, &r, NULL, NULL, &tv), 1);
    CHECK(!FD_ISSET(a[0], &r) && FD_ISSET(b[0], &r));
    CHECK_EQ(read(b[0], &c, 1), 1);
    /* writable at once: no wait needed */
    struct pollfd out = { .fd = a[1], .events = POLLOUT };
    CHECK_EQ(t.poll(&out, 1, -1), 1);
    /* the taken address */
    int (*p)(struct pollfd *, nfds_t, int) = t.poll_pointer();
    CHECK((void *)p != dlsym(RTLD_DEFAULT, "poll"));
    CHECK_EQ(p(&one, 1, 10), 0);
    return 1;
}

static intptr_t writer(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_sleep_ms(5), 0);
    CHECK_EQ(write(a[1], "x", 1), 1);
    CHECK_EQ(thredo_sleep_ms(5), 0);
    CHECK_EQ(write(b[1], "y", 1), 1);
    while (!timeouts_done)
        CHECK_EQ(thredo_sleep_ms(5), 0);
    CHECK_EQ(write(b[1], "w", 1), 1);
    return 2;
}

static intptr_t poll_forever(intptr_t unused)
{
    (void)unused;
    struct pollfd two[2] = { { .fd = a[0], .events = POLLIN }, { .fd = b[0], .events = POLLIN } };
    errno = 0;
    CHECK_EQ(t.poll(two, 2, -1), -1);
    CHECK_EQ(errno, ECANCELED);
    return 3;
}

static intptr_t canceller(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_sleep_ms(20), 0);
    mk_cancel(sleeper);
    return 4;
}

int main(void)
{
    ht_open(&t, HOOK_TARGET, 1);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    mini_kernel k;
    mk_init(&k);
    mk_fiber *p = mk_spawn(&k, poller, 0, 0, 1);
    mk_fiber *w = mk_spawn(&k, writer, 0, 0, 2);
    mk_run(&k);
    CHECK_EQ(p->result, 1);
    CHECK_EQ(w->result, 2);
    printf("WAIT_FD %ld, WAIT_FD_FOR %ld, SLEEP %ld\n", k.served[THREDO_REQ_WAIT_FD],
           k.served[THREDO_REQ_WAIT_FD_FOR], k.served[THREDO_REQ_SLEEP]);
    CHECK(k.served[THREDO_REQ_WAIT_FD] >= 1);
    CHECK(k.served[THREDO_REQ_WAIT_FD_FOR] >= 5);
    mk_destroy(&k);
    /* cancellation of a poll over several descriptors */
    mk_init(&k);
    sleeper = mk_spawn(&k, poll_forever, 0, 0, 3);
    mk_fiber *c = mk_spawn(&k, canceller, 0, 0, 4);
    mk_run(&k);
    CHECK_EQ(sleeper->result, 3);
    CHECK_EQ(c->result, 4);
    mk_destroy(&k);
    return 0;
}
