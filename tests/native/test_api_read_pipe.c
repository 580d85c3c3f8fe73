/* Property: thredo_read/thredo_write work on a non-socket descriptor (a pipe): ENOTSOCK
 * makes them switch it to O_NONBLOCK and use read/write, still suspending on WAIT_FD.
 * On Windows only sockets are supported, and a non-socket returns -ENOSYS. */
#include "mini_kernel.h"

#if defined(_WIN32)
static intptr_t not_socket(intptr_t unused)
{
    (void)unused;
    char c;
    /* a SOCKET value nothing uses: not a socket */
    return (intptr_t)thredo_read((intptr_t)0x7ffc, &c, 1);
}

int main(void)
{
    mini_kernel k;
    mk_init(&k);
    mk_fiber *m = mk_spawn(&k, not_socket, 0, 0, 1);
    mk_run(&k);
    printf("thredo_read on a non-socket: %ld\n", (long)m->result);
    CHECK(m->result == -ENOSYS || m->result == -EBADF || m->result == -EIO);
    mk_destroy(&k);
    return 0;
}
#else
#  include <fcntl.h>

static int p[2];
static char got[8];

static intptr_t reader(intptr_t unused)
{
    (void)unused;
    return (intptr_t)thredo_read(p[0], got, sizeof got);
}

static intptr_t writer(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(thredo_sleep_ms(20), 0);
    return (intptr_t)thredo_write(p[1], "pipe", 4);
}

int main(void)
{
    CHECK_EQ(pipe(p), 0);
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    mini_kernel k;
    mk_init(&k);
    mk_fiber *r = mk_spawn(&k, reader, 0, 0, 1);
    mk_fiber *w = mk_spawn(&k, writer, 0, 0, 2);
    mk_run(&k);
    CHECK_EQ(r->result, 4);
    CHECK_EQ(w->result, 4);
    CHECK(memcmp(got, "pipe", 4) == 0);
    CHECK(k.wait_readable >= 1);
    CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    mk_destroy(&k);
    return 0;
}
#endif
