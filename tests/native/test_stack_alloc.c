/* Property: thredo_stack_alloc gives at least the requested usable bytes, rounded
 * to pages, writable end to end; rejects size 0 and absurd sizes; freed stacks of
 * one size are reused from the pool. */
#include "test_util.h"

int main(void)
{
    thredo_stack *s = NULL, *t = NULL;
    CHECK_EQ(thredo_stack_alloc(0, &s), -EINVAL);
    CHECK_EQ(thredo_stack_alloc(SIZE_MAX / 2, &s), -EINVAL);
    CHECK_EQ(thredo_stack_alloc(4096, NULL), -EINVAL);

    CHECK_EQ(thredo_stack_alloc(100000, &s), 0);
    CHECK(thredo_stack_size(s) >= 100000);
    CHECK(thredo_stack_size(s) % 4096 == 0);
    char *base = thredo_stack_base(s);
    CHECK(((uintptr_t)base % 4096) == 0);
    memset(base, 0xab, thredo_stack_size(s)); /* all of it is usable */
    size_t size = thredo_stack_size(s);
    thredo_stack_free(s);

    CHECK_EQ(thredo_stack_alloc(100000, &t), 0); /* same size: from the pool */
    CHECK(thredo_stack_base(t) == base);
    CHECK_EQ(thredo_stack_size(t), size);
    thredo_stack_free(t);
    thredo_stack_free(NULL);
    return 0;
}
