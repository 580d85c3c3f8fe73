/*
 * make_arm64_aapcs_elf_gas.S: build the first context of a fiber, and its trampoline.
 *
 *   void *thredo_ctx_make(void *stack_top, thredo_fiber *fiber,
 *                         void (*main)(thredo_fiber *),
 *                         void (*fell_off)(thredo_fiber *));
 *
 *   x0 = stack_top : highest address of the fiber stack (exclusive)
 *   x1 = fiber     : passed to main and fell_off
 *   x2 = main      : first C function on the stack; must not return
 *   x3 = fell_off  : called if main returns anyway; reports and aborts
 *   returns (x0)   : the initial stack pointer to hand to thredo_ctx_switch
 *
 * The frame has the layout documented in switch_arm64_aapcs_elf_gas.S:
 *
 *   +--------+----------------------------------------------+
 *   | offset | initial contents                             |
 *   +--------+----------------------------------------------+
 *   |  0x00  | d8-d15 = 0                                   |
 *   |  0x40  | x19 = fiber, x20 = main, x21 = fell_off      |
 *   |  0x58  | x22-x28 = 0                                  |
 *   |  0x90  | x29 = 0 (ends frame chains)                  |
 *   |  0x98  | x30 = thredo_ctx_trampoline                  |
 *   |  0xa0  | FPCR: copied from the creating thread        |
 *   +--------+----------------------------------------------+
 *
 * Alignment invariant: the frame starts at (stack_top & ~15) - 0xb0, so the
 * trampoline runs with sp % 16 == 0 as AAPCS64 (section 6.4.5.1) requires.
 *
 * Pitfalls: main must never return; if it does, the trampoline calls fell_off,
 * whose abort message names the fiber. The trampoline marks x30 undefined in its
 * CFI so unwinders stop there.
 */
    .file   "make_arm64_aapcs_elf_gas.S"
    .text
    .globl  thredo_ctx_make
    .hidden thredo_ctx_make
    .type   thredo_ctx_make, %function
    .align  4
thredo_ctx_make:
    and     x0, x0, #~15                // align the top down to 16 bytes
    sub     x0, x0, #0xb0               // room for one context frame
    stp     xzr, xzr, [x0, #0x00]       // d8-d15 start as zero
    stp     xzr, xzr, [x0, #0x10]
    stp     xzr, xzr, [x0, #0x20]
    stp     xzr, xzr, [x0, #0x30]
    stp     x1,  x2,  [x0, #0x40]       // x19 = fiber, x20 = main
    stp     x3,  xzr, [x0, #0x50]       // x21 = fell_off, x22 = 0
    stp     xzr, xzr, [x0, #0x60]       // x23, x24
    stp     xzr, xzr, [x0, #0x70]       // x25, x26
    stp     xzr, xzr, [x0, #0x80]       // x27, x28
    adr     x9, thredo_ctx_trampoline   // position-independent address
    stp     xzr, x9,  [x0, #0x90]       // x29 = 0, x30 = trampoline
    mrs     x9, fpcr                    // start with the creator's FP modes
    stp     x9,  xzr, [x0, #0xa0]       // FPCR and the pad slot
    ret                                 // x0 = initial stack pointer
    .size   thredo_ctx_make, .-thredo_ctx_make

    .type   thredo_ctx_trampoline, %function
    .align  4
thredo_ctx_trampoline:
    .cfi_startproc
    .cfi_undefined x30                  // outermost frame: unwinding stops here
    mov     x0, x19                     // main(fiber)
    blr     x20                         // never returns in a correct program
    mov     x0, x19                     // it did: fell_off(fiber) reports and aborts
    blr     x21
    brk     #0                          // unreachable: trap if fell_off returned
    .cfi_endproc
    .size   thredo_ctx_trampoline, .-thredo_ctx_trampoline

    .section .note.GNU-stack,"",%progbits
