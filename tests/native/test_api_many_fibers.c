/* Property: 100,000 native fibers, each with a 16 KiB stack, can all be parked at once on
 * a sleep request and then all resumed to completion. Resident memory per parked fiber is
 * printed (from VmRSS), not asserted: it depends on the page size and the allocator. */
#include "mini_kernel.h"

#define FIBERS 100000
#define STACK (16u * 1024u)

static long parked, finished;
static long rss_parked_kb = -1;
static long n_fibers = FIBERS;

/* With the mprotect guard (THREDO_GUARD=mprotect, set under qemu-user) each stack costs two
 * mappings, so vm.max_map_count caps how many can be parked at once: run as many as it fits. */
static long fibers_that_fit(void)
{
#if defined(_WIN32)
    return FIBERS;
#else
    const char *mode = getenv("THREDO_GUARD");
    if (!mode || strcmp(mode, "mprotect") != 0)
        return FIBERS;
    long maps = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &maps) != 1)
            maps = 65530;
        fclose(f);
    }
    long fit = (maps - 4096) / 2;
    if (fit >= FIBERS)
        return FIBERS;
    printf("THREDO_GUARD=mprotect: two mappings per stack and vm.max_map_count %ld fit %ld of %d fibers; "
           "running %ld\n", maps, fit, FIBERS, fit);
    return fit;
#endif
}

static long vmrss_kb(void)
{
#if defined(_WIN32)
    return -1;
#else
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
#endif
}

static intptr_t sleeper(intptr_t i)
{
    if (++parked == n_fibers)
        rss_parked_kb = vmrss_kb(); /* the last one in: all others are parked */
    CHECK_EQ(thredo_sleep_ms(1), 0);
    finished++;
    return i;
}

int main(void)
{
    long before = vmrss_kb();
    mini_kernel k;
    mk_init(&k);
#if defined(_WIN32)
    if (GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version")) {
        /* Wine maps each Windows Fiber's stack as its own Linux mappings, so the host's
         * vm.max_map_count (65530) stops it near 33,000 fibers, and the process then
         * crashes for want of mappings. Run a share that fits, then say so. */
        enum { WINE_FIBERS = 20000 };
        for (long i = 0; i < WINE_FIBERS; i++)
            mk_spawn(&k, sleeper, (intptr_t)i, STACK, i + 1);
        mk_run(&k);
        CHECK_EQ(finished, WINE_FIBERS);
        mk_destroy(&k);
        SKIP("under Wine only %d of %d fibers: each Windows Fiber stack costs Linux mappings "
             "and vm.max_map_count caps them near 33,000; those %d parked and ran to "
             "completion", (int)WINE_FIBERS, FIBERS, (int)WINE_FIBERS);
    }
#endif
    n_fibers = fibers_that_fit();
    for (long i = 0; i < n_fibers; i++) {
        int rc = 0;
        if (!mk_try_spawn(&k, sleeper, (intptr_t)i, STACK, i + 1, &rc)) {
            fprintf(stderr, "thredo_fiber_create failed with %d after %ld fibers\n", rc, i);
            return 1;
        }
    }
    int64_t t0 = test_now_ns();
    mk_run(&k);
    double ms = (test_now_ns() - t0) / 1e6;
    CHECK_EQ(parked, n_fibers);
    CHECK_EQ(finished, n_fibers);
    for (long i = 0; i < n_fibers; i++)
        CHECK_EQ(k.all[i]->result, i);
    if (before >= 0 && rss_parked_kb >= 0)
        printf("%d fibers x %u KiB stacks: VmRSS %ld kB -> %ld kB parked, %.0f bytes per fiber "
               "(stack pages touched + fiber + mini-kernel record); run %.0f ms\n",
               (int)n_fibers, STACK / 1024, before, rss_parked_kb,
               (rss_parked_kb - before) * 1024.0 / n_fibers, ms);
    else
        printf("%d fibers run to completion in %.0f ms (VmRSS not available here)\n", (int)n_fibers, ms);
    mk_destroy(&k);
    return 0;
}
