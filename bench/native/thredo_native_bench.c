/*
 * thredo_native_bench: the native numbers behind docs/benchmarks.md, in one run.
 *
 *   1. stack switch round trip (resume + yield): the library's switch vs a glibc
 *      swapcontext round trip written here (the library holds one switch kind);
 *   2. baton hand-off between two OS threads: thredo_baton_switch vs a bare futex
 *      ping-pong written here with the same algorithm and raw system calls,
 *      unpinned and with both threads pinned to one CPU;
 *   3. the thredo.h request protocol: thredo_yield() served by a minimal C loop
 *      (resume -> the fiber yields a THREDO_REQ_YIELD request -> resume), against the
 *      bare switch of 1a; and resident memory per parked native fiber (100,000 fibers
 *      parked on a sleep request) with 16 KiB and 64 KiB stacks.
 * Each figure is the best of REPEATS runs (least disturbed by the machine).
 */
#define _GNU_SOURCE
#include "thredo.h"
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

/* ---- 3a. thredo_yield through the request protocol */

static intptr_t api_yielder(intptr_t unused)
{
    (void)unused;
    for (;;)
        thredo_yield();
    return 0;
}

static double api_yield_round_trip_ns(void)
{
    thredo_fiber *f;
    int rc = thredo_fiber_create(api_yielder, 0, 0, &f);
    if (rc)
        die("thredo_fiber_create", rc);
    intptr_t req = 0;
    thredo_fiber_resume(f, 0, &req); /* warm: first entry */
    double t0 = now_ns();
    for (int i = 0; i < SWITCH_ROUNDS; i++) {
        /* the whole "kernel": look at the request, serve it, resume */
        if (((thredo_request *)req)->kind != THREDO_REQ_YIELD)
            die("request kind", ((thredo_request *)req)->kind);
        thredo_fiber_resume(f, 0, &req);
    }
    double per = (now_ns() - t0) / SWITCH_ROUNDS;
    thredo_fiber_destroy(f);
    return per;
}

/* ---- 3b. resident memory per parked native fiber */

#define PARKED 100000

static long vmrss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static intptr_t api_sleeper(intptr_t unused)
{
    (void)unused;
    return thredo_sleep_ms(1);
}

/* Bytes of RSS per fiber while PARKED fibers sit on a SLEEP request. */
static double parked_rss_per_fiber(size_t stack)
{
    thredo_fiber **fs = calloc(PARKED, sizeof *fs);
    if (!fs)
        die("calloc", -1);
    long before = vmrss_kb();
    for (int i = 0; i < PARKED; i++) {
        int rc = thredo_fiber_create(api_sleeper, 0, stack, &fs[i]);
        if (rc)
            die("thredo_fiber_create (parked)", rc);
        intptr_t req = 0;
        thredo_fiber_resume(fs[i], 0, &req);
        if (((thredo_request *)req)->kind != THREDO_REQ_SLEEP)
            die("request kind", ((thredo_request *)req)->kind);
    }
    long after = vmrss_kb();
    for (int i = 0; i < PARKED; i++) {
        intptr_t out = 0;
        thredo_fiber_resume(fs[i], 0, &out); /* "the sleep is over": runs to the end */
        thredo_fiber_destroy(fs[i]);
    }
    free(fs);
    return (after - before) * 1024.0 / PARKED;
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
    printf("  %-42s %11.2fx %11.2fx   (target <= 1.3x)\n\n", "ratio baton / bare futex",
           b_u / f_u, b_p / f_p);

    double api = best(api_yield_round_trip_ns);
    printf("%-44s %12s\n", "thredo_yield round trip (request protocol)", "ns");
    printf("  %-42s %12.1f\n", "thredo_yield served by a C loop", api);
    printf("  %-42s %12.1f\n", "bare resume + thredo_fiber_yield (1a)", lib);
    printf("  %-42s %12.1f\n", "glibc swapcontext (1b)", uc);
    printf("  %-42s %11.2fx\n\n", "ratio thredo_yield / bare", api / lib);

    printf("%-44s %12s\n", "100,000 parked native fibers (SLEEP request)", "RSS/fiber");
    printf("  %-42s %10.0f B\n", "16 KiB stacks", parked_rss_per_fiber(16 * 1024));
    printf("  %-42s %10.0f B\n", "64 KiB stacks", parked_rss_per_fiber(64 * 1024));
    return 0;
}
