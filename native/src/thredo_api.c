/*
 * thredo_api.c: the blocking-style C API of thredo.h, and the per-fiber state the
 * kernel sets for it (id, pending cancellation, nested-call dispatch).
 *
 * Every call that would block turns into one thredo_request on the fiber's own stack,
 * handed to the kernel by thredo_fiber_yield(&request); the value the kernel resumes the
 * fiber with is the result (0 or a negative errno; for THREDO_REQ_CALL the status, with
 * the callback's result written back into request.value). The request protocol in
 * thredo_native.h is the only coupling to the kernel: nothing here knows about .NET.
 *
 * Descriptors are driven non-blocking and the fiber waits for readiness through the
 * kernel (THREDO_REQ_WAIT_FD), so a thread never blocks in the kernel on behalf of one
 * fiber. On Windows only sockets are supported (pipes and files would need overlapped
 * I/O): a non-socket returns -ENOSYS.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE
#endif
#if defined(_WIN32)
#  include <winsock2.h>
#  include <windows.h>
#endif

#include "thredo.h"
#include "internal.h"
#include "stack_pool.h"

#include <errno.h>
#include <string.h>

#if !defined(_WIN32)
#  include <fcntl.h>
#  include <sys/socket.h>
#  include <unistd.h>
#endif

/* ---------------------------------------------------------------- per-fiber state */

void thredo_fiber_set_id(thredo_fiber *fiber, int64_t id)
{
    if (fiber)
        fiber->id = id;
}

void thredo_fiber_set_cancel_pending(thredo_fiber *fiber, int32_t pending)
{
    if (fiber)
        atomic_store_explicit(&fiber->cancel_pending, pending ? 1 : 0, memory_order_release);
}

static _Atomic(thredo_managed_dispatch) g_dispatch;

void thredo_set_managed_dispatch(thredo_managed_dispatch dispatch)
{
    atomic_store_explicit(&g_dispatch, dispatch, memory_order_release);
}

int64_t thredo_current(void)
{
    thredo_fiber *f = thredo_fiber_current();
    return f ? f->id : 0;
}

int thredo_cancelled(void)
{
    thredo_fiber *f = thredo_fiber_current();
    return f ? atomic_load_explicit(&f->cancel_pending, memory_order_acquire) != 0 : 0;
}

/* ---------------------------------------------------------------- requests */

/* Hand one request to the kernel and return what it resumes us with. */
static int64_t submit(thredo_request *req)
{
    return (int64_t)thredo_fiber_yield((intptr_t)req);
}

int64_t thredo_wait_fd_for(intptr_t fd, uint32_t interest, int64_t timeout_ms)
{
    thredo_request req;
    memset(&req, 0, sizeof req);
    req.kind = timeout_ms < 0 ? THREDO_REQ_WAIT_FD : THREDO_REQ_WAIT_FD_FOR;
    req.fd = (int64_t)fd;
    req.interest = interest;
    req.value = timeout_ms < 0 ? 0 : timeout_ms;
    return submit(&req);
}

int64_t thredo_sleep_request(int64_t ms)
{
    thredo_request req;
    memset(&req, 0, sizeof req);
    req.kind = ms == 0 ? THREDO_REQ_YIELD : THREDO_REQ_SLEEP;
    req.value = ms;
    return submit(&req);
}

static int64_t simple_request(int32_t kind, int64_t value)
{
    if (!thredo_fiber_current())
        return -EPERM;
    thredo_request req;
    memset(&req, 0, sizeof req);
    req.kind = kind;
    req.value = value;
    return submit(&req);
}

/* Suspend until fd is ready for `interest`: 0, or the kernel's negative errno. */
static int64_t wait_fd(intptr_t fd, uint32_t interest)
{
    thredo_request req;
    memset(&req, 0, sizeof req);
    req.kind = THREDO_REQ_WAIT_FD;
    req.fd = (int64_t)fd;
    req.interest = interest;
    return submit(&req);
}

int thredo_yield(void)
{
    return (int)simple_request(THREDO_REQ_YIELD, 0);
}

int thredo_sleep_ms(int64_t ms)
{
    if (!thredo_fiber_current())
        return -EPERM;
    if (ms < 0)
        return -EINVAL;
    if (ms == 0)
        return thredo_yield();
    return (int)simple_request(THREDO_REQ_SLEEP, ms);
}

int thredo_timeout_push(int64_t ms)
{
    if (!thredo_fiber_current())
        return -EPERM;
    if (ms < 0)
        return -EINVAL;
    return (int)simple_request(THREDO_REQ_TIMEOUT_PUSH, ms);
}

int thredo_timeout_pop(void)
{
    return (int)simple_request(THREDO_REQ_TIMEOUT_POP, 0);
}

int thredo_call_managed(int64_t callback, int64_t argument, int64_t *result)
{
    if (!thredo_fiber_current())
        return -EPERM;
    thredo_request req;
    memset(&req, 0, sizeof req);
    req.kind = THREDO_REQ_CALL;
    req.value = callback;
    req.argument = argument;
    int status = (int)submit(&req);
    if (status == 0 && result)
        *result = req.value;
    return status;
}

/* The highest address of the fiber's stack (its first frame sits just below). */
static const char *stack_top(const thredo_fiber *f)
{
#if defined(_WIN32)
    (void)f;
    /* Windows Fibers own their stacks; SwitchToFiber keeps the TEB's bounds current,
     * and we run on the fiber right now. */
    return (const char *)((NT_TIB *)NtCurrentTeb())->StackBase;
#else
    return (const char *)thredo_stack_base(f->stack) + thredo_stack_size(f->stack);
#endif
}

/*
 * Discussion: why the nested call needs the fiber's stack below the resume frame.
 *
 * The dispatch enters managed code on this stack, which pushes the runtime's explicit
 * Frames (and, if it throws, ExInfos) here, while the kernel's own Frames (the
 * InlinedCallFrame of the P/Invoke that resumed us) stay on the host stack. The CoreCLR
 * stack walker and exception unwinder assume that one thread's Frames are ordered by
 * address, in the direction the stack grows: any Frame whose address is below the
 * current managed frame's SP is taken to belong to that frame and is consumed there
 * (CheckForSkippedFrames, PopExplicitFrames, ExInfo::PopExInfos; see
 * evidence/coreclr-stack-switching.md, section d). If the fiber's stack were above the
 * host's, the kernel's Frames would be consumed while walking the callback's frames,
 * and the frames they lead to would never be walked: GC holes, crashes. With the whole
 * fiber stack below the frame of thredo_fiber_resume (itself below the kernel's
 * P/Invoke frame), the order is the one a plain nested call would produce, so the
 * walk is right. Otherwise we switch back to the kernel and let it run the callback on
 * its own stack (thredo_call_managed), which is always safe.
 */
int thredo_call_nested(int64_t callback, int64_t argument, int64_t *result)
{
    thredo_fiber *f = thredo_fiber_current();
    if (!f)
        return -EPERM;
    thredo_managed_dispatch dispatch = atomic_load_explicit(&g_dispatch, memory_order_acquire);
    const char *top = stack_top(f);
    if (dispatch && top && f->resume_frame && top <= (const char *)f->resume_frame) {
        int32_t status = -EIO;
        int64_t value = dispatch(callback, argument, &status);
        if (status == 0 && result)
            *result = value;
        return status;
    }
    return thredo_call_managed(callback, argument, result);
}

/* ---------------------------------------------------------------- descriptors */

#if defined(_WIN32)

static int64_t wsa_error(int err)
{
    switch (err) {
    case WSAEWOULDBLOCK: return -EWOULDBLOCK;
    case WSAEINPROGRESS: return -EINPROGRESS;
    case WSAEALREADY: return -EALREADY;
    case WSAENOTSOCK: return -ENOSYS; /* only sockets are supported on Windows */
    case WSAECONNRESET: return -ECONNRESET;
    case WSAECONNABORTED: return -ECONNABORTED;
    case WSAECONNREFUSED: return -ECONNREFUSED;
    case WSAENOTCONN: return -ENOTCONN;
    case WSAESHUTDOWN: return -EPIPE;
    case WSAETIMEDOUT: return -ETIMEDOUT;
    case WSAEINVAL: return -EINVAL;
    case WSAEFAULT: return -EFAULT;
    case WSAEINTR: return -EINTR;
    case WSAEISCONN: return -EISCONN;
    case WSAENETUNREACH: return -ENETUNREACH;
    case WSAEHOSTUNREACH: return -EHOSTUNREACH;
    case WSAEADDRINUSE: return -EADDRINUSE;
    case WSAEMSGSIZE: return -EMSGSIZE;
    case WSAENOBUFS: return -ENOBUFS;
    default: return -EIO;
    }
}

/* Sockets start blocking on Windows; FIONBIO is idempotent and cheap. */
static int64_t make_nonblocking(intptr_t fd)
{
    u_long on = 1;
    return ioctlsocket((SOCKET)fd, FIONBIO, &on) == 0 ? 0 : wsa_error(WSAGetLastError());
}

/* One transfer attempt: bytes, or a negative errno (-EWOULDBLOCK: wait). */
static int64_t try_io(intptr_t fd, void *buf, size_t len, int writing, int *nonblocking)
{
    if (!*nonblocking) {
        int64_t rc = make_nonblocking(fd);
        if (rc < 0)
            return rc;
        *nonblocking = 1;
    }
    int n = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;
    int r = writing ? send((SOCKET)fd, (const char *)buf, n, 0)
                    : recv((SOCKET)fd, (char *)buf, n, 0);
    return r == SOCKET_ERROR ? wsa_error(WSAGetLastError()) : (int64_t)r;
}

#else

/* A pipe or other non-socket: O_NONBLOCK on the descriptor itself (it is shared with
 * every other holder of the open file description; see thredo.h). */
static int64_t make_nonblocking(intptr_t fd)
{
    int fl = fcntl((int)fd, F_GETFL);
    if (fl < 0)
        return -errno;
    if (!(fl & O_NONBLOCK) && fcntl((int)fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

static int64_t try_io(intptr_t fd, void *buf, size_t len, int writing, int *not_socket)
{
    ssize_t r;
    if (!*not_socket) {
        r = writing ? send((int)fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                    : recv((int)fd, buf, len, MSG_DONTWAIT);
        if (r >= 0)
            return r;
        if (errno != ENOTSOCK)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        int64_t rc = make_nonblocking(fd);
        if (rc < 0)
            return rc;
        *not_socket = 1;
    }
    r = writing ? write((int)fd, buf, len) : read((int)fd, buf, len);
    if (r >= 0)
        return r;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

#endif

/* Transfer once, waiting for readiness through the kernel as long as it would block. */
static int64_t transfer(intptr_t fd, void *buf, size_t len, int writing)
{
    if (!thredo_fiber_current())
        return -EPERM;
    int state = 0; /* POSIX: fd is not a socket; Windows: FIONBIO was set */
    for (;;) {
        int64_t r = try_io(fd, buf, len, writing, &state);
        if (r >= 0)
            return r;
        if (r == -EINTR)
            continue;
        if (r != -EAGAIN && r != -EWOULDBLOCK)
            return r;
        int64_t w = wait_fd(fd, writing ? THREDO_POLL_WRITABLE : THREDO_POLL_READABLE);
        if (w < 0)
            return w;
    }
}

int64_t thredo_read(intptr_t fd, void *buf, size_t len)
{
    return transfer(fd, buf, len, 0);
}

int64_t thredo_write(intptr_t fd, const void *buf, size_t len)
{
    return transfer(fd, (void *)buf, len, 1);
}

int thredo_connect(intptr_t fd, const void *addr, size_t addrlen)
{
    if (!thredo_fiber_current())
        return -EPERM;
    if (!addr)
        return -EINVAL;
    int64_t rc = make_nonblocking(fd);
    if (rc < 0)
        return (int)rc;
#if defined(_WIN32)
    if (connect((SOCKET)fd, (const struct sockaddr *)addr, (int)addrlen) == 0)
        return 0;
    int err = WSAGetLastError();
    if (err != WSAEWOULDBLOCK && err != WSAEINPROGRESS)
        return (int)wsa_error(err);
    /* The IOCP poller reports WRITABLE at once (poller_iocp.c, "Limitation"), so ask
     * select whether the connect has finished, and wait again if not. */
    for (;;) {
        int64_t w = wait_fd(fd, THREDO_POLL_WRITABLE);
        if (w < 0)
            return (int)w;
        fd_set wr, ex;
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        FD_SET((SOCKET)fd, &wr);
        FD_SET((SOCKET)fd, &ex);
        struct timeval zero = { 0, 0 };
        if (select(0, NULL, &wr, &ex, &zero) == SOCKET_ERROR)
            return (int)wsa_error(WSAGetLastError());
        if (FD_ISSET((SOCKET)fd, &wr) && !FD_ISSET((SOCKET)fd, &ex))
            return 0;
        if (FD_ISSET((SOCKET)fd, &ex)) {
            int soerr = 0, sl = sizeof soerr;
            if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl) != 0)
                return (int)wsa_error(WSAGetLastError());
            return soerr ? (int)wsa_error(soerr) : -ECONNREFUSED;
        }
    }
#else
    if (connect((int)fd, (const struct sockaddr *)addr, (socklen_t)addrlen) == 0)
        return 0;
    /* EINTR: the connection attempt goes on asynchronously, like EINPROGRESS. */
    if (errno != EINPROGRESS && errno != EINTR)
        return -errno;
    /* Writable once the attempt finished, either way; SO_ERROR tells which. */
    int64_t w = wait_fd(fd, THREDO_POLL_WRITABLE);
    if (w < 0)
        return (int)w;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt((int)fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return -errno;
    return -soerr;
#endif
}
