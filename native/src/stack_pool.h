/*
 * stack_pool.h: the per-process pool of freed stacks, shared by stack_posix.c and
 * stack_win32.c (they differ only in how memory is reserved and released).
 *
 * Fibers come and go in bursts of equal-sized stacks, and reserving a guarded stack
 * costs two or three system calls plus page faults to warm it up again, so up to
 * THREDO_POOL_PER_SIZE freed stacks are kept per exact size, in a few size classes.
 */
#ifndef THREDO_STACK_POOL_H
#define THREDO_STACK_POOL_H

#include "internal.h"

struct thredo_stack {
    void *map;                /* start of the whole reservation (guard included) */
    size_t map_size;          /* bytes reserved */
    void *base;               /* lowest usable byte, just above the guard */
    size_t size;              /* usable bytes */
    struct thredo_stack *next; /* free-list link while pooled */
};

#define THREDO_POOL_PER_SIZE 64 /* stacks kept per size class */
#define THREDO_POOL_CLASSES 8   /* distinct sizes kept at once */
#define THREDO_STACK_MAX ((size_t)1 << 32) /* larger requests are a caller bug */

/* Take a pooled stack of exactly `size` usable bytes, or NULL. */
thredo_stack *thredo_pool_take(size_t size);
/* Keep `s` for reuse; returns 0 if the pool is full for its size (caller unmaps). */
int thredo_pool_put(thredo_stack *s);

#endif
