/* Property: sleep, usleep, nanosleep and clock_nanosleep (relative and absolute) in a
 * hooked library suspend the native fiber (all five sleep at once on one thread, each a
 * SLEEP request) and sleep at least as long as asked; a cancelled sleep fails with
 * ECANCELED and reports the time left. */
#include "hook_test.h"

static hook_target t;
static mk_fiber *victim;

static intptr_t sleeper(intptr_t which)
{
    int64_t t0 = test_now_ns();
    struct timespec d = { 0, 50 * 1000000 };
    switch (which) {
    case 0: CHECK_EQ(t.usleep(50000), 0); break;
    case 1: CHECK_EQ(t.nanosleep(&d, NULL), 0); break;
    case 2: CHECK_EQ(t.clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL), 0); break;
    case 3: {
        struct timespec at;
        clock_gettime(CLOCK_MONOTONIC, &at);
        at.tv_nsec += 50 * 1000000;
        if (at.tv_nsec >= 1000000000) {
            at.tv_sec++;
            at.tv_nsec -= 1000000000;
        }
        CHECK_EQ(t.clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL), 0);
        break;
    }
    default: CHECK_EQ(t.sleep(1), 0u); break;
    }
    int64_t slept = test_now_ns() - t0;
    CHECK(slept >= (which == 4 ? 1000 : 50) * 1000000LL);
    return which;
}

static intptr_t long_sleep(intptr_t unused)
{
    (void)unused;
    struct timespec d = { 10, 0 }, rem = { 0, 0 };
    errno = 0;
    CHECK_EQ(t.nanosleep(&d, &rem), -1);
    CHECK_EQ(errno, ECANCELED);
    CHECK(rem.tv_sec >= 5);   /* cancelled after ~20 ms of 10 s */
    struct timespec bad = { 0, 1000000000 };
    CHECK_EQ(t.nanosleep(&bad, NULL), -1);
    CHECK_EQ(errno, EINVAL);
    return 7;
}

static intptr_t canceller(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_sleep_ms(20), 0);
    mk_cancel(victim);
    return 8;
}

int main(void)
{
    ht_open(&t, HOOK_TARGET, 1);
    mini_kernel k;
    mk_init(&k);
    mk_fiber *s[5];
    for (int i = 0; i < 5; i++)
        s[i] = mk_spawn(&k, sleeper, i, 0, i + 1);
    victim = mk_spawn(&k, long_sleep, 0, 0, 6);
    mk_fiber *c = mk_spawn(&k, canceller, 0, 0, 7);
    mk_run(&k);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(s[i]->result, i);
    CHECK_EQ(victim->result, 7);
    CHECK_EQ(c->result, 8);
    /* five hooked sleeps, one cancelled hooked sleep, the canceller's own */
    CHECK_EQ(k.served[THREDO_REQ_SLEEP], 7);
    mk_destroy(&k);
    return 0;
}
