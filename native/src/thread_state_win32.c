/*
 * thread_state_win32.c: is a thread of this process asleep in the OS, and has it run since?
 *
 * Discussion: the foreign-block watchdog (src/Thredo/Kernel/ForeignBlockWatch.cs) hands off a
 * fiber whose thread sleeps in a call Thredo does not serve. Linux answers from
 * /proc/self/task/<tid>/stat and schedstat. Windows has no per-thread state query: the
 * scheduler state (KTHREAD_STATE, KWAIT_REASON) comes only from the system-wide snapshot
 * NtQuerySystemInformation(SystemProcessInformation), documented with SYSTEM_THREAD_INFORMATION
 * in [MS-TSTS]; the "has it run" part is QueryThreadCycleTime, which is cheap.
 */
#include "internal.h"

#include <errno.h>
#include <windows.h>
#include <winternl.h>

/* KTHREAD_STATE and KWAIT_REASON values this file looks at. */
enum {
    THREAD_STATE_INITIALIZED = 0,
    THREAD_STATE_WAITING = 5,
    WAIT_REASON_SUSPENDED = 5,
    WAIT_REASON_WR_SUSPENDED = 12,
};

#define STATUS_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L) /* STATUS_INFO_LENGTH_MISMATCH */

/* The snapshot is walked by these layouts; [MS-TSTS] fixes them (x64: 256 and 80 bytes). */
#if defined(_WIN64)
_Static_assert(sizeof(SYSTEM_PROCESS_INFORMATION) == 256, "SYSTEM_PROCESS_INFORMATION layout");
_Static_assert(sizeof(SYSTEM_THREAD_INFORMATION) == 80, "SYSTEM_THREAD_INFORMATION layout");
#endif

typedef NTSTATUS(NTAPI *query_system_information_fn)(SYSTEM_INFORMATION_CLASS, PVOID, ULONG, PULONG);

/* ntdll is in every process; resolved at run time so no toolchain needs an ntdll import library.
 * Not cached: two lookups cost microseconds next to the snapshot itself. */
static query_system_information_fn query_system_information(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll ? (query_system_information_fn)(void (*)(void))GetProcAddress(ntdll, "NtQuerySystemInformation") : NULL;
}

/* The snapshot's size last time, so the next call usually needs one query, not a probe. */
static _Atomic ULONG snapshot_size_hint = 256 * 1024;

/* A snapshot of every process and thread on the system (HeapFree it), or NULL with *err set. */
static void *take_snapshot(int *err)
{
    query_system_information_fn query = query_system_information();
    if (!query) {
        *err = -ENOSYS;
        return NULL;
    }
    ULONG size = atomic_load(&snapshot_size_hint);
    for (int attempt = 0; attempt < 8; attempt++) {
        void *buf = HeapAlloc(GetProcessHeap(), 0, size);
        if (!buf) {
            *err = -ENOMEM;
            return NULL;
        }
        ULONG needed = 0;
        NTSTATUS st = query(SystemProcessInformation, buf, size, &needed);
        if (st >= 0) {
            atomic_store(&snapshot_size_hint, size);
            return buf;
        }
        HeapFree(GetProcessHeap(), 0, buf);
        if (st != STATUS_LENGTH_MISMATCH) {
            *err = -EIO;
            return NULL;
        }
        /* Threads start between the probe and the next query: leave room for some. */
        size = (needed > size ? needed : size) + 64 * 1024;
    }
    *err = -EIO;
    return NULL;
}

/* Thread tid of this process in the snapshot, or NULL. */
static const SYSTEM_THREAD_INFORMATION *find_thread(const void *snapshot, uint32_t tid)
{
    const uintptr_t self = GetCurrentProcessId();
    const char *p = snapshot;
    for (;;) {
        const SYSTEM_PROCESS_INFORMATION *proc = (const SYSTEM_PROCESS_INFORMATION *)p;
        if ((uintptr_t)proc->UniqueProcessId == self) {
            const SYSTEM_THREAD_INFORMATION *t = (const SYSTEM_THREAD_INFORMATION *)(proc + 1);
            for (ULONG i = 0; i < proc->NumberOfThreads; i++)
                if ((uintptr_t)t[i].ClientId.UniqueThread == tid)
                    return &t[i];
            return NULL;
        }
        if (proc->NextEntryOffset == 0)
            return NULL;
        p += proc->NextEntryOffset;
    }
}

uint32_t thredo_thread_current_id(void)
{
    return GetCurrentThreadId();
}

int thredo_thread_wait_state(uint32_t tid, int32_t *state, int32_t *wait_reason)
{
    if (state)
        *state = -1;
    if (wait_reason)
        *wait_reason = -1;
    int err = 0;
    void *snapshot = take_snapshot(&err);
    if (!snapshot)
        return err;
    const SYSTEM_THREAD_INFORMATION *t = find_thread(snapshot, tid);
    /* The caller runs, so it can never be Initialized (created, not yet started). If it is
     * shown so, the snapshot carries no scheduler states: Wine 8 fills ThreadState and
     * WaitReason with 0 for every thread. Say so rather than answer "not waiting". */
    const SYSTEM_THREAD_INFORMATION *caller = find_thread(snapshot, GetCurrentThreadId());
    int r = -ESRCH;
    if (t) {
        ULONG s = t->ThreadState, why = t->WaitReason;
        if (state)
            *state = (int32_t)s;
        if (wait_reason)
            *wait_reason = (int32_t)why;
        /* Ready, Running, Standby, Transition (runnable, its stack paged out) and
         * DeferredReady are all on the way to a CPU: not asleep, like Linux's R. */
        if (!caller || caller->ThreadState == THREAD_STATE_INITIALIZED)
            r = -ENOSYS;
        else
            r = s == THREAD_STATE_WAITING && why != WAIT_REASON_SUSPENDED && why != WAIT_REASON_WR_SUSPENDED;
    }
    HeapFree(GetProcessHeap(), 0, snapshot);
    return r;
}

int thredo_thread_cycles(uint32_t tid, uint64_t *out)
{
    if (!out)
        return -EINVAL;
    HANDLE h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, tid);
    if (!h)
        return GetLastError() == ERROR_ACCESS_DENIED ? -EACCES : -ESRCH;
    /* OpenThread takes any thread of the system: only ours are asked about. */
    int r = GetProcessIdOfThread(h) == GetCurrentProcessId() ? 0 : -ESRCH;
    ULONG64 cycles = 0;
    if (r == 0 && !QueryThreadCycleTime(h, &cycles))
        r = GetLastError() == ERROR_CALL_NOT_IMPLEMENTED ? -ENOSYS : -EIO; /* Wine 8: not implemented */
    CloseHandle(h);
    if (r == 0)
        *out = cycles;
    return r;
}
