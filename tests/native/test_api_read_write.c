/* Property: thredo_read and thredo_write suspend the fiber with a WAIT_FD request while
 * the socket is not ready, and complete once the peer (another fiber, later) makes it
 * ready: a reader waits for data that arrives 30 ms later, and a writer pushing 4 MiB
 * waits for room that a slow reader makes. */
#include "mini_kernel.h"

#define BIG (4u * 1024u * 1024u)

static test_sock sv[2], bulk[2];
static int64_t read_done_ns, write_done_ns, start_ns;
static char got[16];

static intptr_t reader(intptr_t unused)
{
    (void)unused;
    int64_t n = thredo_read(sv[0], got, sizeof got);
    read_done_ns = test_now_ns();
    return (intptr_t)n;
}

static intptr_t late_writer(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_sleep_ms(30), 0);
    write_done_ns = test_now_ns();
    return (intptr_t)thredo_write(sv[1], "ping", 4);
}

static intptr_t bulk_writer(intptr_t unused)
{
    (void)unused;
    char *buf = calloc(1, BIG);
    size_t off = 0;
    while (off < BIG) {
        int64_t n = thredo_write(bulk[0], buf + off, BIG - off);
        if (n <= 0) {
            free(buf);
            return (intptr_t)(n < 0 ? n : -EIO);
        }
        off += (size_t)n;
    }
    free(buf);
    return (intptr_t)off;
}

static intptr_t slow_reader(intptr_t unused)
{
    (void)unused;
    static char buf[64 * 1024];
    size_t total = 0;
    CHECK_EQ(thredo_sleep_ms(20), 0); /* let the writer fill the buffer and block */
    while (total < BIG) {
        int64_t n = thredo_read(bulk[1], buf, sizeof buf);
        if (n <= 0)
            return (intptr_t)(n < 0 ? n : -EIO);
        total += (size_t)n;
    }
    return (intptr_t)total;
}

int main(void)
{
    CHECK_EQ(test_socketpair(sv), 0);
    CHECK_EQ(test_socketpair(bulk), 0);
    mini_kernel k;
    mk_init(&k);
    start_ns = test_now_ns();
    mk_fiber *r = mk_spawn(&k, reader, 0, 0, 1);
    mk_fiber *w = mk_spawn(&k, late_writer, 0, 0, 2);
    mk_fiber *bw = mk_spawn(&k, bulk_writer, 0, 0, 3);
    mk_fiber *br = mk_spawn(&k, slow_reader, 0, 0, 4);
    mk_run(&k);
    printf("read after %.1f ms; WAIT_FD readable %ld, writable %ld\n",
           (read_done_ns - start_ns) / 1e6, k.wait_readable, k.wait_writable);
    CHECK_EQ(r->result, 4);
    CHECK(memcmp(got, "ping", 4) == 0);
    CHECK_EQ(w->result, 4);
    CHECK(read_done_ns >= write_done_ns); /* it waited for the peer */
    CHECK_EQ(bw->result, (intptr_t)BIG);
    CHECK_EQ(br->result, (intptr_t)BIG);
    CHECK(k.wait_readable >= 1);
    CHECK(k.wait_writable >= 1); /* 4 MiB does not fit a socket buffer */
    mk_destroy(&k);
    return 0;
}
