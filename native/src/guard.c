/*
 * guard.c: turn a native fiber's stack overflow into a message that names the fiber.
 *
 * An overflow runs into the PROT_NONE guard below thredo_stack_base (stack_posix.c) and
 * raises SIGSEGV. Without help that looks like any other crash, or worse: the .NET
 * runtime's handler takes it for a NullReferenceException in native code. The handler
 * here checks whether the fault address lies in the guard of the native fiber running on
 * this thread; if so it says which fiber overflowed and aborts, and otherwise it hands the
 * signal on to whatever handler was installed before it (the runtime's), unchanged.
 *
 * Alternate signal stack: a fault on the guard page leaves no stack to run a handler on,
 * so the kernel delivers the signal on the thread's sigaltstack (SA_ONSTACK), and if the
 * thread has none the process just dies of SIGSEGV. The .NET runtime gives each of its
 * threads one; thredo_guard_install gives the calling thread one if it has none. Any
 * other thread that resumes native fibers needs one too (call thredo_guard_install on it,
 * or sigaltstack yourself). The alternate stack is never freed: it lives as long as the
 * thread may take signals on it.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE
#endif

#include "internal.h"
#include "stack_pool.h"

#include <errno.h>

#if defined(_WIN32)

int thredo_guard_install(void)
{
    return -ENOSYS; /* an overflow is EXCEPTION_STACK_OVERFLOW, which ends the process */
}

#else

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALTSTACK_MIN (64u * 1024u)

static struct sigaction g_prev_segv, g_prev_bus; /* what we chain to; set before we install */
static _Atomic int g_installed;                  /* 0 no, 1 installing, 2 installed */

/* Decimal digits of v (async-signal-safe); returns the length written into buf[24]. */
static size_t format_u64(char *buf, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static size_t append(char *dst, size_t at, const char *s)
{
    size_t n = strlen(s);
    memcpy(dst + at, s, n);
    return at + n;
}

static void report_and_abort(const thredo_fiber *f)
{
    char msg[160];
    size_t n = append(msg, 0, "thredo: native fiber ");
    if (f->id < 0) {
        msg[n++] = '-';
        n += format_u64(msg + n, (uint64_t)0 - (uint64_t)f->id);
    } else {
        n += format_u64(msg + n, (uint64_t)f->id);
    }
    n = append(msg, n, " overflowed its ");
    n += format_u64(msg + n, (uint64_t)thredo_stack_size(f->stack));
    n = append(msg, n, "-byte stack (guard page hit); aborting\n");
    ssize_t w = write(STDERR_FILENO, msg, n);
    (void)w;
    abort();
}

/* Hand the signal to the handler installed before ours, as if we had never been there. */
static void chain(const struct sigaction *prev, int sig, siginfo_t *si, void *uc)
{
    if (prev->sa_flags & SA_SIGINFO) {
        if (prev->sa_sigaction) {
            prev->sa_sigaction(sig, si, uc);
            return;
        }
    } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* SIG_DFL (or SIG_IGN, which cannot stop a fault): restore the default and return;
     * the faulting instruction runs again and the default action ends the process. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    thredo_fiber *f = thredo_fiber_current(); /* initial-exec TLS: a plain load */
    if (f && f->stack && si) {
        const char *addr = (const char *)si->si_addr;
        const char *guard_lo = (const char *)f->stack->map;
        const char *guard_hi = (const char *)f->stack->base; /* = thredo_stack_base */
        if (addr >= guard_lo && addr < guard_hi)
            report_and_abort(f);
    }
    chain(sig == SIGBUS ? &g_prev_bus : &g_prev_segv, sig, si, uc);
    errno = saved_errno;
}

/* Give the calling thread an alternate signal stack unless it already has one. */
static int ensure_altstack(void)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) != 0)
        return -errno;
    if (!(cur.ss_flags & SS_DISABLE))
        return 0;
    size_t size = ALTSTACK_MIN;
#if defined(_SC_SIGSTKSZ)
    long want = sysconf(_SC_SIGSTKSZ); /* glibc 2.34+: depends on the CPU's state size */
    if (want > 0 && (size_t)want * 4 > size)
        size = (size_t)want * 4;
#endif
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return -errno;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = mem;
    ss.ss_size = size;
    if (sigaltstack(&ss, NULL) != 0) {
        int err = errno;
        munmap(mem, size);
        return -err;
    }
    return 0;
}

int thredo_guard_install(void)
{
    int rc = ensure_altstack();
    if (rc < 0)
        return rc;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&g_installed, &expected, 1)) {
        int state;
        while ((state = atomic_load(&g_installed)) == 1) {} /* another thread is installing */
        return state == 2 ? 0 : thredo_guard_install();     /* it failed: try ourselves */
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    /* Read the previous handlers first, install ours second. One sigaction(sig, &sa, &prev)
     * would not do: the kernel writes prev back only after ours is live, so a fault on
     * another thread in between (the runtime turns those into NullReferenceException)
     * would chain to an empty g_prev and kill the process. */
    if (sigaction(SIGSEGV, NULL, &g_prev_segv) != 0 || sigaction(SIGBUS, NULL, &g_prev_bus) != 0) {
        rc = -errno;
        atomic_store(&g_installed, 0);
        return rc;
    }
    atomic_thread_fence(memory_order_seq_cst); /* g_prev_* are written before on_fault can run */
    struct sigaction was;
    if (sigaction(SIGSEGV, &sa, &was) != 0) {
        rc = -errno;
        atomic_store(&g_installed, 0);
        return rc;
    }
    if (was.sa_sigaction != g_prev_segv.sa_sigaction)
        g_prev_segv = was; /* replaced between our two calls: chain to the newest */
    if (sigaction(SIGBUS, &sa, &was) != 0) {
        rc = -errno;
        sigaction(SIGSEGV, &g_prev_segv, NULL); /* undo, so a retry chains correctly */
        atomic_store(&g_installed, 0);
        return rc;
    }
    if (was.sa_sigaction != g_prev_bus.sa_sigaction)
        g_prev_bus = was;
    atomic_store(&g_installed, 2);
    return 0;
}

#endif
