/* Property: with thredo_guard_install, a native fiber that overflows its stack onto the
 * guard page is reported by id and size on stderr ("native fiber 7 overflowed its ...")
 * and the process dies of SIGABRT, not a bare SIGSEGV. A forked child overflows; the
 * parent reads the child's stderr through a pipe. The child also checks that an unrelated
 * fault still reaches the handler installed before ours. POSIX only. */
#include "mini_kernel.h"

#if defined(_WIN32)
int main(void)
{
    CHECK_EQ(thredo_guard_install(), -ENOSYS);
    SKIP("thredo_guard_install is POSIX only: on Windows a guard-page overflow is "
         "EXCEPTION_STACK_OVERFLOW (see test_guard_page); -ENOSYS checked");
}
#else
#  include <setjmp.h>
#  include <signal.h>
#  include <sys/wait.h>

#define STACK (16u * 1024u)

static volatile int keep_going = 1;

static __attribute__((noinline)) int recurse_forever(int depth)
{
    volatile char frame[256];
    frame[0] = (char)depth;
    if (!keep_going)
        return depth;
    return recurse_forever(depth + 1) + frame[0]; /* not a tail call */
}

static intptr_t overflow(intptr_t unused)
{
    (void)unused;
    return recurse_forever(0);
}

static sigjmp_buf back;
static volatile uintptr_t bad_address = 16; /* volatile: hides the null page from -Werror */
static volatile sig_atomic_t prev_called;

static void previous_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    prev_called = 1;
    siglongjmp(back, 1);
}

static void child(void)
{
    /* a "runtime" handler first, as .NET would have */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = previous_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    if (thredo_guard_install() != 0 || thredo_guard_install() != 0)
        _exit(2);
    /* an ordinary fault (not on a guard) goes to the previous handler */
    if (sigsetjmp(back, 1) == 0)
        *(volatile int *)bad_address = 1;
    if (!prev_called)
        _exit(3);
    mini_kernel k;
    mk_init(&k);
    mk_spawn(&k, overflow, 0, STACK, 7);
    mk_run(&k);
    _exit(0); /* reached only if the overflow went unnoticed */
}

int main(void)
{
    int err[2];
    CHECK_EQ(pipe(err), 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(err[1], STDERR_FILENO);
        close(err[0]);
        close(err[1]);
        child();
    }
    close(err[1]);
    char out[4096];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof out - 1 && (r = read(err[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = 0;
    close(err[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("child stderr: %s", out);
    if (WIFSIGNALED(status))
        printf("child killed by signal %d\n", WTERMSIG(status));
    else
        printf("child exit status %d\n", WEXITSTATUS(status));
    /* the size is the usable size, rounded up to pages (16384 with 4 KiB pages) */
    char want[96];
    long page = sysconf(_SC_PAGESIZE);
    snprintf(want, sizeof want, "native fiber 7 overflowed its %ld-byte stack",
             ((long)STACK + page - 1) / page * page);
    CHECK(strstr(out, want) != NULL);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    return 0;
}
#endif
