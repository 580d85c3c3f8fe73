/*
 * hooks_io.c: read, write, the recv/send family, connect and accept on a native fiber.
 *
 * Discussion: whose descriptor mode wins. A descriptor the library made non-blocking
 * (libcurl, libpq, OpenSSL under them) goes straight to libc: the library expects
 * EAGAIN and then waits in poll, which is hooked. Waiting here instead would turn its
 * "read until EAGAIN" loops into waits for data that never comes. A descriptor the
 * library left blocking must look blocking, without the thread blocking: a socket is
 * tried with MSG_DONTWAIT (a per-call flag, the descriptor is unchanged) and the fiber
 * waits for readiness on EAGAIN; anything else (a pipe, a tty) waits for readiness
 * first and then calls libc. connect on a blocking socket has no per-call flag: the hook
 * sets O_NONBLOCK for that one connect(2) and restores the flags before the fiber waits,
 * so the library never observes the change (another thread using the same socket during
 * that system call could; docs/native-fibers.md).
 */
#define _GNU_SOURCE
#include "hooks.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 if fd is in blocking mode; 0 if non-blocking or not a descriptor (libc reports that). */
static int is_blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && !(fl & O_NONBLOCK);
}

static int is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Wait for fd in one direction; 0, or -1 with errno set (ECANCELED, ETIMEDOUT, EBADF ...). */
static int wait_ready(int fd, uint32_t interest)
{
    int64_t w = thredo_wait_fd_for(fd, interest, -1);
    if (w < 0) {
        errno = (int)-w;
        return -1;
    }
    return 0;
}

/* A non-socket blocking descriptor: call libc once it is ready (a regular file always is). */
static int wait_unless_ready(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
    if (thredo_fiber_poll(&p, 1, -1) < 0)
        return -1;
    return 0;
}

/* One socket operation, tried without blocking: the arguments of any recv/send call. */
typedef struct sock_op {
    int kind;                 /* SOCK_RECVFROM, SOCK_RECVMSG, SOCK_SENDTO, SOCK_SENDMSG */
    int fd, flags;
    void *buf;
    size_t len;
    struct sockaddr *from;
    socklen_t *fromlen;
    const struct sockaddr *to;
    socklen_t tolen;
    struct msghdr *msg;
} sock_op;

enum { SOCK_RECVFROM, SOCK_RECVMSG, SOCK_SENDTO, SOCK_SENDMSG };

static ssize_t try_op(const sock_op *op, const char *buf, size_t len)
{
    int flags = op->flags | MSG_DONTWAIT;
    switch (op->kind) {
    case SOCK_RECVFROM: return recvfrom(op->fd, (void *)buf, len, flags, op->from, op->fromlen);
    case SOCK_RECVMSG: return recvmsg(op->fd, op->msg, flags);
    case SOCK_SENDTO: return sendto(op->fd, buf, len, flags, op->to, op->tolen);
    default: return sendmsg(op->fd, op->msg, flags);
    }
}

/* A blocking socket call made of non-blocking tries and fiber waits. A send (and a recv
 * with MSG_WAITALL) goes on until all len bytes moved, as the blocking call would; if an
 * error or an interrupt comes after some bytes moved, those bytes are the result. */
static ssize_t blocking_socket_call(const sock_op *op)
{
    int sending = op->kind == SOCK_SENDTO || op->kind == SOCK_SENDMSG;
    int whole = op->kind == SOCK_SENDTO ||
                (op->kind == SOCK_RECVFROM && (op->flags & MSG_WAITALL));
    size_t done = 0;
    for (;;) {
        ssize_t r = try_op(op, (const char *)op->buf + done, op->len - done);
        if (r >= 0) {
            done += (size_t)r;
            if (!whole || done == op->len || (r == 0 && !sending))
                return whole ? (ssize_t)done : r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return done ? (ssize_t)done : -1;
        if (wait_ready(op->fd, sending ? THREDO_POLL_WRITABLE : THREDO_POLL_READABLE) < 0)
            return done ? (ssize_t)done : -1;
    }
}

/* Whether a hooked call on fd should go straight to libc. */
static int pass_through(int fd)
{
    return !thredo_fiber_current() || !is_blocking(fd);
}

ssize_t thredo_hook_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                             socklen_t *fromlen)
{
    if (pass_through(fd) || (flags & MSG_DONTWAIT))
        return recvfrom(fd, buf, len, flags, from, fromlen);
    sock_op op = { .kind = SOCK_RECVFROM, .fd = fd, .flags = flags, .buf = buf, .len = len,
                   .from = from, .fromlen = fromlen };
    return blocking_socket_call(&op);
}

ssize_t thredo_hook_recv(int fd, void *buf, size_t len, int flags)
{
    return thredo_hook_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t thredo_hook_recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (pass_through(fd) || (flags & MSG_DONTWAIT))
        return recvmsg(fd, msg, flags);
    sock_op op = { .kind = SOCK_RECVMSG, .fd = fd, .flags = flags, .msg = msg };
    return blocking_socket_call(&op);
}

ssize_t thredo_hook_sendto(int fd, const void *buf, size_t len, int flags,
                           const struct sockaddr *to, socklen_t tolen)
{
    if (pass_through(fd) || (flags & MSG_DONTWAIT))
        return sendto(fd, buf, len, flags, to, tolen);
    sock_op op = { .kind = SOCK_SENDTO, .fd = fd, .flags = flags, .buf = (void *)buf,
                   .len = len, .to = to, .tolen = tolen };
    return blocking_socket_call(&op);
}

ssize_t thredo_hook_send(int fd, const void *buf, size_t len, int flags)
{
    return thredo_hook_sendto(fd, buf, len, flags, NULL, 0);
}

/* A blocking sendmsg returns after one partial send (iovec bookkeeping is the caller's). */
ssize_t thredo_hook_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (pass_through(fd) || (flags & MSG_DONTWAIT))
        return sendmsg(fd, msg, flags);
    sock_op op = { .kind = SOCK_SENDMSG, .fd = fd, .flags = flags, .msg = (struct msghdr *)msg };
    return blocking_socket_call(&op);
}

ssize_t thredo_hook_read(int fd, void *buf, size_t len)
{
    if (pass_through(fd))
        return read(fd, buf, len);
    if (is_socket(fd))
        return thredo_hook_recvfrom(fd, buf, len, 0, NULL, NULL);
    if (wait_unless_ready(fd, POLLIN) < 0)
        return -1;
    return read(fd, buf, len);
}

ssize_t thredo_hook_write(int fd, const void *buf, size_t len)
{
    if (pass_through(fd))
        return write(fd, buf, len);
    if (is_socket(fd))   /* write(2) on a socket is send(2) with no flags */
        return thredo_hook_sendto(fd, buf, len, 0, NULL, 0);
    if (wait_unless_ready(fd, POLLOUT) < 0)
        return -1;
    return write(fd, buf, len);
}

/* The _FORTIFY_SOURCE variants: glibc's own check first (it aborts on an overflow). */
ssize_t thredo_hook_read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    if (len > buflen)
        return __read_chk(fd, buf, len, buflen);
    return thredo_hook_read(fd, buf, len);
}

ssize_t thredo_hook_recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    if (len > buflen)
        return __recv_chk(fd, buf, len, buflen, flags);
    return thredo_hook_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t thredo_hook_recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                                 struct sockaddr *from, socklen_t *fromlen)
{
    if (len > buflen)
        return __recvfrom_chk(fd, buf, len, buflen, flags, from, fromlen);
    return thredo_hook_recvfrom(fd, buf, len, flags, from, fromlen);
}

int thredo_hook_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (pass_through(fd))
        return connect(fd, addr, len);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return connect(fd, addr, len);   /* cannot switch: the plain call */
    int r = connect(fd, addr, len);
    int err = errno;
    fcntl(fd, F_SETFL, fl);
    if (r == 0 || (err != EINPROGRESS && err != EINTR)) {
        errno = err;
        return r;
    }
    /* The attempt goes on in the kernel; writable once it has ended, SO_ERROR says how. */
    if (wait_ready(fd, THREDO_POLL_WRITABLE) < 0)
        return -1;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return -1;
    if (soerr) {
        errno = soerr;
        return -1;
    }
    return 0;
}

/* A blocking listener: wait for a pending connection, then take it. Another process taking
 * it first would make accept4 block the thread (the listener's mode is left alone). */
int thredo_hook_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (pass_through(fd))
        return accept4(fd, addr, len, flags);
    if (wait_ready(fd, THREDO_POLL_READABLE) < 0)
        return -1;
    return accept4(fd, addr, len, flags);
}

int thredo_hook_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (pass_through(fd))
        return accept(fd, addr, len);
    if (wait_ready(fd, THREDO_POLL_READABLE) < 0)
        return -1;
    return accept(fd, addr, len);
}
