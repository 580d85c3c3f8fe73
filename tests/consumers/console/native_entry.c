/* A native fiber's entry point, compiled by tests/consumers/run.sh against the package's
 * build/native/include headers and linked against its runtimes/<rid>/native library:
 * proof that the headers and the library are usable by C code on their own. */
#include <thredo.h>

#if defined(_WIN32)
#define CONSUMER_EXPORT __declspec(dllexport)
#else
#define CONSUMER_EXPORT __attribute__((visibility("default")))
#endif

/* Sleeps `ms` milliseconds on the kernel's timer (suspending the fiber, not the thread), yields
 * once, and returns ms * 1000 + 1 if it ran as a Thredo fiber, a negative errno otherwise. */
CONSUMER_EXPORT intptr_t consumer_native_entry(intptr_t ms)
{
    int rc = thredo_sleep_ms(ms);
    if (rc != 0)
        return rc;
    if ((rc = thredo_yield()) != 0)
        return rc;
    return thredo_current() > 0 ? ms * 1000 + 1 : -1;
}
