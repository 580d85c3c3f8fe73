/*
 * switch_winfiber.c: the switch backend over Windows Fibers.
 *
 * Windows Fibers allocate and guard their own stacks and keep CET shadow stacks,
 * exception chains and the TEB stack limits right, which hand-written assembly on
 * Windows would have to redo. The cost is one kernel32 call per switch (~50 ns).
 *
 * A thread must itself be a fiber before it can switch to one: the host converts on
 * its first resume, and converts back once it holds no suspended fiber, so a thread
 * that stops using Thredo does not keep its fiber data.
 */
#if !defined(_WIN32)
#error "switch_winfiber.c is for Windows only"
#elif !defined(__x86_64__)
#error "switch_winfiber.c: FP control save/restore is written for x86-64 only"
#endif

#include "internal.h"

#include <errno.h>
#include <windows.h>

const char thredo_switch_name[] = "winfiber";
const int thredo_switch_uses_stack = 0;

/* Per host thread: whether Thredo converted it, and how many fibers it resumed
 * are suspended (not finished) right now. */
static _Thread_local int tl_converted;
static _Thread_local long tl_suspended;

/* FIBER_FLAG_FLOAT_SWITCH should keep MXCSR and the x87 control word per fiber, but
 * Wine ignores it; saving them around each switch ourselves costs a few cycles and
 * gives the same per-fiber rounding modes everywhere (like the asm switch). */
typedef struct { uint32_t mxcsr; uint16_t x87_cw; } fp_control;

static inline fp_control fp_save(void)
{
    fp_control c;
    __asm__ __volatile__("stmxcsr %0\n\tfnstcw %1" : "=m"(c.mxcsr), "=m"(c.x87_cw));
    return c;
}

static inline void fp_restore(fp_control c)
{
    __asm__ __volatile__("ldmxcsr %0\n\tfldcw %1" :: "m"(c.mxcsr), "m"(c.x87_cw));
}

static VOID CALLBACK trampoline(LPVOID param)
{
    thredo_fiber *f = param;
    thredo_fiber_main(f);
    thredo_fiber_fell_off(f); /* returning from a fiber routine exits the thread */
}

int thredo_switch_init(thredo_fiber *f)
{
    /* FLOAT_SWITCH: keep MXCSR and the x87 control word per fiber, like the asm. */
    LPVOID h = CreateFiberEx(0, f->stack_size, FIBER_FLAG_FLOAT_SWITCH, trampoline, f);
    if (!h)
        return GetLastError() == ERROR_NOT_ENOUGH_MEMORY ? -ENOMEM : -EINVAL;
    f->ctx = h;
    return 0;
}

void thredo_switch_release(thredo_fiber *f)
{
    if (f->host_counted && f->host_ctx == GetCurrentFiber() && tl_suspended > 0)
        tl_suspended--;
    if (f->ctx)
        DeleteFiber(f->ctx);
    f->ctx = NULL;
}

intptr_t thredo_switch_into(thredo_fiber *f, intptr_t value)
{
    if (!IsThreadAFiber()) {
        if (!ConvertThreadToFiberEx(NULL, FIBER_FLAG_FLOAT_SWITCH))
            THREDO_FATAL("ConvertThreadToFiberEx failed (error %lu)", GetLastError());
        tl_converted = 1;
    }
    f->host_ctx = GetCurrentFiber();
    /* fiber.c set RUNNING already; a fiber that was suspended is counted here */
    if (f->host_counted) {
        f->host_counted = 0;
        tl_suspended--;
    }
    f->transfer = value;
    fp_control mine = fp_save();
    SwitchToFiber(f->ctx);
    fp_restore(mine);
    if (f->state != THREDO_FIBER_FINISHED) {
        f->host_counted = 1;
        tl_suspended++;
    } else if (tl_converted && tl_suspended == 0) {
        ConvertFiberToThread();
        tl_converted = 0;
    }
    return f->transfer;
}

intptr_t thredo_switch_out(thredo_fiber *f, intptr_t value)
{
    f->transfer = value;
    fp_control mine = fp_save();
    SwitchToFiber(f->host_ctx);
    fp_restore(mine);
    return f->transfer;
}
