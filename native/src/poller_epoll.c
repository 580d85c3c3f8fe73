/*
 * poller_epoll.c: the poller over epoll, with an eventfd as wake handle.
 *
 * Discussion (why level-triggered one-shot): the kernel's I/O path is "try the
 * operation; if it would block, arm interest and park". Readiness can arrive
 * between the failed try and the arm. Arming a level-triggered registration makes
 * epoll re-check the descriptor's current state, so that readiness is reported at
 * once and never lost. One-shot reports a ready descriptor once, to the one waiter
 * that armed it, and then disarms it: no stale wakeups for a fiber that has since
 * moved on, and nothing to filter. Edge-triggered registration would save the
 * re-arm system call per wait, but an edge that fires between the try and the park
 * is consumed by nobody, so it needs sequence counting to close that race; we take
 * the syscall and keep the loop simple.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Token of the wake eventfd; callers may not use it. */
#define WAKE_TOKEN UINT64_MAX
/* epoll_events fetched per wait call; the rest stay queued for the next call. */
#define BATCH 128

struct thredo_poller {
    int epfd;   /* the epoll instance */
    int wakefd; /* eventfd registered level-triggered under WAKE_TOKEN */
};

/* epoll_pwait2 (Linux 5.11) takes a nanosecond timeout; older kernels say ENOSYS
 * once and we stop asking. */
static _Atomic int have_pwait2 = 1;

int thredo_poller_create(thredo_poller **out)
{
    if (!out)
        return -EINVAL;
    thredo_poller *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
        int err = errno;
        free(p);
        return -err;
    }
    p->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TOKEN };
    if (p->wakefd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wakefd, &ev) != 0) {
        int err = errno;
        if (p->wakefd >= 0)
            close(p->wakefd);
        close(p->epfd);
        free(p);
        return -err;
    }
    *out = p;
    return 0;
}

void thredo_poller_destroy(thredo_poller *poller)
{
    if (!poller)
        return;
    close(poller->wakefd);
    close(poller->epfd);
    free(poller);
}

static int ctl(thredo_poller *p, int op, intptr_t fd, uint32_t interest, uint64_t token)
{
    if (!p || fd < 0 || fd > INT_MAX || token == WAKE_TOKEN ||
        (interest & ~(THREDO_POLL_READABLE | THREDO_POLL_WRITABLE)))
        return -EINVAL;
    struct epoll_event ev = { .events = EPOLLONESHOT, .data.u64 = token };
    if (interest & THREDO_POLL_READABLE)
        ev.events |= EPOLLIN | EPOLLRDHUP;
    if (interest & THREDO_POLL_WRITABLE)
        ev.events |= EPOLLOUT;
    return epoll_ctl(p->epfd, op, (int)fd, &ev) == 0 ? 0 : -errno;
}

int thredo_poller_add(thredo_poller *poller, intptr_t fd, uint32_t interest, uint64_t token)
{
    return ctl(poller, EPOLL_CTL_ADD, fd, interest, token);
}

int thredo_poller_modify(thredo_poller *poller, intptr_t fd, uint32_t interest, uint64_t token)
{
    return ctl(poller, EPOLL_CTL_MOD, fd, interest, token);
}

int thredo_poller_remove(thredo_poller *poller, intptr_t fd)
{
    if (!poller || fd < 0 || fd > INT_MAX)
        return -EINVAL;
    struct epoll_event ev = { 0 }; /* pre-2.6.9 kernels want non-NULL */
    return epoll_ctl(poller->epfd, EPOLL_CTL_DEL, (int)fd, &ev) == 0 ? 0 : -errno;
}

static int epoll_wait_ns(int epfd, struct epoll_event *evs, int n, int64_t timeout_ns)
{
#if defined(SYS_epoll_pwait2)
    if (atomic_load_explicit(&have_pwait2, memory_order_relaxed)) {
        struct timespec ts, *tsp = NULL;
        if (timeout_ns >= 0) {
            ts.tv_sec = (time_t)(timeout_ns / 1000000000);
            ts.tv_nsec = (long)(timeout_ns % 1000000000);
            tsp = &ts;
        }
        long r = syscall(SYS_epoll_pwait2, epfd, evs, n, tsp, NULL, (size_t)(_NSIG / 8));
        if (r >= 0 || errno != ENOSYS)
            return (int)r;
        atomic_store_explicit(&have_pwait2, 0, memory_order_relaxed);
    }
#endif
    int ms = -1;
    if (timeout_ns >= 0) {
        /* round up: a timer must never fire early */
        int64_t m = (timeout_ns + 999999) / 1000000;
        ms = m > INT_MAX ? INT_MAX : (int)m;
    }
    return epoll_wait(epfd, evs, n, ms);
}

int thredo_poller_wait(thredo_poller *poller, thredo_poll_event *events, int capacity,
                       int64_t timeout_ns)
{
    if (!poller || !events || capacity <= 0)
        return -EINVAL;
    struct epoll_event evs[BATCH];
    int n = epoll_wait_ns(poller->epfd, evs, capacity < BATCH ? capacity : BATCH, timeout_ns);
    if (n < 0)
        return errno == EINTR ? 0 : -errno; /* EINTR: the caller re-checks its timers */
    int filled = 0;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == WAKE_TOKEN) {
            uint64_t drain;
            /* EAGAIN means another wait drained it already: fine */
            if (read(poller->wakefd, &drain, sizeof drain) < 0 && errno != EAGAIN)
                return -errno;
            continue;
        }
        uint32_t e = evs[i].events, r = 0;
        if (e & (EPOLLIN | EPOLLRDHUP))
            r |= THREDO_POLL_READABLE;
        if (e & EPOLLOUT)
            r |= THREDO_POLL_WRITABLE;
        if (e & EPOLLERR)
            r |= THREDO_POLL_ERROR;
        if (e & EPOLLHUP)
            r |= THREDO_POLL_HANGUP;
        events[filled].token = evs[i].data.u64;
        events[filled].events = r;
        events[filled].reserved = 0;
        filled++;
    }
    return filled;
}

int thredo_poller_wake(thredo_poller *poller)
{
    if (!poller)
        return -EINVAL;
    uint64_t one = 1;
    /* EAGAIN: the counter is saturated, so a wake is already pending */
    if (write(poller->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}
