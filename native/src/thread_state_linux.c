/*
 * thread_state_linux.c: the thread-state calls of thread_state_win32.c, on Linux.
 *
 * Discussion: on Linux the .NET side reads /proc/self/task/<tid>/stat and schedstat itself
 * (src/Thredo.Fibers/OsThread.cs), so only the thread id is served here.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "internal.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

uint32_t thredo_thread_current_id(void)
{
    return (uint32_t)syscall(SYS_gettid); /* glibc's gettid() wrapper needs 2.30 */
}

int thredo_thread_wait_state(uint32_t tid, int32_t *state, int32_t *wait_reason)
{
    (void)tid;
    if (state)
        *state = -1;
    if (wait_reason)
        *wait_reason = -1;
    return -ENOSYS; /* /proc/self/task/<tid>/stat answers */
}

int thredo_thread_cycles(uint32_t tid, uint64_t *out)
{
    (void)tid;
    (void)out;
    return -ENOSYS; /* /proc/self/task/<tid>/schedstat answers */
}
