/*
 * switch_arm64_aapcs_elf_gas.S: save this context, load another one.
 *
 *   intptr_t thredo_ctx_switch(void **save_sp, void *load_sp, intptr_t value);
 *
 *   x0 = save_sp : where to store the stack pointer of the context being left
 *   x1 = load_sp : stack pointer of the context to enter (a frame laid out below)
 *   x2 = value   : returned (x0) on the entered side, from its own thredo_ctx_switch
 *                  call, or ignored by the trampoline of a fresh fiber
 *
 * The saved context is a 0xb0-byte frame on the suspended stack itself; the stack
 * pointer saved in *save_sp points at its first byte:
 *
 *   +--------+---------------------------------------------+
 *   | offset | contents                                    |
 *   +--------+---------------------------------------------+
 *   |  0x00  | d8   | 0x08 d9                              |
 *   |  0x10  | d10  | 0x18 d11                             |
 *   |  0x20  | d12  | 0x28 d13                             |
 *   |  0x30  | d14  | 0x38 d15                             |
 *   |  0x40  | x19  | 0x48 x20                             |
 *   |  0x50  | x21  | 0x58 x22                             |
 *   |  0x60  | x23  | 0x68 x24                             |
 *   |  0x70  | x25  | 0x78 x26                             |
 *   |  0x80  | x27  | 0x88 x28                             |
 *   |  0x90  | x29 (fp) | 0x98 x30 (lr: resume address)    |
 *   |  0xa0  | FPCR | 0xa8 pad                             |
 *   +--------+---------------------------------------------+
 *   switch_asm.c _Static_asserts each offset against struct thredo_ctx_frame.
 *
 * Why these registers: AAPCS64 (Procedure Call Standard for the Arm 64-bit
 * Architecture, section 6.1.1 and 6.1.2) makes x19-x29, sp and the low 64 bits of
 * v8-v15 callee-saved; x30 is where we return to. FPCR is not callee-saved by the
 * AAPCS64 but holds the rounding mode, which we keep per fiber so one fiber's
 * fesetround() cannot leak into its host (the x86-64 switch does the same with MXCSR).
 *
 * Alignment invariant: sp % 16 == 0 at all times (the hardware faults on a
 * misaligned sp-based access when SCTLR_EL1.SA0 is set), so the frame size is a
 * multiple of 16 and every saved sp is 16-byte aligned.
 *
 * Pitfalls:
 *   - Signal stacks: a signal taken on a fiber runs on the fiber's stack (unless
 *     sigaltstack is set) and needs a few KiB of it (more with SVE state); never call
 *     this from a signal handler.
 *   - Pointer authentication / BTI: we return with `ret` through the saved x30,
 *     which was never signed, so this works with PAC-RET code around it; the
 *     trampoline is entered by `ret`, not `br`, so it needs no BTI landing pad.
 *   - Sanitizers: AddressSanitizer must be told about the switch (fiber.c does it).
 */
    .file   "switch_arm64_aapcs_elf_gas.S"
    .text
    .globl  thredo_ctx_switch
    .hidden thredo_ctx_switch           // internal: not part of the exported API
    .type   thredo_ctx_switch, %function
    .align  4
thredo_ctx_switch:
    sub     sp, sp, #0xb0               // room for the frame; keeps sp 16-aligned
    stp     d8,  d9,  [sp, #0x00]       // callee-saved FP/SIMD (low halves)
    stp     d10, d11, [sp, #0x10]
    stp     d12, d13, [sp, #0x20]
    stp     d14, d15, [sp, #0x30]
    stp     x19, x20, [sp, #0x40]       // callee-saved general registers
    stp     x21, x22, [sp, #0x50]
    stp     x23, x24, [sp, #0x60]
    stp     x25, x26, [sp, #0x70]
    stp     x27, x28, [sp, #0x80]
    stp     x29, x30, [sp, #0x90]       // frame pointer and the address to resume at
    mrs     x9, fpcr                    // rounding mode and FP traps of this context
    str     x9, [sp, #0xa0]

    mov     x9, sp                      // sp cannot be stored directly
    str     x9, [x0]                    // publish where the left context lives
    mov     sp, x1                      // from here on we are on the other stack

    ldr     x9, [sp, #0xa0]             // the entered context's FPCR
    msr     fpcr, x9
    ldp     d8,  d9,  [sp, #0x00]       // its callee-saved FP/SIMD registers
    ldp     d10, d11, [sp, #0x10]
    ldp     d12, d13, [sp, #0x20]
    ldp     d14, d15, [sp, #0x30]
    ldp     x19, x20, [sp, #0x40]       // its callee-saved general registers
    ldp     x21, x22, [sp, #0x50]
    ldp     x23, x24, [sp, #0x60]
    ldp     x25, x26, [sp, #0x70]
    ldp     x27, x28, [sp, #0x80]
    ldp     x29, x30, [sp, #0x90]       // its fp and resume address
    add     sp, sp, #0xb0               // drop the frame

    mov     x0, x2                      // value: the return value on the other side
    ret                                 // to x30: continue it as if its call returned
    .size   thredo_ctx_switch, .-thredo_ctx_switch

    .section .note.GNU-stack,"",%progbits
