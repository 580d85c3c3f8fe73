using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Thredo.Benchmarks.Kernel;

/// <summary>
/// One value bounced between two parties, <see cref="RoundTrips"/> times per invocation; results
/// are per round trip (two hand-offs). The baseline is a bare futex hand-off between two OS threads
/// (<see cref="BareFutex"/>), the floor for Thredo's managed fibers, which are OS threads handing a
/// baton. Issue 3's target: fiber ping-pong within 1.3x of it.
/// </summary>
/// <remarks>
/// Each fiber invocation is one whole <c>Fiber.Run</c> (new runtime, kernel, poller; two fibers on
/// pooled threads) with 10,000 round trips inside, so the setup is amortised over them (see
/// <see cref="FiberRunOverheadBenchmarks"/> for what one empty <c>Fiber.Run</c> costs). The futex
/// partner thread lives for the whole run (started in GlobalSetup); the channel partner task is
/// started per invocation, like the fibers.
/// </remarks>
public class PingPongBenchmarks
{
    internal const int RoundTrips = 10_000;

    private unsafe int* _main;
    private unsafe int* _partner;
    private Thread _partnerThread = null!;
    private volatile bool _stop;

    [GlobalSetup]
    public unsafe void Setup()
    {
        _main = BareFutex.AllocWord();
        _partner = BareFutex.AllocWord();
        _partnerThread = new Thread(Partner) { IsBackground = true, Name = "futex partner" };
        _partnerThread.Start();
    }

    private unsafe void Partner()
    {
        BareFutex.Wait(_partner);
        while (!_stop)
            BareFutex.SwitchTo(_partner, _main);
    }

    [GlobalCleanup]
    public unsafe void Cleanup()
    {
        _stop = true;
        BareFutex.Wake(_partner);
        _partnerThread.Join();
        BareFutex.FreeWord(_main);
        BareFutex.FreeWord(_partner);
    }

    /// <summary>Two OS threads, one futex word each: wake the other, sleep on your own.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public unsafe void BareFutexHandOff()
    {
        for (int i = 0; i < RoundTrips; i++)
            BareFutex.SwitchTo(_main, _partner);
    }

    /// <summary>Main and a partner fiber bounce an int through two <see cref="FiberQueue{T}"/>s.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public int FiberQueuePingPong() => Fiber.Run(() => FiberPingPong(spin: null));

    /// <summary>Two async methods bounce an int through two unbounded <see cref="Channel{T}"/>s.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public async Task<int> ChannelPingPong()
    {
        var options = new UnboundedChannelOptions { SingleReader = true, SingleWriter = true };
        Channel<int> ping = Channel.CreateUnbounded<int>(options), pong = Channel.CreateUnbounded<int>(options);
        Task partner = Task.Run(async () =>
        {
            for (int i = 0; i < RoundTrips; i++)
                pong.Writer.TryWrite(await ping.Reader.ReadAsync().ConfigureAwait(false));
        });
        int sum = 0;
        for (int i = 0; i < RoundTrips; i++)
        {
            ping.Writer.TryWrite(i);
            sum += await pong.Reader.ReadAsync().ConfigureAwait(false);
        }
        await partner.ConfigureAwait(false);
        return sum;
    }

    /// <summary>
    /// The fiber ping-pong body (call inside <c>Fiber.Run</c>). With <paramref name="spin"/> set, both
    /// fibers' threads get that parker spin budget for the duration (reset to 0, Thredo's default,
    /// before they return to the thread pool).
    /// </summary>
    internal static int FiberPingPong(uint? spin)
    {
        var ping = new FiberQueue<int>();
        var pong = new FiberQueue<int>();
        Fiber partner = Fiber.Spawn(() =>
        {
            using (SpinBudget(spin))
            {
                for (int i = 0; i < RoundTrips; i++)
                    pong.Put(ping.Get());
            }
        }, "pong");
        int sum = 0;
        using (SpinBudget(spin))
        {
            for (int i = 0; i < RoundTrips; i++)
            {
                ping.Put(i);
                sum += pong.Get();
            }
        }
        partner.Join();
        return sum;
    }

    /// <summary>
    /// Sets the calling fiber's parker spin budget until disposed. Bench-only: reaches the internal
    /// <c>Fiber.Thread.Parker</c> (Thredo grants Thredo.Benchmarks its internals); Thredo itself
    /// creates every fiber parker with spin 0.
    /// </summary>
    private static SpinScope? SpinBudget(uint? spin)
    {
        if (spin is not uint s)
            return null;
        var parker = Fiber.Current.Thread!.Parker;
        parker.SetSpin(s);
        return new SpinScope(parker);
    }

    private sealed class SpinScope(Thredo.Fibers.ParkerHandle parker) : IDisposable
    {
        public void Dispose() => parker.SetSpin(0);
    }
}

/// <summary>
/// <see cref="PingPongBenchmarks.FiberQueuePingPong"/> with the fiber threads' parker spin budget
/// varied (polls of the permit word before sleeping in the futex). Per round trip; compare with the
/// bare futex baseline of <see cref="PingPongBenchmarks"/>.
/// </summary>
public class FiberSpinPingPongBenchmarks
{
    [Params(0u, 100u, 1_000u, 20_000u)]
    public uint Spin { get; set; }

    [Benchmark(OperationsPerInvoke = PingPongBenchmarks.RoundTrips)]
    public int FiberQueuePingPongSpin() => Fiber.Run(() => PingPongBenchmarks.FiberPingPong(Spin));
}
