/*
 * stack_pool.c: a mutex-protected free list per size class (see stack_pool.h).
 * Stack allocation is not a hot path next to a switch, so one lock is enough.
 */
#include "stack_pool.h"

#if defined(_WIN32)
#  include <windows.h>
static SRWLOCK pool_lock = SRWLOCK_INIT;
#  define POOL_LOCK() AcquireSRWLockExclusive(&pool_lock)
#  define POOL_UNLOCK() ReleaseSRWLockExclusive(&pool_lock)
#else
#  include <pthread.h>
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
#  define POOL_LOCK() pthread_mutex_lock(&pool_lock)
#  define POOL_UNLOCK() pthread_mutex_unlock(&pool_lock)
#endif

static struct {
    size_t size;         /* usable size of this class; 0 = slot unused */
    unsigned count;      /* stacks on the list */
    thredo_stack *head;  /* free list */
} pool[THREDO_POOL_CLASSES];

thredo_stack *thredo_pool_take(size_t size)
{
    thredo_stack *s = NULL;
    POOL_LOCK();
    for (int i = 0; i < THREDO_POOL_CLASSES; i++) {
        if (pool[i].size == size && pool[i].head) {
            s = pool[i].head;
            pool[i].head = s->next;
            if (--pool[i].count == 0)
                pool[i].size = 0; /* free the class for another size */
            break;
        }
    }
    POOL_UNLOCK();
    if (s)
        s->next = NULL;
    return s;
}

int thredo_pool_put(thredo_stack *s)
{
    int kept = 0;
    POOL_LOCK();
    int empty = -1;
    for (int i = 0; i < THREDO_POOL_CLASSES; i++) {
        if (pool[i].size == s->size)
            { empty = i; break; }
        if (pool[i].size == 0 && empty < 0)
            empty = i;
    }
    if (empty >= 0 && pool[empty].count < THREDO_POOL_PER_SIZE) {
        pool[empty].size = s->size;
        s->next = pool[empty].head;
        pool[empty].head = s;
        pool[empty].count++;
        kept = 1;
    }
    POOL_UNLOCK();
    return kept;
}
