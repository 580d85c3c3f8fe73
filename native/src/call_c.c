/*
 * call_c.c: thredo_call_c, the entry NativeFiber.Call runs on a new native fiber.
 *
 * Every supported ABI (x86-64 SysV, AAPCS64, Windows x64) passes integer and pointer
 * arguments in order and leaves extra ones to be ignored (registers, or caller-cleaned
 * stack slots on Windows), so one six-argument call serves any C function of up to six
 * such arguments.
 */
#include "thredo_native.h"

typedef intptr_t (*six_args_fn)(intptr_t, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t);

intptr_t thredo_call_c(intptr_t call)
{
    const intptr_t *c = (const intptr_t *)call;
    six_args_fn fn = (six_args_fn)c[0];
    return fn(c[1], c[2], c[3], c[4], c[5], c[6]);
}
