/*
 * hooks.h: the replacements thredo_hook_library stores in patched GOTs (Linux only).
 *
 * Each one is the libc function when its caller is not on a native fiber. On a native
 * fiber, a call that would block suspends the fiber through the request protocol
 * (internal.h: thredo_wait_fd_for, thredo_sleep_request) and returns what the libc call
 * would have, with errno set after the fiber resumes (ECANCELED: the fiber was cancelled;
 * ETIMEDOUT: its timeout scope expired). docs/native-fibers.md lists the details.
 */
#ifndef THREDO_HOOKS_H
#define THREDO_HOOKS_H

#if !defined(__linux__)
#  error "the GOT hooks are Linux only"
#endif

#include "got_patch.h"

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

/* hooks_poll.c */
int thredo_hook_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int thredo_hook_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                      const sigset_t *sigmask);
int thredo_hook_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
                       struct timeval *timeout);

/* hooks_poll.c: the _FORTIFY_SOURCE variants (bounds checked, then as above) */
int thredo_hook_poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int thredo_hook_ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                          const sigset_t *sigmask, size_t fdslen);

/* hooks_io.c */
ssize_t thredo_hook_read(int fd, void *buf, size_t len);
ssize_t thredo_hook_write(int fd, const void *buf, size_t len);
ssize_t thredo_hook_recv(int fd, void *buf, size_t len, int flags);
ssize_t thredo_hook_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                             socklen_t *fromlen);
ssize_t thredo_hook_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t thredo_hook_send(int fd, const void *buf, size_t len, int flags);
ssize_t thredo_hook_sendto(int fd, const void *buf, size_t len, int flags,
                           const struct sockaddr *to, socklen_t tolen);
ssize_t thredo_hook_sendmsg(int fd, const struct msghdr *msg, int flags);
int thredo_hook_connect(int fd, const struct sockaddr *addr, socklen_t len);
/* the _FORTIFY_SOURCE variants (bounds checked, then as above) */
ssize_t thredo_hook_read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t thredo_hook_recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t thredo_hook_recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                                 struct sockaddr *from, socklen_t *fromlen);
int thredo_hook_accept(int fd, struct sockaddr *addr, socklen_t *len);
int thredo_hook_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/* hooks_sleep.c */
unsigned int thredo_hook_sleep(unsigned int seconds);
int thredo_hook_usleep(useconds_t usec);
int thredo_hook_nanosleep(const struct timespec *req, struct timespec *rem);
int thredo_hook_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                                struct timespec *rem);

/* hook_resolver.c */
int thredo_hook_getaddrinfo(const char *node, const char *service,
                            const struct addrinfo *hints, struct addrinfo **res);

/* hook_install.c */
void *thredo_hook_dlopen(const char *file, int mode);

/* hooks_poll.c, shared with hooks_io.c: poll(2) on a native fiber, with the timeout in
 * milliseconds (negative: none). Returns as poll does, errno set on -1. */
int thredo_fiber_poll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ms);

/* glibc's checked entry points (declared by its headers only under _FORTIFY_SOURCE): a hook
 * whose bounds check fails calls them, and they report the overflow and abort. */
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                const sigset_t *sigmask, size_t fdslen);
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                       struct sockaddr *from, socklen_t *fromlen);

/* Monotonic milliseconds, for deadlines. */
int64_t thredo_monotonic_ms(void);

#endif /* THREDO_HOOKS_H */
