/* Property: a fiber can use most (at least 75%) of the stack it asked for: the
 * usable region is really there, committed on demand, not just reserved. */
#include "test_util.h"

#define STACK (256u * 1024u)

static uintptr_t top;      /* address of a local in the first frame */
static size_t deepest;     /* most bytes of stack used so far */

static __attribute__((noinline)) int recurse(int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    frame[511] = (char)depth;
    size_t used = top - (uintptr_t)&frame[0];
    if (used > deepest)
        deepest = used;
    if (used < STACK * 3 / 4 + 1024)
        return recurse(depth + 1) + frame[0] - frame[511]; /* not a tail call */
    return depth;
}

static intptr_t fiber(intptr_t unused)
{
    volatile char here;
    (void)unused;
    top = (uintptr_t)&here;
    return recurse(0);
}

int main(void)
{
    thredo_fiber *f;
    CHECK_EQ(thredo_fiber_create(fiber, 0, STACK, &f), 0);
    intptr_t depth = 0;
    CHECK_EQ(thredo_fiber_resume(f, 0, &depth), 1);
    printf("used %zu of %u bytes in %" PRIdPTR " frames\n", deepest, STACK, depth);
    CHECK(deepest >= STACK * 3 / 4);
    thredo_fiber_destroy(f);
    return 0;
}
