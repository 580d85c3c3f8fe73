/*
 * stack_posix.c: guard-paged stacks from mmap.
 *
 * The whole range is reserved PROT_NONE, then everything above the guard is made
 * read/write. MAP_NORESERVE plus the kernel's lazy faulting means a 1 MiB stack
 * costs only the pages actually touched; the PROT_NONE guard below turns an
 * overflow into SIGSEGV at the faulting frame instead of silent corruption of
 * whatever is mapped below.
 */
#define _GNU_SOURCE
#include "stack_pool.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* 64 KiB of guard: one frame with a large local array can jump a single page. */
#define THREDO_GUARD_BYTES (64u * 1024u)

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
    s->map = mmap(NULL, s->map_size, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (s->map == MAP_FAILED) {
        int err = errno;
        free(s);
        return -err;
    }
    s->base = (char *)s->map + guard;
    s->size = size;
    if (mprotect(s->base, size, PROT_READ | PROT_WRITE) != 0) {
        int err = errno;
        munmap(s->map, s->map_size);
        free(s);
        return -err;
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
