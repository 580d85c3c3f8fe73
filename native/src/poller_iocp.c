/*
 * poller_iocp.c: the poller over an I/O completion port (Windows, sockets only).
 *
 * A completion port reports finished operations, not readiness, so readiness of a
 * SOCKET is emulated with the same level-triggered one-shot contract as epoll (see
 * poller_epoll.c, "Discussion"):
 *   - add associates the socket with the port (once per socket lifetime: a handle
 *     cannot be re-associated, so re-adding after remove reuses the association);
 *   - arming READABLE posts a zero-byte overlapped WSARecv. It completes as soon as
 *     data (or end of stream) is available, which is exactly "readable", and because
 *     it is issued at arm time it also sees data that arrived before the arm, so it
 *     is level-triggered. A failed receive reports ERROR|HANGUP. A graceful close by
 *     the peer is reported as READABLE (the next recv returns 0), not HANGUP;
 *   - arming WRITABLE posts a completion at once.
 *
 * Limitation (WRITABLE): Windows has no cheap "send buffer has room" notification
 * for completion ports, and send buffers are rarely full, so writability is
 * reported immediately; a send that then fails with WSAEWOULDBLOCK should re-arm
 * and the caller will spin through the loop until the buffer drains. A precise
 * implementation would use the AFD poll ioctl (as wepoll does).
 *
 * Limitation (handles): only sockets can be registered (-ENOTSOCK otherwise); pipes
 * and files use real overlapped I/O, not readiness.
 *
 * Registrations live in a small array searched linearly: a kernel holds few
 * sockets per poller in the targets we test; a hash would replace it if that changes.
 */
#include <winsock2.h>
#include <windows.h>

#include "internal.h"

#include <errno.h>
#include <stdatomic.h>

#define KEY_WAKE 1   /* PostQueuedCompletionStatus from thredo_poller_wake */
#define KEY_SOCKET 2 /* every registered socket: the OVERLAPPED names the op */
#define BATCH 64     /* completions fetched per wait call */
#ifndef STATUS_CANCELLED
#  define STATUS_CANCELLED ((DWORD)0xC0000120L)
#endif

struct reg;

/* One readiness probe in flight. OVERLAPPED first: completions hand us &ov. */
struct op {
    OVERLAPPED ov;
    struct reg *reg;  /* owner */
    uint32_t bit;     /* THREDO_POLL_READABLE or THREDO_POLL_WRITABLE */
    int pending;      /* a completion for this op is queued or in flight */
    int failed;       /* the WSARecv failed at once; we posted the packet ourselves */
};

struct reg {
    SOCKET sock;
    uint64_t token;   /* reported with the event; modify may change it */
    uint32_t armed;   /* interest armed and not yet reported (0 = disarmed) */
    int removed;      /* the caller removed it; freed once no op is pending */
    struct op rd, wr;
};

struct thredo_poller {
    HANDLE port;
    CRITICAL_SECTION lock; /* regs and op state: wait and add/modify may race */
    struct reg **regs;     /* live and removed-with-pending-I/O registrations */
    size_t nregs, cap;
    _Atomic int wake_pending; /* coalesces wakes into one posted packet */
};

static int64_t now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER c;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    return (int64_t)((double)c.QuadPart * 1e9 / (double)freq.QuadPart);
}

int thredo_poller_create(thredo_poller **out)
{
    if (!out)
        return -EINVAL;
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) /* refcounted by Winsock */
        return -EIO;
    thredo_poller *p = calloc(1, sizeof *p);
    if (!p) {
        WSACleanup();
        return -ENOMEM;
    }
    p->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!p->port) {
        free(p);
        WSACleanup();
        return -ENOMEM;
    }
    InitializeCriticalSection(&p->lock);
    *out = p;
    return 0;
}

static void unlink_reg(thredo_poller *p, struct reg *r)
{
    for (size_t i = 0; i < p->nregs; i++) {
        if (p->regs[i] == r) {
            p->regs[i] = p->regs[--p->nregs];
            free(r);
            return;
        }
    }
    THREDO_FATAL("registration %p not in poller %p", (void *)r, (void *)p);
}

void thredo_poller_destroy(thredo_poller *poller)
{
    if (!poller)
        return;
    /* The kernel writes into our OVERLAPPEDs when receives end: cancel them and
     * wait (bounded) for their completions before freeing the memory. */
    size_t pending = 0;
    for (size_t i = 0; i < poller->nregs; i++) {
        if (poller->regs[i]->rd.pending && !poller->regs[i]->rd.failed) {
            CancelIoEx((HANDLE)poller->regs[i]->sock, &poller->regs[i]->rd.ov);
            pending++;
        }
    }
    for (int rounds = 0; pending > 0 && rounds < 50; rounds++) {
        OVERLAPPED_ENTRY e[BATCH];
        ULONG n = 0;
        if (!GetQueuedCompletionStatusEx(poller->port, e, BATCH, &n, 100, FALSE))
            continue;
        for (ULONG i = 0; i < n; i++)
            if (e[i].lpCompletionKey == KEY_SOCKET && e[i].lpOverlapped &&
                ((struct op *)e[i].lpOverlapped)->bit == THREDO_POLL_READABLE &&
                !((struct op *)e[i].lpOverlapped)->failed && pending > 0)
                pending--;
    }
    for (size_t i = 0; i < poller->nregs; i++)
        free(poller->regs[i]);
    free(poller->regs);
    CloseHandle(poller->port);
    DeleteCriticalSection(&poller->lock);
    free(poller);
    WSACleanup();
}

static struct reg *find_live(thredo_poller *p, SOCKET s)
{
    for (size_t i = 0; i < p->nregs; i++)
        if (p->regs[i]->sock == s && !p->regs[i]->removed)
            return p->regs[i];
    return NULL;
}

static void post_op(thredo_poller *p, struct op *op)
{
    op->pending = 1;
    if (!PostQueuedCompletionStatus(p->port, 0, KEY_SOCKET, &op->ov))
        THREDO_FATAL("PostQueuedCompletionStatus failed (error %lu)", GetLastError());
}

/* Start the probes for `interest` that are not already in flight. Lock held. */
static void arm(thredo_poller *p, struct reg *r, uint32_t interest)
{
    r->armed = interest;
    if ((interest & THREDO_POLL_READABLE) && !r->rd.pending) {
        WSABUF buf = { 0, NULL };
        DWORD flags = 0;
        memset(&r->rd.ov, 0, sizeof r->rd.ov);
        r->rd.failed = 0;
        if (WSARecv(r->sock, &buf, 1, NULL, &flags, &r->rd.ov, NULL) == 0 ||
            WSAGetLastError() == WSA_IO_PENDING) {
            r->rd.pending = 1; /* the port gets a packet even on immediate success */
        } else {
            r->rd.failed = 1; /* e.g. reset or not connected: report it as readiness */
            post_op(p, &r->rd);
        }
    }
    if ((interest & THREDO_POLL_WRITABLE) && !r->wr.pending) {
        memset(&r->wr.ov, 0, sizeof r->wr.ov);
        post_op(p, &r->wr); /* see "Limitation (WRITABLE)" above */
    }
}

static int check_args(thredo_poller *p, intptr_t fd, uint32_t interest)
{
    if (!p || (SOCKET)fd == INVALID_SOCKET ||
        (interest & ~(THREDO_POLL_READABLE | THREDO_POLL_WRITABLE)))
        return -EINVAL;
    int type, len = sizeof type;
    if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
        return WSAGetLastError() == WSAENOTSOCK ? -ENOTSOCK : -EBADF;
    return 0;
}

int thredo_poller_add(thredo_poller *poller, intptr_t fd, uint32_t interest, uint64_t token)
{
    int rc = check_args(poller, fd, interest);
    if (rc < 0)
        return rc;
    SOCKET s = (SOCKET)fd;
    EnterCriticalSection(&poller->lock);
    if (find_live(poller, s)) {
        rc = -EEXIST;
        goto out;
    }
    /* ERROR_INVALID_PARAMETER: already associated, i.e. re-added after remove. */
    if (!CreateIoCompletionPort((HANDLE)s, poller->port, KEY_SOCKET, 0) &&
        GetLastError() != ERROR_INVALID_PARAMETER) {
        rc = -EBADF;
        goto out;
    }
    if (poller->nregs == poller->cap) {
        size_t cap = poller->cap ? poller->cap * 2 : 16;
        struct reg **n = realloc(poller->regs, cap * sizeof *n);
        if (!n) {
            rc = -ENOMEM;
            goto out;
        }
        poller->regs = n;
        poller->cap = cap;
    }
    struct reg *r = calloc(1, sizeof *r);
    if (!r) {
        rc = -ENOMEM;
        goto out;
    }
    r->sock = s;
    r->token = token;
    r->rd.reg = r->wr.reg = r;
    r->rd.bit = THREDO_POLL_READABLE;
    r->wr.bit = THREDO_POLL_WRITABLE;
    poller->regs[poller->nregs++] = r;
    arm(poller, r, interest);
out:
    LeaveCriticalSection(&poller->lock);
    return rc;
}

int thredo_poller_modify(thredo_poller *poller, intptr_t fd, uint32_t interest, uint64_t token)
{
    if (!poller || (interest & ~(THREDO_POLL_READABLE | THREDO_POLL_WRITABLE)))
        return -EINVAL;
    int rc = 0;
    EnterCriticalSection(&poller->lock);
    struct reg *r = find_live(poller, (SOCKET)fd);
    if (!r) {
        rc = -ENOENT;
    } else {
        r->token = token;
        arm(poller, r, interest);
    }
    LeaveCriticalSection(&poller->lock);
    return rc;
}

int thredo_poller_remove(thredo_poller *poller, intptr_t fd)
{
    if (!poller)
        return -EINVAL;
    int rc = 0;
    EnterCriticalSection(&poller->lock);
    struct reg *r = find_live(poller, (SOCKET)fd);
    if (!r) {
        rc = -ENOENT;
    } else {
        r->removed = 1;
        r->armed = 0;
        if (r->rd.pending && !r->rd.failed)
            CancelIoEx((HANDLE)r->sock, &r->rd.ov); /* completes with STATUS_CANCELLED */
        if (!r->rd.pending && !r->wr.pending)
            unlink_reg(poller, r);
    }
    LeaveCriticalSection(&poller->lock);
    return rc;
}

/* Turn one completion into at most one event. Lock held. */
static int complete(thredo_poller *p, struct op *op, thredo_poll_event *ev)
{
    struct reg *r = op->reg;
    op->pending = 0;
    if (r->removed) {
        if (!r->rd.pending && !r->wr.pending)
            unlink_reg(p, r);
        return 0;
    }
    if (!(r->armed & op->bit))
        return 0; /* disarmed since (one-shot already reported): stale, drop it */
    uint32_t events = op->bit;
    DWORD status = (DWORD)op->ov.Internal;
    if (op->bit == THREDO_POLL_READABLE && (op->failed || status != 0)) {
        if (status == STATUS_CANCELLED && !op->failed)
            return 0;
        events = THREDO_POLL_ERROR | THREDO_POLL_HANGUP;
    }
    r->armed = 0;
    ev->token = r->token;
    ev->events = events;
    ev->reserved = 0;
    return 1;
}

int thredo_poller_wait(thredo_poller *poller, thredo_poll_event *events, int capacity,
                       int64_t timeout_ns)
{
    if (!poller || !events || capacity <= 0)
        return -EINVAL;
    int64_t deadline = timeout_ns < 0 ? -1 : now_ns() + timeout_ns;
    OVERLAPPED_ENTRY e[BATCH];
    ULONG n = 0;
    for (;;) {
        DWORD ms = INFINITE;
        if (deadline >= 0) {
            int64_t left = deadline - now_ns();
            if (left < 0)
                left = 0;
            int64_t m = (left + 999999) / 1000000; /* round up: never early */
            ms = m >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)m;
        }
        if (GetQueuedCompletionStatusEx(poller->port, e, capacity < BATCH ? (ULONG)capacity : BATCH,
                                        &n, ms, FALSE))
            break;
        DWORD err = GetLastError();
        if (err != WAIT_TIMEOUT)
            return -EIO;
        /* The tick-based timeout can end a little early; wait out the rest. */
        if (deadline >= 0 && now_ns() >= deadline)
            return 0;
    }
    int filled = 0;
    EnterCriticalSection(&poller->lock);
    for (ULONG i = 0; i < n; i++) {
        if (e[i].lpCompletionKey == KEY_WAKE) {
            atomic_store(&poller->wake_pending, 0);
            continue;
        }
        if (e[i].lpCompletionKey != KEY_SOCKET || !e[i].lpOverlapped)
            THREDO_FATAL("unexpected completion key %llu", (unsigned long long)e[i].lpCompletionKey);
        filled += complete(poller, (struct op *)e[i].lpOverlapped, &events[filled]);
    }
    LeaveCriticalSection(&poller->lock);
    return filled;
}

int thredo_poller_wake(thredo_poller *poller)
{
    if (!poller)
        return -EINVAL;
    if (atomic_exchange(&poller->wake_pending, 1))
        return 0; /* a wake packet is already queued: wakes coalesce */
    if (!PostQueuedCompletionStatus(poller->port, 0, KEY_WAKE, NULL)) {
        atomic_store(&poller->wake_pending, 0);
        return -EIO;
    }
    return 0;
}
