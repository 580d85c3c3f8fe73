/* Property: in a hooked library, read, write, the recv and send families, connect and accept on descriptors the
 * library left blocking suspend the native fiber instead of the thread (a reader fiber
 * waits while a writer fiber on the same thread runs), move the data a blocking call
 * would, and leave the descriptor's flags alone; on a non-blocking descriptor they pass
 * straight through (EAGAIN). Built once per test library: lazy binding, and full RELRO. */
#include "hook_test.h"

static hook_target t;
static int sv[2], pv[2];
static uint16_t port;
static int listener;

#define BIG (1 << 20)

static intptr_t reader(intptr_t unused)
{
    (void)unused;
    char buf[16] = { 0 };
    CHECK_EQ(t.read(sv[0], buf, sizeof buf), 1);               /* read, socket */
    CHECK_EQ(buf[0], 'a');
    CHECK_EQ(t.recv(sv[0], buf, sizeof buf, 0), 1);            /* recv */
    CHECK_EQ(buf[0], 'b');
    CHECK_EQ(t.recvfrom(sv[0], buf, sizeof buf, 0, NULL, NULL), 1);
    CHECK_EQ(buf[0], 'c');
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    CHECK_EQ(t.recvmsg(sv[0], &m, 0), 1);
    CHECK_EQ(buf[0], 'd');
    CHECK_EQ(t.read(pv[0], buf, sizeof buf), 1);               /* read, pipe */
    CHECK_EQ(buf[0], 'e');
    /* the whole megabyte the writer sends in one blocking send */
    char *big = malloc(BIG);
    CHECK(big != NULL);
    size_t got = 0;
    while (got < BIG) {
        ssize_t n = t.recv(sv[0], big + got, BIG - got, 0);
        CHECK(n > 0);
        got += (size_t)n;
    }
    free(big);
    CHECK(ht_is_blocking(sv[0]) && ht_is_blocking(pv[0]));
    return 1;
}

static intptr_t writer(intptr_t unused)
{
    (void)unused;
    /* each write comes after a hooked sleep, so the reader has to wait for it */
    CHECK_EQ(t.usleep(5000), 0);
    CHECK_EQ(t.write(sv[1], "a", 1), 1);
    CHECK_EQ(t.usleep(5000), 0);
    CHECK_EQ(t.send(sv[1], "b", 1, 0), 1);
    CHECK_EQ(t.usleep(5000), 0);
    CHECK_EQ(t.sendto(sv[1], "c", 1, 0, NULL, 0), 1);
    CHECK_EQ(t.usleep(5000), 0);
    struct iovec iov = { "d", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    CHECK_EQ(t.sendmsg(sv[1], &m, 0), 1);
    CHECK_EQ(t.usleep(5000), 0);
    CHECK_EQ(t.write(pv[1], "e", 1), 1);
    char *big = calloc(1, BIG);
    CHECK(big != NULL);
    CHECK_EQ(t.send(sv[1], big, BIG, 0), BIG);   /* far more than the socket buffer */
    free(big);
    CHECK(ht_is_blocking(sv[1]) && ht_is_blocking(pv[1]));
    return 2;
}

static intptr_t acceptor(intptr_t use_accept4)
{
    int c = use_accept4 ? t.accept4(listener, NULL, NULL, SOCK_CLOEXEC) : t.accept(listener, NULL, NULL);
    CHECK(c >= 0);
    char b = 0;
    CHECK_EQ(t.read(c, &b, 1), 1);
    CHECK_EQ(b, 'z');
    close(c);
    return 3;
}

static intptr_t connector(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(t.usleep(5000), 0);   /* the acceptor waits first */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK_EQ(t.connect(s, (struct sockaddr *)&a, sizeof a), 0);
    CHECK(ht_is_blocking(s));   /* O_NONBLOCK was only set for the connect(2) itself */
    CHECK_EQ(t.write(s, "z", 1), 1);
    close(s);
    return 4;
}

static intptr_t non_blocking(intptr_t unused)
{
    (void)unused;
    int p[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p), 0);
    char b;
    errno = 0;
    CHECK_EQ(t.read(p[0], &b, 1), -1);   /* the library asked for EAGAIN, not a wait */
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(t.recv(p[0], &b, 1, 0), -1);
    CHECK_EQ(errno, EAGAIN);
    close(p[0]);
    close(p[1]);
    return 5;
}

int main(void)
{
    ht_open(&t, HOOK_TARGET, 1);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(pipe(pv), 0);
    listener = ht_listen(&port);
    mini_kernel k;
    mk_init(&k);
    mk_fiber *r = mk_spawn(&k, reader, 0, 256 * 1024, 1);
    mk_fiber *w = mk_spawn(&k, writer, 0, 256 * 1024, 2);
    mk_fiber *a1 = mk_spawn(&k, acceptor, 0, 0, 3);
    mk_fiber *c1 = mk_spawn(&k, connector, 0, 0, 4);
    mk_fiber *nb = mk_spawn(&k, non_blocking, 0, 0, 5);
    mk_run(&k);
    CHECK_EQ(r->result, 1);
    CHECK_EQ(w->result, 2);
    CHECK_EQ(a1->result, 3);
    CHECK_EQ(c1->result, 4);
    CHECK_EQ(nb->result, 5);
    printf("fd waits: %ld readable, %ld writable; sleeps %ld\n", k.wait_readable,
           k.wait_writable, k.served[THREDO_REQ_SLEEP]);
    CHECK(k.wait_readable >= 6);   /* each of the reader's calls, and the acceptor */
    CHECK(k.wait_writable >= 2);   /* the big send, and the connect */
    mk_destroy(&k);
    /* accept4, on a fresh kernel */
    mk_init(&k);
    a1 = mk_spawn(&k, acceptor, 1, 0, 3);
    c1 = mk_spawn(&k, connector, 0, 0, 4);
    mk_run(&k);
    CHECK_EQ(a1->result, 3);
    CHECK_EQ(c1->result, 4);
    mk_destroy(&k);
    return 0;
}
