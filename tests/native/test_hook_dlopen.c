/* Property: a library a hooked library loads later with its own dlopen is hooked too,
 * while a library the program loads itself is left alone; thredo_hook_library is
 * idempotent and rejects what is not a loaded object. */
#include "hook_test.h"

static hook_target hooked, plain;
static int (*later_usleep)(unsigned);

static intptr_t sleeper(intptr_t unused)
{
    (void)unused;
    CHECK_EQ(later_usleep(1000), 0);   /* hooked: a SLEEP request */
    CHECK_EQ(plain.usleep(1000), 0);   /* not hooked: the thread sleeps, no request */
    return 1;
}

int main(void)
{
    ht_open(&hooked, HOOK_TARGET, 1);
    ht_open(&plain, HOOK_TARGET_PLAIN, 0);
    int64_t slots = thredo_hook_patched_slots();
    CHECK(slots > 0);
    CHECK(thredo_hook_library(hooked.handle) >= 1);
    CHECK_EQ(thredo_hook_patched_slots(), slots);   /* nothing left to change */
    CHECK_EQ(thredo_hook_library(NULL), -EINVAL);

    void *later = hooked.dlopen(HOOK_LATER);
    CHECK(later != NULL);
    CHECK(thredo_hook_patched_slots() > slots);
    *(void **)&later_usleep = ht_sym(later, "hl_usleep");

    mini_kernel k;
    mk_init(&k);
    mk_fiber *s = mk_spawn(&k, sleeper, 0, 0, 1);
    mk_run(&k);
    CHECK_EQ(s->result, 1);
    CHECK_EQ(k.served[THREDO_REQ_SLEEP], 1);
    mk_destroy(&k);
    return 0;
}
