/*
 * fiber.c: the platform-independent half of thredo_fiber_*.
 *
 * A fiber is resumed by a host thread and yields back to it; the switch itself
 * (registers, stacks) is the backend's job (switch_asm.c, switch_ucontext.c,
 * switch_winfiber.c). This file owns the state machine, the thread-local "current
 * fiber", result delivery, and telling AddressSanitizer which stack is live.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#if defined(THREDO_ASAN)
#  include <sanitizer/asan_interface.h>
#  include <sanitizer/common_interface_defs.h>
#endif

#define THREDO_DEFAULT_STACK (64u * 1024u)

/* The fiber running on this thread; NULL on the host side. initial-exec: the
 * default model for a shared library calls __tls_get_addr on every access, which
 * is a third of a switch; 8 bytes fit the static TLS surplus glibc keeps for
 * dlopen'ed libraries. */
#if defined(__GNUC__) && !defined(_WIN32)
static _Thread_local thredo_fiber *tl_current __attribute__((tls_model("initial-exec")));
#else
static _Thread_local thredo_fiber *tl_current;
#endif

const char *thredo_switch_kind(void)
{
    return thredo_switch_name;
}

int thredo_fiber_create(thredo_fiber_fn entry, intptr_t argument, size_t stack_size,
                        thredo_fiber **out)
{
    if (!entry || !out)
        return -EINVAL;
    if (stack_size == 0)
        stack_size = THREDO_DEFAULT_STACK;
    thredo_fiber *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->entry = entry;
    f->argument = argument;
    f->state = THREDO_FIBER_NEW;
    f->stack_size = stack_size;
    if (thredo_switch_uses_stack) {
        int rc = thredo_stack_alloc(stack_size, &f->stack);
        if (rc < 0) {
            free(f);
            return rc;
        }
#if defined(THREDO_ASAN)
        /* A pooled stack still carries the poisoned redzones of frames that never
         * returned on it (a fiber's first frame never does). */
        ASAN_UNPOISON_MEMORY_REGION(thredo_stack_base(f->stack), thredo_stack_size(f->stack));
#endif
    }
    int rc = thredo_switch_init(f);
    if (rc < 0) {
        thredo_stack_free(f->stack);
        free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int thredo_fiber_resume(thredo_fiber *fiber, intptr_t value, intptr_t *out)
{
    if (!fiber || fiber->state == THREDO_FIBER_FINISHED || fiber->state == THREDO_FIBER_RUNNING)
        return -EINVAL;
    if (tl_current)
        return -EDEADLK; /* nesting would make yield ambiguous; resume from the host */
    fiber->state = THREDO_FIBER_RUNNING;
    /* Where this resume sits on the host stack: everything the host keeps (the kernel's
     * P/Invoke frame included) is at or above it. thredo_call_nested needs it. */
    fiber->resume_frame = __builtin_frame_address(0);
    tl_current = fiber;
#if defined(THREDO_ASAN)
    void *host_fake_stack = NULL;
    __sanitizer_start_switch_fiber(&host_fake_stack,
                                   fiber->stack ? thredo_stack_base(fiber->stack) : NULL,
                                   fiber->stack ? thredo_stack_size(fiber->stack) : 0);
#endif
    intptr_t result = thredo_switch_into(fiber, value);
#if defined(THREDO_ASAN)
    __sanitizer_finish_switch_fiber(host_fake_stack, NULL, NULL);
#endif
    tl_current = NULL;
    if (out)
        *out = result;
    if (fiber->state == THREDO_FIBER_FINISHED)
        return 1;
    fiber->state = THREDO_FIBER_SUSPENDED;
    return 0;
}

intptr_t thredo_fiber_yield(intptr_t value)
{
    thredo_fiber *f = tl_current;
    if (!f)
        THREDO_FATAL("thredo_fiber_yield called off a native fiber");
#if defined(THREDO_ASAN)
    __sanitizer_start_switch_fiber(&f->asan_fake_stack, f->asan_host_bottom, f->asan_host_size);
#endif
    intptr_t resumed_with = thredo_switch_out(f, value);
#if defined(THREDO_ASAN)
    /* The host may resume us from a different stack depth: relearn its bounds. */
    __sanitizer_finish_switch_fiber(f->asan_fake_stack, &f->asan_host_bottom, &f->asan_host_size);
#endif
    return resumed_with;
}

void thredo_fiber_main(thredo_fiber *f)
{
#if defined(THREDO_ASAN)
    __sanitizer_finish_switch_fiber(NULL, &f->asan_host_bottom, &f->asan_host_size);
#endif
    intptr_t result = f->entry(f->argument);
    f->state = THREDO_FIBER_FINISHED;
#if defined(THREDO_ASAN)
    /* NULL: this stack is never returned to, so ASan may drop its fake frames. */
    __sanitizer_start_switch_fiber(NULL, f->asan_host_bottom, f->asan_host_size);
#endif
    thredo_switch_out(f, result);
    THREDO_FATAL("finished native fiber %p (entry %p) was switched into again",
                 (void *)f, (void *)(uintptr_t)f->entry);
}

void thredo_fiber_fell_off(thredo_fiber *f)
{
    THREDO_FATAL("native fiber %p (entry %p) returned past the end of its stack",
                 (void *)f, f ? (void *)(uintptr_t)f->entry : NULL);
}

thredo_fiber *thredo_fiber_current(void)
{
    return tl_current;
}

int thredo_fiber_is_finished(const thredo_fiber *fiber)
{
    return fiber && fiber->state == THREDO_FIBER_FINISHED;
}

void thredo_fiber_destroy(thredo_fiber *fiber)
{
    if (!fiber)
        return;
    if (fiber->state == THREDO_FIBER_RUNNING)
        THREDO_FATAL("native fiber %p destroyed while running (from itself?)", (void *)fiber);
    thredo_switch_release(fiber);
    thredo_stack_free(fiber->stack);
    free(fiber);
}
