/* Property: the example library (examples/native) runs its blocking-style session on
 * native fibers: 50 sessions on one thread through mini_kernel.h each get every reply
 * from an echo server, as does the plain blocking variant on its own thread; a session
 * against a closed port returns -ECONNREFUSED. */
#include "mini_kernel.h"
#include "lineproto.h"

#if !defined(_WIN32)
#  include <arpa/inet.h>
#  include <netinet/in.h>
#endif

#define SESSIONS 50
#define REQUESTS 20

static void *echo_conn(void *p)
{
    test_sock c = (test_sock)(intptr_t)p;
    char buf[512];
    int n;
    while ((n = test_recv(c, buf, sizeof buf)) > 0)
        for (int off = 0; off < n;) {
            int w = send(c, buf + off, n - off, 0);
            if (w <= 0)
                break;
            off += w;
        }
    test_closesock(c);
    return NULL;
}

static void *echo_server(void *p)
{
    test_sock l = (test_sock)(intptr_t)p;
    for (int i = 0; i < SESSIONS + 1; i++) {
        test_sock c = accept(l, NULL, NULL);
        CHECK(c != (test_sock)-1);
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)c), 0);
        pthread_detach(t);
    }
    return NULL;
}

static void *blocking_session(void *p)
{
    return (void *)lineproto_session_blocking((intptr_t)p);
}

int main(void)
{
    test_sock pair[2];
    CHECK_EQ(test_socketpair(pair), 0); /* WSAStartup on Windows */
    test_sock l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
#if defined(_WIN32)
    int alen = sizeof a;
#else
    socklen_t alen = sizeof a;
#endif
    CHECK_EQ(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(getsockname(l, (struct sockaddr *)&a, &alen), 0);
    CHECK_EQ(listen(l, 64), 0);
    pthread_t server;
    CHECK_EQ(pthread_create(&server, NULL, echo_server, (void *)(intptr_t)l), 0);

    static lineproto_args args[SESSIONS];
    lineproto_args refused = { a.sin_addr.s_addr, 1, 0, 1, 999 }; /* port 1: nobody */
    mini_kernel k;
    mk_init(&k);
    mk_fiber *m[SESSIONS];
    for (int i = 0; i < SESSIONS; i++) {
        args[i] = (lineproto_args){ a.sin_addr.s_addr, ntohs(a.sin_port), 0, REQUESTS, i };
        m[i] = mk_spawn(&k, lineproto_session, (intptr_t)&args[i], 32 * 1024, i + 1);
    }
    mk_fiber *bad = mk_spawn(&k, lineproto_session, (intptr_t)&refused, 32 * 1024, 999);
    int64_t t0 = test_now_ns();
    mk_run(&k);
    printf("%d fiber sessions x %d requests on one thread: %.1f ms, %ld resumes\n", SESSIONS,
           REQUESTS, (test_now_ns() - t0) / 1e6, k.resumes);
    for (int i = 0; i < SESSIONS; i++)
        CHECK_EQ(m[i]->result, REQUESTS);
    CHECK_EQ(bad->result, -ECONNREFUSED);
    CHECK(k.wait_readable > 0);

    lineproto_args b = { a.sin_addr.s_addr, ntohs(a.sin_port), 0, REQUESTS, 77 };
    pthread_t t;
    void *res;
    CHECK_EQ(pthread_create(&t, NULL, blocking_session, &b), 0);
    pthread_join(t, &res);
    CHECK_EQ((intptr_t)res, REQUESTS);
    pthread_join(server, NULL);
    test_closesock(l);
    mk_destroy(&k);
    return 0;
}
