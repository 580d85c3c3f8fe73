/* Property: off a native fiber, every hook is the libc call itself: blocking sleeps,
 * reads and accepts behave exactly as without the hooks (no request is made: there is
 * no kernel at all in this test). */
#include "hook_test.h"

static hook_target t;
static uint16_t port;

static void *connect_later(void *unused)
{
    (void)unused;
    struct timespec d = { 0, 10 * 1000000 };
    nanosleep(&d, NULL);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK_EQ(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(write(s, "q", 1), 1);
    close(s);
    return NULL;
}

int main(void)
{
    ht_open(&t, HOOK_TARGET, 1);
    CHECK(thredo_fiber_current() == NULL);
    int64_t t0 = test_now_ns();
    CHECK_EQ(t.usleep(20000), 0);
    struct timespec d = { 0, 20 * 1000000 };
    CHECK_EQ(t.nanosleep(&d, NULL), 0);
    CHECK_EQ(t.clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL), 0);
    CHECK(test_now_ns() - t0 >= 60 * 1000000LL);
    struct pollfd none = { .fd = -1 };
    CHECK_EQ(t.poll(&none, 1, 10), 0);
    CHECK_EQ(t.ppoll(&none, 1, &d), 0);
    struct timeval tv = { 0, 1000 };
    CHECK_EQ(t.select(0, NULL, NULL, NULL, &tv), 0);

    int l = ht_listen(&port);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, connect_later, NULL), 0);
    int c = t.accept(l, NULL, NULL);   /* blocks this thread until the connect */
    CHECK(c >= 0);
    char b = 0;
    CHECK_EQ(t.recv(c, &b, 1, 0), 1);
    CHECK_EQ(b, 'q');
    CHECK_EQ(t.read(c, &b, 1), 0);     /* end of stream */
    pthread_join(th, NULL);
    close(c);
    close(l);

    struct addrinfo hints = { .ai_family = AF_INET }, *res = NULL;
    CHECK_EQ(t.getaddrinfo("127.0.0.1", NULL, &hints, &res), 0);
    freeaddrinfo(res);
    return 0;
}
