/*
 * hook_none.c: thredo_hook_library where there is no GOT to patch (Windows). The
 * equivalent there would patch the import address table; not implemented.
 */
#include "thredo_native.h"

#include <errno.h>

int thredo_hook_library(void *handle)
{
    (void)handle;
    return -ENOSYS;
}

int64_t thredo_hook_patched_slots(void)
{
    return 0;
}
