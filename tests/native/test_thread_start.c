/* Property: thredo_thread_start runs entry(arg) once on a new thread with (at least) the
 * stack asked for, and rejects a null entry. */
#include "test_util.h"

#include <stdatomic.h>

static _Atomic int ran;
static _Atomic int deep_ok;

static void entry(void *arg)
{
    /* Touch 200 KiB of stack: fine with the 256 KiB asked for. */
    volatile char big[200 * 1024];
    big[0] = 1;
    big[sizeof big - 1] = 2;
    atomic_store(&deep_ok, big[0] + big[sizeof big - 1] == 3);
    atomic_fetch_add(&ran, *(int *)arg);
}

int main(void)
{
    static int one = 1;
    CHECK_EQ(thredo_thread_start(NULL, NULL, 0), -EINVAL);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(thredo_thread_start(entry, &one, 256 * 1024), 0);
    for (int waited = 0; atomic_load(&ran) < 8 && waited < 10000; waited++)
        test_sleep_ms(1);
    CHECK_EQ(atomic_load(&ran), 8);
    CHECK(atomic_load(&deep_ok));
    return 0;
}
