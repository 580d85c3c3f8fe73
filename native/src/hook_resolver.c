/*
 * hook_resolver.c: getaddrinfo on a native fiber.
 *
 * getaddrinfo blocks inside libc (DNS over its own sockets, NSS modules, /etc/hosts),
 * where no patched GOT reaches. So the lookup runs on a short-lived thread of its own and
 * the fiber waits for an eventfd the thread signals when done.
 *
 * Discussion: a cancelled lookup. The fiber returns at once (EAI_SYSTEM, errno
 * ECANCELED or ETIMEDOUT); the thread cannot be stopped and finishes the lookup. The job
 * is shared by counting references: whichever side lets go last frees it, with the
 * result if the fiber never took it. The job holds copies of node, service and hints,
 * because the fiber's frames are gone by then.
 */
#define _GNU_SOURCE
#include "hooks.h"
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct resolve_job {
    _Atomic int refs;          /* the fiber and the thread: 2, then 1, then freed */
    int done_fd;               /* eventfd the thread signals */
    char *node, *service;      /* copies (NULL stays NULL) */
    struct addrinfo hints;     /* copy, if has_hints */
    int has_hints;
    int rc;                    /* getaddrinfo's result */
    int err;                   /* errno after it (for EAI_SYSTEM) */
    struct addrinfo *res;      /* its list, until the fiber takes it */
} resolve_job;

static void release(resolve_job *job)
{
    if (atomic_fetch_sub_explicit(&job->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (job->res)
        freeaddrinfo(job->res);
    close(job->done_fd);
    free(job->node);
    free(job->service);
    free(job);
}

static void resolve_on_thread(void *arg)
{
    resolve_job *job = arg;
    job->rc = getaddrinfo(job->node, job->service, job->has_hints ? &job->hints : NULL, &job->res);
    job->err = errno;
    uint64_t one = 1;
    while (write(job->done_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
    release(job);
}

static char *copy(const char *s)
{
    return s ? strdup(s) : NULL;
}

int thredo_hook_getaddrinfo(const char *node, const char *service,
                            const struct addrinfo *hints, struct addrinfo **res)
{
    if (!thredo_fiber_current())
        return getaddrinfo(node, service, hints, res);
    resolve_job *job = calloc(1, sizeof *job);
    if (!job)
        return EAI_MEMORY;
    job->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    job->node = copy(node);
    job->service = copy(service);
    if (hints) {
        /* Only the flags, family, socket type and protocol of hints are read. */
        job->hints.ai_flags = hints->ai_flags;
        job->hints.ai_family = hints->ai_family;
        job->hints.ai_socktype = hints->ai_socktype;
        job->hints.ai_protocol = hints->ai_protocol;
        job->has_hints = 1;
    }
    if (job->done_fd < 0 || (node && !job->node) || (service && !job->service)) {
        if (job->done_fd >= 0)
            close(job->done_fd);
        free(job->node);
        free(job->service);
        free(job);
        return EAI_MEMORY;
    }
    atomic_store_explicit(&job->refs, 2, memory_order_relaxed);
    if (thredo_thread_start(resolve_on_thread, job, 0) < 0) {
        /* No thread to be had: resolve here, blocking the kernel's thread, rather than fail. */
        job->refs = 1;
        release(job);
        return getaddrinfo(node, service, hints, res);
    }
    for (;;) {
        int64_t w = thredo_wait_fd_for(job->done_fd, THREDO_POLL_READABLE, -1);
        if (w < 0) {
            release(job);
            errno = (int)-w;
            return EAI_SYSTEM;
        }
        uint64_t n;
        if (read(job->done_fd, &n, sizeof n) == sizeof n)
            break;   /* otherwise a stale readiness report: wait again */
    }
    int rc = job->rc;
    *res = job->res;
    job->res = NULL;
    if (rc == EAI_SYSTEM)
        errno = job->err;
    release(job);
    return rc;
}
