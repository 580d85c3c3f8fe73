/* Property: thredo_call_managed hands callback id and argument to the kernel in a CALL
 * request and returns the callback's result through *result (status 0); an unknown id is
 * -ENOENT with *result untouched, and a NULL result pointer is allowed. */
#include "mini_kernel.h"

static int64_t square(int64_t x) { return x * x; }
static int64_t negate(int64_t x) { return -x; }

static intptr_t caller(intptr_t unused)
{
    (void)unused;
    int64_t r = 0;
    CHECK_EQ(thredo_call_managed(1, 12, &r), 0);
    CHECK_EQ(r, 144);
    CHECK_EQ(thredo_call_managed(2, 5000000000LL, &r), 0);
    CHECK_EQ(r, -5000000000LL); /* 64 bits both ways */
    r = 7;
    CHECK_EQ(thredo_call_managed(9, 1, &r), -ENOENT);
    CHECK_EQ(r, 7);
    CHECK_EQ(thredo_call_managed(1, 3, NULL), 0);
    return 1;
}

int main(void)
{
    mini_kernel k;
    mk_init(&k);
    k.calls[1] = square;
    k.calls[2] = negate;
    mk_fiber *m = mk_spawn(&k, caller, 0, 0, 1);
    mk_run(&k);
    CHECK_EQ(m->result, 1);
    CHECK_EQ(k.served[THREDO_REQ_CALL], 4);
    mk_destroy(&k);
    return 0;
}
