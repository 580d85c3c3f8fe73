/* Property: thredo_connect connects a socket through the kernel (non-blocking connect,
 * WAIT_FD writable, SO_ERROR), after which thredo_write works on it; a refused connection
 * returns -ECONNREFUSED. */
#include "mini_kernel.h"

#if !defined(_WIN32)
#  include <arpa/inet.h>
#  include <netinet/in.h>
#endif

static struct sockaddr_in listening, refused;

static intptr_t connector(intptr_t unused)
{
    (void)unused;
    test_sock s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s != (test_sock)-1);
    int rc = thredo_connect((intptr_t)s, &listening, sizeof listening);
    if (rc != 0)
        return rc;
    int64_t n = thredo_write((intptr_t)s, "hi", 2);
    test_closesock(s);
    return (intptr_t)n;
}

static intptr_t refused_connector(intptr_t unused)
{
    (void)unused;
    test_sock s = socket(AF_INET, SOCK_STREAM, 0);
    int rc = thredo_connect((intptr_t)s, &refused, sizeof refused);
    test_closesock(s);
    return rc;
}

static test_sock bound_listener(struct sockaddr_in *a, int do_listen)
{
    test_sock l = socket(AF_INET, SOCK_STREAM, 0);
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
#if defined(_WIN32)
    int len = sizeof *a;
#else
    socklen_t len = sizeof *a;
#endif
    CHECK_EQ(bind(l, (struct sockaddr *)a, sizeof *a), 0);
    CHECK_EQ(getsockname(l, (struct sockaddr *)a, &len), 0);
    if (do_listen)
        CHECK_EQ(listen(l, 4), 0);
    return l;
}

int main(void)
{
    test_sock pair[2];
    CHECK_EQ(test_socketpair(pair), 0); /* WSAStartup on Windows */
    test_sock l = bound_listener(&listening, 1);
    test_sock dead = bound_listener(&refused, 0);
    test_closesock(dead); /* nobody listens on this port now */
    mini_kernel k;
    mk_init(&k);
    mk_fiber *ok = mk_spawn(&k, connector, 0, 0, 1);
    mk_fiber *no = mk_spawn(&k, refused_connector, 0, 0, 2);
    mk_run(&k);
    printf("connect+write: %ld, refused: %ld\n", (long)ok->result, (long)no->result);
    CHECK_EQ(ok->result, 2);
    CHECK_EQ(no->result, -ECONNREFUSED);
    test_sock c = accept(l, NULL, NULL);
    char buf[2];
    CHECK_EQ(test_recv(c, buf, 2), 2);
    CHECK(memcmp(buf, "hi", 2) == 0);
    test_closesock(c);
    test_closesock(l);
    mk_destroy(&k);
    return 0;
}
