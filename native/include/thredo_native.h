/*
 * thredo_native.h: the native core of Thredo.
 *
 * Three independent parts, each with an opaque handle:
 *   - native fibers: C code on its own guard-paged stack, switched by hand-written
 *     assembly (x86-64 SysV, AArch64), ucontext (reference), or Windows Fibers;
 *   - the parker/baton: hand execution from one OS thread to another (futex /
 *     WaitOnAddress) without lost wake-ups;
 *   - the poller: epoll (Linux) or an I/O completion port (Windows), with a wake handle.
 *
 * Errors: every function that can fail returns a negative errno-style code
 * (-ENOMEM, -EINVAL, ...) and never aborts. Only a broken internal invariant aborts,
 * naming file and line. Every exported symbol has the `thredo_` prefix.
 */
#ifndef THREDO_NATIVE_H
#define THREDO_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(THREDO_BUILDING)
#    define THREDO_API __declspec(dllexport)
#  else
#    define THREDO_API __declspec(dllimport)
#  endif
#else
#  define THREDO_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------- library */

/* Name of the stack-switch implementation compiled in: "asm", "ucontext" or
 * "winfiber". Static string; any thread. */
THREDO_API const char *thredo_switch_kind(void);

/* ---------------------------------------------------------------- stacks */

typedef struct thredo_stack thredo_stack;

/* Reserve a stack of at least `size` usable bytes (rounded up to pages) with an
 * inaccessible guard page below it; memory is committed lazily by the OS. Freed
 * stacks go to a small per-process pool and are reused for the same size.
 * Returns 0 and *out, or -EINVAL (size 0 or absurd), -ENOMEM. Any thread. */
THREDO_API int thredo_stack_alloc(size_t size, thredo_stack **out);
/* Return a stack to the pool (or the OS). NULL is ignored. Any thread. */
THREDO_API void thredo_stack_free(thredo_stack *stack);
/* Lowest usable address (just above the guard page) and usable size. */
THREDO_API void *thredo_stack_base(const thredo_stack *stack);
THREDO_API size_t thredo_stack_size(const thredo_stack *stack);

/* ---------------------------------------------------------------- native fibers */

typedef struct thredo_fiber thredo_fiber;

/* Entry point of a native fiber: runs on the fiber's stack; its return value is the
 * fiber's result. */
typedef intptr_t (*thredo_fiber_fn)(intptr_t argument);

/* Create a suspended native fiber that will run entry(argument) on a new stack of
 * stack_size bytes (0 means 64 KiB). Returns 0 and *out, or -EINVAL, -ENOMEM. */
THREDO_API int thredo_fiber_create(thredo_fiber_fn entry, intptr_t argument,
                                   size_t stack_size, thredo_fiber **out);

/* Switch from the calling thread into `fiber` until it yields or returns.
 * `value` is what the fiber's pending thredo_fiber_yield() returns (ignored on the
 * first resume). On return *out holds the yielded value or the entry's result.
 * Returns 0 if the fiber yielded, 1 if it has finished, -EINVAL if it is NULL,
 * finished, or already running, or -EDEADLK when called from inside a fiber.
 * The resuming thread is the fiber's host until it yields; resume a fiber from one
 * and the same OS thread always (C code keeps thread-local state). */
THREDO_API int thredo_fiber_resume(thredo_fiber *fiber, intptr_t value, intptr_t *out);

/* From code running on a native fiber: switch back to the thread that resumed it,
 * handing it `value`; returns the value passed to the next thredo_fiber_resume.
 * Calling it off a fiber is a broken invariant and aborts with a message. */
THREDO_API intptr_t thredo_fiber_yield(intptr_t value);

/* The native fiber running on this thread, or NULL. */
THREDO_API thredo_fiber *thredo_fiber_current(void);

/* Whether the fiber has returned from its entry. */
THREDO_API int thredo_fiber_is_finished(const thredo_fiber *fiber);

/* Free a fiber that has finished or was never resumed (its stack goes back to the
 * pool). A fiber suspended mid-run is freed without unwinding its C frames.
 * NULL is ignored. Not from the fiber itself. */
THREDO_API void thredo_fiber_destroy(thredo_fiber *fiber);

/* ---------------------------------------------------------------- parker / baton */

typedef struct thredo_parker thredo_parker;

/* A parker is one OS thread's place to wait for the baton. It holds at most one
 * permit: thredo_parker_wake() gives it, a wait consumes it, so a wake that comes
 * before the wait is never lost.
 * spin: iterations to spin on the permit before sleeping in the kernel (0 = none).
 * Returns 0 and *out, or -ENOMEM. */
THREDO_API int thredo_parker_create(uint32_t spin, thredo_parker **out);
THREDO_API void thredo_parker_destroy(thredo_parker *parker);
/* Change the spin budget (iterations). Any thread. */
THREDO_API void thredo_parker_set_spin(thredo_parker *parker, uint32_t spin);

/* Give the permit and wake the waiter if it sleeps. Any thread. Returns 0. */
THREDO_API int thredo_parker_wake(thredo_parker *parker);

/* Wait for the permit, at most timeout_ns nanoseconds (negative = forever), then
 * consume it. Returns 0, or -ETIMEDOUT. Only the parker's own thread. */
THREDO_API int thredo_parker_wait(thredo_parker *parker, int64_t timeout_ns);

/* Consume the permit if one is there, without waiting: 1 if it was, else 0.
 * Only the parker's own thread. Cheap enough to poll in a caller's spin loop,
 * which is how the kernel spins adaptively (it knows when spinning pays). */
THREDO_API int thredo_parker_try_take(thredo_parker *parker);

/* Size the process's futex hash for `waiters` threads asleep in parkers at once.
 * From Linux 6.16 a process gets a private futex hash sized by its CPU count
 * (16 slots on 2 CPUs) and every wake scans its bucket, so 100k parked fibers
 * made each wake ~10x slower (docs/scaling.md). Grows the private hash to the
 * next power of two >= waiters, at most 131072 slots (8 MiB); never shrinks it.
 * Returns the slots now in use, 0 if the process uses the global hash (left
 * alone), or -errno (-EINVAL before Linux 6.16, -ENOSYS off Linux). Any thread. */
THREDO_API int thredo_futex_hash_reserve(int64_t waiters);

/* Start a detached OS thread running entry(arg) with a stack of stack_size bytes (0: the
 * platform default). Returns 0, or -EAGAIN (a thread limit), -ENOMEM, -EINVAL. The thread
 * ends when entry returns. For .NET, entry is an [UnmanagedCallersOnly] method: cheaper than
 * Thread.Start (thread.c). */
THREDO_API int thredo_thread_start(void (*entry)(void *), void *arg, size_t stack_size);

/* ---- OS threads of this process, as the foreign-block watchdog asks about them
 * (thread_state_win32.c; thread_state_linux.c, where /proc/self/task answers instead). */

/* The calling thread's OS id: GetCurrentThreadId on Windows, gettid on Linux. Any thread. */
THREDO_API uint32_t thredo_thread_current_id(void);

/* Whether thread `tid` of this process is asleep in the OS of its own accord: its scheduler
 * state is Waiting (KTHREAD_STATE 5) for any reason but a suspension (Suspended, WrSuspended:
 * SuspendThread, as a debugger or the .NET GC uses it, stops a thread whatever it was doing).
 * Returns 1 (waiting), 0 (running, ready, standby, suspended, terminated...), -ESRCH (no such
 * thread in this process), -ENOMEM, -EIO (the query failed), or -ENOSYS off Windows and where
 * the OS reports no thread states (Wine 8 shows every thread, the running caller too, as
 * Initialized). state and wait_reason, if not NULL, receive the raw KTHREAD_STATE and
 * KWAIT_REASON of tid as reported (-1 if the thread was not found). Costs one snapshot of every thread on the system
 * (NtQuerySystemInformation(SystemProcessInformation)): call it rarely. Any thread. */
THREDO_API int thredo_thread_wait_state(uint32_t tid, int32_t *state, int32_t *wait_reason);

/* CPU cycles thread `tid` of this process has run so far (QueryThreadCycleTime), the analogue
 * of Linux's schedstat: equal counts at two calls mean it did not run between them.
 * Returns 0 and *out, or -ESRCH (no such thread), -EACCES, -EINVAL (out NULL), -EIO, -ENOSYS
 * off Windows and where QueryThreadCycleTime is not implemented (Wine 8). Cheap (one
 * OpenThread). Any thread. */
THREDO_API int thredo_thread_cycles(uint32_t tid, uint64_t *out);

/* The baton switch: wake `target`, then wait on `self` until handed the baton
 * again. Equivalent to wake(target) + wait(self, -1) in one call. Returns 0. */
THREDO_API int thredo_baton_switch(thredo_parker *self, thredo_parker *target);

/* ---------------------------------------------------------------- poller */

typedef struct thredo_poller thredo_poller;

/* Interest and readiness bits. */
#define THREDO_POLL_READABLE 0x1u
#define THREDO_POLL_WRITABLE 0x2u
#define THREDO_POLL_ERROR    0x4u /* readiness only */
#define THREDO_POLL_HANGUP   0x8u /* readiness only */

typedef struct thredo_poll_event {
    uint64_t token;  /* the token given at registration */
    uint32_t events; /* THREDO_POLL_* bits */
    uint32_t reserved;
} thredo_poll_event;

/* Create a poller with its wake handle. Returns 0 and *out, or a negative errno. */
THREDO_API int thredo_poller_create(thredo_poller **out);
THREDO_API void thredo_poller_destroy(thredo_poller *poller);

/* Registration is level-triggered and one-shot (see poller_epoll.c, "Discussion"):
 * add/modify arm the descriptor for one report of `interest`; after it is reported
 * the descriptor stays registered but disarmed until modify re-arms it.
 * fd is a file descriptor (Linux) or a SOCKET/HANDLE (Windows).
 * Return 0 or a negative errno (-EEXIST, -ENOENT, -EBADF, -EINVAL ...). */
THREDO_API int thredo_poller_add(thredo_poller *poller, intptr_t fd, uint32_t interest,
                                 uint64_t token);
THREDO_API int thredo_poller_modify(thredo_poller *poller, intptr_t fd, uint32_t interest,
                                    uint64_t token);
THREDO_API int thredo_poller_remove(thredo_poller *poller, intptr_t fd);

/* Wait up to timeout_ns (negative = forever, 0 = poll) for readiness; fill at most
 * `capacity` events. Returns the number filled (0 on timeout or wake), or a negative
 * errno. A wake consumed by this call is not reported as an event.
 * One thread at a time. */
THREDO_API int thredo_poller_wait(thredo_poller *poller, thredo_poll_event *events,
                                  int capacity, int64_t timeout_ns);

/* End a current or the next thredo_poller_wait early. Any thread; wakes coalesce.
 * Returns 0 or a negative errno. */
THREDO_API int thredo_poller_wake(thredo_poller *poller);


/* ---------------------------------------------------------------- kernel protocol */
/* How a native fiber running thredo.h calls talks to its kernel (the .NET side). A
 * blocking call fills a thredo_request on the fiber's stack and yields its address; the
 * kernel serves it and resumes the fiber with the result (0, a negative errno, or for
 * THREDO_REQ_CALL the status, with the callback's result stored back in `value`). */

#define THREDO_REQ_YIELD        1 /* run others first */
#define THREDO_REQ_SLEEP        2 /* value = milliseconds */
#define THREDO_REQ_WAIT_FD      3 /* fd + interest (THREDO_POLL_READABLE or _WRITABLE) */
#define THREDO_REQ_TIMEOUT_PUSH 4 /* value = milliseconds */
#define THREDO_REQ_TIMEOUT_POP  5
#define THREDO_REQ_CALL         6 /* value = callback id, argument; result back in value */
#define THREDO_REQ_WAIT_FD_FOR  7 /* as WAIT_FD, for at most value (>= 0) milliseconds: resumes
                                     with 0 (ready), 1 (that time passed) or a negative errno */

typedef struct thredo_request {
    int32_t kind;      /* THREDO_REQ_* */
    int32_t reserved;
    int64_t fd;        /* WAIT_FD: the descriptor */
    uint32_t interest; /* WAIT_FD: THREDO_POLL_READABLE or THREDO_POLL_WRITABLE */
    uint32_t reserved2;
    int64_t value;     /* SLEEP / TIMEOUT_PUSH / WAIT_FD_FOR: ms; CALL: callback id in, result out */
    int64_t argument;  /* CALL: the argument */
} thredo_request;

/* Tag a native fiber with its kernel-side id (what thredo_current returns and what fatal
 * messages name). Any thread. */
THREDO_API void thredo_fiber_set_id(thredo_fiber *fiber, int64_t id);

/* Set or clear the pending-cancellation flag thredo_cancelled reads. Any thread. */
THREDO_API void thredo_fiber_set_cancel_pending(thredo_fiber *fiber, int32_t pending);

/* The function thredo_call_nested calls for a nested managed callback: returns the
 * callback's result and sets *status to 0, -ENOENT or -EIO. Set once, before any fiber
 * makes a nested call. */
typedef int64_t (*thredo_managed_dispatch)(int64_t callback, int64_t argument, int32_t *status);
THREDO_API void thredo_set_managed_dispatch(thredo_managed_dispatch dispatch);

/* Install (once; later calls do nothing) a SIGSEGV/SIGBUS handler that recognises a fault
 * on a native fiber's guard page, writes "thredo: native fiber <id> overflowed its <n>-byte
 * stack" to stderr and aborts; any other fault goes to the handler installed before it
 * (the .NET runtime's). POSIX only; returns 0, or -ENOSYS on Windows (where a guard-page
 * overflow is a stack-overflow exception that ends the process).
 * The handler runs on the faulting thread's alternate signal stack (sigaltstack), so every
 * thread that resumes native fibers needs one: .NET runtime threads have one; for the
 * calling thread this function creates one if it has none (never freed). Call it on each
 * other host thread too (cheap after the first time), after the runtime's handlers are in
 * place. Any thread. Other errors: a negative errno from sigaltstack/sigaction/mmap. */
THREDO_API int thredo_guard_install(void);

/* ---------------------------------------------------------------- hooks (Linux only) */
/* Make an unmodified C library cooperative on native fibers: rewrite the global offset
 * table of the library behind `handle` (from dlopen or NativeLibrary.Load) and of every
 * library it depends on, so their calls to poll, ppoll, select, read, write, recv,
 * recvfrom, recvmsg, send, sendto, sendmsg, connect, accept, accept4, sleep, usleep,
 * nanosleep, clock_nanosleep, getaddrinfo and dlopen (and the _FORTIFY_SOURCE __poll_chk,
 * __ppoll_chk, __read_chk, __recv_chk, __recvfrom_chk) go to Thredo's hooks. Never patched:
 * libc and the other glibc libraries, the dynamic loader, libthredo_native, the .NET
 * runtime's libraries (libcoreclr, libclrjit, libSystem.*, libhostfxr, libhostpolicy, ...),
 * libstdc++/libgcc_s and sanitizer runtimes. A library the patched ones load later with
 * dlopen is patched the same way.
 *
 * A hook called off a native fiber is the libc function itself. On a native fiber it
 * suspends the fiber through the request protocol instead of blocking the thread; a
 * cancelled fiber's blocking call fails with errno ECANCELED, an expired timeout scope
 * with ETIMEDOUT (docs/native-fibers.md has the details of each call).
 *
 * Returns the number of objects patched (0 if the handle's library is one of those never
 * patched), or -EINVAL (NULL handle), -ENOENT (not a loaded object), -ENOSYS (not Linux), or
 * a negative errno from mprotect. Idempotent:
 * patching again changes nothing. Any thread; calls are serialised. */
THREDO_API int thredo_hook_library(void *handle);

/* Number of GOT slots the hooks have rewritten in this process so far (tests, diagnostics).
 * Any thread. */
THREDO_API int64_t thredo_hook_patched_slots(void);

/* ---------------------------------------------------------------- calling C */

/* Call function(a[0], ..., a[5]) as `intptr_t (*)(intptr_t x6)`: the SysV and AAPCS64
 * ABIs pass the first six integer/pointer arguments in registers, so a function taking
 * fewer simply ignores the rest. `call` points to 7 intptr_t: the function, then six
 * arguments; it must outlive the call. A thredo_fiber_fn, for NativeFiber.Call. */
THREDO_API intptr_t thredo_call_c(intptr_t call);

#ifdef __cplusplus
}
#endif

#endif /* THREDO_NATIVE_H */
