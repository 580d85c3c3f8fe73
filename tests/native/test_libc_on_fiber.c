/* Property: ordinary libc works on a switched stack: formatted output (with
 * floating point, which uses aligned SSE moves), malloc/free and qsort. */
#include "test_util.h"

static int cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static intptr_t fiber(intptr_t unused)
{
    (void)unused;
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f|%d|%s", 3.14159, 42, "fiber");
    CHECK(strcmp(buf, "3.142|42|fiber") == 0);
    printf("printf on a fiber: %s %g\n", buf, 2.5);
    fflush(stdout);
    int *v = malloc(1000 * sizeof *v);
    CHECK(v != NULL);
    for (int i = 0; i < 1000; i++)
        v[i] = (i * 7919) % 1000;
    thredo_fiber_yield(0); /* the heap block survives a switch */
    qsort(v, 1000, sizeof *v, cmp);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(v[i], i);
    free(v);
    return 1;
}

int main(void)
{
    thredo_fiber *f;
    CHECK_EQ(thredo_fiber_create(fiber, 0, 0, &f), 0);
    CHECK_EQ(thredo_fiber_resume(f, 0, NULL), 0);
    CHECK_EQ(thredo_fiber_resume(f, 0, NULL), 1);
    thredo_fiber_destroy(f);
    return 0;
}
