/*
 * parker_win32.c: the parker/baton over WaitOnAddress / WakeByAddressSingle.
 *
 * Same state word and protocol as parker_futex.c (read its Discussion):
 * 0 empty, 1 permit, -1 sleeping; WaitOnAddress sleeps only while the word still
 * equals -1, so a wake between the announcement and the sleep is not lost, and a
 * wake with no sleeper costs no call into the kernel.
 */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <windows.h>

#define ST_EMPTY 0
#define ST_PERMIT 1
#define ST_SLEEPING (-1)

struct thredo_parker {
    _Alignas(64) _Atomic int32_t state; /* see parker_futex.c */
    _Atomic uint32_t spin;              /* polls of `state` before sleeping */
};

static int64_t now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER c;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    return (int64_t)((double)c.QuadPart * 1e9 / (double)freq.QuadPart);
}

int thredo_parker_create(uint32_t spin, thredo_parker **out)
{
    if (!out)
        return -EINVAL;
    thredo_parker *p = _aligned_malloc(sizeof *p, 64);
    if (!p)
        return -ENOMEM;
    atomic_init(&p->state, ST_EMPTY);
    atomic_init(&p->spin, spin);
    *out = p;
    return 0;
}

void thredo_parker_destroy(thredo_parker *parker)
{
    _aligned_free(parker);
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
        WakeByAddressSingle((PVOID)&parker->state);
    return 0;
}

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
        YieldProcessor();
    }
    int64_t start = now_ns(); /* saturate: timeouts up to INT64_MAX are allowed */
    int64_t deadline = timeout_ns < 0 ? -1 : timeout_ns > INT64_MAX - start ? INT64_MAX : start + timeout_ns;
    for (;;) {
        int32_t expected = ST_EMPTY;
        if (try_consume(parker))
            return 0;
        atomic_compare_exchange_strong_explicit(&parker->state, &expected, ST_SLEEPING,
                                                memory_order_relaxed, memory_order_relaxed);
        if (atomic_load_explicit(&parker->state, memory_order_relaxed) != ST_SLEEPING)
            continue;
        DWORD ms = INFINITE;
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
            /* round up: a timed wait must never end before its deadline */
            int64_t m = (left + 999999) / 1000000;
            ms = m >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)m;
        }
        int32_t undesired = ST_SLEEPING;
        /* Timeouts and spurious returns just loop; the deadline check decides. */
        WaitOnAddress((volatile VOID *)&parker->state, &undesired, sizeof undesired, ms);
    }
}

int thredo_baton_switch(thredo_parker *self, thredo_parker *target)
{
    if (!self || !target)
        return -EINVAL;
    thredo_parker_wake(target);
    return thredo_parker_wait(self, -1);
}

int thredo_futex_hash_reserve(int64_t waiters)
{
    (void)waiters;
    return -ENOSYS; /* WaitOnAddress hashes in user mode; nothing to size */
}
