/*
 * thredo_native_bench: the native numbers behind docs/benchmarks.md, in one run.
 *
 *   1. stack switch round trip (resume + yield): the library's switch vs a glibc
 *      swapcontext round trip written here (the library holds one switch kind);
 *   2. baton hand-off between two OS threads: thredo_baton_switch vs a bare futex
 *      ping-pong written here with the same algorithm and raw system calls,
 *      unpinned and with both threads pinned to one CPU.
 * Each figure is the best of REPEATS runs (least disturbed by the machine).
 */
#define _GNU_SOURCE
#include "thredo_native.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define REPEATS 5
#define SWITCH_ROUNDS 2000000
#define UCTX_ROUNDS 200000
#define HANDOFFS 100000

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "thredo_native_bench: %s failed (%d)\n", what, rc);
    exit(1);
}

/* ---- 1a. library switch */

static intptr_t yielder(intptr_t unused)
{
    (void)unused;
    for (;;)
        thredo_fiber_yield(0);
    return 0;
}

static double lib_round_trip_ns(void)
{
    thredo_fiber *f;
    int rc = thredo_fiber_create(yielder, 0, 0, &f);
    if (rc)
        die("thredo_fiber_create", rc);
    thredo_fiber_resume(f, 0, NULL); /* warm: first entry */
    double t0 = now_ns();
    for (int i = 0; i < SWITCH_ROUNDS; i++)
        thredo_fiber_resume(f, i, NULL);
    double per = (now_ns() - t0) / SWITCH_ROUNDS;
    thredo_fiber_destroy(f); /* suspended mid-run: freed without unwinding */
    return per;
}

/* ---- 1b. ucontext swapcontext */

static ucontext_t uc_main, uc_fiber;

static void uc_entry(void)
{
    for (;;)
        swapcontext(&uc_fiber, &uc_main);
}

static double ucontext_round_trip_ns(void)
{
    static char stack[64 * 1024];
    getcontext(&uc_fiber);
    uc_fiber.uc_stack.ss_sp = stack;
    uc_fiber.uc_stack.ss_size = sizeof stack;
    uc_fiber.uc_link = NULL;
    makecontext(&uc_fiber, uc_entry, 0);
    swapcontext(&uc_main, &uc_fiber); /* warm */
    double t0 = now_ns();
    for (int i = 0; i < UCTX_ROUNDS; i++)
        swapcontext(&uc_main, &uc_fiber);
    return (now_ns() - t0) / UCTX_ROUNDS;
}

/* ---- 2. thread ping-pong: the library's baton and a bare futex copy */

/* The bare version: the same 0 / 1 permit / -1 sleeping word, no spinning. */
typedef struct { _Alignas(64) _Atomic int32_t state; } bare_parker;

static void bare_wake(bare_parker *p)
{
    if (atomic_exchange(&p->state, 1) == -1)
        syscall(SYS_futex, &p->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void bare_wait(bare_parker *p)
{
    for (;;) {
        if (atomic_load(&p->state) == 1) {
            atomic_store(&p->state, 0);
            return;
        }
        int32_t expected = 0;
        atomic_compare_exchange_strong(&p->state, &expected, -1);
        if (atomic_load(&p->state) == -1)
            syscall(SYS_futex, &p->state, FUTEX_WAIT_PRIVATE, -1, NULL, NULL, 0);
    }
}

struct pingpong {
    int bare;             /* 1: bare futex, 0: thredo baton */
    int pin;              /* pin both threads to CPU 0 */
    thredo_parker *lib[2];
    bare_parker raw[2];
};

static void pin_to_cpu0(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) /* 0: the calling thread */
        die("sched_setaffinity", -1);
}

static void unpin(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < CPU_SETSIZE; i++)
        CPU_SET(i, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static void hand_off(struct pingpong *pp, int self)
{
    if (pp->bare) {
        bare_wake(&pp->raw[!self]);
        bare_wait(&pp->raw[self]);
    } else {
        thredo_baton_switch(pp->lib[self], pp->lib[!self]);
    }
}

static void *side_b(void *arg)
{
    struct pingpong *pp = arg;
    if (pp->pin)
        pin_to_cpu0();
    if (pp->bare)
        bare_wait(&pp->raw[1]);
    else
        thredo_parker_wait(pp->lib[1], -1);
    for (int i = 0; i < HANDOFFS - 1; i++)
        hand_off(pp, 1);
    if (pp->bare)
        bare_wake(&pp->raw[0]);
    else
        thredo_parker_wake(pp->lib[0]);
    return NULL;
}

/* ns per one-way hand-off (two per round trip) */
static double pingpong_ns(int bare, int pin)
{
    struct pingpong pp = { .bare = bare, .pin = pin };
    thredo_parker_create(0, &pp.lib[0]);
    thredo_parker_create(0, &pp.lib[1]);
    if (pin)
        pin_to_cpu0();
    pthread_t t;
    pthread_create(&t, NULL, side_b, &pp);
    double t0 = now_ns();
    for (int i = 0; i < HANDOFFS; i++)
        hand_off(&pp, 0);
    double per = (now_ns() - t0) / (2.0 * HANDOFFS);
    pthread_join(t, NULL);
    if (pin)
        unpin();
    thredo_parker_destroy(pp.lib[0]);
    thredo_parker_destroy(pp.lib[1]);
    return per;
}

static double best(double (*fn)(void))
{
    double b = 1e300;
    for (int r = 0; r < REPEATS; r++) {
        double v = fn();
        if (v < b)
            b = v;
    }
    return b;
}

static double best_pp(int bare, int pin)
{
    double b = 1e300;
    for (int r = 0; r < REPEATS; r++) {
        double v = pingpong_ns(bare, pin);
        if (v < b)
            b = v;
    }
    return b;
}

int main(void)
{
    printf("thredo_native_bench (library switch: %s, %ld CPUs, best of %d)\n\n",
           thredo_switch_kind(), sysconf(_SC_NPROCESSORS_ONLN), REPEATS);

    double lib = best(lib_round_trip_ns), uc = best(ucontext_round_trip_ns);
    printf("%-44s %12s\n", "stack switch round trip (resume + yield)", "ns");
    printf("  %-42s %12.1f\n", "thredo (library switch)", lib);
    printf("  %-42s %12.1f\n", "glibc swapcontext (in this benchmark)", uc);
    printf("  %-42s %11.1fx   (target >= 20x)\n\n", "ratio swapcontext / thredo", uc / lib);

    printf("%-44s %12s %12s\n", "thread hand-off (one way, spin 0)", "unpinned", "one CPU");
    double b_u = best_pp(0, 0), b_p = best_pp(0, 1);
    double f_u = best_pp(1, 0), f_p = best_pp(1, 1);
    printf("  %-42s %12.1f %12.1f\n", "thredo_baton_switch (ns)", b_u, b_p);
    printf("  %-42s %12.1f %12.1f\n", "bare futex ping-pong (ns)", f_u, f_p);
    printf("  %-42s %11.2fx %11.2fx   (target <= 1.3x)\n", "ratio baton / bare futex",
           b_u / f_u, b_p / f_p);
    return 0;
}
