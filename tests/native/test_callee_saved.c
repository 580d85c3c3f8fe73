/* Property: callee-saved registers survive a switch in both directions. The host
 * pins patterns in its callee-saved registers across resume while the fiber
 * scribbles over every one of them before it yields; then the roles swap. Built
 * with -O2 so the values really live in registers. */
#include "test_util.h"

#if defined(__x86_64__)
#  define SCRIBBLE()                                                            \
    __asm__ __volatile__("mov $-1, %%rbx\n\tmov $-1, %%r12\n\tmov $-1, %%r13\n\t" \
                         "mov $-1, %%r14\n\tmov $-1, %%r15\n\t" ::                \
                             : "rbx", "r12", "r13", "r14", "r15", "memory")
#elif defined(__aarch64__)
#  define SCRIBBLE()                                                            \
    __asm__ __volatile__("mov x19, #-1\n\tmov x20, #-1\n\tmov x21, #-1\n\t"      \
                         "mov x22, #-1\n\tmov x23, #-1\n\tmov x24, #-1\n\t"      \
                         "mov x25, #-1\n\tmov x26, #-1\n\tmov x27, #-1\n\t"      \
                         "mov x28, #-1\n\tfmov d8, xzr\n\tfmov d9, xzr\n\t"      \
                         "fmov d10, xzr\n\tfmov d11, xzr\n\tfmov d12, xzr\n\t"   \
                         "fmov d13, xzr\n\tfmov d14, xzr\n\tfmov d15, xzr\n\t" :: \
                             : "x19", "x20", "x21", "x22", "x23", "x24", "x25",  \
                               "x26", "x27", "x28", "d8", "d9", "d10", "d11",    \
                               "d12", "d13", "d14", "d15", "memory")
#else
#  error "test_callee_saved: add registers for this architecture"
#endif

/* Make six values live in registers across `op`: at -O2 the compiler can only keep
 * them in callee-saved registers (rbx, rbp, r12-r15 / x19-x28) or spill them, so a
 * switch that loses one of those registers changes a value. (Local register
 * variables would not do: GCC does not reserve their registers around a call.) */
#define PINNED_CALL(seed, op)                                                   \
    do {                                                                        \
        uint64_t v1_ = (seed) ^ 0x1111, v2_ = (seed) ^ 0x2222, v3_ = (seed) ^ 0x3333; \
        uint64_t v4_ = (seed) ^ 0x4444, v5_ = (seed) ^ 0x5555, v6_ = (seed) ^ 0x6666; \
        __asm__ __volatile__("" : "+r"(v1_), "+r"(v2_), "+r"(v3_), "+r"(v4_), "+r"(v5_), "+r"(v6_)); \
        op;                                                                     \
        __asm__ __volatile__("" : "+r"(v1_), "+r"(v2_), "+r"(v3_), "+r"(v4_), "+r"(v5_), "+r"(v6_)); \
        CHECK(v1_ == ((seed) ^ 0x1111) && v2_ == ((seed) ^ 0x2222) &&            \
              v3_ == ((seed) ^ 0x3333) && v4_ == ((seed) ^ 0x4444) &&            \
              v5_ == ((seed) ^ 0x5555) && v6_ == ((seed) ^ 0x6666));             \
    } while (0)

static intptr_t fiber(intptr_t rounds)
{
    for (intptr_t i = 0; i < rounds; i++) {
        /* fiber side keeps values across its yield... */
        PINNED_CALL((uint64_t)i * 0x9e3779b97f4a7c15ull, thredo_fiber_yield(0));
        /* ...and leaves garbage in every callee-saved register for the host */
        SCRIBBLE();
        thredo_fiber_yield(1);
    }
    return 0;
}

int main(void)
{
    thredo_fiber *f;
    CHECK_EQ(thredo_fiber_create(fiber, 1000, 0, &f), 0);
    intptr_t out;
    static volatile int rc; /* memory, so it takes no pinned register */
    for (uint64_t i = 0; rc == 0; i++) {
        /* host side keeps values across resume; the resume may come back with
         * the fiber having scribbled its registers */
        PINNED_CALL(i * 0xc2b2ae3d27d4eb4full, rc = thredo_fiber_resume(f, 0, &out));
        SCRIBBLE(); /* and the fiber's pinned values must survive the host's garbage */
    }
    CHECK_EQ(rc, 1);
    thredo_fiber_destroy(f);
    return 0;
}
