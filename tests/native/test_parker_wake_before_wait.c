/* Property: a wake that comes before the wait is not lost: the wait consumes it at
 * once; wakes coalesce into one permit; the permit is consumed exactly once. */
#include "test_util.h"

int main(void)
{
    thredo_parker *p;
    CHECK_EQ(thredo_parker_create(0, &p), 0);
    CHECK_EQ(thredo_parker_wake(p), 0);
    int64_t t0 = test_now_ns();
    CHECK_EQ(thredo_parker_wait(p, -1), 0); /* would hang forever if lost */
    CHECK(test_now_ns() - t0 < 1000000000LL);
    CHECK_EQ(thredo_parker_wait(p, 0), -ETIMEDOUT); /* consumed */

    CHECK_EQ(thredo_parker_wake(p), 0);
    CHECK_EQ(thredo_parker_wake(p), 0);
    CHECK_EQ(thredo_parker_wait(p, 0), 0);
    CHECK_EQ(thredo_parker_wait(p, 0), -ETIMEDOUT); /* two wakes, one permit */

    thredo_parker_set_spin(p, 1000); /* the spinning path consumes it as well */
    CHECK_EQ(thredo_parker_wake(p), 0);
    CHECK_EQ(thredo_parker_wait(p, -1), 0);
    thredo_parker_destroy(p);
    return 0;
}
