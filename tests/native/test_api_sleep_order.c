/* Property: thredo_sleep_ms suspends each fiber for at least its time, so fibers
 * sleeping different times (spawned in the opposite order) finish in order of time;
 * 0 is a yield and a negative time is -EINVAL. */
#include "mini_kernel.h"

static int order[8], norder;
static int64_t t0;

static intptr_t sleeper(intptr_t ms)
{
    int64_t start = test_now_ns();
    CHECK_EQ(thredo_sleep_ms(ms), 0);
    int64_t slept = test_now_ns() - start;
    CHECK(slept >= (int64_t)ms * 1000000);
    order[norder++] = (int)ms;
    return 0;
}

static intptr_t edge_cases(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_sleep_ms(-1), -EINVAL);
    CHECK_EQ(thredo_sleep_ms(0), 0);
    return 0;
}

int main(void)
{
    static const int ms[] = { 50, 40, 30, 20, 10, 5 };
    mini_kernel k;
    mk_init(&k);
    t0 = test_now_ns();
    for (int i = 0; i < 6; i++)
        mk_spawn(&k, sleeper, ms[i], 0, i + 1);
    mk_spawn(&k, edge_cases, 0, 0, 7);
    mk_run(&k);
    printf("finished in order:");
    for (int i = 0; i < norder; i++)
        printf(" %d", order[i]);
    printf(" (total %.1f ms)\n", (test_now_ns() - t0) / 1e6);
    CHECK_EQ(norder, 6);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(order[i], ms[5 - i]);
    CHECK_EQ(k.served[THREDO_REQ_SLEEP], 6);
    CHECK_EQ(k.served[THREDO_REQ_YIELD], 1);
    mk_destroy(&k);
    return 0;
}
