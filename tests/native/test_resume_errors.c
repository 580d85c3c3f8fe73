/* Property: misuse of create/resume is reported as a negative errno, not a crash:
 * NULL arguments are -EINVAL, resuming from inside a fiber is -EDEADLK, resuming
 * the running fiber fails, and current() names the running fiber only while it runs. */
#include "test_util.h"

static thredo_fiber *other, *nester;

static intptr_t nests(intptr_t unused)
{
    (void)unused;
    CHECK(thredo_fiber_current() == nester);
    CHECK_EQ(thredo_fiber_resume(other, 0, NULL), -EDEADLK);
    int rc = thredo_fiber_resume(nester, 0, NULL); /* itself: running */
    CHECK(rc == -EINVAL || rc == -EDEADLK);
    return 5;
}

static intptr_t identity(intptr_t a) { return a; }

int main(void)
{
    thredo_fiber *f = NULL;
    CHECK_EQ(thredo_fiber_create(NULL, 0, 0, &f), -EINVAL);
    CHECK_EQ(thredo_fiber_create(identity, 0, 0, NULL), -EINVAL);
    CHECK_EQ(thredo_fiber_resume(NULL, 0, NULL), -EINVAL);
    CHECK(thredo_fiber_current() == NULL);

    CHECK_EQ(thredo_fiber_create(identity, 3, 0, &other), 0);
    CHECK_EQ(thredo_fiber_create(nests, 0, 0, &nester), 0);
    intptr_t out = 0;
    CHECK_EQ(thredo_fiber_resume(nester, 0, &out), 1);
    CHECK_EQ(out, 5);
    CHECK(thredo_fiber_current() == NULL);
    /* the fiber refused above is untouched and still runs normally */
    CHECK_EQ(thredo_fiber_resume(other, 0, &out), 1);
    CHECK_EQ(out, 3);

    thredo_fiber_destroy(nester);
    thredo_fiber_destroy(other);
    CHECK_EQ(thredo_fiber_create(identity, 0, 0, &f), 0);
    thredo_fiber_destroy(f); /* never resumed: destroy is allowed */
    thredo_fiber_destroy(NULL);
    CHECK_EQ(thredo_fiber_is_finished(NULL), 0);
    return 0;
}
