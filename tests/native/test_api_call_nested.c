/* Property: thredo_call_nested calls the managed dispatch directly on the fiber's stack
 * exactly when a dispatch is set and the fiber's stack lies below the frame of the
 * thredo_fiber_resume that runs it; otherwise it falls back to a CALL request served by
 * the kernel. The result comes back the same way in every case.
 *
 * Arrangement: the fiber starts on the main thread, then its kernel moves to a thread
 * whose stack we place (mmap with an address hint) above the fiber's stack (nested) or
 * below it (fallback). Where the hint cannot be honoured (or on Windows, where a thread's
 * stack cannot be placed) the test still checks that the path taken matches the actual
 * address order, and says which case it could not arrange. */
#include "mini_kernel.h"

#if !defined(_WIN32)
#  include <sys/mman.h>
#endif

#define CB 5

static volatile uintptr_t fiber_sp;   /* a frame near the top of the fiber's stack */
static int dispatch_calls, dispatch_on_fiber;
static uintptr_t dispatch_sp;

static int64_t dispatch(int64_t callback, int64_t argument, int32_t *status)
{
    dispatch_calls++;
    dispatch_sp = (uintptr_t)__builtin_frame_address(0);
    dispatch_on_fiber = thredo_fiber_current() != NULL;
    if (callback != CB) {
        *status = -ENOENT;
        return 0;
    }
    *status = 0;
    return argument * 3;
}

static int64_t kernel_triple(int64_t argument) { return argument * 3; }

static intptr_t entry(intptr_t unused)
{
    (void)unused;
    fiber_sp = (uintptr_t)__builtin_frame_address(0);
    CHECK_EQ(thredo_yield(), 0); /* the kernel moves to the runner thread here */
    int64_t r = 0;
    CHECK_EQ(thredo_call_nested(CB, 14, &r), 0);
    CHECK_EQ(r, 42);
    return 1;
}

struct runner {
    mini_kernel *k;
    uintptr_t sp;
};

static void *run_kernel(void *p)
{
    struct runner *r = p;
    r->sp = (uintptr_t)__builtin_frame_address(0);
    mk_run(r->k);
    return NULL;
}

/* Returns 1 if the call ran nested. *runner_above: the runner's stack was above the fiber's. */
static int run_case(int with_dispatch, void *stack, size_t size, int *runner_above)
{
    thredo_set_managed_dispatch(with_dispatch ? dispatch : NULL);
    dispatch_calls = dispatch_on_fiber = 0;
    mini_kernel k;
    mk_init(&k);
    k.calls[CB] = kernel_triple;
    mk_fiber *m = mk_spawn(&k, entry, 0, 64 * 1024, 1);
    k.run_head = k.run_tail = NULL; /* the first step by hand, on this thread */
    intptr_t out = 0;
    CHECK_EQ(thredo_fiber_resume(m->f, 0, &out), 0);
    mk_serve(&k, m, (thredo_request *)out);

    struct runner r = { &k, 0 };
    pthread_attr_t attr;
    pthread_attr_init(&attr);
#if !defined(_WIN32)
    if (stack)
        CHECK_EQ(pthread_attr_setstack(&attr, stack, size), 0);
#else
    (void)stack;
    (void)size;
#endif
    pthread_t t;
    CHECK_EQ(pthread_create(&t, &attr, run_kernel, &r), 0);
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    CHECK_EQ(m->result, 1);
    *runner_above = r.sp > fiber_sp;
    int nested = dispatch_calls == 1;
    CHECK_EQ(dispatch_calls + k.served[THREDO_REQ_CALL], 1); /* exactly one path */
    if (nested) {
        CHECK(dispatch_on_fiber);
        CHECK(dispatch_sp < fiber_sp && fiber_sp - dispatch_sp < 64 * 1024); /* on its stack */
    }
    mk_destroy(&k);
    return nested;
}

#if !defined(_WIN32)
/* A 1 MiB thread stack near `hint`, or NULL. */
static void *stack_near(uintptr_t hint)
{
    void *p = mmap((void *)(hint & ~(uintptr_t)0xffff), 1 << 20, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
#endif

int main(void)
{
    int above = 0, arranged_above = 0, arranged_below = 0;

    /* no dispatch set: always the kernel path */
    CHECK_EQ(run_case(0, NULL, 0, &above), 0);

#if !defined(_WIN32)
    /* learn where fiber stacks go (the pool hands the same stack back) */
    uintptr_t where = fiber_sp;
    void *hi = stack_near(where + ((uintptr_t)64 << 20));
    void *lo = stack_near(where - ((uintptr_t)64 << 20));
    if (hi) {
        int nested = run_case(1, hi, 1 << 20, &above);
        printf("runner stack %p, fiber stack near %p: runner %s -> %s\n", hi, (void *)fiber_sp,
               above ? "above" : "below", nested ? "nested" : "fallback");
        CHECK_EQ(nested, above);
        arranged_above = above;
    }
    if (lo) {
        int nested = run_case(1, lo, 1 << 20, &above);
        printf("runner stack %p, fiber stack near %p: runner %s -> %s\n", lo, (void *)fiber_sp,
               above ? "above" : "below", nested ? "nested" : "fallback");
        CHECK_EQ(nested, above);
        arranged_below = !above;
    }
#endif
    /* the default thread stack, whichever side it lands on */
    int nested = run_case(1, NULL, 0, &above);
    printf("default thread stack: runner %s -> %s\n", above ? "above" : "below",
           nested ? "nested" : "fallback");
    CHECK_EQ(nested, above);
    arranged_above |= above;
    arranged_below |= !above;
    if (!arranged_above)
        printf("note: could not place a runner stack above the fiber stack; nested path unchecked\n");
    if (!arranged_below)
        printf("note: could not place a runner stack below the fiber stack; fallback-by-address unchecked\n");
#if !defined(_WIN32)
    CHECK(arranged_above && arranged_below);
#endif
    return 0;
}
