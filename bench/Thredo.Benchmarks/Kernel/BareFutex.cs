using System.Runtime.InteropServices;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// A bare futex parker written here with raw <c>syscall(SYS_futex, ...)</c>: the same
/// 0 (empty) / 1 (permit) / -1 (sleeping) word and algorithm as the library's parker with spin 0
/// and as the bare copy in bench/native/thredo_native_bench.c, but called from C# (one P/Invoke
/// per system call). It is the baseline the fiber ping-pong is held against.
/// </summary>
internal static unsafe partial class BareFutex
{
    private const int FutexWaitPrivate = 128;   // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
    private const int FutexWakePrivate = 129;   // FUTEX_WAKE | FUTEX_PRIVATE_FLAG

    /// <summary>SYS_futex: 202 on x86-64, 98 on AArch64 (asm-generic).</summary>
    private static readonly long SysFutex = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => throw new PlatformNotSupportedException("SYS_futex is known here for x86-64 and AArch64 only"),
    };

    // syscall(2) is variadic; on x86-64 and AArch64 (Linux) integer varargs travel in the same
    // registers as fixed ones, and glibc's syscall is an assembly shim that only moves registers.
    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number, int* uaddr, int op, int val, nint timeout, nint uaddr2, int val3);

    /// <summary>A 64-byte aligned, zeroed word of native memory (its own cache line).</summary>
    public static int* AllocWord()
    {
        int* word = (int*)NativeMemory.AlignedAlloc(64, 64);
        *word = 0;
        return word;
    }

    public static void FreeWord(int* word) => NativeMemory.AlignedFree(word);

    /// <summary>Gives <paramref name="word"/> a permit, waking its owner if it sleeps.</summary>
    public static void Wake(int* word)
    {
        if (Interlocked.Exchange(ref *word, 1) == -1)
            Syscall(SysFutex, word, FutexWakePrivate, 1, 0, 0, 0);
    }

    /// <summary>Waits for and consumes a permit on <paramref name="word"/> (owner only; no spinning).</summary>
    public static void Wait(int* word)
    {
        while (true)
        {
            if (Volatile.Read(ref *word) == 1)
            {
                Volatile.Write(ref *word, 0);
                return;
            }
            Interlocked.CompareExchange(ref *word, -1, 0);
            if (Volatile.Read(ref *word) == -1)
                Syscall(SysFutex, word, FutexWaitPrivate, -1, 0, 0, 0);
        }
    }

    /// <summary>The hand-off: wake <paramref name="target"/>, then sleep on <paramref name="self"/>.</summary>
    public static void SwitchTo(int* self, int* target)
    {
        Wake(target);
        Wait(self);
    }
}
