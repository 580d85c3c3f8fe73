/*
 * stack_posix.c: guard-paged stacks from mmap.
 *
 * The whole range is mapped read/write, then the pages below the usable part are made
 * a guard. MAP_NORESERVE plus the kernel's lazy faulting means a 1 MiB stack
 * costs only the pages actually touched; the PROT_NONE guard below turns an
 * overflow into SIGSEGV at the faulting frame instead of silent corruption of
 * whatever is mapped below.
 *
 * Discussion (how the guard is made): a PROT_NONE guard splits the mapping, so each stack
 * costs two VMAs, and vm.max_map_count (65530 by default) caps a process near 32,000
 * guarded stacks: 100,000 parked fibers fail with -ENOMEM. Linux 6.13 added guard regions
 * (madvise MADV_GUARD_INSTALL): the guard pages fault like PROT_NONE but live in the page
 * tables, not in a VMA of their own, so a stack is one read/write mapping that merges with
 * its neighbours and the count stops mattering. We use them where the kernel has them and
 * fall back to mprotect(PROT_NONE) once it says EINVAL (older kernels); either way the
 * guard is [map, base) and a fault there is reported the same (guard.c).
 */
#define _GNU_SOURCE
#include "stack_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* 64 KiB of guard: one frame with a large local array can jump a single page. */
#define THREDO_GUARD_BYTES (64u * 1024u)

#ifndef MADV_GUARD_INSTALL
#  define MADV_GUARD_INSTALL 102 /* linux/mman.h, Linux 6.13+; older headers lack it */
#endif

/* 1 while the kernel accepts MADV_GUARD_INSTALL; 0 once it refused (then mprotect); -1 until
 * the first stack reads THREDO_GUARD. */
static _Atomic int g_guard_regions = -1;

/* THREDO_GUARD=mprotect forces the PROT_NONE guard. For emulators: qemu-user accepts
 * MADV_GUARD_INSTALL and returns 0 without installing anything, so an overflow would not fault. */
static int guard_regions_wanted(void)
{
    int wanted = atomic_load_explicit(&g_guard_regions, memory_order_relaxed);
    if (wanted < 0) {
        const char *mode = getenv("THREDO_GUARD");
        wanted = !(mode && strcmp(mode, "mprotect") == 0);
        atomic_store_explicit(&g_guard_regions, wanted, memory_order_relaxed);
    }
    return wanted;
}

/* Make [s->map, s->base) fault on access, in a mapping that is read/write elsewhere. */
static int install_guard(thredo_stack *s, size_t guard)
{
    if (guard_regions_wanted()) {
        if (madvise(s->map, guard, MADV_GUARD_INSTALL) == 0)
            return 0;
        if (errno != EINVAL)
            return -errno;
        atomic_store_explicit(&g_guard_regions, 0, memory_order_relaxed);
    }
    return mprotect(s->map, guard, PROT_NONE) == 0 ? 0 : -errno;
}

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096u;
}

int thredo_stack_alloc(size_t size, thredo_stack **out)
{
    if (!out || size == 0 || size > THREDO_STACK_MAX)
        return -EINVAL;
    size_t page = page_size();
    size = (size + page - 1) & ~(page - 1);
    size_t guard = (THREDO_GUARD_BYTES + page - 1) & ~(page - 1);

    thredo_stack *s = thredo_pool_take(size);
    if (s) {
        *out = s;
        return 0;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->map_size = guard + size;
    s->map = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (s->map == MAP_FAILED) {
        int err = errno;
        free(s);
        return -err;
    }
    s->base = (char *)s->map + guard;
    s->size = size;
    int rc = install_guard(s, guard);
    if (rc < 0) {
        munmap(s->map, s->map_size);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void thredo_stack_free(thredo_stack *stack)
{
    if (!stack || thredo_pool_put(stack))
        return;
    if (munmap(stack->map, stack->map_size) != 0)
        THREDO_FATAL("munmap of stack %p failed (errno %d)", stack->map, errno);
    free(stack);
}

void *thredo_stack_base(const thredo_stack *stack)
{
    return stack ? stack->base : NULL;
}

size_t thredo_stack_size(const thredo_stack *stack)
{
    return stack ? stack->size : 0;
}
