/* Property: a fiber blocked in thredo_read that is cancelled is resumed with -ECANCELED,
 * thredo_read returns it, and the C code goes on to clean up and return normally. */
#include "mini_kernel.h"

static test_sock sv[2];
static mk_fiber *victim;
static int cleaned_up;

static intptr_t blocked_reader(intptr_t unused)
{
    (void)unused;
    char buf[8];
    int64_t n = thredo_read(sv[0], buf, sizeof buf); /* nobody ever writes */
    cleaned_up = 1;
    return (intptr_t)n;
}

/* A CALL callback runs on the kernel, like a managed fiber calling Cancel(). */
static int64_t cancel_victim(int64_t unused)
{
    (void)unused;
    mk_cancel(victim);
    return 0;
}

static intptr_t canceller(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_sleep_ms(20), 0);
    int64_t r;
    CHECK_EQ(thredo_call_managed(0, 0, &r), 0);
    return 0;
}

int main(void)
{
    CHECK_EQ(test_socketpair(sv), 0);
    mini_kernel k;
    mk_init(&k);
    k.calls[0] = cancel_victim;
    victim = mk_spawn(&k, blocked_reader, 0, 0, 1);
    mk_spawn(&k, canceller, 0, 0, 2);
    mk_run(&k);
    printf("blocked read returned %ld\n", (long)victim->result);
    CHECK_EQ(victim->result, -ECANCELED);
    CHECK(cleaned_up);
    CHECK(k.wait_readable >= 1); /* it really was suspended on the descriptor */
    CHECK(thredo_fiber_is_finished(victim->f));
    mk_destroy(&k);
    return 0;
}
