/* Property: overflowing a fiber's stack faults on the guard page below it instead
 * of writing into whatever is mapped there. A child process overflows; the parent
 * checks it died of the fault (or reported a fault address just below the stack). */
#include "test_util.h"

#define STACK (64u * 1024u)

static volatile int keep_going = 1; /* hides the unbounded recursion from -Werror */

static __attribute__((noinline)) int recurse_forever(int depth)
{
    volatile char frame[256];
    frame[0] = (char)depth;
    if (!keep_going)
        return depth;
    return recurse_forever(depth + 1) + frame[0]; /* not a tail call */
}

static volatile uintptr_t fiber_top; /* a local in the fiber's first frame */

static intptr_t overflow(intptr_t unused)
{
    volatile char here = 0;
    (void)unused;
    fiber_top = (uintptr_t)&here;
    return recurse_forever(here);
}

#if defined(_WIN32)
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        thredo_fiber *f;
        CHECK_EQ(thredo_fiber_create(overflow, 0, STACK, &f), 0);
        thredo_fiber_resume(f, 0, NULL);
        return 0; /* reached only if the overflow went unnoticed */
    }
    char self[MAX_PATH], cmd[MAX_PATH + 16];
    GetModuleFileNameA(NULL, self, sizeof self);
    snprintf(cmd, sizeof cmd, "\"%s\" child", self);
    STARTUPINFOA si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        SKIP("cannot start a child process (error %lu)", GetLastError());
    WaitForSingleObject(pi.hProcess, 60000);
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    printf("child exit code 0x%lx\n", code);
    int ok = code == 0xC00000FDu || code == 0xC0000005u;
    if (!ok && GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version"))
        SKIP("Wine detects the overflow (\"virtual_setup_exception stack overflow\") but ends "
             "the process with exit code 0x%lx, not STATUS_STACK_OVERFLOW, so the outcome "
             "cannot be told from a silent return", code);
    CHECK(code == 0xC00000FDu /* STATUS_STACK_OVERFLOW */ ||
          code == 0xC0000005u /* STATUS_ACCESS_VIOLATION */);
    return 0;
}
#else
#  include <signal.h>
#  include <sys/wait.h>

/* Runs on its own signal stack: the faulting stack has no room left. Exit 42 if
 * the fault is just below the fiber's usable STACK bytes (in the guard), 43 if the
 * fault is somewhere else. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    uintptr_t addr = (uintptr_t)si->si_addr, top = fiber_top;
    int in_guard = addr < top && top - addr >= STACK - 4096 && top - addr <= STACK + 64 * 1024;
    _exit(in_guard ? 42 : 43);
}

int main(void)
{
#  if defined(TEST_ASAN)
    printf("note: under ASan the child resets SIGSEGV to our handler\n");
#  endif
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        static char altstack[64 * 1024];
        stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
        sigaltstack(&ss, NULL);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        thredo_fiber *f;
        if (thredo_fiber_create(overflow, 0, STACK, &f) != 0)
            _exit(2);
        thredo_fiber_resume(f, 0, NULL);
        _exit(0); /* reached only if the overflow went unnoticed */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) {
        printf("child killed by signal %d\n", WTERMSIG(status));
        CHECK(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
    } else {
        CHECK(WIFEXITED(status));
        printf("child exit status %d (42 = fault caught on the guard page)\n", WEXITSTATUS(status));
        CHECK_EQ(WEXITSTATUS(status), 42);
    }
    return 0;
}
#endif
