/* Property: values travel both ways on every switch: resume(value) is what the
 * pending yield returns, yield(value) is what resume hands back, many times over. */
#include "test_util.h"

#define ROUNDS 100000

static intptr_t echo_plus_one(intptr_t arg)
{
    CHECK_EQ(arg, 1000);
    intptr_t v = thredo_fiber_yield(arg + 1); /* first yield: argument + 1 */
    for (int i = 0; i < ROUNDS; i++)
        v = thredo_fiber_yield(v * 2 + 1);
    return v - 7;
}

int main(void)
{
    thredo_fiber *f;
    CHECK_EQ(thredo_fiber_create(echo_plus_one, 1000, 0, &f), 0);
    intptr_t out = 0;
    CHECK_EQ(thredo_fiber_resume(f, 12345 /* ignored: first resume */, &out), 0);
    CHECK_EQ(out, 1001);
    for (intptr_t i = 0; i < ROUNDS; i++) {
        CHECK_EQ(thredo_fiber_resume(f, i, &out), 0);
        CHECK_EQ(out, i * 2 + 1);
    }
    CHECK_EQ(thredo_fiber_resume(f, 50, &out), 1);
    CHECK_EQ(out, 43);
    thredo_fiber_destroy(f);
    printf("%d round trips ok (switch: %s)\n", ROUNDS, thredo_switch_kind());
    return 0;
}
