/* Property: the baton passes between two OS threads 100,000 times each way with no
 * lost or doubled hand-off: each side sees the shared counter exactly where its
 * turn says it must be, and both count every turn. */
#include "test_util.h"

#define HANDOFFS 100000

static thredo_parker *pa, *pb;
static long long ticks;     /* written only by the baton holder */
static long long turns_b;

static void *side_b(void *unused)
{
    (void)unused;
    CHECK_EQ(thredo_parker_wait(pb, -1), 0);
    for (long long i = 0; i < HANDOFFS; i++) {
        CHECK_EQ(ticks, 2 * i + 1);
        ticks++;
        turns_b++;
        if (i + 1 < HANDOFFS)
            CHECK_EQ(thredo_baton_switch(pb, pa), 0);
        else
            CHECK_EQ(thredo_parker_wake(pa), 0); /* last turn: hand back and leave */
    }
    return NULL;
}

int main(void)
{
    CHECK_EQ(thredo_parker_create(50, &pa), 0);
    CHECK_EQ(thredo_parker_create(50, &pb), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, side_b, NULL), 0);
    long long turns_a = 0;
    for (long long i = 0; i < HANDOFFS; i++) {
        CHECK_EQ(ticks, 2 * i);
        ticks++;
        turns_a++;
        CHECK_EQ(thredo_baton_switch(pa, pb), 0);
    }
    pthread_join(t, NULL);
    CHECK_EQ(turns_a, HANDOFFS);
    CHECK_EQ(turns_b, HANDOFFS);
    CHECK_EQ(ticks, 2 * HANDOFFS);
    CHECK_EQ(thredo_parker_wait(pa, 0), -ETIMEDOUT); /* no stray permit left */
    thredo_parker_destroy(pa);
    thredo_parker_destroy(pb);
    return 0;
}
