/*
 * lineproto.c: the two session functions of lineproto.h. They share everything but the
 * three calls that move bytes (connect, send, receive), which is the point of the
 * example: a blocking-style C library runs unchanged on a native fiber once its I/O goes
 * through thredo.h.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE
#endif
#if defined(_WIN32)
#  include <winsock2.h>
#  include <ws2tcpip.h>
typedef SOCKET lp_sock;
#  define LP_BAD INVALID_SOCKET
#  define lp_close closesocket
#else
#  include <netinet/in.h>
#  include <netinet/tcp.h>
#  include <sys/socket.h>
#  include <unistd.h>
typedef int lp_sock;
#  define LP_BAD (-1)
#  define lp_close close
#endif

#include "lineproto.h"
#include "thredo.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(offsetof(lineproto_args, ip) == 0, "ip");
_Static_assert(offsetof(lineproto_args, port) == 4, "port");
_Static_assert(offsetof(lineproto_args, requests) == 8, "requests");
_Static_assert(offsetof(lineproto_args, id) == 12, "id");
_Static_assert(sizeof(lineproto_args) == 16, "size");

#define LINE_MAX_BYTES 256

/* The three I/O operations a session needs; one table per flavour. */
struct io {
    int (*connect)(lp_sock s, const struct sockaddr_in *a);
    int64_t (*send)(lp_sock s, const char *buf, size_t len);
    int64_t (*recv)(lp_sock s, char *buf, size_t len);
};

static int last_error(void)
{
#if defined(_WIN32)
    switch (WSAGetLastError()) {
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAETIMEDOUT: return ETIMEDOUT;
    default: return EIO;
    }
#else
    return errno;
#endif
}

/* ---- on a native fiber: thredo.h */

static int fiber_connect(lp_sock s, const struct sockaddr_in *a)
{
    return thredo_connect((intptr_t)s, a, sizeof *a);
}
static int64_t fiber_send(lp_sock s, const char *buf, size_t len)
{
    return thredo_write((intptr_t)s, buf, len);
}
static int64_t fiber_recv(lp_sock s, char *buf, size_t len)
{
    return thredo_read((intptr_t)s, buf, len);
}
static const struct io fiber_io = { fiber_connect, fiber_send, fiber_recv };

/* ---- on a thread: plain blocking calls */

static int blocking_connect(lp_sock s, const struct sockaddr_in *a)
{
    return connect(s, (const struct sockaddr *)a, sizeof *a) == 0 ? 0 : -last_error();
}
static int64_t blocking_send(lp_sock s, const char *buf, size_t len)
{
    for (;;) {
#if defined(_WIN32)
        int n = send(s, buf, (int)len, 0);
#else
        ssize_t n = send(s, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
#endif
        return n < 0 ? -last_error() : (int64_t)n;
    }
}
static int64_t blocking_recv(lp_sock s, char *buf, size_t len)
{
    for (;;) {
#if defined(_WIN32)
        int n = recv(s, buf, (int)len, 0);
#else
        ssize_t n = recv(s, buf, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
#endif
        return n < 0 ? -last_error() : (int64_t)n;
    }
}
static const struct io blocking_io = { blocking_connect, blocking_send, blocking_recv };

/* ---- the session, written once */

static int64_t send_all(const struct io *io, lp_sock s, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        int64_t n = io->send(s, buf + off, len - off);
        if (n < 0)
            return n;
        off += (size_t)n;
    }
    return 0;
}

/* Buffered line reader: one recv fills many lines' worth. */
struct reader {
    char buf[LINE_MAX_BYTES * 4];
    size_t start, end;
};

/* Copy the next line (with its '\n') into line; its length, 0 at end of stream, or
 * a negative errno (-EPROTO if longer than LINE_MAX_BYTES - 1). */
static int64_t read_line(const struct io *io, lp_sock s, struct reader *r, char *line)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            size_t len = (size_t)(nl - (r->buf + r->start)) + 1;
            if (len >= LINE_MAX_BYTES)
                return -EPROTO;
            memcpy(line, r->buf + r->start, len);
            line[len] = 0;
            r->start += len;
            return (int64_t)len;
        }
        if (r->end - r->start >= LINE_MAX_BYTES)
            return -EPROTO;
        if (r->start > 0) { /* compact */
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        int64_t n = io->recv(s, r->buf + r->end, sizeof r->buf - r->end);
        if (n <= 0)
            return n;
        r->end += (size_t)n;
    }
}

static intptr_t session(const struct io *io, const lineproto_args *args)
{
    if (!args || args->requests < 0)
        return -EINVAL;
    lp_sock s = socket(AF_INET, SOCK_STREAM, 0);
    if (s == LP_BAD)
        return -last_error();
    int one = 1;
    /* request/response in small lines: do not let Nagle hold a line back */
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = args->ip;
    a.sin_port = htons(args->port);
    intptr_t good = 0;
    int rc = io->connect(s, &a);
    if (rc < 0) {
        lp_close(s);
        return rc;
    }
    /* per session, on the heap: many sessions share a thread, and fiber stacks are small */
    struct { struct reader r; char line[LINE_MAX_BYTES]; char req[LINE_MAX_BYTES]; } *st =
        calloc(1, sizeof *st);
    if (!st) {
        lp_close(s);
        return -ENOMEM;
    }
    char *line;
    line = st->line;
    for (int32_t n = 0; n < args->requests; n++) {
        int len = snprintf(st->req, sizeof st->req, "hello %d %d\n", (int)args->id, (int)n);
        int64_t w = send_all(io, s, st->req, (size_t)len);
        if (w < 0) {
            good = (intptr_t)w;
            break;
        }
        int64_t got = read_line(io, s, &st->r, line);
        if (got < 0) {
            good = (intptr_t)got;
            break;
        }
        if (got == 0) {
            good = -ECONNRESET; /* the server closed mid-session */
            break;
        }
        if (got == len && memcmp(line, st->req, (size_t)len) == 0)
            good++;
    }
    free(st);
    lp_close(s);
    return good;
}

intptr_t lineproto_session(intptr_t arg)
{
    return session(&fiber_io, (const lineproto_args *)arg);
}

intptr_t lineproto_session_blocking(intptr_t arg)
{
    return session(&blocking_io, (const lineproto_args *)arg);
}
