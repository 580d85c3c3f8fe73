/* Property: installing the guard-page handler while another thread keeps faulting never
 * loses a fault: every SIGSEGV before, during and after thredo_guard_install reaches the
 * handler that was there first (as the .NET runtime's NullReferenceException handler
 * must). Each of many child processes races one installation. POSIX only. */
#include "test_util.h"

#if defined(_WIN32)
int main(void) { SKIP("no POSIX signals on Windows"); }
#else
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

static __thread sigjmp_buf t_recover;
static _Atomic long g_handled;
static _Atomic int g_stop;

static void previous_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si; (void)uc;
    atomic_fetch_add(&g_handled, 1);
    siglongjmp(t_recover, 1);
}

static volatile int *volatile g_null_page = (volatile int *)8; /* opaque to the compiler */

static void *faulter(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_stop)) {
        if (sigsetjmp(t_recover, 1) == 0)
            *g_null_page = 1; /* a null-page write, like a .NET null dereference */
    }
    return NULL;
}

static int child(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = previous_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, faulter, NULL), 0);
    while (atomic_load(&g_handled) < 100) {} /* faulting at full speed */
    CHECK_EQ(thredo_guard_install(), 0);
    long at_install = atomic_load(&g_handled);
    while (atomic_load(&g_handled) < at_install + 100) {} /* chained through ours now */
    atomic_store(&g_stop, 1);
    CHECK_EQ(pthread_join(t, NULL), 0);
    return 0;
}

int main(void)
{
    for (int i = 0; i < 50; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(child());
        int status = 0;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "child %d: %s %d\n", i, WIFSIGNALED(status) ? "killed by signal" : "exit",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            return 1;
        }
    }
    return 0;
}
#endif
