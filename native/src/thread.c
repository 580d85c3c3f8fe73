/*
 * thread.c: starting a detached OS thread for the .NET side.
 *
 * Discussion: a fiber thread started with System.Threading.Thread.Start cost 380-520 us on a
 * 2-vCPU VM, and the spawner holds its kernel's baton meanwhile; pthread_create with the thread
 * entering managed code through an [UnmanagedCallersOnly] entry cost 110-120 us
 * (docs/benchmarks.md, "Thread supply"). The runtime attaches the thread on that first entry.
 */
#include "internal.h"

#include <errno.h>

typedef struct {
    void (*entry)(void *);
    void *arg;
} start_args;

#if defined(_WIN32)
#include <windows.h>

static DWORD WINAPI trampoline(LPVOID p)
{
    start_args a = *(start_args *)p;
    HeapFree(GetProcessHeap(), 0, p);
    a.entry(a.arg);
    return 0;
}

int thredo_thread_start(void (*entry)(void *), void *arg, size_t stack_size)
{
    if (!entry)
        return -EINVAL;
    start_args *a = HeapAlloc(GetProcessHeap(), 0, sizeof *a);
    if (!a)
        return -ENOMEM;
    a->entry = entry;
    a->arg = arg;
    HANDLE h = CreateThread(NULL, stack_size, trampoline, a, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (!h) {
        HeapFree(GetProcessHeap(), 0, a);
        return -EAGAIN;
    }
    CloseHandle(h);
    return 0;
}

#else
#include <pthread.h>
#include <stdlib.h>

static void *trampoline(void *p)
{
    start_args a = *(start_args *)p;
    free(p);
    a.entry(a.arg);
    return NULL;
}

int thredo_thread_start(void (*entry)(void *), void *arg, size_t stack_size)
{
    if (!entry)
        return -EINVAL;
    start_args *a = malloc(sizeof *a);
    if (!a)
        return -ENOMEM;
    a->entry = entry;
    a->arg = arg;
    pthread_attr_t attr;
    int r = pthread_attr_init(&attr);
    if (r == 0) {
        r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (r == 0 && stack_size > 0)
            r = pthread_attr_setstacksize(&attr, stack_size);
        pthread_t t;
        if (r == 0)
            r = pthread_create(&t, &attr, trampoline, a);
        pthread_attr_destroy(&attr);
    }
    if (r != 0)
        free(a);
    return -r;
}
#endif
