using System.Diagnostics;
using Thredo.Fibers;
using Thredo.Native;

namespace Thredo.Kernel;

/// <summary>
/// The one OS thread that runs a kernel's native fibers. Handed the baton for a native fiber, it
/// resumes it with an ordinary P/Invoke from its own stack and serves what the fiber asks when it
/// yields (thredo.h: sleep, descriptor wait, yield, timeout scopes, managed calls), parking it on the
/// same waiters managed fibers use. Consecutive native fibers run back to back on this thread, so a
/// native-to-native hand-off is a register switch, not a thread switch.
/// </summary>
/// <remarks>
/// A suspended native fiber holds native frames only (DESIGN.md's one rule): managed code runs on
/// this thread's own stack, or nested on a fiber stack only when the native side has checked that
/// the fiber stack lies below this thread's resume frame (<c>thredo_call_nested</c>).
/// </remarks>
internal sealed class NativeFiberHost : IBatonHolder, IDisposable
{
    private const int ECANCELED = 125, ETIMEDOUT = 110, EINVAL = 22, ENOENT = 2, EIO = 5;
    private readonly Kernel _kernel;
    private readonly Thread _thread;

    internal NativeFiberHost(Kernel kernel)
    {
        _kernel = kernel;
        _thread = new Thread(Loop, 1024 * 1024) { IsBackground = true, Name = "thredo native fiber host" };
        _thread.Start();
    }

    /// <inheritdoc/>
    public ParkerHandle Parker { get; } = ParkerHandle.Create();

    private void Loop()
    {
        // Faults on a guard page happen on this thread: the reporter needs it to have a signal stack.
        NativeFiberHandle.InstallGuardReporter();
        Parker.Wait();
        while (!_kernel.Runtime.IsFinished)
        {
            Fiber fiber = _kernel.Running!;
            Debug.Assert(fiber.Native is not null && fiber.SchedState == FiberState.Running);
            RunUntilParked(fiber);
            _kernel.HandOff(this, Kernel.Leave.Park);
        }
    }

    /// <summary>Resumes <paramref name="fiber"/> and serves its requests until it parks, yields or ends.</summary>
    private void RunUntilParked(Fiber fiber)
    {
        long value = TakeResumeValue(fiber);
        while (true)
        {
            if (fiber.Native!.Resume(checked((IntPtr)value), out IntPtr result))
            {
                End(fiber, result);
                return;
            }
            if (ServeOrFail(fiber, result) is not long next)
                return;
            value = next;
        }
    }

    /// <summary>
    /// <see cref="Serve"/>, with any exception turned into an errno for the fiber that asked: this thread
    /// runs every native fiber of the kernel, and an exception escaping it would end the process.
    /// </summary>
    private long? ServeOrFail(Fiber fiber, IntPtr address)
    {
        try
        {
            return Serve(fiber, address);
        }
#pragma warning disable CA1031 // Whatever went wrong belongs to the fiber that asked, as an errno (thredo.h).
        catch (Exception e)
#pragma warning restore CA1031
        {
            _kernel.Runtime.Report(DiagnosticKind.Failure, $"Thredo: a request of native fiber {fiber.Id} '{fiber.Name}' failed; it gets -EIO:{Environment.NewLine}{e}");
            return -EIO;
        }
    }

    /// <summary>Milliseconds from C (any int64) as a delay; beyond what TimeSpan holds it saturates (forever, in effect).</summary>
    private static TimeSpan Milliseconds(long ms) =>
        ms >= (long)TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(ms);

    /// <summary>Serves one request: a value to resume with at once, or null once the fiber is parked or queued.</summary>
    private long? Serve(Fiber fiber, IntPtr address)
    {
        NativeRequest request = NativeRequest.Read(address);
        switch (request.Kind)
        {
            case NativeRequestKind.TimeoutPush:
                if (request.Value < 0)
                    return -EINVAL;
                fiber.OpenTimeout(Milliseconds(request.Value), ignore: false);
                return 0;
            case NativeRequestKind.TimeoutPop:
                return fiber.CloseInnermostTimeout() ? 0 : -EINVAL;
        }
        if (request.Kind == NativeRequestKind.Yield)
            return Yield(fiber);
        if (TakeInterrupt(fiber) is long interrupted)
            return interrupted;
        switch (request.Kind)
        {
            case NativeRequestKind.Sleep:
                if (request.Value < 0)
                    return -EINVAL;
                return Park(fiber, new SleepWaiter(fiber, Clock.After(Milliseconds(request.Value))));
            case NativeRequestKind.WaitFd:
            case NativeRequestKind.WaitFdFor:
                return WaitFd(fiber, request);
            case NativeRequestKind.Call:
                if (!NativeCallbacks.TryGet(request.Value, out Func<long, long>? callback))
                    return -ENOENT;
                return Call(fiber, address, callback, request.Argument);
            default:
                _kernel.Runtime.Report(DiagnosticKind.Failure, $"Thredo: native fiber {fiber.Id} made unknown request {(int)request.Kind}.");
                return -EINVAL;
        }
    }

    /// <summary>A descriptor wait (thredo_read/write, or a hooked poll with its timeout when WaitFdFor).</summary>
    private long? WaitFd(Fiber fiber, NativeRequest request)
    {
        long? deadline = null;
        if (request.Kind == NativeRequestKind.WaitFdFor)
        {
            if (request.Value < 0)
                return -EINVAL;
            deadline = Clock.After(Milliseconds(request.Value));
        }
        // The fd is the C code's own: no WatchedDescriptor, and a closed one is its -EBADF.
        string operation = deadline is not null ? "native poll" : request.Interest == PollEvents.Readable ? "thredo_read" : "thredo_write";
        Waiter? io = _kernel.BeginIoWait(fiber, checked((IntPtr)request.Fd), request.Interest, operation, null, owner: null, out int errno, deadline);
        return io is null ? -errno : Park(fiber, io);
    }

    /// <summary>
    /// thredo_yield, the hot path: with nobody else runnable (after due timers and I/O), the fiber is
    /// resumed at once, as the hand-off would choose it anyway; one lock, no queue round trip.
    /// </summary>
    private long? Yield(Fiber fiber)
    {
        _kernel.FireExpiredTimers();
        _kernel.PollIoIfDue();
        Exception? interrupt = null;
        lock (_kernel.Lock)
        {
            if (fiber.InterruptDeliverableLocked)
                interrupt = fiber.TakeInterruptLocked();
            else if (_kernel.HasReadyLocked)
            {
                _kernel.MakeReadyLocked(fiber);
                return null;
            }
        }
        return interrupt switch
        {
            null => 0,
            FiberTimeoutException => -ETIMEDOUT,
            _ => -ECANCELED,
        };
    }

    /// <summary>A managed call that may block: it runs on a managed fiber; the native fiber waits for it.</summary>
    private long? Call(Fiber fiber, IntPtr address, Func<long, long> callback, long argument)
    {
        var helper = (Fiber<long>)Fiber.Create(_kernel.Runtime, k => new Fiber<long>(() => callback(argument), $"callback of {fiber.Name}", _kernel.Runtime, k, null));
        var waiter = new CallWaiter(fiber, helper, address) { Description = "thredo_call_managed", Source = helper };
        if (!helper.TryAddJoiner(waiter))
            waiter.TryComplete();
        return Park(fiber, waiter);
    }

    /// <summary>Parks the native fiber on <paramref name="waiter"/>, unless an interrupt is due first.</summary>
    private long? Park(Fiber fiber, Waiter waiter)
    {
        Kernel.ParkOutcome outcome;
        lock (_kernel.Lock)
        {
            outcome = _kernel.ParkLocked(fiber, waiter);
            if (outcome != Kernel.ParkOutcome.Aborted)
                fiber.NativeWait = waiter;
        }
        switch (outcome)
        {
            case Kernel.ParkOutcome.Parked:
                return null;
            case Kernel.ParkOutcome.AlreadyDone:
                return TakeResumeValue(fiber);   // resume at once
            default:
                waiter.Undo();
                return TakeInterrupt(fiber) ?? -ECANCELED;
        }
    }

    /// <summary>What the fiber is resumed with after its last wait: 0, a Call's status, or an interrupt's errno.</summary>
    private static long TakeResumeValue(Fiber fiber)
    {
        Waiter? waiter = fiber.NativeWait;
        fiber.NativeWait = null;
        if (waiter is null)
            return 0;
        if (waiter.IsAborted)
            return TakeInterrupt(fiber) ?? -ECANCELED;   // its Undo has run (a Call's cancels the call)
        if (waiter is CallWaiter call)
            return call.Finish();
        return fiber.Kernel.EndIoWait(waiter) ? 1 : 0;   // 1: a WaitFdFor's time passed
    }

    /// <summary>The errno of a deliverable cancellation or timeout, consuming it; null if none is due.</summary>
    private static long? TakeInterrupt(Fiber fiber)
    {
        fiber.Kernel.FireExpiredTimers();
        Exception? interrupt;
        lock (fiber.Kernel.Lock)
            interrupt = fiber.TakeInterruptLocked();
        return interrupt switch
        {
            null => null,
            FiberTimeoutException => -ETIMEDOUT,
            _ => -ECANCELED,
        };
    }

    /// <summary>The C entry returned: record the result (or the cancellation it observed) and free the stack.</summary>
    private static void End(Fiber fiber, IntPtr result)
    {
        if (fiber.WasCancelDelivered)
            fiber.Finish(new FiberCancelledException(fiber));
        else
        {
            ((Fiber<long>)fiber).SetResult(result);
            fiber.Finish(null);
        }
        fiber.Native!.Dispose();
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The runtime has finished: the thread is woken, leaves its loop, and is joined before its parker
    /// is freed, since its last hand-off may still be waking holders or waiting on the parker.
    /// </remarks>
    public void Dispose()
    {
        Parker.Wake();
        _thread.Join();
        Parker.Dispose();
    }

    /// <summary>A native fiber waiting for its managed callback's fiber to end.</summary>
    private sealed class CallWaiter(Fiber fiber, Fiber<long> helper, IntPtr request) : FiberWaiter(fiber)
    {
        internal Fiber<long> Helper { get; } = helper;

        // The native fiber was interrupted (or aborted before it parked): the call it waited for
        // must not run on unobserved, so it is cancelled too.
        internal override void Undo() => Helper.RequestCancel();

        /// <summary>Writes the callback's result into the request; returns the call's status.</summary>
        internal long Finish()
        {
            if (Helper.State != FiberState.Completed)
            {
                Fiber.Runtime.Report(DiagnosticKind.Failure, $"Thredo: managed callback for native fiber {Fiber.Id} failed: {Helper.Exception}");
                return -EIO;
            }
            NativeRequest.WriteValue(request, Helper.Result);
            return 0;
        }
    }
}
