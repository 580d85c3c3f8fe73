/*
 * switch_asm.c: the switch backend over the hand-written assembly in asm/.
 *
 * The assembly keeps each suspended context as a frame on its own stack; the
 * struct below mirrors the boxed table at the top of the .S file for this
 * architecture, and the _Static_asserts make the two fail to build if either drifts.
 */
#include "internal.h"

#include <errno.h>
#include <stddef.h>

#if defined(__x86_64__) && !defined(_WIN32)
struct thredo_ctx_frame {
    uint32_t mxcsr;   /* 0x00 */
    uint16_t x87_cw;  /* 0x04 */
    uint16_t pad;     /* 0x06 */
    uint64_t r12, r13, r14, r15, rbx, rbp; /* 0x08 .. 0x30 */
    uint64_t rip;     /* 0x38 */
};
_Static_assert(offsetof(struct thredo_ctx_frame, mxcsr) == 0x00, "MXCSR slot");
_Static_assert(offsetof(struct thredo_ctx_frame, x87_cw) == 0x04, "x87 CW slot");
_Static_assert(offsetof(struct thredo_ctx_frame, r12) == 0x08, "R12 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, r13) == 0x10, "R13 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, r14) == 0x18, "R14 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, r15) == 0x20, "R15 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, rbx) == 0x28, "RBX slot");
_Static_assert(offsetof(struct thredo_ctx_frame, rbp) == 0x30, "RBP slot");
_Static_assert(offsetof(struct thredo_ctx_frame, rip) == 0x38, "RIP slot");
_Static_assert(sizeof(struct thredo_ctx_frame) == 0x40, "frame size");
#elif defined(__aarch64__) && !defined(_WIN32)
struct thredo_ctx_frame {
    uint64_t d[8];    /* 0x00: d8 .. d15 */
    uint64_t x[10];   /* 0x40: x19 .. x28 */
    uint64_t fp;      /* 0x90: x29 */
    uint64_t lr;      /* 0x98: x30, the resume address */
    uint64_t fpcr;    /* 0xa0 */
    uint64_t pad;     /* 0xa8: keeps sp 16-byte aligned */
};
_Static_assert(offsetof(struct thredo_ctx_frame, d) == 0x00, "d8 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, d[7]) == 0x38, "d15 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, x) == 0x40, "x19 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, x[9]) == 0x88, "x28 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, fp) == 0x90, "x29 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, lr) == 0x98, "x30 slot");
_Static_assert(offsetof(struct thredo_ctx_frame, fpcr) == 0xa0, "FPCR slot");
_Static_assert(sizeof(struct thredo_ctx_frame) == 0xb0, "frame size");
#else
#error "thredo_native: no assembly switch for this architecture/ABI; configure -DTHREDO_SWITCH=ucontext"
#endif

/* asm/switch_<arch>_<abi>_elf_gas.S and asm/make_<arch>_<abi>_elf_gas.S */
intptr_t thredo_ctx_switch(void **save_sp, void *load_sp, intptr_t value);
void *thredo_ctx_make(void *stack_top, thredo_fiber *fiber,
                      void (*main)(thredo_fiber *), void (*fell_off)(thredo_fiber *));

const char thredo_switch_name[] = "asm";
const int thredo_switch_uses_stack = 1;

int thredo_switch_init(thredo_fiber *f)
{
    char *top = (char *)thredo_stack_base(f->stack) + thredo_stack_size(f->stack);
    f->ctx = thredo_ctx_make(top, f, thredo_fiber_main, thredo_fiber_fell_off);
    return 0;
}

void thredo_switch_release(thredo_fiber *f)
{
    (void)f; /* the frame lives on the fiber's stack, freed by fiber.c */
}

intptr_t thredo_switch_into(thredo_fiber *f, intptr_t value)
{
    return thredo_ctx_switch(&f->host_ctx, f->ctx, value);
}

intptr_t thredo_switch_out(thredo_fiber *f, intptr_t value)
{
    return thredo_ctx_switch(&f->ctx, f->host_ctx, value);
}
