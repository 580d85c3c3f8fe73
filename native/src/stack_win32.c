/*
 * stack_win32.c: guard-paged stacks from VirtualAlloc.
 *
 * Reserve the whole range, commit only the usable part read/write (Windows charges
 * commit up front but materialises pages on first touch), and leave the bottom
 * reserved-but-uncommitted: any access there is an access violation, which is the
 * guard. Native fibers on Windows use Windows Fibers with their own stacks; these
 * stacks serve callers of the thredo_stack_* API directly.
 */
#include "stack_pool.h"

#include <errno.h>
#include <windows.h>

#define THREDO_GUARD_BYTES (64u * 1024u)

int thredo_stack_alloc(size_t size, thredo_stack **out)
{
    if (!out || size == 0 || size > THREDO_STACK_MAX)
        return -EINVAL;
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    size_t page = si.dwPageSize;
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
    s->map = VirtualAlloc(NULL, s->map_size, MEM_RESERVE, PAGE_NOACCESS);
    if (!s->map) {
        free(s);
        return -ENOMEM;
    }
    s->base = (char *)s->map + guard;
    s->size = size;
    if (!VirtualAlloc(s->base, size, MEM_COMMIT, PAGE_READWRITE)) {
        VirtualFree(s->map, 0, MEM_RELEASE);
        free(s);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

void thredo_stack_free(thredo_stack *stack)
{
    if (!stack || thredo_pool_put(stack))
        return;
    if (!VirtualFree(stack->map, 0, MEM_RELEASE))
        THREDO_FATAL("VirtualFree of stack %p failed (error %lu)", stack->map, GetLastError());
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
