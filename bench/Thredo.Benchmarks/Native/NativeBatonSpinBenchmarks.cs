using BenchmarkDotNet.Attributes;
using Thredo.Fibers;

namespace Thredo.Benchmarks.Native;

/// <summary>
/// The baton hand-off between two managed threads as a function of the parker's spin budget
/// (DESIGN.md: "the spin budget is a tuning knob measured in bench/"). Results are per hand-off.
/// </summary>
public class NativeBatonSpinBenchmarks
{
    private const int Loop = 1000;

    private ParkerHandle _main = null!;
    private ParkerHandle _partner = null!;
    private Thread _partnerThread = null!;
    private volatile bool _stop;

    /// <summary>Iterations each side spins on its permit before sleeping in the kernel.</summary>
    [Params(0u, 1_000u, 20_000u)]
    public uint Spin { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _main = ParkerHandle.Create(Spin);
        _partner = ParkerHandle.Create(Spin);
        _partnerThread = new Thread(() =>
        {
            _partner.Wait();
            while (!_stop)
                _partner.SwitchTo(_main);
        }) { IsBackground = true, Name = "baton partner" };
        _partnerThread.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _partner.Wake();
        _partnerThread.Join();
        _main.Dispose();
        _partner.Dispose();
    }

    [Benchmark(OperationsPerInvoke = 2 * Loop)]
    public void BatonHandOff()
    {
        for (int i = 0; i < Loop; i++)
            _main.SwitchTo(_partner);
    }
}
