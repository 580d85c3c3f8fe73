/* Property: code on a fiber runs with the ABI's 16-byte stack alignment, at entry
 * and after switches (SSE spills and libc's aligned moves depend on it). */
#include "test_util.h"

static __attribute__((noinline)) int aligned_here(void)
{
    _Alignas(16) volatile char probe[16]; /* the compiler trusts rsp; no realignment */
    probe[0] = 0;
    int ok = ((uintptr_t)probe % 16) == 0;
#if !defined(_WIN32)
    /* with a frame pointer pushed on a correctly aligned entry, it is 16-aligned */
    ok = ok && ((uintptr_t)__builtin_frame_address(0) % 16) == 0;
#endif
    return ok;
}

static intptr_t fiber(intptr_t unused)
{
    (void)unused;
    CHECK(aligned_here());
    for (int i = 0; i < 3; i++) {
        thredo_fiber_yield(0);
        CHECK(aligned_here());
    }
    return 1;
}

int main(void)
{
    CHECK(aligned_here()); /* the check itself holds on the main stack */
    thredo_fiber *f;
    CHECK_EQ(thredo_fiber_create(fiber, 0, 0, &f), 0);
    int rc;
    while ((rc = thredo_fiber_resume(f, 0, NULL)) == 0) {}
    CHECK_EQ(rc, 1);
    thredo_fiber_destroy(f);
    return 0;
}
