/* Property: a wait with nothing ready returns 0 events after its timeout and never
 * before it (only the lower bound is checked). */
#include "test_util.h"

int main(void)
{
    thredo_poller *p;
    thredo_poll_event ev[4];
    CHECK_EQ(thredo_poller_create(&p), 0);
    for (int i = 0; i < 3; i++) {
        int64_t t0 = test_now_ns();
        CHECK_EQ(thredo_poller_wait(p, ev, 4, 20 * 1000000LL), 0);
        int64_t took = test_now_ns() - t0;
        printf("20 ms poller wait took %.2f ms\n", took / 1e6);
        CHECK(took >= 20 * 1000000LL);
    }
    int64_t t0 = test_now_ns();
    CHECK_EQ(thredo_poller_wait(p, ev, 4, 0), 0); /* 0 = poll */
    CHECK(test_now_ns() - t0 < 1000000000LL);
    thredo_poller_destroy(p);
    return 0;
}
