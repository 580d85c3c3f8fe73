using BenchmarkDotNet.Attributes;
using Thredo.Fibers;

namespace Thredo.Benchmarks.Native;

/// <summary>
/// The native layer as C# sees it: a native fiber's resume+yield round trip (through the
/// SafeHandle P/Invoke, and raw through a function pointer), the baton hand-off between two
/// managed threads, and a plain P/Invoke to a trivial C function as the baseline.
/// Each benchmark loops <see cref="Loop"/> times; results are per operation.
/// </summary>
public unsafe class NativeSwitchBenchmarks
{
    private const int Loop = 1000;

    private delegate* unmanaged<nint, nint> _addOne;
    private delegate* unmanaged<IntPtr, nint, nint*, int> _resume;
    private NativeFiberHandle _fiber = null!;
    private IntPtr _rawFiber;
    private ParkerHandle _main = null!;
    private ParkerHandle _partner = null!;
    private Thread _partnerThread = null!;
    private volatile bool _stop;

    [GlobalSetup]
    public void Setup()
    {
        _addOne = (delegate* unmanaged<nint, nint>)NativeEntries.Entry("thredo_test_add_one");
        _resume = (delegate* unmanaged<IntPtr, nint, nint*, int>)System.Runtime.InteropServices.NativeLibrary.GetExport(
            NativeEntries.ThredoNativeModule, "thredo_fiber_resume");

        // thredo_test_yield_loop yields forever; the first resume runs it to its first yield.
        _fiber = NativeFiberHandle.Create(NativeEntries.Entry("thredo_test_yield_loop"), 0, 0);
        _fiber.Resume(0, out _);
        _rawFiber = _fiber.DangerousGetHandle();

        _main = ParkerHandle.Create();
        _partner = ParkerHandle.Create();
        _partnerThread = new Thread(Partner) { IsBackground = true, Name = "baton partner" };
        _partnerThread.Start();
    }

    /// <summary>Hands the baton straight back until told to stop.</summary>
    private void Partner()
    {
        _partner.Wait();
        while (!_stop)
            _partner.SwitchTo(_main);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _partner.Wake();
        _partnerThread.Join();
        _fiber.Dispose();
        _main.Dispose();
        _partner.Dispose();
    }

    /// <summary>Baseline: a P/Invoke-style call (GC transition included) to <c>x + 1</c> in C.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Loop)]
    public nint PInvokeAddOne()
    {
        nint x = 0;
        for (int i = 0; i < Loop; i++)
            x = _addOne(x);
        return x;
    }

    /// <summary>NativeFiberHandle.Resume into thredo_test_yield_loop and back (SafeHandle marshalling, errno check).</summary>
    [Benchmark(OperationsPerInvoke = Loop)]
    public nint FiberResumeYieldSafeHandle()
    {
        nint x = 0;
        for (int i = 0; i < Loop; i++)
            _fiber.Resume(x, out x);
        return x;
    }

    /// <summary>The same round trip through a function pointer on the raw handle (no SafeHandle AddRef/Release).</summary>
    [Benchmark(OperationsPerInvoke = Loop)]
    public nint FiberResumeYieldRaw()
    {
        nint x = 0;
        for (int i = 0; i < Loop; i++)
        {
            if (_resume(_rawFiber, x, &x) != 0)
                throw new InvalidOperationException("the fiber did not yield");
        }
        return x;
    }

    /// <summary>One baton hand-off between two managed threads (thredo_baton_switch; spin 0, so both sleep in the futex).</summary>
    [Benchmark(OperationsPerInvoke = 2 * Loop)]
    public void BatonHandOff()
    {
        for (int i = 0; i < Loop; i++)
            _main.SwitchTo(_partner);
    }
}
