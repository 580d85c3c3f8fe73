/*
 * parker_futex.c: the parker/baton over Linux futexes.
 *
 * One 32-bit state word per parker:
 *    0  empty: no permit, nobody asleep
 *    1  permit: a wake arrived and no wait has consumed it yet
 *   -1  sleeping: the owner thread is (about to be) in FUTEX_WAIT
 * Only the owner thread moves the word to 0 or -1; any thread moves it to 1.
 *
 * Discussion (no lost wake-ups): the waiter announces itself with CAS 0 -> -1 and
 * then sleeps only while the word is still -1 (FUTEX_WAIT compares atomically in
 * the kernel). A waker exchanges in 1 and learns the previous value: if it was -1
 * the waiter is asleep or about to compare, so FUTEX_WAKE is needed; otherwise no
 * one sleeps and the wake costs no system call. Either way the permit stays in the
 * word until the waiter consumes it, so a wake that precedes the wait is consumed
 * by that wait, and a wake racing with the waiter's timeout is kept (see wait).
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ST_EMPTY 0
#define ST_PERMIT 1
#define ST_SLEEPING (-1)

struct thredo_parker {
    _Alignas(64) _Atomic int32_t state; /* see the table above; own cache line */
    _Atomic uint32_t spin;              /* polls of `state` before sleeping */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int thredo_parker_create(uint32_t spin, thredo_parker **out)
{
    if (!out)
        return -EINVAL;
    thredo_parker *p = aligned_alloc(64, sizeof *p);
    if (!p)
        return -ENOMEM;
    atomic_init(&p->state, ST_EMPTY);
    atomic_init(&p->spin, spin);
    *out = p;
    return 0;
}

void thredo_parker_destroy(thredo_parker *parker)
{
    free(parker);
}

void thredo_parker_set_spin(thredo_parker *parker, uint32_t spin)
{
    if (parker)
        atomic_store_explicit(&parker->spin, spin, memory_order_relaxed);
}

int thredo_parker_wake(thredo_parker *parker)
{
    if (!parker)
        return -EINVAL;
    if (atomic_exchange_explicit(&parker->state, ST_PERMIT, memory_order_release) == ST_SLEEPING)
        syscall(SYS_futex, &parker->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return 0;
}

/* Consume a pending permit: only the owner takes 1 -> 0, so a plain exchange works. */
static inline int try_consume(thredo_parker *p)
{
    if (atomic_load_explicit(&p->state, memory_order_relaxed) != ST_PERMIT)
        return 0;
    atomic_exchange_explicit(&p->state, ST_EMPTY, memory_order_acquire);
    return 1;
}

int thredo_parker_try_take(thredo_parker *parker)
{
    return parker ? try_consume(parker) : 0;
}

int thredo_parker_wait(thredo_parker *parker, int64_t timeout_ns)
{
    if (!parker)
        return -EINVAL;
    uint32_t spin = atomic_load_explicit(&parker->spin, memory_order_relaxed);
    for (uint32_t i = 0; i < spin; i++) {
        if (try_consume(parker))
            return 0;
        cpu_relax();
    }
    /* Saturate: a timeout the header allows (up to INT64_MAX) must not overflow. */
    int64_t start = now_ns();
    int64_t deadline = timeout_ns < 0 ? -1 : timeout_ns > INT64_MAX - start ? INT64_MAX : start + timeout_ns;
    for (;;) {
        int32_t expected = ST_EMPTY;
        if (try_consume(parker))
            return 0;
        /* Announce the sleep; failure means a permit just arrived (or we already
         * announced on an earlier round), both handled by re-looking at the word. */
        atomic_compare_exchange_strong_explicit(&parker->state, &expected, ST_SLEEPING,
                                                memory_order_relaxed, memory_order_relaxed);
        if (atomic_load_explicit(&parker->state, memory_order_relaxed) != ST_SLEEPING)
            continue;
        struct timespec rel, *relp = NULL;
        if (deadline >= 0) {
            int64_t left = deadline - now_ns();
            if (left <= 0) {
                expected = ST_SLEEPING;
                if (atomic_compare_exchange_strong_explicit(&parker->state, &expected, ST_EMPTY,
                                                            memory_order_relaxed,
                                                            memory_order_relaxed))
                    return -ETIMEDOUT;
                continue; /* a wake won the race with the timeout: take it */
            }
            rel.tv_sec = (time_t)(left / 1000000000);
            rel.tv_nsec = (long)(left % 1000000000);
            relp = &rel;
        }
        /* EINTR, EAGAIN (word changed) and spurious returns all just loop. */
        syscall(SYS_futex, &parker->state, FUTEX_WAIT_PRIVATE, ST_SLEEPING, relp, NULL, 0);
    }
}

int thredo_baton_switch(thredo_parker *self, thredo_parker *target)
{
    if (!self || !target)
        return -EINVAL;
    thredo_parker_wake(target);
    return thredo_parker_wait(self, -1);
}

#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH 78
#define PR_FUTEX_HASH_SET_SLOTS 1
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif
#define FUTEX_HASH_MAX_SLOTS 131072

int thredo_futex_hash_reserve(int64_t waiters)
{
    int slots = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0, 0, 0);
    if (slots < 0)
        return -errno;
    if (slots == 0)
        return 0; /* the global hash: sized by the kernel, not ours to change */
    int64_t want = 16;
    while (want < waiters && want < FUTEX_HASH_MAX_SLOTS)
        want *= 2;
    if (want <= slots)
        return slots;
    if (prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, (unsigned long)want, 0, 0) != 0)
        return -errno;
    return (int)want;
}
