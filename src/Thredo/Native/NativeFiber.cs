using Thredo.Fibers;
using Thredo.Kernel;

namespace Thredo.Native;

/// <summary>
/// Native fibers: C code on switched stacks, run by the kernel alongside managed fibers. The C code
/// blocks through <c>thredo.h</c> (<c>thredo_read</c>, <c>thredo_write</c>, <c>thredo_sleep_ms</c>,
/// <c>thredo_yield</c>, ...), which suspends the native fiber instead of the thread, so thousands of
/// blocking-style C calls share one OS thread and the kernel's poller.
/// </summary>
/// <remarks>
/// Every native fiber of a kernel is resumed from one and the same OS thread, so C thread-local state
/// (<c>errno</c>, caches) stays put. A suspended native fiber holds native frames only. Its stack has
/// a guard page: an overflow aborts the process with a message naming the fiber (a C stack overflow
/// cannot be recovered safely).
/// </remarks>
public static class NativeFiber
{
    /// <summary>The smallest stack a native fiber may have.</summary>
    public const int MinimumStackSizeBytes = 8 * 1024;

    /// <summary>
    /// Starts the C function <paramref name="entry"/> (<c>intptr_t (*)(intptr_t)</c>) with
    /// <paramref name="argument"/> as a native fiber of the caller's kernel. The returned fiber joins,
    /// cancels and times out like any fiber: its result is what <paramref name="entry"/> returned;
    /// cancelling it makes its blocking <c>thredo.h</c> call return <c>-ECANCELED</c> (once), and if the
    /// C code then returns, the fiber ends <see cref="FiberState.Cancelled"/>.
    /// </summary>
    /// <param name="entry">Address of the C entry point; it must not call managed code except through <c>thredo_call_managed</c> / <c>thredo_call_nested</c>.</param>
    /// <param name="argument">Passed to <paramref name="entry"/>.</param>
    /// <param name="stackSizeBytes">Usable stack size; at least <see cref="MinimumStackSizeBytes"/>. Memory is committed as it is touched.</param>
    /// <returns>The fiber; <see cref="Fiber{T}.Join"/> returns the C function's result.</returns>
    /// <exception cref="ArgumentException"><paramref name="entry"/> is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stackSizeBytes"/> is below <see cref="MinimumStackSizeBytes"/>.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber.</exception>
    /// <exception cref="InsufficientMemoryException">No address space is left for the stack.</exception>
    public static Fiber<long> Spawn(nint entry, nint argument, int stackSizeBytes = 64 * 1024)
    {
        if (entry == 0)
            throw new ArgumentException("The entry must be the address of a C function intptr_t (*)(intptr_t).", nameof(entry));
        ArgumentOutOfRangeException.ThrowIfLessThan(stackSizeBytes, MinimumStackSizeBytes);
        FiberRuntime runtime = Fiber.Current.Runtime;
        return Start(runtime, NativeFiberHandle.Create(entry, argument, (nuint)stackSizeBytes));
    }

    /// <summary>The most arguments <see cref="Call"/> passes (the integer argument registers of x86-64 SysV and AArch64).</summary>
    private const int MaxCallArguments = 6;

    /// <summary>
    /// Runs the C function at <paramref name="function"/> with <paramref name="arguments"/> on a new native
    /// fiber of the caller's kernel, with a stack of <see cref="FiberOptions.NativeStackSizeBytes"/>. Blocking
    /// calls the function makes through a library loaded with <see cref="LoadLibrary"/> (libcurl's
    /// <c>curl_easy_perform</c>, libpq's <c>PQexec</c>) suspend this native fiber instead of the thread, so
    /// thousands of such calls run at once on one kernel thread.
    /// </summary>
    /// <param name="function">Address of a C function taking up to six integer or pointer arguments and returning
    /// an integer, a pointer or nothing (for example from <see cref="System.Runtime.InteropServices.NativeLibrary.GetExport"/>).
    /// It must not call managed code except through <c>thredo_call_managed</c> / <c>thredo_call_nested</c>.</param>
    /// <param name="arguments">The arguments, in order; missing ones are passed as zero. Pointers must stay valid
    /// until the fiber ends (pin or allocate them natively).</param>
    /// <returns>
    /// The fiber: <see cref="Fiber{T}.Join"/> returns the function's return value as 64 bits (only the low 32 bits
    /// mean something for a function returning <c>int</c>: cast to <see cref="int"/>). Cancelling it makes the
    /// hooked blocking call in progress (or the next one) fail with errno <c>ECANCELED</c>; once the C code returns,
    /// the fiber ends <see cref="FiberState.Cancelled"/>. The fiber does not inherit the caller's timeout scopes: to
    /// bound a call, time out its <see cref="Fiber{T}.Join"/> with <see cref="Fiber.TimeoutAfter{T}(TimeSpan, Func{T})"/>
    /// and cancel the fiber, or use the library's own timeout. The C library decides what a failed call means to it
    /// (libcurl reports an error code; a libpq connection interrupted mid-query must be closed).
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="function"/> is zero, or more than six arguments were given.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="arguments"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The caller is not a fiber: call it inside <see cref="Fiber.Run(Action, FiberOptions?)"/>.</exception>
    /// <exception cref="InsufficientMemoryException">No address space is left for the stack.</exception>
    public static Fiber<long> Call(nint function, params nint[] arguments)
    {
        if (function == 0)
            throw new ArgumentException("The function must be the address of a C function (for example NativeLibrary.GetExport(NativeFiber.LoadLibrary(\"libcurl.so.4\"), \"curl_easy_perform\")), not zero.", nameof(function));
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Length > MaxCallArguments)
            throw new ArgumentException($"NativeFiber.Call passes at most {MaxCallArguments} integer or pointer arguments, not {arguments.Length}; pass a pointer to a struct holding the rest.", nameof(arguments));
        Fiber current = Fiber.CurrentOrNull ?? throw new InvalidOperationException(
            "NativeFiber.Call must be called from a fiber (inside Fiber.Run); its native fiber joins the caller's kernel.");
        FiberRuntime runtime = current.Runtime;
        return Start(runtime, NativeFiberHandle.CreateCall(function, arguments, (nuint)runtime.Options.NativeStackSizeBytes));
    }

    /// <summary>
    /// Loads a C library as <see cref="System.Runtime.InteropServices.NativeLibrary.Load(string)"/> does and hooks it:
    /// its calls (and those of the libraries it depends on or loads later) to <c>poll</c>, <c>ppoll</c>, <c>select</c>,
    /// <c>read</c>, <c>write</c>, <c>recv</c>, <c>recvfrom</c>, <c>recvmsg</c>, <c>send</c>, <c>sendto</c>,
    /// <c>sendmsg</c>, <c>connect</c>, <c>accept</c>, <c>accept4</c>, <c>sleep</c>, <c>usleep</c>, <c>nanosleep</c>,
    /// <c>clock_nanosleep</c> and <c>getaddrinfo</c> suspend the calling native fiber (see <see cref="Call"/>)
    /// instead of blocking the thread. Off a native fiber they behave exactly as before. Linux only.
    /// </summary>
    /// <param name="nameOrPath">A library name the dynamic loader can find (<c>"libcurl.so.4"</c>) or a path.</param>
    /// <returns>The library's handle, for <see cref="System.Runtime.InteropServices.NativeLibrary.GetExport"/>. Idempotent:
    /// loading the same library again returns the same handle and patches nothing new.</returns>
    /// <exception cref="ArgumentException"><paramref name="nameOrPath"/> is null or empty.</exception>
    /// <exception cref="DllNotFoundException">The library could not be loaded; the message names it.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux (the hooks patch ELF global offset tables).</exception>
    /// <remarks>docs/native-fibers.md says what still blocks the thread (a mutex held across a blocking call, disk
    /// I/O, <c>pthread_join</c>) and what thread-local state the fibers of one kernel share.</remarks>
    public static nint LoadLibrary(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        return HookedLibrary.Load(nameOrPath);
    }

    /// <summary>Queues <paramref name="handle"/> as a new native fiber of <paramref name="runtime"/>.</summary>
    private static Fiber<long> Start(FiberRuntime runtime, NativeFiberHandle handle)
    {
        var fiber = (Fiber<long>)Fiber.Create(runtime, k =>
        {
            k.EnsureNativeHost();
            return new Fiber<long>(NotRunAsDelegate, null, runtime, k, null) { Native = handle };
        });
        handle.SetId(fiber.Id);
        return fiber;
    }

    /// <summary>
    /// Makes <paramref name="callback"/> callable from native fiber code by the returned id, through
    /// <c>thredo_call_managed(id, argument, &amp;result)</c> (the callback may block: it runs on a managed
    /// fiber while the native fiber waits) or <c>thredo_call_nested</c> (it must not block: it may run
    /// directly on the native fiber's stack).
    /// </summary>
    /// <param name="callback">Receives the C argument; its return value is the C result.</param>
    /// <returns>The id to pass from C.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="callback"/> is null.</exception>
    public static long RegisterCallback(Func<long, long> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return NativeCallbacks.Register(callback);
    }

    /// <summary>Forgets a callback; later calls with its id return <c>-ENOENT</c>.</summary>
    /// <param name="id">An id from <see cref="RegisterCallback"/>.</param>
    /// <returns>True if it was registered.</returns>
    public static bool UnregisterCallback(long id) => NativeCallbacks.Unregister(id);

    private static long NotRunAsDelegate() =>
        throw new InvalidOperationException("A native fiber's body is its C entry point, run by the native fiber host.");
}
