/*
 * make_x86_64_sysv_elf_gas.S: build the first context of a fiber, and its trampoline.
 *
 *   void *thredo_ctx_make(void *stack_top, thredo_fiber *fiber,
 *                         void (*main)(thredo_fiber *),
 *                         void (*fell_off)(thredo_fiber *));
 *
 *   rdi = stack_top : highest address of the fiber stack (exclusive)
 *   rsi = fiber     : passed to main and fell_off
 *   rdx = main      : first C function on the stack; must not return
 *   rcx = fell_off  : called if main returns anyway; reports and aborts
 *   returns (rax)   : the initial stack pointer to hand to thredo_ctx_switch
 *
 * The frame has the layout documented in switch_x86_64_sysv_elf_gas.S:
 *
 *   +--------+---------------------------------------------------+
 *   | offset | initial contents                                  |
 *   +--------+---------------------------------------------------+
 *   |  0x00  | MXCSR | x87 CW: copied from the creating thread   |
 *   |  0x08  | R12 = fiber                                       |
 *   |  0x10  | R13 = main                                        |
 *   |  0x18  | R14 = fell_off                                    |
 *   |  0x20  | R15 = 0                                           |
 *   |  0x28  | RBX = 0                                           |
 *   |  0x30  | RBP = 0 (ends frame-pointer chains)               |
 *   |  0x38  | RIP = thredo_ctx_trampoline                       |
 *   +--------+---------------------------------------------------+
 *
 * Alignment invariant: the frame starts at (stack_top & ~15) - 0x40, so after the
 * switch pops RIP the trampoline runs with rsp % 16 == 0, and its `call` enters main
 * with rsp % 16 == 8, as the System V AMD64 psABI (section 3.2.2) requires.
 *
 * Pitfalls: main must never return (it switches away for the last time); if it
 * does, the trampoline calls fell_off, whose abort message names the fiber, rather
 * than running off into whatever lies above the stack. The trampoline marks RIP
 * undefined in its CFI so debuggers and unwinders stop there.
 */
    .file   "make_x86_64_sysv_elf_gas.S"
    .text
    .globl  thredo_ctx_make
    .hidden thredo_ctx_make
    .type   thredo_ctx_make, @function
    .align  16
thredo_ctx_make:
    movq    %rdi, %rax                  /* rax = stack top */
    andq    $-16, %rax                  /* align down to 16 bytes */
    leaq    -0x40(%rax), %rax           /* room for one context frame */
    stmxcsr (%rax)                      /* start with the creator's SSE modes */
    fnstcw  0x04(%rax)                  /* and its x87 control word */
    movq    %rsi, 0x08(%rax)            /* R12 = fiber */
    movq    %rdx, 0x10(%rax)            /* R13 = main */
    movq    %rcx, 0x18(%rax)            /* R14 = fell_off */
    movq    $0, 0x20(%rax)              /* R15 */
    movq    $0, 0x28(%rax)              /* RBX */
    movq    $0, 0x30(%rax)              /* RBP: terminates frame-pointer walks */
    leaq    thredo_ctx_trampoline(%rip), %rcx /* position-independent address */
    movq    %rcx, 0x38(%rax)            /* RIP = trampoline */
    ret                                 /* rax = initial stack pointer */
    .size   thredo_ctx_make, .-thredo_ctx_make

    .type   thredo_ctx_trampoline, @function
    .align  16
thredo_ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip                  /* outermost frame: unwinding stops here */
    movq    %r12, %rdi                  /* main(fiber) */
    callq   *%r13                       /* never returns in a correct program */
    movq    %r12, %rdi                  /* it did: fell_off(fiber) reports and aborts */
    callq   *%r14
    ud2                                 /* unreachable: trap if fell_off returned */
    .cfi_endproc
    .size   thredo_ctx_trampoline, .-thredo_ctx_trampoline

    .section .note.GNU-stack,"",%progbits
