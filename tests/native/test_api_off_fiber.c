/* Property: every thredo.h call made off a native fiber returns -EPERM without touching
 * its arguments, and thredo_current / thredo_cancelled return 0. */
#include "mini_kernel.h"

int main(void)
{
    char buf[4] = "abc";
    int64_t r = 99;
    CHECK(thredo_fiber_current() == NULL);
    CHECK_EQ(thredo_read(0, buf, sizeof buf), -EPERM);
    CHECK_EQ(thredo_write(1, buf, sizeof buf), -EPERM);
    CHECK_EQ(thredo_connect(0, buf, sizeof buf), -EPERM);
    CHECK_EQ(thredo_sleep_ms(1), -EPERM);
    CHECK_EQ(thredo_sleep_ms(-1), -EPERM);
    CHECK_EQ(thredo_sleep_ms(0), -EPERM);
    CHECK_EQ(thredo_yield(), -EPERM);
    CHECK_EQ(thredo_timeout_push(10), -EPERM);
    CHECK_EQ(thredo_timeout_pop(), -EPERM);
    CHECK_EQ(thredo_call_managed(1, 2, &r), -EPERM);
    CHECK_EQ(thredo_call_nested(1, 2, &r), -EPERM);
    CHECK_EQ(r, 99);
    CHECK(strcmp(buf, "abc") == 0);
    CHECK_EQ(thredo_current(), 0);
    CHECK_EQ(thredo_cancelled(), 0);
    return 0;
}
