/*
 * lineproto.h: a tiny line-protocol client, written as ordinary blocking C over thredo.h,
 * used by the .NET native-fiber example (one native fiber per session, all on one OS
 * thread) and, in its plain blocking form, for the one-OS-thread-per-session comparison.
 *
 * Protocol: the client connects over TCP and, `requests` times, sends "hello <id> <n>\n"
 * (n = 0, 1, ...) and reads one reply line; a reply is good if it echoes the request line
 * exactly. The server is expected to echo lines.
 */
#ifndef LINEPROTO_H
#define LINEPROTO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define LINEPROTO_API __declspec(dllexport)
#else
#  define LINEPROTO_API __attribute__((visibility("default")))
#endif

/* What lineproto_session's argument points to (the caller owns it; it is read once, at
 * the start). 16 bytes, no implicit padding; in C#:
 *   [StructLayout(LayoutKind.Sequential)] struct LineprotoArgs
 *   { uint Ip; ushort Port; ushort Reserved; int Requests; int Id; } */
typedef struct lineproto_args {
    uint32_t ip;       /* IPv4 address in network byte order (127.0.0.1 = 0x0100007f on x86) */
    uint16_t port;     /* TCP port in HOST byte order */
    uint16_t reserved; /* 0 */
    int32_t requests;  /* request lines to send */
    int32_t id;        /* session id, echoed in every line */
} lineproto_args;

/* Native fiber entry (thredo_fiber_fn): arg is a (lineproto_args *). Connects with
 * thredo_connect and talks through thredo_write/thredo_read, so it suspends its native
 * fiber instead of blocking the thread. Returns the number of good replies (== requests
 * on success), or a negative errno (-ECONNREFUSED, -ECANCELED, -ETIMEDOUT, -EPROTO for a
 * reply line longer than 255 bytes, -EPERM off a native fiber, ...). */
LINEPROTO_API intptr_t lineproto_session(intptr_t arg);

/* The same session with plain blocking socket calls, for a dedicated OS thread (or any
 * caller). Same argument and result. Do not run it on a native fiber: it would block the
 * kernel's thread. */
LINEPROTO_API intptr_t lineproto_session_blocking(intptr_t arg);

#ifdef __cplusplus
}
#endif

#endif /* LINEPROTO_H */
