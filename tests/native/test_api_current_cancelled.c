/* Property: thredo_current returns the id the kernel set (thredo_fiber_set_id) for the
 * fiber that calls it, and thredo_cancelled sees a cancellation requested from another
 * thread while the fiber computes, before any blocking call; the next blocking call then
 * delivers -ECANCELED and the flag is clear again. */
#include "mini_kernel.h"

static mk_fiber *spinner;
static _Atomic int spinning;

static intptr_t report_id(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_yield(), 0);
    return (intptr_t)thredo_current();
}

static intptr_t compute(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_cancelled(), 0);
    atomic_store(&spinning, 1);
    int64_t t0 = test_now_ns();
    while (!thredo_cancelled()) /* a long computation that polls */
        CHECK(test_now_ns() - t0 < 10LL * 1000000000);
    int r = thredo_yield();
    CHECK_EQ(thredo_cancelled(), 0);
    return r;
}

static void *cancel_later(void *unused)
{
    (void)unused;
    while (!atomic_load(&spinning)) {}
    test_sleep_ms(20);
    mk_cancel(spinner);
    return NULL;
}

int main(void)
{
    mini_kernel k;
    mk_init(&k);
    mk_fiber *a = mk_spawn(&k, report_id, 0, 0, 7);
    mk_fiber *b = mk_spawn(&k, report_id, 0, 0, 123456789012345LL);
    spinner = mk_spawn(&k, compute, 0, 0, 3);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, cancel_later, NULL), 0);
    mk_run(&k);
    pthread_join(t, NULL);
    CHECK_EQ(a->result, 7);
    CHECK_EQ((int64_t)b->result, 123456789012345LL);
    CHECK_EQ(spinner->result, -ECANCELED);
    CHECK_EQ(thredo_current(), 0);
    mk_destroy(&k);
    return 0;
}
