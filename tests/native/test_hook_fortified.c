/* Property: the _FORTIFY_SOURCE entry points a fortified library imports instead of poll,
 * read, recv and recvfrom (__poll_chk, __read_chk, __recv_chk, __recvfrom_chk) are hooked
 * too: on a native fiber they wait on the kernel while a writer fiber runs. */
#include "hook_test.h"

static hook_target t;
static int sv[2];

static intptr_t reader(intptr_t unused)
{
    (void)unused;
    char buf[8];
    struct pollfd p = { .fd = sv[0], .events = POLLIN };
    CHECK_EQ(t.poll_chk(&p, 1, -1), 1);
    CHECK_EQ(t.read_chk(sv[0], buf, 1), 1);
    CHECK_EQ(buf[0], 'a');
    CHECK_EQ(t.recv_chk(sv[0], buf, 1, 0), 1);
    CHECK_EQ(buf[0], 'b');
    CHECK_EQ(t.recvfrom_chk(sv[0], buf, 1, 0), 1);
    CHECK_EQ(buf[0], 'c');
    return 1;
}

static intptr_t writer(intptr_t unused)
{
    (void)unused;
    for (const char *c = "abc"; *c; c++) {
        CHECK_EQ(thredo_sleep_ms(5), 0);
        CHECK_EQ(write(sv[1], c, 1), 1);
    }
    return 2;
}

int main(void)
{
    ht_open(&t, HOOK_TARGET, 1);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    mini_kernel k;
    mk_init(&k);
    mk_fiber *r = mk_spawn(&k, reader, 0, 0, 1);
    mk_fiber *w = mk_spawn(&k, writer, 0, 0, 2);
    mk_run(&k);
    CHECK_EQ(r->result, 1);
    CHECK_EQ(w->result, 2);
    CHECK(k.wait_readable >= 3);
    mk_destroy(&k);
    return 0;
}
