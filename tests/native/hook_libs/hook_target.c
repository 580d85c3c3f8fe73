/*
 * hook_target.c: a stand-in for an unmodified blocking C library (libcurl, libpq) in the
 * hook tests: each function makes one libc call through this library's GOT and nothing
 * else, so a test sees exactly what thredo_hook_library did to that call.
 * Built twice: lazy binding without RELRO, and full RELRO (-z relro -z now).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int ht_poll(struct pollfd *f, nfds_t n, int t) { return poll(f, n, t); }
EXPORT int ht_ppoll(struct pollfd *f, nfds_t n, const struct timespec *t) { return ppoll(f, n, t, NULL); }
EXPORT int ht_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t) { return select(n, r, w, e, t); }
EXPORT ssize_t ht_read(int fd, void *b, size_t n) { return read(fd, b, n); }
EXPORT ssize_t ht_write(int fd, const void *b, size_t n) { return write(fd, b, n); }
EXPORT ssize_t ht_recv(int fd, void *b, size_t n, int fl) { return recv(fd, b, n, fl); }
EXPORT ssize_t ht_recvfrom(int fd, void *b, size_t n, int fl, struct sockaddr *a, socklen_t *l) { return recvfrom(fd, b, n, fl, a, l); }
EXPORT ssize_t ht_recvmsg(int fd, struct msghdr *m, int fl) { return recvmsg(fd, m, fl); }
EXPORT ssize_t ht_send(int fd, const void *b, size_t n, int fl) { return send(fd, b, n, fl); }
EXPORT ssize_t ht_sendto(int fd, const void *b, size_t n, int fl, const struct sockaddr *a, socklen_t l) { return sendto(fd, b, n, fl, a, l); }
EXPORT ssize_t ht_sendmsg(int fd, const struct msghdr *m, int fl) { return sendmsg(fd, m, fl); }
EXPORT int ht_connect(int fd, const struct sockaddr *a, socklen_t l) { return connect(fd, a, l); }
EXPORT int ht_accept(int fd, struct sockaddr *a, socklen_t *l) { return accept(fd, a, l); }
EXPORT int ht_accept4(int fd, struct sockaddr *a, socklen_t *l, int fl) { return accept4(fd, a, l, fl); }
EXPORT unsigned ht_sleep(unsigned s) { return sleep(s); }
EXPORT int ht_usleep(useconds_t us) { return usleep(us); }
EXPORT int ht_nanosleep(const struct timespec *r, struct timespec *rem) { return nanosleep(r, rem); }
EXPORT int ht_clock_nanosleep(clockid_t c, int fl, const struct timespec *r, struct timespec *rem) { return clock_nanosleep(c, fl, r, rem); }
EXPORT int ht_getaddrinfo(const char *n, const char *s, const struct addrinfo *h, struct addrinfo **r) { return getaddrinfo(n, s, h, r); }
EXPORT void *ht_dlopen(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
/* The _FORTIFY_SOURCE entry points, called as a fortified build would. */
int __poll_chk(struct pollfd *, nfds_t, int, size_t);
ssize_t __read_chk(int, void *, size_t, size_t);
ssize_t __recv_chk(int, void *, size_t, size_t, int);
ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
EXPORT int ht_poll_chk(struct pollfd *f, nfds_t n, int t) { return __poll_chk(f, n, t, n * sizeof *f); }
EXPORT ssize_t ht_read_chk(int fd, void *b, size_t n) { return __read_chk(fd, b, n, n); }
EXPORT ssize_t ht_recv_chk(int fd, void *b, size_t n, int fl) { return __recv_chk(fd, b, n, n, fl); }
EXPORT ssize_t ht_recvfrom_chk(int fd, void *b, size_t n, int fl) { return __recvfrom_chk(fd, b, n, n, fl, NULL, NULL); }
/* A taken address: a GLOB_DAT relocation rather than a PLT call. */
EXPORT int (*ht_poll_pointer(void))(struct pollfd *, nfds_t, int) { return poll; }
