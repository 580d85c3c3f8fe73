/*
 * hooks_poll.c: poll, ppoll and select on a native fiber.
 *
 * A zero-timeout poll(2) answers first; only if nothing is ready does the fiber wait.
 * One descriptor in one direction is one kernel wait on it. Several descriptors (libcurl
 * polls its socket and its wake-up pipe) become one wait too: they go into a private epoll
 * instance, and the fiber waits for that instance to become readable, which it does as
 * soon as any of them is ready. After the wait, a zero-timeout poll(2) fills revents; an
 * empty answer (another fiber took the data first) waits again for the time left.
 */
#define _GNU_SOURCE
#include "hooks.h"
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int64_t thredo_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define READ_EVENTS (POLLIN | POLLPRI | POLLRDHUP)

static uint32_t interest_of(short events)
{
    return ((events & READ_EVENTS) ? THREDO_POLL_READABLE : 0u) |
           ((events & POLLOUT) ? THREDO_POLL_WRITABLE : 0u);
}

static uint32_t epoll_events_of(short events)
{
    return ((events & READ_EVENTS) ? EPOLLIN | EPOLLPRI : 0u) | ((events & POLLOUT) ? EPOLLOUT : 0u);
}

/* Every interest in fds for descriptor fd (poll allows one fd several times). */
static short events_for(const struct pollfd *fds, nfds_t nfds, int fd)
{
    short e = 0;
    for (nfds_t i = 0; i < nfds; i++)
        if (fds[i].fd == fd)
            e |= fds[i].events;
    return e;
}

/* A private epoll instance watching every descriptor of fds: ready once any of them is.
 * Returns its descriptor or -errno. */
static int watch_all(const struct pollfd *fds, nfds_t nfds)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -errno;
    for (nfds_t i = 0; i < nfds; i++) {
        if (fds[i].fd < 0)
            continue;
        struct epoll_event ev = { .events = epoll_events_of(fds[i].events), .data.u64 = 0 };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i].fd, &ev) == 0)
            continue;
        if (errno == EEXIST) {   /* listed twice: watch the union of its interests */
            ev.events = epoll_events_of(events_for(fds, nfds, fds[i].fd));
            if (epoll_ctl(ep, EPOLL_CTL_MOD, fds[i].fd, &ev) == 0)
                continue;
        }
        int err = errno;
        close(ep);
        return -err;
    }
    return ep;
}

/* One wait for any of fds, at most timeout_ms (negative: none): 0 something may be ready,
 * 1 the time passed, or a negative errno. */
static int64_t wait_any(const struct pollfd *fds, nfds_t nfds, int64_t timeout_ms)
{
    nfds_t active = 0, last = 0;
    for (nfds_t i = 0; i < nfds; i++)
        if (fds[i].fd >= 0) {
            active++;
            last = i;
        }
    if (active == 0) {   /* poll(NULL, 0, t) is a sleep */
        int64_t r = thredo_sleep_request(timeout_ms < 0 ? INT64_MAX : timeout_ms);
        return r < 0 ? r : 1;
    }
    uint32_t interest = interest_of(fds[last].events);
    if (active == 1 && (interest == THREDO_POLL_READABLE || interest == THREDO_POLL_WRITABLE))
        return thredo_wait_fd_for(fds[last].fd, interest, timeout_ms);
    int ep = watch_all(fds, nfds);
    if (ep < 0)
        return ep;
    int64_t r = thredo_wait_fd_for(ep, THREDO_POLL_READABLE, timeout_ms);
    close(ep);
    return r;
}

int thredo_fiber_poll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ms)
{
    int ready = poll(fds, nfds, 0);
    if (ready != 0 || timeout_ms == 0)
        return ready;
    int64_t deadline = timeout_ms < 0 ? -1 : thredo_monotonic_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline < 0 ? -1 : deadline - thredo_monotonic_ms();
        if (deadline >= 0 && left < 0)
            left = 0;
        int64_t w = left == 0 ? 1 : wait_any(fds, nfds, left);
        if (w < 0) {
            errno = (int)-w;
            return -1;
        }
        ready = poll(fds, nfds, 0);
        if (ready != 0 || w == 1)
            return ready;
    }
}

int thredo_hook_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (!thredo_fiber_current())
        return poll(fds, nfds, timeout);
    return thredo_fiber_poll(fds, nfds, timeout < 0 ? -1 : timeout);
}

int thredo_hook_poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
    if (fdslen / sizeof *fds < nfds)
        return __poll_chk(fds, nfds, timeout, fdslen);   /* reports the overflow and aborts */
    return thredo_hook_poll(fds, nfds, timeout);
}

/* A timespec as milliseconds, rounded up (a wait never ends early); NULL is -1 (none). */
static int64_t timespec_ms(const struct timespec *ts)
{
    if (!ts)
        return -1;
    if (ts->tv_sec >= INT64_MAX / 1000 - 1)
        return INT64_MAX / 2;
    return (int64_t)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
}

/* On a fiber the signal mask is not swapped: no signal is delivered to a suspended fiber
 * (docs/native-fibers.md). */
int thredo_hook_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                      const sigset_t *sigmask)
{
    if (!thredo_fiber_current())
        return ppoll(fds, nfds, timeout, sigmask);
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000)) {
        errno = EINVAL;
        return -1;
    }
    return thredo_fiber_poll(fds, nfds, timespec_ms(timeout));
}

int thredo_hook_ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                          const sigset_t *sigmask, size_t fdslen)
{
    if (fdslen / sizeof *fds < nfds)
        return __ppoll_chk(fds, nfds, timeout, sigmask, fdslen);
    return thredo_hook_ppoll(fds, nfds, timeout, sigmask);
}

/* select as a poll over the descriptors of its sets; the sets come back as select
 * reports them, and *timeout holds the time left (Linux select's behaviour). */
int thredo_hook_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                       struct timeval *timeout)
{
    if (!thredo_fiber_current())
        return select(nfds, readfds, writefds, exceptfds, timeout);
    if (nfds < 0 || nfds > FD_SETSIZE || (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0))) {
        errno = EINVAL;
        return -1;
    }
    struct pollfd *fds = calloc((size_t)(nfds ? nfds : 1), sizeof *fds);
    if (!fds) {
        errno = ENOMEM;
        return -1;
    }
    nfds_t n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = (short)((readfds && FD_ISSET(fd, readfds) ? POLLIN : 0) |
                           (writefds && FD_ISSET(fd, writefds) ? POLLOUT : 0) |
                           (exceptfds && FD_ISSET(fd, exceptfds) ? POLLPRI : 0));
        if (ev)
            fds[n++] = (struct pollfd){ .fd = fd, .events = ev };
    }
    int64_t ms = timeout ? (int64_t)timeout->tv_sec * 1000 + (timeout->tv_usec + 999) / 1000 : -1;
    int64_t start = thredo_monotonic_ms();
    int r = thredo_fiber_poll(fds, n, ms);
    if (r >= 0) {
        for (nfds_t i = 0; i < n; i++)
            if (fds[i].revents & POLLNVAL) {   /* select reports a closed descriptor as EBADF */
                free(fds);
                errno = EBADF;
                return -1;
            }
        if (readfds)
            FD_ZERO(readfds);
        if (writefds)
            FD_ZERO(writefds);
        if (exceptfds)
            FD_ZERO(exceptfds);
        r = 0;
        for (nfds_t i = 0; i < n; i++) {
            short re = fds[i].revents, ev = fds[i].events;
            if (readfds && (ev & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR)))
                FD_SET(fds[i].fd, readfds), r++;
            if (writefds && (ev & POLLOUT) && (re & (POLLOUT | POLLERR)))
                FD_SET(fds[i].fd, writefds), r++;
            if (exceptfds && (ev & POLLPRI) && (re & POLLPRI))
                FD_SET(fds[i].fd, exceptfds), r++;
        }
    }
    if (timeout) {
        int64_t left = ms - (thredo_monotonic_ms() - start);
        if (left < 0 || r == 0)   /* timed out: nothing left */
            left = 0;
        timeout->tv_sec = (time_t)(left / 1000);
        timeout->tv_usec = (suseconds_t)(left % 1000) * 1000;
    }
    free(fds);
    return r;
}
