/*
 * switch_x86_64_sysv_elf_gas.S: save this context, load another one.
 *
 *   intptr_t thredo_ctx_switch(void **save_sp, void *load_sp, intptr_t value);
 *
 *   rdi = save_sp : where to store the stack pointer of the context being left
 *   rsi = load_sp : stack pointer of the context to enter (a frame laid out below)
 *   rdx = value   : returned (rax) on the entered side, from its own thredo_ctx_switch
 *                   call, or ignored by the trampoline of a fresh fiber
 *
 * The saved context is a 0x40-byte frame on the suspended stack itself; the stack
 * pointer saved in *save_sp points at its first byte:
 *
 *   +--------+---------------------------------------------------+
 *   | offset | contents                                          |
 *   +--------+---------------------------------------------------+
 *   |  0x00  | MXCSR (4 bytes) | x87 control word (2) | pad (2)  |
 *   |  0x08  | R12                                               |
 *   |  0x10  | R13                                               |
 *   |  0x18  | R14                                               |
 *   |  0x20  | R15                                               |
 *   |  0x28  | RBX                                               |
 *   |  0x30  | RBP                                               |
 *   |  0x38  | RIP (the return address pushed by our caller)     |
 *   +--------+---------------------------------------------------+
 *   switch_asm.c _Static_asserts each offset against struct thredo_ctx_frame.
 *
 * Why these registers: System V AMD64 psABI (v1.0, section 3.2.1, figure 3.4) makes
 * rbx, rbp, r12-r15 callee-saved, and says the MXCSR control bits and the x87
 * control word are preserved across calls ("callee-saved" control state), so a fiber
 * that changes its rounding mode must not change its host's. Everything else is
 * caller-saved: the C caller of this function has already spilled what it needs.
 *
 * Alignment invariant: the caller had rsp % 16 == 0 before its `call`, so on entry
 * rsp % 16 == 8 and the frame base (rsp - 0x38) is 16-byte aligned. A fresh frame
 * built by thredo_ctx_make is aligned the same way, so the trampoline starts with
 * rsp % 16 == 0 and its `call` gives the fiber's first C function a correct entry.
 *
 * Pitfalls:
 *   - Red zone: the 128 bytes below a leaf function's rsp are its own. We only write
 *     below our return address, which the psABI gives to the callee, so no caller
 *     data is clobbered.
 *   - Signal stacks: a signal taken on a fiber runs on the fiber's stack (unless
 *     sigaltstack is set) and needs a few KiB of it (more with AVX-512 state); never
 *     call this from a signal handler: the interrupted context would be split.
 *   - CET: we end with pop + jmp, not ret, so the return-stack predictor is not
 *     trained wrongly; with a CET shadow stack enabled the switch would still fault
 *     (the shadow stack is not switched). This object carries no SHSTK property note,
 *     so the linker does not mark the library shadow-stack compatible.
 *   - Sanitizers: AddressSanitizer must be told about the switch (fiber.c does it).
 */
    .file   "switch_x86_64_sysv_elf_gas.S"
    .text
    .globl  thredo_ctx_switch
    .hidden thredo_ctx_switch           /* internal: not part of the exported API */
    .type   thredo_ctx_switch, @function
    .align  16
thredo_ctx_switch:
    leaq    -0x38(%rsp), %rsp           /* room for 7 slots below the return address */
    stmxcsr (%rsp)                      /* MXCSR: SSE rounding mode and exception masks */
    fnstcw  0x04(%rsp)                  /* x87 control word: precision and rounding */
    movq    %r12, 0x08(%rsp)            /* callee-saved GPRs of the context we leave */
    movq    %r13, 0x10(%rsp)
    movq    %r14, 0x18(%rsp)
    movq    %r15, 0x20(%rsp)
    movq    %rbx, 0x28(%rsp)
    movq    %rbp, 0x30(%rsp)

    movq    %rsp, (%rdi)                /* publish where the left context lives */
    movq    %rsi, %rsp                  /* from here on we are on the other stack */

    ldmxcsr (%rsp)                      /* the entered context's SSE control state */
    fldcw   0x04(%rsp)                  /* and its x87 control word */
    movq    0x08(%rsp), %r12            /* its callee-saved GPRs */
    movq    0x10(%rsp), %r13
    movq    0x18(%rsp), %r14
    movq    0x20(%rsp), %r15
    movq    0x28(%rsp), %rbx
    movq    0x30(%rsp), %rbp

    leaq    0x38(%rsp), %rsp            /* drop the frame; rsp now at the saved RIP */
    popq    %r8                         /* its resume address (caller-saved scratch) */
    movq    %rdx, %rax                  /* value: the return value on the other side */
    jmpq    *%r8                        /* continue it as if its call returned */
    .size   thredo_ctx_switch, .-thredo_ctx_switch

    .section .note.GNU-stack,"",%progbits
