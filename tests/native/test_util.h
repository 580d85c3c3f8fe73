/*
 * test_util.h: the little each native test needs: CHECK, SKIP, a clock, threads,
 * and a connected socket pair on every platform.
 * Each test is one program that checks one property and exits 0, 1 (failed) or
 * 77 (skipped, with the reason printed; CTest's SKIP_RETURN_CODE).
 */
#ifndef THREDO_TEST_UTIL_H
#define THREDO_TEST_UTIL_H

#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE
#endif

#include "thredo_native.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#  include <winsock2.h>
#  include <windows.h>
#else
#  include <sys/socket.h>
#  include <time.h>
#  include <unistd.h>
#endif
#include <pthread.h>

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

#define CHECK_EQ(a, b)                                                                \
    do {                                                                              \
        long long a_ = (long long)(a), b_ = (long long)(b);                           \
        if (a_ != b_) {                                                               \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n",       \
                    __FILE__, __LINE__, #a, a_, #b, b_);                              \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

#define SKIP_EXIT 77
#define SKIP(...)                                                                     \
    do {                                                                              \
        printf("SKIPPED: ");                                                          \
        printf(__VA_ARGS__);                                                          \
        printf("\n");                                                                 \
        exit(SKIP_EXIT);                                                              \
    } while (0)

#if defined(__SANITIZE_ADDRESS__)
#  define TEST_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define TEST_ASAN 1
#  endif
#endif

static inline int64_t test_now_ns(void)
{
#if defined(_WIN32)
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (int64_t)((double)c.QuadPart * 1e9 / (double)f.QuadPart);
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
#endif
}

static inline void test_sleep_ms(int ms)
{
#if defined(_WIN32)
    Sleep((DWORD)ms);
#else
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
#endif
}

#if defined(_WIN32)
typedef SOCKET test_sock;
#  define test_closesock closesocket
static inline int test_send(test_sock s, const char *b, int n) { return send(s, b, n, 0); }
static inline int test_recv(test_sock s, char *b, int n) { return recv(s, b, n, 0); }
/* Windows has no socketpair: connect two TCP sockets over loopback. */
static inline int test_socketpair(test_sock sv[2])
{
    WSADATA wsa;
    WSAStartup(MAKEWORD(2, 2), &wsa);
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof a;
    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) != 0 || listen(l, 1) != 0)
        return -1;
    sv[0] = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (sv[0] == INVALID_SOCKET || connect(sv[0], (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    sv[1] = accept(l, NULL, NULL);
    closesocket(l);
    return sv[1] == INVALID_SOCKET ? -1 : 0;
}
#else
typedef int test_sock;
#  define test_closesock close
static inline int test_send(test_sock s, const char *b, int n) { return (int)write(s, b, (size_t)n); }
static inline int test_recv(test_sock s, char *b, int n) { return (int)read(s, b, (size_t)n); }
static inline int test_socketpair(test_sock sv[2])
{
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}
#endif

#endif /* THREDO_TEST_UTIL_H */
