/*
 * internal.h: what the parts of thredo_native share and nothing else exports.
 *
 * The fiber object and the switch backend interface live here so that fiber.c
 * (platform-independent state machine) and one switch_*.c / asm file (the register
 * work) can be compiled separately and chosen by CMake.
 */
#ifndef THREDO_INTERNAL_H
#define THREDO_INTERNAL_H

#include "thredo_native.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken internal invariant: name the place and stop. Never used for failures a
 * caller can cause or recover from (those return a negative errno). */
#define THREDO_FATAL(...)                                                     \
    do {                                                                      \
        fprintf(stderr, "thredo_native: fatal at %s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        fflush(stderr);                                                       \
        abort();                                                              \
    } while (0)

#if defined(__SANITIZE_ADDRESS__)
#  define THREDO_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define THREDO_ASAN 1
#  endif
#endif

/* Lifecycle of a native fiber; only its host thread changes it. */
enum thredo_fiber_state {
    THREDO_FIBER_NEW = 0,   /* created, never resumed */
    THREDO_FIBER_SUSPENDED, /* yielded, waiting for resume */
    THREDO_FIBER_RUNNING,   /* on some thread's CPU right now */
    THREDO_FIBER_FINISHED,  /* entry returned; result delivered */
};

struct thredo_fiber {
    thredo_fiber_fn entry;  /* the C function the fiber runs */
    intptr_t argument;      /* handed to entry on the first resume */
    intptr_t transfer;      /* value in flight across a switch (non-asm backends) */
    int state;              /* enum thredo_fiber_state */
    thredo_stack *stack;    /* guard-paged stack; NULL for Windows Fibers (own stack) */
    size_t stack_size;      /* requested usable size (Windows Fibers reserve this) */
    void *ctx;              /* backend: saved SP (asm), ucontext_t* or fiber HANDLE */
    void *host_ctx;         /* backend: where yield returns to (host SP / ucontext / fiber) */
    int host_counted;       /* backend (winfiber): counted as suspended on its host thread */
    int64_t id;             /* kernel-side id (thredo_fiber_set_id); thredo_current, messages */
    _Atomic int32_t cancel_pending; /* thredo_fiber_set_cancel_pending; thredo_cancelled */
    const void *resume_frame; /* frame of the thredo_fiber_resume that runs it right now
                                 (host stack); thredo_call_nested compares against it */
#if defined(THREDO_ASAN)
    void *asan_fake_stack;        /* the fiber's fake stack while it is switched out */
    const void *asan_host_bottom; /* host stack bounds, learned on each switch in */
    size_t asan_host_size;
#endif
};

/* ---- switch backend: exactly one of switch_asm.c, switch_ucontext.c,
 * switch_winfiber.c is linked. All run on the host thread or the fiber itself. */

/* "asm", "ucontext" or "winfiber". */
extern const char thredo_switch_name[];
/* Prepare f (stack already set up if the backend uses one) so that the first
 * thredo_switch_into runs thredo_fiber_main(f) on it. 0 or negative errno. */
int thredo_switch_init(thredo_fiber *f);
/* Release what thredo_switch_init acquired. */
void thredo_switch_release(thredo_fiber *f);
/* From the host: run f until it switches out; returns the value it handed back. */
intptr_t thredo_switch_into(thredo_fiber *f, intptr_t value);
/* From f itself: switch back to its host; returns the value of the next resume. */
intptr_t thredo_switch_out(thredo_fiber *f, intptr_t value);
/* Whether the backend runs fibers on a thredo_stack (0 for Windows Fibers). */
extern const int thredo_switch_uses_stack;

/* fiber.c: first C frame on every fiber stack. Never returns. */
void thredo_fiber_main(thredo_fiber *f);
/* fiber.c: reached only if thredo_fiber_main returned; names the fiber and aborts. */
void thredo_fiber_fell_off(thredo_fiber *f);

/* thredo_api.c, for the hooks: from a native fiber, wait until fd is ready for `interest`
 * (one direction) for at most timeout_ms (negative: no limit). 0 ready, 1 the time passed,
 * or the kernel's negative errno (-ECANCELED, -ETIMEDOUT, -EBADF ...). */
int64_t thredo_wait_fd_for(intptr_t fd, uint32_t interest, int64_t timeout_ms);
/* thredo_api.c, for the hooks: from a native fiber, sleep ms >= 0 milliseconds (0 yields).
 * 0 or -ECANCELED / -ETIMEDOUT. */
int64_t thredo_sleep_request(int64_t ms);

#endif /* THREDO_INTERNAL_H */
