/* Property: try_take consumes a pending permit exactly once and never waits; with
 * no permit it returns 0 at once, so a caller can poll it in a spin loop. */
#include "test_util.h"

int main(void)
{
    thredo_parker *p;
    CHECK_EQ(thredo_parker_create(0, &p), 0);
    CHECK_EQ(thredo_parker_try_take(p), 0); /* nothing pending */
    CHECK_EQ(thredo_parker_wake(p), 0);
    CHECK_EQ(thredo_parker_try_take(p), 1);
    CHECK_EQ(thredo_parker_try_take(p), 0);            /* consumed once */
    CHECK_EQ(thredo_parker_wait(p, 0), -ETIMEDOUT);    /* and not left for a wait */
    CHECK_EQ(thredo_parker_try_take(NULL), 0);
    thredo_parker_destroy(p);
    return 0;
}
