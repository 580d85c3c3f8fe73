/* Property: a fiber whose entry returns is finished, its result is delivered through
 * resume's `out`, and resuming it again is -EINVAL instead of running off its end. */
#include "test_util.h"

static intptr_t returns_after_one_yield(intptr_t arg)
{
    thredo_fiber_yield(7);
    return arg * 3;
}

int main(void)
{
    thredo_fiber *f;
    intptr_t out = 0;
    CHECK_EQ(thredo_fiber_create(returns_after_one_yield, 14, 0, &f), 0);
    CHECK_EQ(thredo_fiber_is_finished(f), 0);
    CHECK_EQ(thredo_fiber_resume(f, 0, &out), 0);
    CHECK_EQ(out, 7);
    CHECK_EQ(thredo_fiber_is_finished(f), 0);
    CHECK_EQ(thredo_fiber_resume(f, 0, &out), 1);
    CHECK_EQ(out, 42);
    CHECK_EQ(thredo_fiber_is_finished(f), 1);
    out = -1;
    CHECK_EQ(thredo_fiber_resume(f, 0, &out), -EINVAL);
    CHECK_EQ(out, -1); /* untouched on error */
    thredo_fiber_destroy(f);
    return 0;
}
