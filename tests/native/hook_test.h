/*
 * hook_test.h: what the GOT-hook tests share: open a test library (hook_libs/), hook it,
 * and find its ht_* functions, each one libc call made through that library's GOT.
 */
#ifndef THREDO_HOOK_TEST_H
#define THREDO_HOOK_TEST_H

#include "mini_kernel.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/uio.h>

typedef struct hook_target {
    void *handle;
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *);
    int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    unsigned (*sleep)(unsigned);
    int (*usleep)(useconds_t);
    int (*nanosleep)(const struct timespec *, struct timespec *);
    int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
    int (*getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    void *(*dlopen)(const char *);
    int (*(*poll_pointer)(void))(struct pollfd *, nfds_t, int);
    int (*poll_chk)(struct pollfd *, nfds_t, int);
    ssize_t (*read_chk)(int, void *, size_t);
    ssize_t (*recv_chk)(int, void *, size_t, int);
    ssize_t (*recvfrom_chk)(int, void *, size_t, int);
} hook_target;

static inline void *ht_sym(void *h, const char *name)
{
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "hook_test: %s missing: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

/* Load the library at path; hook it first unless hook == 0. */
static inline void ht_open(hook_target *t, const char *path, int hook)
{
    memset(t, 0, sizeof *t);
    t->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!t->handle) {
        fprintf(stderr, "hook_test: cannot load %s: %s\n", path, dlerror());
        exit(1);
    }
    if (hook)
        CHECK(thredo_hook_library(t->handle) >= 1);
#define HT(f) *(void **)&t->f = ht_sym(t->handle, "ht_" #f)
    HT(poll); HT(ppoll); HT(select); HT(read); HT(write); HT(recv); HT(recvfrom);
    HT(recvmsg); HT(send); HT(sendto); HT(sendmsg); HT(connect); HT(accept); HT(accept4);
    HT(sleep); HT(usleep); HT(nanosleep); HT(clock_nanosleep); HT(getaddrinfo); HT(dlopen);
    HT(poll_pointer); HT(poll_chk); HT(read_chk); HT(recv_chk); HT(recvfrom_chk);
#undef HT
}

/* A TCP listener on 127.0.0.1 (blocking), its port in *port. */
static inline int ht_listen(uint16_t *port)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(l >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK_EQ(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(listen(l, 16), 0);
    socklen_t len = sizeof a;
    CHECK_EQ(getsockname(l, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return l;
}

static inline int ht_is_blocking(int fd)
{
    return !(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

#endif /* THREDO_HOOK_TEST_H */
