/*
 * thredo.h: blocking-style calls for C code running on a Thredo native fiber.
 *
 * Each call that would block suspends the calling native fiber and hands control back to
 * its kernel (one OS thread runs every native fiber of a kernel), which resumes it when the
 * descriptor is ready, the time has passed, or the fiber is interrupted. They never block
 * the thread.
 *
 * Errors are negative errno values:
 *   -ECANCELED  the fiber was cancelled (delivered once: the next call blocks normally
 *               unless the fiber is cancelled again). Return soon, cleaning up.
 *   -ETIMEDOUT  a timeout scope (thredo_timeout_push) of the fiber expired.
 *   -EPERM      called off a native fiber.
 *   -EIO        the kernel could not serve the request (it reports why on stderr).
 *   others      from the underlying system call (-ECONNRESET, -EBADF, ...).
 *
 * Several fibers may wait on one descriptor; readiness wakes them in arrival order.
 * Durations saturate: thredo_sleep_ms(INT64_MAX) sleeps until cancelled.
 *
 * Threads: only from the native fiber itself. Off a fiber, every call returns -EPERM
 * (thredo_current and thredo_cancelled return 0).
 *
 * Descriptors: on POSIX, fd is any descriptor poll(2) supports. Sockets are used with
 * MSG_DONTWAIT and keep their blocking mode; any other descriptor (a pipe) is switched to
 * O_NONBLOCK, which is shared by every holder of the open file description. On Windows
 * fd is a SOCKET only (switched to non-blocking with FIONBIO); other handles return
 * -ENOSYS, and WSA errors are mapped to the errno values named here.
 */
#ifndef THREDO_H
#define THREDO_H

#include <stddef.h>
#include <stdint.h>
#include "thredo_native.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read up to len bytes from fd (a socket or pipe), waiting for readability through the
 * kernel's poller. Returns the number of bytes read (0 at end of stream) or a negative
 * errno. A non-socket descriptor is switched to O_NONBLOCK on first use. */
THREDO_API int64_t thredo_read(intptr_t fd, void *buf, size_t len);

/* Write up to len bytes to fd, waiting for writability. Returns the number written
 * (possibly fewer than len) or a negative errno. Never raises SIGPIPE for sockets. */
THREDO_API int64_t thredo_write(intptr_t fd, const void *buf, size_t len);

/* Connect socket fd to addr (a struct sockaddr of addrlen bytes), waiting for the
 * connection through the kernel's poller. The socket is switched to non-blocking mode
 * (O_NONBLOCK; FIONBIO on Windows) and stays so; use thredo_read/thredo_write on it.
 * Returns 0 or a negative errno (-ECONNREFUSED, -ETIMEDOUT, -ECANCELED, ...). A connect
 * interrupted by -ECANCELED/-ETIMEDOUT is still in progress: close the socket. */
THREDO_API int thredo_connect(intptr_t fd, const void *addr, size_t addrlen);

/* Suspend the fiber for at least ms milliseconds (0 is thredo_yield). Returns 0,
 * -ECANCELED, -ETIMEDOUT, or -EINVAL for a negative ms. */
THREDO_API int thredo_sleep_ms(int64_t ms);

/* Let every other runnable fiber of the kernel run first. A cancellation point:
 * returns 0, -ECANCELED or -ETIMEDOUT. */
THREDO_API int thredo_yield(void);

/* The Thredo fiber id of the calling native fiber (as Fiber.Id in .NET), or 0 off a fiber. */
THREDO_API int64_t thredo_current(void);

/* 1 if a cancellation of the calling fiber is pending (not yet delivered), else 0.
 * Lets long computations stop early without a blocking call. */
THREDO_API int thredo_cancelled(void);

/* Open a timeout scope: blocking calls return -ETIMEDOUT once ms milliseconds have
 * passed, until the matching thredo_timeout_pop. Scopes nest; an outer expiry is
 * reported to inner calls too. Returns 0, -EINVAL (negative ms), or -ECANCELED. */
THREDO_API int thredo_timeout_push(int64_t ms);

/* Close the innermost timeout scope. Returns 0, or -EINVAL if none is open. */
THREDO_API int thredo_timeout_pop(void);

/* Run managed callback `callback` (an id from NativeFiber.RegisterCallback in .NET) with
 * `argument`, and store its result in *result. The callback may block: the native fiber
 * switches back to the kernel, the callback runs there on a managed fiber, and the native
 * fiber is resumed with its result. Returns 0, -ECANCELED (the fiber was cancelled while
 * waiting), -ENOENT (no such callback) or -EIO (the callback threw; it is reported). */
THREDO_API int thredo_call_managed(int64_t callback, int64_t argument, int64_t *result);

/* As thredo_call_managed, for a callback that returns without blocking: it runs nested,
 * on this fiber's stack, when that is safe (the fiber's stack lies below the kernel's
 * resume frame, see DESIGN.md), and otherwise falls back to thredo_call_managed. */
THREDO_API int thredo_call_nested(int64_t callback, int64_t argument, int64_t *result);

#ifdef __cplusplus
}
#endif

#endif /* THREDO_H */
