/*
 * hook_later.c: a library that the test library loads with its own dlopen after it was
 * hooked; its calls must be hooked too (test_hook_dlopen).
 */
#include <unistd.h>

__attribute__((visibility("default"))) int hl_usleep(unsigned us) { return usleep(us); }
