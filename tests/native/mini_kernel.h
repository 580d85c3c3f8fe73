/*
 * mini_kernel.h: a tiny C kernel that runs native fibers and serves the thredo.h request
 * protocol (thredo_native.h, "kernel protocol"), so the C API is tested without .NET.
 *
 * One thread, one loop: run every runnable fiber once (FIFO); each returns a request
 * pointer, which the kernel serves at once (YIELD, TIMEOUT_PUSH/POP, CALL) or parks the
 * fiber on (SLEEP: a deadline-sorted list; WAIT_FD and WAIT_FD_FOR: poll(2) / WSAPoll, the
 * latter resumed with 1 once its own time has passed). When nothing is
 * runnable it sleeps (nanosleep, or poll with the fds) until the earliest deadline.
 * Cancellation (mk_cancel) and the fiber's timeout scopes are delivered by resuming a
 * blocked fiber with -ECANCELED / -ETIMEDOUT, as the real kernel does.
 *
 * Deliberately simple (linear scans over blocked fibers), but the sleep list appends in
 * O(1) when deadlines arrive in order, so 100,000 sleeping fibers are cheap.
 */
#ifndef THREDO_MINI_KERNEL_H
#define THREDO_MINI_KERNEL_H

#include "test_util.h"
#include "thredo.h"

#include <stdatomic.h>
#if !defined(_WIN32)
#  include <poll.h>
#endif

enum mk_state { MK_RUNNABLE, MK_SLEEPING, MK_WAIT_FD, MK_DONE };

#define MK_MAX_SCOPES 16
#define MK_MAX_CALLS 16
#define MK_NEVER INT64_MAX

typedef struct mk_fiber {
    thredo_fiber *f;
    int64_t id;
    int state;                /* enum mk_state */
    intptr_t resume_value;    /* what the next resume hands the fiber */
    int64_t wake_at;          /* MK_SLEEPING: monotonic ns */
    intptr_t fd;              /* MK_WAIT_FD */
    uint32_t interest;        /* MK_WAIT_FD */
    int64_t fd_deadline;      /* MK_WAIT_FD from WAIT_FD_FOR: monotonic ns; else MK_NEVER */
    int64_t scopes[MK_MAX_SCOPES]; /* timeout deadlines (ns), innermost last */
    int nscopes;
    _Atomic int cancel;       /* mk_cancel asked; delivered at the next blocking point */
    intptr_t result;          /* entry's result once MK_DONE */
    struct mk_fiber *prev, *next; /* sleep list, or run queue */
} mk_fiber;

typedef int64_t (*mk_call_fn)(int64_t argument);

typedef struct mini_kernel {
    mk_fiber **all;           /* every fiber, in creation order */
    int count, cap;
    int live;                 /* not yet MK_DONE */
    mk_fiber *run_head, *run_tail;     /* FIFO of runnable fibers */
    mk_fiber *sleep_head, *sleep_tail; /* sorted by wake_at */
    mk_call_fn calls[MK_MAX_CALLS];    /* THREDO_REQ_CALL callback table */
    /* counters the tests assert on */
    long served[8];           /* per THREDO_REQ_* kind */
    long wait_readable, wait_writable;
    long resumes;
} mini_kernel;

static inline void mk_init(mini_kernel *k)
{
    memset(k, 0, sizeof *k);
}

static inline void mk_run_push(mini_kernel *k, mk_fiber *m, intptr_t value)
{
    m->state = MK_RUNNABLE;
    m->resume_value = value;
    m->next = NULL;
    if (k->run_tail)
        k->run_tail->next = m;
    else
        k->run_head = m;
    k->run_tail = m;
}

/* Create a fiber and queue it; NULL and *rc < 0 if thredo_fiber_create failed. */
static inline mk_fiber *mk_try_spawn(mini_kernel *k, thredo_fiber_fn entry, intptr_t arg,
                                     size_t stack, int64_t id, int *rc)
{
    mk_fiber *m = calloc(1, sizeof *m);
    CHECK(m != NULL);
    *rc = thredo_fiber_create(entry, arg, stack, &m->f);
    if (*rc < 0) {
        free(m);
        return NULL;
    }
    m->id = id;
    thredo_fiber_set_id(m->f, id);
    if (k->count == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 64;
        k->all = realloc(k->all, (size_t)k->cap * sizeof *k->all);
        CHECK(k->all != NULL);
    }
    k->all[k->count++] = m;
    k->live++;
    mk_run_push(k, m, 0);
    return m;
}

static inline mk_fiber *mk_spawn(mini_kernel *k, thredo_fiber_fn entry, intptr_t arg,
                                 size_t stack, int64_t id)
{
    int rc = 0;
    mk_fiber *m = mk_try_spawn(k, entry, arg, stack, id, &rc);
    CHECK_EQ(rc, 0);
    return m;
}

static inline void mk_sleep_insert(mini_kernel *k, mk_fiber *m)
{
    mk_fiber *after = k->sleep_tail; /* walk back from the tail: in-order inserts are O(1) */
    while (after && after->wake_at > m->wake_at)
        after = after->prev;
    m->prev = after;
    m->next = after ? after->next : k->sleep_head;
    if (m->next)
        m->next->prev = m;
    else
        k->sleep_tail = m;
    if (after)
        after->next = m;
    else
        k->sleep_head = m;
}

static inline void mk_sleep_remove(mini_kernel *k, mk_fiber *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        k->sleep_head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        k->sleep_tail = m->prev;
    m->prev = m->next = NULL;
}

/* Earliest timeout-scope deadline of m (an outer expiry counts for inner calls too). */
static inline int64_t mk_scope_deadline(const mk_fiber *m)
{
    int64_t d = MK_NEVER;
    for (int i = 0; i < m->nscopes; i++)
        if (m->scopes[i] < d)
            d = m->scopes[i];
    return d;
}

/* 0 if m may block now, else the error to deliver instead (cancellation first). */
static inline intptr_t mk_interrupt(mk_fiber *m, int64_t now)
{
    if (atomic_exchange(&m->cancel, 0)) {
        thredo_fiber_set_cancel_pending(m->f, 0);
        return -ECANCELED;
    }
    if (mk_scope_deadline(m) <= now)
        return -ETIMEDOUT;
    return 0;
}

/* Ask for m to be cancelled: it sees thredo_cancelled() == 1 at once, and -ECANCELED from
 * its current or next blocking call. From the kernel thread (e.g. inside a CALL callback)
 * or, for a running fiber, any thread. */
static inline void mk_cancel(mk_fiber *m)
{
    atomic_store(&m->cancel, 1);
    thredo_fiber_set_cancel_pending(m->f, 1);
}

/* Serve the request m handed back after a resume. */
static inline void mk_serve(mini_kernel *k, mk_fiber *m, thredo_request *req)
{
    int64_t now = test_now_ns();
    if (req->kind > 0 && req->kind < 8)
        k->served[req->kind]++;
    switch (req->kind) {
    case THREDO_REQ_YIELD:
        mk_run_push(k, m, mk_interrupt(m, now));
        return;
    case THREDO_REQ_SLEEP: {
        intptr_t err = mk_interrupt(m, now);
        if (err) {
            mk_run_push(k, m, err);
            return;
        }
        m->state = MK_SLEEPING;
        m->wake_at = now + req->value * 1000000;
        mk_sleep_insert(k, m);
        return;
    }
    case THREDO_REQ_WAIT_FD:
    case THREDO_REQ_WAIT_FD_FOR: {
        intptr_t err = mk_interrupt(m, now);
        if (err) {
            mk_run_push(k, m, err);
            return;
        }
        m->state = MK_WAIT_FD;
        m->fd_deadline = req->kind == THREDO_REQ_WAIT_FD_FOR ? now + req->value * 1000000 : MK_NEVER;
        m->fd = (intptr_t)req->fd;
        m->interest = req->interest;
        if (req->interest & THREDO_POLL_READABLE)
            k->wait_readable++;
        if (req->interest & THREDO_POLL_WRITABLE)
            k->wait_writable++;
        return;
    }
    case THREDO_REQ_TIMEOUT_PUSH:
        if (m->nscopes == MK_MAX_SCOPES) {
            mk_run_push(k, m, -ENOMEM);
            return;
        }
        m->scopes[m->nscopes++] = now + req->value * 1000000;
        mk_run_push(k, m, 0);
        return;
    case THREDO_REQ_TIMEOUT_POP:
        if (m->nscopes == 0) {
            mk_run_push(k, m, -EINVAL);
            return;
        }
        m->nscopes--;
        mk_run_push(k, m, 0);
        return;
    case THREDO_REQ_CALL: {
        intptr_t err = mk_interrupt(m, now);
        if (err) {
            mk_run_push(k, m, err);
            return;
        }
        if (req->value < 0 || req->value >= MK_MAX_CALLS || !k->calls[req->value]) {
            mk_run_push(k, m, -ENOENT);
            return;
        }
        /* the real kernel runs it on a managed fiber; here: on the host stack */
        req->value = k->calls[req->value](req->argument);
        mk_run_push(k, m, 0);
        return;
    }
    default:
        fprintf(stderr, "mini_kernel: fiber %lld sent unknown request kind %d\n",
                (long long)m->id, (int)req->kind);
        exit(1);
    }
}

/* Wake fibers whose sleep ended, whose scope expired, or who were cancelled. */
static inline void mk_expire(mini_kernel *k, int64_t now)
{
    while (k->sleep_head && k->sleep_head->wake_at <= now) {
        mk_fiber *m = k->sleep_head;
        mk_sleep_remove(k, m);
        mk_run_push(k, m, 0);
    }
    for (int i = 0; i < k->count; i++) {
        mk_fiber *m = k->all[i];
        if (m->state != MK_SLEEPING && m->state != MK_WAIT_FD)
            continue;
        if (m->state == MK_WAIT_FD && m->fd_deadline <= now && !atomic_load(&m->cancel) &&
            mk_scope_deadline(m) > now) {
            mk_run_push(k, m, 1);   /* the wait's own time passed */
            continue;
        }
        if (m->nscopes == 0 && !atomic_load(&m->cancel))
            continue;
        intptr_t err = mk_interrupt(m, now);
        if (!err)
            continue;
        if (m->state == MK_SLEEPING)
            mk_sleep_remove(k, m);
        mk_run_push(k, m, err);
    }
}

/* Block until the next deadline or a descriptor some fiber waits on is ready. */
static inline void mk_idle(mini_kernel *k)
{
    int64_t now = test_now_ns(), next = k->sleep_head ? k->sleep_head->wake_at : MK_NEVER;
    int nfds = 0;
    for (int i = 0; i < k->count; i++) {
        mk_fiber *m = k->all[i];
        if (m->state == MK_WAIT_FD) {
            nfds++;
            if (m->fd_deadline < next)
                next = m->fd_deadline;
        }
        if ((m->state == MK_WAIT_FD || m->state == MK_SLEEPING) && m->nscopes) {
            int64_t d = mk_scope_deadline(m);
            if (d < next)
                next = d;
        }
    }
    /* at most 10 ms: mk_cancel from another thread has no wake handle here */
    int64_t wait_ns = next == MK_NEVER ? 10000000 : next - now;
    if (wait_ns > 10000000)
        wait_ns = 10000000;
    if (wait_ns < 0)
        wait_ns = 0;
    if (nfds == 0) {
        test_sleep_ms((int)((wait_ns + 999999) / 1000000));
        return;
    }
#if defined(_WIN32)
    WSAPOLLFD *fds = calloc((size_t)nfds, sizeof *fds);
#else
    struct pollfd *fds = calloc((size_t)nfds, sizeof *fds);
#endif
    mk_fiber **who = calloc((size_t)nfds, sizeof *who);
    CHECK(fds && who);
    int n = 0;
    for (int i = 0; i < k->count; i++) {
        mk_fiber *m = k->all[i];
        if (m->state != MK_WAIT_FD)
            continue;
        fds[n].fd = m->fd;
        fds[n].events = (short)(((m->interest & THREDO_POLL_READABLE) ? POLLIN : 0) |
                                ((m->interest & THREDO_POLL_WRITABLE) ? POLLOUT : 0));
        who[n++] = m;
    }
#if defined(_WIN32)
    int r = WSAPoll(fds, (ULONG)n, (INT)((wait_ns + 999999) / 1000000));
#else
    int r = poll(fds, (nfds_t)n, (int)((wait_ns + 999999) / 1000000));
#endif
    CHECK(r >= 0 || errno == EINTR);
    for (int i = 0; r > 0 && i < n; i++)
        if (fds[i].revents) /* ready, or error/hang-up: the retried call reports it */
            mk_run_push(k, who[i], 0);
    free(fds);
    free(who);
}

/* Run until every fiber has finished. */
static inline void mk_run(mini_kernel *k)
{
    while (k->live > 0) {
        mk_fiber *batch = k->run_head, *stop = k->run_tail;
        k->run_head = k->run_tail = NULL;
        /* one pass over what was runnable when it began: requeued fibers wait a round */
        for (mk_fiber *m = batch; m;) {
            mk_fiber *next = m == stop ? NULL : m->next;
            intptr_t out = 0;
            int rc = thredo_fiber_resume(m->f, m->resume_value, &out);
            k->resumes++;
            CHECK(rc == 0 || rc == 1);
            if (rc == 1) {
                m->state = MK_DONE;
                m->result = out;
                k->live--;
            } else {
                CHECK(out != 0);
                mk_serve(k, m, (thredo_request *)out);
            }
            m = next;
        }
        if (!k->run_head)
            mk_idle(k);
        mk_expire(k, test_now_ns());
    }
}

static inline void mk_destroy(mini_kernel *k)
{
    for (int i = 0; i < k->count; i++) {
        thredo_fiber_destroy(k->all[i]->f);
        free(k->all[i]);
    }
    free(k->all);
    memset(k, 0, sizeof *k);
}

#endif /* THREDO_MINI_KERNEL_H */
