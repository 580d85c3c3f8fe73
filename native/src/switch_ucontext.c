/*
 * switch_ucontext.c: the reference switch over getcontext/makecontext/swapcontext.
 *
 * Slow (glibc's swapcontext makes a sigprocmask system call per switch) but written
 * by libc for every architecture, so it is what the assembly is checked against.
 */
#define _GNU_SOURCE /* older glibc hides ucontext behind it */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <ucontext.h>

const char thredo_switch_name[] = "ucontext";
const int thredo_switch_uses_stack = 1;

/* makecontext passes only int arguments, so the pointer travels in two halves. */
static void trampoline(unsigned int hi, unsigned int lo)
{
    uintptr_t p = ((uintptr_t)hi << 16 << 16) | (uintptr_t)lo;
    thredo_fiber *f = (thredo_fiber *)p;
    thredo_fiber_main(f);
    thredo_fiber_fell_off(f);
}

int thredo_switch_init(thredo_fiber *f)
{
    ucontext_t *ctx = calloc(2, sizeof *ctx); /* [0] fiber, [1] its host */
    if (!ctx)
        return -ENOMEM;
    if (getcontext(&ctx[0]) != 0) {
        free(ctx);
        return -errno;
    }
    ctx[0].uc_stack.ss_sp = thredo_stack_base(f->stack);
    ctx[0].uc_stack.ss_size = thredo_stack_size(f->stack);
    ctx[0].uc_link = NULL; /* thredo_fiber_main never returns; trampoline traps */
    uintptr_t p = (uintptr_t)f;
    makecontext(&ctx[0], (void (*)(void))trampoline, 2,
                (unsigned int)(p >> 16 >> 16), (unsigned int)(p & 0xffffffffu));
    f->ctx = &ctx[0];
    f->host_ctx = &ctx[1];
    return 0;
}

void thredo_switch_release(thredo_fiber *f)
{
    free(f->ctx); /* one allocation holds both contexts */
    f->ctx = f->host_ctx = NULL;
}

intptr_t thredo_switch_into(thredo_fiber *f, intptr_t value)
{
    f->transfer = value;
    if (swapcontext(f->host_ctx, f->ctx) != 0)
        THREDO_FATAL("swapcontext into fiber %p failed", (void *)f);
    return f->transfer;
}

intptr_t thredo_switch_out(thredo_fiber *f, intptr_t value)
{
    f->transfer = value;
    if (swapcontext(f->ctx, f->host_ctx) != 0)
        THREDO_FATAL("swapcontext out of fiber %p failed", (void *)f);
    return f->transfer;
}
