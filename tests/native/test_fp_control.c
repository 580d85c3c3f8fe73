/* Property: floating-point control state (rounding mode; MXCSR and the x87 control
 * word on x86-64, FPCR on AArch64) belongs to each fiber: a fiber that changes it
 * leaves its host's untouched, and gets its own back after a round trip. */
#include "test_util.h"

#include <fenv.h>

#if defined(__x86_64__)
static uint32_t mxcsr(void) { uint32_t v; __asm__ __volatile__("stmxcsr %0" : "=m"(v)); return v; }
static uint16_t x87cw(void) { uint16_t v; __asm__ __volatile__("fnstcw %0" : "=m"(v)); return v; }
#endif

static intptr_t fiber(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(fesetround(FE_TOWARDZERO), 0); /* sets both MXCSR and x87 on x86 */
    CHECK_EQ(fegetround(), FE_TOWARDZERO);
#if defined(__x86_64__)
    uint32_t m = mxcsr();
    uint16_t c = x87cw();
#endif
    thredo_fiber_yield(0);
    CHECK_EQ(fegetround(), FE_TOWARDZERO);
#if defined(__x86_64__)
    CHECK_EQ(mxcsr(), m);
    CHECK_EQ(x87cw(), c);
#endif
    return 0;
}

int main(void)
{
    CHECK_EQ(fegetround(), FE_TONEAREST);
#if defined(__x86_64__)
    uint32_t m = mxcsr();
    uint16_t c = x87cw();
#endif
    thredo_fiber *f;
    CHECK_EQ(thredo_fiber_create(fiber, 0, 0, &f), 0);
    CHECK_EQ(thredo_fiber_resume(f, 0, NULL), 0);
    CHECK_EQ(fegetround(), FE_TONEAREST);
#if defined(__x86_64__)
    CHECK_EQ(mxcsr(), m);
    CHECK_EQ(x87cw(), c);
#endif
    CHECK_EQ(fesetround(FE_UPWARD), 0); /* host changes its own while fiber is out */
    CHECK_EQ(thredo_fiber_resume(f, 0, NULL), 1);
    CHECK_EQ(fegetround(), FE_UPWARD);
    fesetround(FE_TONEAREST);
    thredo_fiber_destroy(f);
    return 0;
}
