using BenchmarkDotNet.Attributes;
using Thredo.Benchmarks.Native;
using Thredo.Native;

namespace Thredo.Benchmarks.NativeFibers;

/// <summary>
/// Native fibers served by the kernel: a native fiber that calls <c>thredo_yield</c> in a loop,
/// each yield a round trip through the kernel's native fiber host (resume, serve the request,
/// resume again), against the bare resume+yield of the same C switch called from C# (the
/// baseline). One invocation is one <c>Fiber.Run</c> with <see cref="Yields"/> round trips.
/// </summary>
public class NativeFiberKernelBenchmarks
{
    private const int Yields = 100_000;
    private nint _yieldTimes;
    private NativeSwitchBenchmarks _bare = null!;

    [GlobalSetup]
    public void Setup()
    {
        _yieldTimes = NativeEntries.Entry("thredo_test_yield_times");
        _bare = new NativeSwitchBenchmarks();
        _bare.Setup();
    }

    [GlobalCleanup]
    public void Cleanup() => _bare.Cleanup();

    /// <summary>Resume+yield of a native fiber straight from C# (no kernel), per round trip.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 1000)]
    public nint BareResumeYield() => _bare.FiberResumeYieldRaw();

    /// <summary>thredo_yield served by the kernel's native fiber host, per round trip.</summary>
    [Benchmark(OperationsPerInvoke = Yields)]
    public long KernelYieldRoundTrip() => Fiber.Run(() => NativeFiber.Spawn(_yieldTimes, Yields).Join());
}
