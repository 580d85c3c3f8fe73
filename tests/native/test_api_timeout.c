/* Property: a timeout scope makes a blocking call that outlasts it return -ETIMEDOUT
 * (an outer scope's expiry reaches calls in an inner one), a call that finishes in time
 * is unaffected, and popping with no scope open is -EINVAL. */
#include "mini_kernel.h"

static test_sock sv[2];

static intptr_t scoped(intptr_t unused)
{
    (void)unused;
    char buf[4];
    CHECK_EQ(thredo_timeout_push(-5), -EINVAL);
    /* in time: no error */
    CHECK_EQ(thredo_timeout_push(500), 0);
    CHECK_EQ(thredo_sleep_ms(5), 0);
    CHECK_EQ(thredo_timeout_pop(), 0);
    /* a read nobody satisfies, under a 30 ms scope */
    int64_t t0 = test_now_ns();
    CHECK_EQ(thredo_timeout_push(30), 0);
    int64_t n = thredo_read(sv[0], buf, sizeof buf);
    int64_t waited = test_now_ns() - t0;
    CHECK_EQ(thredo_timeout_pop(), 0);
    printf("read returned %lld after %.1f ms\n", (long long)n, waited / 1e6);
    CHECK_EQ(n, -ETIMEDOUT);
    CHECK(waited >= 30 * 1000000LL);
    /* outer 20 ms scope, inner 10 s scope: the outer expiry ends the inner sleep */
    CHECK_EQ(thredo_timeout_push(20), 0);
    CHECK_EQ(thredo_timeout_push(10000), 0);
    CHECK_EQ(thredo_sleep_ms(5000), -ETIMEDOUT);
    CHECK_EQ(thredo_timeout_pop(), 0);
    CHECK_EQ(thredo_timeout_pop(), 0);
    CHECK_EQ(thredo_timeout_pop(), -EINVAL);
    /* after the scopes: blocking works again */
    CHECK_EQ(thredo_sleep_ms(1), 0);
    return 42;
}

int main(void)
{
    CHECK_EQ(test_socketpair(sv), 0);
    mini_kernel k;
    mk_init(&k);
    mk_fiber *m = mk_spawn(&k, scoped, 0, 0, 1);
    mk_run(&k);
    CHECK_EQ(m->result, 42);
    CHECK_EQ(k.served[THREDO_REQ_TIMEOUT_PUSH], 4);
    CHECK_EQ(k.served[THREDO_REQ_TIMEOUT_POP], 5);
    mk_destroy(&k);
    return 0;
}
