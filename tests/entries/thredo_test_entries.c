/*
 * thredo_test_entries.c: entry points for native fibers created from .NET tests and
 * benchmarks (thredo_fiber_create takes a C function pointer; C# gets these with
 * NativeLibrary.GetExport).
 *
 * The one rule (DESIGN.md): no managed frame is ever suspended on a switched stack.
 * Everything here is plain C and never calls back into managed code.
 */
#include <stdint.h>

#include "thredo_native.h"

#if defined(_WIN32)
#  define ENTRY_API __declspec(dllexport)
#else
#  define ENTRY_API __attribute__((visibility("default")))
#endif

/* Fiber entry: yields forever. The first yield hands back `n`; every later yield hands
 * back (value it was resumed with) + 1. Never finishes: destroy it while suspended. */
ENTRY_API intptr_t thredo_test_yield_loop(intptr_t n)
{
    intptr_t value = n;
    for (;;)
        value = thredo_fiber_yield(value) + 1;
}

/* Fiber entry (or plain function, for a P/Invoke baseline): returns x + 1 at once. */
ENTRY_API intptr_t thredo_test_add_one(intptr_t x)
{
    return x + 1;
}

/* Fiber entry: yields 1, 2, ..., n (the i-th yield hands back i), then returns n.
 * Ignores the values it is resumed with. */
ENTRY_API intptr_t thredo_test_yield_n(intptr_t n)
{
    for (intptr_t i = 1; i <= n; i++)
        (void)thredo_fiber_yield(i);
    return n;
}

/* Fiber entry: returns the sum of the values it is resumed with, stopping after the
 * first resume value of 0 (the argument is the initial sum). Checks that
 * thredo_fiber_yield returns what thredo_fiber_resume passed. */
ENTRY_API intptr_t thredo_test_sum_until_zero(intptr_t initial)
{
    intptr_t sum = initial;
    for (;;) {
        intptr_t v = thredo_fiber_yield(sum);
        if (v == 0)
            return sum;
        sum += v;
    }
}

/* Fiber entry: returns whether thredo_fiber_current() is non-NULL on the fiber
 * (1 expected), after yielding once the same answer. */
ENTRY_API intptr_t thredo_test_current_is_set(intptr_t unused)
{
    (void)unused;
    intptr_t on_fiber = thredo_fiber_current() != NULL;
    (void)thredo_fiber_yield(on_fiber);
    return thredo_fiber_current() != NULL;
}

/* Fiber entry: tries to resume the fiber `other` (a thredo_fiber *) from inside this
 * fiber and returns what thredo_fiber_resume returned (-EDEADLK expected). */
ENTRY_API intptr_t thredo_test_resume_nested(intptr_t other)
{
    intptr_t out = 0;
    return thredo_fiber_resume((thredo_fiber *)other, 0, &out);
}
